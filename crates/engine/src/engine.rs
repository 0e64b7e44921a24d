//! [`Engine`], the facade the HTTP API and the CLI call: connections, syncs, actions, webhooks and
//! the background tasks. Every rule lives behind it; callers only shape requests and responses.
//!
//! An `Engine` is cheap to clone (an `Arc` inside) and holds the store, the configuration, the
//! shared HTTP client and a cache of Snowflake clients per connection.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::{Value, json};
use snowgate_snowflake::Client;
use snowgate_store::{
    AnyStore, Connection, ConnectionFilter, ConnectionPk, DeliveryId, Integration, ModelCounts,
    ModelKey, NewIntegration, NewJob, RunStatus, SecretJson, Store, SyncState, setting,
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    action_runner,
    catalog::Frequency,
    config::{EngineConfig, ProcessRole},
    connect, dispatch,
    error::{ActionError, ConnectError, EngineError, SyncControlError},
    health, runner, scheduler,
    syncs::{self, ConfiguredSync},
    webhooks::WebhookUrl,
    worker,
};

/// The engine. See the [module documentation](self).
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: AnyStore,
    pub(crate) config: EngineConfig,
    pub(crate) http: reqwest::Client,
    pub(crate) syncs: Vec<ConfiguredSync>,
    clients: Mutex<HashMap<ConnectionPk, (DateTime<Utc>, Client)>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("store", &self.inner.store.backend())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// A request to create (or overwrite) a key-pair connection.
#[derive(Debug, Clone)]
pub struct CreateConnection {
    /// The integration (provider config key); it must exist.
    pub integration: String,
    /// The connection id; `None` generates a UUID.
    pub connection_id: Option<String>,
    /// Non-secret configuration: `subdomain` (Nango's host part, `<subdomain>.snowflakecomputing.com`)
    /// and `base_url` (Snowgate's override of the whole base URL, e.g. a PrivateLink host or the
    /// emulator).
    pub connection_config: Value,
    /// The credentials as posted: `accountIdentifier`, `userName`, `privateKey` (PKCS#8 plain or
    /// encrypted, or PKCS#1, with literal `\n` accepted), `privateKeyPassphrase` for encrypted keys.
    /// Other keys are kept, as Nango spreads the whole body in.
    pub credentials: SecretJson,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The end user profile of a connect session.
    pub end_user: Option<Value>,
    /// Replaces the environment's webhook URLs for this connection.
    pub webhook_url_override: Option<WebhookUrl>,
    /// Metadata of a new connection (`None`: `{}`); an existing connection keeps its metadata.
    pub metadata: Option<Value>,
    /// A reconnect: the connection must exist, and keeps its id.
    pub reconnect: bool,
}

/// A created or overwritten connection.
#[derive(Debug, Clone)]
pub struct CreatedConnection {
    /// The connection as stored.
    pub connection: Connection,
    /// `true` if it is new (auth webhook `creation`), `false` if it was overwritten (`override`).
    pub created: bool,
}

/// The outcome of a credential check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialCheck {
    /// Snowflake accepted the key.
    Valid,
    /// Snowflake refused the key; the connection has an `auth` error.
    Rejected {
        /// Why (Snowflake's answer with the likely cause).
        reason: String,
    },
    /// Snowflake could not be reached or failed; nothing was changed.
    Unreachable {
        /// Why.
        reason: String,
    },
}

/// Which connections a sync operation applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncTarget {
    /// One connection.
    Connection(ConnectionPk),
    /// Every connection of an integration.
    Integration(String),
}

/// One sync (and variant) named in a request; `variant: None` is `base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSelector {
    /// The sync's name.
    pub name: String,
    /// The variant; `None` means `base`.
    pub variant: Option<String>,
}

impl SyncSelector {
    /// The base variant of `name`.
    pub fn base(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            variant: None,
        }
    }

    fn variant(&self) -> &str {
        self.variant.as_deref().unwrap_or(BASE_VARIANT)
    }
}

