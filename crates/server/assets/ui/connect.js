// The Connect UI: what an app opens (with @nangohq/frontend's `nango.openConnectUI`, or as a
// connect link) so that its customer connects a Snowflake account by key pair.
//
// Nango's iframe protocol: read `apiURL`, `lang`, `theme`, `detectClosedAuthWindow` from the
// query; post {type:"ready"} to the parent and take the session token from its
// {type:"session_token"} answer (or from `?session_token=` in a tab of its own); read the
// session, the integrations and the provider with that token; post the form to
// /auth/jwt/{integration}; tell the parent {type:"connect"}, {type:"error"} or {type:"close"}.

import { ApiError, request } from './api.js';
import { copy, h, show } from './dom.js';
import { canReadKeys, keyKind, publicKeyOf } from './key.js';

const TEXT = {
  en: {
    title: 'Connect {provider}',
    reconnect: 'Reconnect {provider}',
    intro: 'Key-pair authentication. Your private key is sent only to {host}, which stores it encrypted.',
    loading: 'Loading…',
    close: 'Close',
    connect: 'Connect',
    connecting: 'Connecting…',
    tryAgain: 'Try again',
    required: 'This field is required',
    incorrect: 'Incorrect {title}',
    optional: 'optional',
    docs: 'Documentation for {field}',
    chooseFile: 'Choose key file…',
    loaded: 'Loaded {file}',
    show: 'Show',
    hide: 'Hide',
    fingerprint: 'Public key fingerprint',
    register: 'Snowflake must know the public key of this private key. An administrator registers it with:',
    compare: 'Already registered? Compare with RSA_PUBLIC_KEY_FP in DESC USER {user}.',
    copy: 'Copy',
    copied: 'Copied',
    encrypted:
      'This key is encrypted: enter its passphrase. Snowgate uses the passphrase once to read the key and never stores it.',
    insecure:
      'The browser computes the key’s fingerprint only on HTTPS pages; Snowgate checks the key when you connect.',
    unreadable: 'The browser could not read this key ({reason}); Snowgate checks it when you connect.',
    connected: 'Connected',
    connectedText: 'Your {provider} account is connected.',
    closeTab: 'You can now close this tab.',
    done: 'Done',
    failed: 'Snowgate could not connect this account',
    needHelp: 'Need help?',
    guide: 'Read the connection guide',
    noToken: 'This page must be opened from your application: it needs a connect session.',
    choose: 'Choose what to connect',
    noIntegration:
      'This connect session allows no integration. Ask the application to create one with allowed_integrations.',
    leave: 'Leave without connecting?',
    otherOrigin:
      'This Connect UI talks only to the Snowgate server that serves it ({origin}): set apiURL to that server.',
  },
  fr: {
    title: 'Connecter {provider}',
    reconnect: 'Reconnecter {provider}',
    intro: 'Authentification par paire de clés. Votre clé privée n’est envoyée qu’à {host}, qui la stocke chiffrée.',
    loading: 'Chargement…',
    close: 'Fermer',
    connect: 'Connecter',
    connecting: 'Connexion…',
    tryAgain: 'Réessayer',
    required: 'Ce champ est obligatoire',
    incorrect: '{title} incorrect',
    optional: 'facultatif',
    docs: 'Documentation de {field}',
    chooseFile: 'Choisir le fichier de clé…',
    loaded: '{file} chargé',
    show: 'Afficher',
    hide: 'Masquer',
    fingerprint: 'Empreinte de la clé publique',
    register: 'Snowflake doit connaître la clé publique de cette clé privée. Un administrateur l’enregistre avec :',
    compare: 'Déjà enregistrée ? Comparez avec RSA_PUBLIC_KEY_FP dans DESC USER {user}.',
    copy: 'Copier',
    copied: 'Copié',
    encrypted:
      'Cette clé est chiffrée : saisissez sa phrase secrète. Snowgate l’utilise une fois pour lire la clé et ne la stocke jamais.',
    insecure:
      'Le navigateur ne calcule l’empreinte de la clé que sur une page HTTPS ; Snowgate vérifie la clé à la connexion.',
    unreadable: 'Le navigateur n’a pas pu lire cette clé ({reason}) ; Snowgate la vérifie à la connexion.',
    connected: 'Connecté',
    connectedText: 'Votre compte {provider} est connecté.',
    closeTab: 'Vous pouvez fermer cet onglet.',
    done: 'Terminer',
    failed: 'Snowgate n’a pas pu connecter ce compte',
    needHelp: 'Besoin d’aide ?',
    guide: 'Lire le guide de connexion',
    noToken: 'Cette page doit être ouverte depuis votre application : il lui faut une session de connexion.',
    choose: 'Choisissez quoi connecter',
    noIntegration:
      'Cette session de connexion n’autorise aucune intégration. Demandez à l’application d’en créer une avec allowed_integrations.',
    leave: 'Quitter sans connecter ?',
    otherOrigin:
      'Cette interface ne parle qu’au serveur Snowgate qui la sert ({origin}) : donnez son adresse dans apiURL.',
  },
  de: {
    title: '{provider} verbinden',
    reconnect: '{provider} erneut verbinden',
    intro:
      'Schlüsselpaar-Authentifizierung. Ihr privater Schlüssel wird nur an {host} gesendet und dort verschlüsselt gespeichert.',
    loading: 'Wird geladen…',
    close: 'Schließen',
    connect: 'Verbinden',
    connecting: 'Verbinde…',
    tryAgain: 'Erneut versuchen',
    required: 'Dieses Feld ist erforderlich',
    incorrect: '{title} ist ungültig',
    optional: 'optional',
    docs: 'Dokumentation zu {field}',
    chooseFile: 'Schlüsseldatei wählen…',
    loaded: '{file} geladen',
    show: 'Anzeigen',
    hide: 'Verbergen',
    fingerprint: 'Fingerabdruck des öffentlichen Schlüssels',
    register:
      'Snowflake muss den öffentlichen Schlüssel dieses privaten Schlüssels kennen. Ein Administrator registriert ihn mit:',
    compare: 'Bereits registriert? Vergleichen Sie mit RSA_PUBLIC_KEY_FP in DESC USER {user}.',
    copy: 'Kopieren',
    copied: 'Kopiert',
    encrypted:
      'Dieser Schlüssel ist verschlüsselt: Geben Sie seine Passphrase ein. Snowgate verwendet sie einmal zum Lesen des Schlüssels und speichert sie nie.',
    insecure:
      'Der Browser berechnet den Fingerabdruck nur auf HTTPS-Seiten; Snowgate prüft den Schlüssel beim Verbinden.',
    unreadable: 'Der Browser konnte diesen Schlüssel nicht lesen ({reason}); Snowgate prüft ihn beim Verbinden.',
    connected: 'Verbunden',
    connectedText: 'Ihr {provider}-Konto ist verbunden.',
    closeTab: 'Sie können diesen Tab jetzt schließen.',
    done: 'Fertig',
    failed: 'Snowgate konnte dieses Konto nicht verbinden',
    needHelp: 'Hilfe nötig?',
    guide: 'Verbindungsanleitung lesen',
    noToken: 'Diese Seite muss aus Ihrer Anwendung geöffnet werden: Sie braucht eine Verbindungssitzung.',
    choose: 'Wählen Sie, was verbunden werden soll',
    noIntegration:
      'Diese Verbindungssitzung erlaubt keine Integration. Bitten Sie die Anwendung, eine mit allowed_integrations zu erstellen.',
    leave: 'Ohne Verbinden verlassen?',
    otherOrigin:
      'Diese Oberfläche spricht nur mit dem Snowgate-Server, der sie ausliefert ({origin}): Setzen Sie apiURL auf diesen Server.',
  },
  es: {
    title: 'Conectar {provider}',
    reconnect: 'Volver a conectar {provider}',
    intro: 'Autenticación por par de claves. Su clave privada solo se envía a {host}, que la guarda cifrada.',
    loading: 'Cargando…',
    close: 'Cerrar',
    connect: 'Conectar',
    connecting: 'Conectando…',
    tryAgain: 'Reintentar',
    required: 'Este campo es obligatorio',
    incorrect: '{title} incorrecto',
    optional: 'opcional',
    docs: 'Documentación de {field}',
    chooseFile: 'Elegir archivo de clave…',
    loaded: '{file} cargado',
    show: 'Mostrar',
    hide: 'Ocultar',
    fingerprint: 'Huella de la clave pública',
    register: 'Snowflake debe conocer la clave pública de esta clave privada. Un administrador la registra con:',
    compare: '¿Ya registrada? Compare con RSA_PUBLIC_KEY_FP en DESC USER {user}.',
    copy: 'Copiar',
    copied: 'Copiado',
    encrypted:
      'Esta clave está cifrada: introduzca su frase de contraseña. Snowgate la usa una vez para leer la clave y nunca la guarda.',
    insecure:
      'El navegador solo calcula la huella de la clave en páginas HTTPS; Snowgate comprueba la clave al conectar.',
    unreadable: 'El navegador no pudo leer esta clave ({reason}); Snowgate la comprueba al conectar.',
    connected: 'Conectado',
    connectedText: 'Su cuenta de {provider} está conectada.',
    closeTab: 'Ya puede cerrar esta pestaña.',
    done: 'Listo',
    failed: 'Snowgate no pudo conectar esta cuenta',
    needHelp: '¿Necesita ayuda?',
    guide: 'Leer la guía de conexión',
    noToken: 'Esta página debe abrirse desde su aplicación: necesita una sesión de conexión.',
    choose: 'Elija qué conectar',
    noIntegration:
      'Esta sesión de conexión no permite ninguna integración. Pida a la aplicación que cree una con allowed_integrations.',
    leave: '¿Salir sin conectar?',
    otherOrigin:
      'Esta interfaz solo habla con el servidor Snowgate que la sirve ({origin}): ponga ese servidor en apiURL.',
  },
};

