//! SHOW commands over generated and seeded accounts: scopes, LIKE / STARTS WITH / LIMIT … FROM,
//! the 10,000-row rule, every object kind's columns; the generator's determinism; the seeds.

use snowgate_emulator::{
    account::{Account, AccountNames, GenerateSpec, SeedError},
    exec::{Bindings, CollectedRows, Session, SqlError},
};

fn account() -> Account {
    Account::new(AccountNames {
        locator: "XY12345".into(),
        organization: "MYORG".into(),
        account_name: "MYACCOUNT".into(),
    })
}

fn generated(spec: &str) -> Account {
    let account = account();
    account
        .generate(&spec.parse::<GenerateSpec>().unwrap())
        .unwrap();
    account
}

fn show(account: &Account, session: &mut Session, sql: &str) -> Result<CollectedRows, SqlError> {
    let mut rows = CollectedRows::default();
    account.execute(session, sql, &Bindings::new(), &mut rows)?;
    Ok(rows)
}

/// The values of column `name` in every row.
fn column(rows: &CollectedRows, name: &str) -> Vec<String> {
    let index = rows
        .columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows.rows
        .iter()
        .map(|r| r[index].clone().unwrap_or_default())
        .collect()
}

fn names(account: &Account, sql: &str) -> Vec<String> {
    column(
        &account.admin(sql).unwrap_or_else(|e| panic!("{sql}: {e}")),
        "name",
    )
}

const SMALL: &str =
    "databases=2,schemas=3,tables=4,columns=3,views=1,users=3,roles=2,rows=5,seed=7";

#[test]
fn show_scopes_and_filters() {
    let account = generated(SMALL);
    assert_eq!(
        names(&account, "SHOW DATABASES"),
        ["GEN_DB_0001", "GEN_DB_0002", "SNOWFLAKE"]
    );
    assert_eq!(
        names(&account, "SHOW SCHEMAS IN DATABASE GEN_DB_0001"),
        [
            "INFORMATION_SCHEMA",
            "PUBLIC",
            "SCHEMA_0001",
            "SCHEMA_0002",
            "SCHEMA_0003"
        ]
    );
    assert_eq!(names(&account, "SHOW SCHEMAS IN ACCOUNT").len(), 2 * 5 + 2);
    assert_eq!(
        names(&account, "SHOW TABLES IN SCHEMA GEN_DB_0001.SCHEMA_0002"),
        ["TABLE_0001", "TABLE_0002", "TABLE_0003", "TABLE_0004"]
    );
    assert_eq!(
        names(&account, "SHOW TABLES IN DATABASE GEN_DB_0002").len(),
        12
    );
    let all = account.admin("SHOW TABLES IN ACCOUNT").unwrap();
    assert_eq!(all.rows.len(), 24);
    let order: Vec<(String, String, String)> = column(&all, "database_name")
        .into_iter()
        .zip(column(&all, "schema_name"))
        .zip(column(&all, "name"))
        .map(|((d, s), n)| (d, s, n))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(
        order, sorted,
        "SHOW TABLES orders by database, schema, name"
    );

    assert_eq!(
        names(
            &account,
            "SHOW TABLES LIKE '%_0002' IN DATABASE GEN_DB_0001"
        ),
        ["TABLE_0002"; 3]
    );
    assert_eq!(
        names(
            &account,
            "SHOW TABLES LIKE 'table_000_' IN SCHEMA GEN_DB_0001.SCHEMA_0001"
        )
        .len(),
        4,
        "LIKE ignores case"
    );
    assert!(
        names(
            &account,
            "SHOW TABLES IN SCHEMA GEN_DB_0001.SCHEMA_0001 STARTS WITH 'table'"
        )
        .is_empty(),
        "STARTS WITH does not"
    );
    assert_eq!(
        names(
            &account,
            "SHOW TABLES IN SCHEMA GEN_DB_0001.SCHEMA_0001 STARTS WITH 'TABLE_000'"
        )
        .len(),
        4
    );
    assert_eq!(
        names(
            &account,
            "SHOW TABLES IN SCHEMA GEN_DB_0001.SCHEMA_0001 LIMIT 2 FROM 'TABLE_0002'"
        ),
        ["TABLE_0002", "TABLE_0003"],
        "FROM starts at the named row"
    );
    assert_eq!(
        names(
            &account,
            "SHOW TABLES IN SCHEMA GEN_DB_0001.SCHEMA_0001 LIMIT 3 FROM 'TABLE_0003X'"
        ),
        ["TABLE_0004"],
        "a partial name is a cursor"
    );
    assert!(
        names(
            &account,
            "SHOW TABLES IN ACCOUNT STARTS WITH 'A' LIMIT 5 FROM 'B'"
        )
        .is_empty()
    );
    assert_eq!(
        names(&account, "SHOW VIEWS IN DATABASE GEN_DB_0001"),
        ["VIEW_0001"; 3]
    );

    let mut in_db = account.admin_session();
    in_db.database = Some("GEN_DB_0002".into());
    let rows = show(&account, &mut in_db, "SHOW TABLES").unwrap();
    assert!(
        column(&rows, "database_name")
            .iter()
            .all(|d| d == "GEN_DB_0002"),
        "the current database is the default scope"
    );
    assert_eq!(rows.rows.len(), 12);
    let rows = show(
        &account,
        &mut account.admin_session(),
        "SHOW TABLES IN DATABASE",
    )
    .unwrap();
    assert_eq!(
        rows.rows.len(),
        24,
        "IN DATABASE without a current one has no effect"
    );
    assert_eq!(
        show(
            &account,
            &mut account.admin_session(),
            "SHOW TABLES IN DATABASE NOPE"
        )
        .unwrap_err()
        .code,
        "002003"
    );
}

