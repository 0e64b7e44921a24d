// The operator dashboard: integrations, connections and their errors, each connection's syncs
// (trigger, pause, start), its records with `_nango_metadata`, webhook deliveries (redeliver)
// and operations. It uses only the public API, with the secret key the operator enters once; the
// key stays in this tab's sessionStorage. The open view refreshes itself every few seconds while
// the tab is visible.

import { ApiError, request } from './api.js';
import { ago, copy, h, show, when } from './dom.js';

const KEY_STORAGE = 'snowgate.secretKey';
const THEME_STORAGE = 'snowgate.theme';
const REFRESH_MS = 3000;
const RECORDS_PER_PAGE = 25;
const ROWS_PER_PAGE = 50;
const THEMES = ['system', 'light', 'dark'];

const elements = {
  signIn: document.getElementById('sign-in'),
  signInForm: document.getElementById('sign-in-form'),
  signInError: document.getElementById('sign-in-error'),
  keyInput: document.getElementById('secret-key'),
  view: document.getElementById('view'),
  nav: document.getElementById('nav'),
  signOut: document.getElementById('sign-out'),
  theme: document.getElementById('theme'),
  toast: document.getElementById('toast'),
};

const state = {
  key: null,
  route: { view: 'connections' },
  /** The open view: `refresh()` reloads what changes; set when the view is drawn. */
  current: null,
  refreshing: false,
};

function api(method, path, options) {
  return request(location.origin, state.key, method, path, options);
}

// Feedback

let toastTimer;
function toast(message, tone = 'info') {
  elements.toast.textContent = message;
  elements.toast.className = `toast alert ${tone}`;
  elements.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(
    () => {
      elements.toast.hidden = true;
    },
    tone === 'bad' ? 9000 : 3500,
  );
}

/** Runs a user action: disables its button meanwhile, reports failures with the server's words. */
async function act(button, work, done) {
  button.disabled = true;
  try {
    await work();
    if (done) toast(done, 'info');
  } catch (error) {
    if (!signOutOn401(error)) toast(error.message, 'bad');
  } finally {
    button.disabled = false;
  }
}

function signOutOn401(error) {
  if (!(error instanceof ApiError) || error.status !== 401) return false;
  signOut(error.message);
  return true;
}

// Small pieces

const STATUS_TONES = {
  SUCCESS: 'ok',
  RUNNING: 'info',
  PAUSED: 'warn',
  ERROR: 'bad',
  STOPPED: '',
  success: 'ok',
  delivered: 'ok',
  running: 'info',
  pending: 'info',
  failed: 'bad',
  dead: 'bad',
  ADDED: 'ok',
  UPDATED: 'info',
  DELETED: 'bad',
};

function badge(text, tone = STATUS_TONES[text] ?? '') {
  return h(
    'span',
    { class: `badge ${tone}` },
    /^running$/i.test(text) ? [h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' '] : null,
    text,
  );
}

function time(iso) {
  return iso
    ? h('time', { datetime: iso, title: when(iso), text: ago(iso) })
    : h('span', { class: 'muted', text: '—' });
}

function counts(result) {
  return h(
    'span',
    { class: 'counts' },
    h('span', { class: 'added', title: 'added', text: `+${result.added ?? 0}` }),
    h('span', { class: 'updated', title: 'updated', text: `~${result.updated ?? 0}` }),
    h('span', { class: 'deleted', title: 'deleted', text: `−${result.deleted ?? 0}` }),
  );
}

function json(value) {
  return h('pre', { class: 'json', text: JSON.stringify(value, null, 2) });
}

function panel(title, tools, ...body) {
  return h(
    'section',
    { class: 'panel' },
    h('div', { class: 'panel-head' }, h('h2', { text: title }), h('div', { class: 'tools' }, tools)),
    body,
  );
}

function select(label, options, value, onchange) {
  return h(
    'label',
    { class: 'inline' },
    h('span', { class: 'visually-hidden', text: label }),
    h(
      'select',
      { 'aria-label': label, onchange: (event) => onchange(event.target.value) },
      options.map(([optionValue, text]) => h('option', { value: optionValue, selected: optionValue === value, text })),
    ),
  );
}

/** A select that filters a paged list: it sets `holder[key]`, goes back to the first page and reloads. */
function filter(label, options, holder, key, pager, reload) {
  return select(label, options, holder[key], (value) => {
    holder[key] = value;
    pager.reset();
    reload();
  });
}