/** Nango's `errorType` values; any other server code is reported as `unknown_error`. */
const ERROR_TYPES = new Set([
  'missing_auth_token',
  'blocked_by_browser',
  'invalid_host_url',
  'missing_credentials',
  'window_closed',
  'connection_test_failed',
  'missing_connect_session_token',
  'connection_validation_failed',
  'resource_capped',
  'unknown_error',
]);

/** The field whose value is the private key, and the one that unlocks an encrypted key. */
const KEY_FIELD = 'privateKey';
const PASSPHRASE_FIELD = 'privateKeyPassphrase';
/** How long to wait for the parent's session token before saying the page was opened wrongly. */
const TOKEN_WAIT_MS = 10000;

const query = new URLSearchParams(location.search);
const apiURL = (query.get('apiURL') || location.origin).replace(/\/+$/, '');
const embedded = window.parent !== window;
const language = pickLanguage(query.get('lang'));
const card = document.getElementById('card');

const state = {
  token: null,
  session: null,
  integration: null,
  provider: null,
  busy: false,
  dirty: false,
  connected: false,
};

function pickLanguage(requested) {
  for (const candidate of [requested, ...navigator.languages]) {
    const base = (candidate || '').toLowerCase().split('-')[0];
    if (TEXT[base]) return base;
  }
  return 'en';
}

