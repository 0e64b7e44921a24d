//! Integration tests of the API: a real server on loopback, driven over HTTP.

mod support;

mod auth;
mod connect;
mod connections;
mod deliveries;
mod jwt;
mod openapi;
mod records;
