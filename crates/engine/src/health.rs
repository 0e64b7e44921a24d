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

use std::sync::Arc;

use chrono::Utc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use snowgate_store::{
    Connection, ConnectionErrorKind, ConnectionPk, Level, NewMessage, NewOperation, OperationKind,
    OperationStatus, Store,
};

use crate::{connect, error::EngineError, notify, runtime::Runtime, webhooks::AuthOperation};

/// The outcome of a credential check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialCheck {
    /// Snowflake accepted the key.
    Valid,
    /// Snowflake refused the key; the connection has an `auth` error.
    Rejected {
        /// Why (Snowflake's answer with the likely cause).
        reason: String,
    },
    /// Snowflake could not be reached or failed; nothing was changed.
    Unreachable {
        /// Why.
        reason: String,
    },
}

/// Connections checked per round at most.
const ROUND: u32 = 100;

/// Starts the periodic checker.
pub(crate) fn spawn(rt: &Arc<Runtime>, shutdown: &CancellationToken, tasks: &mut JoinSet<()>) {
    let rt = Arc::clone(rt);
    let shutdown = shutdown.clone();
    tasks.spawn(async move {
        let period = std::time::Duration::from_secs(rt.config().health_check_interval_secs);
        loop {
            if let Err(error) = round(&rt).await {
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
pub(crate) async fn round(rt: &Runtime) -> Result<usize, EngineError> {
    let max_age = chrono::Duration::seconds(rt.config().health_check_max_age_secs as i64);
    let stale = rt
        .store()
        .stale_connections(Utc::now() - max_age, ROUND)
        .await?;
    for connection in &stale {
        match check(rt, *connection).await {
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

/// Checks one connection's key now (the facade's `check_credentials`).
pub(crate) async fn check(rt: &Runtime, pk: ConnectionPk) -> Result<CredentialCheck, EngineError> {
    let store = rt.store();
    let connection = store
        .connection_by_pk(pk)
        .await?
        .ok_or(EngineError::UnknownConnection(pk))?;
    let client = match connect::client(rt, pk).await {
        Ok(client) => client,
        Err(EngineError::Credentials { reason, .. }) => {
            record_rejection(rt, &connection, &reason).await?;
            return Ok(CredentialCheck::Rejected { reason });
        }
        Err(error) => return Err(error),
    };
    match client.check_credentials().await {
        Ok(_) => {
            store.mark_fetched(pk, Utc::now()).await?;
            record_success(rt, &connection).await?;
            Ok(CredentialCheck::Valid)
        }
        Err(error) if error.as_auth().is_some() => {
            let reason = error.to_string();
            store.mark_fetched(pk, Utc::now()).await?;
            record_rejection(rt, &connection, &reason).await?;
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
    rt: &Runtime,
    connection: &Connection,
) -> Result<(), EngineError> {
    if !connection
        .errors
        .iter()
        .any(|e| e.kind == ConnectionErrorKind::Auth)
    {
        return Ok(());
    }
    let webhooks = notify::auth(rt, connection, AuthOperation::Refresh, None).await?;
    let cleared = rt
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
    rt: &Runtime,
    connection: &Connection,
    reason: &str,
) -> Result<(), EngineError> {
    let store = rt.store();
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
            rt,
            &current,
            AuthOperation::Refresh,
            Some(("invalid_credentials", reason)),
        )
        .await?;
        store.enqueue_deliveries(&webhooks).await?;
    }
    Ok(())
}

/// Records that Snowflake just accepted the connection's key (an authenticated answer to an
/// action or a proxied request): see [`record_success`].
pub(crate) async fn note_authenticated(rt: &Runtime, pk: ConnectionPk) -> Result<(), EngineError> {
    if let Some(stored) = rt.store().connection_by_pk(pk).await? {
        record_success(rt, &stored).await?;
    }
    Ok(())
}
