//! Snowflake client: key-pair JWT authentication and the SQL API v2

#![forbid(unsafe_code)]
