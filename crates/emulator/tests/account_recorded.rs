//! Ground truth at the account level: every statement of `fixtures/recorded`, run against
//! an account loaded with the recorded seed, answers the recorded `rowType` exactly and the
//! recorded values, except values that differ by nature (creation times, warehouse uuids),
//! which must have the recorded form.

use std::path::PathBuf;

use serde_json::Value;
use snowgate_emulator::{
    account::{Account, AccountNames},
    exec::{Bindings, CollectedRows, Session},
};

fn recorded_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/recorded"
    ))
}

fn recorded_account() -> Account {
    let account = Account::new(AccountNames {
        locator: "XY12345".into(),
        organization: "NANGO".into(),
        account_name: "TEST".into(),
    });
    account.load_recorded().expect("the recorded seed loads");
    account
}

/// The session the HTTP side builds for the recorded user from a request body.
fn session(body: &Value) -> Session {
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    Session {
        user: "VICTORNANGO2".into(),
        role: text("role").unwrap_or_else(|| "ACCOUNTADMIN".into()),
        database: text("database"),
        schema: text("schema"),
        warehouse: text("warehouse").or_else(|| Some("COMPUTE_WH".into())),
        parameters: Default::default(),
        cancel: Default::default(),
    }
}

/// Every recorded result with the statement that produced it. Two recordings are GETs of
/// earlier statements whose text is not recorded; their statements are rebuilt from the
/// recorded column names (`SELECT CURRENT_USER(), …` and `SELECT 1 AS TEST`).
fn recorded_statements() -> Vec<(String, Value, Value)> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(recorded_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (_, paths) in file["api"].as_object().unwrap() {
            for (_, exchanges) in paths.as_object().unwrap() {
                let exchanges = match exchanges {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                for exchange in exchanges {
                    let response = exchange["response"].clone();
                    if response.get("resultSetMetaData").is_none() {
                        continue;
                    }
                    let body = exchange["request"]["data"].clone();
                    let statement = match body.get("statement").and_then(Value::as_str) {
                        Some(s) => s.to_owned(),
                        None => {
                            let names: Vec<String> = response["resultSetMetaData"]["rowType"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|c| c["name"].as_str().unwrap().to_owned())
                                .map(|n| {
                                    if n.ends_with("()") {
                                        n
                                    } else {
                                        format!("1 AS {n}")
                                    }
                                })
                                .collect();
                            format!("SELECT {}", names.join(", "))
                        }
                    };
                    out.push((format!("{name}: {statement}"), body, response));
                }
            }
        }
    }
    out
}

/// Whether two cells agree: equal, or both of the recorded form for values that vary.
fn same_cell(column: &Value, recorded: &Value, actual: &Value) -> bool {
    if recorded == actual {
        return true;
    }
    let (Some(r), Some(a)) = (recorded.as_str(), actual.as_str()) else {
        return false;
    };
    let digits_with_scale = |s: &str, scale: usize| {
        s.split_once('.').is_some_and(|(w, f)| {
            !w.is_empty()
                && w.bytes().all(|b| b.is_ascii_digit())
                && f.len() == scale
                && f.bytes().all(|b| b.is_ascii_digit())
        })
    };
    match (column["type"].as_str(), column["name"].as_str()) {
        (Some("timestamp_ltz"), _) => digits_with_scale(r, 3) && digits_with_scale(a, 3),
        (_, Some("uuid")) => {
            r.bytes().all(|b| b.is_ascii_digit()) && a.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

#[test]
fn every_recorded_statement_answers_the_recorded_row_type_and_values() {
    let account = recorded_account();
    let statements = recorded_statements();
    assert!(
        statements.len() >= 15,
        "the recordings hold {} results",
        statements.len()
    );
    let mut problems = Vec::new();
    for (name, body, recorded) in statements {
        let mut sink = CollectedRows::default();
        let statement = name.split_once(": ").unwrap().1.to_owned();
        if let Err(e) =
            account.execute(&mut session(&body), &statement, &Bindings::new(), &mut sink)
        {
            problems.push(format!("{name}: failed with {e}"));
            continue;
        }
        let recorded_types = recorded["resultSetMetaData"]["rowType"].as_array().unwrap();
        let actual_types: Vec<Value> = sink
            .columns
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect();
        if recorded_types.len() != actual_types.len() {
            problems.push(format!(
                "{name}: {} columns recorded, {} answered",
                recorded_types.len(),
                actual_types.len()
            ));
        }
        for (r, a) in recorded_types.iter().zip(&actual_types) {
            if r != a {
                problems.push(format!("{name}: rowType {r} answered as {a}"));
            }
        }
        let recorded_rows = recorded["data"].as_array().unwrap();
        if recorded_rows.len() != sink.rows.len() {
            problems.push(format!(
                "{name}: {} rows recorded, {} answered",
                recorded_rows.len(),
                sink.rows.len()
            ));
            continue;
        }
        for (row_index, (r, a)) in recorded_rows.iter().zip(&sink.rows).enumerate() {
            for (i, column) in recorded_types.iter().enumerate() {
                let actual = a
                    .get(i)
                    .cloned()
                    .flatten()
                    .map_or(Value::Null, Value::String);
                if !same_cell(column, &r[i], &actual) {
                    problems.push(format!(
                        "{name}: row {row_index} column {} recorded {} answered {actual}",
                        column["name"], r[i]
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
