//! Credential health: a periodic `SELECT CURRENT_TIMESTAMP` per connection, which notices a key
//! that was revoked, rotated away or expired (Nango never does: its JWT refresh only re-signs
//! locally).
//!
//! A refusal by Snowflake sets the connection's `auth` error (`errors: [{type: "auth"}]`) and, on
//! the transition from healthy, enqueues the `auth` webhook with `operation: "refresh"` and
//! `success: false`. A later success — of a check, a sync run, an action or a proxied request —
//! clears the error and enqueues the `refresh` webhook with `success: true`, once. A network
//! failure changes nothing: it says nothing about the key. Connections are checked when they were
//! not used or checked for `health_check_max_age_secs`, a hundred per round.

use chrono::Utc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use snowgate_store::{
    Connection, ConnectionErrorKind, ConnectionPk, Level, NewMessage, NewOperation, OperationKind,
    OperationStatus, Store,
};

use crate::{
    engine::{CredentialCheck, Engine},
    error::EngineError,
    notify,
    webhooks::AuthOperation,
};

/// Connections checked per round at most.
const ROUND: u32 = 100;

/// Starts the periodic checker.
pub(crate) fn spawn(engine: &Engine, shutdown: &CancellationToken, tasks: &mut JoinSet<()>) {
    let engine = engine.clone();
    let shutdown = shutdown.clone();
    tasks.spawn(async move {
        let period = std::time::Duration::from_secs(engine.config().health_check_interval_secs);
        loop {
            if let Err(error) = round(&engine).await {
                tracing::warn!(%error, "credential health round failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(period) => {}
            }
        }
    });
}

/// Checks the connections not used or checked recently; returns how many were checked.
pub(crate) async fn round(engine: &Engine) -> Result<usize, EngineError> {
    let max_age = chrono::Duration::seconds(engine.config().health_check_max_age_secs as i64);
    let stale = engine
        .store()
        .stale_connections(Utc::now() - max_age, ROUND)
        .await?;
    for connection in &stale {
        match check(engine, *connection).await {
            Ok(CredentialCheck::Rejected { .. }) => {
                tracing::warn!(connection = %connection, "a connection's key was refused by Snowflake");
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(connection = %connection, %error, "credential check failed")
            }
        }
    }
    Ok(stale.len())
}

/// Checks one connection (see [`Engine::check_credentials`]).
pub(crate) async fn check(
    engine: &Engine,
    pk: ConnectionPk,
) -> Result<CredentialCheck, EngineError> {
    let store = engine.store();
    let connection = store
        .connection_by_pk(pk)
        .await?
        .ok_or(EngineError::UnknownConnection(pk))?;
    let client = match engine.snowflake_client(pk).await {
        Ok(client) => client,
        Err(EngineError::Credentials { reason, .. }) => {
            record_rejection(engine, &connection, &reason).await?;
            return Ok(CredentialCheck::Rejected { reason });
        }
        Err(error) => return Err(error),
    };
    match client.check_credentials().await {
        Ok(_) => {
            store.mark_fetched(pk, Utc::now()).await?;
            record_success(engine, &connection).await?;
            Ok(CredentialCheck::Valid)
        }
        Err(error) if error.as_auth().is_some() => {
            let reason = error.to_string();
            store.mark_fetched(pk, Utc::now()).await?;
            record_rejection(engine, &connection, &reason).await?;
            Ok(CredentialCheck::Rejected { reason })
        }
        Err(error) => Ok(CredentialCheck::Unreachable {
            reason: error.to_string(),
        }),
    }
}

/// Records that Snowflake accepted a connection's key (a credential check, a sync run, an action,
/// a proxied request): clears its `auth` error, if it has one, and enqueues the `refresh` success
/// webhook with the clearing, so only the first of concurrent successes sends it. Costs nothing
/// when the connection (as loaded by the caller) had no auth error.
pub(crate) async fn record_success(
    engine: &Engine,
    connection: &Connection,
) -> Result<(), EngineError> {
    if !connection
        .errors
        .iter()
        .any(|e| e.kind == ConnectionErrorKind::Auth)
    {
        return Ok(());
    }
    let webhooks = notify::auth(engine, connection, AuthOperation::Refresh, None).await?;
    let cleared = engine
        .store()
        .clear_connection_error(connection.id, ConnectionErrorKind::Auth, None, &webhooks)
        .await?;
    if cleared {
        tracing::info!(connection.id = %connection.connection_id, "the connection's key works again; auth error cleared");
    }
    Ok(())
}

/// Records that Snowflake refused a connection's key: an operation with the reason, the `auth`
/// error, and the `refresh` failure webhook when the connection had no auth error yet.
pub(crate) async fn record_rejection(
    engine: &Engine,
    connection: &Connection,
    reason: &str,
) -> Result<(), EngineError> {
    let store = engine.store();
    let current = store
        .connection_by_pk(connection.id)
        .await?
        .unwrap_or_else(|| connection.clone());
    let already_failing = current
        .errors
        .iter()
        .any(|e| e.kind == ConnectionErrorKind::Auth);
    let now = Utc::now();
    let operation = store
        .start_operation(&NewOperation {
            kind: OperationKind::Auth,
            connection: Some(connection.id),
            name: "credentials check".into(),
            started_at: now,
        })
        .await?;
    store
        .add_messages(
            &operation,
            &[NewMessage {
                level: Level::Error,
                message: reason.to_owned(),
                fields: None,
                at: now,
            }],
        )
        .await?;
    store
        .finish_operation(&operation, OperationStatus::Failed, None, now)
        .await?;
    store
        .set_connection_error(connection.id, ConnectionErrorKind::Auth, "", &operation)
        .await?;
    if !already_failing {
        let webhooks = notify::auth(
            engine,
            &current,
            AuthOperation::Refresh,
            Some(("invalid_credentials", reason)),
        )
        .await?;
        store.enqueue_deliveries(&webhooks).await?;
    }
    Ok(())
}