function table(headings, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty muted', text: empty });
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headings.map((heading) => h('th', { scope: 'col', text: heading })),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

/**
 * A row that opens a detail row below it when clicked (or Enter): `detail()` answers the detail's
 * content (possibly after a fetch). `expanded` (id → content) keeps which rows are open, and what
 * they showed, across refreshes.
 */
function expandable(id, expanded, cells, detail, columns) {
  const row = h(
    'tr',
    { class: 'clickable', tabindex: 0, 'aria-expanded': String(expanded.has(id)), 'data-id': id },
    cells,
  );
  const holder = h('td', { colspan: columns });
  const detailRow = h('tr', { class: 'detail', hidden: !expanded.has(id) }, holder);
  const fill = async () => {
    if (expanded.get(id)) return show(holder, expanded.get(id));
    show(holder, h('span', { class: 'muted', text: 'Loading…' }));
    let content;
    try {
      content = await detail();
    } catch (error) {
      content = h('div', { class: 'alert bad', text: error.message });
    }
    if (!expanded.has(id)) return;
    expanded.set(id, content);
    show(holder, content);
  };
  const toggle = (event) => {
    if (event.target.closest('button, a, select, input')) return;
    if (event.type === 'keydown' && event.key !== 'Enter') return;
    const open = !expanded.has(id);
    if (open) expanded.set(id, null);
    else expanded.delete(id);
    row.setAttribute('aria-expanded', String(open));
    detailRow.hidden = !open;
    if (open) fill();
  };
  row.addEventListener('click', toggle);
  row.addEventListener('keydown', toggle);
  if (expanded.has(id)) fill();
  return [row, detailRow];
}

/** Pages through a list whose API takes a cursor (`next` answers the next page's cursor). */
class Pager {
  constructor() {
    this.cursors = [undefined];
  }
  get cursor() {
    return this.cursors[this.cursors.length - 1];
  }
  get first() {
    return this.cursors.length === 1;
  }
  reset() {
    this.cursors = [undefined];
  }
  controls(next, reload) {
    return h(
      'div',
      { class: 'pager' },
      h('button', {
        class: 'button small',
        type: 'button',
        disabled: this.first,
        text: '← Newer',
        onclick: () => (this.cursors.pop(), reload()),
      }),
      h('span', { class: 'muted small', text: `Page ${this.cursors.length}` }),
      h('button', {
        class: 'button small',
        type: 'button',
        disabled: next === null || next === undefined,
        text: 'Older →',
        onclick: () => (this.cursors.push(next), reload()),
      }),
    );
  }
}

/** A pager for records, which come oldest change first. */
class RecordPager extends Pager {
  controls(next, reload) {
    const controls = super.controls(next, reload);
    controls.firstChild.textContent = '← First page';
    controls.firstChild.onclick = () => (this.reset(), reload());
    controls.lastChild.textContent = 'Next page →';
    return controls;
  }
}

/** Fields that name a record, shown first when a model has them. */
const NAMING_FIELDS = ['name', 'database_name', 'schema_name', 'table_name'];

/** Up to four scalar fields of a record to show as columns: naming ones first, then one level down. */
function columnsOf(record) {
  const scalar = (value) => value === null || typeof value !== 'object';
  const fields = [];
  for (const [key, value] of Object.entries(record)) {
    if (key === 'id' || key === '_nango_metadata') continue;
    if (scalar(value)) fields.push(key);
    else if (!Array.isArray(value))
      fields.push(
        ...Object.keys(value)
          .filter((inner) => scalar(value[inner]))
          .map((inner) => `${key}.${inner}`),
      );
  }
  const rank = (field) => (NAMING_FIELDS.includes(field) ? NAMING_FIELDS.indexOf(field) : NAMING_FIELDS.length);
  return fields.sort((a, b) => rank(a) - rank(b)).slice(0, 4);
}

function cellText(record, field) {
  const value = field
    .split('.')
    .reduce((object, key) => (object === null || object === undefined ? undefined : object[key]), record);
  return value === null || value === undefined ? '' : String(value);
}

function connectionName(connections, pk) {
  const connection = connections.find((candidate) => candidate.id === pk);
  return connection ? connection.connection_id : pk === null || pk === undefined ? '—' : `#${pk}`;
}

// Connections view

function connectionsView(route) {
  const view = {
    integrations: [],
    connections: [],
    selected: null,
    detail: null,
    syncs: [],
    finished: '',
    search: '',
    records: { option: null, filter: '', pager: new RecordPager(), expanded: new Map() },
  };
  const listBox = h('div');
  const integrationsBox = h('div');
  const headBox = h('div');
  const syncsBox = h('div');
  const recordsBox = h('div');

  const searchInput = h('input', {
    type: 'search',
    placeholder: 'Search connections',
    'aria-label': 'Search connections',
    oninput: (event) => {
      view.search = event.target.value.trim();
      clearTimeout(view.searchTimer);
      view.searchTimer = setTimeout(() => loadList().catch(report), 250);
    },
  });

  async function loadList() {
    const query = { limit: 100 };
    if (view.search) query.search = view.search;
    const [integrations, connections] = await Promise.all([
      api('GET', '/integrations'),
      api('GET', '/connections', { query }),
    ]);
    view.integrations = integrations.data;
    view.connections = connections.connections;
    drawList();
  }

  function drawList() {
    show(
      integrationsBox,
      view.integrations.map((integration) =>
        h(
          'div',
          { class: 'integration' },
          h('img', { src: integration.logo, alt: '', width: 28, height: 28 }),
          h(
            'div',
            { class: 'grow' },
            h('div', { class: 'strong', text: integration.display_name }),
            h('div', { class: 'muted small mono', text: integration.unique_key }),
          ),
          h('button', {
            class: 'button small wide',
            type: 'button',
            text: 'Connect an account',
            onclick: () =>
              openConnectUI(integration.unique_key, (connectionId) => choose(integration.unique_key, connectionId)),
          }),
        ),
      ),
    );
    show(
      listBox,
      view.connections.length
        ? h(
            'ul',
            { class: 'plain-list', id: 'connection-list' },
            view.connections.map((connection) => {
              const active =
                view.selected &&
                view.selected.connection_id === connection.connection_id &&
                view.selected.provider_config_key === connection.provider_config_key;
              return h(
                'li',
                {},
                h(
                  'a',
                  {
                    class: `connection${active ? ' active' : ''}`,
                    href: `#/connections/${encodeURIComponent(connection.provider_config_key)}/${encodeURIComponent(connection.connection_id)}`,
                    'aria-current': active ? 'true' : false,
                    'data-connection': connection.connection_id,
                  },
                  h('span', { class: 'strong mono', text: connection.connection_id }),
                  h('span', {
                    class: 'muted small',
                    text: `${connection.provider_config_key} · created ${ago(connection.created)}`,
                  }),
                  h(
                    'span',
                    { class: 'badges' },
                    connection.errors.map((error) => badge(`${error.type} error`, 'bad')),
                  ),
                ),
              );
            }),
          )
        : h('p', {
            class: 'empty muted',
            text: view.search
              ? 'No connection matches.'
              : 'No connection yet. Connect an account, or create one with POST /auth/jwt.',
          }),
    );
  }

  function choose(integration, connectionId) {
    location.hash = `#/connections/${encodeURIComponent(integration)}/${encodeURIComponent(connectionId)}`;
  }

  async function loadDetail() {
    const connection = view.selected;
    let detail;
    let status;
    try {
      [detail, status] = await Promise.all([
        api('GET', `/connections/${encodeURIComponent(connection.connection_id)}`, {
          query: { provider_config_key: connection.provider_config_key },
        }),
        api('GET', '/sync/status', {
          query: {
            provider_config_key: connection.provider_config_key,
            syncs: '*',
            connection_id: connection.connection_id,
          },
        }),
      ]);
    } catch (error) {
      // A connection deleted meanwhile, or a stale link: say so once instead of failing each refresh.
      if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 400)) throw error;
      view.missing = true;
      show(headBox, panel('Connection not found', null, h('div', { class: 'alert warn', text: error.message })));
      show(syncsBox);
      show(recordsBox);
      return;
    }
    view.detail = detail;
    view.syncs = status.syncs.sort((a, b) => `${a.name}::${a.variant}`.localeCompare(`${b.name}::${b.variant}`));
    drawHead();
    drawSyncs();
    const finished = view.syncs.map((sync) => sync.finishedAt || '').join('|');
    if (finished !== view.finished) {
      view.finished = finished;
      // New results: the first records page may have changed.
      if (view.records.pager.first) await loadRecords();
    }
  }

  function drawHead() {
    const detail = view.detail;
    const config = Object.entries(detail.connection_config || {});
    show(
      headBox,
      h(
        'section',
        { class: 'panel' },
        h(
          'div',
          { class: 'panel-head' },
          h('h2', { class: 'mono', id: 'connection-title', text: detail.connection_id }),
          h(
            'div',
            { class: 'badges' },
            detail.errors.length
              ? detail.errors.map((error) =>
                  h('a', {
                    class: 'badge bad',
                    href: `#/operations/${encodeURIComponent(error.log_id)}`,
                    title: 'Open the failed operation',
                    text: `${error.type} error`,
                  }),
                )
              : badge('healthy', 'ok'),
          ),
        ),
        h(
          'dl',
          { class: 'facts' },
          h('dt', { text: 'Integration' }),
          h('dd', { class: 'mono', text: detail.provider_config_key }),
          h('dt', { text: 'Created' }),
          h('dd', {}, time(detail.created_at)),
          config.length
            ? [
                h('dt', { text: 'Account' }),
                h('dd', { class: 'mono', text: config.map(([key, value]) => `${key}: ${value}`).join(' · ') }),
              ]
            : null,
          Object.keys(detail.tags || {}).length
            ? [
                h('dt', { text: 'Tags' }),
                h('dd', {
                  class: 'mono',
                  text: Object.entries(detail.tags)
                    .map(([key, value]) => `${key}=${value}`)
                    .join(' · '),
                }),
              ]
            : null,
          detail.metadata && Object.keys(detail.metadata).length
            ? [
                h('dt', { text: 'Metadata' }),
                h(
                  'dd',
                  {},
                  h(
                    'details',
                    {},
                    h('summary', { text: `${Object.keys(detail.metadata).length} keys` }),
                    json(detail.metadata),
                  ),
                ),
              ]
            : null,
        ),
      ),
    );
  }

  function syncBody(sync) {
    return {
      provider_config_key: view.selected.provider_config_key,
      connection_id: view.selected.connection_id,
      syncs: [sync.variant === 'base' ? sync.name : { name: sync.name, variant: sync.variant }],
    };
  }

  function drawSyncs() {
    const rows = view.syncs.map((sync) => {
      const models = Object.entries(sync.latestResult || {});
      const paused = sync.status === 'PAUSED' || sync.status === 'STOPPED';
      const trigger = h('button', {
        class: 'button small',
        type: 'button',
        text: 'Trigger',
        'data-action': 'trigger',
        onclick: () =>
          act(
            trigger,
            async () => {
              await api('POST', '/sync/trigger', { body: syncBody(sync) });
              await loadDetail();
            },
            `Triggered ${sync.name}`,
          ),
      });
      const toggle = h('button', {
        class: 'button small',
        type: 'button',
        text: paused ? 'Start' : 'Pause',
        'data-action': paused ? 'start' : 'pause',
        onclick: () =>
          act(
            toggle,
            async () => {
              await api('POST', paused ? '/sync/start' : '/sync/pause', { body: syncBody(sync) });
              await loadDetail();
            },
            `${paused ? 'Started' : 'Paused'} ${sync.name}`,
          ),
      });
      return h(
        'tr',
        {
          'data-sync': sync.name,
          'data-variant': sync.variant,
          'data-status': sync.status,
          'data-finished': sync.finishedAt || '',
        },
        h(
          'td',
          {},
          h('div', { class: 'strong', text: sync.name }),
          h('div', {
            class: 'muted small',
            text: `${sync.variant === 'base' ? '' : `${sync.variant} · `}${sync.frequency || ''}`,
          }),
        ),
        h('td', {}, badge(sync.status)),
        h('td', { class: 'last-run' }, time(sync.finishedAt)),
        h(
          'td',
          {},
          models.length
            ? models.map(([model, result]) =>
                h('div', { class: 'model-line' }, h('span', { class: 'mono small', text: model }), counts(result)),
              )
            : h('span', { class: 'muted', text: '—' }),
        ),
        h(
          'td',
          { class: 'numeric' },
          Object.values(sync.recordCount || {})
            .reduce((sum, count) => sum + count, 0)
            .toLocaleString(),
        ),
        h('td', {}, paused ? h('span', { class: 'muted', text: 'paused' }) : time(sync.nextScheduledSyncAt)),
        h('td', { class: 'actions' }, trigger, toggle),
      );
    });
    const all = h('button', {
      class: 'button small',
      type: 'button',
      text: 'Trigger all',
      onclick: () =>
        act(
          all,
          async () => {
            await api('POST', '/sync/trigger', {
              body: {
                provider_config_key: view.selected.provider_config_key,
                connection_id: view.selected.connection_id,
                syncs: [],
              },
            });
            await loadDetail();
          },
          'Triggered every sync',
        ),
    });
    show(
      syncsBox,
      panel(
        'Syncs',
        all,
        table(
          ['Sync', 'Status', 'Last run', 'Last result', 'Records', 'Next run', ''],
          rows,
          'This connection has no syncs.',
        ),
      ),
    );
  }

  /** The models the syncs store, as `model|variant` options. */
  function modelOptions() {
    const options = new Map();
    for (const sync of view.syncs) {
      for (const model of Object.keys(sync.recordCount || {})) {
        const value = `${model}|${sync.variant}`;
        options.set(value, sync.variant === 'base' ? model : `${model} (${sync.variant})`);
      }
    }
    return [...options.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  }

  async function loadRecords() {
    const records = view.records;
    const options = modelOptions();
    if (!options.length) {
      show(
        recordsBox,
        panel(
          'Records',
          null,
          h('p', { class: 'empty muted', text: 'No records yet: they appear when a sync has run.' }),
        ),
      );
      return;
    }
    if (!records.option || !options.some(([value]) => value === records.option)) {
      records.option = (options.find(([value]) => value.startsWith('Table|')) || options[0])[0];
      records.pager.reset();
    }
    const [model, variant] = records.option.split('|');
    const query = new URLSearchParams({ model, limit: RECORDS_PER_PAGE });
    if (variant !== 'base') query.set('variant', variant);
    if (records.filter) query.set('filter', records.filter);
    if (records.pager.cursor) query.set('cursor', records.pager.cursor);
    const page = await api('GET', '/records', {
      query,
      headers: {
        'Connection-Id': view.selected.connection_id,
        'Provider-Config-Key': view.selected.provider_config_key,
      },
    });
    drawRecords(options, page);
  }

  function drawRecords(options, page) {
    const records = view.records;
    const reload = () => loadRecords().catch(report);
    const fields = page.records[0] ? columnsOf(page.records[0]) : [];
    const columns = 3 + fields.length;
    const rows = page.records.flatMap((record) =>
      expandable(
        record.id,
        records.expanded,
        [
          h('td', { class: 'mono', text: record.id }),
          fields.map((field) => h('td', { class: 'cell', text: cellText(record, field) })),
          h('td', {}, badge(record._nango_metadata.last_action)),
          h('td', {}, time(record._nango_metadata.last_modified_at)),
        ],
        async () => json(record),
        columns,
      ),
    );
    show(
      recordsBox,
      panel(
        'Records',
        [
          filter('Model', options, records, 'option', records.pager, reload),
          filter(
            'Filter',
            [
              ['', 'All changes'],
              ['added', 'Added'],
              ['updated', 'Updated'],
              ['deleted', 'Deleted'],
            ],
            records,
            'filter',
            records.pager,
            reload,
          ),
        ],
        h('p', {
          class: 'muted small note',
          text: 'In change order (oldest change first), as GET /records pages them. Click a record to see it whole, with _nango_metadata.',
        }),
        table(['id', ...fields, 'Last action', 'Modified'], rows, 'No records match.'),
        records.pager.controls(page.next_cursor, reload),
      ),
    );
  }

  async function refresh() {
    await loadList();
    if (!view.selected && view.connections.length) {
      const first = view.connections[0];
      choose(first.provider_config_key, first.connection_id);
      return;
    }
    if (view.selected && !view.missing) await loadDetail();
  }

  async function open() {
    if (route.connection) {
      view.selected = { provider_config_key: route.integration, connection_id: route.connection };
    }
    show(
      elements.view,
      h(
        'div',
        { class: 'layout' },
        h(
          'aside',
          { class: 'side' },
          h(
            'section',
            { class: 'panel' },
            h('div', { class: 'panel-head' }, h('h2', { text: 'Integrations' })),
            integrationsBox,
          ),
          h(
            'section',
            { class: 'panel' },
            h('div', { class: 'panel-head' }, h('h2', { text: 'Connections' })),
            searchInput,
            listBox,
          ),
        ),
        h(
          'div',
          { class: 'detail-column' },
          view.selected
            ? [headBox, syncsBox, recordsBox]
            : h('section', { class: 'panel' }, h('p', { class: 'empty muted', text: 'Select a connection.' })),
        ),
      ),
    );
    await refresh();
  }

  return { open, refresh };
}

