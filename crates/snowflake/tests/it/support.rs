//! The harness: a scripted SQL API server on loopback that checks every request the client sends
//! (JWT signature and claims, headers, body) and answers what the test says, often a response
//! recorded from real Snowflake; a client configured for it; and the recorded fixtures.

use std::{
    io::Write,
    path::PathBuf,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Value, json};
use snowgate_snowflake::{
    AccountIdentifier, Client, ClientConfig, ExposeSecret, PrivateKey, RetryPolicy,
};
use tokio_util::task::AbortOnDropHandle;
use url::Url;

pub const ACCOUNT: &str = "myorg-myaccount";
pub const USER: &str = "alice";
pub const HANDLE: &str = "01c4d3e8-0001-e79d-0000-001cd6c3d2a9";

/// The test user's key, generated once per test binary.
pub fn key() -> Arc<PrivateKey> {
    static PEM: OnceLock<String> = OnceLock::new();
    let pem = PEM.get_or_init(|| {
        PrivateKey::generate(2048)
            .unwrap()
            .to_pkcs8_pem()
            .expose_secret()
            .to_owned()
    });
    Arc::new(PrivateKey::from_pem(pem, None).unwrap())
}

/// Claims as the server decoded them.
#[derive(Clone, Debug, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Option<Value>,
    pub at: Instant,
    pub claims: Result<Claims, String>,
}

impl Logged {
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn statement(&self) -> Option<&str> {
        self.body.as_ref()?.get("statement")?.as_str()
    }

    pub fn jwt(&self) -> &str {
        self.header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default()
    }

    pub fn partition(&self) -> Option<usize> {
        self.query("partition").map(|value| value.parse().unwrap())
    }
}

/// What the server answers.
#[derive(Clone, Debug)]
pub struct Reply {
    status: StatusCode,
    headers: Vec<(HeaderName, String)>,
    body: Vec<u8>,
    gzip: bool,
    delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self::raw(status, serde_json::to_vec(&body).unwrap())
    }

    pub fn raw(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap(),
            headers: vec![(
                HeaderName::from_static("content-type"),
                "application/json".into(),
            )],
            body: body.into(),
            gzip: false,
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }

    /// Serve gzipped, as Snowflake serves partitions.
    pub fn gzip(mut self) -> Self {
        self.gzip = true;
        self
    }

    /// Answer after a while.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// A 202 "running" body for `handle`.
    pub fn running(handle: &str) -> Self {
        Self::json(
            202,
            json!({
                "code": "333334",
                "message": "Asynchronous execution in progress. Use provided query id to perform query monitoring and management.",
                "statementHandle": handle,
                "statementStatusUrl": format!("/api/v2/statements/{handle}"),
            }),
        )
    }

    /// A 200 cancel answer for `handle`.
    pub fn cancelled(handle: &str) -> Self {
        Self::json(
            200,
            json!({
                "code": "000604", "sqlState": "57014", "message": "SQL execution canceled",
                "statementHandle": handle, "statementStatusUrl": format!("/api/statements/{handle}"),
            }),
        )
    }
}

type Handler = Arc<dyn Fn(&Logged) -> Reply + Send + Sync>;

struct ServerState {
    handler: Handler,
    log: Mutex<Vec<Logged>>,
    decoding_key: DecodingKey,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

/// A scripted SQL API server on 127.0.0.1.
pub struct TestServer {
    pub url: Url,
    state: Arc<ServerState>,
    _task: AbortOnDropHandle<()>,
}

impl TestServer {
    /// Starts a server that verifies JWTs against [`key`] and answers with `handler`.
    pub async fn start(handler: impl Fn(&Logged) -> Reply + Send + Sync + 'static) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, handler)
    }

