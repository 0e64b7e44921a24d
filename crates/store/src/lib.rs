//! Snowgate persistence: SQLite (embedded, the default) and PostgreSQL (scaled out) behind one
//! [`Store`] trait.
//!
//! Start-up: [`connect`] picks the backend from the database URL, applies that backend's
//! migrations and returns an [`AnyStore`], the cheap-to-clone handle the engine and the server
//! hold. What it stores:
//!
//! * environment [`setting`]s and [`Integration`]s;
//! * [`Connection`]s with credentials sealed at rest ([`secret`]: AES-256-GCM under a master
//!   key, rotatable) and their active errors; [`ConnectSession`]s kept by token hash;
//! * syncs with schedule, checkpoint and delete-tracking marker, and their [`Run`]s;
//! * records with change tracking ([`record`]): content hashes, a per-model change sequence for
//!   cursors that never skip or repeat a change, seen-in-run marks for delete detection;
//! * the job queue (leases, heartbeats, `SKIP LOCKED` claims) and async actions;
//! * the webhook outbox with per-attempt history;
//! * the operations log.
//!
//! The store holds data rules (what "changed" means, which records a finished run deletes, who
//! holds a lease), never sync or API logic.
//!
//! Where things are: [`store`] defines the trait, once, and every delegation to a backend; the
//! SQL is in `src/sql/`, one file per resource, which [`sqlite`] and [`postgres`] each compile
//! for themselves; `dialect.rs` documents where the two differ; each backend's migrations are
//! in `migrations/<backend>/`.

#![forbid(unsafe_code)]

/// Defines a fieldless enum stored and serialised as fixed strings.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name { $($(#[$vdoc])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            /// The stored and serialised name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses a stored name.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

pub mod connection;
mod dialect;
pub mod error;
pub mod ids;
pub mod integration;
pub mod job;
pub mod operation;
pub mod postgres;
pub mod record;
mod rows;
pub mod secret;
pub mod sqlite;
pub mod store;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhook;

use std::path::{Path, PathBuf};

pub use connection::{
    ConnectSession, Connection, ConnectionError, ConnectionErrorKind, ConnectionFilter,
    ConnectionUpdate, MetadataWrite, NewConnection, ReconnectTarget,
};
pub use error::{Result, StoreError};
pub use ids::{ConnectionPk, DeliveryId, JobId, RunId, SyncId};
pub use integration::{Integration, NewIntegration, setting};
pub use job::{ActionRun, ActionStatus, ClaimedJob, Heartbeat, Job, JobStatus, Lease, NewJob};
pub use operation::{
    Level, Message, NewMessage, NewOperation, Operation, OperationFilter, OperationKind,
    OperationStatus,
};
pub use postgres::PostgresStore;
pub use record::{
    ActionFilter, Cursor, ModelCount, ModelKey, NewRecord, PruneOutcome, RecordAction, RecordPage,
    RecordQuery, SaveBatch, SaveCounts, StoredRecord,
};
pub use secret::{Cipher, KeyId, MasterKey, SecretJson};
pub use sqlite::SqliteStore;
pub use store::{AnyStore, RotationReport, Store};
pub use sync::{
    FinishRun, ModelCounts, NewSync, Run, RunStatus, StartRun, SyncErrorUpdate, SyncState,
};
pub use webhook::{
    Attempt, AttemptOutcome, AttemptResult, Delivery, DeliveryFilter, DeliveryLease,
    DeliveryStatus, NewDelivery,
};

/// Where the store lives and which keys open its secrets.
#[derive(Debug)]
pub struct StoreConfig {
    /// `postgres://…` (`SNOWGATE_DATABASE_URL`); `None` (or `sqlite:`) means the embedded SQLite
    /// file `<data_dir>/snowgate.db`.
    pub database_url: Option<String>,
    /// The data directory (SQLite file, generated master key).
    pub data_dir: PathBuf,
    /// The master key (`SNOWGATE_ENCRYPTION_KEY`); `None` reads or generates
    /// `<data_dir>/master.key`.
    pub master_key: Option<MasterKey>,
    /// Keys that still open older secrets during a rotation (`SNOWGATE_ENCRYPTION_KEY_PREVIOUS`).
    pub previous_keys: Vec<MasterKey>,
}

impl StoreConfig {
    /// The embedded defaults for a data directory: SQLite, master key file.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            database_url: None,
            data_dir: data_dir.into(),
            master_key: None,
            previous_keys: Vec::new(),
        }
    }
}

/// Opens the store the configuration names, applying its migrations.
pub async fn connect(config: StoreConfig) -> Result<AnyStore> {
    let master_key = match config.master_key {
        Some(key) => key,
        None => MasterKey::load_or_create(&config.data_dir)?,
    };
    let cipher = Cipher::new(&master_key, &config.previous_keys);
    match config.database_url.as_deref().filter(|url| !url.is_empty()) {
        None => open_sqlite(&config.data_dir, cipher).await,
        Some(url) => {
            let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
            match scheme {
                "postgres" | "postgresql" => {
                    Ok(AnyStore::Postgres(PostgresStore::open(url, cipher).await?))
                }
                "sqlite" => open_sqlite(&config.data_dir, cipher).await,
                other => Err(StoreError::UnsupportedUrl {
                    scheme: other.to_owned(),
                }),
            }
        }
    }
}

async fn open_sqlite(data_dir: &Path, cipher: Cipher) -> Result<AnyStore> {
    Ok(AnyStore::Sqlite(SqliteStore::open(data_dir, cipher).await?))
}
