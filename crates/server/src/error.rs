//! Errors of the API, answered in Nango's envelope
//! `{"error":{"code","message"?,"errors"?,"payload"?,…}}`.
//!
//! Policy: every handler returns [`ApiError`]; its [`IntoResponse`] is the one place that writes
//! the envelope. A 5xx is logged there, once, with its cause; the body of a 5xx never carries
//! the cause (it may hold database details), only a code and a message that says what to do.
//! Nothing secret (keys, tokens, credentials) is ever put in an error.

use std::borrow::Cow;

use axum::{
    Json,
    http::{HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::{Map, Value};
use snowgate_engine::EngineError;
use snowgate_store::StoreError;
use utoipa::ToSchema;

/// One failed check of a validation error (Nango's zod issue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// What kind of failure: `invalid_type`, `unrecognized_keys`, `invalid_string`, `custom`, …
    pub code: String,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Where: the key path in the body, or the query parameter's name.
    pub path: Vec<String>,
}

impl FieldError {
    /// A failed check at `path` (dot-separated keys; empty for the whole document).
    pub fn new(code: &'static str, path: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            path: if path.is_empty() {
                Vec::new()
            } else {
                path.split('.').map(str::to_owned).collect()
            },
        }
    }
}

/// An error answer: status, Nango's code and the rest of the envelope (boxed: handlers return it
/// often and it is large).
#[derive(Debug)]
pub struct ApiError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: Cow<'static, str>,
    message: Option<String>,
    errors: Vec<FieldError>,
    payload: Option<Value>,
    extra: Map<String, Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
    cause: Option<String>,
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a code and a message.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self::bare(status, code).message(message)
    }

    /// An error with a code only (some Nango errors carry no message).
    pub fn bare(status: StatusCode, code: impl Into<Cow<'static, str>>) -> Self {
        Self(Box::new(Inner {
            status,
            code: code.into(),
            message: None,
            errors: Vec::new(),
            payload: None,
            extra: Map::new(),
            headers: Vec::new(),
            cause: None,
        }))
    }

    /// `400` with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// `404 not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// `403 forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// `500 server_error`; `cause` is logged, never sent.
    pub fn internal(what: &str, cause: impl std::fmt::Display) -> Self {
        let mut error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            format!("{what} failed because of an internal error; it is logged on the server"),
        );
        error.0.cause = Some(cause.to_string());
        error
    }

    /// A validation failure (`invalid_body`, `invalid_query_params`, `invalid_uri_params`,
    /// `invalid_headers`) with its failed checks.
    pub fn validation(code: &'static str, errors: Vec<FieldError>) -> Self {
        let summary = errors
            .iter()
            .map(|error| match error.path.is_empty() {
                true => error.message.clone(),
                false => format!("{}: {}", error.path.join("."), error.message),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let mut error = Self::bad_request(code, summary);
        error.0.errors = errors;
        error
    }

    /// Sets the message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.0.message = Some(message.into());
        self
    }

    /// Sets `payload`.
    pub fn payload(mut self, payload: Value) -> Self {
        self.0.payload = Some(payload);
        self
    }

    /// Adds another key to the envelope's `error` object (`method`, `path`, `upstream`…).
    pub fn field(mut self, key: &str, value: Value) -> Self {
        self.0.extra.insert(key.to_owned(), value);
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.0.code
    }
}

/// The wire form, for the OpenAPI document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The `error` object of [`ErrorEnvelope`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Nango's error code, snake_case.
    pub code: String,
    /// What happened and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The failed checks of a validation error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Details (an action's error payload, the upstream body…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = *self.0;
        if error.status.is_server_error() {
            tracing::error!(
                status = error.status.as_u16(),
                code = %error.code,
                cause = error.cause.as_deref().unwrap_or(""),
                "request failed"
            );
        }
        let mut body = Map::new();
        body.insert("code".into(), Value::String(error.code.into_owned()));
        if let Some(message) = error.message {
            body.insert("message".into(), Value::String(message));
        }
        if !error.errors.is_empty() {
            body.insert(
                "errors".into(),
                serde_json::to_value(&error.errors).unwrap_or(Value::Null),
            );
        }
        if let Some(payload) = error.payload {
            body.insert("payload".into(), payload);
        }
        body.extend(error.extra);
        let mut envelope = Map::new();
        envelope.insert("error".into(), Value::Object(body));
        let mut response = (error.status, Json(Value::Object(envelope))).into_response();
        for (name, value) in error.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { what, key } => Self::not_found(format!("no {what} {key:?}")),
            StoreError::Invalid(message) => Self::bad_request("invalid_request", message),
            other => Self::internal("the database operation", other),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Store(error) => error.into(),
            EngineError::UnknownConnection(pk) => Self::bad_request(
                "unknown_connection",
                format!("connection {pk} does not exist"),
            ),
            EngineError::Credentials { .. } => {
                Self::bad_request("invalid_credentials", error.to_string())
            }
            EngineError::Snowflake(_) => Self::new(
                StatusCode::BAD_GATEWAY,
                "snowflake_error",
                error.to_string(),
            ),
            EngineError::Invalid(message) => Self::bad_request("invalid_request", message),
        }
    }
}