    /// Serves on a listener the test bound.
    pub fn serve(
        listener: tokio::net::TcpListener,
        handler: impl Fn(&Logged) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let state = Arc::new(ServerState {
            handler: Arc::new(handler),
            log: Mutex::new(Vec::new()),
            decoding_key: decoding_key(&key()),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            state,
            _task: AbortOnDropHandle::new(task),
        }
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        self.state.log.lock().unwrap().clone()
    }

    /// The most requests served at the same time.
    pub fn most_in_flight(&self) -> usize {
        self.state.most_in_flight.load(Ordering::SeqCst)
    }

    /// Waits (up to 5 s) until a request matching `check` arrives.
    pub async fn wait_for(&self, check: impl Fn(&Logged) -> bool) -> Logged {
        let started = Instant::now();
        loop {
            if let Some(found) = self.requests().into_iter().find(&check) {
                return found;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the expected request never came: {:#?}",
                self.requests()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The public key in the form `DecodingKey` takes (PKCS#1 `RSAPublicKey`).
pub fn decoding_key(key: &PrivateKey) -> DecodingKey {
    let spki = pkcs8::SubjectPublicKeyInfoRef::try_from(key.public_key_der()).unwrap();
    DecodingKey::from_rsa_der(spki.subject_public_key.raw_bytes())
}

async fn handle(
    State(state): State<Arc<ServerState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let in_flight = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.most_in_flight.fetch_max(in_flight, Ordering::SeqCst);
    let claims = verify(&state.decoding_key, &headers);
    let logged = Logged {
        method,
        path: uri.path().to_owned(),
        query: url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
        headers,
        body: (!body.is_empty()).then(|| serde_json::from_slice(&body).unwrap()),
        at: Instant::now(),
        claims,
    };
    state.log.lock().unwrap().push(logged.clone());
    let reply = match &logged.claims {
        Ok(_) => (state.handler)(&logged),
        // What Snowflake answers for a token it cannot verify.
        Err(_) => Reply::json(
            401,
            json!({"code": "390144", "message": "JWT token is invalid. [7fb87e37-2f26-4a10-9f9c-72276ea898bf]"}),
        ),
    };
    tokio::time::sleep(reply.delay).await;
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut response = if reply.gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&reply.body).unwrap();
        let mut response = (reply.status, encoder.finish().unwrap()).into_response();
        response
            .headers_mut()
            .insert("content-encoding", HeaderValue::from_static("gzip"));
        response
    } else {
        (reply.status, reply.body).into_response()
    };
    for (name, value) in reply.headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_str(&value).unwrap());
    }
    response
}

/// Checks the JWT as Snowflake does: RS256 with the registered key, upper-case claims naming
/// the account and user, `iss` = `sub` + fingerprint, valid at most an hour.
fn verify(decoding_key: &DecodingKey, headers: &HeaderMap) -> Result<Claims, String> {
    let token = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or("no bearer token")?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims = ["exp", "iat", "iss", "sub"].map(String::from).into();
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<Claims>(token, decoding_key, &validation)
        .map_err(|error| error.to_string())?
        .claims;
    let expected_sub = "MYORG-MYACCOUNT.ALICE";
    if claims.sub != expected_sub {
        return Err(format!("sub {} is not {expected_sub}", claims.sub));
    }
    if claims.iss != format!("{expected_sub}.{}", key().fingerprint()) {
        return Err(format!("iss {} does not name the key", claims.iss));
    }
    if claims.exp - claims.iat > 3600 {
        return Err("valid for more than an hour".into());
    }
    Ok(claims)
}

/// Answers the replies in order, then 500 "script exhausted".
pub fn script(replies: Vec<Reply>) -> impl Fn(&Logged) -> Reply + Send + Sync + 'static {
    let replies = Mutex::new(replies.into_iter());
    move |_| {
        replies
            .lock()
            .unwrap()
            .next()
            .unwrap_or_else(|| Reply::json(500, json!({"message": "the test script is exhausted"})))
    }
}

/// A client for `server`, with short retry delays and polls so that tests run fast.
pub fn client(server: &TestServer) -> Client {
    client_with(server, |config| config)
}

pub fn client_with(
    server: &TestServer,
    adjust: impl FnOnce(ClientConfig) -> ClientConfig,
) -> Client {
    client_at(server.url.clone(), adjust)
}

/// A client for the server at `url`, configured like [`client`] and then by `adjust`.
pub fn client_at(url: Url, adjust: impl FnOnce(ClientConfig) -> ClientConfig) -> Client {
    let config = ClientConfig::new(AccountIdentifier::parse(ACCOUNT).unwrap(), USER, key())
        .base_url(url)
        .retry(retries(
            4,
            Duration::from_millis(200),
            Duration::from_secs(10),
        ))
        .poll_interval(Duration::from_millis(10), Duration::from_millis(50));
    Client::new(adjust(config)).unwrap()
}

/// A retry policy with `count` resends from 5 ms up to `largest`, within `total`.
pub fn retries(count: usize, largest: Duration, total: Duration) -> RetryPolicy {
    RetryPolicy::new(count, Duration::from_millis(5), largest, total)
}

/// A statement that runs until it is cancelled.
pub fn running_until_cancelled(request: &Logged) -> Reply {
    if request.path.ends_with("/cancel") {
        Reply::cancelled(HANDLE)
    } else {
        Reply::running(HANDLE)
    }
}

/// One recorded HTTP exchange.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub request: Value,
    pub response: Value,
    pub status: u16,
}

/// The exchanges of one recorded file.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub name: String,
    pub exchanges: Vec<Exchange>,
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/recorded")
}

/// Every recorded file, sorted by name.
pub fn recorded() -> Vec<Fixture> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(".test.json"))
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 16, "the recorded fixtures are missing");
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".test.json")
                .to_owned();
            let file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let mut exchanges = Vec::new();
            for (method, paths) in file["api"].as_object().unwrap() {
                for (path, recorded) in paths.as_object().unwrap() {
                    let list = match recorded {
                        Value::Array(list) => list.clone(),
                        one => vec![one.clone()],
                    };
                    for exchange in list {
                        exchanges.push(Exchange {
                            method: method.clone(),
                            path: path.clone(),
                            request: exchange["request"].clone(),
                            response: exchange["response"].clone(),
                            status: exchange["status"].as_u64().unwrap() as u16,
                        });
                    }
                }
            }
            Fixture { name, exchanges }
        })
        .collect()
}

/// The response of exchange `index` of the recorded file `name`.
pub fn recorded_response(name: &str, index: usize) -> Value {
    recorded()
        .into_iter()
        .find(|fixture| fixture.name == name)
        .unwrap()
        .exchanges[index]
        .response
        .clone()
}

/// The recorded answer to `SELECT * FROM NANGO_TEST_DB.SALES.CUSTOMERS` (4 rows, 7 columns).
pub fn customers() -> Value {
    recorded_response("query-results", 0)
}
