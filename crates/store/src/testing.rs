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
