//! The records API: pages of a model's records in change order, each with `_nango_metadata`,
//! and pruning of payloads.
//!
//! Pages are written straight from the stored JSON: each payload is split into its top-level
//! fields without parsing the values, `id` is forced to the record's id and `_nango_metadata`
//! appended, so serving costs little more than copying bytes.

use std::borrow::Cow;

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use snowgate_store::{
    ActionFilter, Connection, ConnectionPk, Cursor, ModelKey, RecordPage, RecordQuery, Store,
    StoredRecord,
};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::SecretKey,
    error::{ApiError, ApiResult, FieldError},
    extract::{Checks, ConnectionHeaders, JsonBody, QueryParams, is_name},
    state::AppState,
    time::micros_offset,
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_records))
        .routes(routes!(list_records_slash))
        .routes(routes!(prune_records))
}

const DEFAULT_LIMIT: u32 = 100;
// The store's limits, so the API refuses what the store would.
const MAX_LIMIT: u32 = snowgate_store::record::MAX_PAGE_SIZE;
const MAX_IDS: usize = snowgate_store::record::MAX_QUERY_IDS;
const MAX_ID_LENGTH: usize = 256;
const MAX_CURSOR_LENGTH: usize = 1000;

fn unknown_connection() -> ApiError {
    ApiError::bad_request(
        "unknown_connection",
        "Provided ConnectionId and ProviderConfigKey does not match a valid connection",
    )
}

/// The connection named by the headers, or Nango's `400 unknown_connection`.
pub(crate) async fn connection_of(
    state: &AppState,
    headers: &ConnectionHeaders,
) -> ApiResult<Connection> {
    state
        .store()
        .connection(&headers.provider_config_key, &headers.connection_id)
        .await?
        .ok_or_else(unknown_connection)
}

/// The numeric id of the connection named by the headers (the records routes need no more).
async fn connection_pk_of(
    state: &AppState,
    headers: &ConnectionHeaders,
) -> ApiResult<ConnectionPk> {
    state
        .store()
        .connection_pk(&headers.provider_config_key, &headers.connection_id)
        .await?
        .ok_or_else(unknown_connection)
}

/// Whether `model` is a model name: `^[A-Z][a-zA-Z0-9_-]+$`.
fn is_model_name(model: &str) -> bool {
    let mut chars = model.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && model.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// What is wrong with a model and variant, if anything: `(field, message)`.
fn model_problem(model: &str, variant: Option<&str>) -> Option<(&'static str, String)> {
    if !is_model_name(model) {
        return Some((
            "model",
            format!(
                "{model:?} is not a model name: an upper-case letter, then letters, digits, _ or - (e.g. Table)"
            ),
        ));
    }
    variant.filter(|variant| !is_name(variant)).map(|variant| {
        (
            "variant",
            format!("{variant:?} is not a variant name: use letters, digits, _ and -"),
        )
    })
}

fn invalid_cursor() -> ApiError {
    ApiError::bad_request(
        "invalid_cursor_value",
        "the cursor is not one this server issued; pass back a next_cursor or _nango_metadata.cursor unchanged",
    )
}

/// One stored top-level key of a payload (borrowed unless it has escapes).
#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// A payload's top-level fields in stored order, values unparsed.
struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(Key(key)) = map.next_key()? {
                    fields.push((key, map.next_value::<&RawValue>()?));
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

fn push_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(&mut *out, value).expect("strings and options serialise");
}

fn push_time(out: &mut Vec<u8>, at: Option<DateTime<Utc>>) {
    match at {
        Some(at) => push_json(out, &micros_offset(at)),
        None => out.extend_from_slice(b"null"),
    }
}

/// Writes one record as the records API serves it: its payload with `id` forced to the record's
/// id, then `_nango_metadata` (the CLI's `records --json` prints the same).
pub fn write_record(out: &mut Vec<u8>, record: &StoredRecord) -> Result<(), serde_json::Error> {
    out.extend_from_slice(b"{\"id\":");
    push_json(out, &record.external_id);
    if let Some(payload) = &record.payload {
        let Fields(fields) = serde_json::from_str(payload.get())?;
        for (key, value) in fields {
            if key == "id" || key == "_nango_metadata" {
                continue;
            }
            out.push(b',');
            push_json(out, key.as_ref());
            out.push(b':');
            out.extend_from_slice(value.get().as_bytes());
        }
    }
    out.extend_from_slice(b",\"_nango_metadata\":{\"first_seen_at\":");
    push_time(out, Some(record.first_seen_at));
    out.extend_from_slice(b",\"last_modified_at\":");
    push_time(out, Some(record.last_modified_at));
    out.extend_from_slice(b",\"last_action\":");
    push_json(out, record.last_action.as_str());
    out.extend_from_slice(b",\"deleted_at\":");
    push_time(out, record.deleted_at);
    out.extend_from_slice(b",\"pruned_at\":");
    push_time(out, record.pruned_at);
    out.extend_from_slice(b",\"cursor\":");
    push_json(out, &record.cursor.to_string());
    out.extend_from_slice(b"}}");
    Ok(())
}

/// The JSON of a page: `{"records":[…],"next_cursor":…}`.
pub fn page_json(page: &RecordPage) -> Result<Vec<u8>, serde_json::Error> {
    let estimate: usize = page
        .records
        .iter()
        .map(|record| {
            record
                .payload
                .as_ref()
                .map_or(0, |payload| payload.get().len())
                + 400
        })
        .sum();
    let mut out = Vec::with_capacity(estimate + 64);
    out.extend_from_slice(b"{\"records\":[");
    for (index, record) in page.records.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_record(&mut out, record)?;
    }
    out.extend_from_slice(b"],\"next_cursor\":");
    push_json(&mut out, &page.next_cursor.map(|cursor| cursor.to_string()));
    out.push(b'}');
    Ok(out)
}

