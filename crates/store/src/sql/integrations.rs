//! Integrations: the providers' configurations that connections belong to.

use super::Backend;
use crate::{
    dialect::Dialect,
    error::Result,
    integration::{Integration, NewIntegration},
    rows::{IntegrationRow, now, to_json},
};

pub(crate) async fn upsert_integration(
    store: &Backend,
    integration: &NewIntegration,
) -> Result<Integration> {
    let at = now();
    sqlx::query_as::<_, IntegrationRow>(
        "INSERT INTO integrations (unique_key, provider, display_name, config, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (unique_key) DO UPDATE SET provider = excluded.provider, \
         display_name = excluded.display_name, config = excluded.config, \
         updated_at = excluded.updated_at \
         RETURNING unique_key, provider, display_name, config, created_at, updated_at",
    )
    .bind(&integration.unique_key)
    .bind(&integration.provider)
    .bind(&integration.display_name)
    .bind(to_json("integration config", &integration.config)?)
    .bind(at)
    .fetch_one(store.writer())
    .await?
    .into_integration()
}

pub(crate) async fn integration(store: &Backend, unique_key: &str) -> Result<Option<Integration>> {
    sqlx::query_as::<_, IntegrationRow>(
        "SELECT unique_key, provider, display_name, config, created_at, updated_at \
         FROM integrations WHERE unique_key = $1",
    )
    .bind(unique_key)
    .fetch_optional(store.reader())
    .await?
    .map(IntegrationRow::into_integration)
    .transpose()
}

pub(crate) async fn list_integrations(store: &Backend) -> Result<Vec<Integration>> {
    sqlx::query_as::<_, IntegrationRow>(
        "SELECT unique_key, provider, display_name, config, created_at, updated_at \
         FROM integrations ORDER BY unique_key",
    )
    .fetch_all(store.reader())
    .await?
    .into_iter()
    .map(IntegrationRow::into_integration)
    .collect()
}

pub(crate) async fn delete_integration(store: &Backend, unique_key: &str) -> Result<bool> {
    Ok(
        sqlx::query("DELETE FROM integrations WHERE unique_key = $1")
            .bind(unique_key)
            .execute(store.writer())
            .await?
            .rows_affected()
            > 0,
    )
}