// Connect UI, embedded exactly as @nangohq/frontend embeds it

async function openConnectUI(integration, onConnected) {
  const session = await api('POST', '/connect/sessions', {
    body: { tags: { source: 'dashboard' }, allowed_integrations: [integration] },
  }).catch((error) => {
    toast(error.message, 'bad');
    return null;
  });
  if (!session) return;
  const frame = h('iframe', {
    id: 'connect-ui',
    class: 'connect-frame',
    title: 'Connect an account',
    src: `/connect/?apiURL=${encodeURIComponent(location.origin)}`,
  });
  const listener = (event) => {
    if (event.origin !== location.origin || event.source !== frame.contentWindow || !event.data) return;
    if (event.data.type === 'ready')
      frame.contentWindow.postMessage({ type: 'session_token', sessionToken: session.data.token }, location.origin);
    if (event.data.type === 'connect') {
      toast(`Connected ${event.data.payload.connectionId}`);
      onConnected(event.data.payload.connectionId);
    }
    if (event.data.type === 'close') {
      window.removeEventListener('message', listener);
      frame.remove();
    }
  };
  window.addEventListener('message', listener);
  document.body.append(frame);
}

// Webhooks view

const TOGGLES = [
  ['on_auth_creation', 'New connections (auth creation)'],
  ['on_auth_refresh_error', 'Credential failures (auth refresh errors)'],
  ['on_sync_completion_always', 'Every finished sync, even without changes'],
  ['on_sync_error', 'Failed syncs'],
  ['on_async_action_completion', 'Finished async actions'],
  ['on_connection_deletion', 'Deleted connections'],
];

