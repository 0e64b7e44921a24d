//! SHOW paging past the 10,000-row limit, with `LIMIT n FROM 'name'`.

use serde_json::{Value, json};
use snowgate_snowflake::{Error, ShowPages, Statement};

use crate::support::{Logged, Reply, TestServer, client};

/// A SHOW TABLES answer with the given names (two of SHOW TABLES' columns).
fn show_tables(names: &[String]) -> Reply {
    let rows: Vec<Value> = names
        .iter()
        .map(|name| json!(["1780573702.603", name]))
        .collect();
    Reply::json(
        200,
        json!({
            "resultSetMetaData": {"numRows": rows.len(), "format": "jsonv2",
                "partitionInfo": [{"rowCount": rows.len(), "uncompressedSize": 1}],
                "rowType": [
                    {"name": "created_on", "database": "", "schema": "", "table": "", "type": "timestamp_ltz",
                     "scale": 3, "precision": 0, "length": null, "byteLength": null, "nullable": true, "collation": null},
                    {"name": "name", "database": "", "schema": "", "table": "", "type": "text", "scale": null,
                     "precision": null, "length": 16777216, "byteLength": 16777216, "nullable": true, "collation": null}]},
            "data": rows, "code": "090001", "statementHandle": "01c4d3e8-0001-e79d-0000-001cd6c3d2a9",
        }),
    )
}

/// A server holding `count` tables that pages like Snowflake: names in order, `LIMIT n`, and
/// `FROM 'x'` starting at the first name ≥ x — including x itself when `inclusive`.
fn account_with_tables(
    count: usize,
    inclusive: bool,
) -> impl Fn(&Logged) -> Reply + Send + Sync + 'static {
    let names: Vec<String> = (0..count).map(|n| format!("T{n:05}")).collect();
    move |request| {
        let sql = request.statement().unwrap();
        let (_, limit) = sql
            .split_once(" LIMIT ")
            .expect("the pager always adds LIMIT");
        let (limit, from) = match limit.split_once(" FROM ") {
            Some((limit, from)) => (limit, Some(from.trim_matches('\'').to_owned())),
            None => (limit, None),
        };
        let limit: usize = limit.parse().unwrap();
        let start = match &from {
            Some(from) if inclusive => names
                .iter()
                .position(|name| name >= from)
                .unwrap_or(names.len()),
            Some(from) => names
                .iter()
                .position(|name| name > from)
                .unwrap_or(names.len()),
            None => 0,
        };
        let page: Vec<String> = names.iter().skip(start).take(limit).cloned().collect();
        show_tables(&page)
    }
}

async fn page_all(server: &TestServer, page_size: usize) -> Vec<String> {
    let statement = Statement::new("SHOW TABLES IN SCHEMA \"DB\".\"S\"");
    let mut pages = ShowPages::new(&client(server), statement).page_size(page_size);
    let mut names = Vec::new();
    while let Some(partition) = pages.next_partition().await {
        for row in partition.unwrap().rows() {
            names.push(row.get("name").unwrap().to_owned());
        }
    }
    names
}

#[tokio::test]
async fn pages_drop_the_repeated_boundary_row() {
    let server = TestServer::start(account_with_tables(25, true)).await;
    let names = page_all(&server, 10).await;
    let expected: Vec<String> = (0..25).map(|n| format!("T{n:05}")).collect();
    assert_eq!(names, expected);
    let statements: Vec<String> = server
        .requests()
        .iter()
        .map(|request| request.statement().unwrap().to_owned())
        .collect();
    assert_eq!(
        statements,
        [
            "SHOW TABLES IN SCHEMA \"DB\".\"S\" LIMIT 10",
            "SHOW TABLES IN SCHEMA \"DB\".\"S\" LIMIT 10 FROM 'T00009'",
            "SHOW TABLES IN SCHEMA \"DB\".\"S\" LIMIT 10 FROM 'T00018'",
        ]
    );
}

#[tokio::test]
async fn pages_work_when_from_excludes_its_row_too() {
    let server = TestServer::start(account_with_tables(30, false)).await;
    let names = page_all(&server, 10).await;
    assert_eq!(names.len(), 30);
    assert_eq!(names.last().unwrap(), "T00029");
    // Three full pages, then an empty one that ends the listing.
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn more_than_ten_thousand_rows_page_at_the_limit() {
    let server = TestServer::start(account_with_tables(10_001, true)).await;
    let names = page_all(&server, 10_000).await;
    assert_eq!(names.len(), 10_001);
    let statements: Vec<String> = server
        .requests()
        .iter()
        .map(|request| request.statement().unwrap().to_owned())
        .collect();
    assert_eq!(
        statements[0],
        "SHOW TABLES IN SCHEMA \"DB\".\"S\" LIMIT 10000"
    );
    assert_eq!(
        statements[1],
        "SHOW TABLES IN SCHEMA \"DB\".\"S\" LIMIT 10000 FROM 'T09999'"
    );
    assert_eq!(statements.len(), 2);
}

#[tokio::test]
async fn names_with_quotes_are_escaped_in_the_cursor() {
    let server = TestServer::start(|request: &Logged| {
        let sql = request.statement().unwrap();
        if sql.contains(" FROM ") {
            assert!(sql.ends_with(" FROM 'it''s \\\\ x'"), "{sql}");
            show_tables(&["it's \\ x".to_owned()])
        } else {
            show_tables(&["a".to_owned(), "it's \\ x".to_owned()])
        }
    })
    .await;
    let names = page_all(&server, 2).await;
    assert_eq!(names, ["a", "it's \\ x"]);
}

#[tokio::test]
async fn a_show_command_with_its_own_limit_is_refused() {
    let server = TestServer::start(account_with_tables(3, true)).await;
    let mut pages = ShowPages::new(&client(&server), Statement::new("SHOW TABLES LIMIT 5"));
    let error = pages.next_partition().await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error}");
    assert!(pages.next_partition().await.is_none());
    assert!(server.requests().is_empty());
}
