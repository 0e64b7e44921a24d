//! What the client sends, and how it follows the protocol: polling 202s, streaming partitions,
//! deadlines and cancellation, SQL errors, multi-statement requests.

use std::time::Duration;

use serde_json::{Value, json};
use snowgate_snowflake::{Binding, Error, SessionParameter, Statement, Submitted};
use uuid::Uuid;

use crate::support::{
    HANDLE, Logged, Reply, TestServer, client, client_with, customers, running_until_cancelled,
    script,
};

#[tokio::test]
async fn requests_carry_the_jwt_the_headers_and_a_request_id() {
    let server = TestServer::start(script(vec![Reply::json(200, customers())])).await;
    let client = client(&server);
    client
        .query(&Statement::new(
            "SELECT * FROM NANGO_TEST_DB.SALES.CUSTOMERS",
        ))
        .await
        .unwrap();
    let [sent] = server.requests().try_into().unwrap();
    let claims = sent.claims.as_ref().expect("the server verified the JWT");
    assert_eq!(claims.sub, "MYORG-MYACCOUNT.ALICE");
    assert_eq!(
        sent.header("x-snowflake-authorization-token-type"),
        Some("KEYPAIR_JWT")
    );
    assert_eq!(sent.header("accept"), Some("application/json"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert!(sent.header("user-agent").unwrap().starts_with("snowgate/"));
    assert!(sent.header("accept-encoding").unwrap().contains("gzip"));
    assert_eq!(sent.path, "/api/v2/statements");
    Uuid::parse_str(sent.query("requestId").unwrap()).unwrap();
    assert_eq!(sent.query("retry"), None);
    assert_eq!(sent.query("async"), None);
    assert_eq!(client.request_count(), 1);
}

#[tokio::test]
async fn bindings_context_and_parameters_reach_the_server() {
    let server = TestServer::start(script(vec![Reply::json(200, customers())])).await;
    let statement = Statement::new("SELECT * FROM CUSTOMERS WHERE PLAN = ? AND CUSTOMER_ID > ?")
        .database("NANGO_TEST_DB")
        .schema("SALES")
        .warehouse("COMPUTE_WH")
        .role("ANALYST")
        .timeout(Duration::from_secs(30))
        .bind(Binding::text("pro"))
        .bind(Binding::integer(1))
        .parameter(SessionParameter::QueryTag("snowgate-test".into()));
    client(&server).query(&statement).await.unwrap();
    let body = server.requests()[0].body.clone().unwrap();
    assert_eq!(
        body,
        json!({
            "statement": "SELECT * FROM CUSTOMERS WHERE PLAN = ? AND CUSTOMER_ID > ?",
            "timeout": 30, "database": "NANGO_TEST_DB", "schema": "SALES",
            "warehouse": "COMPUTE_WH", "role": "ANALYST",
            "bindings": {"1": {"type": "TEXT", "value": "pro"}, "2": {"type": "FIXED", "value": "1"}},
            "parameters": {"query_tag": "snowgate-test"},
        })
    );
}

#[tokio::test]
async fn a_202_is_polled_until_the_result_is_ready() {
    let server = TestServer::start(script(vec![
        Reply::running(HANDLE),
        Reply::running(HANDLE),
        Reply::running(HANDLE),
        Reply::json(200, customers()).gzip(),
    ]))
    .await;
    let client = client(&server);
    let result = client
        .query(&Statement::new("SELECT 1").asynchronous(true))
        .await
        .unwrap();
    assert_eq!(result.num_rows(), 4);
    assert_eq!(result.collect().await.unwrap()[0].len(), 4);
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[0].query("async"), Some("true"));
    for poll in &requests[1..] {
        assert_eq!(poll.method, "GET");
        Uuid::parse_str(poll.query("requestId").unwrap()).unwrap();
        assert_eq!(poll.path, format!("/api/v2/statements/{HANDLE}"));
        assert!(poll.claims.is_ok());
    }
    assert!(
        requests
            .iter()
            .all(|request| !request.path.ends_with("/cancel"))
    );
}

#[tokio::test]
async fn submit_passes_a_202_through() {
    let server = TestServer::start(script(vec![Reply::running(HANDLE)])).await;
    let submitted = client(&server)
        .submit(&Statement::new("SELECT 1"))
        .await
        .unwrap();
    let Submitted::Running(body) = submitted else {
        panic!("expected a running statement");
    };
    assert_eq!(body.code.as_deref(), Some("333334"));
    assert_eq!(body.statement_handle.as_deref(), Some(HANDLE));
}

/// A result of `count` partitions of `rows` rows each, one text column `N` holding `p-r`.
fn partitioned(count: usize, rows: usize) -> impl Fn(&Logged) -> Reply + Send + Sync + 'static {
    let data = move |partition: usize| -> Value {
        (0..rows)
            .map(|row| json!([format!("{partition}-{row}")]))
            .collect()
    };
    move |request| match request.partition() {
        None => Reply::json(
            200,
            json!({
                "resultSetMetaData": {
                    "numRows": count * rows, "format": "jsonv2",
                    "partitionInfo": (0..count).map(|_| json!({"rowCount": rows, "uncompressedSize": 1})).collect::<Vec<_>>(),
                    "rowType": [{"name": "N", "database": "", "schema": "", "table": "", "type": "text",
                                 "scale": null, "precision": null, "length": 10, "byteLength": 40,
                                 "nullable": false, "collation": null}],
                },
                "data": data(0), "code": "090001", "statementHandle": HANDLE,
            }),
        ),
        // Early partitions come back slowest, to show that order is kept.
        Some(partition) => Reply::json(200, json!({"data": data(partition)}))
            .gzip()
            .delay(Duration::from_millis(((count - partition) * 30) as u64)),
    }
}