function summarise(body) {
  if (!body) return '';
  if (body.type === 'sync') {
    if (body.success === false)
      return `${body.syncName} · ${body.model} failed: ${(body.error && body.error.type) || 'error'}`;
    const result = body.responseResults || {};
    return `${body.syncName} · ${body.model} +${result.added ?? 0} ~${result.updated ?? 0} −${result.deleted ?? 0}`;
  }
  if (body.type === 'auth') return `${body.operation}${body.success === false ? ' failed' : ''}`;
  if (body.type === 'async_action') return `action ${body.payload && body.payload.id}`;
  return body.type || '';
}

function webhooksView() {
  const view = { status: '', connection: '', connections: [], pager: new Pager(), expanded: new Map(), settings: null };
  const settingsBox = h('div');
  const listBox = h('div');

  async function loadSettings() {
    view.settings = await api('GET', '/webhooks/settings');
    drawSettings();
  }

  function drawSettings() {
    const settings = view.settings;
    const primary = h('input', {
      id: 'webhook-primary-url',
      type: 'url',
      value: settings.primary_url || '',
      placeholder: 'https://your-app.example/webhooks/snowgate',
    });
    const secondary = h('input', {
      id: 'webhook-secondary-url',
      type: 'url',
      value: settings.secondary_url || '',
      placeholder: 'optional second destination',
    });
    const toggles = TOGGLES.map(([key, label]) =>
      h(
        'label',
        { class: 'check' },
        h('input', { type: 'checkbox', name: key, checked: Boolean(settings[key]) }),
        h('span', { text: label }),
      ),
    );
    const signingKey = h('code', { class: 'secret', text: '•'.repeat(24) });
    const reveal = h('button', {
      class: 'button small',
      type: 'button',
      text: 'Reveal',
      onclick: () => {
        const hidden = reveal.textContent === 'Reveal';
        signingKey.textContent = hidden ? settings.signing_key : '•'.repeat(24);
        reveal.textContent = hidden ? 'Hide' : 'Reveal';
      },
    });
    const copyKey = h('button', {
      class: 'button small',
      type: 'button',
      text: 'Copy',
      onclick: async () =>
        toast((await copy(settings.signing_key)) ? 'Signing key copied' : 'The browser refused the clipboard', 'info'),
    });
    const save = h('button', { class: 'button primary', type: 'submit', text: 'Save' });
    const form = h(
      'form',
      {
        class: 'settings',
        id: 'webhook-settings',
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          const body = { primary_url: primary.value.trim() || null, secondary_url: secondary.value.trim() || null };
          for (const input of form.querySelectorAll('input[type=checkbox]')) body[input.name] = input.checked;
          act(
            save,
            async () => {
              view.settings = await api('PATCH', '/webhooks/settings', { body });
              drawSettings();
            },
            'Webhook settings saved',
          );
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'webhook-primary-url', text: 'Primary URL' }), primary),
      h('div', { class: 'field' }, h('label', { for: 'webhook-secondary-url', text: 'Secondary URL' }), secondary),
      h('fieldset', { class: 'checks' }, h('legend', { text: 'Send webhooks for' }), toggles),
      h(
        'div',
        { class: 'field' },
        h('span', { class: 'label', text: 'Signing key (X-Nango-Hmac-Sha256)' }),
        h('div', { class: 'tools' }, signingKey, reveal, copyKey),
      ),
      h('div', {}, save),
    );
    show(
      settingsBox,
      panel(
        'Webhook settings',
        null,
        settings.primary_url || settings.secondary_url
          ? null
          : h('div', {
              class: 'alert warn',
              text: 'No webhook URL is set, so Snowgate has nowhere to send webhooks. Set a primary URL, save, then trigger a sync: its webhooks appear below.',
            }),
        form,
      ),
    );
  }

  async function loadList() {
    const [deliveries, connections] = await Promise.all([
      api('GET', '/webhooks/deliveries', { query: listQuery() }),
      api('GET', '/connections', { query: { limit: 100 } }),
    ]);
    view.connections = connections.connections;
    drawList(deliveries.deliveries);
  }

  function listQuery() {
    const query = { limit: ROWS_PER_PAGE, include: 'body' };
    if (view.status) query.status = view.status;
    if (view.pager.cursor) query.before = view.pager.cursor;
    if (view.connection) {
      const [integration, connectionId] = JSON.parse(view.connection);
      query.provider_config_key = integration;
      query.connection_id = connectionId;
    }
    return query;
  }

  function drawList(deliveries) {
    const reload = () => loadList().catch(report);
    const rows = deliveries.flatMap((delivery) => {
      const redeliver = h('button', {
        class: 'button small',
        type: 'button',
        text: 'Redeliver',
        'data-action': 'redeliver',
        disabled: delivery.status === 'pending',
        onclick: () =>
          act(
            redeliver,
            async () => {
              await api('POST', `/webhooks/deliveries/${delivery.id}/redeliver`);
              await loadList();
            },
            `Delivery ${delivery.id} queued again`,
          ),
      });
      return expandable(
        String(delivery.id),
        view.expanded,
        [
          h('td', { class: 'numeric mono', text: String(delivery.id) }),
          h('td', {}, badge(delivery.kind, 'info')),
          h('td', { class: 'cell', text: summarise(delivery.body) }),
          h('td', {
            class: 'cell narrow mono small',
            title: (delivery.body && delivery.body.connectionId) || '',
            text: (delivery.body && delivery.body.connectionId) || '',
          }),
          h('td', { class: 'cell narrow mono small', title: delivery.url, text: delivery.url }),
          h('td', {}, badge(delivery.status)),
          h('td', { class: 'numeric', text: String(delivery.attempts) }),
          h('td', { class: 'cell narrow bad-text', title: delivery.last_error || '', text: delivery.last_error || '' }),
          h('td', {}, time(delivery.created_at)),
          h('td', { class: 'actions' }, redeliver),
        ],
        async () => {
          const full = await api('GET', `/webhooks/deliveries/${delivery.id}`);
          return h(
            'div',
            { class: 'split' },
            h('div', {}, h('h3', { text: 'Body' }), json(full.body)),
            h(
              'div',
              {},
              h('h3', { text: 'Attempts' }),
              table(
                ['When', 'HTTP', 'Took', 'Error'],
                (full.attempts_history || []).map((attempt) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, time(attempt.attempted_at)),
                    h('td', { text: attempt.http_status ?? '—' }),
                    h('td', { text: `${attempt.duration_ms} ms` }),
                    h('td', { class: 'bad-text', text: attempt.error || '' }),
                  ),
                ),
                'Not attempted yet.',
              ),
              h('p', { class: 'muted small', text: `Idempotency id ${full.idempotency_id}` }),
            ),
          );
        },
        10,
      );
    });
    const last = deliveries[deliveries.length - 1];
    show(
      listBox,
      panel(
        'Deliveries',
        [
          filter(
            'Status',
            [
              ['', 'Every status'],
              ['pending', 'Pending'],
              ['delivered', 'Delivered'],
              ['dead', 'Dead'],
            ],
            view,
            'status',
            view.pager,
            reload,
          ),
          connectionFilter(view, reload),
        ],
        table(
          ['#', 'Kind', 'What', 'Connection', 'Destination', 'Status', 'Attempts', 'Last error', 'Created', ''],
          rows,
          'No webhook deliveries yet.',
        ),
        view.pager.controls(deliveries.length === ROWS_PER_PAGE && last ? last.id : null, reload),
      ),
    );
  }

  return {
    async open() {
      show(elements.view, h('div', { class: 'stack' }, settingsBox, listBox));
      await Promise.all([loadSettings(), loadList()]);
    },
    async refresh() {
      if (view.pager.first) await loadList();
    },
  };
}

