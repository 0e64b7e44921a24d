//! The account half driven directly: users and keys, roles and privileges, SELECT and DML with
//! their rowTypes, value encodings, bindings of every type, views, INFORMATION_SCHEMA, errors
//! with Snowflake's codes, cancellation, statement splitting and classification.

use std::{
    thread,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use snowgate_emulator::{
    account::{Account, AccountNames},
    exec::{Binding, Bindings, CollectedRows, DmlStats, Session, SqlError, StatementClass},
};

const KEY_1: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuw7cjd2lnnSJq/QRuJOPWxUmvoF+hT8YtJ0K+ZpgXKBTRvHCLRZUT75ny6jZSWasL9aY+QKl5qbB10hfamSq97S4xHgl8Fm78kdeoXUYb5MWLkrzDk/3AweDW6ka41t0TvaCEwlXM1qk/4tdNdp1gMRWoI9FqwxBJ3t+WTnLzp7TuZaOMYdZK2wIlQu3vM+FWW89iAxtNuXgRP7ZolE7j4BTNuoBn1QeRdqd6nRPgOfaVL5PnOqg1AuP71OFy3PmB4wloXhFlCQ9DY58WVmN9wcwftsNFLLt2l2ouL2B4jg6wrZGECWr44b1c7kEzFaXUVRJJ6iDRPvAH3l5LGLvowIDAQAB";
/// `openssl … | openssl dgst -sha256 -binary | openssl enc -base64` of KEY_1.
const FINGERPRINT_1: &str = "SHA256:gETP2XHiaPPVhiZG03HReoOmcu+cvMwOgp47YMM3fA0=";
const KEY_2: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzRWbXZBrG6P2nBJi/AQDd4eI2Ore3BfqmWVRLteHarV0L/E+RMD/HUQ02dWk8nodLWcfX1Yq2GR82WIVCwk9u6fIzQTD/3nBdsW8+ALKUVjAJIx/gaqEZFZqOY3HBVSAlHBytKX9Y7QZa8kydfpdzzphAcwKRwj1X1YEsEUEFGF78ZqWYRI7Nl20KscZBK+v3Jn4vHHq1WbH/IzjBRCoNNt7bKm6E2EMLclzrs5PBzKIfnqzVQ2uVqeQa+iQWUa4/mkHTNu17PSO7qsCc+glxcRyjrAhcBCdroGew/oyU1CU5HfSP1Wce1hMNBtsw8t0PXJXSRNZRs8gX9SaCqJ2qwIDAQAB";
const FINGERPRINT_2: &str = "SHA256:NezP03vtArxjNc3RFPUmGKy2SbTiBb2r0TPDbmgt4x4=";

fn account() -> Account {
    Account::new(AccountNames {
        locator: "XY12345".into(),
        organization: "MYORG".into(),
        account_name: "MYACCOUNT".into(),
    })
}

fn session_as(user: &str, role: &str) -> Session {
    Session {
        user: user.into(),
        role: role.into(),
        database: None,
        schema: None,
        warehouse: None,
        parameters: Default::default(),
        cancel: Default::default(),
    }
}

fn run_bound(
    account: &Account,
    session: &mut Session,
    sql: &str,
    bindings: &Bindings,
) -> Result<CollectedRows, SqlError> {
    let mut rows = CollectedRows::default();
    account.execute(session, sql, bindings, &mut rows)?;
    Ok(rows)
}

fn run(account: &Account, session: &mut Session, sql: &str) -> Result<CollectedRows, SqlError> {
    run_bound(account, session, sql, &Bindings::new())
}

/// Runs `sql` as ACCOUNTADMIN in `session`, failing the test on an error.
fn ok(account: &Account, session: &mut Session, sql: &str) -> CollectedRows {
    run(account, session, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn cells(rows: &CollectedRows) -> Vec<Vec<Option<&str>>> {
    rows.rows
        .iter()
        .map(|r| r.iter().map(Option::as_deref).collect())
        .collect()
}

fn column_json(rows: &CollectedRows, index: usize) -> Value {
    serde_json::to_value(&rows.columns[index]).unwrap()
}

/// An account with `SHOP.SALES.ITEMS`, a table of every common type, and the admin session in it.
fn shop() -> (Account, Session) {
    let account = account();
    let mut session = account.admin_session();
    ok(&account, &mut session, "CREATE DATABASE SHOP");
    ok(&account, &mut session, "CREATE SCHEMA SALES");
    ok(
        &account,
        &mut session,
        "CREATE TABLE ITEMS (
            ID NUMBER(38,0) NOT NULL AUTOINCREMENT START 1 INCREMENT 1,
            NAME VARCHAR(100) NOT NULL,
            PRICE NUMBER(10,2),
            RATIO FLOAT,
            ACTIVE BOOLEAN DEFAULT TRUE,
            DAY DATE,
            AT_TIME TIME,
            UPDATED_AT TIMESTAMP_NTZ(9),
            SEEN_AT TIMESTAMP_LTZ(3),
            PAYLOAD VARIANT,
            RAW BINARY(16),
            CATEGORY VARCHAR DEFAULT 'misc'
        )",
    );
    (account, session)
}

fn binding(kind: &str, value: Option<&str>) -> Binding {
    Binding {
        kind: kind.into(),
        value: value.map(str::to_owned),
    }
}

// ---------------------------------------------------------------------------------------------
// Users, keys, roles

#[test]
fn users_keys_rotate_and_revoke_at_once() {
    let account = account();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n{}\n-----END PUBLIC KEY-----\n",
        &KEY_1[..64],
        &KEY_1[64..]
    );
    account
        .admin(&format!(
            "CREATE USER alice LOGIN_NAME = 'alice@example.com' DEFAULT_ROLE = ANALYST DEFAULT_WAREHOUSE = COMPUTE_WH DEFAULT_NAMESPACE = 'SHOP.SALES' RSA_PUBLIC_KEY = '{pem}'"
        ))
        .unwrap();
    let auth = account
        .user_auth("ALICE@EXAMPLE.COM")
        .expect("found by login name, any case");
    assert_eq!(auth.name, "ALICE");
    assert_eq!(auth.login_name, "ALICE@EXAMPLE.COM");
    assert_eq!(
        auth.rsa_public_key.as_deref(),
        Some(KEY_1),
        "PEM armour and line breaks removed"
    );
    assert_eq!(auth.rsa_public_key_2, None);
    assert_eq!(auth.default_role.as_deref(), Some("ANALYST"));
    assert_eq!(auth.default_namespace.as_deref(), Some("SHOP.SALES"));
    assert!(!auth.disabled);
    assert!(
        account.user_auth("ALICE").is_none(),
        "only the login name authenticates"
    );

    let describe = account.admin("DESC USER alice").unwrap();
    let property = |rows: &CollectedRows, name: &str| {
        rows.rows
            .iter()
            .find(|r| r[0].as_deref() == Some(name))
            .and_then(|r| r[1].clone())
    };
    assert_eq!(
        property(&describe, "RSA_PUBLIC_KEY_FP").as_deref(),
        Some(FINGERPRINT_1)
    );
    assert_eq!(
        property(&describe, "RSA_PUBLIC_KEY_2_FP").as_deref(),
        Some("null")
    );

    account
        .admin(&format!(
            "ALTER USER alice SET RSA_PUBLIC_KEY_2 = '{KEY_2}'"
        ))
        .unwrap();
    account
        .admin("ALTER USER alice UNSET RSA_PUBLIC_KEY")
        .unwrap();
    let auth = account.user_auth("alice@example.com").unwrap();
    assert_eq!(auth.rsa_public_key, None);
    assert_eq!(auth.rsa_public_key_2.as_deref(), Some(KEY_2));
    let describe = account.admin("DESCRIBE USER ALICE").unwrap();
    assert_eq!(
        property(&describe, "RSA_PUBLIC_KEY_2_FP").as_deref(),
        Some(FINGERPRINT_2)
    );

    account
        .admin("ALTER USER alice SET DISABLED = TRUE")
        .unwrap();
    assert!(account.user_auth("alice@example.com").unwrap().disabled);

    let shown = account.admin("SHOW USERS LIKE 'ali%'").unwrap();
    let names: Vec<&str> = shown.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 31);
    let row = &shown.rows[0];
    let at = |name: &str| row[names.iter().position(|n| *n == name).unwrap()].as_deref();
    assert_eq!(at("login_name"), Some("ALICE@EXAMPLE.COM"));
    assert_eq!(at("disabled"), Some("true"));
    assert_eq!(at("has_rsa_public_key"), Some("true"));
    assert_eq!(at("default_namespace"), Some("SHOP.SALES"));
    assert_eq!(at("email"), None);
}

