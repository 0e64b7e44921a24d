//! Snowgate sync engine: models, syncs, actions, scheduler, webhooks

#![forbid(unsafe_code)]
