//! API authentication: the environment's secret key and connect-session tokens, both as
//! `Authorization: Bearer …`, with Nango's `401` codes.
//!
//! The secret key is compared in constant time. Session tokens are stored only as hashes (the
//! store looks them up by hash), expire after [`SESSION_LIFETIME`], and are scoped to the
//! session's allowed integrations. Neither is ever logged or echoed in an error.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, StatusCode, header::AUTHORIZATION, request::Parts},
};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use snowgate_store::{ConnectSession, Store};
use subtle::ConstantTimeEq;

use crate::{error::ApiError, state::AppState};

/// How long a connect session lives.
pub const SESSION_LIFETIME: chrono::Duration = chrono::Duration::minutes(30);

/// The prefix of connect-session tokens.
pub const SESSION_TOKEN_PREFIX: &str = "nango_connect_session_";

/// A new connect-session token: the prefix and 64 hex digits of cryptographic randomness.
pub fn new_session_token() -> SecretString {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random generator works");
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    SecretString::from(format!("{SESSION_TOKEN_PREFIX}{hex}"))
}

/// Whether `key` is in the secret key's format, a UUID v4.
pub fn is_secret_key_format(key: &str) -> bool {
    uuid::Uuid::try_parse(key).is_ok_and(|uuid| uuid.get_version_num() == 4)
}

pub(crate) fn unauthorized(code: &'static str, reason: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        code,
        format!("Authentication failed. {reason}"),
    )
}

/// The bearer credential of a request.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let header = headers.get(AUTHORIZATION).ok_or_else(|| {
        unauthorized(
            "missing_auth_header",
            "The request is missing the Authorization header; send Authorization: Bearer <secret key>.",
        )
    })?;
    header
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            unauthorized(
                "malformed_auth_header",
                "The Authorization header is malformed; it must be 'Bearer <secret key>'.",
            )
        })
}

/// Checks that `headers` carry the secret key.
pub fn require_secret_key(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    check_secret_key(state, bearer(headers)?)
}

fn check_secret_key(state: &AppState, key: &str) -> Result<(), ApiError> {
    if !is_secret_key_format(key) {
        return Err(unauthorized(
            "invalid_secret_key_format",
            "The provided secret key is not a UUID v4.",
        ));
    }
    let expected = state.secret_key().expose_secret().as_bytes();
    if bool::from(key.as_bytes().ct_eq(expected)) {
        Ok(())
    } else {
        Err(unauthorized(
            "unknown_account",
            "The provided secret key does not match this environment's; use the key `snowgate serve` printed or SNOWGATE_SECRET_KEY.",
        ))
    }
}

/// Resolves a connect-session token to its live session.
pub async fn session_of(state: &AppState, token: &str) -> Result<SessionAuth, ApiError> {
    let well_formed = token
        .strip_prefix(SESSION_TOKEN_PREFIX)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !well_formed {
        return Err(unauthorized(
            "invalid_connect_session_token_format",
            "The provided connect session token is not properly formatted.",
        ));
    }
    let token = SecretString::from(token.to_owned());
    let session = state
        .store()
        .connect_session(&token, Utc::now())
        .await?
        .ok_or_else(|| {
            unauthorized(
                "unknown_connect_session_token",
                "The provided connect session token is unknown or expired; create a new session.",
            )
        })?;
    Ok(SessionAuth { token, session })
}

/// A request authenticated with the environment's secret key.
#[derive(Debug, Clone, Copy)]
pub struct SecretKey;

impl FromRequestParts<AppState> for SecretKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        check_secret_key(state, bearer(&parts.headers)?)?;
        Ok(Self)
    }
}

/// A request authenticated with a connect-session token.
#[derive(Debug, Clone)]
pub struct SessionAuth {
    /// The token (for deleting the session).
    pub token: SecretString,
    /// The session.
    pub session: ConnectSession,
}

impl SessionAuth {
    /// Whether the session may use integration `key`.
    pub fn allows(&self, key: &str) -> bool {
        self.session
            .allowed_integrations
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|allowed| allowed == key))
    }
}

impl FromRequestParts<AppState> for SessionAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        session_of(state, bearer(&parts.headers)?).await
    }
}

/// A request authenticated with the secret key or a connect-session token.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The secret key.
    SecretKey,
    /// A connect session.
    Session(Box<SessionAuth>),
}

impl Caller {
    /// Whether the caller may see integration `key`.
    pub fn allows(&self, key: &str) -> bool {
        match self {
            Self::SecretKey => true,
            Self::Session(session) => session.allows(key),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)?;
        if token.starts_with(SESSION_TOKEN_PREFIX) {
            Ok(Self::Session(Box::new(session_of(state, token).await?)))
        } else {
            check_secret_key(state, token)?;
            Ok(Self::SecretKey)
        }
    }
}