#[test]
fn a_key_that_is_not_a_public_key_is_refused_and_the_old_one_kept() {
    let account = account();
    account
        .admin(&format!("CREATE USER BOB RSA_PUBLIC_KEY = '{KEY_1}'"))
        .unwrap();
    let error = account
        .admin("ALTER USER BOB SET RSA_PUBLIC_KEY = 'not a key'")
        .unwrap_err();
    assert!(error.message.contains("RSA_PUBLIC_KEY"), "{error}");
    assert_eq!(
        account.user_auth("BOB").unwrap().rsa_public_key.as_deref(),
        Some(KEY_1)
    );
}

#[test]
fn roles_are_granted_through_the_hierarchy_and_revoked() {
    let account = account();
    account
        .admin("CREATE ROLE READER; CREATE ROLE ANALYST; GRANT ROLE READER TO ROLE ANALYST; CREATE USER CAROL; GRANT ROLE ANALYST TO USER CAROL")
        .unwrap();
    assert!(account.role_granted("CAROL", "ANALYST"));
    assert!(
        account.role_granted("CAROL", "READER"),
        "inherited through ANALYST"
    );
    assert!(account.role_granted("CAROL", "PUBLIC"));
    assert!(!account.role_granted("CAROL", "ACCOUNTADMIN"));
    account
        .admin("REVOKE ROLE READER FROM ROLE ANALYST")
        .unwrap();
    assert!(!account.role_granted("CAROL", "READER"));
    let error = account
        .admin("GRANT ROLE ANALYST TO ROLE ANALYST")
        .unwrap_err();
    assert_eq!(error.code, "003012");

    let mut carol = session_as("CAROL", "ANALYST");
    let error = run(&account, &mut carol, "CREATE USER MALLORY").unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.sql_state.as_str()),
        ("003001", "42501")
    );
    ok(
        &account,
        &mut carol,
        &format!("ALTER USER CAROL SET RSA_PUBLIC_KEY = '{KEY_1}' DEFAULT_ROLE = ANALYST"),
    );
    assert_eq!(
        account
            .user_auth("CAROL")
            .unwrap()
            .rsa_public_key
            .as_deref(),
        Some(KEY_1),
        "users set their own keys"
    );
    let error = run(
        &account,
        &mut carol,
        "ALTER USER CAROL SET DISABLED = FALSE",
    )
    .unwrap_err();
    assert_eq!(error.code, "003001", "but not what guards the account");
    let error = run(
        &account,
        &mut carol,
        "ALTER USER CAROL SET DEFAULT_ROLE = READER RSA_PUBLIC_KEY = 'bad'",
    )
    .unwrap_err();
    assert_eq!(error.code, "001008");
    assert_eq!(
        account.user_auth("CAROL").unwrap().default_role.as_deref(),
        Some("ANALYST"),
        "a failed ALTER changes nothing"
    );
    let error = run(&account, &mut carol, "USE ROLE ACCOUNTADMIN").unwrap_err();
    assert_eq!(error.code, "003013");
    ok(&account, &mut carol, "USE ROLE PUBLIC");
    assert_eq!(carol.role, "PUBLIC");
}

