//! Tables and DML: stats, jsonv2 encodings, values, identifiers, queries, bindings, errors.

use serde_json::json;
use snowgate_emulator::exec::{Bindings, CollectedRows, DmlStats};

use crate::support::*;

#[test]
fn dml_reports_stats_and_values_come_back_in_jsonv2_form() {
    let (account, mut session) = shop();
    let mut rows = CollectedRows::default();
    let outcome = account
        .execute(
            &mut session,
            "INSERT INTO ITEMS (NAME, PRICE, RATIO, ACTIVE, DAY, AT_TIME, UPDATED_AT, SEEN_AT, PAYLOAD, RAW) VALUES
             ('widget', 12.5, 1.5, FALSE, '2026-06-04', '12:34:56.123456789', '2026-06-04 04:49:04.065', '2026-06-04 04:49:04.065', PARSE_JSON('{\"a\":[1,\"x\",null]}'), 'DEADBEEF'),
             ('gadget', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
            &Bindings::new(),
            &mut rows,
        )
        .unwrap();
    assert_eq!(
        outcome.stats,
        Some(DmlStats {
            num_rows_inserted: 2,
            ..DmlStats::default()
        })
    );
    assert_eq!(rows.columns[0].name, "number of rows inserted");
    assert_eq!(
        (rows.columns[0].precision, rows.columns[0].kind.as_str()),
        (Some(19), "fixed")
    );
    assert_eq!(cells(&rows), vec![vec![Some("2")]]);

    let rows = ok(&account, &mut session, "SELECT * FROM ITEMS ORDER BY ID");
    assert_eq!(
        column_json(&rows, 2),
        json!({"name":"PRICE","database":"SHOP","schema":"SALES","table":"ITEMS","scale":2,"byteLength":null,"nullable":true,"collation":null,"precision":10,"length":null,"type":"fixed"})
    );
    assert_eq!(
        (
            rows.columns[1].length,
            rows.columns[1].byte_length,
            rows.columns[1].nullable
        ),
        (Some(100), Some(400), false)
    );
    assert_eq!(
        (rows.columns[11].length, rows.columns[11].byte_length),
        (Some(16_777_216), Some(67_108_864))
    );
    assert_eq!(
        (rows.columns[8].kind.as_str(), rows.columns[8].scale),
        ("timestamp_ltz", Some(3))
    );
    assert_eq!(
        (rows.columns[10].kind.as_str(), rows.columns[10].length),
        ("binary", Some(16))
    );
    assert_eq!(
        cells(&rows)[0],
        vec![
            Some("1"),
            Some("widget"),
            Some("12.50"),
            Some("1.5"),
            Some("false"),
            Some("20608"),
            Some("45296.123456789"),
            Some("1780548544.065000000"),
            Some("1780548544.065"),
            Some("{\n  \"a\": [\n    1,\n    \"x\",\n    null\n  ]\n}"),
            Some("DEADBEEF"),
            Some("misc"),
        ]
    );
    assert_eq!(
        cells(&rows)[1],
        vec![
            Some("2"),
            Some("gadget"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            Some("misc")
        ]
    );

    let mut rows = CollectedRows::default();
    let outcome = account
        .execute(
            &mut session,
            "UPDATE ITEMS SET PRICE = PRICE * 2, CATEGORY = 'tools' WHERE PRICE IS NOT NULL",
            &Bindings::new(),
            &mut rows,
        )
        .unwrap();
    assert_eq!(outcome.stats.unwrap().num_rows_updated, 1);
    assert_eq!(
        rows.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        [
            "number of rows updated",
            "number of multi-joined rows updated"
        ]
    );
    assert_eq!(
        cells(&ok(
            &account,
            &mut session,
            "SELECT PRICE, CATEGORY FROM ITEMS WHERE ID = 1"
        )),
        vec![vec![Some("25.00"), Some("tools")]]
    );

    let mut rows = CollectedRows::default();
    let outcome = account
        .execute(
            &mut session,
            "DELETE FROM ITEMS WHERE NAME = 'nothing'",
            &Bindings::new(),
            &mut rows,
        )
        .unwrap();
    assert_eq!(outcome.stats, None, "no stats when nothing changed");
    assert_eq!(cells(&rows), vec![vec![Some("0")]]);
    let outcome = account
        .execute(
            &mut session,
            "DELETE FROM ITEMS WHERE ID = 2",
            &Bindings::new(),
            &mut CollectedRows::default(),
        )
        .unwrap();
    assert_eq!(outcome.stats.unwrap().num_rows_deleted, 1);

    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME) SELECT NAME || '-copy' FROM ITEMS",
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT ID, NAME FROM ITEMS ORDER BY ID",
    );
    assert_eq!(
        cells(&rows),
        vec![
            vec![Some("1"), Some("widget")],
            vec![Some("3"), Some("widget-copy")]
        ],
        "identity keeps counting"
    );
    let tables = ok(&account, &mut session, "SHOW TABLES LIKE 'ITEMS'");
    assert_eq!(
        tables.rows[0][7].as_deref(),
        Some("2"),
        "SHOW TABLES rows follows DML"
    );
}

