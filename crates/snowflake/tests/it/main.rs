//! HTTP-level tests of the client: against a scripted server on loopback that checks what the
//! client sends and answers with responses recorded from real Snowflake, and against the
//! emulator.

mod emulator;
mod faults;
mod protocol;
mod recorded;
mod show;
mod support;
