//! The operations log: one operation per sync run, action, auth flow, proxy call or webhook,
//! with its messages. Served by the operations API; removed by age.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::ids::ConnectionPk;

text_enum!(
    /// What an operation was.
    OperationKind {
        /// A sync run.
        Sync = "sync",
        /// An action.
        Action = "action",
        /// An auth flow or credential check.
        Auth = "auth",
        /// A proxied request.
        Proxy = "proxy",
        /// A webhook delivery.
        Webhook = "webhook",
    }
);

text_enum!(
    /// How an operation stands.
    OperationStatus {
        /// Not finished.
        Running = "running",
        /// Succeeded.
        Success = "success",
        /// Failed.
        Failed = "failed",
        /// Its process died or lost its lease before it ended, and another operation (named in
        /// the summary's `continued_by`) took its work over.
        Interrupted = "interrupted",
    }
);

text_enum!(
    /// A message's level.
    Level {
        /// Detail.
        Debug = "debug",
        /// Progress.
        Info = "info",
        /// Something to look at.
        Warn = "warn",
        /// A failure.
        Error = "error",
    }
);

/// What [`crate::Store::start_operation`] records.
#[derive(Debug, Clone)]
pub struct NewOperation {
    /// Its kind.
    pub kind: OperationKind,
    /// The connection concerned.
    pub connection: Option<ConnectionPk>,
    /// What ran, e.g. the sync or action name.
    pub name: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
}

/// An operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Its id (the API's `log_id`).
    pub id: String,
    /// Its kind.
    pub kind: OperationKind,
    /// The connection concerned.
    pub connection: Option<ConnectionPk>,
    /// What ran.
    pub name: String,
    /// Its status.
    pub status: OperationStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// A structured summary (counts, error).
    pub summary: Option<Value>,
}

/// A message to append to an operation.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Its level.
    pub level: Level,
    /// The text (no secrets).
    pub message: String,
    /// Structured fields.
    pub fields: Option<Value>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Its id, increasing within an operation.
    pub id: i64,
    /// Its level.
    pub level: Level,
    /// The text.
    pub message: String,
    /// Structured fields.
    pub fields: Option<Value>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

/// Filters of [`crate::Store::list_operations`], newest first.
#[derive(Debug, Clone, Default)]
pub struct OperationFilter {
    /// Only this kind.
    pub kind: Option<OperationKind>,
    /// Only this connection.
    pub connection: Option<ConnectionPk>,
    /// Only this status.
    pub status: Option<OperationStatus>,
    /// Only operations started before this time (the previous page's last `started_at`).
    pub started_before: Option<DateTime<Utc>>,
    /// Page size (0 means 100).
    pub limit: u32,
}