function t(key, values = {}) {
  const template = TEXT[language][key] ?? TEXT.en[key];
  return template.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? '');
}

/** Posts a protocol message to the embedding page (none in a tab of its own). */
function tell(message) {
  if (embedded) window.parent.postMessage(message, '*');
}

function fail(errorType, errorMessage) {
  tell({
    type: 'error',
    payload: { errorType: ERROR_TYPES.has(errorType) ? errorType : 'unknown_error', errorMessage },
  });
}

// Theme: `theme` in the query wins over the session's default; colours come from the session.
function applyTheme(theme) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

/** Black or white, whichever reads better on `hex` (WCAG contrast). */
function readableOn(hex) {
  const channels = hex
    .slice(1)
    .match(/../g)
    .map((pair) => {
      const value = parseInt(pair, 16) / 255;
      return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
    });
  const luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? '#ffffff' : '#06121a';
}

function applySettings(settings) {
  if (!settings) return;
  if (!query.get('theme')) applyTheme(settings.defaultTheme);
  const style = document.documentElement.style;
  for (const scheme of ['light', 'dark']) {
    const color = settings.theme && settings.theme[scheme] && settings.theme[scheme].primary;
    if (typeof color === 'string' && /^#[0-9a-f]{6}$/i.test(color)) {
      style.setProperty(`--brand-${scheme}`, color);
      style.setProperty(`--on-brand-${scheme}`, readableOn(color));
    }
  }
}

