//! A generated corpus of malformed and hostile requests sent, as raw HTTP/1.1 bytes, to every
//! route of a real server: odd path segments (NUL, invalid UTF-8, control characters, huge),
//! hostile query parameters, headers and methods, bodies of the wrong type or no JSON at all. No
//! answer may be a 5xx, every error answer must be Nango's envelope, and the server must stay up.
//! Fixed seed and bounded size (`CORPUS_CASES`); the counts are printed for the report.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use proptest::{
    prelude::*,
    test_runner::{Config as ProptestConfig, RngAlgorithm, TestCaseError, TestRng, TestRunner},
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{App, Backend, api_tests, spawn};

api_tests!(hostile_requests_never_get_a_5xx);

/// Inputs per backend.
const CORPUS_CASES: u32 = 1_000;

/// One generated request.
#[derive(Debug, Clone)]
struct Hostile {
    method: String,
    path: Vec<u8>,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    auth: Auth,
    body: Vec<u8>,
}

#[derive(Debug, Clone)]
enum Auth {
    Key,
    None,
    Garbage(String),
}

/// Path segments and parameter values: percent-encoded oddities, huge values, raw bytes.
fn hostile_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => "[a-zA-Z0-9_.~-]{1,16}".prop_map(String::into_bytes),
        2 => Just(b"c1".to_vec()),
        2 => prop::sample::select(vec![
            "%00", "a%00b", "%FF%FE", "%C0%80", "%ED%A0%80", "..", "%2e%2e", "%2F%2Fevil.com", "",
            "%0d%0aX-Injected:%201", "%F0%9F%98%80", "-1", "0", "99999999999999999999999",
            "null", "true", "%25", "%", "%zz", "+", "%20", "[]", "{}", "snowflake-jwt",
            "1e309", "NaN", "2026-13-45T99:99:99Z", "nango_connect_session_x",
        ])
        .prop_map(|text| text.as_bytes().to_vec()),
        1 => (1usize..30_000).prop_map(|length| vec![b'a'; length]),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|bytes| {
            percent_encoding::percent_encode(&bytes, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
                .into_bytes()
        }),
        // Raw bytes the request line should not hold.
        1 => prop::collection::vec(prop::sample::select(vec![0x01u8, 0x7f, 0xff, 0x80, b'"', b'<', b'\\', b'#']), 1..6),
    ]
}

const QUERY_KEYS: &[&str] = &[
    "provider_config_key",
    "connection_id",
    "search",
    "limit",
    "cursor",
    "ids",
    "ids[]",
    "model",
    "variant",
    "modified_after",
    "filter",
    "syncs",
    "status",
    "page",
    "tags[end_user_id]",
    "integration_id",
    "connect_session_token",
    "params[base_url]",
    "delete_data",
    "force",
    "sync_mode",
    "unknown",
];

const BODY_KEYS: &[&str] = &[
    "connection_id",
    "provider_config_key",
    "metadata",
    "tags",
    "syncs",
    "sync_mode",
    "reset",
    "input",
    "action_name",
    "frequency",
    "primary_url",
    "secondary_url",
    "webhook_url_override",
    "end_user",
    "allowed_integrations",
    "integrations_config_defaults",
    "privateKey",
    "accountIdentifier",
    "userName",
    "type",
    "model",
    "until_cursor",
    "limit",
    "token",
    "event",
    "signing_key",
    "connection_ids",
    "variant",
    "integration_id",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
        Just(json!("a\u{0}b")),
        Just(json!("http://127.0.0.1:3999/a\r\nX-Injected: 1")),
        (1usize..20_000).prop_map(|length| Value::from("x".repeat(length))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(BODY_KEYS).prop_map(str::to_owned),
                    "\\PC{0,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => Just(Vec::new()),
        4 => prop::collection::btree_map(prop::sample::select(BODY_KEYS), json_value(), 0..6)
            .prop_map(|map| serde_json::to_vec(&map).expect("serializable")),
        2 => json_value().prop_map(|value| serde_json::to_vec(&value).expect("serializable")),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => prop::sample::select(vec!["{", "[1,", "{\"a\":\"\\u0000\"}", "\"\\ud800\"", "1e99999", "{}{}"])
            .prop_map(|text| text.as_bytes().to_vec()),
    ]
}

