//! Connections (credentials sealed under their row's context), their active errors, and connect
//! sessions kept by token hash.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sqlx::QueryBuilder;

use super::{Backend, Db, DbConnection, webhooks};
use crate::{
    connection::{
        ConnectSession, Connection, ConnectionErrorKind, ConnectionFilter, ConnectionUpdate,
        MetadataWrite, NewConnection,
    },
    dialect::{Dialect, IDS_PER_STATEMENT, credentials_context, end_user_keys, page_limit},
    error::{Result, StoreError},
    ids::ConnectionPk,
    rows::{
        CONNECTION_COLUMNS, ConnectionErrorRow, ConnectionRow, assemble_connections, from_json,
        micros, now, to_json, token_hash,
    },
    secret::SecretJson,
    webhook::NewDelivery,
};

/// Runs a `SELECT {CONNECTION_COLUMNS} …` and attaches the connections' errors.
async fn load_connections(store: &Backend, mut query: QueryBuilder<Db>) -> Result<Vec<Connection>> {
    let rows: Vec<ConnectionRow> = query.build_query_as().fetch_all(store.reader()).await?;
    let mut error_rows = Vec::new();
    for chunk in rows.chunks(IDS_PER_STATEMENT) {
        let mut errors = QueryBuilder::<Db>::new(
            "SELECT connection, kind, scope, log_id FROM connection_errors \
             WHERE connection IN (",
        );
        let mut ids = errors.separated(", ");
        for row in chunk {
            ids.push_bind(row.id);
        }
        errors.push(") ORDER BY connection, kind, scope");
        error_rows.extend(
            errors
                .build_query_as::<ConnectionErrorRow>()
                .fetch_all(store.reader())
                .await?,
        );
    }
    assemble_connections(rows, error_rows)
}

/// The `SELECT` of connections that [`load_connections`] runs, ready for `AND` conditions.
fn select_connections() -> QueryBuilder<Db> {
    QueryBuilder::new(format!(
        "SELECT {CONNECTION_COLUMNS} FROM connections c \
         JOIN integrations i ON i.unique_key = c.integration_key WHERE TRUE"
    ))
}

/// The first connection [`load_connections`] finds.
async fn one_connection(store: &Backend, query: QueryBuilder<Db>) -> Result<Option<Connection>> {
    Ok(load_connections(store, query).await?.into_iter().next())
}

