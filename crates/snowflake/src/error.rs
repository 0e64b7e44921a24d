//! The errors of this crate, shaped for what a caller does next.
//!
//! Policy: every variant a caller can act on is its own variant — [`Error::Auth`] (mark the
//! credentials bad), [`Error::Sql`] (fail with Snowflake's message), [`Error::Timeout`] (the
//! statement did not finish; never an empty result), [`Error::RateLimited`] and
//! [`Error::Server`] (retry budget spent), [`Error::Network`] (host unreachable). Messages say what
//! happened and what to do. No message or `Debug` output contains a key, passphrase or token,
//! nor cell values or bind values, which may be customer data.

use std::{fmt, time::Duration};

use crate::{account::AccountError, key::KeyError, value::DecodeError};

/// What went wrong talking to Snowflake.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The private key could not be used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The account identifier could not be understood.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// A setting or an argument is unusable; the message says which and why.
    #[error("{0}")]
    Config(String),
    /// Snowflake refused the credentials.
    #[error("{0}")]
    Auth(Box<AuthError>),
    /// The statement failed (HTTP 422): compile or run-time error, or it was cancelled.
    #[error("SQL error {code} ({sql_state}): {message}{}", handle_suffix(statement_handle.as_deref()))]
    Sql {
        /// Snowflake's error code, e.g. `002003`.
        code: String,
        /// The SQLSTATE, e.g. `42S02`.
        sql_state: String,
        /// Snowflake's message.
        message: String,
        /// The failed statement, when Snowflake names it.
        statement_handle: Option<String>,
    },
    /// The statement did not finish in time: Snowflake's `timeout` passed (HTTP 408; Snowflake
    /// cancelled it), or the caller's wait deadline did (this client cancelled it).
    #[error(
        "the statement did not finish in time{}: {message}; it was cancelled: raise the timeout \
         or make the query cheaper",
        handle_suffix(statement_handle.as_deref())
    )]
    Timeout {
        /// The statement, when it had a handle yet.
        statement_handle: Option<String>,
        /// What happened, e.g. Snowflake's message.
        message: String,
    },
    /// Snowflake kept answering 429 until the retry budget was spent.
    #[error(
        "Snowflake is rate limiting this account (429) and kept doing so over {attempts} attempts: \
         run fewer statements at a time{}",
        retry_after.map(|after| format!(" (it asked to wait {after:?})")).unwrap_or_default()
    )]
    RateLimited {
        /// What Snowflake's last `Retry-After` asked for.
        retry_after: Option<Duration>,
        /// Requests made.
        attempts: u32,
    },
    /// Snowflake kept failing (5xx) until the retry budget was spent.
    #[error("Snowflake answered HTTP {status}{} over {attempts} attempts: {message}", code_suffix(code.as_deref()))]
    Server {
        /// The last HTTP status.
        status: u16,
        /// Snowflake's error code, if the body had one.
        code: Option<String>,
        /// Snowflake's message or the start of the body.
        message: String,
        /// Requests made.
        attempts: u32,
    },
    /// Snowflake refused the request itself (400, 404, …): a malformed request, an unknown
    /// statement handle, a partition out of range.
    #[error("Snowflake refused the request with HTTP {status}{}: {message}", code_suffix(code.as_deref()))]
    Request {
        /// The HTTP status.
        status: u16,
        /// Snowflake's error code, if the body had one.
        code: Option<String>,
        /// Snowflake's message or the start of the body.
        message: String,
    },
    /// The host could not be reached, or the connection failed, until the retry budget was spent.
    #[error(
        "could not reach {host} ({source}) over {attempts} attempts: check the account \
         identifier or base URL, and the network between here and Snowflake"
    )]
    Network {
        /// The host that was tried.
        host: String,
        /// The last transport error.
        source: reqwest::Error,
        /// Requests made.
        attempts: u32,
    },
    /// Snowflake's answer did not have the expected shape.
    #[error("unexpected answer from Snowflake: {0}")]
    Protocol(String),
    /// A value could not be decoded as its column type says.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl Error {
    /// The authentication failure, if this is one.
    pub fn as_auth(&self) -> Option<&AuthError> {
        match self {
            Self::Auth(auth) => Some(auth),
            _ => None,
        }
    }
}

fn handle_suffix(handle: Option<&str>) -> String {
    handle
        .map(|handle| format!(" [statement {handle}]"))
        .unwrap_or_default()
}

fn code_suffix(code: Option<&str>) -> String {
    code.map(|code| format!(" (code {code})"))
        .unwrap_or_default()
}

