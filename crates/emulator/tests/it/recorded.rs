//! Ground truth: every recorded exchange in `fixtures/recorded`, replayed over HTTP
//! against an emulator seeded with the same objects, answers the same status, `rowType` and
//! value encodings. Values that differ by nature (creation times) are compared by form.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Harness, config, json_of};

/// The recorded files, found from the crate directory (`fixtures/recorded` at the workspace root).
fn recorded_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/recorded"
    ))
}

fn exchanges(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// The recorded account, and its user `VICTORNANGO2` signing with a fresh key.
async fn recorded_harness() -> Harness {
    let h = Harness::start_prepared(config(), "VICTORNANGO2", |emulator| {
        emulator
            .account()
            .load_recorded()
            .expect("the recorded seed loads");
    })
    .await;
    h.emulator
        .admin("GRANT ROLE ACCOUNTADMIN TO USER VICTORNANGO2; ALTER USER VICTORNANGO2 SET DEFAULT_ROLE = ACCOUNTADMIN DEFAULT_WAREHOUSE = COMPUTE_WH")
        .expect("recorded user's defaults");
    h
}

/// Compares one answer with its recording; returns what differs.
fn differences(name: &str, recorded: &Value, actual: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let recorded_meta = &recorded["resultSetMetaData"];
    let actual_meta = &actual["resultSetMetaData"];
    let recorded_types = recorded_meta["rowType"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let actual_types = actual_meta["rowType"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if recorded_types.len() != actual_types.len() {
        problems.push(format!(
            "{name}: {} columns recorded, {} answered",
            recorded_types.len(),
            actual_types.len()
        ));
    }
    for (recorded, actual) in recorded_types.iter().zip(&actual_types) {
        if recorded != actual {
            problems.push(format!("{name}: rowType {recorded} answered as {actual}"));
        }
    }
    if recorded_meta["numRows"] != actual_meta["numRows"] {
        problems.push(format!(
            "{name}: numRows {} answered as {}",
            recorded_meta["numRows"], actual_meta["numRows"]
        ));
    }
    let empty = Vec::new();
    let recorded_rows = recorded["data"].as_array().unwrap_or(&empty);
    let actual_rows = actual["data"].as_array().unwrap_or(&empty);
    for (r, (recorded_row, actual_row)) in recorded_rows.iter().zip(actual_rows).enumerate() {
        for (c, column) in recorded_types.iter().enumerate() {
            let recorded_cell = &recorded_row[c];
            let actual_cell = &actual_row[c];
            let kind = column["type"].as_str().unwrap_or_default();
            // Creation times and warehouse ids differ by nature: compare their form.
            let same = if kind.starts_with("timestamp") || column["name"] == "uuid" {
                same_form(recorded_cell, actual_cell)
            } else {
                recorded_cell == actual_cell
            };
            if !same {
                problems.push(format!(
                    "{name}: row {r} column {} recorded {recorded_cell} answered {actual_cell}",
                    column["name"]
                ));
            }
        }
    }
    problems
}

/// Both null, or both numbers (epoch seconds, ids) with the same number of fraction digits.
fn same_form(recorded: &Value, actual: &Value) -> bool {
    match (recorded.as_str(), actual.as_str()) {
        (None, None) => recorded.is_null() && actual.is_null(),
        (Some(r), Some(a)) => {
            let digits = |s: &str| s.split_once('.').map(|(_, f)| f.len());
            let numeric = |s: &str| {
                s.chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == ' ')
            };
            digits(r) == digits(a) && numeric(r) && numeric(a)
        }
        _ => false,
    }
}

#[tokio::test]
async fn every_recorded_statement_answers_the_recorded_row_types_and_encodings() {
    let h = recorded_harness().await;
    let mut problems = Vec::new();
    let mut compared = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(recorded_dir())
        .expect("recorded dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".test.json"))
        .collect();
    files.sort();
    for path in files {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        let Some(posts) = fixture["api"]["post"]
            .get("/api/v2/statements")
            .map(exchanges)
        else {
            continue;
        };
        for exchange in posts {
            let body = &exchange["request"]["data"];
            let (status, actual) = json_of(h.post("", body).await).await;
            compared += 1;
            let label = format!("{name} `{}`", body["statement"]);
            if status.as_u16() as u64 != exchange["status"].as_u64().unwrap_or(200) {
                problems.push(format!("{label}: status {status}: {actual}"));
                continue;
            }
            problems.extend(differences(&label, &exchange["response"], &actual));
        }
    }
    assert!(compared >= 14, "only {compared} recorded statements found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The GET recordings hold no statement; these are the statements whose results they show.
#[tokio::test]
async fn recorded_status_and_result_fetches_answer_the_same() {
    let h = recorded_harness().await;
    let dir = recorded_dir();
    for (file, statement, query) in [
        ("get-statement-status.test.json", "SELECT 1 AS TEST", ""),
        (
            "get-statement-result.test.json",
            "SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_WAREHOUSE(), CURRENT_DATABASE(), CURRENT_SCHEMA()",
            "?partition=0",
        ),
    ] {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).expect("read"))
                .expect("JSON");
        let recorded = fixture["api"]["get"]
            .as_object()
            .and_then(|paths| paths.values().next())
            .expect("one GET exchange")["response"]
            .clone();
        let (status, submitted) = json_of(
            h.post("?async=true", &json!({"statement": statement}))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let handle = submitted["statementHandle"].as_str().expect("handle");
        let (_, _) = h.wait_for(handle).await;
        let response = h
            .client
            .get(h.url(&format!("/api/v2/statements/{handle}{query}")))
            .bearer_auth(h.token())
            .send()
            .await
            .expect("GET");
        let (status, actual) = json_of(response).await;
        assert_eq!(status, StatusCode::OK, "{actual}");
        let problems = differences(file, &recorded, &actual);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        let mut keys: Vec<&String> = actual.as_object().expect("object").keys().collect();
        let mut recorded_keys: Vec<&String> =
            recorded.as_object().expect("object").keys().collect();
        keys.sort();
        recorded_keys.sort();
        assert_eq!(keys, recorded_keys, "{file}: the same top-level fields");
    }
}

#[tokio::test]
async fn the_recorded_cancel_answers_the_same_body() {
    let h = recorded_harness().await;
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(recorded_dir().join("cancel-statement.test.json")).expect("read"),
    )
    .expect("JSON");
    let recorded = fixture["api"]["post"]
        .as_object()
        .and_then(|paths| paths.values().next())
        .expect("one cancel exchange")["response"]
        .clone();
    let (_, submitted) = h
        .call(
            "?async=true",
            &json!({"statement": "SELECT SYSTEM$WAIT(30)"}),
        )
        .await;
    let handle = submitted["statementHandle"].as_str().expect("handle");
    let response = h
        .client
        .post(h.url(&format!("/api/v2/statements/{handle}/cancel")))
        .bearer_auth(h.token())
        .json(&json!({}))
        .send()
        .await
        .expect("cancel");
    let (status, actual) = json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    let recorded_handle = recorded["statementHandle"].as_str().expect("handle");
    let expected: Value =
        serde_json::from_str(&recorded.to_string().replace(recorded_handle, handle)).expect("JSON");
    assert_eq!(actual, expected);
}
