//! The account half driven directly: users and keys, roles and privileges, SELECT and DML with
//! their rowTypes, value encodings, bindings of every type, views, INFORMATION_SCHEMA, errors
//! with Snowflake's codes, cancellation, statement splitting and classification.

mod dml;
mod select;
mod statements;
mod support;
mod users;
mod views;