/// The variant every sync has.
pub const BASE_VARIANT: &str = "base";

/// Options of a manual trigger (`opts` of `POST /sync/trigger`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TriggerOpts {
    /// Forget the checkpoint and run a full sync.
    pub reset: bool,
    /// Delete the sync's records first (requires `reset`): everything is reported added again.
    pub empty_cache: bool,
}

/// Nango's sync status values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatusKind {
    /// A run is in progress.
    Running,
    /// Paused (never scheduled).
    Paused,
    /// Never ran, or the last run was cancelled.
    Stopped,
    /// The last run succeeded.
    Success,
    /// The last run failed.
    Error,
}

impl SyncStatusKind {
    /// `RUNNING`, `PAUSED`, `STOPPED`, `SUCCESS` or `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Stopped => "STOPPED",
            Self::Success => "SUCCESS",
            Self::Error => "ERROR",
        }
    }
}

/// One sync of one connection, as `GET /sync/status` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncStatus {
    /// The sync's id.
    pub id: snowgate_store::SyncId,
    /// The connection's id (Nango's `connection_id`).
    pub connection_id: String,
    /// The sync's name.
    pub name: String,
    /// The variant.
    pub variant: String,
    /// Its status.
    pub status: SyncStatusKind,
    /// When the latest run finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// When it runs next (`None` when paused).
    pub next_scheduled_sync_at: Option<DateTime<Utc>>,
    /// The frequency in effect, as text (`every hour`).
    pub frequency: String,
    /// The latest run's changes per model.
    pub latest_result: BTreeMap<String, ModelCounts>,
    /// Live records per model.
    pub record_count: BTreeMap<String, i64>,
    /// The checkpoint (of an unfinished full run, or an incremental sync's watermark).
    pub checkpoint: Option<Value>,
}

/// The environment's webhook settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The primary destination.
    pub primary_url: Option<String>,
    /// The secondary destination.
    pub secondary_url: Option<String>,
    /// The HMAC signing key (generated on first use).
    pub signing_key: SecretString,
    /// Send `auth` `creation` webhooks.
    pub on_auth_creation: bool,
    /// Send `auth` `refresh` failure webhooks.
    pub on_auth_refresh_error: bool,
    /// Send a sync webhook after every successful run, even without changes.
    pub on_sync_completion_always: bool,
    /// Send sync failure webhooks.
    pub on_sync_error: bool,
    /// Send `async_action` webhooks.
    pub on_async_action_completion: bool,
    /// Send `auth` `deletion` webhooks.
    pub on_connection_deletion: bool,
}

/// A partial update of the webhook settings; `None` leaves a field as it is, `Some(None)` clears
/// a URL.
#[derive(Debug, Clone, Default)]
pub struct WebhookSettingsUpdate {
    /// The primary destination.
    pub primary_url: Option<Option<WebhookUrl>>,
    /// The secondary destination.
    pub secondary_url: Option<Option<WebhookUrl>>,
    /// A new signing key.
    pub signing_key: Option<SecretString>,
    /// See [`WebhookSettings::on_auth_creation`].
    pub on_auth_creation: Option<bool>,
    /// See [`WebhookSettings::on_auth_refresh_error`].
    pub on_auth_refresh_error: Option<bool>,
    /// See [`WebhookSettings::on_sync_completion_always`].
    pub on_sync_completion_always: Option<bool>,
    /// See [`WebhookSettings::on_sync_error`].
    pub on_sync_error: Option<bool>,
    /// See [`WebhookSettings::on_async_action_completion`].
    pub on_async_action_completion: Option<bool>,
    /// See [`WebhookSettings::on_connection_deletion`].
    pub on_connection_deletion: Option<bool>,
}

