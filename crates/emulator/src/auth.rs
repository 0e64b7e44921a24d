//! Key-pair JWT authentication, as Snowflake checks it (reference §1).
//!
//! A request is accepted when its `Authorization: Bearer <jwt>` token is RS256-signed by the key
//! registered in the user's `RSA_PUBLIC_KEY` or `RSA_PUBLIC_KEY_2` slot whose fingerprint `iss`
//! names, `iss`/`sub` name this account (locator or org-account form) and the user's login name,
//! all upper case, and the token is within `min(exp, iat + 1 h)`. The user is read from the
//! account on every request, so `ALTER USER … UNSET RSA_PUBLIC_KEY` or `DISABLED = TRUE` takes
//! effect at once. Why a token was refused is logged at debug level (never the token itself);
//! the client only gets Snowflake's codes.

use aws_lc_rs::digest;
use base64::{Engine, engine::general_purpose::STANDARD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::{account::Account, exec::UserAuth};

/// The longest a token is valid after its `iat`, whatever its `exp` says.
const MAX_LIFETIME_MS: i64 = 60 * 60 * 1000;
/// How far in the future an `iat` may be (clock skew between client and server).
const MAX_CLOCK_SKEW_MS: i64 = 60 * 1000;
/// Above this a time claim is in milliseconds (10^11 s is the year 5138).
const MILLISECONDS_THRESHOLD: i64 = 100_000_000_000;

/// Why a request was not authenticated; each maps to one of Snowflake's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// No `Authorization` header: 400 `390146`.
    MissingToken,
    /// Anything wrong with the token: 401 `390144`. The reason is only logged.
    Invalid(&'static str),
    /// A valid token past its lifetime: 401 `390198`.
    Expired,
    /// A valid token of a disabled user: 401 `390101`.
    UserDisabled,
}

#[derive(serde::Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    iat: serde_json::Number,
    exp: serde_json::Number,
}

/// Checks the request's token against `account` at `now_ms` (epoch milliseconds) and returns the
/// authenticated user.
pub(crate) fn authenticate(
    account: &Account,
    authorization: Option<&str>,
    token_type: Option<&str>,
    now_ms: i64,
) -> Result<UserAuth, AuthError> {
    let authorization = authorization.ok_or(AuthError::MissingToken)?;
    let token = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or(AuthError::Invalid(
            "the Authorization header is not a Bearer token",
        ))?;
    if token_type.is_some_and(|t| !t.eq_ignore_ascii_case("KEYPAIR_JWT")) {
        return Err(AuthError::Invalid("the token type is not KEYPAIR_JWT"));
    }
    let claims: Claims = jsonwebtoken::dangerous::insecure_decode::<Claims>(token)
        .map_err(|_| AuthError::Invalid("the token does not decode to iss, sub, iat and exp"))?
        .claims;

    let (issuer, fingerprint) = claims
        .iss
        .rsplit_once(".SHA256:")
        .ok_or(AuthError::Invalid("iss has no .SHA256: fingerprint"))?;
    if issuer != claims.sub {
        return Err(AuthError::Invalid("iss and sub name different users"));
    }
    let (account_part, user_part) = claims
        .sub
        .split_once('.')
        .ok_or(AuthError::Invalid("sub is not ACCOUNT.USER"))?;
    let names = account.names();
    if account_part != names.locator && account_part != names.org_account() {
        return Err(AuthError::Invalid("the account in sub is not this account"));
    }
    if user_part.is_empty() || user_part != user_part.to_uppercase() {
        return Err(AuthError::Invalid("the user in sub is not upper case"));
    }
    let user = account
        .user_auth(user_part)
        .ok_or(AuthError::Invalid("no user has this login name"))?;

    let key = [&user.rsa_public_key, &user.rsa_public_key_2]
        .into_iter()
        .flatten()
        .filter_map(|key| STANDARD.decode(key).ok())
        .find(|der| STANDARD.encode(digest::digest(&digest::SHA256, der)) == fingerprint)
        .ok_or(AuthError::Invalid(
            "no registered public key of the user has the fingerprint in iss",
        ))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<serde_json::Value>(token, &DecodingKey::from_rsa_der(&key), &validation)
        .map_err(|_| AuthError::Invalid("the signature does not verify with the registered key"))?;

    let issued = epoch_ms(&claims.iat).ok_or(AuthError::Invalid("iat is not a time"))?;
    let expires = epoch_ms(&claims.exp).ok_or(AuthError::Invalid("exp is not a time"))?;
    if issued > now_ms + MAX_CLOCK_SKEW_MS {
        return Err(AuthError::Invalid("iat is in the future"));
    }
    if now_ms >= expires.min(issued + MAX_LIFETIME_MS) {
        return Err(AuthError::Expired);
    }
    if user.disabled {
        return Err(AuthError::UserDisabled);
    }
    Ok(user)
}

/// A time claim in seconds or milliseconds since the epoch, as milliseconds.
fn epoch_ms(value: &serde_json::Number) -> Option<i64> {
    let value = value
        .as_i64()
        .or_else(|| value.as_f64().map(|f| f as i64))?;
    Some(if value > MILLISECONDS_THRESHOLD {
        value
    } else {
        value.saturating_mul(1000)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_claims_in_seconds_and_milliseconds_agree() {
        let seconds = serde_json::Number::from(1_615_370_644_i64);
        let millis = serde_json::Number::from(1_615_370_644_000_i64);
        assert_eq!(epoch_ms(&seconds), Some(1_615_370_644_000));
        assert_eq!(epoch_ms(&millis), Some(1_615_370_644_000));
    }
}
