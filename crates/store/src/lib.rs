//! Snowgate persistence: SQLite and PostgreSQL

#![forbid(unsafe_code)]