#[test]
fn a_role_without_grants_sees_nothing_until_granted() {
    let (account, mut admin) = shop();
    ok(
        &account,
        &mut admin,
        "INSERT INTO ITEMS (NAME) VALUES ('widget')",
    );
    account
        .admin("CREATE ROLE ANALYST; CREATE USER DAN; GRANT ROLE ANALYST TO USER DAN")
        .unwrap();
    let mut dan = session_as("DAN", "ANALYST");
    let error = run(&account, &mut dan, "SELECT * FROM SHOP.SALES.ITEMS").unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.sql_state.as_str()),
        ("002003", "42S02")
    );
    assert_eq!(
        error.message,
        "SQL compilation error:\nObject 'SHOP.SALES.ITEMS' does not exist or not authorized."
    );
    assert!(ok(&account, &mut dan, "SHOW DATABASES").rows.is_empty());
    let error = run(&account, &mut dan, "SHOW SCHEMAS IN DATABASE SHOP").unwrap_err();
    assert_eq!(error.code, "002003");

    account
        .admin("GRANT USAGE ON DATABASE SHOP TO ROLE ANALYST; GRANT USAGE ON SCHEMA SHOP.SALES TO ROLE ANALYST; GRANT SELECT ON TABLE SHOP.SALES.ITEMS TO ROLE ANALYST")
        .unwrap();
    let rows = ok(&account, &mut dan, "SELECT NAME FROM SHOP.SALES.ITEMS");
    assert_eq!(cells(&rows), vec![vec![Some("widget")]]);
    let databases = ok(&account, &mut dan, "SHOW DATABASES");
    assert_eq!(databases.rows.len(), 1);
    let error = run(&account, &mut dan, "DELETE FROM SHOP.SALES.ITEMS").unwrap_err();
    assert_eq!(error.code, "003001", "SELECT does not allow DELETE");
    let grants = account.admin("SHOW GRANTS TO ROLE ANALYST").unwrap();
    let privileges: Vec<(&str, &str, &str)> = grants
        .rows
        .iter()
        .map(|r| {
            (
                r[1].as_deref().unwrap(),
                r[2].as_deref().unwrap(),
                r[3].as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        privileges,
        vec![
            ("USAGE", "DATABASE", "SHOP"),
            ("USAGE", "SCHEMA", "SHOP.SALES"),
            ("SELECT", "TABLE", "SHOP.SALES.ITEMS")
        ]
    );
    let of_role = account.admin("SHOW GRANTS OF ROLE ANALYST").unwrap();
    assert_eq!(
        of_role
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        [
            "created_on",
            "role",
            "granted_to",
            "grantee_name",
            "granted_by"
        ]
    );
    assert_eq!(
        cells(&of_role)[0][1..4],
        [Some("ANALYST"), Some("USER"), Some("DAN")]
    );
    let to_user = account.admin("SHOW GRANTS TO USER DAN").unwrap();
    assert_eq!(to_user.rows.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// SELECT of literals and functions

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

// ---------------------------------------------------------------------------------------------
// Tables, DML, encodings

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

// ---------------------------------------------------------------------------------------------
// Views, INFORMATION_SCHEMA, DESCRIBE

#[test]
fn views_expand_their_text_and_keep_it_for_show() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE) VALUES ('a', 1), ('b', 20)",
    );
    let text = "CREATE VIEW EXPENSIVE COMMENT = 'over ten' AS SELECT NAME, PRICE FROM ITEMS WHERE PRICE > 10";
    ok(&account, &mut session, text);
    let rows = ok(&account, &mut session, "SELECT * FROM SHOP.SALES.EXPENSIVE");
    assert_eq!(cells(&rows), vec![vec![Some("b"), Some("20.00")]]);
    assert_eq!(
        (rows.columns[1].kind.as_str(), rows.columns[1].scale),
        ("fixed", Some(2))
    );
    let views = ok(&account, &mut session, "SHOW VIEWS IN SCHEMA SHOP.SALES");
    assert_eq!(views.columns.len(), 12);
    assert_eq!(views.rows[0][1].as_deref(), Some("EXPENSIVE"));
    assert_eq!(views.rows[0][6].as_deref(), Some("over ten"));
    assert_eq!(views.rows[0][7].as_deref(), Some(text));
    let error = run(
        &account,
        &mut session,
        "CREATE VIEW BROKEN AS SELECT * FROM MISSING",
    )
    .unwrap_err();
    assert_eq!(error.code, "002003", "a view is checked when it is created");
    let described = ok(&account, &mut session, "DESCRIBE VIEW EXPENSIVE");
    assert_eq!(
        cells(&described)[1][..4],
        [
            Some("PRICE"),
            Some("NUMBER(10,2)"),
            Some("COLUMN"),
            Some("Y")
        ]
    );
}