fn header() -> impl Strategy<Value = (String, Vec<u8>)> {
    let name = prop::sample::select(vec![
        "connection-id",
        "provider-config-key",
        "content-type",
        "retries",
        "retry-on",
        "base-url-override",
        "x-async",
        "x-max-retries",
        "nango-proxy-x-test",
        "accept",
        "content-encoding",
        "x-unknown",
    ]);
    let value = prop_oneof![
        3 => "[ -~]{0,32}".prop_map(String::into_bytes),
        2 => prop::sample::select(vec![
            "application/json", "text/plain", "application/json; charset=utf-8", "c1",
            "snowflake-jwt", "gzip", "true", "-1", "11", "999,abc", "http://127.0.0.1:9",
        ])
        .prop_map(|text| text.as_bytes().to_vec()),
        1 => prop::collection::vec(0x80u8..=0xff, 1..8),
        1 => (1usize..500_000).prop_map(|length| vec![b'h'; length]),
    ];
    (name.prop_map(str::to_owned), value)
}

/// Every route of the OpenAPI document, with its methods.
fn routes() -> Vec<(String, Vec<String>)> {
    let document = serde_json::to_value(snowgate_server::openapi()).expect("a JSON document");
    let mut routes: Vec<(String, Vec<String>)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .map(|item| item.keys().map(|method| method.to_uppercase()).collect())
                .unwrap_or_default();
            (path.clone(), methods)
        })
        .collect();
    routes.push(("/no/such/route".into(), vec!["GET".into()]));
    routes.push(("/health".into(), vec!["GET".into()]));
    routes
}

