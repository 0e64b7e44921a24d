//! The SQL of the store, one file per resource, shared by both backends: `sqlite.rs` and
//! `postgres.rs` each compile this module for their own store type, which `Backend` names (see
//! [`crate::dialect`] for why, and for the hooks through which the dialects differ).
//!
//! Each `pub(crate)` function implements the [`crate::Store`] method of the same name (the
//! delegation is written once, in `store.rs`); the others are what the files share.

use super::Backend;
use crate::dialect::Dialect;

pub(crate) mod connections;
pub(crate) mod integrations;
pub(crate) mod jobs;
pub(crate) mod operations;
pub(crate) mod records;
pub(crate) mod settings;
pub(crate) mod syncs;
pub(crate) mod webhooks;

/// The sqlx database of this backend.
type Db = <Backend as Dialect>::Db;

/// A connection of this backend, in or out of a transaction.
type DbConnection = <Db as sqlx::Database>::Connection;
