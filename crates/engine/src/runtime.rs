//! [`Runtime`], what every runtime module shares, below the [`crate::Engine`] facade: the store,
//! the configuration, the shared HTTP client, the configured syncs, the custom actions' compiled
//! input schemas and the cache of Snowflake clients. The runtime modules take a `&Runtime` (or an `Arc` of one for the tasks they spawn);
//! none of them reaches up to the facade, so every arrow in the engine points one way:
//! `engine → {sync_control, sync_jobs, action_exec, connect, health, …} → runtime`.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

use chrono::{DateTime, Utc};
use snowgate_snowflake::Client;
use snowgate_store::{AnyStore, ConnectionPk};

use crate::{config::EngineConfig, syncs::ConfiguredSync, validator::Validator};

/// The engine's shared state. See the [module documentation](self).
pub(crate) struct Runtime {
    store: AnyStore,
    config: EngineConfig,
    http: reqwest::Client,
    syncs: Vec<ConfiguredSync>,
    /// The compiled input schema of each custom action, by name.
    action_inputs: HashMap<String, Validator>,
    /// Each connection's client, with the `updated_at` of the connection it was built from.
    clients: Mutex<HashMap<ConnectionPk, (DateTime<Utc>, Client)>>,
}

impl Runtime {
    pub(crate) fn new(
        store: AnyStore,
        config: EngineConfig,
        http: reqwest::Client,
        syncs: Vec<ConfiguredSync>,
        action_inputs: HashMap<String, Validator>,
    ) -> Self {
        Self {
            store,
            config,
            http,
            syncs,
            action_inputs,
            clients: Mutex::default(),
        }
    }

    /// The compiled input schema of the custom action `name`.
    pub(crate) fn action_input(&self, name: &str) -> Option<&Validator> {
        self.action_inputs.get(name)
    }

    pub(crate) fn store(&self) -> &AnyStore {
        &self.store
    }

    pub(crate) fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The HTTP client every Snowflake client shares.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The built-in and custom syncs every connection has.
    pub(crate) fn configured_syncs(&self) -> &[ConfiguredSync] {
        &self.syncs
    }

    /// The definition of the sync `name`.
    pub(crate) fn configured_sync(&self, name: &str) -> Option<&ConfiguredSync> {
        self.syncs.iter().find(|d| d.name == name)
    }

    /// The cache of Snowflake clients (kept by `connect`).
    pub(crate) fn clients(&self) -> MutexGuard<'_, HashMap<ConnectionPk, (DateTime<Utc>, Client)>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("store", &self.store.backend())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