function api(method, path, options = {}) {
  return request(apiURL, state.token, method, path, options);
}

// Views

function header(title) {
  return h(
    'header',
    { class: 'head' },
    state.integration ? h('img', { class: 'logo', src: state.integration.logo, alt: '', width: 40, height: 40 }) : null,
    h('h1', { id: 'title', text: title }),
    embedded
      ? h('button', {
          class: 'button quiet icon',
          type: 'button',
          'aria-label': t('close'),
          title: t('close'),
          onclick: requestClose,
          text: '×',
        })
      : null,
  );
}

function render(...children) {
  show(card, ...children);
  card.removeAttribute('aria-busy');
}

function renderLoading() {
  card.setAttribute('aria-busy', 'true');
  show(
    card,
    h(
      'div',
      { class: 'center' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      h('span', { text: t('loading') }),
    ),
  );
}

function renderFatal(message) {
  render(header(t('failed')), h('div', { class: 'alert bad', role: 'alert' }, message));
}

function docsLink() {
  const override = state.session.overrides && state.session.overrides[state.integration.unique_key];
  return (override && override.docs_connect) || state.provider.docs_connect || null;
}

function providerName() {
  return state.integration.display_name || state.provider.display_name || state.integration.provider;
}

/** The form's fields in display order: connection_config first by `order`, then credentials. */
function fieldsOf(provider, preconfigured) {
  const fields = [];
  const add = (kind, definitions) => {
    for (const [name, definition] of Object.entries(definitions || {})) {
      if (definition.automated) continue;
      const fixed = kind === 'params' && preconfigured[name] !== undefined;
      fields.push({
        kind,
        name,
        definition,
        id: `field-${kind}-${name}`,
        hidden: fixed || Boolean(definition.hidden),
        value: fixed ? String(preconfigured[name]) : (definition.default_value ?? ''),
        order: definition.order ?? 100 + fields.length,
      });
    }
  };
  add('params', provider.connection_config);
  add('credentials', provider.credentials);
  return fields.sort((a, b) => a.order - b.order);
}

function renderChooser(integrations) {
  render(
    header(t('choose')),
    h(
      'ul',
      { class: 'plain-list choices' },
      integrations.map((integration) =>
        h(
          'li',
          {},
          h(
            'button',
            { class: 'choice', type: 'button', onclick: () => openIntegration(integration).catch(renderFailure) },
            h('img', { src: integration.logo, alt: '', width: 28, height: 28 }),
            h('span', { text: integration.display_name || integration.unique_key }),
            h('span', { class: 'muted small mono', text: integration.unique_key }),
          ),
        ),
      ),
    ),
  );
}

function renderForm() {
  const preconfigured =
    (state.session.integrations_config_defaults &&
      state.session.integrations_config_defaults[state.integration.unique_key] &&
      state.session.integrations_config_defaults[state.integration.unique_key].connection_config) ||
    {};
  const fields = fieldsOf(state.provider, preconfigured);
  const docs = docsLink();
  const alert = h('div', { class: 'alert bad', role: 'alert', hidden: true });
  const submit = h('button', { class: 'button primary wide', type: 'submit', text: t('connect') });
  const keyPanel = h('div', { class: 'key-panel', 'aria-live': 'polite', hidden: true });
  const inputs = new Map();

  const field = (spec) => {
    const { definition, id, name } = spec;
    const title = definition.title || name;
    const hint = definition.description
      ? h('p', { class: 'hint', id: `${id}-hint`, text: definition.description })
      : null;
    const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    const described = [hint && `${id}-hint`, `${id}-error`].filter(Boolean).join(' ');
    const common = {
      id,
      name,
      'aria-describedby': described,
      'aria-required': definition.optional ? 'false' : 'true',
      autocomplete: 'off',
      autocapitalize: 'off',
      spellcheck: 'false',
      placeholder: definition.example || '',
      value: spec.value,
    };
    let control;
    let tools = null;
    if (name === KEY_FIELD) {
      control = h('textarea', { ...common, rows: 5, class: 'masked', oninput: () => analyseKey() });
      const file = h('input', {
        type: 'file',
        id: `${id}-file`,
        class: 'visually-hidden',
        accept: '.p8,.pem,.key,.txt',
        onchange: async () => {
          if (file.files[0]) await loadKeyFile(file.files[0]);
          file.value = '';
        },
      });
      const toggle = h('button', {
        class: 'button small',
        type: 'button',
        'aria-pressed': 'false',
        'aria-controls': id,
        text: t('show'),
        onclick: () => {
          const masked = control.classList.toggle('masked');
          toggle.setAttribute('aria-pressed', String(!masked));
          toggle.textContent = masked ? t('show') : t('hide');
        },
      });
      const loaded = h('span', { class: 'muted small', 'aria-live': 'polite' });
      const loadKeyFile = async (picked) => {
        control.value = await picked.text();
        loaded.textContent = t('loaded', { file: picked.name });
        control.dispatchEvent(new Event('input'));
      };
      control.addEventListener('dragover', (event) => event.preventDefault());
      control.addEventListener('drop', async (event) => {
        const dropped = event.dataTransfer && event.dataTransfer.files[0];
        if (!dropped) return;
        event.preventDefault();
        await loadKeyFile(dropped);
      });
      tools = h(
        'div',
        { class: 'tools' },
        h('label', { class: 'button small', for: `${id}-file`, text: t('chooseFile') }),
        file,
        toggle,
        loaded,
      );
    } else {
      control = h('input', { ...common, type: definition.secret ? 'password' : 'text' });
    }
    // Checked on submit, then as the user corrects it: checking on blur would move the button
    // between the press and the release of a click on it.
    control.addEventListener('input', () => {
      state.dirty = true;
      if (!error.hidden) validate(spec);
    });
    inputs.set(spec, { control, error });
    const docLink =
      docs && definition.doc_section
        ? h('a', {
            class: 'doc',
            href: `${docs}${definition.doc_section}`,
            target: '_blank',
            rel: 'noopener noreferrer',
            'aria-label': t('docs', { field: title }),
            title: t('docs', { field: title }),
            text: '?',
          })
        : null;
    return h(
      'div',
      { class: 'field', hidden: spec.hidden || name === PASSPHRASE_FIELD },
      h(
        'div',
        { class: 'field-head' },
        h('label', { for: id, text: title }),
        definition.optional ? null : h('span', { class: 'required', 'aria-hidden': 'true', text: '*' }),
        definition.optional ? h('span', { class: 'badge', text: t('optional') }) : null,
        docLink,
      ),
      hint,
      control,
      tools,
      error,
    );
  };

  const rendered = fields.map(field);
  const shown = (spec) => !rendered[fields.indexOf(spec)].hidden;
  const valueOf = (spec) => {
    const raw = inputs.get(spec).control.value;
    return spec.definition.secret ? raw : raw.trim();
  };

  /** Checks one field like Nango's Connect UI: required, then `pattern` ("Incorrect <title>"). */
  function validate(spec) {
    const { control, error } = inputs.get(spec);
    if (!shown(spec)) return true;
    const value = valueOf(spec);
    let problem = null;
    if (!value && !spec.definition.optional) problem = t('required');
    else if (value && spec.definition.pattern && !new RegExp(spec.definition.pattern).test(value))
      problem = t('incorrect', { title: spec.definition.title || spec.name });
    error.textContent = problem || '';
    error.hidden = !problem;
    control.setAttribute('aria-invalid', String(Boolean(problem)));
    return !problem;
  }

  const keySpec = fields.find((spec) => spec.name === KEY_FIELD && spec.kind === 'credentials');
  const passphraseSpec = fields.find((spec) => spec.name === PASSPHRASE_FIELD && spec.kind === 'credentials');
  const userSpec = fields.find((spec) => spec.name === 'userName' && spec.kind === 'credentials');
  let analysis = 0;

  /** Shows the key's fingerprint and the statement that registers it, or why it cannot. */
  async function analyseKey() {
    const run = (analysis += 1);
    const text = inputs.get(keySpec).control.value;
    const kind = keyKind(text);
    if (passphraseSpec) rendered[fields.indexOf(passphraseSpec)].hidden = kind !== 'encrypted';
    if (kind === 'empty' || kind === 'unknown') {
      keyPanel.hidden = true;
      return;
    }
    if (kind === 'encrypted') {
      show(keyPanel, h('p', { class: 'small', text: t('encrypted') }));
    } else if (!canReadKeys()) {
      show(keyPanel, h('p', { class: 'small muted', text: t('insecure') }));
    } else {
      try {
        const key = await publicKeyOf(text);
        if (run !== analysis) return;
        const user = (userSpec && valueOf(userSpec)) || 'MYUSER';
        const quoted = /^[A-Za-z_][A-Za-z0-9_$]*$/.test(user) ? user : `"${user.replace(/"/g, '""')}"`;
        const statement = `ALTER USER ${quoted} SET RSA_PUBLIC_KEY='${key.publicKey}';`;
        const copyButton = h('button', {
          class: 'button small',
          type: 'button',
          text: t('copy'),
          onclick: async () => {
            if (await copy(statement)) copyButton.textContent = t('copied');
          },
        });
        show(
          keyPanel,
          h(
            'div',
            { class: 'key-line' },
            h('span', { class: 'small muted', text: `${t('fingerprint')} (RSA ${key.bits})` }),
            h('code', { id: 'key-fingerprint', class: 'fingerprint', text: key.fingerprint }),
          ),
          h('p', { class: 'small', text: t('register') }),
          h('div', { class: 'statement' }, h('pre', { id: 'key-statement', text: statement }), copyButton),
          h('p', { class: 'small muted', text: t('compare', { user: quoted }) }),
        );
      } catch (error) {
        if (run !== analysis) return;
        show(
          keyPanel,
          h('p', { class: 'small muted', text: t('unreadable', { reason: error.message || error.name }) }),
        );
      }
    }
    keyPanel.hidden = false;
  }

  if (userSpec && keySpec) inputs.get(userSpec).control.addEventListener('change', () => analyseKey());

  const form = h(
    'form',
    {
      class: 'form',
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        if (state.busy) return;
        const invalid = fields.filter((spec) => !validate(spec));
        if (invalid.length) {
          inputs.get(invalid[0]).control.focus();
          return;
        }
        const params = {};
        const credentials = {};
        for (const spec of fields) {
          if (spec.name === PASSPHRASE_FIELD && !shown(spec)) continue;
          const value = valueOf(spec);
          if (spec.kind === 'params') params[spec.name] = value;
          else if (value) credentials[spec.name] = value;
        }
        credentials.type = 'JWT';
        alert.hidden = true;
        state.busy = true;
        submit.disabled = true;
        show(submit, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('connecting'));
        try {
          const search = new URLSearchParams({ connect_session_token: state.token });
          for (const [key, value] of Object.entries(params)) search.append(`params[${key}]`, value);
          const result = await api('POST', `/auth/jwt/${encodeURIComponent(state.integration.unique_key)}`, {
            query: search,
            body: credentials,
          });
          for (const { control } of inputs.values()) control.value = '';
          state.connected = true;
          tell({
            type: 'connect',
            payload: { connectionId: result.connectionId, providerConfigKey: result.providerConfigKey },
          });
          renderSuccess();
        } catch (error) {
          const message = describe(error);
          show(alert, h('div', {}, h('strong', { text: t('failed') }), h('p', { id: 'connect-error', text: message })));
          alert.hidden = false;
          submit.textContent = t('tryAgain');
          fail(error instanceof ApiError ? error.code : 'unknown_error', message);
          alert.scrollIntoView({ block: 'nearest' });
        } finally {
          state.busy = false;
          submit.disabled = false;
        }
      },
    },
    rendered.slice(0, keySpec ? fields.indexOf(keySpec) + 1 : rendered.length),
    keyPanel,
    keySpec ? rendered.slice(fields.indexOf(keySpec) + 1) : null,
    alert,
    submit,
  );

  const host = new URL(apiURL).host;
  render(
    header(t(state.session.isReconnecting ? 'reconnect' : 'title', { provider: providerName() })),
    h('p', { class: 'intro muted small', text: t('intro', { host }) }),
    form,
    docs
      ? h(
          'p',
          { class: 'help small muted' },
          `${t('needHelp')} `,
          h('a', { href: docs, target: '_blank', rel: 'noopener noreferrer', text: t('guide') }),
        )
      : null,
  );
  const first = fields.find((spec) => shown(spec));
  if (first) inputs.get(first).control.focus();
}