#[test]
fn bad_values_and_missing_not_null_values_fail_like_snowflake_and_change_nothing() {
    let (account, mut session) = shop();
    let error = run(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE) VALUES ('a', 'abc')",
    )
    .unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.sql_state.as_str()),
        ("100038", "22018")
    );
    assert_eq!(error.message, "Numeric value 'abc' is not recognized");
    let error = run(
        &account,
        &mut session,
        "INSERT INTO ITEMS (PRICE) VALUES (1)",
    )
    .unwrap_err();
    assert_eq!(error.code, "100072");
    let long = "x".repeat(101);
    let error = run(
        &account,
        &mut session,
        &format!("INSERT INTO ITEMS (NAME) VALUES ('{long}')"),
    )
    .unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.sql_state.as_str()),
        ("100074", "22001")
    );
    assert_eq!(
        error.message,
        format!("String '{long}' is too long and would be truncated")
    );
    let error = run(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE) VALUES ('a', 123456789)",
    )
    .unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("100039", "Numeric value '123456789' is out of range")
    );
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME) VALUES ('abc')",
    );
    let error = run(
        &account,
        &mut session,
        &format!("UPDATE ITEMS SET NAME = NAME || '{}'", "y".repeat(98)),
    )
    .unwrap_err();
    assert_eq!(error.code, "100074", "checked on UPDATE too");
    ok(&account, &mut session, "DELETE FROM ITEMS");
    let error = run(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE) VALUES ('a')",
    )
    .unwrap_err();
    assert_eq!(error.code, "002020");
    let error = run(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NOPE) VALUES ('a')",
    )
    .unwrap_err();
    assert_eq!(error.code, "000904");
    assert_eq!(
        cells(&ok(&account, &mut session, "SELECT COUNT(*) FROM ITEMS")),
        vec![vec![Some("0")]]
    );
}

