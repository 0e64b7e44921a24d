//! Strict request parsing with Nango's validation codes.
//!
//! * [`QueryParams`]: the query string as pairs; a handler takes the parameters it knows and
//!   [`QueryParams::finish`] rejects the rest (`400 invalid_query_params`), so a typo is an error,
//!   never a silently ignored filter.
//! * [`JsonBody`]: a JSON body read with `deny_unknown_fields` types; a wrong `Content-Type` is
//!   `415 invalid_content_type`, a bad document `400 invalid_body` with the path of the bad key;
//!   a string holding the NUL character (`\u0000`, which PostgreSQL refuses) is a bad document.
//! * [`BodyBytes`]: a raw body; over the body limit is `413 payload_too_large`.
//! * [`ConnectionHeaders`]: the `Connection-Id` and `Provider-Config-Key` headers.
//! * [`Checks`]: collects failed value checks (identifier patterns, sizes) into one error.

use std::{collections::BTreeMap, str::FromStr};

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, header::CONTENT_TYPE, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// The query string, consumed parameter by parameter.
#[derive(Debug, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::parse(parts.uri.query().unwrap_or("")))
    }
}

impl QueryParams {
    /// Parses a raw query string (`a=1&b=2`).
    pub fn parse(query: &str) -> Self {
        Self {
            pairs: url::form_urlencoded::parse(query.as_bytes())
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect(),
            errors: Vec::new(),
        }
    }

    /// Takes a parameter given at most once.
    pub fn one(&mut self, name: &str) -> Option<String> {
        let mut values = self.all(name);
        if values.len() > 1 {
            self.fail(name, format!("give {name} at most once"));
        }
        values.pop()
    }

    /// Takes a parameter that must be present.
    pub fn required(&mut self, name: &str) -> Option<String> {
        let value = self.one(name);
        if value.is_none() {
            self.fail(name, format!("the query parameter {name} is required"));
        }
        value
    }

    /// Takes every value of a repeated parameter (`ids=a&ids=b`, also `ids[]=a`).
    pub fn all(&mut self, name: &str) -> Vec<String> {
        let bracketed = format!("{name}[]");
        let mut values = Vec::new();
        self.pairs.retain(|(key, value)| {
            let matches = key == name || *key == bracketed;
            if matches {
                values.push(value.clone());
            }
            !matches
        });
        values
    }

    /// Takes `name[key]=value` parameters as a map (`tags[end_user_id]=u1`).
    pub fn map(&mut self, name: &str) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        self.pairs.retain(|(key, value)| {
            let inner = key
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('['))
                .and_then(|rest| rest.strip_suffix(']'));
            match inner {
                Some(inner) => {
                    map.insert(inner.to_owned(), value.clone());
                    false
                }
                None => true,
            }
        });
        map
    }

    /// Takes and parses a parameter; `what` describes the expected form for the error.
    pub fn parsed<T: FromStr>(&mut self, name: &str, what: &str) -> Option<T> {
        let text = self.one(name)?;
        match text.parse() {
            Ok(value) => Some(value),
            Err(_) => {
                self.fail(name, format!("{name} must be {what}, got {text:?}"));
                None
            }
        }
    }

    /// Takes a `true`/`false` parameter (absent is false).
    pub fn flag(&mut self, name: &str) -> bool {
        self.parsed(name, "true or false").unwrap_or(false)
    }

    /// Records a failed check of parameter `name`.
    pub fn fail(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            code: "custom".into(),
            message: message.into(),
            path: vec![name.to_owned()],
        });
    }

    /// Ends parsing: any failed check, or any parameter nobody took, is
    /// `400 invalid_query_params`.
    pub fn finish(mut self) -> Result<(), ApiError> {
        let mut unknown: Vec<String> = self.pairs.into_iter().map(|(key, _)| key).collect();
        unknown.dedup();
        for key in unknown {
            self.errors.push(FieldError {
                code: "unrecognized_keys".into(),
                message: format!("unknown query parameter {key:?}; remove it"),
                path: vec![key],
            });
        }
        match self.errors.is_empty() {
            true => Ok(()),
            false => Err(ApiError::validation("invalid_query_params", self.errors)),
        }
    }
}

/// A query string that must be empty.
#[derive(Debug)]
pub struct EmptyQuery;

impl<S: Send + Sync> FromRequestParts<S> for EmptyQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        QueryParams::from_request_parts(parts, state)
            .await?
            .finish()?;
        Ok(Self)
    }
}

/// A strict JSON body.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                let essence = value.split(';').next().unwrap_or("").trim();
                essence.eq_ignore_ascii_case("application/json")
            });
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "invalid_content_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let BodyBytes(bytes) = BodyBytes::from_request(request, state).await?;
        parse_json(&bytes).map(Self)
    }
}

/// A raw request body, within the router's body limit.
#[derive(Debug)]
pub struct BodyBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for BodyBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(request, state)
            .await
            .map(Self)
            .map_err(|rejection| match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!(
                        "the body is larger than this route takes ({}); send a smaller one",
                        rejection.body_text()
                    ),
                ),
                _ => ApiError::bad_request(
                    "invalid_body",
                    format!("the body could not be read: {}", rejection.body_text()),
                ),
            })
    }
}

