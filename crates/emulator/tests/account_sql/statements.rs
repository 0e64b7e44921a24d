//! Statement splitting and classification, sessions, and the SQL the sync engine and clients run.

use snowgate_emulator::{
    account::Account,
    exec::{Bindings, StatementClass},
};

use crate::support::*;

#[test]
fn statements_split_and_classify_for_the_http_side() {
    assert_eq!(
        Account::split_statements("select 1; select ';'; -- done").unwrap(),
        ["select 1", "select ';'"]
    );
    assert_eq!(
        Account::classify("use database x"),
        StatementClass::SessionOnly("USE".into())
    );
    assert_eq!(
        Account::classify("BEGIN"),
        StatementClass::SessionOnly("TRANSACTION_BEGIN".into())
    );
    assert_eq!(
        Account::classify("commit"),
        StatementClass::SessionOnly("TRANSACTION_COMMIT".into())
    );
    assert_eq!(
        Account::classify("ALTER SESSION SET TIMEZONE = 'UTC'"),
        StatementClass::SessionOnly("ALTER_SESSION".into())
    );
    assert_eq!(
        Account::classify("PUT file:///x @s"),
        StatementClass::Unsupported("PUT".into())
    );
    assert_eq!(Account::classify("select 1"), StatementClass::Normal);
}

#[test]
fn use_and_admin_scripts_carry_the_namespace_from_statement_to_statement() {
    let account = account();
    let rows = account
        .admin("CREATE DATABASE A; CREATE SCHEMA S; CREATE TABLE T (X INT); USE DATABASE A; USE SCHEMA S; INSERT INTO T VALUES (1); SELECT CURRENT_DATABASE(), CURRENT_SCHEMA(), X FROM T")
        .unwrap();
    assert_eq!(cells(&rows), vec![vec![Some("A"), Some("S"), Some("1")]]);
    let mut session = account.admin_session();
    ok(&account, &mut session, "USE A.S");
    assert_eq!(
        (session.database.as_deref(), session.schema.as_deref()),
        (Some("A"), Some("S"))
    );
    ok(&account, &mut session, "ALTER SESSION SET QUERY_TAG = 'x'");
    assert_eq!(
        session.parameters.get("QUERY_TAG").map(String::as_str),
        Some("x")
    );
    ok(&account, &mut session, "COMMENT ON TABLE T IS 'a table'");
    assert_eq!(
        ok(&account, &mut session, "SHOW TABLES").rows[0][5].as_deref(),
        Some("a table")
    );
    ok(&account, &mut session, "DROP TABLE T");
    assert_eq!(
        run(&account, &mut session, "SELECT * FROM T")
            .unwrap_err()
            .code,
        "002003"
    );
    ok(&account, &mut session, "DROP DATABASE A");
    assert_eq!(session.database, None);
}

#[test]
fn the_sync_engines_incremental_queries_run() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE, UPDATED_AT) VALUES ('a', 5.5, '2026-01-01 00:00:00'), ('b', 20, '2026-02-01 00:00:00'), ('c', 30, '2026-03-01 00:00:00')",
    );
    let bindings: Bindings = [
        ("min_price".to_owned(), binding("FIXED", Some("5"))),
        (
            "1".to_owned(),
            binding("TIMESTAMP_NTZ", Some("1769904000000000000")),
        ),
    ]
    .into_iter()
    .collect();
    let named = "SELECT * FROM (SELECT ID, NAME, UPDATED_AT FROM ITEMS WHERE PRICE::NUMBER > :min_price AND NAME <> ':not_a_param' -- :ignored\n) AS _snowgate_sync ORDER BY \"UPDATED_AT\" ASC";
    let rows = run_bound(&account, &mut session, named, &bindings).unwrap();
    assert_eq!(
        rows.rows
            .iter()
            .map(|r| r[1].as_deref().unwrap())
            .collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(
        rows.columns[2].table, "ITEMS",
        "origins survive the wrapping subquery"
    );
    let positional = "SELECT * FROM (SELECT NAME, UPDATED_AT FROM ITEMS\n) AS _snowgate_sync WHERE \"UPDATED_AT\" >= ? ORDER BY \"UPDATED_AT\" ASC";
    let only_from: Bindings = [(
        "1".to_owned(),
        binding("TIMESTAMP_NTZ", Some("1769904000000000000")),
    )]
    .into_iter()
    .collect();
    let rows = run_bound(&account, &mut session, positional, &only_from).unwrap();
    assert_eq!(
        cells(&rows),
        vec![
            vec![Some("b"), Some("1769904000.000000000")],
            vec![Some("c"), Some("1772323200.000000000")]
        ]
    );
    let rows = ok(&account, &mut session, "SELECT ':a', 'it''s :b'");
    assert_eq!(
        cells(&rows),
        vec![vec![Some(":a"), Some("it's :b")]],
        "placeholders inside strings are text"
    );
}

