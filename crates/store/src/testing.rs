//! Helpers for the PostgreSQL variants of the test suites (feature `testing`).

use std::time::Duration;

/// Drops a test schema. A test's servers and workers may still be shutting down and holding locks
/// in it (a `DROP … CASCADE` racing them can be chosen as a deadlock victim), so a failed drop is
/// retried for about three seconds before its error is returned.
pub async fn drop_schema(admin: &sqlx::PgPool, schema: &str) -> Result<(), sqlx::Error> {
    let mut attempt = 0;
    loop {
        let dropped = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(admin)
            .await;
        match dropped {
            Ok(_) => return Ok(()),
            Err(_) if attempt < 30 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// A PostgreSQL schema of its own for one test or benchmark run, so that runs never see each
/// other's rows (nor a master key of an earlier run).
#[derive(Debug)]
pub struct TestSchema {
    admin: sqlx::PgPool,
    name: String,
    url: String,
}

impl TestSchema {
    /// Creates a fresh schema `<prefix>_<uuid>` in the database at `base` (a `postgres://` URL).
    pub async fn create(base: &str, prefix: &str) -> Result<Self, sqlx::Error> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(base).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&admin)
            .await?;
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{name}");
        Ok(Self { admin, name, url })
    }

    /// A URL whose connections work in the schema.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the schema and everything in it (see [`drop_schema`]).
    pub async fn drop(self) -> Result<(), sqlx::Error> {
        let dropped = drop_schema(&self.admin, &self.name).await;
        self.admin.close().await;
        dropped
    }
}
