// Snowgate's web pages in a real Chromium, against `snowgate serve --demo`:
// (a) an app page on its own origin opens the Connect UI with Nango's @nangohq/frontend, a user
//     fills the form with the emulator demo user's key (from a .p8 file), and the app receives
//     the `connect` event for a connection that then exists;
// (b) a key Snowflake does not know (PKCS#1, 3072 bits) shows the server's precise cause, and the
//     app receives an `error` event carrying it; a malformed field is refused before anything is
//     sent;
// (c) the dashboard lists the demo connection, its syncs and records; "Trigger" starts a new run;
//     webhook settings, deliveries (with redelivery) and operations work;
// (d) a connect link (?session_token=) works in a tab of its own, in French, with an encrypted
//     key and its passphrase;
// (e) the dashboard embeds the Connect UI itself, and takes a key handed over in the fragment;
// (f) the Connect UI's policy keeps it from sending anything to another origin.
// No page may log an error (a Content-Security-Policy violation is one).
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.BROWSER_MODULES;
const require = createRequire(join(modules, 'noop.js'));
const { chromium } = require('playwright-core');

const snowgate = process.env.SNOWGATE_URL;
const secretKey = process.env.SNOWGATE_SECRET_KEY;
const screenshots = process.env.SCREENSHOTS;
const integration = 'snowflake-jwt';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let context;
let profile;
let hostServer;
let hostURL;
const hostRequests = [];
let receiver;
const webhooks = [];
const pageErrors = [];
let demo;

async function api(method, path, body) {
  const response = await fetch(`${snowgate}${path}`, {
    method,
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function eventually(what, check, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** The fingerprint Snowflake shows for a private key's public key. */
function fingerprintOf(privateKeyPem) {
  const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(spki).digest('base64')}`;
}

async function newPage(name) {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`${name}: ${message.text()}`);
  });
  page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
  return page;
}

/** The browser logs a refused request as an error; a test that causes one takes it back. */
async function expectRefusedRequest(name, status) {
  const logged = (error) => error.startsWith(`${name}: `) && error.includes(`status of ${status}`);
  await eventually(`${name} to log the refused request (${status})`, () => pageErrors.some(logged), 5);
  pageErrors.splice(pageErrors.findIndex(logged), 1);
}

async function shoot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

async function newSession(tags) {
  const session = await api('POST', '/connect/sessions', {
    tags,
    allowed_integrations: [integration],
    // The emulator is not at <subdomain>.snowflakecomputing.com: the app's backend says where it is.
    integrations_config_defaults: { [integration]: { connection_config: { base_url: demo.baseUrl } } },
  });
  assert.equal(session.status, 201, JSON.stringify(session.body));
  return session.body.data.token;
}

/** Opens the host app's page and, in it, the Connect UI on a new session. */
async function openConnectUI(name, tags, options = {}) {
  const token = await newSession(tags);
  const page = await newPage(name);
  await page.goto(hostURL);
  const opened = performance.now();
  await page.evaluate((settings) => window.openConnect(settings), {
    baseURL: `${snowgate}/connect`,
    apiURL: snowgate,
    token,
    ...options,
  });
  const frame = page.frameLocator('#connect-ui');
  await frame.getByRole('button', { name: 'Connect' }).waitFor();
  return { page, frame, readyMs: performance.now() - opened };
}

function events(page, type) {
  return page.evaluate((wanted) => window.connectEvents.filter((event) => event.type === wanted), type);
}

before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'snowgate-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 860 },
  });

  // The app: its page and the real @nangohq/frontend bundle, on an origin of its own.
  const frontend = join(modules, '@nangohq', 'frontend', 'dist');
  hostServer = createServer((request, response) => {
    const path = new URL(request.url, 'http://host').pathname;
    hostRequests.push(path);
    if (path === '/favicon.ico') return response.writeHead(204).end();
    const file =
      path === '/'
        ? join(here, 'host.html')
        : path === '/host.js'
          ? join(here, 'host.js')
          : path.startsWith('/frontend/')
            ? join(frontend, path.slice('/frontend/'.length).replace(/\.\./g, ''))
            : null;
    try {
      const body = readFileSync(file);
      response.writeHead(200, { 'Content-Type': file.endsWith('.html') ? 'text/html' : 'text/javascript' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
  hostURL = `http://127.0.0.1:${hostServer.address().port}/`;

  // A webhook receiver keeping what it gets.
  receiver = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      webhooks.push({
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        idempotencyKey: request.headers['idempotency-key'],
      });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));

  // The demo connection's user, key and emulator, read back through the API.
  const connection = await api('GET', `/connections/demo?provider_config_key=${integration}`);
  assert.equal(connection.status, 200, JSON.stringify(connection.body));
  demo = {
    baseUrl: connection.body.connection_config.base_url,
    account: connection.body.credentials.accountIdentifier,
    user: connection.body.credentials.userName,
    privateKey: connection.body.credentials.privateKey,
    keyFile: join(profile, 'demo_rsa_key.p8'),
  };
  assert.ok(
    demo.privateKey && demo.baseUrl,
    'the demo connection exposes its key to a server that allows reading credentials',
  );
  writeFileSync(demo.keyFile, demo.privateKey);
});

