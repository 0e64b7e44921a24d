//! `GET /schemas`: the JSON Schemas of every model (custom syncs included), action (custom actions
//! included) and webhook
//! (see [`crate::schema`]).

use axum::{Json, extract::State};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{auth::SecretKey, extract::EmptyQuery, schema, state::AppState};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(schemas))
}

/// JSON Schemas of the models, actions and webhook payloads (`snowgate schema --typescript` for
/// TypeScript).
#[utoipa::path(get, path = "/schemas", tag = "schemas", responses((status = 200, body = serde_json::Value)))]
async fn schemas(_: SecretKey, _: EmptyQuery, State(state): State<AppState>) -> Json<Value> {
    let engine = state.engine();
    let models = engine
        .configured_syncs()
        .iter()
        .map(|sync| (sync.model.as_str(), sync.model_schema.clone()));
    Json(schema::document(models, &engine.actions()))
}
