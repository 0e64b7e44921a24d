//! Helpers for the PostgreSQL variants of the test suites (feature `testing`): a schema per test
//! ([`TestSchema`]), a runner that makes and drops it around a test ([`on_postgres`]), and
//! [`backend_tests!`](crate::backend_tests) that declares a test on SQLite and on PostgreSQL.

use std::{future::Future, panic::AssertUnwindSafe, time::Duration};

use futures::FutureExt;

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

/// Runs `test` with the URL of a fresh schema `<prefix>_<uuid>` of the PostgreSQL at
/// `SNOWGATE_TEST_DATABASE_URL`, and drops the schema afterwards, even when the test panics.
/// Without the variable it does not run `test`, says so and returns `skipped`. A schema that
/// cannot be made or dropped is a panic that says which.
pub async fn on_postgres<F, Fut, T>(prefix: &str, skipped: T, test: F) -> T
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = T>,
{
    let Ok(base) = std::env::var("SNOWGATE_TEST_DATABASE_URL") else {
        eprintln!("SNOWGATE_TEST_DATABASE_URL is not set: PostgreSQL variant not run");
        return skipped;
    };
    let schema = TestSchema::create(&base, prefix)
        .await
        .unwrap_or_else(|error| {
            panic!("creating a schema in the PostgreSQL of SNOWGATE_TEST_DATABASE_URL: {error}")
        });
    let outcome = AssertUnwindSafe(test(schema.url().to_owned()))
        .catch_unwind()
        .await;
    if let Err(error) = schema.drop().await {
        panic!("dropping the test schema: {error}");
    }
    match outcome {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Declares each listed `async fn` as a SQLite and a PostgreSQL test (modules `sqlite` and
/// `postgres`), run by the given runners: `backend_tests!(crate::support::on_sqlite,
/// crate::support::on_postgres; a_test, another_test)`. Each runner takes the test function and
/// returns an `anyhow::Result<()>`.
#[macro_export]
macro_rules! backend_tests {
    ($on_sqlite:path, $on_postgres:path; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() -> anyhow::Result<()> {
                    $on_sqlite(super::$name).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() -> anyhow::Result<()> {
                    $on_postgres(super::$name).await
                }
            )*
        }
    };
}