#[tokio::test]
async fn partitions_stream_in_order_with_a_bounded_prefetch() {
    let server = TestServer::start(partitioned(8, 50)).await;
    let client = client_with(&server, |config| config.prefetch(3));
    let mut result = client.query(&Statement::new("SELECT N")).await.unwrap();
    assert_eq!(result.partition_count(), 8);
    let mut seen = Vec::new();
    while let Some(partition) = result.next_partition().await {
        let partition = partition.unwrap();
        assert_eq!(partition.len(), 50);
        let first = partition.row(0).unwrap();
        seen.push(first.raw(0).unwrap().to_owned());
        assert_eq!(
            first.get("N"),
            Some(format!("{}-0", partition.index()).as_str())
        );
    }
    let expected: Vec<String> = (0..8).map(|partition| format!("{partition}-0")).collect();
    assert_eq!(seen, expected);
    let fetched: Vec<usize> = server
        .requests()
        .iter()
        .filter_map(Logged::partition)
        .collect();
    let mut sorted = fetched.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (1..8).collect::<Vec<_>>(),
        "each partition fetched once"
    );
    let most = server.most_in_flight();
    assert!(
        (2..=3).contains(&most),
        "partitions are fetched in parallel, at most three ahead: {most} at once"
    );
    assert_eq!(client.request_count(), 8);
}

#[tokio::test]
async fn partitions_as_a_stream() {
    use futures::TryStreamExt;
    let server = TestServer::start(partitioned(4, 10)).await;
    let result = client(&server)
        .query(&Statement::new("SELECT N"))
        .await
        .unwrap();
    let rows: usize = result
        .into_stream()
        .map_ok(|partition| partition.len())
        .try_fold(0, |total, rows| async move { Ok(total + rows) })
        .await
        .unwrap();
    assert_eq!(rows, 40);
}

