//! The SQL API v2 over HTTP (reference §2), and the emulator's admin endpoints.
//!
//! Routes: `POST /api/v2/statements`, `GET /api/v2/statements/{handle}[?partition=N]`,
//! `POST /api/v2/statements/{handle}/cancel`; `GET|PUT /emulator/admin/faults`,
//! `GET /emulator/admin/history` and `POST /emulator/admin/sql` behind the admin token. Every
//! statement that gets a handle is written into the account's query history. Statements run on the blocking pool, one
//! handle each; a POST waits [`crate::Config::sync_wait`] for them and then answers 202. Every
//! answer has Snowflake's status and body; responses are gzipped when the client accepts it,
//! partitions after the first always are.

use std::{sync::Arc, time::Duration};

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{FromRequestParts, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use futures::StreamExt;
use serde_json::json;
use tower_http::{CompressionLevel, compression::CompressionLayer};

use crate::{
    account::{Account, StartedStatement},
    auth::{self, AuthError},
    exec::{Bindings, RowSink, Session, SqlError, StatementClass, UserAuth},
    faults::{FaultControl, Faults},
    handles::{State as Progress, Statement, Statements},
    request::StatementRequest,
    results::{PartitionSink, ResultSet, text_column},
};

/// What every request handler shares.
#[derive(Debug)]
pub(crate) struct AppState {
    pub account: Arc<Account>,
    pub statements: Arc<Statements>,
    pub faults: Arc<FaultControl>,
    pub partition_size: usize,
    pub sync_wait: Duration,
    pub admin_token: String,
}

/// The emulator's routes.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/api/v2/statements", post(submit))
        .route("/api/v2/statements/{handle}", get(status))
        .route("/api/v2/statements/{handle}/cancel", post(cancel))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            inject_faults,
        ));
    let admin = Router::new()
        .route("/emulator/admin/faults", get(get_faults).put(put_faults))
        .route("/emulator/admin/sql", post(admin_sql))
        .route("/emulator/admin/history", get(get_history));
    api.merge(admin)
        .with_state(state)
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
}

// ---------------------------------------------------------------------------------------------
// Bodies with Snowflake's exact shapes (reference §1.6, §2.5, §2.8).

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

fn sql_error(status: StatusCode, error: &SqlError, handle: Option<&str>) -> Response {
    json_response(
        status,
        json!({
            "code": error.code,
            "message": error.message,
            "sqlState": error.sql_state,
            "statementHandle": handle,
        }),
    )
}

fn running(handle: &str) -> Response {
    json_response(
        StatusCode::ACCEPTED,
        json!({
            "code": "333334",
            "message": "Asynchronous execution in progress. Use provided query id to perform query monitoring and management.",
            "statementHandle": handle,
            "statementStatusUrl": format!("/api/v2/statements/{handle}"),
        }),
    )
}

fn not_found(status: StatusCode, handle: &str) -> Response {
    let error = SqlError::new("000709", "02000", format!("Statement {handle} not found"));
    sql_error(status, &error, Some(handle))
}

fn too_many_requests() -> Response {
    json_response(
        StatusCode::TOO_MANY_REQUESTS,
        json!({"code": "390505", "message": "Too many requests."}),
    )
}

fn invalid_payload() -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        json!({"code": "390142", "message": "Incoming request does not contain a valid payload."}),
    )
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let reference = uuid::Uuid::new_v4();
        let (status, code, message) = match self {
            AuthError::MissingToken => (
                StatusCode::BAD_REQUEST,
                "390146",
                "Authorization header is missing or empty.".to_owned(),
            ),
            AuthError::Invalid(reason) => {
                tracing::debug!(reason, "JWT refused");
                (
                    StatusCode::UNAUTHORIZED,
                    "390144",
                    format!("JWT token is invalid. [{reference}]"),
                )
            }
            AuthError::Expired => (
                StatusCode::UNAUTHORIZED,
                "390198",
                format!("Keypair access token expired. [{reference}]"),
            ),
            AuthError::UserDisabled => (
                StatusCode::UNAUTHORIZED,
                "390101",
                "User access disabled. Contact your local system administrator.".to_owned(),
            ),
        };
        json_response(status, json!({"code": code, "message": message}))
    }
}

// ---------------------------------------------------------------------------------------------
// Faults and authentication.

async fn inject_faults(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match state.faults.injected_error() {
        Some(429) => {
            let mut response = too_many_requests();
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(state.faults.retry_after().as_secs()),
            );
            response
        }
        Some(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let reason = status.canonical_reason().unwrap_or("Server Error");
            (status, reason).into_response()
        }
        None => next.run(request).await,
    }
}

