//! The engine's runtime against the Snowflake emulator, on SQLite and on PostgreSQL (see
//! `support`): every sync, scopes, paging, incremental query results, validation failures,
//! interrupted runs and their continuation, the scheduler and workers, webhooks, credential health and actions.

mod actions;
mod custom;
mod custom_actions;
mod delivery;
mod incremental;
mod paging;
mod recorded;
mod resume;
mod runtime;
mod scope;
mod support;
mod unchanged;