/// Sets an active error of a connection (see [`crate::Store::set_connection_error`]).
pub(super) async fn write_connection_error(
    conn: &mut DbConnection,
    id: ConnectionPk,
    kind: ConnectionErrorKind,
    scope: &str,
    log_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO connection_errors (connection, kind, scope, log_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (connection, kind, scope) \
         DO UPDATE SET log_id = excluded.log_id, created_at = excluded.created_at",
    )
    .bind(id)
    .bind(kind.as_str())
    .bind(scope)
    .bind(log_id)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn delete_connection_errors(
    conn: &mut DbConnection,
    id: ConnectionPk,
    kind: ConnectionErrorKind,
    scope: Option<&str>,
) -> Result<bool> {
    let deleted = sqlx::query(
        "DELETE FROM connection_errors WHERE connection = $1 AND kind = $2 \
         AND ($3 IS NULL OR scope = $3)",
    )
    .bind(id)
    .bind(kind.as_str())
    .bind(scope)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(deleted > 0)
}

pub(crate) async fn upsert_connection(
    store: &Backend,
    connection: &NewConnection,
) -> Result<(Connection, bool)> {
    let at = now();
    let (end_user_id, organization_id) =
        end_user_keys(connection.end_user.as_ref(), &connection.tags);
    let sealed = store.cipher().seal_json(
        &connection.credentials,
        &credentials_context(&connection.integration_key, &connection.connection_id),
    );
    let mut tx = store.begin_write().await?;
    let (id, created_at): (i64, i64) = sqlx::query_as(
        "INSERT INTO connections (integration_key, connection_id, connection_config, \
         metadata, tags, end_user, end_user_id, organization_id, \
         webhook_url_override, credentials, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         ON CONFLICT (integration_key, connection_id) DO UPDATE SET \
         connection_config = excluded.connection_config, tags = excluded.tags, \
         end_user = excluded.end_user, end_user_id = excluded.end_user_id, \
         organization_id = excluded.organization_id, \
         webhook_url_override = excluded.webhook_url_override, \
         credentials = excluded.credentials, updated_at = excluded.updated_at \
         RETURNING id, created_at",
    )
    .bind(&connection.integration_key)
    .bind(&connection.connection_id)
    .bind(to_json("connection config", &connection.connection_config)?)
    .bind(
        connection
            .metadata
            .as_ref()
            .map(|m| to_json("metadata", m))
            .transpose()?,
    )
    .bind(to_json("tags", &connection.tags)?)
    .bind(
        connection
            .end_user
            .as_ref()
            .map(|u| to_json("end user", u))
            .transpose()?,
    )
    .bind(end_user_id)
    .bind(organization_id)
    .bind(&connection.webhook_url_override)
    .bind(sealed)
    .bind(at)
    .fetch_one(&mut *tx)
    .await
    .map_err(|error| match error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound {
            what: "integration",
            key: connection.integration_key.clone(),
        },
        other => other.into(),
    })?;
    let id = ConnectionPk(id);
    delete_connection_errors(&mut tx, id, ConnectionErrorKind::Auth, None).await?;
    tx.commit().await?;
    let stored = connection_by_pk(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "connection",
            key: connection.connection_id.clone(),
        })?;
    Ok((stored, created_at == at))
}

pub(crate) async fn connection(
    store: &Backend,
    integration_key: &str,
    connection_id: &str,
) -> Result<Option<Connection>> {
    let mut query = select_connections();
    query
        .push(" AND c.integration_key = ")
        .push_bind(integration_key);
    query
        .push(" AND c.connection_id = ")
        .push_bind(connection_id);
    one_connection(store, query).await
}

pub(crate) async fn connection_pk(
    store: &Backend,
    integration_key: &str,
    connection_id: &str,
) -> Result<Option<ConnectionPk>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM connections WHERE integration_key = $1 AND connection_id = $2",
    )
    .bind(integration_key)
    .bind(connection_id)
    .fetch_optional(store.reader())
    .await?;
    Ok(id.map(ConnectionPk))
}

pub(crate) async fn connection_by_pk(
    store: &Backend,
    id: ConnectionPk,
) -> Result<Option<Connection>> {
    let mut query = select_connections();
    query.push(" AND c.id = ").push_bind(id);
    one_connection(store, query).await
}

pub(crate) async fn list_connections(
    store: &Backend,
    filter: &ConnectionFilter,
) -> Result<Vec<Connection>> {
    let mut query = select_connections();
    if !filter.integration_keys.is_empty() {
        query.push(" AND c.integration_key IN (");
        let mut keys = query.separated(", ");
        for key in &filter.integration_keys {
            keys.push_bind(key);
        }
        query.push(")");
    }
    if let Some(connection_id) = &filter.connection_id {
        query
            .push(" AND c.connection_id = ")
            .push_bind(connection_id);
    }
    if let Some(search) = &filter.search {
        let needle = search.to_lowercase();
        query.push(format!(
            " AND ({}(lower(c.connection_id), ",
            Backend::STRPOS
        ));
        query.push_bind(needle.clone());
        query.push(format!(
            ") > 0 OR {}(lower(COALESCE(c.end_user, '')), ",
            Backend::STRPOS
        ));
        query.push_bind(needle).push(") > 0)");
    }
    for (key, value) in &filter.tags {
        query.push(format!(
            " AND EXISTS (SELECT 1 FROM {} WHERE t.key = ",
            Backend::TAG_PAIRS
        ));
        query
            .push_bind(key)
            .push(" AND t.value = ")
            .push_bind(value)
            .push(")");
    }
    if let Some(end_user_id) = &filter.end_user_id {
        query.push(" AND c.end_user_id = ").push_bind(end_user_id);
    }
    if let Some(organization_id) = &filter.end_user_organization_id {
        query
            .push(" AND c.organization_id = ")
            .push_bind(organization_id);
    }
    let limit = page_limit(filter.limit);
    query.push(" ORDER BY c.id DESC LIMIT ").push_bind(limit);
    query
        .push(" OFFSET ")
        .push_bind(limit * i64::from(filter.page));
    load_connections(store, query).await
}

