//! Snowgate sync engine: models, syncs, actions, scheduler, webhooks.
//!
//! These are the engine's pure foundations, usable without a Snowflake client or a store:
//!
//! * [`models`] — the eight record types with Nango's fields, their JSON Schemas and validators;
//! * [`row`] and [`mapping`] — one SHOW/SELECT row → one record, with Nango's field rules;
//! * [`ids`] — record ids, byte-compatible with Nango, and collision detection;
//! * [`canonical`] — canonical JSON and the content hash of a record;
//! * [`validation`] — validating records, and the policy for records that fail;
//! * [`value`] — result column types and typed decoding of jsonv2 strings;
//! * [`sql`] — identifier quoting and the paged SHOW statements of the metadata syncs.

#![forbid(unsafe_code)]

pub mod canonical;
pub mod catalog;
pub mod ids;
pub mod mapping;
pub mod metadata;
pub mod models;
pub mod row;
pub mod sql;
pub mod validation;
pub mod value;