impl Engine {
    /// An engine over `store`. Checks the configuration and the custom sync declarations.
    pub async fn new(
        store: AnyStore,
        config: EngineConfig,
        http: reqwest::Client,
    ) -> Result<Self, EngineError> {
        config.validate().map_err(EngineError::Invalid)?;
        let syncs = syncs::configured(&config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                config,
                http,
                syncs,
                clients: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The store.
    pub fn store(&self) -> &AnyStore {
        &self.inner.store
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// Creates the integration `unique_key` (provider `snowflake-jwt`) if it does not exist.
    pub async fn ensure_integration(&self, unique_key: &str) -> Result<Integration, EngineError> {
        if let Some(existing) = self.inner.store.integration(unique_key).await? {
            return Ok(existing);
        }
        Ok(self
            .inner
            .store
            .upsert_integration(&NewIntegration {
                unique_key: unique_key.to_owned(),
                provider: connect::PROVIDER.to_owned(),
                display_name: None,
                config: json!({}),
            })
            .await?)
    }

    /// Starts the background tasks `role` runs (none for [`ProcessRole::Api`]): the scheduler,
    /// the workers (sync runs and async actions, under leases with heartbeats), the webhook
    /// dispatcher and the credential health checker. They stop when `shutdown` is cancelled; runs
    /// in flight save their checkpoint and stop, undelivered webhooks stay in the outbox.
    pub fn spawn_background(&self, role: ProcessRole, shutdown: CancellationToken) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        if role.runs_background() {
            scheduler::spawn(self, &shutdown, &mut tasks);
            worker::spawn(self, &shutdown, &mut tasks);
            dispatch::spawn(self, &shutdown, &mut tasks);
            health::spawn(self, &shutdown, &mut tasks);
        }
        tasks
    }

    // ---- connections ----

    /// Creates or overwrites a key-pair connection: reads and normalises the key (stored as
    /// unencrypted PKCS#8 PEM, sealed at rest), checks the credentials with `SELECT
    /// CURRENT_TIMESTAMP` and answers the real cause on failure, upserts the connection, creates
    /// its syncs (scheduling those with autoStart) and enqueues the auth webhook.
    pub async fn create_jwt_connection(
        &self,
        request: CreateConnection,
    ) -> Result<CreatedConnection, ConnectError> {
        let created = connect::create(self, request).await?;
        self.forget_client(created.connection.id);
        Ok(created)
    }

    /// Deletes a connection with its syncs, runs, jobs and records, and enqueues the `deletion`
    /// auth webhook when enabled. Returns whether it existed.
    pub async fn delete_connection(&self, connection: ConnectionPk) -> Result<bool, EngineError> {
        let deleted = connect::delete(self, connection).await?;
        self.forget_client(connection);
        Ok(deleted)
    }

    /// The connection's credentials in Nango's shape (`type`, `accountIdentifier`, `userName`,
    /// `privateKey`, `token`, `expires_at`), re-signing the JWT first when it expires within 15
    /// minutes or when `force` is set (the stored `token` and `expires_at` are updated).
    pub async fn refresh_token(
        &self,
        connection: ConnectionPk,
        force: bool,
    ) -> Result<SecretJson, EngineError> {
        connect::refresh_token(self, connection, force).await
    }

    /// A Snowflake client for the connection (cached; rebuilt when the connection changes). The
    /// proxy uses its bearer token and base URL.
    pub async fn snowflake_client(&self, connection: ConnectionPk) -> Result<Client, EngineError> {
        let stored = self
            .inner
            .store
            .connection_by_pk(connection)
            .await?
            .ok_or(EngineError::UnknownConnection(connection))?;
        if let Some((updated_at, client)) = self.clients().get(&connection)
            && *updated_at == stored.updated_at
        {
            return Ok(client.clone());
        }
        let client = connect::client_for(self, &stored).await?;
        self.clients()
            .insert(connection, (stored.updated_at, client.clone()));
        Ok(client)
    }

    /// Makes the jobs held by background workers (not foreground `sync run`s) claimable at once,
    /// as if their leases had run out. Only for a process that knows no other process's workers
    /// are alive — an embedded server holding its data directory's lock — and before it starts
    /// its own. Returns how many jobs were released.
    pub async fn release_dead_workers_jobs(&self) -> Result<u64, EngineError> {
        Ok(self
            .inner
            .store
            .expire_leases(crate::worker::WORKER_PREFIX, Utc::now())
            .await?)
    }

    /// Records that Snowflake just accepted the connection's key (the proxy calls it after an
    /// authenticated answer): clears its `auth` error and enqueues the recovery webhook, once.
    pub async fn note_authenticated(&self, connection: ConnectionPk) -> Result<(), EngineError> {
        if let Some(stored) = self.inner.store.connection_by_pk(connection).await? {
            health::record_success(self, &stored).await?;
        }
        Ok(())
    }

    fn clients(&self) -> std::sync::MutexGuard<'_, HashMap<ConnectionPk, (DateTime<Utc>, Client)>> {
        self.inner
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn forget_client(&self, connection: ConnectionPk) {
        self.clients().remove(&connection);
    }

    /// Checks one connection's key now (`SELECT CURRENT_TIMESTAMP`): a refusal sets the
    /// connection's `auth` error and, on the transition, enqueues the `refresh` failure webhook;
    /// a success clears the error.
    pub async fn check_credentials(
        &self,
        connection: ConnectionPk,
    ) -> Result<CredentialCheck, EngineError> {
        health::check(self, connection).await
    }

    // ---- syncs ----

    /// The syncs every connection has: the eight built-in ones and the custom syncs of the
    /// configuration.
    pub fn configured_syncs(&self) -> &[ConfiguredSync] {
        &self.inner.syncs
    }

    /// The definition of the sync `name`.
    pub fn configured_sync(&self, name: &str) -> Option<&ConfiguredSync> {
        self.inner.syncs.iter().find(|d| d.name == name)
    }

    /// Runs the selected syncs now (all syncs when `syncs` is empty). A sync with a run queued or
    /// in progress is left alone, unless `opts.reset` is set and the run is only queued, in which
    /// case it is queued again with the reset.
    pub async fn trigger(
        &self,
        target: &SyncTarget,
        syncs: &[SyncSelector],
        opts: TriggerOpts,
    ) -> Result<(), SyncControlError> {
        for state in self.selected_syncs(target, syncs).await? {
            runner::enqueue(self, &state, opts, true).await?;
        }
        Ok(())
    }

    /// Resumes the selected syncs and runs them now (no effect on a sync already running).
    pub async fn start(
        &self,
        target: &SyncTarget,
        syncs: &[SyncSelector],
    ) -> Result<(), SyncControlError> {
        for state in self.selected_syncs(target, syncs).await? {
            self.inner.store.set_sync_paused(state.id, false).await?;
            self.inner
                .store
                .set_next_run(state.id, Some(Utc::now()))
                .await?;
            runner::enqueue(self, &state, TriggerOpts::default(), false).await?;
        }
        Ok(())
    }

    /// Pauses the selected syncs: they are no longer scheduled (a scheduled run still queued is
    /// skipped); a run in progress finishes.
    pub async fn pause(
        &self,
        target: &SyncTarget,
        syncs: &[SyncSelector],
    ) -> Result<(), SyncControlError> {
        for state in self.selected_syncs(target, syncs).await? {
            self.inner.store.set_sync_paused(state.id, true).await?;
        }
        Ok(())
    }

    /// The status of the selected syncs (all when `syncs` is empty).
    pub async fn status(
        &self,
        target: &SyncTarget,
        syncs: &[SyncSelector],
    ) -> Result<Vec<SyncStatus>, SyncControlError> {
        let store = &self.inner.store;
        let mut statuses = Vec::new();
        let mut connections: HashMap<ConnectionPk, (String, Vec<snowgate_store::ModelCount>)> =
            HashMap::new();
        for state in self.selected_syncs(target, syncs).await? {
            if let std::collections::hash_map::Entry::Vacant(entry) =
                connections.entry(state.connection)
            {
                let connection_id = store
                    .connection_by_pk(state.connection)
                    .await?
                    .map(|c| c.connection_id)
                    .unwrap_or_default();
                let counts = store.record_counts(state.connection).await?;
                entry.insert((connection_id, counts));
            }
            let (connection_id, counts) = &connections[&state.connection];
            let run = match state.last_run {
                Some(run) => store.run(run).await?,
                None => None,
            };
            let status = if state.last_status == Some(RunStatus::Running) {
                SyncStatusKind::Running
            } else if state.paused {
                SyncStatusKind::Paused
            } else {
                match state.last_status {
                    Some(RunStatus::Success) => SyncStatusKind::Success,
                    Some(RunStatus::Failed) => SyncStatusKind::Error,
                    _ => SyncStatusKind::Stopped,
                }
            };
            let models = self
                .configured_sync(&state.name)
                .map(|d| d.model_key(&state.variant))
                .into_iter()
                .collect::<Vec<ModelKey>>();
            let record_count = models
                .iter()
                .map(|model| {
                    let live = counts
                        .iter()
                        .find(|count| &count.model == model)
                        .map_or(0, |count| count.live);
                    (model.to_string(), live)
                })
                .collect();
            statuses.push(SyncStatus {
                id: state.id,
                connection_id: connection_id.clone(),
                name: state.name.clone(),
                variant: state.variant.clone(),
                status,
                finished_at: run.as_ref().and_then(|run| run.finished_at),
                next_scheduled_sync_at: if state.paused {
                    None
                } else {
                    state.next_run_at
                },
                frequency: frequency_text(state.effective_frequency_secs()),
                latest_result: run
                    .map(|run| {
                        run.counts
                            .into_iter()
                            .map(|(model, counts)| (model.to_string(), counts))
                            .collect()
                    })
                    .unwrap_or_default(),
                record_count,
                checkpoint: state.checkpoint.clone(),
            });
        }
        Ok(statuses)
    }

    /// Sets (or with `None` removes) a connection's frequency for one sync, and returns the
    /// frequency now in effect. The next run moves earlier if the new frequency makes it due sooner.
    pub async fn update_frequency(
        &self,
        connection: ConnectionPk,
        sync: &SyncSelector,
        frequency: Option<Frequency>,
    ) -> Result<String, SyncControlError> {
        let state = self.find_sync(connection, sync).await?;
        let secs = frequency.as_ref().map(|f| f.duration().as_secs() as i64);
        self.inner.store.set_sync_frequency(state.id, secs).await?;
        let effective = secs.unwrap_or(state.frequency_secs);
        let sooner = Utc::now() + chrono::Duration::seconds(effective);
        if !state.paused && state.next_run_at.is_none_or(|next| sooner < next) {
            self.inner
                .store
                .set_next_run(state.id, Some(sooner))
                .await?;
        }
        Ok(match frequency {
            Some(frequency) => frequency.to_string(),
            None => frequency_text(effective),
        })
    }

    /// Creates a variant of a sync for one connection (its own schedule, checkpoint and records,
    /// stored under `<Model>::<variant>`).
    pub async fn create_variant(
        &self,
        connection: ConnectionPk,
        sync: &str,
        variant: &str,
    ) -> Result<SyncState, SyncControlError> {
        runner::create_variant(self, connection, sync, variant).await
    }

    /// Deletes a variant of a sync with its runs and records.
    pub async fn delete_variant(
        &self,
        connection: ConnectionPk,
        sync: &str,
        variant: &str,
    ) -> Result<(), SyncControlError> {
        runner::delete_variant(self, connection, sync, variant).await
    }

    /// The connection's sync named by `selector`.
    pub async fn find_sync(
        &self,
        connection: ConnectionPk,
        selector: &SyncSelector,
    ) -> Result<SyncState, SyncControlError> {
        let definition = self
            .configured_sync(&selector.name)
            .ok_or_else(|| SyncControlError::UnknownSync(selector.name.clone()))?;
        match self
            .inner
            .store
            .find_sync(connection, &selector.name, selector.variant())
            .await?
        {
            Some(state) => Ok(state),
            None if selector.variant() == BASE_VARIANT => {
                // A connection made before this sync was configured: create it now.
                Ok(runner::ensure_sync(self, connection, definition, BASE_VARIANT).await?)
            }
            None => Err(SyncControlError::UnknownVariant {
                name: selector.name.clone(),
                variant: selector.variant().to_owned(),
            }),
        }
    }

    async fn selected_syncs(
        &self,
        target: &SyncTarget,
        syncs: &[SyncSelector],
    ) -> Result<Vec<SyncState>, SyncControlError> {
        for selector in syncs {
            if self.configured_sync(&selector.name).is_none() {
                return Err(SyncControlError::UnknownSync(selector.name.clone()));
            }
        }
        let connections = match target {
            SyncTarget::Connection(pk) => {
                if self.inner.store.connection_by_pk(*pk).await?.is_none() {
                    return Err(SyncControlError::UnknownConnection(pk.to_string()));
                }
                vec![*pk]
            }
            SyncTarget::Integration(key) => self
                .inner
                .store
                .list_connections(&ConnectionFilter {
                    integration_keys: vec![key.clone()],
                    ..ConnectionFilter::default()
                })
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect(),
        };
        let mut selected = Vec::new();
        for connection in connections {
            if syncs.is_empty() {
                for definition in &self.inner.syncs {
                    runner::ensure_sync(self, connection, definition, BASE_VARIANT).await?;
                }
                selected.extend(self.inner.store.list_syncs(connection).await?);
            } else {
                for selector in syncs {
                    selected.push(self.find_sync(connection, selector).await?);
                }
            }
        }
        Ok(selected)
    }

    /// Runs one sync in the foreground (the CLI's `sync run`): queues its job, claims it and runs
    /// it here, reporting progress through `progress`. Fails if another process is running it.
    pub async fn run_sync(
        &self,
        connection: ConnectionPk,
        sync: &SyncSelector,
        opts: TriggerOpts,
        progress: Option<tokio::sync::watch::Sender<runner::Progress>>,
    ) -> Result<snowgate_store::Run, EngineError> {
        let state = self
            .find_sync(connection, sync)
            .await
            .map_err(|error| EngineError::Invalid(error.to_string()))?;
        runner::run_in_foreground(self, &state, opts, progress).await
    }

    // ---- actions ----

    /// The names of the actions.
    pub fn action_names(&self) -> Vec<&'static str> {
        action_runner::names()
    }

    /// Runs an action now and returns its output.
    pub async fn run_action(
        &self,
        connection: ConnectionPk,
        name: &str,
        input: Value,
    ) -> Result<Value, ActionError> {
        action_runner::run(self, connection, name, input).await
    }

    /// Queues an action (`X-Async: true`) and returns its id; input errors are reported now.
    /// `max_retries` (0–5) retries a failure that Snowflake may not repeat (5xx, network).
    pub async fn enqueue_action(
        &self,
        connection: ConnectionPk,
        name: &str,
        input: Value,
        max_retries: u32,
    ) -> Result<Uuid, ActionError> {
        action_runner::enqueue(self, connection, name, input, max_retries).await
    }

    /// The result of an async action: `None` while it runs or if the id is unknown.
    pub async fn action_result(
        &self,
        id: Uuid,
    ) -> Result<Option<Result<Value, ActionError>>, EngineError> {
        action_runner::result(self, id).await
    }

    // ---- webhooks ----

    /// The webhook settings (the signing key is generated on first use).
    pub async fn webhook_settings(&self) -> Result<WebhookSettings, EngineError> {
        let store = &self.inner.store;
        let toggle = |key: &'static str| async move {
            Ok::<_, EngineError>(match store.setting(key).await? {
                Some(value) => value == "true",
                None => setting::toggle_default(key),
            })
        };
        Ok(WebhookSettings {
            primary_url: store.setting(setting::WEBHOOK_PRIMARY_URL).await?,
            secondary_url: store.setting(setting::WEBHOOK_SECONDARY_URL).await?,
            signing_key: self.signing_key().await?,
            on_auth_creation: toggle(setting::ON_AUTH_CREATION).await?,
            on_auth_refresh_error: toggle(setting::ON_AUTH_REFRESH_ERROR).await?,
            on_sync_completion_always: toggle(setting::ON_SYNC_COMPLETION_ALWAYS).await?,
            on_sync_error: toggle(setting::ON_SYNC_ERROR).await?,
            on_async_action_completion: toggle(setting::ON_ASYNC_ACTION_COMPLETION).await?,
            on_connection_deletion: toggle(setting::ON_CONNECTION_DELETION).await?,
        })
    }

