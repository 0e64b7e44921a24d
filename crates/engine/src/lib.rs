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
//! * [`sql`] — identifier quoting, dotted names and the SHOW statements of the metadata syncs;
//! * [`metadata`] — connection metadata: the scope of the metadata syncs, `query-results` settings;
//! * [`watermark`] — typed incremental watermarks, their bindings and the incremental statement;
//! * [`actions`] — the inputs and outputs of the fifteen actions;
//! * [`catalog`] — the built-in syncs and actions, Nango's frequency grammar;
//! * [`webhooks`] — webhook payloads, canonical bodies, signatures, the delivery retry schedule.

#![forbid(unsafe_code)]

pub mod actions;
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
pub mod watermark;
pub mod webhooks;

#[cfg(test)]
mod test_fixtures;
