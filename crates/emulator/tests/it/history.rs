//! The query history: what ran, under which `requestId`, how many times — through the admin
//! endpoint, the library and `INFORMATION_SCHEMA.QUERY_HISTORY()`; and the README's admin lines.

use reqwest::StatusCode;
use serde_json::{Value, json};
use snowgate_emulator::Config;

use crate::support::{Harness, config, json_of, rows};

/// `GET /emulator/admin/history` with the admin token.
async fn admin_history(h: &Harness) -> Vec<Value> {
    let (status, body) = json_of(
        h.client
            .get(h.url("/emulator/admin/history"))
            .bearer_auth(h.emulator.admin_token())
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().expect("an array").clone()
}

fn of_request<'a>(history: &'a [Value], request_id: &str) -> Vec<&'a Value> {
    history
        .iter()
        .filter(|entry| entry["request_id"] == request_id)
        .collect()
}

#[tokio::test]
async fn the_history_proves_a_retried_statement_ran_once_and_a_resubmitted_one_twice() {
    let h = Harness::start().await;
    h.emulator
        .admin("CREATE DATABASE HISTORY_DB; CREATE TABLE HISTORY_DB.PUBLIC.T (ID NUMBER)")
        .expect("table");
    let request_id = uuid::Uuid::new_v4().to_string();
    let insert = json!({"statement": "INSERT INTO HISTORY_DB.PUBLIC.T VALUES (1)"});
    let (status, first) = h.call(&format!("?requestId={request_id}"), &insert).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let handle = first["statementHandle"].as_str().expect("handle");

    // A retry refused by an injected 503 never reaches the statement; the next one is answered
    // from the first execution.
    h.emulator
        .faults()
        .update(|f| f.fail_next = 1)
        .expect("faults");
    let retry = format!("?requestId={request_id}&retry=true");
    assert_eq!(
        h.post(&retry, &insert).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let (status, retried) = h.call(&retry, &insert).await;
    assert_eq!(status, StatusCode::OK, "{retried}");

    let history = admin_history(&h).await;
    let entries = of_request(&history, &request_id);
    assert_eq!(entries.len(), 1, "{history:?}");
    let entry = entries[0];
    assert_eq!(entry["query_id"], handle);
    assert_eq!(entry["executions"], 1);
    assert_eq!(entry["retries"], 1);
    assert_eq!(entry["execution_status"], "SUCCESS");
    assert_eq!(entry["query_type"], "INSERT");
    assert_eq!(entry["rows_produced"], 1);
    assert_eq!(entry["user_name"], "ALICE");
    assert_eq!(entry["role_name"], "ACCOUNTADMIN");
    assert!(entry["end_time"].is_string(), "{entry}");

    // Without retry=true the same requestId runs again, and the count says so.
    let (status, again) = h.call(&format!("?requestId={request_id}"), &insert).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let history = h.emulator.history();
    let entries: Vec<_> = history
        .iter()
        .filter(|entry| entry.request_id.as_deref() == Some(request_id.as_str()))
        .collect();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|entry| entry.executions == 2));
    assert_eq!(
        entries[1].query_id,
        again["statementHandle"].as_str().expect("handle")
    );

    let refused = h
        .client
        .get(h.url("/emulator/admin/history"))
        .send()
        .await
        .expect("answered");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn query_history_is_a_table_function_of_the_information_schema() {
    let h = Harness::start().await;
    h.emulator
        .admin("CREATE DATABASE QH_DB; CREATE TABLE QH_DB.PUBLIC.T (ID NUMBER)")
        .expect("table");
    let (status, body) = h
        .call(
            "",
            &json!({
                "statement": "INSERT INTO QH_DB.PUBLIC.T VALUES (1), (2)",
                "database": "QH_DB",
                "schema": "PUBLIC",
                "parameters": {"query_tag": "nightly"},
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let insert_handle = body["statementHandle"].clone();
    let (status, _) = h.sql("SELEC 1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let query = |sql: &str| json!({"statement": sql, "database": "QH_DB", "schema": "PUBLIC"});
    let (status, body) = h
        .call(
            "",
            &query(
                "SELECT QUERY_ID, QUERY_TYPE, EXECUTION_STATUS, ERROR_CODE, ROWS_PRODUCED, \
                 QUERY_TAG, USER_NAME, DATABASE_NAME, QUERY_TEXT \
                 FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY()) ORDER BY START_TIME",
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body["resultSetMetaData"]["rowType"]
        .as_array()
        .expect("row type")
        .iter()
        .map(|column| column["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names[0], "QUERY_ID");
    let listed = rows(&body);
    assert_eq!(listed.len(), 3, "{listed:?}");
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(listed[0][0], insert_handle.as_str().map(str::to_owned));
    assert_eq!(
        listed[0][1..8],
        [
            some("INSERT"),
            some("SUCCESS"),
            None,
            some("2"),
            some("nightly"),
            some("ALICE"),
            some("QH_DB"),
        ]
    );
    assert_eq!(listed[1][2], some("FAILED_WITH_ERROR"));
    assert_eq!(listed[1][3], some("001003"));
    assert_eq!(
        listed[2][2],
        some("RUNNING"),
        "the query sees itself running"
    );

    let (status, body) = h
        .call(
            "",
            &query(
                "SELECT QUERY_TEXT FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 2))",
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let newest: Vec<_> = rows(&body).into_iter().map(|row| row[0].clone()).collect();
    assert_eq!(newest.len(), 2, "the newest first, at most RESULT_LIMIT");
    assert!(
        newest[0]
            .as_deref()
            .is_some_and(|t| t.contains("RESULT_LIMIT"))
    );
    assert!(
        newest[1]
            .as_deref()
            .is_some_and(|t| t.contains("ORDER BY START_TIME"))
    );

    let (status, body) = h
        .call(
            "",
            &query("SELECT * FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 0))"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("between 1 and 10000")),
        "{body}"
    );
}

#[tokio::test]
async fn the_history_keeps_the_last_statements_only() {
    let h = Harness::start_with(Config {
        history_limit: 2,
        ..config()
    })
    .await;
    for n in 1..=3 {
        assert_eq!(h.sql(&format!("SELECT {n}")).await.0, StatusCode::OK);
    }
    let texts: Vec<String> = h
        .emulator
        .history()
        .into_iter()
        .map(|entry| entry.query_text)
        .collect();
    assert_eq!(texts, ["SELECT 2", "SELECT 3"]);
}

/// The `curl` lines of the README's emulator section, run against a live emulator: each must
/// be accepted as written.
#[tokio::test]
async fn the_readmes_admin_lines_work() {
    let h = Harness::start().await;
    let readme = include_str!("../../../../README.md");
    let section = readme
        .split("## The Snowflake emulator")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has an emulator section");
    let commands: Vec<&str> = section.split("curl ").skip(1).collect();
    assert!(commands.len() >= 4, "{commands:?}");
    let mut paths = Vec::new();
    for command in commands {
        let path = command
            .split("\"$URL")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no \"$URL…\" in {command}"));
        let body = ["-d '", "--data '"]
            .iter()
            .find_map(|flag| command.split(flag).nth(1))
            .and_then(|rest| rest.split('\'').next());
        let method = if command.contains("-X PUT") {
            reqwest::Method::PUT
        } else if command.contains("-X POST") {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let mut request = h
            .client
            .request(method, h.url(path))
            .bearer_auth(h.emulator.admin_token());
        if let Some(body) = body {
            request = request.body(body.to_owned());
        }
        let response = request.send().await.expect("answered");
        let status = response.status();
        let text = response.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "{command}: {text}");
        paths.push(path.to_owned());
    }
    assert!(paths.contains(&"/emulator/admin/history".to_owned()));
}