after(async () => {
  await context?.close();
  hostServer?.close();
  receiver?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('(a) an app connects an account through the Connect UI with @nangohq/frontend', async (t) => {
  const { page, frame, readyMs } = await openConnectUI('connect', { end_user_id: 'browser-user' });
  t.diagnostic(`form ready ${readyMs.toFixed(0)} ms after openConnectUI (iframe, session, integrations, provider)`);
  assert.equal(await frame.locator('#title').textContent(), 'Connect Snowflake (JWT)');
  // The session preconfigured base_url, which is no form field; Subdomain is still asked.
  await frame.getByLabel('Subdomain', { exact: true }).fill(demo.account);
  await frame.getByLabel('Account Identifier', { exact: true }).fill(demo.account);
  await frame.getByLabel('User Name', { exact: true }).fill(demo.user);
  await frame.locator('input[type=file]').setInputFiles(demo.keyFile);
  await frame.getByText('Loaded demo_rsa_key.p8').waitFor();
  const key = frame.getByLabel('Private Key', { exact: true });
  assert.equal(await key.inputValue(), demo.privateKey, 'the file picker fills the key');
  assert.match(await key.getAttribute('class'), /masked/, 'the key is masked');
  assert.equal(
    await frame.getByLabel('Private Key Passphrase', { exact: true }).isVisible(),
    false,
    'no passphrase for a plain key',
  );
  // The fingerprint, computed in the browser, is the one Snowflake shows for the key.
  await frame.locator('#key-fingerprint').waitFor();
  assert.equal(await frame.locator('#key-fingerprint').textContent(), fingerprintOf(demo.privateKey));
  assert.match(
    await frame.locator('#key-statement').textContent(),
    new RegExp(`^ALTER USER ${demo.user} SET RSA_PUBLIC_KEY='MII[A-Za-z0-9+/=]+';$`),
  );
  await shoot(page, 'connect-form');

  const submitted = performance.now();
  await frame.getByRole('button', { name: 'Connect' }).click();
  await page.waitForFunction(() => window.connectEvents.some((event) => event.type === 'connect'));
  const [connected] = await events(page, 'connect');
  t.diagnostic(
    `connect event ${(performance.now() - submitted).toFixed(0)} ms after the click (credential check against the emulator included)`,
  );
  assert.equal(connected.payload.providerConfigKey, integration);
  assert.match(connected.payload.connectionId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(await events(page, 'error'), []);
  const ready = await events(page, 'ready');
  assert.equal(ready.length, 1, 'the UI said ready once');

  const connection = await api(
    'GET',
    `/connections/${connected.payload.connectionId}?provider_config_key=${integration}`,
  );
  assert.equal(connection.status, 200, JSON.stringify(connection.body));
  assert.deepEqual(connection.body.tags, { end_user_id: 'browser-user' });
  assert.equal(connection.body.connection_config.base_url, demo.baseUrl, "the session's base_url won");
  assert.equal(connection.body.credentials.userName, demo.user);

  await frame.locator('#connect-success').waitFor();
  await shoot(page, 'connect-success');
  await frame.getByRole('button', { name: 'Done' }).click();
  await eventually('the iframe to close', async () => (await page.locator('#connect-ui').count()) === 0);
  assert.equal((await events(page, 'close')).length, 1);
  await page.close();
});

test('(b) a key Snowflake does not know shows the server’s cause and the app gets an error event', async () => {
  const before = (await api('GET', '/connections')).body.connections.length;
  const { page, frame } = await openConnectUI('connect-error', { end_user_id: 'browser-user-2' }, { theme: 'dark' });
  // PKCS#1 (BEGIN RSA PRIVATE KEY): the browser rewraps it to compute the fingerprint.
  const wrongKey = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({
    type: 'pkcs1',
    format: 'pem',
  });

  // A malformed field is refused in the browser, with Nango's message, and nothing is sent.
  await frame.getByLabel('Subdomain', { exact: true }).fill('not a host!');
  await frame.getByRole('button', { name: 'Connect' }).click();
  await frame.getByText('Incorrect Subdomain').waitFor();
  await frame.getByText('This field is required').first().waitFor();
  assert.deepEqual(await events(page, 'error'), [], 'nothing was sent');

  await frame.getByLabel('Subdomain', { exact: true }).fill(demo.account);
  await frame.getByLabel('Account Identifier', { exact: true }).fill(demo.account);
  await frame.getByLabel('User Name', { exact: true }).fill(demo.user);
  await frame.getByLabel('Private Key', { exact: true }).fill(wrongKey);
  await frame.locator('#key-fingerprint').waitFor();
  assert.equal(await frame.locator('#key-fingerprint').textContent(), fingerprintOf(wrongKey));
  await frame.getByRole('button', { name: 'Connect' }).click();

  await page.waitForFunction(() => window.connectEvents.some((event) => event.type === 'error'));
  const [error] = await events(page, 'error');
  await expectRefusedRequest('connect-error', 400);
  assert.equal(error.payload.errorType, 'connection_test_failed');
  const shown = await frame.locator('#connect-error').textContent();
  assert.equal(error.payload.errorMessage, shown, 'the app gets the message the user sees');
  assert.ok(
    shown.includes(
      `the public key with fingerprint ${fingerprintOf(wrongKey)} is not registered for user ${demo.user}`,
    ),
    shown,
  );
  assert.equal(await frame.getByRole('button', { name: 'Try again' }).isVisible(), true);
  assert.deepEqual(await events(page, 'connect'), []);
  assert.equal((await api('GET', '/connections')).body.connections.length, before, 'nothing was stored');
  await shoot(page, 'connect-error-dark');
  await page.close();
});

test('(c) the dashboard shows the demo connection, its syncs and records, and triggers a run', async () => {
  const page = await newPage('dashboard');
  await page.goto(`${snowgate}/`);
  await page.getByLabel('Secret API key').fill('00000000-0000-4000-8000-000000000000');
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await page.getByText('Authentication failed').waitFor();
  await shoot(page, 'dashboard-sign-in');
  await expectRefusedRequest('dashboard', 401);
  await page.getByLabel('Secret API key').fill(secretKey);
  await page.getByRole('button', { name: 'Open the dashboard' }).click();

  await page.locator('[data-connection="demo"]').click();
  await page.waitForURL(/#\/connections\/snowflake-jwt\/demo$/);
  // The dashboard first opens the newest connection by itself: wait until it shows the demo's.
  await page.locator('#connection-title', { hasText: /^demo$/ }).waitFor();
  const tables = page.locator('tr[data-sync="tables"]');
  await eventually(
    'the tables sync to have run',
    async () => (await tables.getAttribute('data-status').catch(() => null)) === 'SUCCESS',
  );
  for (const sync of ['databases', 'schemas', 'tables', 'columns', 'roles', 'users']) {
    assert.equal(await page.locator(`tr[data-sync="${sync}"]`).count(), 1, `the ${sync} sync is listed`);
  }
  // Records of the Table model, with their metadata.
  await page.locator('tr[data-id="DEMO_DB/SALES/CUSTOMERS"]').click();
  const record = JSON.parse(await page.locator('tr.detail:not([hidden]) pre').textContent());
  assert.equal(record.name, 'CUSTOMERS');
  assert.equal(record._nango_metadata.last_action, 'ADDED');
  await shoot(page, 'dashboard-connection');

  // Trigger: a new run of the tables sync.
  const runs = async () =>
    (
      await api('GET', '/operations?kind=sync&connection_id=demo&provider_config_key=snowflake-jwt&limit=1000')
    ).body.operations.filter((operation) => operation.name === 'tables::base').length;
  const runsBefore = await runs();
  const finishedBefore = await tables.getAttribute('data-finished');
  await tables.getByRole('button', { name: 'Trigger' }).click();
  await page.getByText('Triggered tables').waitFor();
  await eventually('a new run shown on the page', async () => {
    const finished = await tables.getAttribute('data-finished').catch(() => null);
    return finished && finished > finishedBefore;
  });
  assert.equal(await runs(), runsBefore + 1);

  // Pause and start again.
  await tables.getByRole('button', { name: 'Pause' }).click();
  await eventually('the sync paused', async () => (await tables.getAttribute('data-status')) === 'PAUSED');
  await tables.getByRole('button', { name: 'Start' }).click();
  await eventually('the sync started', async () => (await tables.getAttribute('data-status')) !== 'PAUSED');

  // Webhooks: point them at the receiver, run a sync, see the deliveries, redeliver one.
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByLabel('Primary URL').fill(`http://127.0.0.1:${receiver.address().port}/webhooks`);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Webhook settings saved').waitFor();
  await page.getByRole('link', { name: 'Connections' }).click();
  await page.locator('[data-connection="demo"]').click();
  await page.waitForURL(/#\/connections\/snowflake-jwt\/demo$/);
  const databases = page.locator('tr[data-sync="databases"]');
  await databases.getByRole('button', { name: 'Trigger' }).click();
  await eventually('the databases webhook', () => webhooks.some((webhook) => webhook.body.syncName === 'databases'));
  await page.getByRole('link', { name: 'Webhooks' }).click();
  const delivered = page.locator('tr[data-id]').filter({ hasText: 'databases · Database' }).first();
  await eventually('the delivered webhook listed', async () => (await delivered.getByText('delivered').count()) > 0);
  const received = webhooks.length;
  await delivered.getByRole('button', { name: 'Redeliver' }).click();
  await eventually('the redelivery', () => webhooks.length > received);
  const [first, again] = webhooks.filter((webhook) => webhook.body.syncName === 'databases');
  assert.deepEqual(again.body, first.body, 'a redelivery sends the same body');
  assert.equal(again.idempotencyKey, first.idempotencyKey, 'and the same idempotency key');
  await delivered.click();
  await page.locator('tr.detail:not([hidden])').getByRole('heading', { name: 'Attempts' }).waitFor();
  await shoot(page, 'dashboard-webhooks');

  // Operations, with their messages.
  await page.getByRole('link', { name: 'Operations' }).click();
  const operation = page.locator('tr[data-id]').filter({ hasText: 'tables::base' }).first();
  await operation.click();
  await page.locator('tr.detail:not([hidden])').getByRole('heading', { name: 'Messages' }).waitFor();
  await shoot(page, 'dashboard-operations');

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.getByRole('link', { name: 'Connections' }).click();
  await page.locator('tr[data-sync="tables"]').waitFor();
  await shoot(page, 'dashboard-dark');
  await page.close();
});

test('(d) a connect link opens the Connect UI in a tab of its own; an encrypted key needs its passphrase', async () => {
  const token = await newSession({ end_user_id: 'link-user' });
  const page = await newPage('connect-link');
  await page.goto(`${snowgate}/connect/?session_token=${token}&apiURL=${encodeURIComponent(snowgate)}&lang=fr`);
  await page.getByRole('heading', { name: 'Connecter Snowflake (JWT)' }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('session_token'), null, 'the token leaves the address bar');
  assert.equal(await page.getByRole('button', { name: 'Fermer' }).count(), 0, 'a tab has no close button');

  const passphrase = 'correct horse battery staple';
  const encrypted = createPrivateKey(demo.privateKey).export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase,
  });
  await page.getByLabel('Subdomain', { exact: true }).fill(demo.account);
  await page.getByLabel('Account Identifier', { exact: true }).fill(demo.account);
  await page.getByLabel('User Name', { exact: true }).fill(demo.user);
  await page.getByLabel('Private Key', { exact: true }).fill(encrypted);
  const passphraseField = page.getByLabel('Private Key Passphrase', { exact: true });
  await passphraseField.waitFor();
  await page.getByText('Cette clé est chiffrée').waitFor();
  await passphraseField.fill(passphrase);
  await shoot(page, 'connect-link-encrypted');
  await page.getByRole('button', { name: 'Connecter' }).click();
  await page.getByText('Vous pouvez fermer cet onglet.').waitFor();
  const linked = (await api('GET', '/connections?tags[end_user_id]=link-user')).body.connections;
  assert.equal(linked.length, 1, JSON.stringify(linked));
  const stored = await api('GET', `/connections/${linked[0].connection_id}?provider_config_key=${integration}`);
  assert.equal(stored.body.credentials.privateKeyPassphrase, undefined, 'the passphrase is not stored');
  assert.match(
    stored.body.credentials.privateKey,
    /^-----BEGIN PRIVATE KEY-----/,
    'the key is stored decrypted, sealed at rest',
  );
  await page.close();
});

test('(e) the dashboard embeds the Connect UI, and takes a key handed over in the fragment', async () => {
  const page = await newPage('dashboard-fragment');
  await page.goto(`${snowgate}/#key=${secretKey}`);
  await page.locator('#connection-list').waitFor();
  assert.ok(!page.url().includes(secretKey), 'the key leaves the address bar');
  await page.reload();
  await page.locator('#connection-list').waitFor();
  await page.goto(`${snowgate}/#/connections/${integration}/no-such-connection`);
  await page.getByRole('heading', { name: 'Connection not found' }).waitFor();
  await expectRefusedRequest('dashboard-fragment', 404);
  await expectRefusedRequest('dashboard-fragment', 400);
  await page.goto(`${snowgate}/#/connections`);

  await page.getByRole('button', { name: 'Connect an account' }).click();
  const frame = page.frameLocator('#connect-ui');
  await frame.getByLabel('User Name', { exact: true }).waitFor();
  await shoot(page, 'dashboard-connect');
  await frame.getByLabel('User Name', { exact: true }).press('Escape');
  await eventually('the Connect UI to close', async () => (await page.locator('#connect-ui').count()) === 0);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Secret API key').waitFor();
  await page.reload();
  await page.getByLabel('Secret API key').waitFor();
  assert.equal(await page.locator('#connection-list').count(), 0, 'signing out forgets the key');
  await page.close();
});

test('(f) the Connect UI sends nothing to an API on another origin, whatever apiURL says', async () => {
  const token = await newSession({ end_user_id: 'phished-user' });
  const page = await newPage('connect-elsewhere');
  const elsewhere = new URL(hostURL).origin;
  await page.goto(`${snowgate}/connect/?session_token=${token}&apiURL=${encodeURIComponent(elsewhere)}`);
  await page.getByText('talks only to the Snowgate server that serves it').waitFor();
  // The browser blocked both requests (the session and the integrations) and said so.
  const logged = () => pageErrors.filter((error) => error.startsWith('connect-elsewhere: '));
  await eventually('both blocked requests logged', () =>
    ['/connect/session', '/integrations'].every((path) => logged().some((error) => error.includes(path))),
  );
  for (const error of logged()) {
    assert.match(error, /Content Security Policy/);
    pageErrors.splice(pageErrors.indexOf(error), 1);
  }
  assert.ok(!hostRequests.some((path) => path.startsWith('/connect/')), JSON.stringify(hostRequests));
  await page.close();
});

test('no page logged an error', () => {
  assert.deepEqual(pageErrors, []);
});