    /// Updates the webhook settings and returns them.
    pub async fn set_webhook_settings(
        &self,
        update: WebhookSettingsUpdate,
    ) -> Result<WebhookSettings, EngineError> {
        let store = &self.inner.store;
        for (key, url) in [
            (setting::WEBHOOK_PRIMARY_URL, &update.primary_url),
            (setting::WEBHOOK_SECONDARY_URL, &update.secondary_url),
        ] {
            if let Some(url) = url {
                store
                    .set_setting(key, url.as_ref().map(WebhookUrl::as_str))
                    .await?;
            }
        }
        if let Some(key) = &update.signing_key {
            store
                .set_secret_setting(setting::WEBHOOK_SIGNING_KEY, key)
                .await?;
        }
        for (key, value) in [
            (setting::ON_AUTH_CREATION, update.on_auth_creation),
            (setting::ON_AUTH_REFRESH_ERROR, update.on_auth_refresh_error),
            (
                setting::ON_SYNC_COMPLETION_ALWAYS,
                update.on_sync_completion_always,
            ),
            (setting::ON_SYNC_ERROR, update.on_sync_error),
            (
                setting::ON_ASYNC_ACTION_COMPLETION,
                update.on_async_action_completion,
            ),
            (
                setting::ON_CONNECTION_DELETION,
                update.on_connection_deletion,
            ),
        ] {
            if let Some(value) = value {
                store
                    .set_setting(key, Some(if value { "true" } else { "false" }))
                    .await?;
            }
        }
        self.webhook_settings().await
    }