function renderSuccess() {
  render(
    header(t('connected')),
    h(
      'div',
      { class: 'success' },
      h('div', { class: 'tick', 'aria-hidden': 'true', text: '✓' }),
      h('p', { id: 'connect-success', text: t('connectedText', { provider: providerName() }) }),
      embedded
        ? h('button', { class: 'button primary wide', type: 'button', text: t('done'), onclick: requestClose })
        : h('p', { class: 'muted', text: t('closeTab') }),
    ),
  );
}

// Flow

async function openIntegration(integration) {
  state.integration = integration;
  renderLoading();
  state.provider = (
    await api('GET', `/providers/${encodeURIComponent(integration.provider)}`, {
      headers: { 'Accept-Language': language },
    })
  ).data;
  renderForm();
}

async function begin(token) {
  if (token === state.token) return;
  state.token = token;
  renderLoading();
  try {
    const [session, integrations] = await Promise.all([api('GET', '/connect/session'), api('GET', '/integrations')]);
    state.session = session.data;
    applySettings(state.session.connectUISettings);
    const list = integrations.data;
    if (list.length === 0) {
      renderFatal(t('noIntegration'));
      fail('unknown_error', t('noIntegration'));
    } else if (list.length === 1) {
      await openIntegration(list[0]);
    } else {
      renderChooser(list);
    }
  } catch (error) {
    renderFailure(error);
  }
}

