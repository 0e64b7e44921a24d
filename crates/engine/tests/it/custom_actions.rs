//! Custom actions declared in the config file, against the emulator: reads shaped as rows or the
//! first row, writes answering their counts, every value bound (a value that looks like SQL is
//! stored verbatim), identifiers only from the declared list, input checked before Snowflake is
//! called, Snowflake's error passed through, async runs through a worker, and an operation per
//! run that names the statement and its bindings but never their values.

use std::time::Duration;

use serde_json::{Value, json};
use snowgate_engine::{ActionError, ProcessRole, config::EngineConfig};
use snowgate_store::{OperationFilter, OperationKind, OperationStatus, Store};
use tokio_util::sync::CancellationToken;

use crate::support::{Ctx, engine_config, engine_tests};

engine_tests!(custom_actions_read_write_and_log);

const ACTIONS: &str = r#"
[[custom_actions]]
name = "customer-by-id"
description = "One customer"
sql = "SELECT ID, EMAIL, VIP, BALANCE, SINCE FROM CRM.S.CUSTOMERS WHERE ID = :id"
output = "first_row"
warehouse = "COMPUTE_WH"
[custom_actions.input.id]
type = "integer"

[[custom_actions]]
name = "customers"
sql = "SELECT ID, EMAIL FROM :table WHERE BALANCE >= :min_balance ORDER BY ID"
max_rows = 3
[custom_actions.input.table]
type = "identifier"
values = ["CRM.S.CUSTOMERS", "CRM.S.ARCHIVE"]
[custom_actions.input.min_balance]
type = "number"
default = 0

[[custom_actions]]
name = "set-email"
sql = "UPDATE CRM.S.CUSTOMERS SET EMAIL = :email, SINCE = :since WHERE ID = :id"
[custom_actions.input.id]
type = "integer"
[custom_actions.input.email]
type = "string"
[custom_actions.input.since]
type = "date"
required = false

[[custom_actions]]
name = "add-customer"
sql = "INSERT INTO CRM.S.CUSTOMERS (ID, EMAIL, VIP, BALANCE) VALUES (:id, :email, :vip, :balance)"
[custom_actions.input.id]
type = "integer"
[custom_actions.input.email]
type = "string"
[custom_actions.input.vip]
type = "boolean"
default = false
[custom_actions.input.balance]
type = "number"
"#;

