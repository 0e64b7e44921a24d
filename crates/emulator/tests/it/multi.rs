//! Multi-statement requests (reference §2.9).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Harness, json_of};

#[tokio::test]
async fn statements_run_in_order_and_children_are_readable() {
    let h = Harness::start().await;
    for count in [json!("3"), json!(3), json!(0)] {
        for key in ["MULTI_STATEMENT_COUNT", "multi_statement_count"] {
            let body = json!({
                "statement": "CREATE DATABASE IF NOT EXISTS M; USE DATABASE M; SELECT CURRENT_DATABASE();",
                "parameters": {key: count.clone()},
            });
            let (status, body) = h.call("", &body).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(
                body["resultSetMetaData"]["rowType"][0]["name"],
                "multiple statement execution"
            );
            assert_eq!(
                body["data"],
                json!([["Multiple statements executed successfully."]])
            );
            let handles = body["statementHandles"].as_array().expect("handles");
            assert_eq!(handles.len(), 3);
            let last = handles[2].as_str().expect("handle");
            let (status, child) = json_of(h.get(&format!("/api/v2/statements/{last}")).await).await;
            assert_eq!(status, StatusCode::OK, "{child}");
            assert_eq!(
                child["data"],
                json!([["M"]]),
                "USE carried over to the next statement"
            );
        }
    }
}

#[tokio::test]
async fn a_count_mismatch_and_bindings_are_refused() {
    let h = Harness::start().await;
    let (status, body) = h.sql("SELECT 1; SELECT 2").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "000008");
    assert_eq!(body["sqlState"], "0A000");
    assert_eq!(
        body["message"],
        "Actual statement count 2 did not match the desired statement count 1."
    );

    // A trailing semicolon does not make a second statement.
    assert_eq!(h.sql("SELECT 1;").await.0, StatusCode::OK);

    let (status, body) = h.call("", &json!({ "statement": "SELECT ?; SELECT 2", "parameters": {"MULTI_STATEMENT_COUNT": "2"}, "bindings": {"1": {"type": "FIXED", "value": "1"}}, })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn a_failing_statement_fails_the_request_after_the_earlier_ones_ran() {
    let h = Harness::start().await;
    let body = json!({
        "statement": "CREATE DATABASE FIRST_RAN; SELEC 1",
        "parameters": {"MULTI_STATEMENT_COUNT": 2},
    });
    let (status, body) = h.call("", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "100132");
    let (status, show) = h.sql("SHOW DATABASES LIKE 'FIRST_RAN'").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(show["resultSetMetaData"]["numRows"], 1);
}
