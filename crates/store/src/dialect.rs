//! What the two backends have in common, and where they differ.
//!
//! Both schemas store times as microseconds, JSON as text and secrets as sealed bytes, and both
//! databases accept `$n` placeholders, `ON CONFLICT`, `RETURNING`, `UPDATE … FROM` and window
//! functions, so one body of SQL serves both: the files of `src/sql/`, one per resource
//! (settings and secrets, integrations, connections, syncs and runs, records, jobs and actions,
//! webhooks, operations). Where the dialects differ, that SQL calls the hooks of [`Dialect`],
//! which [`crate::SqliteStore`] and [`crate::PostgresStore`] implement, and nothing else of
//! theirs.
//!
//! Each backend compiles `src/sql/` for itself (`#[path = "sql/mod.rs"] mod sql;` in
//! `sqlite.rs` and `postgres.rs`, with `Backend` naming its store type) rather than the SQL being
//! generic over [`Dialect`]: every value bound or read needs a bound such as
//! `for<'q> i64: Encode<'q, Db> + Type<Db>`, and Rust does not carry a trait's `where` clauses
//! to its users (rust-lang/rust#20671), so every function would repeat some twenty of them.
//! Compiled per backend, the SQL is ordinary code against concrete types, as fast as code
//! written for one database, and no macro stands between a call and its SQL.

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{Arc, PoisonError, RwLock},
};

use serde_json::Value;
use sqlx::{Database, Pool, QueryBuilder, Transaction};

use crate::{error::Result, record::RecordAction, secret::Cipher};

/// The dialect hooks: what the shared SQL of `src/sql/` needs from a backend.
pub(crate) trait Dialect {
    /// The sqlx database.
    type Db: Database;

    /// Row-locking suffix of a `SELECT` (empty on SQLite, whose write transactions are already
    /// serialised).
    const FOR_UPDATE: &'static str;
    /// Row-locking suffix of a claim's `SELECT` that skips rows other workers hold (empty on
    /// SQLite).
    const SKIP_LOCKED: &'static str;
    /// A table expression of `(key, value)` text pairs of `c.tags`.
    const TAG_PAIRS: &'static str;
    /// The "position of substring" function.
    const STRPOS: &'static str;

    /// The pool for reads.
    fn reader(&self) -> &Pool<Self::Db>;

    /// The pool for single-statement writes.
    fn writer(&self) -> &Pool<Self::Db>;

    /// A transaction that holds the write lock where the database needs it (SQLite:
    /// `BEGIN IMMEDIATE` on the single writer connection).
    fn begin_write(&self) -> impl Future<Output = Result<Transaction<'static, Self::Db>>> + Send;

    /// A write transaction for a record batch, whose commit need not wait for the disk: a batch
    /// lost in a crash goes together with its checkpoint, so the run fetches it again.
    fn begin_batch(&self) -> impl Future<Output = Result<Transaction<'static, Self::Db>>> + Send;

    /// Refreshes the planner's statistics, where the database keeps them (PostgreSQL), after a
    /// run changed `changed` records.
    fn after_bulk_change(&self, changed: u64) -> impl Future<Output = ()> + Send;

    /// The same as a model grows within a run: `size` is the model's change count before a batch
    /// that added `added` records.
    fn after_batch(&self, model: i64, size: i64, added: u64) -> impl Future<Output = ()> + Send;

    /// Pushes ` IN (…)` of text values: a list of binds on SQLite, ` IN (SELECT unnest($n))`
    /// with one array on PostgreSQL (few parameters keep planning cheap).
    fn push_text_in(query: &mut QueryBuilder<Self::Db>, values: &[&str]);

    /// Pushes ` IN (…)` of `(external_id, hash)` pairs: `VALUES` on SQLite, whose planner then
    /// searches the primary key; `UNNEST` of two arrays on PostgreSQL.
    fn push_id_hash_in(query: &mut QueryBuilder<Self::Db>, pairs: &[(&str, &[u8; 32])]);

    /// Pushes the changed records of a batch as a row source
    /// `u(external_id, seq, hash, payload, last_action)`: `VALUES` on SQLite, `UNNEST` of arrays
    /// on PostgreSQL.
    fn push_record_rows(query: &mut QueryBuilder<Self::Db>, rows: &[ChangedRecord<'_>]);

    /// The cipher in force, which a master key rotation replaces.
    fn cipher_slot(&self) -> &RwLock<Arc<Cipher>>;

    /// The cipher that seals and opens secrets now.
    fn cipher(&self) -> Arc<Cipher> {
        self.cipher_slot()
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Seals with `cipher` from now on.
    fn replace_cipher(&self, cipher: Cipher) {
        *self
            .cipher_slot()
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(cipher);
    }
}

/// Ids per statement (well under both databases' parameter limits).
pub(crate) const IDS_PER_STATEMENT: usize = 1_000;

/// A record of a batch that is added or updated, as [`Dialect::push_record_rows`] writes it.
pub(crate) struct ChangedRecord<'a> {
    pub(crate) external_id: &'a str,
    pub(crate) seq: i64,
    pub(crate) hash: &'a [u8; 32],
    pub(crate) payload: &'a str,
    pub(crate) action: RecordAction,
}

/// Default page size where a filter's limit is 0.
const DEFAULT_LIST_LIMIT: i64 = 100;

/// The page size of a filter's limit: the default where it is 0.
pub(crate) fn page_limit(limit: u32) -> i64 {
    if limit == 0 {
        DEFAULT_LIST_LIMIT
    } else {
        i64::from(limit)
    }
}

/// The end user's id and organization id, for filtering: from the profile, else the tags.
pub(crate) fn end_user_keys(
    end_user: Option<&Value>,
    tags: &BTreeMap<String, String>,
) -> (Option<String>, Option<String>) {
    let text = |value: Option<&Value>| value.and_then(|v| v.as_str()).map(str::to_owned);
    let id =
        text(end_user.and_then(|user| user.get("id"))).or_else(|| tags.get("end_user_id").cloned());
    let organization = text(end_user.and_then(|user| user.pointer("/organization/id")))
        .or_else(|| tags.get("organization_id").cloned());
    (id, organization)
}

/// The sealing context of a connection's credentials: binds them to their row.
pub(crate) fn credentials_context(integration_key: &str, connection_id: &str) -> String {
    format!("connection:{integration_key}\0{connection_id}")
}

/// The sealing context of a setting.
pub(crate) fn setting_context(key: &str) -> String {
    format!("setting:{key}")
}

/// The setting that proves the configured master key is the one the database was sealed with.
pub(crate) const KEY_CHECK_SETTING: &str = "store.key_check";