#[test]
fn identifiers_follow_snowflakes_quoting_rules() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        r#"CREATE TABLE "Mixed.Case" ("id" NUMBER, "Name""Q" VARCHAR(10))"#,
    );
    ok(
        &account,
        &mut session,
        r#"INSERT INTO "Mixed.Case" VALUES (1, 'x')"#,
    );
    let rows = ok(
        &account,
        &mut session,
        r#"SELECT "id", "Name""Q" FROM shop.sales."Mixed.Case""#,
    );
    assert_eq!(rows.columns[0].name, "id");
    assert_eq!(rows.columns[1].name, "Name\"Q");
    assert_eq!(rows.columns[0].table, "Mixed.Case");
    let error = run(&account, &mut session, r#"SELECT ID FROM "Mixed.Case""#).unwrap_err();
    assert_eq!(error.code, "000904", "unquoted ID is not \"id\"");
    assert!(
        run(&account, &mut session, r#"SELECT * FROM "items""#).is_err(),
        "quoted lower case is another table"
    );
    assert!(
        run(&account, &mut session, "select * from Items").is_ok(),
        "unquoted names are upper-cased"
    );
    let rows = ok(
        &account,
        &mut session,
        r#"SELECT name AS "lower", name AS upper FROM items"#,
    );
    assert_eq!(
        rows.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["lower", "UPPER"]
    );
}

#[test]
fn queries_filter_sort_join_group_and_nest() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE, CATEGORY) VALUES ('a', 5, 'tools'), ('b', NULL, 'tools'), ('c', 1.25, 'toys'), ('d', 10, 'toys'), ('e', 2, 'food')",
    );
    ok(
        &account,
        &mut session,
        "CREATE TABLE CATEGORIES (CODE VARCHAR(10), LABEL VARCHAR(50))",
    );
    ok(
        &account,
        &mut session,
        "INSERT INTO CATEGORIES VALUES ('tools', 'Tools'), ('toys', 'Toys')",
    );
    let names = |rows: &CollectedRows| {
        rows.rows
            .iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };

    let rows = ok(
        &account,
        &mut session,
        "SELECT NAME FROM ITEMS ORDER BY PRICE",
    );
    assert_eq!(
        names(&rows),
        ["c", "e", "a", "d", "b"],
        "NULL sorts last ascending"
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT NAME FROM ITEMS ORDER BY PRICE DESC",
    );
    assert_eq!(
        names(&rows),
        ["b", "d", "a", "e", "c"],
        "and first descending"
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT NAME FROM ITEMS WHERE PRICE BETWEEN 2 AND 10 AND NAME IN ('a', 'd', 'e') ORDER BY 1 LIMIT 2 OFFSET 1",
    );
    assert_eq!(names(&rows), ["d", "e"]);
    let rows = ok(
        &account,
        &mut session,
        "SELECT NAME FROM ITEMS WHERE NAME LIKE 'A%' OR NAME ILIKE 'B%' ORDER BY NAME",
    );
    assert_eq!(names(&rows), ["b"], "LIKE is case-sensitive, ILIKE is not");

    let rows = ok(
        &account,
        &mut session,
        "SELECT CATEGORY, COUNT(*) AS N, SUM(PRICE) AS TOTAL, AVG(PRICE), MIN(NAME), MAX(PRICE) FROM ITEMS GROUP BY CATEGORY HAVING COUNT(*) > 1 ORDER BY CATEGORY",
    );
    assert_eq!(
        cells(&rows),
        vec![
            vec![
                Some("tools"),
                Some("2"),
                Some("5.00"),
                Some("5.00000000"),
                Some("a"),
                Some("5.00")
            ],
            vec![
                Some("toys"),
                Some("2"),
                Some("11.25"),
                Some("5.62500000"),
                Some("c"),
                Some("10.00")
            ],
        ]
    );
    assert_eq!(
        (
            rows.columns[1].precision,
            rows.columns[1].scale,
            rows.columns[1].nullable
        ),
        (Some(18), Some(0), false)
    );
    assert_eq!(
        (rows.columns[2].precision, rows.columns[2].scale),
        (Some(38), Some(2))
    );
    assert_eq!(rows.columns[3].name, "AVG(PRICE)");
    assert_eq!(
        rows.columns[0].table, "ITEMS",
        "a plain column keeps its origin"
    );
    assert_eq!(rows.columns[1].table, "", "an expression has none");

    let rows = ok(
        &account,
        &mut session,
        "SELECT i.NAME, c.LABEL FROM ITEMS i LEFT JOIN CATEGORIES c ON c.CODE = i.CATEGORY ORDER BY i.NAME",
    );
    assert_eq!(cells(&rows)[4], vec![Some("e"), None]);
    assert!(
        rows.columns[1].nullable,
        "the outer side of a LEFT JOIN is nullable"
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT LABEL, N FROM (SELECT CATEGORY, COUNT(*) N FROM ITEMS GROUP BY CATEGORY) t JOIN CATEGORIES ON CODE = t.CATEGORY ORDER BY LABEL",
    );
    assert_eq!(
        cells(&rows),
        vec![
            vec![Some("Tools"), Some("2")],
            vec![Some("Toys"), Some("2")]
        ]
    );
    let rows = ok(
        &account,
        &mut session,
        "WITH cheap AS (SELECT NAME, PRICE FROM ITEMS WHERE PRICE < 3) SELECT NAME FROM cheap WHERE NAME IN (SELECT NAME FROM ITEMS WHERE CATEGORY = 'toys') UNION ALL SELECT 'z' ORDER BY 1",
    );
    assert_eq!(names(&rows), ["c", "z"]);
    let rows = ok(
        &account,
        &mut session,
        "SELECT NAME, (SELECT MAX(PRICE) FROM ITEMS x WHERE x.CATEGORY = ITEMS.CATEGORY) AS TOP FROM ITEMS WHERE EXISTS (SELECT 1 FROM CATEGORIES WHERE CODE = ITEMS.CATEGORY) ORDER BY NAME",
    );
    assert_eq!(cells(&rows)[0], vec![Some("a"), Some("5.00")]);
    let error = run(
        &account,
        &mut session,
        "SELECT NAME FROM ITEMS, CATEGORIES c2, ITEMS i2",
    )
    .unwrap_err();
    assert_eq!(error.code, "002028", "NAME is ambiguous");
}

