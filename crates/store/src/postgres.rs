//! The scaled-out backend: a PostgreSQL database shared by every process. Writers of a model
//! serialise on its counter row (`FOR UPDATE`); jobs and webhook deliveries are claimed with
//! `FOR UPDATE SKIP LOCKED`, so concurrent workers never take the same one.

use std::{sync::RwLock, time::Duration};

use sqlx::{
    Postgres, Transaction,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
};

use crate::secret::Cipher;

/// Connections per process.
const MAX_CONNECTIONS: u32 = 16;

/// The PostgreSQL implementation of [`crate::Store`].
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    cipher: std::sync::Arc<RwLock<std::sync::Arc<Cipher>>>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`), applies migrations (under PostgreSQL's advisory lock,
    /// so processes starting together apply them once) and checks that `cipher` holds the master
    /// key the database was sealed with.
    pub async fn open(url: &str, cipher: Cipher) -> crate::Result<Self> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        let store = Self { pool, cipher: std::sync::Arc::new(RwLock::new(std::sync::Arc::new(cipher))) };
        store.verify_master_key().await?;
        Ok(store)
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const TAG_PAIRS: &'static str = "json_each_text(c.tags::json) AS t";
    const STRPOS: &'static str = "strpos";

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> crate::Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

crate::sql::sql_store!(PostgresStore, Postgres);
