//! SELECT of literals and session functions, SYSTEM$WAIT and cancellation.

use std::{
    thread,
    time::{Duration, Instant},
};

use serde_json::json;
use snowgate_emulator::exec::SqlError;

use crate::support::*;

#[test]
fn literals_and_session_functions_have_snowflakes_row_types() {
    let account = account();
    let mut session = session_as("ALICE", "ACCOUNTADMIN");
    session.warehouse = Some("COMPUTE_WH".into());
    let rows = ok(
        &account,
        &mut session,
        "select 1, 1 as test, 'abc' s, 12.50 d, true b, null n",
    );
    assert_eq!(
        column_json(&rows, 0),
        json!({"name":"1","database":"","schema":"","table":"","scale":0,"byteLength":null,"nullable":false,"collation":null,"precision":1,"length":null,"type":"fixed"})
    );
    assert_eq!(rows.columns[1].name, "TEST");
    assert_eq!(
        (
            rows.columns[2].kind.as_str(),
            rows.columns[2].length,
            rows.columns[2].nullable
        ),
        ("text", Some(3), false)
    );
    assert_eq!(
        (rows.columns[3].precision, rows.columns[3].scale),
        (Some(4), Some(2))
    );
    assert_eq!(rows.columns[4].kind, "boolean");
    assert_eq!(
        cells(&rows),
        vec![vec![
            Some("1"),
            Some("1"),
            Some("abc"),
            Some("12.50"),
            Some("true"),
            None
        ]]
    );

    let rows = ok(
        &account,
        &mut session,
        "SELECT CURRENT_USER(), current_role(), CURRENT_WAREHOUSE(), CURRENT_DATABASE(), CURRENT_ACCOUNT()",
    );
    assert_eq!(rows.columns[0].name, "CURRENT_USER()");
    assert_eq!(rows.columns[1].name, "CURRENT_ROLE()");
    assert_eq!(
        (rows.columns[0].length, rows.columns[0].byte_length),
        (Some(134_217_728), Some(134_217_728))
    );
    assert_eq!(
        cells(&rows),
        vec![vec![
            Some("ALICE"),
            Some("ACCOUNTADMIN"),
            Some("COMPUTE_WH"),
            None,
            Some("XY12345")
        ]]
    );

    let rows = ok(
        &account,
        &mut session,
        "SELECT CURRENT_TIMESTAMP, CURRENT_DATE()",
    );
    assert_eq!(
        (rows.columns[0].kind.as_str(), rows.columns[0].scale),
        ("timestamp_ltz", Some(9))
    );
    let seconds: f64 = rows.rows[0][0].as_deref().unwrap().parse().unwrap();
    let now = chrono::Utc::now().timestamp() as f64;
    assert!((seconds - now).abs() < 60.0, "{seconds} vs {now}");
    assert_eq!(
        rows.rows[0][0]
            .as_deref()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap()
            .len(),
        9
    );
    assert_eq!(
        rows.rows[0][1].as_deref().unwrap(),
        (chrono::Utc::now().timestamp() / 86_400).to_string()
    );

    let rows = ok(
        &account,
        &mut session,
        "SELECT 7 / 2, 2 * 3.5, 10 - 4, COALESCE(NULL, 'x'), IFF(1 < 2, 'yes', 'no'), UPPER('a') || LOWER('B')",
    );
    assert_eq!(
        cells(&rows),
        vec![vec![
            Some("3.500000"),
            Some("7.0"),
            Some("6"),
            Some("x"),
            Some("yes"),
            Some("Ab")
        ]]
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT UPPER('héllo'), LOWER('ÉTÉ'), 'Été' ILIKE 'été'",
    );
    assert_eq!(
        cells(&rows),
        vec![vec![Some("HÉLLO"), Some("été"), Some("true")]],
        "case changes are Unicode-aware"
    );
}

#[test]
fn system_wait_sleeps_without_blocking_others_and_stops_when_cancelled() {
    let account = account();
    let mut session = account.admin_session();
    let started = Instant::now();
    let rows = ok(
        &account,
        &mut session,
        "SELECT SYSTEM$WAIT(200, 'MILLISECONDS')",
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(rows.rows[0][0].as_deref(), Some("waited 200 milliseconds"));

    let mut waiting = account.admin_session();
    let cancel = waiting.cancel.clone();
    thread::scope(|scope| {
        let handle = scope.spawn(|| run(&account, &mut waiting, "SELECT SYSTEM$WAIT(30)"));
        thread::sleep(Duration::from_millis(100));
        let quick = Instant::now();
        let mut other = account.admin_session();
        ok(&account, &mut other, "CREATE DATABASE WHILE_WAITING");
        assert!(
            quick.elapsed() < Duration::from_secs(5),
            "another session ran while one waited"
        );
        let cancelled = Instant::now();
        cancel.cancel();
        let error = handle.join().unwrap().unwrap_err();
        assert_eq!(error, SqlError::cancelled());
        assert!(cancelled.elapsed() < Duration::from_secs(2));
    });
}

#[test]
fn a_cancelled_long_query_stops_sqlite() {
    let account = account();
    let mut session = account.admin_session();
    let cancel = session.cancel.clone();
    let sql = "WITH a AS (SELECT 1 x UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10) \
               SELECT COUNT(*) FROM a a1, a a2, a a3, a a4, a a5, a a6, a a7, a a8, a a9, a a10";
    thread::scope(|scope| {
        let handle = scope.spawn(|| run(&account, &mut session, sql));
        thread::sleep(Duration::from_millis(200));
        cancel.cancel();
        assert_eq!(handle.join().unwrap().unwrap_err(), SqlError::cancelled());
    });
}