#[tokio::test]
async fn a_partition_shorter_than_announced_is_an_error() {
    let full = partitioned(2, 5);
    let server = TestServer::start(move |request| match request.partition() {
        Some(1) => Reply::json(200, json!({"data": [["1-0"], ["1-1"]]})).gzip(),
        _ => full(request),
    })
    .await;
    let mut result = client(&server)
        .query(&Statement::new("SELECT N"))
        .await
        .unwrap();
    assert_eq!(result.next_partition().await.unwrap().unwrap().len(), 5);
    let error = result.next_partition().await.unwrap().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("partition 1 has 2 rows where the metadata announced 5"),
        "{error}"
    );
    assert!(
        result.next_partition().await.is_none(),
        "no partitions after an error"
    );
}

#[tokio::test]
async fn the_wait_deadline_cancels_the_statement() {
    let server = TestServer::start(running_until_cancelled).await;
    let statement =
        Statement::new("SELECT SYSTEM$WAIT(600)").wait_timeout(Duration::from_millis(400));
    let error = client(&server).query(&statement).await.unwrap_err();
    let Error::Timeout {
        statement_handle, ..
    } = &error
    else {
        panic!("expected a timeout, got {error}");
    };
    assert_eq!(statement_handle.as_deref(), Some(HANDLE));
    assert!(error.to_string().contains("cancelled"), "{error}");
    let requests = server.requests();
    assert_eq!(
        requests[0].body.as_ref().unwrap()["timeout"],
        json!(1),
        "Snowflake's timeout follows the deadline"
    );
    let cancel = requests.last().unwrap();
    assert_eq!(cancel.path, format!("/api/v2/statements/{HANDLE}/cancel"));
    assert_eq!(cancel.body, Some(json!({})));
}

#[tokio::test]
async fn dropping_the_future_cancels_the_statement() {
    let server = TestServer::start(running_until_cancelled).await;
    let client = client(&server);
    let running = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .query(&Statement::new("SELECT SYSTEM$WAIT(600)"))
                .await
        }
    });
    server.wait_for(|request| request.method == "GET").await;
    running.abort();
    let cancel = server
        .wait_for(|request| request.path.ends_with("/cancel"))
        .await;
    assert_eq!(cancel.method, "POST");
    assert!(cancel.claims.is_ok());
}

#[tokio::test]
async fn a_failed_statement_is_a_sql_error_with_its_details() {
    let server = TestServer::start(script(vec![Reply::json(
        422,
        json!({"code": "001003", "message": "SQL compilation error:\nsyntax error line 1 at position 0 unexpected 'SELEC'.",
               "sqlState": "42000", "statementHandle": "01c79a10-0001-accd-0000-d07900021eea"}),
    )]))
    .await;
    let client = client(&server);
    let error = client.query(&Statement::new("SELEC 1")).await.unwrap_err();
    let Error::Sql {
        code,
        sql_state,
        message,
        statement_handle,
    } = &error
    else {
        panic!("expected a SQL error, got {error}");
    };
    assert_eq!((code.as_str(), sql_state.as_str()), ("001003", "42000"));
    assert!(message.starts_with("SQL compilation error"));
    assert_eq!(
        statement_handle.as_deref(),
        Some("01c79a10-0001-accd-0000-d07900021eea")
    );
    assert_eq!(client.request_count(), 1, "422 is not retried");
}

#[tokio::test]
async fn a_statement_failing_while_polled_is_a_sql_error_and_not_cancelled() {
    let server = TestServer::start(script(vec![
        Reply::running(HANDLE),
        Reply::json(422, json!({"code": "100051", "message": "Division by zero", "sqlState": "22012", "statementHandle": HANDLE})),
    ]))
    .await;
    let error = client(&server)
        .query(&Statement::new("SELECT 1/0"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Sql { code, .. } if code == "100051"),
        "{error}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        server
            .requests()
            .iter()
            .all(|request| !request.path.ends_with("/cancel"))
    );
}