#[test]
fn create_table_as_select_copies_columns_and_rows() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE) VALUES ('a', 1.5), ('b', 2)",
    );
    let status = ok(
        &account,
        &mut session,
        "CREATE TABLE CHEAP AS SELECT NAME, PRICE * 2 AS DOUBLED FROM ITEMS WHERE PRICE < 2",
    );
    assert_eq!(
        cells(&status),
        vec![vec![Some("Table CHEAP successfully created.")]]
    );
    let rows = ok(&account, &mut session, "SELECT * FROM CHEAP");
    assert_eq!(cells(&rows), vec![vec![Some("a"), Some("3.00")]]);
    assert_eq!(
        (rows.columns[0].length, rows.columns[0].nullable),
        (Some(100), false)
    );
    assert_eq!(
        (
            rows.columns[1].precision,
            rows.columns[1].scale,
            rows.columns[1].table.as_str()
        ),
        (Some(11), Some(2), "CHEAP")
    );
}

#[test]
fn timestamp_tz_keeps_offsets_and_compares_instants() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "CREATE TABLE EVENTS (ID INT, AT TIMESTAMP_TZ(3))",
    );
    let bound: Bindings = [(
        "1".to_owned(),
        binding("TIMESTAMP_TZ", Some("1616173619000000000 960")),
    )]
    .into_iter()
    .collect();
    run_bound(
        &account,
        &mut session,
        "INSERT INTO EVENTS VALUES (1, ?)",
        &bound,
    )
    .unwrap();
    ok(
        &account,
        &mut session,
        "INSERT INTO EVENTS VALUES (2, '2021-03-19 09:06:59.000 -08:00'), (3, '2021-03-19 17:06:59.5 Z')",
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT ID, AT FROM EVENTS ORDER BY AT, ID",
    );
    assert_eq!(rows.columns[1].kind, "timestamp_tz");
    assert_eq!(
        cells(&rows),
        vec![
            vec![Some("1"), Some("1616173619.000 960")],
            vec![Some("2"), Some("1616173619.000 960")],
            vec![Some("3"), Some("1616173619.500 1440")],
        ]
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT COUNT(*) FROM EVENTS WHERE AT = '2021-03-19 17:06:59 +00:00'",
    );
    assert_eq!(
        cells(&rows),
        vec![vec![Some("2")]],
        "equal instants compare equal across offsets"
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT AT::TIMESTAMP_NTZ, AT::DATE FROM EVENTS WHERE ID = 2",
    );
    assert_eq!(
        cells(&rows),
        vec![vec![Some("1616144819.000000000"), Some("18705")]],
        "NTZ and DATE keep the local wall clock"
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT TO_VARCHAR(AT) FROM EVENTS WHERE ID = 2",
    );
    assert_eq!(
        cells(&rows),
        vec![vec![Some("2021-03-19 09:06:59.000 -0800")]]
    );
}