/** What went wrong, in the server's words; an API on another origin is refused by the page's policy. */
function describe(error) {
  if (!(error instanceof ApiError)) return String(error);
  if (error.status === 0 && new URL(apiURL).origin !== location.origin) {
    return `${error.message}. ${t('otherOrigin', { origin: location.origin })}`;
  }
  return error.message;
}

/** Shows why the session or the provider could not be read, and tells the parent. */
function renderFailure(error) {
  const message = describe(error);
  renderFatal(message);
  fail(error instanceof ApiError && error.status === 401 ? 'missing_connect_session_token' : 'unknown_error', message);
}

function requestClose() {
  if (state.busy) return;
  if (state.dirty && !state.connected && !window.confirm(t('leave'))) return;
  if (embedded) tell({ type: 'close' });
  else window.close();
}

function start() {
  document.documentElement.lang = language;
  document.body.classList.toggle('embedded', embedded);
  applyTheme(query.get('theme'));
  // detectClosedAuthWindow concerns OAuth pop-ups; key-pair connections open none.
  window.addEventListener('message', (event) => {
    if (event.source !== window.parent || !event.data || typeof event.data !== 'object') return;
    if (event.data.type === 'session_token' && typeof event.data.sessionToken === 'string')
      begin(event.data.sessionToken);
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && embedded) requestClose();
  });
  document.getElementById('backdrop').addEventListener('click', (event) => {
    if (event.target === event.currentTarget && embedded) requestClose();
  });
  renderLoading();
  tell({ type: 'ready' });
  const inQuery = query.get('session_token');
  if (inQuery) {
    // The token is a credential: keep it out of the address bar, history and bookmarks.
    query.delete('session_token');
    const rest = query.toString();
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}`);
    begin(inQuery);
  } else if (!embedded) {
    renderFatal(t('noToken'));
  } else {
    setTimeout(() => {
      if (state.token) return;
      renderFatal(t('noToken'));
      fail('missing_connect_session_token', t('noToken'));
    }, TOKEN_WAIT_MS);
  }
}

start();
