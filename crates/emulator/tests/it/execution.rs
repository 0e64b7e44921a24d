//! Statements: the 200 body, 202 and polling, cancel, timeouts, retries, errors (reference §2).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Harness, json_of, rows};

fn is_handle(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[tokio::test]
async fn a_finished_statement_answers_the_full_result_set() {
    let h = Harness::start().await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let response = h
        .post(
            &format!("?requestId={request_id}"),
            &json!({"statement": "SELECT 1 AS TEST"}),
        )
        .await;
    let link = response
        .headers()
        .get("link")
        .expect("Link header")
        .to_str()
        .expect("text")
        .to_owned();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let handle = body["statementHandle"].as_str().expect("handle");
    assert!(is_handle(handle), "{handle}");
    assert_eq!(body["code"], "090001");
    assert_eq!(body["sqlState"], "00000");
    assert_eq!(body["message"], "Statement executed successfully.");
    assert_eq!(body["requestId"], request_id.as_str());
    assert_eq!(
        body["statementStatusUrl"],
        format!("/api/v2/statements/{handle}?requestId={request_id}")
    );
    let created = body["createdOn"].as_i64().expect("createdOn");
    assert!(created > 1_700_000_000_000, "milliseconds: {created}");
    let meta = &body["resultSetMetaData"];
    assert_eq!(meta["numRows"], 1);
    assert_eq!(meta["format"], "jsonv2");
    assert_eq!(
        meta["partitionInfo"],
        json!([{"rowCount": 1, "uncompressedSize": 5}])
    );
    assert_eq!(meta["rowType"][0]["name"], "TEST");
    assert_eq!(meta["rowType"][0]["type"], "fixed");
    assert_eq!(rows(&body), vec![vec![Some("1".to_owned())]]);

    // One partition: only first and last, both partition 0, each with a fresh requestId.
    let entries: Vec<&str> = link.split(',').collect();
    assert_eq!(entries.len(), 2, "{link}");
    assert!(
        entries[0].ends_with("&partition=0>; rel=\"first\""),
        "{link}"
    );
    assert!(
        entries[1].ends_with("&partition=0>; rel=\"last\""),
        "{link}"
    );
    assert!(
        !link.contains(&request_id),
        "links carry new request ids: {link}"
    );

    // GET of the finished statement answers the same result.
    let (status, again) = json_of(h.get(&format!("/api/v2/statements/{handle}")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["data"], body["data"]);
    assert_eq!(again["resultSetMetaData"], body["resultSetMetaData"]);
}

#[tokio::test]
async fn async_statements_answer_202_and_poll_to_their_result() {
    let h = Harness::start().await;
    let (status, body) = h
        .call(
            "?async=true",
            &json!({"statement": "SELECT SYSTEM$WAIT(3)"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["code"], "333334");
    assert_eq!(
        body["message"],
        "Asynchronous execution in progress. Use provided query id to perform query monitoring and management."
    );
    let handle = body["statementHandle"].as_str().expect("handle").to_owned();
    assert_eq!(
        body["statementStatusUrl"],
        format!("/api/v2/statements/{handle}")
    );

    let (status, body) = json_of(h.get(&format!("/api/v2/statements/{handle}")).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "still running: {body}");
    let (status, body) = h.wait_for(&handle).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["resultSetMetaData"]["numRows"], 1);
}

#[tokio::test]
async fn a_statement_longer_than_the_synchronous_wait_answers_202() {
    let h = Harness::start_with(snowgate_emulator::Config {
        sync_wait: std::time::Duration::from_millis(300),
        ..crate::support::config()
    })
    .await;
    let (status, body) = h
        .call("", &json!({"statement": "SELECT SYSTEM$WAIT(2)"}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let handle = body["statementHandle"].as_str().expect("handle").to_owned();
    assert_eq!(h.wait_for(&handle).await.0, StatusCode::OK);
}

#[tokio::test]
async fn cancel_stops_a_running_statement_and_keeps_a_finished_result() {
    let h = Harness::start().await;
    let (_, body) = h
        .call(
            "?async=true",
            &json!({"statement": "SELECT SYSTEM$WAIT(30)"}),
        )
        .await;
    let handle = body["statementHandle"].as_str().expect("handle").to_owned();

    for _ in 0..2 {
        let (status, body) = json_of(h.cancel(&handle).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({
                "code": "000604",
                "sqlState": "57014",
                "message": "SQL execution canceled",
                "statementHandle": handle,
                "statementStatusUrl": format!("/api/statements/{handle}"),
            })
        );
    }
    let (status, body) = json_of(h.get(&format!("/api/v2/statements/{handle}")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "000604");
    assert_eq!(body["sqlState"], "57014");
    assert_eq!(body["statementHandle"], handle.as_str());

    // Cancelling a finished statement answers 200 and its result stays readable.
    let (_, done) = h.sql("SELECT 1").await;
    let done_handle = done["statementHandle"].as_str().expect("handle");
    assert_eq!(json_of(h.cancel(done_handle).await).await.0, StatusCode::OK);
    let (status, body) = json_of(h.get(&format!("/api/v2/statements/{done_handle}")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!([["1"]]));
}

#[tokio::test]
async fn a_statement_past_its_timeout_answers_408_and_is_cancelled() {
    let h = Harness::start_with(snowgate_emulator::Config {
        sync_wait: std::time::Duration::from_secs(10),
        ..crate::support::config()
    })
    .await;
    let (status, body) = h
        .call(
            "",
            &json!({"statement": "SELECT SYSTEM$WAIT(20)", "timeout": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
    assert_eq!(body["code"], "000630");
    assert_eq!(body["sqlState"], "57014");
    assert_eq!(
        body["message"],
        "Statement reached its statement or warehouse timeout of 1 second(s) and was canceled."
    );
    let handle = body["statementHandle"].as_str().expect("handle");
    let (status, _) = json_of(h.get(&format!("/api/v2/statements/{handle}")).await).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
}

#[tokio::test]
async fn unknown_handles_answer_000709() {
    let h = Harness::start().await;
    let handle = "00000000-0000-0000-0000-000000000000";
    let (status, body) = json_of(h.get(&format!("/api/v2/statements/{handle}")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({
            "code": "000709",
            "message": format!("Statement {handle} not found"),
            "sqlState": "02000",
            "statementHandle": handle,
        })
    );
    let (status, body) = json_of(h.cancel(handle).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "000709");
}

#[tokio::test]
async fn a_retry_with_the_same_request_id_does_not_run_the_statement_again() {
    let h = Harness::start().await;
    h.emulator
        .admin("CREATE DATABASE RETRY_DB; CREATE TABLE RETRY_DB.PUBLIC.T (ID NUMBER)")
        .expect("table");
    let request_id = uuid::Uuid::new_v4().to_string();
    let insert = json!({"statement": "INSERT INTO RETRY_DB.PUBLIC.T VALUES (1)"});
    let (status, first) = h.call(&format!("?requestId={request_id}"), &insert).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, retried) = h
        .call(&format!("?requestId={request_id}&retry=true"), &insert)
        .await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["statementHandle"], first["statementHandle"]);
    let (_, count) = h.sql("SELECT COUNT(*) FROM RETRY_DB.PUBLIC.T").await;
    assert_eq!(count["data"], json!([["1"]]), "inserted once");

    // Without retry=true the same requestId runs again.
    h.call(&format!("?requestId={request_id}"), &insert).await;
    let (_, count) = h.sql("SELECT COUNT(*) FROM RETRY_DB.PUBLIC.T").await;
    assert_eq!(count["data"], json!([["2"]]));
}

#[tokio::test]
async fn sql_errors_answer_422_with_snowflakes_code_and_a_handle() {
    let h = Harness::start().await;
    let (status, body) = h.sql("SELEC 1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "001003");
    assert_eq!(body["sqlState"], "42000");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .starts_with("SQL compilation error:")
    );
    assert!(is_handle(body["statementHandle"].as_str().expect("handle")));

    let (status, body) = h.sql("SELECT * FROM NO_SUCH_DB.PUBLIC.NO_SUCH_TABLE").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "002003");
    assert_eq!(body["sqlState"], "42S02");
}

#[tokio::test]
async fn session_commands_alone_are_not_supported() {
    let h = Harness::start().await;
    for (statement, command) in [
        ("USE DATABASE SNOWFLAKE", "USE"),
        ("BEGIN", "TRANSACTION_BEGIN"),
    ] {
        let (status, body) = h.sql(statement).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["code"], "391911");
        assert_eq!(body["sqlState"], "0A000");
        assert_eq!(
            body["message"],
            format!("Command not supported by SQL API: {command}")
        );
    }
}

#[tokio::test]
async fn bindings_and_nullable_false_reach_the_result() {
    let h = Harness::start().await;
    let body = json!({
        "statement": "SELECT ? AS A, ? AS B",
        "bindings": {
            "1": {"type": "FIXED", "value": "42"},
            "2": {"type": "TEXT", "value": null},
        },
    });
    let (status, result) = h.call("", &body).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(rows(&result), vec![vec![Some("42".to_owned()), None]]);
    let (_, result) = h.call("?nullable=false", &body).await;
    assert_eq!(result["data"], json!([["42", "null"]]));
}