/// The user a request's JWT authenticates, within the rate limit.
struct Authenticated(UserAuth);

impl FromRequestParts<Arc<AppState>> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let header_text = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let user = auth::authenticate(
            &state.account,
            header_text("authorization"),
            header_text("x-snowflake-authorization-token-type"),
            chrono::Utc::now().timestamp_millis(),
        )
        .map_err(IntoResponse::into_response)?;
        if state.faults.rate_limited(&user.name) {
            return Err(too_many_requests());
        }
        Ok(Self(user))
    }
}

// ---------------------------------------------------------------------------------------------
// POST /api/v2/statements

#[derive(Debug, serde::Deserialize)]
struct SubmitQuery {
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    #[serde(default)]
    retry: bool,
    #[serde(default, rename = "async")]
    run_async: bool,
    nullable: Option<bool>,
}

/// What a request asks to run, once checked.
enum Plan {
    Single(String),
    Multi(Vec<String>),
}

async fn submit(
    State(state): State<Arc<AppState>>,
    Authenticated(user): Authenticated,
    Query(query): Query<SubmitQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({
                "servlet": "com.sun.jersey.spi.container.servlet.ServletContainer-53c8845f",
                "message": "Bad Request",
                "url": "/api/v2/statements",
                "status": "400",
            }),
        );
    }
    let Ok(request) = serde_json::from_slice::<StatementRequest>(&body) else {
        return invalid_payload();
    };
    let Some(text) = request
        .statement
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    else {
        return sql_error(
            StatusCode::BAD_REQUEST,
            &SqlError::new(
                "000900",
                "42601",
                "SQL compilation error:\nEmpty SQL statement.",
            ),
            None,
        );
    };
    let Some(count) = request.statement_count() else {
        return invalid_payload();
    };
    let role = match &request.role {
        Some(role) if !state.account.role_granted(&user.name, role) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({
                    "code": "390186",
                    "message": format!("Role '{role}' specified in the connect string is not granted to this user, or is not permitted for the credentials being used. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC."),
                }),
            );
        }
        Some(role) => role.clone(),
        None => user
            .default_role
            .clone()
            .filter(|role| state.account.role_granted(&user.name, role))
            .unwrap_or_else(|| "PUBLIC".to_owned()),
    };
    let request_id = query
        .request_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());

    if query.retry
        && let Some(earlier) = query
            .request_id
            .as_deref()
            .and_then(|id| state.statements.by_request(&user.name, id))
        && matches!(earlier.state(), Progress::Running | Progress::Succeeded(_))
    {
        // Answered from the earlier statement: it is not executed again.
        state.account.history().retried(&earlier.handle);
        let progress = earlier.wait(state.sync_wait).await;
        return respond(&earlier, &progress, &request_id);
    }

    let Some(running_slot) = state.faults.start_statement(&user.name) else {
        return too_many_requests();
    };
    let statement = state
        .statements
        .start(&user.name, query.request_id.as_deref());
    let session = request.session(&user, role, statement.cancel.clone());
    state.account.history().start(
        StartedStatement {
            handle: &statement.handle,
            request_id: query.request_id.as_deref(),
            parent: None,
            sql: text,
            multi_statement: count != 1,
        },
        &session,
    );
    let plan = match plan(text, count, &request.bindings) {
        Ok(plan) => plan,
        Err(error) => {
            state.statements.finish(
                &statement,
                Progress::Failed(error.clone()),
                record_end(&state.account, &statement.handle),
            );
            return sql_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &error,
                Some(&statement.handle),
            );
        }
    };
    tracing::debug!(handle = %statement.handle, user = %user.name, "statement submitted");

    if let Some(seconds) = request.timeout_seconds() {
        let statement = Arc::clone(&statement);
        let account = Arc::clone(&state.account);
        tokio::spawn(async move {
            if statement
                .wait(Duration::from_secs(seconds))
                .await
                .is_running()
            {
                statement.time_out(seconds, record_end(&account, &statement.handle));
            }
        });
    }
    let worker = Worker {
        account: Arc::clone(&state.account),
        statements: Arc::clone(&state.statements),
        statement: Arc::clone(&statement),
        partition_size: state.partition_size,
        null_as_text: query.nullable == Some(false),
    };
    let bindings = request.bindings;
    tokio::task::spawn_blocking(move || {
        let _running = running_slot;
        worker.run(session, plan, &bindings);
    });

    if query.run_async || state.faults.force_async() {
        return running(&statement.handle);
    }
    let progress = statement.wait(state.sync_wait).await;
    respond(&statement, &progress, &request_id)
}

