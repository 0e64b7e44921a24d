//! The emulator driven over HTTP, as a client sees it.

mod auth;
mod execution;
mod faults;
mod history;
mod multi;
mod partitions;
mod recorded;
mod support;
mod tls;
