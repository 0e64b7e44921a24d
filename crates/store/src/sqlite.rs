//! The embedded backend: one SQLite file in WAL mode. Writes go through a pool of one
//! connection, so write transactions queue in the process instead of fighting over SQLite's
//! lock (`BEGIN IMMEDIATE` takes it up front, so a transaction never fails half-way on a busy
//! database); reads use a pool of read-only connections that see consistent snapshots while a
//! sync writes.

use std::{path::Path, sync::RwLock, time::Duration};

use sqlx::{
    QueryBuilder, Sqlite, Transaction,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
};

use crate::{
    dialect::{ChangedRecord, Dialect},
    error::StoreError,
    secret::Cipher,
};

/// The file, inside the data directory, that holds the embedded database.
pub const DATABASE_FILE: &str = "snowgate.db";

/// Connections in the read pool. More readers than cores only contend on SQLite's allocator.
const READERS: u32 = 4;

/// The SQLite implementation of [`crate::Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
    cipher: std::sync::Arc<RwLock<std::sync::Arc<Cipher>>>,
}

impl SqliteStore {
    /// Opens (creating if needed) `<data_dir>/snowgate.db`, applies migrations and checks that
    /// `cipher` holds the master key the database was sealed with.
    pub async fn open(data_dir: &Path, cipher: Cipher) -> crate::Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::File {
            action: "creating the data directory",
            path: data_dir.to_owned(),
            source,
        })?;
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join(DATABASE_FILE))
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode NORMAL is safe against corruption; a power cut may lose the last
            // commits, which a sync run re-fetches from its checkpoint.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            .pragma("cache_size", "-65536")
            // Checkpoint the WAL every 64 MiB rather than every 4 MiB: each checkpoint waits for
            // the disk, and a sync's batches would otherwise wait on one every few commits.
            .pragma("wal_autocheckpoint", "16384")
            .pragma("temp_store", "memory");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.clone().create_if_missing(true))
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        // Readers get a smaller page cache than the writer: a scan (a run's delete count, the
        // records API) warms only the connection that ran it, and with one cache per reader
        // the process would otherwise grow by a writer's cache per reader on a large database.
        let readers = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options.read_only(true).pragma("cache_size", "-16384"))
            .await?;
        let store = Self {
            writer,
            readers,
            cipher: std::sync::Arc::new(RwLock::new(std::sync::Arc::new(cipher))),
        };
        sql::settings::verify_master_key(&store).await?;
        Ok(store)
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.writer.close().await;
        self.readers.close().await;
    }
}

impl Dialect for SqliteStore {
    type Db = Sqlite;

    const FOR_UPDATE: &'static str = "";
    const SKIP_LOCKED: &'static str = "";
    const TAG_PAIRS: &'static str = "json_each(c.tags) AS t";
    const STRPOS: &'static str = "instr";

    fn push_text_in(query: &mut QueryBuilder<Sqlite>, values: &[&str]) {
        query.push(" IN (");
        let mut list = query.separated(", ");
        for value in values {
            list.push_bind(*value);
        }
        query.push(")");
    }

    fn push_id_hash_in(query: &mut QueryBuilder<Sqlite>, pairs: &[(&str, &[u8; 32])]) {
        query.push(" IN (");
        query.push_values(pairs, |mut row, (id, hash)| {
            row.push_bind(*id).push_bind(&hash[..]);
        });
        query.push(")");
    }

    fn push_record_rows(query: &mut QueryBuilder<Sqlite>, rows: &[ChangedRecord<'_>]) {
        query.push(
            "(SELECT column1 AS external_id, column2 AS seq, column3 AS hash, column4 AS payload, \
             column5 AS last_action FROM (",
        );
        query.push_values(rows, |mut row, record| {
            row.push_bind(record.external_id)
                .push_bind(record.seq)
                .push_bind(&record.hash[..])
                .push_bind(record.payload)
                .push_bind(record.action.as_str());
        });
        query.push(")) AS u");
    }

    fn reader(&self) -> &SqlitePool {
        &self.readers
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    async fn begin_write(&self) -> crate::Result<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// SQLite's planner walks the `(model, seq)` index without statistics: nothing to refresh.
    async fn after_bulk_change(&self, _changed: u64) {}

    /// SQLite plans without statistics: nothing to refresh.
    async fn after_batch(&self, _model: i64, _size: i64, _added: u64) {}

    /// Every commit already skips the disk flush (`synchronous = NORMAL` in WAL mode).
    async fn begin_batch(&self) -> crate::Result<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }

    fn cipher_slot(&self) -> &RwLock<std::sync::Arc<Cipher>> {
        &self.cipher
    }
}

/// The store type the shared SQL of `sql/` is compiled for here.
type Backend = SqliteStore;

// `postgres.rs` loads the same files for its own store type: see `dialect.rs` for why.
#[path = "sql/mod.rs"]
pub(crate) mod sql;
