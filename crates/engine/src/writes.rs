//! The part of the [`Engine`] facade that writes what the API's callers own: connection
//! settings, connection metadata, connect sessions and the pruning of delivered records.
//!
//! Every write goes through the engine, so that a rule about a write (an event, a webhook, a
//! check) has one place to live; reads may go to the store directly. These writes have no rule of
//! the engine's yet beyond the store's own: each is one store call.

use secrecy::SecretString;
use serde_json::Value;
use snowgate_store::{
    ConnectSession, ConnectionPk, ConnectionUpdate, Cursor, MetadataWrite, ModelKey, PruneOutcome,
    Store,
};

use crate::{Engine, error::EngineError};

impl Engine {
    /// Updates a connection's tags, webhook URL override and end user; `false` if the
    /// connection does not exist.
    pub async fn update_connection(
        &self,
        connection: ConnectionPk,
        update: &ConnectionUpdate,
    ) -> Result<bool, EngineError> {
        Ok(self.store().update_connection(connection, update).await?)
    }

    /// Replaces or shallow-merges (`mode`) the metadata of connections of one integration, all
    /// or nothing: an unknown id fails the whole call.
    pub async fn write_metadata(
        &self,
        integration: &str,
        connection_ids: &[String],
        metadata: &Value,
        mode: MetadataWrite,
    ) -> Result<(), EngineError> {
        Ok(self
            .store()
            .write_metadata(integration, connection_ids, metadata, mode)
            .await?)
    }

    /// Stores a connect session under its token (the store keeps the token's SHA-256 only).
    pub async fn create_connect_session(
        &self,
        token: &SecretString,
        session: &ConnectSession,
    ) -> Result<(), EngineError> {
        Ok(self.store().create_connect_session(token, session).await?)
    }

    /// Ends the connect session of `token`; `false` if there was none.
    pub async fn delete_connect_session(&self, token: &SecretString) -> Result<bool, EngineError> {
        Ok(self.store().delete_connect_session(token).await?)
    }

    /// Empties the payloads of up to `limit` records of `model` at or before `until`, keeping
    /// their metadata.
    pub async fn prune_records(
        &self,
        connection: ConnectionPk,
        model: &ModelKey,
        until: Cursor,
        limit: u32,
    ) -> Result<PruneOutcome, EngineError> {
        Ok(self
            .store()
            .prune_records(connection, model, until, limit)
            .await?)
    }
}
