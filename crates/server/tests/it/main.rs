//! Integration tests of the API: a real server on loopback, driven over HTTP.

mod support;

mod actions;
mod auth;
mod config;
mod connect;
mod connections;
mod corpus;
mod custom_actions;
mod deliveries;
mod edge;
mod jwt;
mod openapi;
mod proxy;
mod records;
mod syncs;
mod webhooks;
