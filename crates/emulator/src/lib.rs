//! A local Snowflake: the SQL API v2 with key-pair JWT authentication.

#![forbid(unsafe_code)]

pub mod account;
pub mod exec;