/** A select of connections for the deliveries and operations filters. */
function connectionFilter(view, reload) {
  const options = view.connections.map((connection) => [
    JSON.stringify([connection.provider_config_key, connection.connection_id]),
    connection.connection_id,
  ]);
  return filter('Connection', [['', 'Every connection'], ...options], view, 'connection', view.pager, reload);
}

// Operations view

function duration(operation) {
  if (!operation.ended_at) return '';
  const ms = Date.parse(operation.ended_at) - Date.parse(operation.started_at);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function operationSummary(operation) {
  const summary = operation.summary || {};
  if (summary.error)
    return typeof summary.error === 'string' ? summary.error : summary.error.message || JSON.stringify(summary.error);
  if ('added' in summary) return `+${summary.added} ~${summary.updated ?? 0} −${summary.deleted ?? 0}`;
  return '';
}

function operationsView(route) {
  const view = {
    kind: '',
    status: '',
    connection: '',
    connections: [],
    pager: new Pager(),
    expanded: new Map(route.operation ? [[route.operation, null]] : []),
  };
  const listBox = h('div');

  async function load() {
    const query = { limit: ROWS_PER_PAGE };
    for (const key of ['kind', 'status']) if (view[key]) query[key] = view[key];
    if (view.pager.cursor) query.before = view.pager.cursor;
    if (view.connection) {
      const [integration, connectionId] = JSON.parse(view.connection);
      query.provider_config_key = integration;
      query.connection_id = connectionId;
    }
    const [operations, connections, linked] = await Promise.all([
      api('GET', '/operations', { query }),
      api('GET', '/connections', { query: { limit: 100 } }),
      route.operation ? api('GET', `/operations/${encodeURIComponent(route.operation)}`).catch(() => null) : null,
    ]);
    view.connections = connections.connections;
    const list = operations.operations;
    // An operation linked from a connection's error is shown even when it is not on this page.
    if (linked && !list.some((operation) => operation.id === linked.id)) list.unshift(linked);
    draw(list);
  }

  function draw(operations) {
    const reload = () => load().catch(report);
    const rows = operations.flatMap((operation) =>
      expandable(
        operation.id,
        view.expanded,
        [
          h('td', {}, time(operation.started_at)),
          h('td', {}, badge(operation.kind, 'info')),
          h('td', { class: 'mono small', text: operation.name }),
          h('td', { class: 'mono small', text: connectionName(view.connections, operation.connection) }),
          h('td', {}, badge(operation.status)),
          h('td', { class: 'numeric', text: duration(operation) }),
          h('td', { class: 'cell', title: operationSummary(operation), text: operationSummary(operation) }),
        ],
        async () => {
          const { messages } = await api('GET', `/operations/${encodeURIComponent(operation.id)}/messages`, {
            query: { limit: 200 },
          });
          return h(
            'div',
            { class: 'split' },
            h(
              'div',
              {},
              h('h3', { text: 'Messages' }),
              messages.length
                ? h(
                    'ol',
                    { class: 'plain-list messages' },
                    messages.map((message) =>
                      h(
                        'li',
                        { class: `level-${message.level}` },
                        h('time', {
                          datetime: message.created_at,
                          text: new Date(message.created_at).toLocaleTimeString(),
                        }),
                        h('span', { class: 'badge', text: message.level }),
                        h('span', { text: message.message }),
                        message.fields ? h('code', { class: 'small', text: JSON.stringify(message.fields) }) : null,
                      ),
                    ),
                  )
                : h('p', { class: 'muted', text: 'No messages.' }),
            ),
            h(
              'div',
              {},
              h('h3', { text: 'Summary' }),
              json(operation.summary),
              h('p', { class: 'muted small mono', text: `id ${operation.id}` }),
            ),
          );
        },
        7,
      ),
    );
    const last = operations[operations.length - 1];
    show(
      listBox,
      panel(
        'Operations',
        [
          filter(
            'Kind',
            [['', 'Every kind'], ...['sync', 'action', 'auth', 'proxy', 'webhook'].map((kind) => [kind, kind])],
            view,
            'kind',
            view.pager,
            reload,
          ),
          filter(
            'Status',
            [['', 'Every status'], ...['running', 'success', 'failed'].map((status) => [status, status])],
            view,
            'status',
            view.pager,
            reload,
          ),
          connectionFilter(view, reload),
        ],
        table(['Started', 'Kind', 'Name', 'Connection', 'Status', 'Took', 'Summary'], rows, 'No operations yet.'),
        view.pager.controls(operations.length >= ROWS_PER_PAGE && last ? last.started_at : null, reload),
      ),
    );
  }

  return {
    async open() {
      show(elements.view, listBox);
      await load();
    },
    async refresh() {
      if (view.pager.first) await load();
    },
  };
}

// Routing, refresh, sign-in

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (parts[0]) {
    case 'webhooks':
      return { view: 'webhooks' };
    case 'operations':
      return { view: 'operations', operation: parts[1] };
    default:
      return { view: 'connections', integration: parts[1], connection: parts[2] };
  }
}