async fn custom_actions_read_write_and_log(url: Option<String>) -> anyhow::Result<()> {
    let declared: EngineConfig = toml::from_str(ACTIONS)?;
    let config = EngineConfig {
        custom_actions: declared.custom_actions,
        ..engine_config()
    };
    let ctx = Ctx::start(url, config, |e| {
        e.admin(
            "CREATE DATABASE CRM; CREATE SCHEMA CRM.S; \
             CREATE TABLE CRM.S.CUSTOMERS (ID NUMBER(9,0), EMAIL VARCHAR(200), VIP BOOLEAN, BALANCE NUMBER(12,2), SINCE DATE); \
             CREATE TABLE CRM.S.ARCHIVE (ID NUMBER(9,0), EMAIL VARCHAR(200), BALANCE NUMBER(12,2)); \
             INSERT INTO CRM.S.CUSTOMERS VALUES (1, 'a@example.com', TRUE, 10.50, '2026-01-01'), (2, 'b@example.com', FALSE, 0, NULL)",
        )
        .unwrap();
    })
    .await?;
    let connection = ctx.connect("crm", json!({})).await?;
    let listed: Vec<String> = ctx.engine.actions().into_iter().map(|a| a.name).collect();
    assert_eq!(listed.len(), 19, "{listed:?}");
    assert!(listed.contains(&"customer-by-id".to_owned()));

    // A read, typed: integers as numbers, decimals as exact text, dates as ISO dates.
    let one = ctx
        .engine
        .run_action(connection, "customer-by-id", json!({"id": "1"}))
        .await?;
    assert_eq!(
        one,
        json!({"ID": 1, "EMAIL": "a@example.com", "VIP": true, "BALANCE": "10.50", "SINCE": "2026-01-01"})
    );
    let none = ctx
        .engine
        .run_action(connection, "customer-by-id", json!({"id": 99}))
        .await?;
    assert_eq!(none, Value::Null);

    // A write: counts; a value that looks like SQL is data.
    let injection = "x'; DROP TABLE CRM.S.CUSTOMERS; --";
    let counts = ctx
        .engine
        .run_action(
            connection,
            "set-email",
            json!({"id": 2, "email": injection, "since": "2026-12-02"}),
        )
        .await?;
    assert_eq!(
        counts,
        json!({"rows_inserted": 0, "rows_updated": 1, "rows_deleted": 0})
    );
    let added = ctx
        .engine
        .run_action(
            connection,
            "add-customer",
            json!({"id": 3, "email": "c@example.com", "balance": "123456789.01"}),
        )
        .await?;
    assert_eq!(added["rows_inserted"], 1);
    let two = ctx
        .engine
        .run_action(connection, "customer-by-id", json!({"id": 2}))
        .await?;
    assert_eq!(two["EMAIL"], injection);
    assert_eq!(two["SINCE"], "2026-12-02");

    // Rows, from a listed table only, with the optional input's default.
    let rows = ctx
        .engine
        .run_action(connection, "customers", json!({"table": "CRM.S.CUSTOMERS"}))
        .await?;
    assert_eq!(
        rows,
        json!([{"ID": 1, "EMAIL": "a@example.com"}, {"ID": 2, "EMAIL": injection}, {"ID": 3, "EMAIL": "c@example.com"}])
    );
    let rich = ctx
        .engine
        .run_action(
            connection,
            "customers",
            json!({"table": "CRM.S.CUSTOMERS", "min_balance": 100}),
        )
        .await?;
    assert_eq!(rich, json!([{"ID": 3, "EMAIL": "c@example.com"}]));
    let history_before = ctx.emulator.history().len();
    for (name, input, field) in [
        (
            "customers",
            json!({"table": "CRM.S.CUSTOMERS; DROP TABLE X"}),
            "table",
        ),
        ("customer-by-id", json!({"id": "1 OR 1=1"}), "id"),
        ("customer-by-id", json!({}), "id"),
        ("set-email", json!({"id": 1, "email": "e", "extra": 1}), ""),
    ] {
        match ctx.engine.run_action(connection, name, input.clone()).await {
            Err(ActionError::InvalidInput { errors }) => assert!(
                errors
                    .iter()
                    .any(|e| e.path.join("/").contains(field) || e.message.contains(field)),
                "{name} {input}: {errors:?}"
            ),
            other => panic!("{name} {input}: {other:?}"),
        }
    }
    assert_eq!(
        ctx.emulator.history().len(),
        history_before,
        "refused input never reaches Snowflake"
    );

    // More rows than max_rows fail with what to change.
    for id in 4..=6 {
        ctx.engine
            .run_action(
                connection,
                "add-customer",
                json!({"id": id, "email": "x", "balance": 1}),
            )
            .await?;
    }
    match ctx
        .engine
        .run_action(connection, "customers", json!({"table": "CRM.S.CUSTOMERS"}))
        .await
    {
        Err(ActionError::Runtime { payload }) => {
            assert_eq!(payload["type"], "too_many_rows", "{payload}");
            assert!(payload["message"].as_str().unwrap().contains("max_rows"));
        }
        other => panic!("{other:?}"),
    }

    // Snowflake's own error is passed through (the table is gone).
    ctx.emulator.admin("DROP TABLE CRM.S.CUSTOMERS")?;
    match ctx
        .engine
        .run_action(connection, "customer-by-id", json!({"id": 1}))
        .await
    {
        Err(ActionError::ScriptHttpError { status, body, .. }) => {
            assert_eq!(status, 422);
            assert_eq!(body["code"], "002003", "{body}");
        }
        other => panic!("{other:?}"),
    }

    // Every run is an operation: the statement and binding names, never the values.
    let operations = ctx
        .store
        .list_operations(&OperationFilter {
            kind: Some(OperationKind::Action),
            connection: Some(connection),
            limit: 100,
            ..OperationFilter::default()
        })
        .await?;
    let update = operations
        .iter()
        .find(|op| op.name == "set-email")
        .expect("the update is logged");
    assert_eq!(update.status, OperationStatus::Success);
    let summary = update.summary.clone().unwrap();
    assert_eq!(summary["bind_names"], json!(["email", "since", "id"]));
    assert!(
        summary["query_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert!(summary["duration_ms"].is_i64());
    assert!(
        !summary
            .to_string()
            .contains("DROP TABLE CRM.S.CUSTOMERS; --"),
        "{summary}"
    );
    assert!(
        operations
            .iter()
            .any(|op| op.name == "customer-by-id" && op.status == OperationStatus::Failed)
    );

    // Async: queued, run by a worker, the result read back.
    ctx.emulator.admin(
        "CREATE TABLE CRM.S.CUSTOMERS (ID NUMBER(9,0), EMAIL VARCHAR(200), VIP BOOLEAN, BALANCE NUMBER(12,2), SINCE DATE)",
    )?;
    let queued = ctx
        .engine
        .enqueue_action(
            connection,
            "add-customer",
            json!({"id": 7, "email": "async@example.com", "vip": true, "balance": 2}),
            0,
        )
        .await?;
    assert!(matches!(
        ctx.engine
            .enqueue_action(connection, "add-customer", json!({"id": 8}), 0)
            .await,
        Err(ActionError::InvalidInput { .. })
    ));
    let shutdown = CancellationToken::new();
    let mut tasks = ctx
        .engine
        .spawn_background(ProcessRole::Worker, shutdown.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let result = loop {
        if let Some(result) = ctx.engine.action_result(queued).await? {
            break result;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the async action did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    assert_eq!(result?["rows_inserted"], 1);
    let seven = ctx
        .engine
        .run_action(connection, "customer-by-id", json!({"id": 7}))
        .await?;
    assert_eq!(seven["VIP"], true);
    Ok(())
}