pub(crate) async fn update_connection(
    store: &Backend,
    id: ConnectionPk,
    update: &ConnectionUpdate,
) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let mut query = QueryBuilder::<Db>::new("SELECT tags, end_user FROM connections WHERE id = ");
    query.push_bind(id).push(Backend::FOR_UPDATE);
    let Some((tags, end_user)): Option<(String, Option<String>)> =
        query.build_query_as().fetch_optional(&mut *tx).await?
    else {
        return Ok(false);
    };
    let tags = match &update.tags {
        Some(tags) => tags.clone(),
        None => from_json("connection tags", &tags)?,
    };
    let end_user: Option<Value> = match &update.end_user {
        Some(end_user) => end_user.clone(),
        None => end_user
            .map(|text| from_json("end user", &text))
            .transpose()?,
    };
    let (end_user_id, organization_id) = end_user_keys(end_user.as_ref(), &tags);
    sqlx::query(
        "UPDATE connections SET tags = $1, end_user = $2, end_user_id = $3, \
         organization_id = $4, \
         webhook_url_override = CASE WHEN $5 THEN $6 ELSE webhook_url_override END, \
         updated_at = $7 WHERE id = $8",
    )
    .bind(to_json("tags", &tags)?)
    .bind(
        end_user
            .as_ref()
            .map(|u| to_json("end user", u))
            .transpose()?,
    )
    .bind(end_user_id)
    .bind(organization_id)
    .bind(update.webhook_url_override.is_some())
    .bind(update.webhook_url_override.clone().flatten())
    .bind(now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn write_metadata(
    store: &Backend,
    integration_key: &str,
    connection_ids: &[String],
    metadata: &Value,
    mode: MetadataWrite,
) -> Result<()> {
    let at = now();
    let mut tx = store.begin_write().await?;
    for connection_id in connection_ids {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT id, metadata FROM connections WHERE integration_key = ",
        );
        query.push_bind(integration_key);
        query.push(" AND connection_id = ").push_bind(connection_id);
        query.push(Backend::FOR_UPDATE);
        let Some((id, current)): Option<(i64, Option<String>)> =
            query.build_query_as().fetch_optional(&mut *tx).await?
        else {
            return Err(StoreError::NotFound {
                what: "connection",
                key: connection_id.clone(),
            });
        };
        let merged = match (mode, current) {
            (MetadataWrite::Merge, Some(current)) => {
                let mut current: Value = from_json("connection metadata", &current)?;
                match (current.as_object_mut(), metadata.as_object()) {
                    (Some(current_map), Some(update)) => {
                        current_map.extend(update.clone());
                        current
                    }
                    _ => metadata.clone(),
                }
            }
            _ => metadata.clone(),
        };
        sqlx::query("UPDATE connections SET metadata = $1, updated_at = $2 WHERE id = $3")
            .bind(to_json("connection metadata", &merged)?)
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn delete_connection(
    store: &Backend,
    integration_key: &str,
    connection_id: &str,
    webhooks: &[NewDelivery],
) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let deleted =
        sqlx::query("DELETE FROM connections WHERE integration_key = $1 AND connection_id = $2")
            .bind(integration_key)
            .bind(connection_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
    if deleted {
        webhooks::insert_deliveries(&mut tx, webhooks).await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

pub(crate) async fn credentials(store: &Backend, id: ConnectionPk) -> Result<Option<SecretJson>> {
    let row: Option<(String, String, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT integration_key, connection_id, credentials FROM connections \
         WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.reader())
    .await?;
    let Some((integration_key, connection_id, Some(sealed))) = row else {
        return Ok(None);
    };
    store
        .cipher()
        .open_json(
            &sealed,
            &credentials_context(&integration_key, &connection_id),
        )
        .map(Some)
}

pub(crate) async fn set_credentials(
    store: &Backend,
    id: ConnectionPk,
    credentials: &SecretJson,
) -> Result<()> {
    let mut tx = store.begin_write().await?;
    let Some((integration_key, connection_id)): Option<(String, String)> =
        sqlx::query_as("SELECT integration_key, connection_id FROM connections WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Err(StoreError::NotFound {
            what: "connection",
            key: id.to_string(),
        });
    };
    let sealed = store.cipher().seal_json(
        credentials,
        &credentials_context(&integration_key, &connection_id),
    );
    sqlx::query("UPDATE connections SET credentials = $1, updated_at = $2 WHERE id = $3")
        .bind(sealed)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn mark_fetched(
    store: &Backend,
    id: ConnectionPk,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE connections SET last_fetched_at = $1 WHERE id = $2")
        .bind(micros(at))
        .bind(id)
        .execute(store.writer())
        .await?;
    Ok(())
}

pub(crate) async fn stale_connections(
    store: &Backend,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<ConnectionPk>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM connections \
         WHERE COALESCE(last_fetched_at, created_at) < $1 \
         ORDER BY COALESCE(last_fetched_at, created_at), id LIMIT $2",
    )
    .bind(micros(before))
    .bind(page_limit(limit))
    .fetch_all(store.reader())
    .await?)
}

pub(crate) async fn set_connection_error(
    store: &Backend,
    id: ConnectionPk,
    kind: ConnectionErrorKind,
    scope: &str,
    log_id: &str,
) -> Result<()> {
    let mut conn = store.writer().acquire().await?;
    write_connection_error(&mut conn, id, kind, scope, log_id).await
}

pub(crate) async fn clear_connection_error(
    store: &Backend,
    id: ConnectionPk,
    kind: ConnectionErrorKind,
    scope: Option<&str>,
    webhooks: &[NewDelivery],
) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let cleared = delete_connection_errors(&mut tx, id, kind, scope).await?;
    if cleared {
        webhooks::insert_deliveries(&mut tx, webhooks).await?;
    }
    tx.commit().await?;
    Ok(cleared)
}