fn hostile(routes: Vec<(String, Vec<String>)>) -> impl Strategy<Value = Hostile> {
    let route = prop::sample::select(routes);
    let method = prop_oneof![
        8 => Just(None),
        2 => prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "FOO"]).prop_map(Some),
    ];
    let query = prop::collection::vec(
        (
            prop_oneof![3 => prop::sample::select(QUERY_KEYS).prop_map(|key| key.as_bytes().to_vec()), 1 => hostile_text()],
            hostile_text(),
        ),
        0..5,
    );
    let auth = prop_oneof![
        8 => Just(Auth::Key),
        1 => Just(Auth::None),
        1 => "[ -~]{0,80}".prop_map(Auth::Garbage),
    ];
    (
        route,
        method,
        prop::collection::vec(hostile_text(), 3),
        query,
        prop::collection::vec(header(), 0..4),
        auth,
        body(),
    )
        .prop_map(
            |((template, methods), method, segments, query, headers, auth, body)| {
                let method = method.map_or_else(|| methods[0].clone(), str::to_owned);
                let mut path = Vec::new();
                let mut segments = segments.into_iter();
                for part in template.split('/').filter(|part| !part.is_empty()) {
                    path.push(b'/');
                    match part.starts_with('{') {
                        true => path.extend(segments.next().unwrap_or_default()),
                        false => path.extend(part.as_bytes()),
                    }
                }
                let query = query
                    .into_iter()
                    .map(|(key, value)| {
                        format!(
                            "{}={}",
                            String::from_utf8_lossy(&key),
                            String::from_utf8_lossy(&value)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("&");
                Hostile {
                    method,
                    path,
                    query,
                    headers,
                    auth,
                    body,
                }
            },
        )
}

/// An answer: status, whether it has a body, and the body as JSON if it is.
struct Answer {
    status: u16,
    body: Option<Value>,
    text: String,
}

async fn send_raw(app: &App, input: &Hostile) -> std::io::Result<Answer> {
    let mut request = Vec::new();
    request.extend(input.method.as_bytes());
    request.push(b' ');
    request.extend(&input.path);
    if !input.query.is_empty() {
        request.push(b'?');
        request.extend(input.query.as_bytes());
    }
    request.extend(b" HTTP/1.1\r\nhost: snowgate\r\nconnection: close\r\n");
    match &input.auth {
        Auth::Key => request.extend(format!("authorization: Bearer {}\r\n", app.key).as_bytes()),
        Auth::None => {}
        Auth::Garbage(text) => request.extend(format!("authorization: {text}\r\n").as_bytes()),
    }
    for (name, value) in &input.headers {
        request.extend(name.as_bytes());
        request.extend(b": ");
        request.extend(value);
        request.extend(b"\r\n");
    }
    request.extend(format!("content-length: {}\r\n\r\n", input.body.len()).as_bytes());
    request.extend(&input.body);
    let mut stream = tokio::net::TcpStream::connect(app.url.trim_start_matches("http://")).await?;
    // The server may answer (and close) before reading everything.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut answer),
    )
    .await;
    match read {
        Err(_) => return Err(std::io::Error::other("no answer within 30 s")),
        Ok(Err(error)) if answer.is_empty() => return Err(error),
        Ok(_) => {}
    }
    let split = answer.windows(4).position(|window| window == b"\r\n\r\n");
    let Some(split) = split else {
        return Err(std::io::Error::other(format!(
            "not an HTTP answer: {:?}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        )));
    };
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let mut body = answer[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = unchunk(&body);
    }
    let status = head
        .get(9..12)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
    Ok(Answer {
        status,
        body: serde_json::from_slice(&body).ok(),
        text,
    })
}

fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|window| window == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&body[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        let end = (start + size).min(body.len());
        out.extend(&body[start..end]);
        body = &body[(end + 2).min(body.len())..];
    }
    out
}

async fn hostile_requests_never_get_a_5xx(backend: Backend) -> anyhow::Result<()> {
    let name = match &backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres(_) => "PostgreSQL",
    };
    let app = spawn(backend, |config| {
        config.role = snowgate_engine::ProcessRole::Api
    })
    .await?;
    app.connection("c1", json!({"end_user_id": "u1"})).await?;
    let tried = Arc::new(AtomicUsize::new(0));
    let server_errors = Arc::new(AtomicUsize::new(0));
    let config = ProptestConfig {
        cases: CORPUS_CASES,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]));
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::block_in_place(|| {
        runner
            .run(&hostile(routes()), |input| {
                tried.fetch_add(1, Ordering::Relaxed);
                let answer = handle.block_on(send_raw(&app, &input)).map_err(|error| {
                    TestCaseError::fail(format!("the server did not answer: {error}"))
                })?;
                if answer.status >= 500 || answer.status < 100 {
                    server_errors.fetch_add(1, Ordering::Relaxed);
                    return Err(TestCaseError::fail(format!(
                        "{} {}",
                        answer.status, answer.text
                    )));
                }
                if answer.status >= 400 && input.method != "HEAD" {
                    let code = answer
                        .body
                        .as_ref()
                        .and_then(|body| body["error"]["code"].as_str());
                    prop_assert!(
                        code.is_some(),
                        "{} without the envelope: {}",
                        answer.status,
                        answer.text
                    );
                }
                Ok(())
            })
            .map_err(|error| error.to_string())
    });
    println!(
        "corpus ({name}): {} inputs tried, {} 5xx seen",
        tried.load(Ordering::Relaxed),
        server_errors.load(Ordering::Relaxed)
    );
    outcome.map_err(|error| anyhow::anyhow!("{error}"))?;
    let (status, body) = app.get("/connections").await;
    assert_eq!(status, 200, "the server is still up: {body}");
    app.stop().await;
    Ok(())
}
