//! Snowgate HTTP API, Nango-compatible

#![forbid(unsafe_code)]