#[test]
fn show_output_columns_follow_the_reference() {
    let account = generated(SMALL);
    account
        .admin(
            "CREATE WAREHOUSE BIG_WH WAREHOUSE_SIZE = 'X-LARGE' AUTO_SUSPEND = 120 MAX_CLUSTER_COUNT = 3 INITIALLY_SUSPENDED = TRUE COMMENT = 'for batch';
             USE SCHEMA GEN_DB_0001.SCHEMA_0001;
             CREATE STAGE LANDING URL = 's3://bucket/path/' COMMENT = 'files';
             CREATE STREAM CHANGES ON TABLE TABLE_0001 APPEND_ONLY = TRUE;
             CREATE TASK NIGHTLY WAREHOUSE = BIG_WH SCHEDULE = 'USING CRON 0 3 * * * UTC' AS INSERT INTO TABLE_0002 SELECT * FROM TABLE_0001",
        )
        .unwrap();
    let tables = account
        .admin("SHOW TABLES LIKE 'TABLE_0001' IN SCHEMA GEN_DB_0001.SCHEMA_0001")
        .unwrap();
    assert_eq!(tables.columns.len(), 27);
    assert_eq!(
        column(&tables, "rows"),
        ["5"],
        "rows counts the generated rows"
    );
    assert_eq!(
        (tables.columns[7].kind.as_str(), tables.columns[7].precision),
        ("fixed", Some(38))
    );
    assert_eq!(column(&tables, "owner"), ["SYSADMIN"]);
    assert_eq!(column(&tables, "is_hybrid"), ["N"]);

    let columns = account
        .admin("SHOW COLUMNS IN TABLE GEN_DB_0001.SCHEMA_0001.TABLE_0001")
        .unwrap();
    assert_eq!(columns.columns.len(), 13);
    assert_eq!(
        column(&columns, "column_name"),
        ["COL_0001", "COL_0002", "COL_0003"]
    );
    assert_eq!(column(&columns, "null?")[0], "NOT_NULL");
    assert_eq!(
        column(&columns, "data_type")[0],
        r#"{"type":"FIXED","precision":38,"scale":0,"nullable":false}"#
    );
    let in_schema = account
        .admin("SHOW COLUMNS IN SCHEMA GEN_DB_0001.SCHEMA_0001")
        .unwrap();
    assert_eq!(
        in_schema.rows.len(),
        4 * 3 + 3,
        "the tables' columns and the view's"
    );
    assert_eq!(
        column(&in_schema, "table_name").last().map(String::as_str),
        Some("VIEW_0001")
    );
    let view = account
        .admin("SHOW COLUMNS IN VIEW GEN_DB_0001.SCHEMA_0001.VIEW_0001")
        .unwrap();
    assert_eq!(
        column(&view, "column_name"),
        ["COL_0001", "COL_0002", "COL_0003"]
    );
    assert_eq!(
        account
            .admin("SHOW COLUMNS IN TABLE GEN_DB_0001.SCHEMA_0001.NOPE")
            .unwrap_err()
            .code,
        "002003"
    );

    let warehouses = account.admin("SHOW WAREHOUSES LIKE 'BIG%'").unwrap();
    assert_eq!(warehouses.columns.len(), 38);
    assert_eq!(column(&warehouses, "size"), ["X-Large"]);
    assert_eq!(column(&warehouses, "state"), ["SUSPENDED"]);
    assert_eq!(column(&warehouses, "auto_suspend"), ["120"]);
    assert_eq!(column(&warehouses, "max_cluster_count"), ["3"]);
    assert_eq!(column(&warehouses, "comment"), ["for batch"]);
    assert_eq!(warehouses.columns[4].precision, Some(9));

    let stages = account.admin("SHOW STAGES IN ACCOUNT").unwrap();
    assert_eq!(stages.columns.len(), 17);
    assert_eq!(column(&stages, "url"), ["s3://bucket/path/"]);
    assert_eq!(column(&stages, "type"), ["EXTERNAL"]);
    let streams = account
        .admin("SHOW STREAMS IN DATABASE GEN_DB_0001")
        .unwrap();
    assert_eq!(streams.columns.len(), 15);
    assert_eq!(
        column(&streams, "table_name"),
        ["GEN_DB_0001.SCHEMA_0001.TABLE_0001"]
    );
    assert_eq!(column(&streams, "mode"), ["APPEND_ONLY"]);
    let tasks = account
        .admin("SHOW TASKS IN SCHEMA GEN_DB_0001.SCHEMA_0001")
        .unwrap();
    assert_eq!(tasks.columns.len(), 27);
    assert_eq!(column(&tasks, "schedule"), ["USING CRON 0 3 * * * UTC"]);
    assert_eq!(
        column(&tasks, "definition"),
        ["INSERT INTO TABLE_0002 SELECT * FROM TABLE_0001"]
    );
    assert_eq!(tasks.columns[9].kind, "array");

    let roles = account.admin("SHOW ROLES LIKE 'GEN_ROLE%'").unwrap();
    assert_eq!(roles.columns.len(), 11);
    assert_eq!(column(&roles, "name"), ["GEN_ROLE_0001", "GEN_ROLE_0002"]);
    let assigned: usize = column(&roles, "assigned_to_users")
        .iter()
        .map(|n| n.parse::<usize>().unwrap())
        .sum();
    assert_eq!(assigned, 3, "each generated user has one generated role");
    let users = account.admin("SHOW USERS").unwrap();
    assert_eq!(
        column(&users, "name"),
        ["GEN_USER_0001", "GEN_USER_0002", "GEN_USER_0003"]
    );
    let ownership = account.admin("SHOW GRANTS TO ROLE SYSADMIN").unwrap();
    assert!(ownership.rows.iter().any(|r| r[1].as_deref() == Some("OWNERSHIP") && r[3].as_deref() == Some("GEN_DB_0001")));
}

