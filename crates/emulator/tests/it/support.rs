//! The harness: an emulator on a free port, a user with a fresh RSA key, JWTs built with
//! `jsonwebtoken` (not our client crate), and `reqwest` clients with and without gzip decoding.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use snowgate_emulator::{Config, Emulator, GeneratedKey};

/// An RSA key pair as a Snowflake user registers it.
pub struct TestKey {
    /// `-----BEGIN PUBLIC KEY-----` PEM.
    pub public_pem: String,
    /// The public key as `ALTER USER … SET RSA_PUBLIC_KEY='…'` takes it.
    pub public_base64: String,
    /// `SHA256:` + base64 of the SHA-256 of the SPKI DER.
    pub fingerprint: String,
    encoding: EncodingKey,
}

impl TestKey {
    pub fn generate() -> Self {
        let key = GeneratedKey::generate().expect("RSA key");
        Self {
            public_base64: key
                .public_key_pem
                .lines()
                .filter(|line| !line.starts_with("-----"))
                .collect(),
            encoding: EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes()).expect("RSA PEM"),
            fingerprint: key.fingerprint,
            public_pem: key.public_key_pem,
        }
    }

    /// A token with these claims, signed RS256 with this key.
    pub fn sign(&self, claims: &Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &self.encoding)
            .expect("signed JWT")
    }

    /// The standard claims for `account.user` with this key's fingerprint, valid for an hour.
    pub fn claims(&self, account: &str, user: &str) -> Value {
        let now = now_seconds();
        json!({
            "iss": format!("{account}.{user}.{}", self.fingerprint),
            "sub": format!("{account}.{user}"),
            "iat": now,
            "exp": now + 3600,
        })
    }
}

pub fn now_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A running emulator with one user and her key.
pub struct Harness {
    pub emulator: Emulator,
    pub key: TestKey,
    pub user: &'static str,
    /// Decodes gzip transparently.
    pub client: reqwest::Client,
    /// Leaves `Content-Encoding` as served.
    pub raw: reqwest::Client,
}

/// A test configuration: 202 after 5 s instead of 45 s (long enough for a loaded CI machine to
/// finish small statements synchronously).
pub fn config() -> Config {
    Config {
        sync_wait: Duration::from_secs(5),
        ..Config::default()
    }
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(config()).await
    }

    /// An emulator with `ALICE` granted ACCOUNTADMIN as her default role.
    pub async fn start_with(config: Config) -> Self {
        let h = Self::start_as(config, "ALICE").await;
        h.emulator
            .admin("GRANT ROLE ACCOUNTADMIN TO USER ALICE; ALTER USER ALICE SET DEFAULT_ROLE = ACCOUNTADMIN")
            .expect("grant");
        h
    }

    /// An emulator where `prepare` has run before `user` gets a key (no grants added).
    pub async fn start_as(config: Config, user: &'static str) -> Self {
        Self::start_prepared(config, user, |_| ()).await
    }

    pub async fn start_prepared(
        config: Config,
        user: &'static str,
        prepare: impl FnOnce(&Emulator),
    ) -> Self {
        let emulator = Emulator::start(config).await.expect("emulator starts");
        prepare(&emulator);
        let key = TestKey::generate();
        emulator
            .add_user(user, &key.public_pem)
            .expect("user added");
        Self {
            emulator,
            key,
            user,
            client: reqwest::Client::builder().build().expect("client"),
            raw: reqwest::Client::builder()
                .no_gzip()
                .build()
                .expect("client"),
        }
    }

    pub fn token(&self) -> String {
        self.key.sign(
            &self
                .key
                .claims(&self.emulator.account_identifier(), self.user),
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.url())
    }

    /// `POST /api/v2/statements{query}` with `body` and a valid token.
    pub async fn post(&self, query: &str, body: &Value) -> Response {
        self.post_as(&self.token(), query, body).await
    }

    pub async fn post_as(&self, token: &str, query: &str, body: &Value) -> Response {
        self.client
            .post(self.url(&format!("/api/v2/statements{query}")))
            .bearer_auth(token)
            .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
            .expect("POST answered")
    }

    /// GET a path (`/api/v2/statements/…`) with a valid token.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(self.token())
            .send()
            .await
            .expect("GET answered")
    }

    pub async fn cancel(&self, handle: &str) -> Response {
        self.client
            .post(self.url(&format!("/api/v2/statements/{handle}/cancel")))
            .bearer_auth(self.token())
            .json(&json!({}))
            .send()
            .await
            .expect("cancel answered")
    }

    /// `POST /api/v2/statements{query}`; status and JSON body.
    pub async fn call(&self, query: &str, body: &Value) -> (StatusCode, Value) {
        json_of(self.post(query, body).await).await
    }

    /// Runs one statement synchronously; status and JSON body.
    pub async fn sql(&self, statement: &str) -> (StatusCode, Value) {
        self.call("", &json!({ "statement": statement })).await
    }

    /// Polls a handle until it is no longer 202 (at most ~20 s).
    pub async fn wait_for(&self, handle: &str) -> (StatusCode, Value) {
        for _ in 0..200 {
            let (status, body) =
                json_of(self.get(&format!("/api/v2/statements/{handle}")).await).await;
            if status != StatusCode::ACCEPTED {
                return (status, body);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("statement {handle} still running after 20 s");
    }
}

/// Status and JSON body of a response.
pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

/// The data rows of a result body as strings (NULL as `None`).
pub fn rows(body: &Value) -> Vec<Vec<Option<String>>> {
    body["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row array")
                .iter()
                .map(|cell| cell.as_str().map(str::to_owned))
                .collect()
        })
        .collect()
}