    /// The webhook signing key, generated (and stored sealed) on first use.
    pub async fn signing_key(&self) -> Result<SecretString, EngineError> {
        let candidate = SecretString::from(Uuid::new_v4().simple().to_string());
        Ok(self
            .inner
            .store
            .secret_setting_or_insert(setting::WEBHOOK_SIGNING_KEY, candidate)
            .await?)
    }

    /// Queues a delivered or dead webhook again, with a fresh attempt budget.
    pub async fn redeliver(&self, delivery: DeliveryId) -> Result<bool, EngineError> {
        Ok(self.inner.store.redeliver(delivery, Utc::now()).await?)
    }
}

/// Nango-style text of a frequency in seconds: `every hour`, `every 15 minutes`, `every 2 days`.
pub fn frequency_text(secs: i64) -> String {
    let (count, unit) = if secs % 86_400 == 0 {
        (secs / 86_400, "day")
    } else if secs % 3_600 == 0 {
        (secs / 3_600, "hour")
    } else if secs % 60 == 0 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    if count == 1 {
        format!("every {unit}")
    } else {
        format!("every {count} {unit}s")
    }
}

pub(crate) fn new_job(
    kind: &str,
    unique_key: Option<String>,
    connection: ConnectionPk,
    payload: Value,
) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        unique_key,
        connection: Some(connection),
        payload,
        run_after: Utc::now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_texts_read_back_as_the_same_duration() {
        for (secs, text) in [
            (3600, "every hour"),
            (900, "every 15 minutes"),
            (86_400, "every day"),
            (12 * 3600, "every 12 hours"),
            (90, "every 90 seconds"),
            (30 * 86_400, "every 30 days"),
        ] {
            assert_eq!(frequency_text(secs), text);
            assert_eq!(
                Frequency::parse(text).unwrap().duration().as_secs() as i64,
                secs
            );
        }
    }
}
