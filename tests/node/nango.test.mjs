// Snowgate driven by Nango's own Node client (`@nangohq/node`, unchanged): connect session,
// connection through /auth/jwt as @nangohq/frontend posts it, syncs, records with cursors, proxy,
// actions, sync status, and a webhook verified as Nango's documentation tells apps to.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const require = createRequire(join(process.env.NANGO_CLIENT_DIR, 'package.json'));
const { Nango } = require('@nangohq/node');

const host = process.env.SNOWGATE_URL;
const secretKey = process.env.SNOWGATE_SECRET_KEY;
const integration = 'snowflake-jwt';
const nango = new Nango({ host, secretKey });

const webhooks = [];
let receiver;
let signingKey;
let connectionId;

async function api(method, path, body) {
  const response = await fetch(`${host}${path}`, {
    method,
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function eventually(what, check, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

before(async () => {
  // A receiver keeping each webhook's raw body and headers.
  receiver = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      webhooks.push({ body: Buffer.concat(chunks).toString('utf8'), headers: request.headers });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const settings = await api('PATCH', '/webhooks/settings', {
    primary_url: `http://127.0.0.1:${receiver.address().port}/webhooks`,
  });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  signingKey = settings.body.signing_key;
});

after(() => receiver?.close());

test('a connect session, then a connection through /auth/jwt as the frontend posts it', async () => {
  const session = await nango.createConnectSession({
    tags: { end_user_id: 'node-user', end_user_email: 'node@example.com' },
    allowed_integrations: [integration],
    // Where the account is (here the emulator) is the app's choice, pinned in the session.
    integrations_config_defaults: { [integration]: { connection_config: { base_url: process.env.EMULATOR_URL } } },
  });
  assert.match(session.data.token, /^nango_connect_session_[0-9a-f]{64}$/);
  const params = new URLSearchParams({
    connect_session_token: session.data.token,
  });
  const response = await fetch(`${host}/auth/jwt/${integration}?${params}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      accountIdentifier: process.env.EMULATOR_ACCOUNT,
      userName: process.env.EMULATOR_USER,
      privateKey: readFileSync(process.env.EMULATOR_KEY_FILE, 'utf8'),
      type: 'JWT',
    }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.providerConfigKey, integration);
  connectionId = body.connectionId;

  const connection = await nango.getConnection(integration, connectionId);
  assert.equal(connection.connection_id, connectionId);
  assert.deepEqual(connection.tags, { end_user_id: 'node-user', end_user_email: 'node@example.com' });
  assert.deepEqual(connection.credentials, {}, 'credentials need the read_credentials permission');
  const list = await nango.listConnections({ userId: 'node-user', tags: { email: 'node@example.com' } });
  assert.ok(list.connections.some((c) => c.connection_id === connectionId));
});

test('syncs run and their status reads back', async () => {
  await nango.triggerSync(integration, ['tables', 'databases'], connectionId, { reset: true });
  const status = await eventually('the tables sync', async () => {
    const { syncs } = await nango.syncStatus(integration, ['tables', 'databases'], connectionId);
    return syncs.every((s) => s.status === 'SUCCESS') && syncs;
  });
  const tables = status.find((s) => s.name === 'tables');
  assert.ok(tables.recordCount.Table >= 3, JSON.stringify(tables));
  assert.equal(tables.frequency, 'every hour');
  const all = await nango.syncStatus(integration, '*', connectionId);
  assert.ok(all.syncs.length >= 8);
});

test('records page with cursors', async () => {
  const ids = [];
  let cursor;
  do {
    const page = await nango.listRecords({ providerConfigKey: integration, connectionId, model: 'Table', limit: 1, cursor });
    assert.ok(page.records.length <= 1);
    for (const record of page.records) {
      ids.push(record.id);
      assert.equal(record._nango_metadata.last_action, 'ADDED');
      assert.match(record._nango_metadata.first_seen_at, /\.\d{6}\+00:00$/);
    }
    cursor = page.next_cursor;
  } while (cursor);
  assert.ok(ids.includes('DEMO_DB/SALES/CUSTOMERS'), ids.join(','));
  assert.equal(new Set(ids).size, ids.length, 'no record twice');
  const filtered = await nango.listRecords({ providerConfigKey: integration, connectionId, model: 'Table', ids: ['DEMO_DB/SALES/CUSTOMERS'] });
  assert.deepEqual(filtered.records.map((r) => r.id), ['DEMO_DB/SALES/CUSTOMERS']);
});

test('the proxy runs a statement with the connection\'s credentials', async () => {
  const response = await nango.proxy({
    method: 'POST',
    endpoint: '/api/v2/statements',
    providerConfigKey: integration,
    connectionId,
    data: { statement: 'SELECT 1 AS ONE' },
    retries: 2,
  });
  assert.equal(response.status, 200);
  assert.deepEqual(response.data.data, [['1']]);
});

test('actions run now and in the background', async () => {
  const output = await nango.triggerAction(integration, connectionId, 'list-schemas', { database: 'DEMO_DB' });
  assert.ok(output.schemas.some((s) => s.name === 'SALES'), JSON.stringify(output));
  const queued = await nango.triggerActionAsync(integration, connectionId, 'list-databases', {});
  const result = await eventually('the async action', async () => {
    try {
      return await nango.getAsyncActionResult({ statusUrl: queued.statusUrl });
    } catch (error) {
      if (error.response?.status === 404) return undefined;
      throw error;
    }
  });
  assert.ok(result.databases.some((d) => d.name === 'DEMO_DB'));
  await assert.rejects(
    nango.triggerAction(integration, connectionId, 'no-such-action', {}),
    (error) => error.response.status === 404 && error.response.data.error.code === 'not_found',
  );
});

test('custom actions declared in SQL run through triggerAction', async () => {
  const before = await nango.triggerAction(integration, connectionId, 'customer-by-email', { email: 'carol@initech.com' });
  assert.equal(before.PLAN, 'free', JSON.stringify(before));
  const counts = await nango.triggerAction(integration, connectionId, 'set-plan', { email: 'carol@initech.com', plan: 'pro' });
  assert.deepEqual(counts, { rows_inserted: 0, rows_updated: 1, rows_deleted: 0 });
  const queued = await nango.triggerActionAsync(integration, connectionId, 'customer-by-email', { email: 'carol@initech.com' });
  const after = await eventually('the async custom action', async () => {
    try {
      return await nango.getAsyncActionResult({ statusUrl: queued.statusUrl });
    } catch (error) {
      if (error.response?.status === 404) return undefined;
      throw error;
    }
  });
  assert.equal(after.PLAN, 'pro', JSON.stringify(after));
  await assert.rejects(
    nango.triggerAction(integration, connectionId, 'set-plan', { email: 'carol@initech.com', plan: "pro'; --" }),
    (error) => error.response.status === 400 && error.response.data.error.code === 'invalid_action_input',
  );
});

test('webhooks verify with verifyIncomingWebhookRequest', async () => {
  await eventually('a sync webhook', () => webhooks.some((w) => JSON.parse(w.body).type === 'sync'));
  const verifier = new Nango({ host, secretKey, webhookSigningKey: signingKey });
  for (const webhook of webhooks) {
    assert.equal(verifier.verifyIncomingWebhookRequest(webhook.body, webhook.headers), true, webhook.body);
    assert.equal(verifier.verifyIncomingWebhookRequest(`${webhook.body} `, webhook.headers), false, 'a changed body fails');
  }
  const kinds = webhooks.map((w) => JSON.parse(w.body)).map((p) => `${p.type}:${p.operation ?? p.model}`);
  assert.ok(kinds.includes('auth:creation'), kinds.join(','));
  assert.ok(kinds.includes('sync:Table'), kinds.join(','));
});