/// Splits and checks a request's text (reference §2.9): the statement count must match, a lone
/// session command is refused with 391911, and bindings only go with a single statement.
fn plan(text: &str, count: u64, bindings: &Bindings) -> Result<Plan, SqlError> {
    let mut statements = Account::split_statements(text)?;
    let actual = statements.len() as u64;
    if count != 0 && count != actual {
        return Err(SqlError::new(
            "000008",
            "0A000",
            format!(
                "Actual statement count {actual} did not match the desired statement count {count}."
            ),
        ));
    }
    if count == 1 {
        let statement = statements.pop().unwrap_or_default();
        return match Account::classify(&statement) {
            StatementClass::Normal => Ok(Plan::Single(statement)),
            StatementClass::SessionOnly(command) | StatementClass::Unsupported(command) => {
                Err(SqlError::new(
                    "391911",
                    "0A000",
                    format!("Command not supported by SQL API: {command}"),
                ))
            }
        };
    }
    if !bindings.is_empty() {
        return Err(SqlError::new(
            "000002",
            "0A000",
            "Unsupported feature 'Binding in multi-statement request'.",
        ));
    }
    if let Some(command) = statements.iter().find_map(|s| match Account::classify(s) {
        StatementClass::Unsupported(command) => Some(command),
        _ => None,
    }) {
        return Err(SqlError::new(
            "391911",
            "0A000",
            format!("Command not supported by SQL API: {command}"),
        ));
    }
    Ok(Plan::Multi(statements))
}

/// Runs one request's statements on the blocking pool and records how they ended.
struct Worker {
    account: Arc<Account>,
    statements: Arc<Statements>,
    statement: Arc<Statement>,
    partition_size: usize,
    null_as_text: bool,
}

impl Worker {
    fn run(self, mut session: Session, plan: Plan, bindings: &Bindings) {
        let progress = match plan {
            Plan::Single(sql) => self.execute(&mut session, &sql, bindings),
            Plan::Multi(statements) => self.execute_all(&mut session, &statements),
        };
        self.statements.finish(
            &self.statement,
            progress,
            record_end(&self.account, &self.statement.handle),
        );
    }

    fn execute(&self, session: &mut Session, sql: &str, bindings: &Bindings) -> Progress {
        let mut sink = PartitionSink::new(self.partition_size, self.null_as_text);
        match self.account.execute(session, sql, bindings, &mut sink) {
            Ok(outcome) => Progress::Succeeded(Arc::new(sink.finish(outcome.stats))),
            Err(error) => Progress::Failed(error),
        }
    }

    /// A multi-statement request: each statement gets a child handle; the parent's result is one
    /// row and the children's handles (reference §2.9).
    fn execute_all(&self, session: &mut Session, statements: &[String]) -> Progress {
        let mut handles = Vec::with_capacity(statements.len());
        for (index, sql) in statements.iter().enumerate() {
            if self.statement.cancel.is_cancelled() {
                return Progress::Failed(SqlError::cancelled());
            }
            let child = self.statements.start(&self.statement.user, None);
            handles.push(child.handle.clone());
            self.account.history().start(
                StartedStatement {
                    handle: &child.handle,
                    request_id: None,
                    parent: Some(&self.statement.handle),
                    sql,
                    multi_statement: false,
                },
                session,
            );
            let progress = self.execute(session, sql, &Bindings::new());
            let failure = match &progress {
                Progress::Failed(error) => Some(error.clone()),
                _ => None,
            };
            self.statements
                .finish(&child, progress, record_end(&self.account, &child.handle));
            if let Some(error) = failure {
                let excerpt: String = sql.chars().take(50).collect();
                return Progress::Failed(SqlError::new(
                    "100132",
                    "P0000",
                    format!(
                        "JavaScript execution error: Uncaught Execution of multiple statements failed on statement \"{excerpt}...\" (statement {} of {}).\n{}",
                        index + 1,
                        statements.len(),
                        error.message
                    ),
                ));
            }
        }
        let mut sink = PartitionSink::new(self.partition_size, self.null_as_text);
        sink.columns(&[text_column("multiple statement execution")]);
        sink.row(&[Some("Multiple statements executed successfully.")]);
        let mut result = sink.finish(None);
        result.statement_handles = Some(handles);
        Progress::Succeeded(Arc::new(result))
    }
}