#[test]
fn alter_table_adds_drops_and_renames_columns_and_tables() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE) VALUES ('a', 1), ('b', 2)",
    );
    ok(
        &account,
        &mut session,
        "ALTER TABLE ITEMS ADD COLUMN COLOR VARCHAR(10) DEFAULT 'red'",
    );
    ok(
        &account,
        &mut session,
        "ALTER TABLE ITEMS DROP COLUMN RATIO, AT_TIME",
    );
    ok(
        &account,
        &mut session,
        "ALTER TABLE ITEMS RENAME COLUMN PRICE TO COST",
    );
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, COST, COLOR) VALUES ('c', 3, 'blue')",
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT NAME, COST, COLOR FROM ITEMS ORDER BY NAME",
    );
    assert_eq!(
        cells(&rows),
        vec![
            vec![Some("a"), Some("1.00"), Some("red")],
            vec![Some("b"), Some("2.00"), Some("red")],
            vec![Some("c"), Some("3.00"), Some("blue")],
        ],
        "existing rows get the default, new ones their value"
    );
    let columns = ok(&account, &mut session, "SHOW COLUMNS IN TABLE ITEMS");
    let names: Vec<&str> = columns
        .rows
        .iter()
        .map(|r| r[2].as_deref().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ID",
            "NAME",
            "COST",
            "ACTIVE",
            "DAY",
            "UPDATED_AT",
            "SEEN_AT",
            "PAYLOAD",
            "RAW",
            "CATEGORY",
            "COLOR"
        ]
    );
    assert_eq!(
        run(&account, &mut session, "SELECT RATIO FROM ITEMS")
            .unwrap_err()
            .code,
        "000904"
    );
    assert_eq!(
        run(
            &account,
            &mut session,
            "ALTER TABLE ITEMS ADD COLUMN NAME INT"
        )
        .unwrap_err()
        .code,
        "002025"
    );
    assert_eq!(
        run(
            &account,
            &mut session,
            "ALTER TABLE ITEMS ADD COLUMN MUST INT NOT NULL"
        )
        .unwrap_err()
        .code,
        "001425"
    );
    ok(
        &account,
        &mut session,
        "ALTER TABLE ITEMS RENAME TO PRODUCTS",
    );
    assert_eq!(
        cells(&ok(&account, &mut session, "SELECT COUNT(*) FROM PRODUCTS")),
        vec![vec![Some("3")]]
    );
    assert_eq!(
        run(&account, &mut session, "SELECT * FROM ITEMS")
            .unwrap_err()
            .code,
        "002003"
    );
    ok(
        &account,
        &mut session,
        "ALTER TABLE PRODUCTS ADD COLUMN RATIO FLOAT",
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT RATIO FROM PRODUCTS WHERE NAME = 'a'",
    );
    assert_eq!(
        cells(&rows),
        vec![vec![None]],
        "a re-added name is a new, empty column"
    );
}

#[test]
fn window_functions_and_qualify() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE, CATEGORY) VALUES ('a', 5, 'tools'), ('b', 7, 'tools'), ('c', 1, 'toys'), ('d', 3, 'toys'), ('e', 2, 'toys')",
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT NAME, ROW_NUMBER() OVER (PARTITION BY CATEGORY ORDER BY PRICE DESC) AS RN, SUM(PRICE) OVER (PARTITION BY CATEGORY) AS TOTAL, \
         LAG(NAME) OVER (ORDER BY NAME) AS PREVIOUS, LAST_VALUE(NAME) OVER (PARTITION BY CATEGORY ORDER BY PRICE) AS PRICIEST FROM ITEMS ORDER BY NAME",
    );
    assert_eq!(
        (rows.columns[1].precision, rows.columns[1].nullable),
        (Some(38), false)
    );
    assert_eq!(
        cells(&rows),
        vec![
            vec![Some("a"), Some("2"), Some("12.00"), None, Some("b")],
            vec![Some("b"), Some("1"), Some("12.00"), Some("a"), Some("b")],
            vec![Some("c"), Some("3"), Some("6.00"), Some("b"), Some("d")],
            vec![Some("d"), Some("1"), Some("6.00"), Some("c"), Some("d")],
            vec![Some("e"), Some("2"), Some("6.00"), Some("d"), Some("d")],
        ]
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT CATEGORY, NAME FROM ITEMS QUALIFY ROW_NUMBER() OVER (PARTITION BY CATEGORY ORDER BY PRICE DESC) = 1 ORDER BY CATEGORY",
    );
    assert_eq!(
        cells(&rows),
        vec![
            vec![Some("tools"), Some("b")],
            vec![Some("toys"), Some("d")]
        ]
    );
    let error = run(
        &account,
        &mut session,
        "SELECT SUM(PRICE) OVER (ORDER BY ID ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM ITEMS",
    )
    .unwrap_err();
    assert_eq!(error.code, "000002", "frames are refused, not approximated");
}

