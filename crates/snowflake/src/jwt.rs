//! Key-pair JWTs: signed RS256 with the user's private key, cached, renewed before they expire.
//!
//! Claims (reference §1.1): `iss` = `ACCOUNT.USER.SHA256:<fingerprint>`, `sub` = `ACCOUNT.USER`,
//! `iat` and `exp` in seconds. Account and user are upper case. `iat` is set a minute in the
//! past so that a server clock slightly behind ours does not see a token from the future, and a
//! token is replaced five minutes (at most a quarter of its lifetime) before its `exp`, so that a
//! server clock slightly ahead does not see it expired. [`TokenSource::renew`] replaces it at
//! once, for the client to call after a 390198 "expired" answer.

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use jsonwebtoken::{Algorithm, Header};
use secrecy::SecretString;
use serde::Serialize;

use crate::{Error, account::AccountIdentifier, key::PrivateKey};

/// How long a token is valid after it is made, unless configured otherwise.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(59 * 60);
/// Snowflake honours a token for at most an hour after `iat`.
const MAX_VALIDITY: Duration = Duration::from_secs(60 * 60);
const MIN_LIFETIME: Duration = Duration::from_secs(2 * 60);
/// How far `iat` is set in the past.
const BACKDATE: Duration = Duration::from_secs(60);
const RENEW_MARGIN: Duration = Duration::from_secs(5 * 60);

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    iat: u64,
    exp: u64,
}

struct CachedToken {
    jwt: SecretString,
    renew_at: SystemTime,
}

/// Makes and caches the JWTs for one user of one account. Thread-safe; share it with `Arc`.
pub struct TokenSource {
    key: Arc<PrivateKey>,
    subject: String,
    issuer: String,
    lifetime: Duration,
    cached: Mutex<Option<CachedToken>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("issuer", &self.issuer)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// A token source for `user` (the login name; upper-cased) in `account`.
    pub fn new(
        key: Arc<PrivateKey>,
        account: &AccountIdentifier,
        user: &str,
    ) -> Result<Self, Error> {
        let user = user.trim();
        if user.is_empty() {
            return Err(Error::Config(
                "the user name is empty: give the Snowflake user's login name".into(),
            ));
        }
        let subject = format!("{}.{}", account.jwt_account(), user.to_uppercase());
        let issuer = format!("{subject}.{}", key.fingerprint());
        Ok(Self {
            key,
            subject,
            issuer,
            lifetime: DEFAULT_LIFETIME,
            cached: Mutex::new(None),
        })
    }

