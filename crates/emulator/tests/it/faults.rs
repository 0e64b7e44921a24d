//! Faults on demand, the admin endpoints, and the expiry of kept results.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use snowgate_emulator::{Config, Faults};

use crate::support::{Harness, config, json_of};

#[tokio::test]
async fn injected_errors_answer_the_next_requests_then_stop() {
    let h = Harness::start().await;
    h.emulator
        .faults()
        .update(|f| {
            f.fail_next = 2;
            f.error_status = Some(502);
        })
        .expect("faults");
    assert_eq!(
        h.post("", &json!({"statement": "SELECT 1"})).await.status(),
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(
        h.post("", &json!({"statement": "SELECT 1"})).await.status(),
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(h.sql("SELECT 1").await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_injected_429_answers_like_snowflake_with_retry_after_and_runs_nothing() {
    let h = Harness::start().await;
    h.emulator
        .faults()
        .update(|f| {
            f.fail_next = 2;
            f.error_status = Some(429);
            f.retry_after_seconds = Some(7);
        })
        .expect("faults");
    let response = h
        .post("", &json!({"statement": "SELECT 1 AS REFUSED"}))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        body,
        json!({"code": "390505", "message": "Too many requests."})
    );
    h.emulator
        .faults()
        .update(|f| f.retry_after_seconds = None)
        .expect("faults");
    let response = h.post("", &json!({"statement": "SELECT 1"})).await;
    assert_eq!(
        response.headers()["retry-after"],
        "1",
        "one second unless set"
    );
    assert_eq!(h.sql("SELECT 1").await.0, StatusCode::OK);
    assert!(
        h.emulator
            .history()
            .iter()
            .all(|entry| entry.query_text == "SELECT 1"),
        "refused requests ran nothing"
    );
}

#[tokio::test]
async fn an_error_rate_of_one_fails_every_request() {
    let h = Harness::start_with(Config {
        faults: Faults {
            error_rate: 1.0,
            error_status: Some(504),
            ..Faults::default()
        },
        ..config()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            h.post("", &json!({"statement": "SELECT 1"})).await.status(),
            StatusCode::GATEWAY_TIMEOUT
        );
    }
    h.emulator.faults().clear();
    assert_eq!(h.sql("SELECT 1").await.0, StatusCode::OK);
}

#[tokio::test]
async fn rate_and_concurrency_limits_answer_429() {
    let h = Harness::start().await;
    h.emulator
        .faults()
        .update(|f| f.rate_limit_per_second = Some(1))
        .expect("faults");
    assert_eq!(h.sql("SELECT 1").await.0, StatusCode::OK);
    let (status, body) = h.sql("SELECT 1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        body,
        json!({"code": "390505", "message": "Too many requests."})
    );

    h.emulator
        .faults()
        .set(Faults {
            max_concurrent_statements: Some(1),
            ..Faults::default()
        })
        .expect("faults");
    let (status, running) = h
        .call(
            "?async=true",
            &json!({"statement": "SELECT SYSTEM$WAIT(30)"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) = h.sql("SELECT 1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let handle = running["statementHandle"].as_str().expect("handle");
    h.cancel(handle).await;
    // The slot frees once the cancelled statement has stopped.
    let mut freed = false;
    for _ in 0..50 {
        if h.sql("SELECT 1").await.0 == StatusCode::OK {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed, "the concurrency slot was released after cancel");
}

#[tokio::test]
async fn latency_and_forced_async_apply_to_every_request() {
    let h = Harness::start().await;
    h.emulator
        .faults()
        .update(|f| {
            f.latency_ms = 300;
            f.force_async = true;
        })
        .expect("faults");
    let started = Instant::now();
    let (status, body) = h.sql("SELECT 1").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let handle = body["statementHandle"].as_str().expect("handle");
    assert_eq!(h.wait_for(handle).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_dropped_partition_fails_mid_body_and_the_next_fetch_succeeds() {
    let h = Harness::start_with(Config {
        partition_size: 100,
        ..config()
    })
    .await;
    let (status, body) = h
        .sql("SELECT 'a fairly long text value to make partitions' AS A, 1 AS B UNION ALL SELECT 'a fairly long text value to make partitions', 2 UNION ALL SELECT 'a fairly long text value to make partitions', 3 UNION ALL SELECT 'a fairly long text value to make partitions', 4")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let handle = body["statementHandle"].as_str().expect("handle");
    let partition_info = body["resultSetMetaData"]["partitionInfo"].clone();
    assert!(partition_info.as_array().expect("info").len() > 1, "{body}");
    h.emulator
        .faults()
        .update(|f| f.drop_next_partitions = 1)
        .expect("faults");
    let url = h.url(&format!("/api/v2/statements/{handle}?partition=1"));
    let fetch = || async {
        let response = h.raw.get(&url).bearer_auth(h.token()).send().await?;
        response.error_for_status()?.bytes().await
    };
    assert!(fetch().await.is_err(), "the body was cut");
    let body = fetch().await.expect("the next fetch is whole");
    let expected = partition_info[1]["compressedSize"].as_u64().expect("size");
    assert_eq!(body.len() as u64, expected);
}

#[tokio::test]
async fn the_admin_endpoints_need_the_token_and_change_faults_and_keys() {
    let h = Harness::start().await;
    let faults_url = h.url("/emulator/admin/faults");
    let refused = h
        .client
        .put(&faults_url)
        .json(&json!({"fail_next": 1}))
        .send()
        .await
        .expect("answered");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let (status, body) = json_of(
        h.client
            .put(&faults_url)
            .bearer_auth(h.emulator.admin_token())
            .json(&json!({"fail_next": 1, "error_status": 500}))
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["fail_next"], 1);
    assert_eq!(
        h.post("", &json!({"statement": "SELECT 1"})).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // The admin endpoints themselves are never faulted.
    let (status, body) = json_of(
        h.client
            .put(&faults_url)
            .bearer_auth(h.emulator.admin_token())
            .json(&json!({"error_status": 404}))
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().expect("error").contains("404"));

    let token = h.token();
    assert_eq!(
        h.post_as(&token, "", &json!({"statement": "SELECT 1"}))
            .await
            .status(),
        StatusCode::OK
    );
    let (status, body) = json_of(
        h.client
            .post(h.url("/emulator/admin/sql"))
            .bearer_auth(h.emulator.admin_token())
            .body("ALTER USER ALICE UNSET RSA_PUBLIC_KEY")
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = json_of(
        h.post_as(&token, "", &json!({"statement": "SELECT 1"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked at once: {body}");
}

#[tokio::test]
async fn results_expire_after_their_time_to_live() {
    let h = Harness::start_with(Config {
        result_ttl: Duration::from_millis(200),
        ..config()
    })
    .await;
    let (_, body) = h.sql("SELECT 1").await;
    let handle = body["statementHandle"].as_str().expect("handle").to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, body) = json_of(h.get(&format!("/api/v2/statements/{handle}")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "000709");
    assert_eq!(h.emulator.kept_result_bytes(), 0);
}

#[tokio::test]
async fn results_that_are_never_fetched_stay_within_the_memory_budget() {
    let budget = 4_000;
    let h = Harness::start_with(Config {
        result_memory_budget: budget,
        ..config()
    })
    .await;
    let statement = format!("SELECT '{}' AS A", "x".repeat(1000));
    let mut handles = Vec::new();
    for _ in 0..10 {
        let (status, body) = h.sql(&statement).await;
        assert_eq!(status, StatusCode::OK);
        handles.push(body["statementHandle"].as_str().expect("handle").to_owned());
        assert!(h.emulator.kept_result_bytes() <= budget);
    }
    let (status, _) = json_of(h.get(&format!("/api/v2/statements/{}", handles[0])).await).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the oldest result was dropped"
    );
    let (status, _) = json_of(h.get(&format!("/api/v2/statements/{}", handles[9])).await).await;
    assert_eq!(status, StatusCode::OK, "the newest result is kept");
}