#[test]
fn semi_structured_paths_and_casts() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        r#"INSERT INTO ITEMS (NAME, PAYLOAD) SELECT 'w', PARSE_JSON('{"a": [1, "x", null], "Name": {"first": "Ann"}}')"#,
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT PAYLOAD:a[1], PAYLOAD:a[0]::NUMBER + 1, PAYLOAD:missing, PAYLOAD:a[1]::STRING, PAYLOAD:Name.first::VARCHAR, PAYLOAD:name, PAYLOAD['a'][2] FROM ITEMS",
    );
    assert_eq!(rows.columns[0].kind, "variant");
    assert_eq!(
        cells(&rows),
        vec![vec![
            Some("\"x\""),
            Some("2"),
            None,
            Some("x"),
            Some("Ann"),
            None,
            Some("null")
        ]],
        "paths are case-sensitive; a JSON null is a VARIANT null, a missing path SQL NULL"
    );
    let error = run(&account, &mut session, "SELECT PARSE_JSON('{oops')").unwrap_err();
    assert_eq!(error.code, "100069");
    assert_eq!(
        run(&account, &mut session, "SELECT NAME:a FROM ITEMS")
            .unwrap_err()
            .code,
        "002016"
    );
}

#[test]
fn date_arithmetic_follows_snowflake() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, DAY, UPDATED_AT) VALUES ('a', '2026-01-31', '2026-01-31 23:30:00')",
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT DATEADD(month, 1, DAY), DATEADD('hour', 1, UPDATED_AT), DATEADD(hour, 1, DAY), DATEDIFF(day, UPDATED_AT, '2026-02-01 00:10:00'), \
         DATE_TRUNC('MONTH', UPDATED_AT), YEAR(DAY), EXTRACT(MONTH FROM UPDATED_AT), DATE_PART(dayofweek, DAY) FROM ITEMS",
    );
    let kinds: Vec<&str> = rows.columns.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "date",
            "timestamp_ntz",
            "timestamp_ntz",
            "fixed",
            "timestamp_ntz",
            "fixed",
            "fixed",
            "fixed"
        ]
    );
    assert_eq!(
        cells(&rows),
        vec![vec![
            Some("20512"),
            Some("1769905800.000000000"),
            Some("1769821200.000000000"),
            Some("1"),
            Some("1767225600.000000000"),
            Some("2026"),
            Some("1"),
            Some("6"),
        ]],
        "Feb 28 (clamped), the next day's 00:30, a DATE plus an hour is a timestamp, one day boundary crossed"
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT COUNT(*) FROM ITEMS WHERE UPDATED_AT > DATEADD(day, -7, '2026-02-03')",
    );
    assert_eq!(cells(&rows), vec![vec![Some("1")]]);
    assert_eq!(
        run(
            &account,
            &mut session,
            "SELECT DATEADD(fortnight, 1, DAY) FROM ITEMS"
        )
        .unwrap_err()
        .code,
        "002018"
    );
}
