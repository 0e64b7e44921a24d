//! Integration tests of the API: a real server on loopback, driven over HTTP.

mod support;

mod actions;
mod auth;
mod connect;
mod connections;
mod deliveries;
mod jwt;
mod openapi;
mod proxy;
mod records;
mod syncs;
mod webhooks;
