//! [`Engine`], the facade the HTTP API and the CLI call: connections, syncs, actions, webhooks and
//! the background tasks. Every rule lives behind it, in the runtime modules it delegates to;
//! callers only shape requests and responses. Nothing below the facade imports it: the runtime
//! modules share a [`Runtime`] instead.
//!
//! An `Engine` is cheap to clone (an `Arc` inside).

use std::sync::Arc;

use chrono::Utc;
use secrecy::SecretString;
use serde_json::{Value, json};
use snowgate_snowflake::Client;
use snowgate_store::{
    AnyStore, ConnectSession, ConnectionPk, ConnectionUpdate, Cursor, DeliveryId, Integration,
    MetadataWrite, ModelKey, NewIntegration, PruneOutcome, SecretJson, Store, SyncState,
};
use tokio::{sync::watch, task::JoinSet};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    action_exec,
    catalog::{ActionListing, Frequency},
    config::{EngineConfig, ProcessRole},
    connect::{self, CreateConnection, CreatedConnection},
    dispatch,
    error::{ActionError, ConnectError, EngineError, SyncControlError},
    health::{self, CredentialCheck},
    runtime::Runtime,
    scheduler,
    sync_control::{self, SyncSelector, SyncStatus, SyncTarget, TriggerOpts},
    sync_jobs,
    syncs::{self, ConfiguredSync, context::Progress},
    webhook_settings::{self, WebhookSettings, WebhookSettingsUpdate},
    worker,
};