#[test]
fn the_ten_thousand_row_rule() {
    let account = generated("databases=1,schemas=1,tables=10001,columns=1");
    let error = account.admin("SHOW TABLES IN ACCOUNT").unwrap_err();
    assert_eq!(error.code, "001003");
    assert!(
        error.message.contains("LIMIT 10000 FROM"),
        "{}",
        error.message
    );
    let page = names(&account, "SHOW TABLES IN ACCOUNT LIMIT 10000");
    assert_eq!(page.len(), 10_000);
    let next = names(
        &account,
        &format!(
            "SHOW TABLES IN ACCOUNT LIMIT 10000 FROM '{}'",
            page.last().unwrap()
        ),
    );
    assert_eq!(
        next,
        [page.last().unwrap().as_str(), "TABLE_9999"],
        "the boundary row again, then the last one by name"
    );
    assert_eq!(
        names(&account, "SHOW TABLES LIKE 'TABLE_1000%' IN ACCOUNT"),
        ["TABLE_1000", "TABLE_10000", "TABLE_10001"],
        "filters apply before the rule"
    );
    let columns = account
        .admin("SHOW COLUMNS IN DATABASE GEN_DB_0001")
        .unwrap();
    assert_eq!(columns.rows.len(), 10_000, "SHOW COLUMNS stops silently");
    assert!(
        account.admin("SHOW TABLES LIMIT 10001").is_err(),
        "LIMIT is at most 10,000"
    );
}

