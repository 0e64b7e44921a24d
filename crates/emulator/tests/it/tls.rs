//! HTTPS with the generated self-signed certificate.

use reqwest::StatusCode;
use serde_json::json;
use snowgate_emulator::Config;

use crate::support::{Harness, config};

#[tokio::test]
async fn a_client_that_trusts_the_certificate_runs_statements_over_https() {
    let mut h = Harness::start_with(Config {
        tls: true,
        ..config()
    })
    .await;
    assert!(h.emulator.url().starts_with("https://127.0.0.1:"));
    let certificate = h.emulator.certificate().expect("certificate");
    assert!(certificate.sha256_fingerprint.starts_with("SHA256:"));
    let root = reqwest::Certificate::from_pem(certificate.pem.as_bytes()).expect("PEM");
    h.client = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .expect("client");
    let (status, body) = h.call("", &json!({"statement": "SELECT 1"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!([["1"]]));

    let untrusting = reqwest::Client::new();
    assert!(
        untrusting
            .post(h.url("/api/v2/statements"))
            .send()
            .await
            .is_err(),
        "an unknown certificate is refused"
    );
}
