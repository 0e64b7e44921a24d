//! Snowgate sync engine: models, syncs, actions, scheduler, webhooks.
//!
//! These are the engine's pure foundations, usable without a Snowflake client or a store:
//!
//! * [`models`] — the eight record types with Nango's fields, their JSON Schemas and validators;
//! * [`row`] and [`mapping`] — one SHOW/SELECT row → one record, with Nango's field rules;
//! * [`ids`] — record ids, byte-compatible with Nango, and collision detection;
//! * [`canonical`] — canonical JSON and the content hash of a record;
//! * [`validator`] — a model's compiled JSON Schema and the field errors of a record that breaks it;
//! * [`validation`] — records prepared for the store, and the policy for records that fail;
//! * [`value`] — query result columns: the typed JSON of a cell and the JSON Schema of a column
//!   (decoding itself is the Snowflake client's);
//! * [`sql`] — identifier quoting, dotted names and the SHOW statements of the metadata syncs;
//! * [`metadata`] — connection metadata: the scope of the metadata syncs, `query-results` settings;
//! * [`watermark`] — typed incremental watermarks, their bindings and the incremental statement;
//! * [`actions`] — the inputs and outputs of the fifteen actions;
//! * [`catalog`] — the built-in syncs and actions, Nango's frequency grammar;
//! * [`webhooks`] — webhook payloads, canonical bodies, signatures, the delivery retry schedule;
//! * [`custom`] — custom (SQL-defined) sync declarations, `:name` bindings, derived model schemas;
//! * [`custom_action`] — custom (SQL-defined) actions: typed inputs, bindings, output shapes.
//!
//! On them runs the engine's runtime, reached through one facade, [`Engine`] (cheap to clone),
//! which the HTTP API and the CLI call:
//!
//! * lifecycle — [`Engine::new`] (store, [`EngineConfig`], shared `reqwest::Client`),
//!   [`Engine::ensure_integration`], [`Engine::spawn_background`] (scheduler, workers, webhook
//!   dispatcher, credential health checker for a [`ProcessRole`]);
//! * connections — [`Engine::create_jwt_connection`] ([`CreateConnection`] →
//!   [`CreatedConnection`] or [`ConnectError`]), [`Engine::delete_connection`],
//!   [`Engine::refresh_token`], [`Engine::snowflake_client`], [`Engine::check_credentials`],
//!   [`Engine::update_connection`], [`Engine::write_metadata`],
//!   [`Engine::create_connect_session`] / [`Engine::delete_connect_session`];
//! * syncs — [`Engine::configured_syncs`], [`Engine::trigger`] / [`Engine::start`] /
//!   [`Engine::pause`] / [`Engine::status`] over a [`SyncTarget`] and [`SyncSelector`]s,
//!   [`Engine::update_frequency`], [`Engine::create_variant`] / [`Engine::delete_variant`],
//!   [`Engine::run_sync`] (a run in the foreground, for the CLI);
//! * records — [`Engine::prune_records`];
//! * actions — [`Engine::run_action`], [`Engine::enqueue_action`], [`Engine::action_result`],
//!   failing with [`ActionError`] (Nango's codes);
//! * webhooks — [`Engine::webhook_settings`], [`Engine::set_webhook_settings`],
//!   [`Engine::redeliver`].
//!
//! The rule for callers: **writes go through the engine, reads may be direct.** The API and the
//! CLI may read the store ([`Engine::store`]) to list and show things, but every change goes
//! through an [`Engine`] method, so that a rule about a write (an event it raises, a webhook, a
//! check) has one place to live even when today it is a single store call.
//!
//! The runtime, top to bottom (every arrow points down; `tests/modules.rs` checks that the
//! crate's modules import each other without a cycle):
//!
//! * `engine` — the facade; only delegates. Nothing imports it.
//! * `worker` (claims jobs), `scheduler` (queues due syncs), `dispatch` (delivers webhooks) —
//!   the background tasks;
//! * `sync_jobs` (a sync run as a job: start or continue, run, finish, announce) and
//!   `action_exec` (the fifteen actions, inline or as jobs);
//! * `connect` (connections, their credentials and cached clients), `health` (credential checks,
//!   the auth error), `sync_control` (selecting, creating, queuing and pausing syncs; status);
//! * `notify` (which webhooks an event produces), `webhook_settings`, `jobs` (what sync and
//!   action jobs share: heartbeat, end), `stop` (a job's stop signal);
//! * `syncs` (what each sync reads; `syncs::context`, the batch sink a run writes through);
//! * `runtime` — the shared state below the facade: store, configuration, HTTP client,
//!   configured syncs, client cache;
//! * [`config`] and [`error`], and the foundations above.

#![forbid(unsafe_code)]

pub mod actions;
pub mod canonical;
pub mod catalog;
pub mod custom;
pub mod custom_action;
pub mod ids;
pub mod mapping;
pub mod metadata;
pub mod models;
pub mod row;
pub mod sql;
pub mod validation;
pub mod validator;
pub mod value;
pub mod watermark;
pub mod webhooks;

mod action_exec;
pub mod config;
mod connect;
mod dispatch;
mod engine;
pub mod error;
mod health;
mod jobs;
mod notify;
mod runtime;
mod scheduler;
mod stop;
mod sync_control;
mod sync_jobs;
pub mod syncs;
mod webhook_settings;
mod worker;

pub use crate::{
    action_exec::listing as action_listing,
    config::{EngineConfig, ProcessRole},
    connect::{CreateConnection, CreatedConnection, PROVIDER},
    engine::Engine,
    error::{ActionError, ConnectError, EngineError, InputError, SyncControlError},
    health::CredentialCheck,
    sync_control::{
        BASE_VARIANT, SyncSelector, SyncStatus, SyncStatusKind, SyncTarget, TriggerOpts,
        frequency_text,
    },
    syncs::{ConfiguredSync, context::Progress},
    webhook_settings::{WebhookSettings, WebhookSettingsUpdate},
};

#[cfg(test)]
mod test_fixtures;