pub(crate) async fn create_connect_session(
    store: &Backend,
    token: &SecretString,
    session: &ConnectSession,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO connect_sessions (token_hash, session, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash(token.expose_secret()))
    .bind(to_json("connect session", session)?)
    .bind(now())
    .bind(micros(session.expires_at))
    .execute(store.writer())
    .await?;
    Ok(())
}

pub(crate) async fn connect_session(
    store: &Backend,
    token: &SecretString,
    now: DateTime<Utc>,
) -> Result<Option<ConnectSession>> {
    let session: Option<String> = sqlx::query_scalar(
        "SELECT session FROM connect_sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash(token.expose_secret()))
    .bind(micros(now))
    .fetch_optional(store.reader())
    .await?;
    session
        .map(|text| from_json("connect session", &text))
        .transpose()
}

pub(crate) async fn delete_connect_session(store: &Backend, token: &SecretString) -> Result<bool> {
    Ok(
        sqlx::query("DELETE FROM connect_sessions WHERE token_hash = $1")
            .bind(token_hash(token.expose_secret()))
            .execute(store.writer())
            .await?
            .rows_affected()
            > 0,
    )
}

pub(crate) async fn purge_connect_sessions(store: &Backend, now: DateTime<Utc>) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM connect_sessions WHERE expires_at <= $1")
            .bind(micros(now))
            .execute(store.writer())
            .await?
            .rows_affected(),
    )
}