/// Why Snowflake refused the credentials, as far as its answer tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthCause {
    /// `390144` "JWT token is invalid": Snowflake gives the same answer for a key not registered
    /// for the user, a wrong account or user name, and a clock far off.
    InvalidToken,
    /// `390198`: the token had expired, and still did after renewal (the clock is behind).
    TokenExpired,
    /// `390186`: the requested role is not granted to the user.
    RoleNotGranted,
    /// `390102`: the user is disabled.
    UserDisabled,
    /// `390101`: the user is locked out.
    UserLocked,
    /// `390422`: a network policy blocks this client's IP address.
    IpNotAllowed,
    /// `390146`: no token reached Snowflake (a proxy may strip the header).
    MissingToken,
    /// 403/404 without a Snowflake error body: the host does not serve this account.
    AccountNotFound,
    /// Another authentication error; the message is Snowflake's.
    Other,
}

impl AuthCause {
    /// Classifies an answer by Snowflake error code, HTTP status and message.
    pub(crate) fn classify(status: u16, code: Option<&str>, message: &str) -> Option<Self> {
        let cause = match code {
            Some("390144") => Self::InvalidToken,
            Some("390198") => Self::TokenExpired,
            Some("390186") => Self::RoleNotGranted,
            Some("390102") => Self::UserDisabled,
            Some("390101") => Self::UserLocked,
            Some("390422") => Self::IpNotAllowed,
            Some("390146") => Self::MissingToken,
            _ if status == 401 => {
                if message.to_ascii_lowercase().contains("disabled") {
                    Self::UserDisabled
                } else {
                    Self::Other
                }
            }
            None if status == 403 || status == 404 => Self::AccountNotFound,
            _ => return None,
        };
        Some(cause)
    }
}

/// Snowflake refused the credentials of `user` in `account`.
#[derive(Debug)]
pub struct AuthError {
    /// The likely cause.
    pub cause: AuthCause,
    /// The HTTP status.
    pub status: u16,
    /// Snowflake's error code, e.g. `390144`.
    pub code: Option<String>,
    /// Snowflake's message.
    pub message: String,
    /// The account as named in the JWT.
    pub account: String,
    /// The user as named in the JWT.
    pub user: String,
    /// The fingerprint of the key that signed the JWT.
    pub fingerprint: String,
    /// The host that answered.
    pub host: String,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            account,
            user,
            fingerprint,
            host,
            ..
        } = self;
        let answer = match &self.code {
            Some(code) => format!("{code}: {}", self.message),
            None => format!("HTTP {}: {}", self.status, self.message),
        };
        match self.cause {
            AuthCause::InvalidToken => write!(
                f,
                "Snowflake rejected the key-pair JWT for user {user} in account {account} \
                 ({answer}). Likely causes: the public key with fingerprint {fingerprint} is not \
                 registered for user {user} (compare with RSA_PUBLIC_KEY_FP in DESC USER {user}, \
                 or register it with ALTER USER {user} SET RSA_PUBLIC_KEY='…'); the account \
                 identifier is wrong (check SELECT CURRENT_ORGANIZATION_NAME() || '-' || \
                 CURRENT_ACCOUNT_NAME()); the user name is not the login name; or this machine's \
                 clock is off by more than a minute"
            ),
            AuthCause::TokenExpired => write!(
                f,
                "Snowflake says the JWT for user {user} in account {account} has expired even \
                 just after it was made ({answer}): this machine's clock is probably behind; \
                 synchronise it (NTP)"
            ),
            AuthCause::RoleNotGranted => write!(
                f,
                "the role requested for user {user} in account {account} is not granted to \
                 them ({answer}): grant it (GRANT ROLE … TO USER {user}) or request another role"
            ),
            AuthCause::UserDisabled => write!(
                f,
                "user {user} in account {account} is disabled ({answer}): an administrator must \
                 run ALTER USER {user} SET DISABLED = FALSE"
            ),
            AuthCause::UserLocked => write!(
                f,
                "user {user} in account {account} is locked ({answer}): wait for the lock to \
                 expire or have an administrator run ALTER USER {user} UNSET MINS_TO_UNLOCK"
            ),
            AuthCause::IpNotAllowed => write!(
                f,
                "a network policy of account {account} blocks this machine's IP address \
                 ({answer}): add it to the policy's allowed list"
            ),
            AuthCause::MissingToken => write!(
                f,
                "no JWT reached Snowflake at {host} ({answer}): a proxy between here and \
                 Snowflake may strip the Authorization header"
            ),
            AuthCause::AccountNotFound => write!(
                f,
                "{host} does not serve account {account} ({answer}): check the account \
                 identifier (organization-account name or account locator with region)"
            ),
            AuthCause::Other => write!(
                f,
                "Snowflake refused the credentials of user {user} in account {account} \
                 ({answer})"
            ),
        }
    }
}

impl std::error::Error for AuthError {}