    /// Sets how long each token is valid, between 2 and 59 minutes (clamped).
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime.clamp(MIN_LIFETIME, MAX_VALIDITY - BACKDATE);
        self
    }

    /// The `iss` claim: `ACCOUNT.USER.SHA256:<fingerprint>`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `sub` claim: `ACCOUNT.USER`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The key that signs the tokens.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// A valid token: the cached one, or a new one when it is close to expiry.
    pub fn token(&self) -> Result<SecretString, Error> {
        self.token_at(SystemTime::now(), false)
    }

    /// A new token, replacing the cached one (after Snowflake said the token expired).
    pub fn renew(&self) -> Result<SecretString, Error> {
        self.token_at(SystemTime::now(), true)
    }

    fn token_at(&self, now: SystemTime, force: bool) -> Result<SecretString, Error> {
        let mut cached = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(token) = cached
            .as_ref()
            .filter(|token| !force && now < token.renew_at)
        {
            return Ok(token.jwt.clone());
        }
        let token = self.sign(now)?;
        let jwt = token.jwt.clone();
        *cached = Some(token);
        Ok(jwt)
    }

    fn sign(&self, now: SystemTime) -> Result<CachedToken, Error> {
        let seconds = |time: SystemTime| {
            time.duration_since(UNIX_EPOCH)
                .map(|since| since.as_secs())
                .map_err(|_| Error::Config("the system clock is before 1970".into()))
        };
        let issued_at = now - BACKDATE;
        let expires_at = now + self.lifetime;
        let claims = Claims {
            iss: &self.issuer,
            sub: &self.subject,
            iat: seconds(issued_at)?,
            exp: seconds(expires_at)?,
        };
        let jwt = jsonwebtoken::encode(
            &Header::new(Algorithm::RS256),
            &claims,
            self.key.signing_key(),
        )
        .map_err(|error| Error::Config(format!("could not sign the JWT: {error}")))?;
        Ok(CachedToken {
            jwt: SecretString::from(jwt),
            renew_at: expires_at - RENEW_MARGIN.min(self.lifetime / 4),
        })
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation};
    use secrecy::ExposeSecret;
    use serde::Deserialize;

    use super::*;
    use crate::test_keys;

    #[derive(Debug, Deserialize)]
    struct Decoded {
        iss: String,
        sub: String,
        iat: u64,
        exp: u64,
    }

    fn source(user: &str) -> TokenSource {
        let account = AccountIdentifier::parse("myorg-myaccount").unwrap();
        TokenSource::new(Arc::new(test_keys::rsa_2048()), &account, user).unwrap()
    }

    fn decode(source: &TokenSource, jwt: &SecretString) -> (jsonwebtoken::Header, Decoded) {
        let key = DecodingKey::from_rsa_der(&rsa_public_key(source.key()));
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Decoded>(jwt.expose_secret(), &key, &validation).unwrap();
        (data.header, data.claims)
    }

    /// The PKCS#1 `RSAPublicKey` inside the SubjectPublicKeyInfo, which `DecodingKey` wants.
    fn rsa_public_key(key: &PrivateKey) -> Vec<u8> {
        let spki = pkcs8::SubjectPublicKeyInfoRef::try_from(key.public_key_der()).unwrap();
        spki.subject_public_key.raw_bytes().to_vec()
    }

    #[test]
    fn claims_name_the_upper_cased_account_and_user_and_the_fingerprint() {
        let source = source("alice.smith@example.com");
        let now = UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let jwt = source.token_at(now, false).unwrap();
        let (header, claims) = decode(&source, &jwt);
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(claims.sub, "MYORG-MYACCOUNT.ALICE.SMITH@EXAMPLE.COM");
        assert_eq!(
            claims.iss,
            format!(
                "MYORG-MYACCOUNT.ALICE.SMITH@EXAMPLE.COM.{}",
                source.key().fingerprint()
            )
        );
        assert!(claims.iss.contains(".SHA256:"));
        assert_eq!(
            claims.iat,
            1_780_000_000 - 60,
            "iat is a minute early for clock skew"
        );
        assert_eq!(claims.exp, 1_780_000_000 + 59 * 60);
        assert!(
            claims.exp - claims.iat <= 3600,
            "Snowflake caps validity at an hour"
        );
    }

    #[test]
    fn header_has_no_kid_and_the_token_has_three_parts() {
        let source = source("bob");
        let jwt = source.token().unwrap();
        assert_eq!(jwt.expose_secret().split('.').count(), 3);
        let (header, _) = decode(&source, &jwt);
        assert_eq!(header.kid, None);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
    }

    #[test]
    fn a_token_is_cached_until_close_to_expiry_then_renewed() {
        let source = source("bob");
        let start = UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let first = source.token_at(start, false).unwrap();
        let later = source
            .token_at(start + Duration::from_secs(53 * 60), false)
            .unwrap();
        assert_eq!(first.expose_secret(), later.expose_secret(), "cached");
        let renewed = source
            .token_at(start + Duration::from_secs(54 * 60), false)
            .unwrap();
        assert_ne!(first.expose_secret(), renewed.expose_secret(), "renewed");
        let (_, claims) = decode(&source, &renewed);
        assert_eq!(claims.iat, 1_780_000_000 + 54 * 60 - 60);
    }

    #[test]
    fn renew_replaces_the_cached_token_at_once() {
        let source = source("bob");
        let now = UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let first = source.token_at(now, false).unwrap();
        let renewed = source.token_at(now + Duration::from_secs(1), true).unwrap();
        assert_ne!(first.expose_secret(), renewed.expose_secret());
        let cached = source
            .token_at(now + Duration::from_secs(2), false)
            .unwrap();
        assert_eq!(renewed.expose_secret(), cached.expose_secret());
    }

    #[test]
    fn short_lifetimes_renew_a_quarter_before_expiry() {
        let source = source("bob").with_lifetime(Duration::from_secs(1));
        let now = UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let jwt = source.token_at(now, false).unwrap();
        let (_, claims) = decode(&source, &jwt);
        assert_eq!(claims.exp, 1_780_000_000 + 120, "clamped to two minutes");
        let again = source
            .token_at(now + Duration::from_secs(89), false)
            .unwrap();
        assert_eq!(jwt.expose_secret(), again.expose_secret());
        let renewed = source
            .token_at(now + Duration::from_secs(90), false)
            .unwrap();
        assert_ne!(jwt.expose_secret(), renewed.expose_secret());
    }

    #[test]
    fn debug_shows_no_token_or_key() {
        let source = source("bob");
        let jwt = source.token().unwrap();
        let debug = format!("{source:?} {jwt:?}");
        assert!(!debug.contains(jwt.expose_secret()));
        assert!(!debug.contains("MII"));
        assert!(debug.contains("MYORG-MYACCOUNT.BOB.SHA256:"));
    }

    #[test]
    fn an_empty_user_is_refused() {
        let account = AccountIdentifier::parse("xy12345").unwrap();
        let error = TokenSource::new(Arc::new(test_keys::rsa_2048()), &account, "  ").unwrap_err();
        assert!(error.to_string().contains("user name is empty"));
    }
}