#[test]
fn bindings_of_every_type_convert_as_the_sql_api_documents() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE, RATIO, ACTIVE, DAY, AT_TIME, UPDATED_AT, RAW) VALUES ('widget', 12.5, 1.5, TRUE, '2026-10-09', '12:34:56.123456789', '2026-10-09 12:34:56.123456789', 'DEADBEEF')",
    );
    let bindings: Bindings = [
        ("1", binding("FIXED", Some("12.5"))),
        ("2", binding("REAL", Some("1.5"))),
        ("3", binding("TEXT", Some("widget"))),
        ("4", binding("BOOLEAN", Some("true"))),
        ("5", binding("DATE", Some("1791504000000"))),
        ("6", binding("TIME", Some("45296123456789"))),
        ("7", binding("TIMESTAMP_NTZ", Some("1791549296123456789"))),
        ("8", binding("BINARY", Some("DEADBEEF"))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let rows = run_bound(
        &account,
        &mut session,
        "SELECT ID FROM ITEMS WHERE PRICE = ? AND RATIO = ? AND NAME = ? AND ACTIVE = ? AND DAY = ? AND AT_TIME = ? AND UPDATED_AT = ? AND RAW = ?",
        &bindings,
    )
    .unwrap();
    assert_eq!(
        cells(&rows),
        vec![vec![Some("1")]],
        "every binding matched its column"
    );
    let rows = run_bound(
        &account,
        &mut session,
        "SELECT :3 AS NAME, :1 + 1 AS N WHERE :3 = 'widget'",
        &bindings,
    )
    .unwrap();
    assert_eq!(cells(&rows), vec![vec![Some("widget"), Some("13.5")]]);

    let named: Bindings = [("label".to_owned(), binding("TEXT", Some("w%")))]
        .into_iter()
        .collect();
    let rows = run_bound(
        &account,
        &mut session,
        "SELECT NAME FROM ITEMS WHERE NAME LIKE :label",
        &named,
    )
    .unwrap();
    assert_eq!(cells(&rows), vec![vec![Some("widget")]]);
    let tz: Bindings = [(
        "1".to_owned(),
        binding("TIMESTAMP_TZ", Some("1616173619000000000 960")),
    )]
    .into_iter()
    .collect();
    let rows = run_bound(&account, &mut session, "SELECT ?", &tz).unwrap();
    assert_eq!(rows.columns[0].kind, "timestamp_tz");
    let text_date: Bindings = [("1".to_owned(), binding("TEXT", Some("2026-10-09")))]
        .into_iter()
        .collect();
    let rows = run_bound(
        &account,
        &mut session,
        "SELECT NAME FROM ITEMS WHERE DAY = ?",
        &text_date,
    )
    .unwrap();
    assert_eq!(
        rows.rows.len(),
        1,
        "TEXT compared with a DATE is cast like Snowflake does"
    );
    let null: Bindings = [("1".to_owned(), binding("FIXED", None))]
        .into_iter()
        .collect();
    assert_eq!(
        cells(&run_bound(&account, &mut session, "SELECT ?", &null).unwrap()),
        vec![vec![None]]
    );

    let error = run(
        &account,
        &mut session,
        "SELECT NAME FROM ITEMS WHERE ID = ?",
    )
    .unwrap_err();
    assert_eq!(error.code, "002049");
    let variant: Bindings = [("1".to_owned(), binding("VARIANT", Some("{}")))]
        .into_iter()
        .collect();
    assert_eq!(
        run_bound(&account, &mut session, "SELECT ?", &variant)
            .unwrap_err()
            .code,
        "002040"
    );
    let bad: Bindings = [("1".to_owned(), binding("FIXED", Some("twelve")))]
        .into_iter()
        .collect();
    let error = run_bound(&account, &mut session, "SELECT ?", &bad).unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("100037", "FIXED value 'twelve' is not recognized")
    );
}