#[test]
fn generated_accounts_are_deterministic() {
    let first = generated(SMALL);
    let second = generated(SMALL);
    let other = generated(&SMALL.replace("seed=7", "seed=8"));
    let catalog = |a: &Account| {
        [
            "SHOW TABLES IN ACCOUNT",
            "SHOW COLUMNS IN ACCOUNT",
            "SHOW USERS",
            "SHOW GRANTS TO ROLE GEN_ROLE_0001",
            "SELECT * FROM GEN_DB_0001.SCHEMA_0001.TABLE_0003 ORDER BY 1",
        ]
        .map(|sql| a.admin(sql).unwrap())
    };
    assert_eq!(catalog(&first), catalog(&second));
    assert_ne!(
        catalog(&first)[1],
        catalog(&other)[1],
        "another seed draws other column types"
    );

    let account = generated("databases=1,schemas=0,tables=0,query_rows=2000,seed=1");
    let rows = account.admin("SELECT COUNT(*), COUNT(DISTINCT UUID), MIN(ID), MAX(ID) FROM GEN_DB_0001.PUBLIC.QUERY_ROWS").unwrap();
    assert_eq!(
        rows.rows[0],
        ["2000", "2000", "1", "2000"].map(|v| Some(v.to_owned()))
    );
    let sample = account
        .admin("SELECT * FROM GEN_DB_0001.PUBLIC.QUERY_ROWS LIMIT 1")
        .unwrap();
    let kinds: Vec<&str> = sample.columns.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "fixed",
            "text",
            "text",
            "fixed",
            "real",
            "boolean",
            "date",
            "timestamp_ntz",
            "text"
        ]
    );
    assert_eq!(
        sample.rows[0][1].as_deref().map(str::len),
        Some(36),
        "a UUID"
    );
}

#[test]
fn the_demo_seed_is_a_working_account() {
    let account = account();
    account.load_demo().unwrap();
    let revenue = account.admin("SELECT EMAIL, REVENUE, ORDER_LINES FROM DEMO_DB.ANALYTICS.REVENUE_BY_CUSTOMER ORDER BY REVENUE DESC LIMIT 2").unwrap();
    assert_eq!(
        revenue.rows,
        vec![
            vec![
                Some("bob@globex.com".into()),
                Some("240.00".into()),
                Some("1".into())
            ],
            vec![
                Some("erin@hooli.com".into()),
                Some("318.00".into()),
                Some("2".into())
            ],
        ]
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
    );
    let mut anna = Session {
        user: "ANNA".into(),
        role: "ANALYST".into(),
        database: None,
        schema: None,
        warehouse: None,
        parameters: Default::default(),
        cancel: Default::default(),
    };
    assert_eq!(
        column(
            &show(&account, &mut anna, "SHOW VIEWS IN ACCOUNT").unwrap(),
            "name"
        ),
        ["PRO_CUSTOMERS", "REVENUE_BY_CUSTOMER"]
    );
    assert!(
        show(&account, &mut anna, "SHOW TABLES IN ACCOUNT")
            .unwrap()
            .rows
            .is_empty(),
        "the analyst sees views, not tables"
    );
    assert_eq!(
        show(&account, &mut anna, "SELECT * FROM DEMO_DB.SALES.ORDERS")
            .unwrap_err()
            .code,
        "002003"
    );
    assert!(account.user_auth("DEMO").is_some());
}

#[test]
fn bad_seeds_say_what_failed() {
    let account = account();
    match account.load_seed_sql("CREATE DATABASE OK_DB; CREATE TABLE NOPE.X.Y (A INT)") {
        Err(SeedError::Statement { index, error, .. }) => {
            assert_eq!(index, 2);
            assert_eq!(error.code, "002003");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        names(&account, "SHOW DATABASES LIKE 'OK_DB'"),
        ["OK_DB"],
        "what ran before stays"
    );
    assert!(matches!(
        account.load_seed_toml("[[databases]]\nnam = 'X'"),
        Err(SeedError::Toml(_))
    ));
    account.load_seed_toml("[[databases]]\nname = 'SHARED_DB'\nkind = 'IMPORTED DATABASE'\nschemas = [{ name = 'S1' }]").unwrap();
    let databases = account.admin("SHOW DATABASES LIKE 'SHARED_DB'").unwrap();
    assert_eq!(column(&databases, "kind"), ["IMPORTED DATABASE"]);
    assert_eq!(
        names(&account, "SHOW SCHEMAS IN DATABASE SHARED_DB"),
        ["INFORMATION_SCHEMA", "S1"]
    );
}