#[test]
fn information_schema_describes_the_database() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "CREATE VIEW V AS SELECT ID FROM ITEMS",
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM SHOP.INFORMATION_SCHEMA.TABLES ORDER BY TABLE_NAME",
    );
    assert_eq!(
        cells(&rows),
        vec![
            vec![Some("SALES"), Some("ITEMS"), Some("BASE TABLE")],
            vec![Some("SALES"), Some("V"), Some("VIEW")]
        ]
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT COLUMN_NAME, ORDINAL_POSITION, IS_NULLABLE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, COLUMN_DEFAULT, IS_IDENTITY \
         FROM information_schema.columns WHERE TABLE_NAME = 'ITEMS' AND ORDINAL_POSITION <= 3 ORDER BY ORDINAL_POSITION",
    );
    assert_eq!(
        cells(&rows),
        vec![
            vec![
                Some("ID"),
                Some("1"),
                Some("NO"),
                Some("NUMBER"),
                None,
                Some("38"),
                Some("0"),
                None,
                Some("YES")
            ],
            vec![
                Some("NAME"),
                Some("2"),
                Some("NO"),
                Some("TEXT"),
                Some("100"),
                None,
                None,
                None,
                Some("NO")
            ],
            vec![
                Some("PRICE"),
                Some("3"),
                Some("YES"),
                Some("NUMBER"),
                None,
                Some("10"),
                Some("2"),
                None,
                Some("NO")
            ],
        ]
    );
    assert_eq!(rows.columns[1].kind, "fixed");
    let all = ok(
        &account,
        &mut session,
        "SELECT * FROM SHOP.INFORMATION_SCHEMA.COLUMNS",
    );
    assert_eq!(all.columns.len(), 47);
    assert_eq!(all.rows.len(), 12);
    let rows = ok(
        &account,
        &mut session,
        "SELECT VIEW_DEFINITION FROM SHOP.INFORMATION_SCHEMA.VIEWS",
    );
    assert_eq!(
        cells(&rows),
        vec![vec![Some("CREATE VIEW V AS SELECT ID FROM ITEMS")]]
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT SCHEMA_NAME FROM SHOP.INFORMATION_SCHEMA.SCHEMATA ORDER BY 1",
    );
    assert_eq!(
        cells(&rows),
        vec![vec![Some("PUBLIC")], vec![Some("SALES")]]
    );
    assert_eq!(
        run(
            &account,
            &mut session,
            "SELECT * FROM SHOP.INFORMATION_SCHEMA.NOPE"
        )
        .unwrap_err()
        .code,
        "002003"
    );
}

#[test]
fn describe_table_lists_columns_with_types_and_defaults() {
    let (account, mut session) = shop();
    let rows = ok(&account, &mut session, "DESC TABLE ITEMS");
    assert_eq!(rows.columns[0].name, "name");
    assert_eq!(
        cells(&rows)[0][..5],
        [
            Some("ID"),
            Some("NUMBER(38,0)"),
            Some("COLUMN"),
            Some("N"),
            Some("IDENTITY START 1 INCREMENT 1 NOORDER")
        ]
    );
    assert_eq!(
        cells(&rows)[11][..5],
        [
            Some("CATEGORY"),
            Some("VARCHAR(16777216)"),
            Some("COLUMN"),
            Some("Y"),
            Some("'misc'")
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Statements, sessions

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