/// Parses a JSON document strictly, naming the path of the first bad key.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::validation(
            "invalid_body",
            vec![FieldError::new(
                "invalid_type",
                "",
                "a JSON body is required",
            )],
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = without_values(&inner.to_string());
        let code = if message.starts_with("unknown field") {
            "unrecognized_keys"
        } else if inner.is_syntax() || inner.is_eof() {
            "invalid_json"
        } else {
            "invalid_type"
        };
        let path = if path == "." { "" } else { path.as_str() };
        ApiError::validation("invalid_body", vec![FieldError::new(code, path, message)])
    })?;
    deserializer.end().map_err(|error| {
        ApiError::validation(
            "invalid_body",
            vec![FieldError::new("invalid_json", "", error.to_string())],
        )
    })?;
    if has_nul_escape(bytes) {
        let document: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
        let path = nul_path(&document).unwrap_or_default();
        return Err(ApiError::validation(
            "invalid_body",
            vec![FieldError::new(
                "invalid_string",
                &path,
                "text may not hold the NUL character (\\u0000); remove it",
            )],
        ));
    }
    Ok(value)
}

/// Whether a JSON document writes the NUL character (`\u0000`, the only way JSON can hold it).
fn has_nul_escape(bytes: &[u8]) -> bool {
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'\\' {
            if bytes[index + 1..].starts_with(b"u0000") {
                return true;
            }
            // Skip the escaped character, so `\\u0000` (a backslash, then text) is not one.
            index += 2;
        } else {
            index += 1;
        }
    }
    false
}

/// The dot-separated path of the first key or string holding NUL in `value`.
fn nul_path(value: &serde_json::Value) -> Option<String> {
    let join = |key: &str, rest: Option<String>| match rest {
        Some(rest) if !rest.is_empty() => format!("{key}.{rest}"),
        _ => key.to_owned(),
    };
    match value {
        serde_json::Value::String(text) => text.contains('\0').then(String::new),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            nul_path(item).map(|rest| join(&index.to_string(), Some(rest)))
        }),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(key.replace('\0', "\\0"));
            }
            nul_path(item).map(|rest| join(key, Some(rest)))
        }),
        _ => None,
    }
}

/// A parser message without the values it quotes (`invalid type: string "…", expected …`): a
/// body may hold a private key, and errors never echo secrets.
fn without_values(message: &str) -> String {
    match (message.find('"'), message.rfind('"')) {
        (Some(start), Some(end))
            if start < end
                && !message.starts_with("unknown field")
                && !message.starts_with("missing field") =>
        {
            format!("{}{}", message[..start].trim_end(), &message[end + 1..])
        }
        _ => message.to_owned(),
    }
}

/// The `Connection-Id` and `Provider-Config-Key` headers, both required.
#[derive(Debug, Clone)]
pub struct ConnectionHeaders {
    /// `Connection-Id`.
    pub connection_id: String,
    /// `Provider-Config-Key`.
    pub provider_config_key: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ConnectionHeaders {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut checks = Checks::default();
        let mut header = |name: &str| {
            let value = parts
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
                .filter(|value| !value.is_empty());
            if value.is_none() {
                checks.fail(name, format!("the {name} header is required"));
            }
            value.unwrap_or_default()
        };
        let headers = Self {
            connection_id: header("connection-id"),
            provider_config_key: header("provider-config-key"),
        };
        checks.connection_id("connection-id", &headers.connection_id);
        checks.provider_config_key("provider-config-key", &headers.provider_config_key);
        checks.finish("invalid_headers")?;
        Ok(headers)
    }
}

/// Failed checks of values, reported together.
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

const MAX_KEY_LENGTH: usize = 255;

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Whether `value` is a sync, action, provider or variant name: `^[a-zA-Z0-9_-]+$`, at most 255.
pub fn is_name(value: &str) -> bool {
    !value.is_empty() && value.len() <= MAX_KEY_LENGTH && value.chars().all(is_name_char)
}

impl Checks {
    /// Records a failure at `path`.
    pub fn fail(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new("custom", path, message));
    }

    /// Records a failure at `path` unless `ok`.
    pub fn check(&mut self, ok: bool, path: &str, message: impl FnOnce() -> String) {
        if !ok {
            self.fail(path, message());
        }
    }

    fn pattern(&mut self, path: &str, value: &str, allowed: impl Fn(char) -> bool, rule: &str) {
        self.check(
            !value.is_empty()
                && value.chars().count() <= MAX_KEY_LENGTH
                && value.chars().all(allowed),
            path,
            || format!("{value:?} is not valid: use 1 to {MAX_KEY_LENGTH} characters among {rule}"),
        );
    }

    /// A provider config key (integration id): `^[a-zA-Z0-9~:.@ _-]+$`, at most 255.
    pub fn provider_config_key(&mut self, path: &str, value: &str) {
        self.pattern(
            path,
            value,
            |c| c.is_ascii_alphanumeric() || "~:.@ _-".contains(c),
            "letters, digits and ~:.@ _-",
        );
    }

    /// A connection id: `^[a-zA-Z0-9,.;:=+~[\]|@${}"'\\/_ -]+$`, at most 255.
    pub fn connection_id(&mut self, path: &str, value: &str) {
        self.pattern(
            path,
            value,
            |c| c.is_ascii_alphanumeric() || ",.;:=+~[]|@${}\"'\\/_ -".contains(c),
            "letters, digits and ,.;:=+~[]|@${}\"'\\/_ -",
        );
    }

    /// A sync, action, provider or variant name: `^[a-zA-Z0-9_-]+$`, at most 255.
    pub fn name(&mut self, path: &str, value: &str) {
        self.pattern(path, value, is_name_char, "letters, digits, _ and -");
    }

    /// Ends checking: any failure is a `400` with `code`.
    pub fn finish(self, code: &'static str) -> Result<(), ApiError> {
        match self.errors.is_empty() {
            true => Ok(()),
            false => Err(ApiError::validation(code, self.errors)),
        }
    }
}
