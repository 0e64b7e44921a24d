//! The store suite: every test runs on SQLite and on PostgreSQL (see `support`).

mod connections;
mod jobs;
mod outbox;
mod records;
mod secrets;
mod support;
mod syncs;