#[test]
fn errors_have_snowflakes_codes_and_messages() {
    let (account, mut session) = shop();
    let error = run(&account, &mut session, "SELEC 1").unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.sql_state.as_str()),
        ("001003", "42000")
    );
    assert_eq!(
        error.message,
        "SQL compilation error:\nsyntax error line 1 at position 0 unexpected 'SELEC'."
    );
    let error = run(&account, &mut session, "SELECT * FROM NOPE").unwrap_err();
    assert_eq!(
        error.message,
        "SQL compilation error:\nObject 'SHOP.SALES.NOPE' does not exist or not authorized."
    );
    let error = run(&account, &mut session, "SELECT NAME,\n  NOPE FROM ITEMS").unwrap_err();
    assert_eq!(
        error.message,
        "SQL compilation error: error line 2 at position 2\ninvalid identifier 'NOPE'"
    );
    assert_eq!(
        (error.code.as_str(), error.sql_state.as_str()),
        ("000904", "42000")
    );
    assert!(
        error.message.ends_with("invalid identifier 'NOPE'"),
        "{}",
        error.message
    );
    let error = run(&account, &mut session, "SELECT 1 / (2 - 2)").unwrap_err();
    assert_eq!(
        (
            error.code.as_str(),
            error.sql_state.as_str(),
            error.message.as_str()
        ),
        ("100051", "22012", "Division by zero")
    );
    assert_eq!(
        run(&account, &mut session, "SELECT MOD(5, 0)")
            .unwrap_err()
            .code,
        "100051"
    );
    let error = run(&account, &mut session, "SELECT NO_SUCH_FUNCTION(1)").unwrap_err();
    assert_eq!(error.code, "002140");
    for refused in [
        "SELECT NAME FROM ITEMS SAMPLE (10)",
        "SELECT * EXCLUDE (NAME) FROM ITEMS",
        "SELECT NAME FROM ITEMS AT (OFFSET => -60)",
    ] {
        assert_eq!(
            run(&account, &mut session, refused).unwrap_err().code,
            "000002",
            "{refused}"
        );
    }
    let error = run(&account, &mut session, "SELECT NAME FROM ITEMS SAMPLE (10)").unwrap_err();
    assert_eq!(
        error.code, "000002",
        "what the emulator cannot run is refused, never answered wrongly"
    );
    let error = run(&account, &mut session, "USE DATABASE NOPE").unwrap_err();
    assert_eq!(
        error.message,
        "SQL compilation error:\nDatabase 'NOPE' does not exist or not authorized."
    );
    let error = run(&account, &mut session, "CREATE DATABASE SHOP").unwrap_err();
    assert_eq!(error.code, "002002");
    assert!(run(&account, &mut session, "CREATE DATABASE IF NOT EXISTS SHOP").is_ok());
    let error = run(&account, &mut session, "").unwrap_err();
    assert_eq!(error.code, "000900");
}