#[tokio::test]
async fn snowflakes_own_timeout_is_a_timeout_error() {
    let server = TestServer::start(script(vec![Reply::json(
        408,
        json!({"code": "000630", "message": "Statement reached its statement or warehouse timeout of 2 second(s) and was canceled.",
               "sqlState": "57014", "statementHandle": "01c79a10-0001-ac43-0000-d07900024c76"}),
    )]))
    .await;
    let error = client(&server)
        .query(&Statement::new("SELECT SYSTEM$WAIT(5)").timeout(Duration::from_secs(2)))
        .await
        .unwrap_err();
    let Error::Timeout {
        statement_handle,
        message,
    } = &error
    else {
        panic!("expected a timeout, got {error}");
    };
    assert_eq!(
        statement_handle.as_deref(),
        Some("01c79a10-0001-ac43-0000-d07900024c76")
    );
    assert!(message.contains("timeout of 2 second(s)"));
}

#[tokio::test]
async fn multi_statement_children_are_read_by_handle() {
    let child = "01c4d3e8-0001-e79d-0000-00000000000b";
    let server = TestServer::start(move |request: &Logged| {
        if request.path == format!("/api/v2/statements/{child}") {
            return Reply::json(200, customers());
        }
        Reply::json(
            200,
            json!({
                "resultSetMetaData": {"numRows": 1, "format": "jsonv2",
                    "partitionInfo": [{"rowCount": 1, "uncompressedSize": 43}],
                    "rowType": [{"name": "multiple statement execution", "database": "", "schema": "", "table": "",
                                 "type": "text", "scale": null, "precision": null, "length": 16777216,
                                 "byteLength": 16777216, "nullable": false, "collation": null}]},
                "data": [["Multiple statements executed successfully."]],
                "code": "090001", "statementHandle": HANDLE,
                "statementHandles": ["01c4d3e8-0001-e79d-0000-00000000000a", child],
            }),
        )
    })
    .await;
    let client = client(&server);
    let statement = Statement::new("ALTER SESSION SET TIMEZONE = 'UTC'; SELECT * FROM CUSTOMERS")
        .multi_statement_count(2);
    let result = client.query(&statement).await.unwrap();
    assert_eq!(result.statement_handles().len(), 2);
    let sent = server.requests()[0].body.clone().unwrap();
    assert_eq!(sent["parameters"], json!({"MULTI_STATEMENT_COUNT": "2"}));
    let child_result = client.result(&result.statement_handles()[1]).await.unwrap();
    assert_eq!(child_result.num_rows(), 4);
}

#[tokio::test]
async fn a_caller_chosen_request_id_is_sent_as_a_resend() {
    let server = TestServer::start(script(vec![Reply::json(200, customers())])).await;
    let id = Uuid::new_v4();
    client(&server)
        .query(&Statement::new("INSERT INTO T VALUES (1)").request_id(id))
        .await
        .unwrap();
    let sent = &server.requests()[0];
    assert_eq!(sent.query("requestId"), Some(id.to_string().as_str()));
    assert_eq!(sent.query("retry"), Some("true"));
}

#[test]
fn clients_and_results_move_between_tasks() {
    fn shared<T: Send + Sync>() {}
    fn movable<T: Send>() {}
    shared::<snowgate_snowflake::Client>();
    shared::<snowgate_snowflake::PrivateKey>();
    shared::<snowgate_snowflake::TokenSource>();
    shared::<snowgate_snowflake::Partition>();
    movable::<snowgate_snowflake::ResultSet>();
    movable::<snowgate_snowflake::ShowPages>();
}

#[tokio::test]
async fn handles_are_checked_before_they_reach_a_url() {
    let server = TestServer::start(script(vec![])).await;
    let client = client(&server);
    for bad in ["", "../../admin", "01c4?partition=1", "a/b"] {
        let error = client.status(bad).await.unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{bad}: {error}");
    }
    assert!(server.requests().is_empty());
}