function report(error) {
  if (!signOutOn401(error)) toast(error.message, 'bad');
}

async function route() {
  if (!state.key) return;
  state.route = parseRoute();
  for (const link of elements.nav.querySelectorAll('a')) {
    link.toggleAttribute('aria-current', link.dataset.view === state.route.view);
  }
  const factories = { connections: connectionsView, webhooks: webhooksView, operations: operationsView };
  const current = factories[state.route.view](state.route);
  state.current = current;
  try {
    await current.open();
  } catch (error) {
    report(error);
  }
}

async function tick() {
  if (!state.key || !state.current || state.refreshing || document.hidden) return;
  state.refreshing = true;
  try {
    await state.current.refresh();
  } catch (error) {
    report(error);
  } finally {
    state.refreshing = false;
  }
}

function signIn(key) {
  state.key = key;
  sessionStorage.setItem(KEY_STORAGE, key);
  elements.signIn.hidden = true;
  elements.nav.hidden = false;
  elements.signOut.hidden = false;
  route();
}

function signOut(reason) {
  state.key = null;
  state.current = null;
  sessionStorage.removeItem(KEY_STORAGE);
  show(elements.view);
  elements.nav.hidden = true;
  elements.signOut.hidden = true;
  elements.signIn.hidden = false;
  elements.signInError.hidden = !reason;
  elements.signInError.textContent = reason || '';
  elements.keyInput.value = '';
  elements.keyInput.focus();
}

function applyTheme(theme) {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  elements.theme.textContent = `Theme: ${theme}`;
}

function start() {
  let theme = localStorage.getItem(THEME_STORAGE) || 'system';
  applyTheme(theme);
  elements.theme.addEventListener('click', () => {
    theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
    localStorage.setItem(THEME_STORAGE, theme);
    applyTheme(theme);
  });
  elements.signOut.addEventListener('click', () => signOut());
  elements.signInForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = elements.keyInput.value.trim();
    const button = elements.signInForm.querySelector('button');
    button.disabled = true;
    try {
      await request(location.origin, key, 'GET', '/connections', { query: { limit: 1 } });
      signIn(key);
    } catch (error) {
      elements.signInError.textContent = error.message;
      elements.signInError.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  window.addEventListener('hashchange', route);
  // A key handed over in the fragment (#key=…) never reaches the server or its logs; it is taken
  // once and removed from the address bar and history.
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const handed = fragment.get('key');
  if (handed) history.replaceState(null, '', `${location.pathname}${location.search}`);
  const key = handed || sessionStorage.getItem(KEY_STORAGE);
  if (key) signIn(key);
  else signOut();
  setInterval(tick, REFRESH_MS);
}

start();
