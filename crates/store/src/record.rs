//! Synced records with change tracking: what a batch save writes, what the records API reads,
//! and the cursor that pages through changes.
//!
//! Every change of a record (added, updated, deleted, undeleted) takes the next value of a
//! per-(connection, model) sequence. Writers of one model are serialised by a lock on the model's
//! counter row, so sequences commit in order and a reader paging by sequence never skips a change
//! nor sees one twice; an updated record moves to the end, as a new change.

use std::{fmt, str::FromStr};

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{
    error::StoreError,
    ids::{ConnectionPk, RunId, SyncId},
};

/// A model name with its variant, stored as `Model` for the base variant and `Model::variant`
/// otherwise (Nango's naming).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ModelKey(String);

impl ModelKey {
    /// The key of `model` in `variant`; `None` and `"base"` mean the base variant.
    pub fn new(model: &str, variant: Option<&str>) -> Self {
        match variant {
            None | Some("base") => Self(model.to_owned()),
            Some(variant) => Self(format!("{model}::{variant}")),
        }
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_stored(key: String) -> Self {
        Self(key)
    }
}

impl fmt::Display for ModelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A record handed to [`crate::Store::save_records`].
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// The record's id; NUL characters are stripped by the store.
    pub external_id: String,
    /// The record as JSON, stored and served as given.
    pub payload: Box<RawValue>,
    /// The payload's content hash, computed by the caller (the engine hashes canonical JSON, so
    /// key order never counts as a change). Equal hashes mean "unchanged".
    pub hash: [u8; 32],
}

/// A batch of records of one model, saved in one transaction with the sync's checkpoint.
#[derive(Debug)]
pub struct SaveBatch<'a> {
    /// The connection.
    pub connection: ConnectionPk,
    /// The model (with variant).
    pub model: &'a ModelKey,
    /// The records; for duplicate ids the last one wins.
    pub records: &'a [NewRecord],
    /// The run saving them: records are marked seen in this run (for delete tracking).
    pub run: RunId,
    /// The checkpoint to store with the batch, if any: `(sync, checkpoint)`.
    pub checkpoint: Option<(SyncId, &'a serde_json::Value)>,
}

/// What a batch save changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveCounts {
    /// New or undeleted records.
    pub added: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Records saved again with the same content (only marked seen).
    pub unchanged: u64,
}

text_enum!(
    /// The last change of a record.
    RecordAction {
        /// Created, or undeleted.
        Added = "ADDED",
        /// Content changed.
        Updated = "UPDATED",
        /// Soft-deleted.
        Deleted = "DELETED",
    }
);

/// A stored record as the records API returns it, with what `_nango_metadata` needs.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    /// The record's id.
    pub external_id: String,
    /// The JSON payload; `None` once pruned.
    pub payload: Option<Box<RawValue>>,
    /// When the record was first stored.
    pub first_seen_at: DateTime<Utc>,
    /// When it was (re-)added.
    pub created_at: DateTime<Utc>,
    /// When it last changed (Nango's `updated_at`, `last_modified_at`).
    pub last_modified_at: DateTime<Utc>,
    /// The last change.
    pub last_action: RecordAction,
    /// When it was deleted, if it is.
    pub deleted_at: Option<DateTime<Utc>>,
    /// When its payload was pruned, if it was.
    pub pruned_at: Option<DateTime<Utc>>,
    /// The cursor that resumes after this record.
    pub cursor: Cursor,
}

/// Which last actions [`RecordQuery`] returns; all false means no filter. Combinations are a
/// true union (unlike Nango, where `added,deleted` returns only the added ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionFilter {
    /// Not deleted, last action ADDED.
    pub added: bool,
    /// Not deleted, last action UPDATED.
    pub updated: bool,
    /// Deleted.
    pub deleted: bool,
}

impl ActionFilter {
    pub(crate) fn is_all(self) -> bool {
        self.added == self.updated && self.updated == self.deleted
    }
}

/// Most ids [`RecordQuery::ids`] may hold.
pub const MAX_QUERY_IDS: usize = 100;
/// Largest page [`RecordQuery::limit`] may ask for.
pub const MAX_PAGE_SIZE: u32 = 10_000;

/// A page request of the records API.
#[derive(Debug, Clone)]
pub struct RecordQuery<'a> {
    /// The connection.
    pub connection: ConnectionPk,
    /// The model (with variant).
    pub model: &'a ModelKey,
    /// Resume after this cursor.
    pub cursor: Option<Cursor>,
    /// Only records last modified at or after this time.
    pub modified_after: Option<DateTime<Utc>>,
    /// Only these last actions.
    pub filter: ActionFilter,
    /// Only these ids (at most [`MAX_QUERY_IDS`]).
    pub ids: &'a [String],
    /// Page size, 1 to [`MAX_PAGE_SIZE`].
    pub limit: u32,
}

/// One page of records in change order.
#[derive(Debug, Clone)]
pub struct RecordPage {
    /// The records.
    pub records: Vec<StoredRecord>,
    /// Where the next page starts; `None` when this was the last.
    pub next_cursor: Option<Cursor>,
}

/// An opaque position in a model's change sequence.
///
/// Encoded like Nango's cursor, `base64("<last_modified_at>||<position>")` with the time in
/// microseconds and `+00:00`, but the position is the change's sequence number, which is what
/// paging uses; the time is informative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The sequence number of the change.
    pub seq: i64,
    /// When the change happened.
    pub modified_at: DateTime<Utc>,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let time = self
            .modified_at
            .to_rfc3339_opts(SecondsFormat::Micros, false);
        f.write_str(&STANDARD.encode(format!("{time}||{}", self.seq)))
    }
}

impl FromStr for Cursor {
    type Err = StoreError;

    fn from_str(encoded: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            StoreError::Invalid(
                "invalid cursor: pass back a `cursor` or `next_cursor` value unchanged".into(),
            )
        };
        let decoded = STANDARD.decode(encoded).map_err(|_| invalid())?;
        let text = std::str::from_utf8(&decoded).map_err(|_| invalid())?;
        let (time, seq) = text.split_once("||").ok_or_else(invalid)?;
        Ok(Self {
            seq: seq
                .parse()
                .ok()
                .filter(|seq: &i64| *seq >= 0)
                .ok_or_else(invalid)?,
            modified_at: DateTime::parse_from_rfc3339(time)
                .map_err(|_| invalid())?
                .to_utc(),
        })
    }
}

/// The outcome of [`crate::Store::prune_records`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneOutcome {
    /// Payloads emptied.
    pub count: u64,
    /// More records up to the cursor still hold payloads.
    pub has_more: bool,
}

/// Record totals of one model of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCount {
    /// The model (with variant).
    pub model: ModelKey,
    /// Records not deleted.
    pub live: i64,
}
