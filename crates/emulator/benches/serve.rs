//! Serving benchmarks, on loopback with a real client (reqwest, gzip on):
//!
//! 1. a 1,000,000-row SELECT (`GEN_DB_0001.PUBLIC.QUERY_ROWS`, 9 mixed columns) run and served
//!    through all its partitions; the target is ≥ 200 MB/s of JSON served;
//! 2. generating the 20 × 50 × 100 × 20 account (100,000 tables, 2,000,000 columns; target
//!    under 10 s) and `SHOW COLUMNS IN DATABASE` over one of its databases.
//!
//! `cargo bench -p snowgate-emulator --bench serve`; `SERVE_ROWS=…` changes the row count,
//! `SERVE_SKIP_CATALOG=1` skips part 2. Prints one line per measurement.

use std::{io::Read, time::Instant};

use serde_json::{Value, json};
use snowgate_emulator::{Config, Emulator, GeneratedKey, account::GenerateSpec};

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("SERVE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let emulator = Emulator::start(Config::default()).await.expect("emulator");
    let key = GeneratedKey::generate().expect("key");
    emulator
        .add_user("BENCH", &key.public_key_pem)
        .expect("user");
    emulator
        .admin("GRANT ROLE ACCOUNTADMIN TO USER BENCH; ALTER USER BENCH SET DEFAULT_ROLE = ACCOUNTADMIN")
        .expect("grant");
    let token = jwt(&emulator, &key);
    let client = reqwest::Client::new();

    let started = Instant::now();
    emulator
        .account()
        .generate(&GenerateSpec {
            query_rows: rows,
            ..GenerateSpec::default()
        })
        .expect("rows generated");
    println!(
        "generate {rows} query rows: {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let first: Value = client
        .post(format!("{}/api/v2/statements", emulator.url()))
        .bearer_auth(&token)
        .json(&json!({"statement": "SELECT * FROM GEN_DB_0001.PUBLIC.QUERY_ROWS"}))
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("JSON");
    let executed = started.elapsed();
    let handle = first["statementHandle"]
        .as_str()
        .expect("handle")
        .to_owned();
    let partitions = first["resultSetMetaData"]["partitionInfo"]
        .as_array()
        .expect("partitionInfo")
        .clone();
    assert_eq!(first["resultSetMetaData"]["numRows"], rows, "{first}");

    let raw = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let started = Instant::now();
    let mut bodies = Vec::with_capacity(partitions.len());
    for index in 1..partitions.len() {
        let body = raw
            .get(format!(
                "{}/api/v2/statements/{handle}?partition={index}",
                emulator.url()
            ))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET")
            .bytes()
            .await
            .expect("body");
        bodies.push(body);
    }
    let fetched = started.elapsed();
    // Decoding is the client's work: checked after the clock stops.
    let mut json_bytes = partitions[0]["uncompressedSize"].as_u64().expect("size");
    let mut wire_bytes = 0;
    let mut served_rows = first["data"].as_array().expect("data").len();
    for body in &bodies {
        wire_bytes += body.len();
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut text)
            .expect("gzip");
        json_bytes += text.len() as u64;
        let data: Value = serde_json::from_slice(&text).expect("JSON");
        served_rows += data["data"].as_array().expect("data").len();
    }
    assert_eq!(served_rows, rows);
    let megabytes = json_bytes as f64 / 1e6;
    println!(
        "SELECT {rows} rows: executed and partition 0 answered in {:.2} s; {} partitions",
        executed.as_secs_f64(),
        partitions.len()
    );
    println!(
        "served {megabytes:.1} MB of JSON ({:.1} MB gzip) through partitions 1..{} in {:.3} s: {:.0} MB/s of JSON; end to end with execution {:.0} MB/s",
        wire_bytes as f64 / 1e6,
        partitions.len() - 1,
        fetched.as_secs_f64(),
        megabytes / fetched.as_secs_f64(),
        megabytes / (executed + fetched).as_secs_f64()
    );

    if std::env::var_os("SERVE_SKIP_CATALOG").is_none() {
        catalog(&client).await;
    }
    emulator.shutdown().await;
}

/// The 100,000-table account and SHOW COLUMNS IN DATABASE over it.
async fn catalog(client: &reqwest::Client) {
    let emulator = Emulator::start(Config::default()).await.expect("emulator");
    let key = GeneratedKey::generate().expect("key");
    emulator
        .add_user("BENCH", &key.public_key_pem)
        .expect("user");
    emulator
        .admin("GRANT ROLE ACCOUNTADMIN TO USER BENCH; ALTER USER BENCH SET DEFAULT_ROLE = ACCOUNTADMIN")
        .expect("grant");
    let token = jwt(&emulator, &key);
    let spec: GenerateSpec =
        "databases=20,schemas=50,tables=100,columns=20,users=100,roles=50,seed=42"
            .parse()
            .expect("spec");
    let started = Instant::now();
    emulator.account().generate(&spec).expect("generated");
    println!(
        "generate 20 x 50 x 100 x 20 (100,000 tables, 2,000,000 columns): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let body: Value = client
        .post(format!("{}/api/v2/statements", emulator.url()))
        .bearer_auth(&token)
        .json(&json!({"statement": "SHOW COLUMNS IN DATABASE GEN_DB_0001"}))
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("JSON");
    println!(
        "SHOW COLUMNS IN DATABASE GEN_DB_0001: {} rows in {:.3} s",
        body["resultSetMetaData"]["numRows"],
        started.elapsed().as_secs_f64()
    );
    emulator.shutdown().await;
}

fn jwt(emulator: &Emulator, key: &GeneratedKey) -> String {
    let now = chrono::Utc::now().timestamp();
    let subject = format!("{}.BENCH", emulator.account_identifier());
    let claims = json!({
        "iss": format!("{subject}.{}", key.fingerprint),
        "sub": subject,
        "iat": now,
        "exp": now + 3600,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes()).expect("PEM"),
    )
    .expect("JWT")
}
