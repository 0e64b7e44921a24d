//! The scaled-out backend: a PostgreSQL database shared by every process. Writers of a model
//! serialise on its counter row (`FOR UPDATE`); jobs and webhook deliveries are claimed with
//! `FOR UPDATE SKIP LOCKED`, so concurrent workers never take the same one.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError, RwLock},
    time::Duration,
};

use sqlx::{
    Postgres, QueryBuilder, Transaction,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
};

use crate::{
    dialect::{ChangedRecord, Dialect},
    secret::Cipher,
};

/// Connections per process.
const MAX_CONNECTIONS: u32 = 16;

/// The PostgreSQL implementation of [`crate::Store`].
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    cipher: std::sync::Arc<RwLock<std::sync::Arc<Cipher>>>,
    growth: std::sync::Arc<Growth>,
}

/// Per model: its size (changes so far) when this process last refreshed the statistics of
/// `records` or first saw it, and the records it added since.
#[derive(Debug, Default)]
struct Growth(Mutex<HashMap<i64, (u64, u64)>>);

impl PostgresStore {
    /// Connects to `url` (`postgres://…`), applies migrations (under PostgreSQL's advisory lock,
    /// so processes starting together apply them once) and checks that `cipher` holds the master
    /// key the database was sealed with.
    pub async fn open(url: &str, cipher: Cipher) -> crate::Result<Self> {
        // Records tables grow from empty to millions of rows: a generic plan cached while a table
        // was small (a sequential scan) would stay in use as it grows, so plan every statement
        // for its parameters and the table's current size.
        let options = url
            .parse::<PgConnectOptions>()?
            .options([("plan_cache_mode", "force_custom_plan")]);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        let store = Self {
            pool,
            cipher: std::sync::Arc::new(RwLock::new(std::sync::Arc::new(cipher))),
            growth: std::sync::Arc::default(),
        };
        sql::settings::verify_master_key(&store).await?;
        Ok(store)
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Dialect for PostgresStore {
    type Db = Postgres;

    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const TAG_PAIRS: &'static str = "json_each_text(c.tags::json) AS t";
    const STRPOS: &'static str = "strpos";

    /// A semi-join with the array rather than `= ANY($n)`: the planner then looks each value up
    /// in the index even when the table's statistics are stale (`= ANY` was planned as a scan of
    /// the whole model while a freshly loaded table had no statistics yet).
    fn push_text_in(query: &mut QueryBuilder<Postgres>, values: &[&str]) {
        query
            .push(" IN (SELECT unnest(")
            .push_bind(values.to_vec())
            .push("::text[]))");
    }

    fn push_id_hash_in(query: &mut QueryBuilder<Postgres>, pairs: &[(&str, &[u8; 32])]) {
        query
            .push(" IN (SELECT * FROM UNNEST(")
            .push_bind(pairs.iter().map(|(id, _)| *id).collect::<Vec<_>>())
            .push("::text[], ")
            .push_bind(pairs.iter().map(|(_, hash)| &hash[..]).collect::<Vec<_>>())
            .push("::bytea[]))");
    }

    fn push_record_rows(query: &mut QueryBuilder<Postgres>, rows: &[ChangedRecord<'_>]) {
        query.push("UNNEST(");
        query
            .push_bind(rows.iter().map(|r| r.external_id).collect::<Vec<_>>())
            .push("::text[], ");
        query
            .push_bind(rows.iter().map(|r| r.seq).collect::<Vec<_>>())
            .push("::int8[], ");
        query
            .push_bind(rows.iter().map(|r| &r.hash[..]).collect::<Vec<_>>())
            .push("::bytea[], ");
        query
            .push_bind(rows.iter().map(|r| r.payload).collect::<Vec<_>>())
            .push("::text[], ");
        query.push_bind(rows.iter().map(|r| r.action.as_str()).collect::<Vec<_>>());
        query.push("::text[]) AS u(external_id, seq, hash, payload, last_action)");
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> crate::Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// After a run that changed many records, refreshes the planner's statistics of `records`
    /// at once rather than when autovacuum gets to it: without them PostgreSQL reads a whole
    /// model and sorts it for every page of the records API instead of walking its index. A
    /// failure only costs speed, so it is logged, not returned.
    async fn after_bulk_change(&self, changed: u64) {
        if changed < BULK_CHANGE {
            return;
        }
        if let Err(error) = sqlx::query("ANALYZE records").execute(&self.pool).await {
            tracing::warn!(%error, "refreshing the statistics of records failed");
        }
    }

    /// Refreshes the statistics of `records` whenever a model has grown, through this process,
    /// by as many records as it had when they were last refreshed (and by 10,000 at least): a model
    /// that grows from nothing to millions in one run is otherwise planned as if it were empty, and
    /// each batch's lookups become a scan of the whole model. Doubling keeps it to a few refreshes
    /// per run. `size` is the model's change count before the batch.
    async fn after_batch(&self, model: i64, size: i64, added: u64) {
        {
            let mut growth = self.growth.0.lock().unwrap_or_else(PoisonError::into_inner);
            let (base, since) = growth.entry(model).or_insert((size.max(0) as u64, 0));
            *since += added;
            if *since < BULK_CHANGE.max(*base) {
                return;
            }
            *base += *since;
            *since = 0;
        }
        if let Err(error) = sqlx::query("ANALYZE records").execute(&self.pool).await {
            tracing::warn!(%error, "refreshing the statistics of records failed");
        }
    }

    async fn begin_batch(&self) -> crate::Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    fn cipher_slot(&self) -> &RwLock<std::sync::Arc<Cipher>> {
        &self.cipher
    }
}

/// Changed records in one run past which the statistics of `records` are refreshed.
const BULK_CHANGE: u64 = 10_000;

/// The store type the shared SQL of `sql/` is compiled for here.
type Backend = PostgresStore;

// `sqlite.rs` loads the same files for its own store type: see `dialect.rs` for why.
#[expect(
    clippy::duplicate_mod,
    reason = "the shared SQL is compiled once per backend, on purpose"
)]
#[path = "sql/mod.rs"]
pub(crate) mod sql;
