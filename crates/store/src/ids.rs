//! Typed row ids, so a sync id cannot be passed where a run id is expected.

use std::fmt;

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

row_id!(
    /// The numeric internal id of a connection (Nango's `id` field).
    ConnectionPk
);
row_id!(
    /// A sync of a connection (one per sync name and variant).
    SyncId
);
row_id!(
    /// A run of a sync. Run ids grow, so a run id also serves as the "seen in run" generation of
    /// records.
    RunId
);
row_id!(
    /// A queued job.
    JobId
);
row_id!(
    /// A webhook delivery in the outbox.
    DeliveryId
);
