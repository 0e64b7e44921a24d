//! The webhook outbox: deliveries with their exact bodies, per-attempt history, leases for the
//! dispatcher, and redelivery.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ids::{ConnectionPk, DeliveryId};

/// A webhook to deliver.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Unique per webhook and destination: the delivery's idempotency key, sent as the
    /// `Idempotency-Key` header and equal to the body's `idempotencyKey`. Enqueueing it again is
    /// a no-op.
    pub idempotency_id: String,
    /// The connection it is about.
    pub connection: Option<ConnectionPk>,
    /// `auth`, `sync`, `async_action`, …
    pub kind: String,
    /// The destination.
    pub url: String,
    /// The exact bytes to sign and send.
    pub body: Vec<u8>,
    /// The first attempt is not made before this time.
    pub next_attempt_at: DateTime<Utc>,
}

text_enum!(
    /// The status of a delivery.
    DeliveryStatus {
        /// Waiting for its next attempt.
        Pending = "pending",
        /// Accepted by the receiver.
        Delivered = "delivered",
        /// Given up on.
        Dead = "dead",
    }
);

/// A delivery in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// Its idempotency id.
    pub idempotency_id: String,
    /// The connection it is about (`None` after the connection was deleted).
    pub connection: Option<ConnectionPk>,
    /// Its kind.
    pub kind: String,
    /// The destination.
    pub url: String,
    /// The exact body.
    pub body: Vec<u8>,
    /// Its status.
    pub status: DeliveryStatus,
    /// Attempts made since it was (re)queued.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: DateTime<Utc>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A delivery claimed by a dispatcher.
#[derive(Debug, Clone)]
pub struct DeliveryLease {
    /// The delivery as claimed.
    pub delivery: Delivery,
    /// The claim's token.
    pub token: Uuid,
}

/// What an attempt returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    /// The HTTP status, if a response came.
    pub http_status: Option<u16>,
    /// The error, if the attempt failed.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// What happens to a delivery after an attempt (the retry policy is the dispatcher's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Done.
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Give up.
    Dead,
}

/// One recorded attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// The HTTP status, if a response came.
    pub http_status: Option<u16>,
    /// The error, if it failed.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// Filters of [`crate::Store::list_deliveries`], newest first.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only this status.
    pub status: Option<DeliveryStatus>,
    /// Only this connection.
    pub connection: Option<ConnectionPk>,
    /// Only ids below this one (the previous page's last id).
    pub before: Option<DeliveryId>,
    /// Page size (0 means 100).
    pub limit: u32,
}