/// The engine. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Engine {
    rt: Arc<Runtime>,
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
        let action_inputs = action_exec::custom_input_validators(&config)?;
        Ok(Self {
            rt: Arc::new(Runtime::new(store, config, http, syncs, action_inputs)),
        })
    }

    /// The store, for reads (every write goes through an engine method).
    pub fn store(&self) -> &AnyStore {
        self.rt.store()
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        self.rt.config()
    }

    /// Creates the integration `unique_key` (provider `snowflake-jwt`) if it does not exist.
    pub async fn ensure_integration(&self, unique_key: &str) -> Result<Integration, EngineError> {
        let store = self.rt.store();
        if let Some(existing) = store.integration(unique_key).await? {
            return Ok(existing);
        }
        Ok(store
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
            scheduler::spawn(&self.rt, &shutdown, &mut tasks);
            worker::spawn(&self.rt, &shutdown, &mut tasks);
            dispatch::spawn(&self.rt, &shutdown, &mut tasks);
            health::spawn(&self.rt, &shutdown, &mut tasks);
        }
        tasks
    }

    /// Makes the jobs held by background workers (not foreground `sync run`s) claimable at once,
    /// as if their leases had run out. Only for a process that knows no other process's workers
    /// are alive — an embedded server holding its data directory's lock — and before it starts
    /// its own. Returns how many jobs were released.
    pub async fn release_dead_workers_jobs(&self) -> Result<u64, EngineError> {
        Ok(self
            .rt
            .store()
            .expire_leases(worker::WORKER_PREFIX, Utc::now())
            .await?)
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
        connect::create(&self.rt, request).await
    }

    /// Deletes a connection with its syncs, runs, jobs and records, and enqueues the `deletion`
    /// auth webhook when enabled. Returns whether it existed.
    pub async fn delete_connection(&self, connection: ConnectionPk) -> Result<bool, EngineError> {
        connect::delete(&self.rt, connection).await
    }

    /// The connection's credentials in Nango's shape (`type`, `accountIdentifier`, `userName`,
    /// `privateKey`, `token`, `expires_at`), re-signing the JWT first when it expires within 15
    /// minutes or when `force` is set (the stored `token` and `expires_at` are updated).
    pub async fn refresh_token(
        &self,
        connection: ConnectionPk,
        force: bool,
    ) -> Result<SecretJson, EngineError> {
        connect::refresh_token(&self.rt, connection, force).await
    }

    /// A Snowflake client for the connection (cached; rebuilt when the connection changes). The
    /// proxy uses its bearer token and base URL.
    pub async fn snowflake_client(&self, connection: ConnectionPk) -> Result<Client, EngineError> {
        connect::client(&self.rt, connection).await
    }

    /// Records that Snowflake just accepted the connection's key (the proxy calls it after an
    /// authenticated answer): clears its `auth` error and enqueues the recovery webhook, once.
    pub async fn note_authenticated(&self, connection: ConnectionPk) -> Result<(), EngineError> {
        health::note_authenticated(&self.rt, connection).await
    }

    /// Checks one connection's key now (`SELECT CURRENT_TIMESTAMP`): a refusal sets the
    /// connection's `auth` error and, on the transition, enqueues the `refresh` failure webhook;
    /// a success clears the error.
    pub async fn check_credentials(
        &self,
        connection: ConnectionPk,
    ) -> Result<CredentialCheck, EngineError> {
        health::check(&self.rt, connection).await
    }

    /// Updates a connection's tags, webhook URL override and end user; `false` if the
    /// connection does not exist.
    pub async fn update_connection(
        &self,
        connection: ConnectionPk,
        update: &ConnectionUpdate,
    ) -> Result<bool, EngineError> {
        Ok(self
            .rt
            .store()
            .update_connection(connection, update)
            .await?)
    }

    /// Replaces or shallow-merges (`mode`) the metadata of connections of one integration, all
    /// or nothing: an unknown id fails the whole call.
    pub async fn write_metadata(
        &self,
        integration: &str,
        connection_ids: &[String],
        metadata: &Value,
        mode: MetadataWrite,
    ) -> Result<(), EngineError> {
        Ok(self
            .store()
            .write_metadata(integration, connection_ids, metadata, mode)
            .await?)
    }

    /// Stores a connect session under its token (the store keeps the token's SHA-256 only).
    pub async fn create_connect_session(
        &self,
        token: &SecretString,
        session: &ConnectSession,
    ) -> Result<(), EngineError> {
        Ok(self
            .rt
            .store()
            .create_connect_session(token, session)
            .await?)
    }

    /// Ends the connect session of `token`; `false` if there was none.
    pub async fn delete_connect_session(&self, token: &SecretString) -> Result<bool, EngineError> {
        Ok(self.rt.store().delete_connect_session(token).await?)
    }

    /// Empties the payloads of up to `limit` records of `model` at or before `until`, keeping
    /// their metadata.
    pub async fn prune_records(
        &self,
        connection: ConnectionPk,
        model: &ModelKey,
        until: Cursor,
        limit: u32,
    ) -> Result<PruneOutcome, EngineError> {
        Ok(self
            .store()
            .prune_records(connection, model, until, limit)
            .await?)
    }

    // ---- syncs ----

    /// The syncs every connection has: the eight built-in ones and the custom syncs of the
    /// configuration.
    pub fn configured_syncs(&self) -> &[ConfiguredSync] {
        self.rt.configured_syncs()
    }

    /// The definition of the sync `name`.
    pub fn configured_sync(&self, name: &str) -> Option<&ConfiguredSync> {
        self.rt.configured_sync(name)
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
        sync_control::trigger(&self.rt, target, syncs, opts).await
    }

    /// Resumes the selected syncs and runs them now (no effect on a sync already running).
    pub async fn start(
        &self,
        target: &SyncTarget,
        syncs: &[SyncSelector],
    ) -> Result<(), SyncControlError> {
        sync_control::start(&self.rt, target, syncs).await
    }

    /// Pauses the selected syncs: they are no longer scheduled (a scheduled run still queued is
    /// skipped); a run in progress finishes.
    pub async fn pause(
        &self,
        target: &SyncTarget,
        syncs: &[SyncSelector],
    ) -> Result<(), SyncControlError> {
        sync_control::pause(&self.rt, target, syncs).await
    }

    /// The status of the selected syncs (all when `syncs` is empty).
    pub async fn status(
        &self,
        target: &SyncTarget,
        syncs: &[SyncSelector],
    ) -> Result<Vec<SyncStatus>, SyncControlError> {
        sync_control::status(&self.rt, target, syncs).await
    }

    /// Sets (or with `None` removes) a connection's frequency for one sync, and returns the
    /// frequency now in effect. The next run moves earlier if the new frequency makes it due sooner.
    pub async fn update_frequency(
        &self,
        connection: ConnectionPk,
        sync: &SyncSelector,
        frequency: Option<Frequency>,
    ) -> Result<String, SyncControlError> {
        sync_control::update_frequency(&self.rt, connection, sync, frequency).await
    }

    /// Creates a variant of a sync for one connection (its own schedule, checkpoint and records,
    /// stored under `<Model>::<variant>`).
    pub async fn create_variant(
        &self,
        connection: ConnectionPk,
        sync: &str,
        variant: &str,
    ) -> Result<SyncState, SyncControlError> {
        sync_control::create_variant(&self.rt, connection, sync, variant).await
    }

    /// Deletes a variant of a sync with its runs and records.
    pub async fn delete_variant(
        &self,
        connection: ConnectionPk,
        sync: &str,
        variant: &str,
    ) -> Result<(), SyncControlError> {
        sync_control::delete_variant(&self.rt, connection, sync, variant).await
    }

    /// The connection's sync named by `selector` (a base sync configured after the connection was
    /// made is created now).
    pub async fn find_sync(
        &self,
        connection: ConnectionPk,
        selector: &SyncSelector,
    ) -> Result<SyncState, SyncControlError> {
        sync_control::find(&self.rt, connection, selector).await
    }

    /// Runs one sync in the foreground (the CLI's `sync run`): queues its job, claims it and runs
    /// it here, reporting progress through `progress`. Fails if another process is running it.
    pub async fn run_sync(
        &self,
        connection: ConnectionPk,
        sync: &SyncSelector,
        opts: TriggerOpts,
        progress: Option<watch::Sender<Progress>>,
    ) -> Result<snowgate_store::Run, EngineError> {
        let state = self
            .find_sync(connection, sync)
            .await
            .map_err(|error| EngineError::Invalid(error.to_string()))?;
        sync_jobs::run_in_foreground(&self.rt, &state, opts, progress).await
    }

    // ---- actions ----

    /// Every action (the fifteen built-in ones, then the custom actions), with its schemas.
    pub fn actions(&self) -> Vec<ActionListing> {
        action_exec::listing(self.rt.config())
    }

    /// Runs an action now and returns its output.
    pub async fn run_action(
        &self,
        connection: ConnectionPk,
        name: &str,
        input: Value,
    ) -> Result<Value, ActionError> {
        action_exec::run(&self.rt, connection, name, input).await
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
        action_exec::enqueue(&self.rt, connection, name, input, max_retries).await
    }

    /// The result of an async action: `None` while it runs or if the id is unknown.
    pub async fn action_result(
        &self,
        id: Uuid,
    ) -> Result<Option<Result<Value, ActionError>>, EngineError> {
        action_exec::result(&self.rt, id).await
    }

    // ---- webhooks ----

    /// The webhook settings (the signing key is generated on first use).
    pub async fn webhook_settings(&self) -> Result<WebhookSettings, EngineError> {
        webhook_settings::get(&self.rt).await
    }

    /// Updates the webhook settings and returns them.
    pub async fn set_webhook_settings(
        &self,
        update: WebhookSettingsUpdate,
    ) -> Result<WebhookSettings, EngineError> {
        webhook_settings::set(&self.rt, update).await
    }

    /// The webhook signing key, generated (and stored sealed) on first use.
    pub async fn signing_key(&self) -> Result<SecretString, EngineError> {
        webhook_settings::signing_key(&self.rt).await
    }

    /// Queues a delivered or dead webhook again, with a fresh attempt budget.
    pub async fn redeliver(&self, delivery: DeliveryId) -> Result<bool, EngineError> {
        Ok(self.rt.store().redeliver(delivery, Utc::now()).await?)
    }
}