/// Writes how the statement `handle` ended into the query history: called by whichever of the
/// worker, a cancel or the timeout ends it, before anyone waiting on it wakes.
fn record_end<'a>(account: &'a Account, handle: &'a str) -> impl FnOnce(&Progress) + 'a {
    move |end| {
        let history = account.history();
        match end {
            Progress::Running => {}
            Progress::Succeeded(result) => {
                let rows = result.stats.as_ref().map_or(result.num_rows, |stats| {
                    stats.num_rows_inserted + stats.num_rows_updated + stats.num_rows_deleted
                });
                history.finish(handle, Ok(rows));
            }
            Progress::Failed(error) => history.finish(handle, Err(error)),
            Progress::TimedOut(seconds) => history.finish(handle, Err(&timed_out(*seconds))),
        }
    }
}

/// Snowflake's error for a statement stopped by its `timeout`.
fn timed_out(seconds: u64) -> SqlError {
    SqlError::new(
        "000630",
        "57014",
        format!(
            "Statement reached its statement or warehouse timeout of {seconds} second(s) and was canceled."
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// GET /api/v2/statements/{handle} and cancel

#[derive(Debug, serde::Deserialize)]
struct StatusQuery {
    partition: Option<String>,
    #[serde(rename = "requestId")]
    request_id: Option<String>,
}

async fn status(
    State(state): State<Arc<AppState>>,
    Authenticated(user): Authenticated,
    Path(handle): Path<String>,
    Query(query): Query<StatusQuery>,
) -> Response {
    let Some(statement) = state.statements.get(&handle, &user.name) else {
        return not_found(StatusCode::BAD_REQUEST, &handle);
    };
    let request_id = query
        .request_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let progress = statement.state();
    let (Progress::Succeeded(result), Some(partition)) = (&progress, &query.partition) else {
        return respond(&statement, &progress, &request_id);
    };
    let last = result.partitions.len() - 1;
    match partition.trim().parse::<usize>() {
        Ok(0) => respond(&statement, &progress, &request_id),
        Ok(index) if index <= last => partition_response(&state, &statement.handle, result, index),
        _ => sql_error(
            StatusCode::BAD_REQUEST,
            &SqlError::new(
                "391922",
                "22023",
                format!(
                    "Invalid partition parameter. The partition must be long type parsable and between 0 and {last}, but '{partition}' is specified."
                ),
            ),
            Some(&statement.handle),
        ),
    }
}

async fn cancel(
    State(state): State<Arc<AppState>>,
    Authenticated(user): Authenticated,
    Path(handle): Path<String>,
) -> Response {
    let Some(statement) = state.statements.get(&handle, &user.name) else {
        return not_found(StatusCode::UNPROCESSABLE_ENTITY, &handle);
    };
    statement.cancel(record_end(&state.account, &statement.handle));
    json_response(
        StatusCode::OK,
        json!({
            "code": "000604",
            "sqlState": "57014",
            "message": "SQL execution canceled",
            "statementHandle": statement.handle,
            "statementStatusUrl": format!("/api/statements/{}", statement.handle),
        }),
    )
}

/// The answer for a statement in `progress`: 202, 200 with partition 0, 422 or 408.
fn respond(statement: &Statement, progress: &Progress, request_id: &str) -> Response {
    let handle = statement.handle.as_str();
    match progress {
        Progress::Running => running(handle),
        Progress::Failed(error) => sql_error(StatusCode::UNPROCESSABLE_ENTITY, error, Some(handle)),
        Progress::TimedOut(seconds) => sql_error(
            StatusCode::REQUEST_TIMEOUT,
            &timed_out(*seconds),
            Some(handle),
        ),
        Progress::Succeeded(result) => {
            let body = first_partition_body(statement, result, request_id);
            let mut response = (StatusCode::OK, body).into_response();
            finish_result_headers(&mut response, handle, result, 0);
            response
        }
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PartitionInfo {
    row_count: u64,
    uncompressed_size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    compressed_size: Option<u64>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultTail<'a> {
    code: &'static str,
    statement_status_url: String,
    request_id: &'a str,
    sql_state: &'static str,
    statement_handle: &'a str,
    message: &'static str,
    created_on: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stats: Option<&'a crate::exec::DmlStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement_handles: Option<&'a [String]>,
}

/// The 200 body: metadata, partition 0's rows spliced in as kept, then the status fields.
fn first_partition_body(statement: &Statement, result: &ResultSet, request_id: &str) -> Vec<u8> {
    let several = result.partitions.len() > 1;
    let info: Vec<PartitionInfo> = result
        .partitions
        .iter()
        .map(|p| PartitionInfo {
            row_count: p.row_count,
            uncompressed_size: p.uncompressed_size,
            compressed_size: several.then_some(p.compressed_size),
        })
        .collect();
    let tail = ResultTail {
        code: "090001",
        statement_status_url: format!(
            "/api/v2/statements/{}?requestId={request_id}",
            statement.handle
        ),
        request_id,
        sql_state: "00000",
        statement_handle: &statement.handle,
        message: "Statement executed successfully.",
        created_on: statement.created_on,
        stats: result.stats.as_ref(),
        statement_handles: result.statement_handles.as_deref(),
    };
    let first = &result.partitions[0].body;
    let info = serde_json::to_string(&info).unwrap_or_default();
    let tail = serde_json::to_string(&tail).unwrap_or_default();
    let mut body =
        Vec::with_capacity(first.len() + result.row_type.len() + info.len() + tail.len() + 128);
    body.extend_from_slice(b"{\"resultSetMetaData\":{\"numRows\":");
    body.extend_from_slice(result.num_rows.to_string().as_bytes());
    body.extend_from_slice(b",\"format\":\"jsonv2\",\"partitionInfo\":");
    body.extend_from_slice(info.as_bytes());
    body.extend_from_slice(b",\"rowType\":");
    body.extend_from_slice(result.row_type.as_bytes());
    body.extend_from_slice(b"},\"data\":[");
    body.extend_from_slice(first);
    body.extend_from_slice(b"],");
    body.extend_from_slice(&tail.as_bytes()[1..]);
    body
}

/// `?partition=N` for N ≥ 1: the kept gzip body as it is, or cut in the middle on demand.
fn partition_response(
    state: &AppState,
    handle: &str,
    result: &ResultSet,
    index: usize,
) -> Response {
    let bytes = result.partitions[index].body.clone();
    let length = bytes.len();
    let body = if state.faults.drop_partition() {
        let half = bytes.slice(..length / 2);
        // Headers and half the body go out first, as when a connection breaks mid-transfer.
        let cut = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(std::io::Error::other(
                "connection dropped by an injected fault",
            ))
        };
        let chunks = futures::stream::once(async { Ok(half) }).chain(futures::stream::once(cut));
        Body::from_stream(chunks)
    } else {
        Body::from(bytes)
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    finish_result_headers(&mut response, handle, result, index);
    response
}

/// `Content-Type` and the `Link` header of a result response, each link with a new requestId.
fn finish_result_headers(response: &mut Response, handle: &str, result: &ResultSet, index: usize) {
    let last = result.partitions.len() - 1;
    let link = |partition: usize, rel: &str| {
        format!(
            "</api/v2/statements/{handle}?requestId={}&partition={partition}>; rel=\"{rel}\"",
            uuid::Uuid::new_v4()
        )
    };
    let mut links = vec![link(0, "first")];
    if index > 0 {
        links.push(link(index - 1, "prev"));
    }
    if index < last {
        links.push(link(index + 1, "next"));
    }
    links.push(link(last, "last"));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(&links.join(",")) {
        headers.insert(header::LINK, value);
    }
}

// ---------------------------------------------------------------------------------------------
// Admin endpoints

/// A request that carries the admin token.
struct Admin;

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        aws_lc_rs::constant_time::verify_slices_are_equal(
            given.as_bytes(),
            state.admin_token.as_bytes(),
        )
        .map(|()| Admin)
        .map_err(|_| {
            json_response(
                StatusCode::UNAUTHORIZED,
                json!({"error": "the admin endpoints need `Authorization: Bearer <admin token>`; the token is printed when the emulator starts"}),
            )
        })
    }
}

async fn get_faults(State(state): State<Arc<AppState>>, _: Admin) -> Response {
    Json(state.faults.get()).into_response()
}

async fn get_history(State(state): State<Arc<AppState>>, _: Admin) -> Response {
    Json(state.account.history().entries()).into_response()
}

async fn put_faults(State(state): State<Arc<AppState>>, _: Admin, body: Bytes) -> Response {
    let faults = match serde_json::from_slice::<Faults>(&body) {
        Ok(faults) => faults,
        Err(error) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"error": format!("the body is not a faults object: {error}")}),
            );
        }
    };
    match state.faults.set(faults) {
        Ok(()) => Json(state.faults.get()).into_response(),
        Err(error) => json_response(StatusCode::BAD_REQUEST, json!({"error": error.to_string()})),
    }
}

async fn admin_sql(State(state): State<Arc<AppState>>, _: Admin, body: String) -> Response {
    let account = Arc::clone(&state.account);
    match tokio::task::spawn_blocking(move || account.admin(&body)).await {
        Ok(Ok(rows)) => Json(json!({
            "columns": rows.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            "rows": rows.rows,
        }))
        .into_response(),
        Ok(Err(error)) => sql_error(StatusCode::UNPROCESSABLE_ENTITY, &error, None),
        Err(_) => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "the admin statement panicked; see the emulator's log"}),
        ),
    }
}