/// A page of records (the schema of each record is its model's, plus `_nango_metadata`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordsPage {
    /// The records, oldest change first.
    records: Vec<serde_json::Value>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// List a model's records in change order.
#[utoipa::path(get, path = "/records", tag = "records",
    params(("Connection-Id" = String, Header), ("Provider-Config-Key" = String, Header),
           ("model" = String, Query, description = "e.g. Table"), ("variant" = Option<String>, Query),
           ("cursor" = Option<String>, Query, description = "A `next_cursor` or `_nango_metadata.cursor`"),
           ("modified_after" = Option<String>, Query, description = "ISO 8601; alias `delta` (deprecated)"),
           ("limit" = Option<u32>, Query, description = "1 to 10000; default 100"),
           ("filter" = Option<String>, Query, description = "added, updated, deleted; comma-separated for a union"),
           ("ids" = Option<Vec<String>>, Query, description = "Only these record ids, at most 100")),
    responses((status = 200, body = RecordsPage), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn list_records(
    _: SecretKey,
    headers: ConnectionHeaders,
    query: QueryParams,
    State(state): State<AppState>,
) -> ApiResult<Response> {
    records(state, headers, query).await
}

/// `GET /records/`, the form `@nangohq/node` calls.
#[utoipa::path(get, path = "/records/", tag = "records",
    responses((status = 200, body = RecordsPage), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn list_records_slash(
    _: SecretKey,
    headers: ConnectionHeaders,
    query: QueryParams,
    State(state): State<AppState>,
) -> ApiResult<Response> {
    records(state, headers, query).await
}

async fn records(
    state: AppState,
    headers: ConnectionHeaders,
    mut query: QueryParams,
) -> ApiResult<Response> {
    let model = query.required("model").unwrap_or_default();
    let variant = query.one("variant");
    let cursor = query.one("cursor");
    let modified_after = match (query.one("modified_after"), query.one("delta")) {
        (Some(_), Some(_)) => {
            query.fail(
                "delta",
                "give modified_after or its deprecated alias delta, not both",
            );
            None
        }
        (Some(text), None) | (None, Some(text)) => match DateTime::parse_from_rfc3339(&text) {
            Ok(at) => Some(at.to_utc()),
            Err(_) => {
                query.fail(
                    "modified_after",
                    format!(
                        "{text:?} is not an ISO 8601 date-time such as 2026-08-21T18:00:00.000Z"
                    ),
                );
                None
            }
        },
        (None, None) => None,
    };
    let limit = query
        .parsed::<u32>("limit", "a number from 1 to 10000")
        .unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        query.fail("limit", format!("limit must be from 1 to {MAX_LIMIT}"));
    }
    let mut filter = ActionFilter::default();
    if let Some(text) = query.one("filter") {
        for part in text.split(',').map(str::trim) {
            match part.to_ascii_lowercase().as_str() {
                "added" => filter.added = true,
                "updated" => filter.updated = true,
                "deleted" => filter.deleted = true,
                _ => query.fail("filter", format!("{part:?} is not a filter; use added, updated, deleted or a comma list of them")),
            }
        }
    }
    let ids = query.all("ids");
    if ids.len() > MAX_IDS {
        query.fail("ids", format!("at most {MAX_IDS} ids may be given"));
    }
    if ids
        .iter()
        .any(|id| id.is_empty() || id.chars().count() > MAX_ID_LENGTH)
    {
        query.fail(
            "ids",
            format!("each id has 1 to {MAX_ID_LENGTH} characters"),
        );
    }
    if cursor
        .as_ref()
        .is_some_and(|cursor| cursor.is_empty() || cursor.len() > MAX_CURSOR_LENGTH)
    {
        query.fail(
            "cursor",
            format!("a cursor has 1 to {MAX_CURSOR_LENGTH} characters"),
        );
    }
    if let Some((field, problem)) = model_problem(&model, variant.as_deref()) {
        query.fail(field, problem);
    }
    query.finish()?;
    let model = ModelKey::new(&model, variant.as_deref());
    let cursor = cursor
        .map(|text| text.parse::<Cursor>().map_err(|_| invalid_cursor()))
        .transpose()?;
    let connection = connection_pk_of(&state, &headers).await?;
    let page = state
        .store()
        .list_records(&RecordQuery {
            connection,
            model: &model,
            cursor,
            modified_after,
            filter,
            ids: &ids,
            limit,
        })
        .await
        .map_err(|error| ApiError::internal("Failed to fetch records", error))?;
    if page.records.is_empty() {
        check_model_exists(&state, connection, &model).await?;
    }
    let body =
        page_json(&page).map_err(|error| ApiError::internal("Failed to fetch records", error))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

/// An empty page of a model no sync of the connection produces is a typo, not an empty model:
/// `400 invalid_query_params` naming the models there are (checked only for empty pages, so a
/// page of records costs nothing more).
async fn check_model_exists(
    state: &AppState,
    connection: ConnectionPk,
    model: &ModelKey,
) -> Result<(), ApiError> {
    let engine = state.engine();
    let mut models: Vec<String> = engine
        .configured_syncs()
        .iter()
        .map(|sync| sync.model.clone())
        .collect();
    let syncs = state
        .store()
        .list_syncs(connection)
        .await
        .map_err(|error| ApiError::internal("Failed to fetch records", error))?;
    for sync in &syncs {
        if let Some(definition) = engine.configured_sync(&sync.name) {
            models.push(definition.model_key(&sync.variant).to_string());
        }
    }
    let wanted = model.to_string();
    if models.contains(&wanted) {
        return Ok(());
    }
    models.sort();
    models.dedup();
    Err(ApiError::validation(
        "invalid_query_params",
        vec![FieldError {
            code: "custom".into(),
            message: format!(
                "no sync of this connection produces the model {wanted:?}; its models are {} (a variant's model is <Model>::<variant>)",
                models.join(", ")
            ),
            path: vec!["model".into()],
        }],
    ))
}

/// The body of `PATCH /records/prune`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PruneRequest {
    /// The model.
    model: String,
    /// The variant (`base` when absent).
    variant: Option<String>,
    /// Prune records up to and including this cursor.
    until_cursor: String,
    /// At most this many (1 to 10000; default 1000).
    limit: Option<u32>,
}

/// What was pruned.
#[derive(Debug, Serialize, ToSchema)]
pub struct PruneResponse {
    /// Payloads emptied.
    count: u64,
    /// More records up to the cursor still hold payloads: call again.
    has_more: bool,
}

/// Empty the payloads of records up to a cursor, keeping their metadata.
#[utoipa::path(patch, path = "/records/prune", tag = "records",
    params(("Connection-Id" = String, Header), ("Provider-Config-Key" = String, Header)),
    request_body = PruneRequest,
    responses((status = 200, body = PruneResponse), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn prune_records(
    _: SecretKey,
    headers: ConnectionHeaders,
    query: QueryParams,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<PruneRequest>,
) -> ApiResult<Json<PruneResponse>> {
    query.finish()?;
    let mut checks = Checks::default();
    if let Some((field, problem)) = model_problem(&request.model, request.variant.as_deref()) {
        checks.fail(field, problem);
    }
    let limit = request.limit.unwrap_or(1000);
    checks.check((1..=MAX_LIMIT).contains(&limit), "limit", || {
        format!("limit must be from 1 to {MAX_LIMIT}")
    });
    checks.finish("invalid_body")?;
    let model = ModelKey::new(&request.model, request.variant.as_deref());
    let until = request
        .until_cursor
        .parse::<Cursor>()
        .map_err(|_| invalid_cursor())?;
    let connection = connection_pk_of(&state, &headers).await?;
    let outcome = state
        .engine()
        .prune_records(connection, &model, until, limit)
        .await?;
    Ok(Json(PruneResponse {
        count: outcome.count,
        has_more: outcome.has_more,
    }))
}
