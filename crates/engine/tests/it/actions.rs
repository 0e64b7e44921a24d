//! The fifteen actions against the recorded account: outputs equal the recorded ones (creation
//! times of objects the seed creates by SQL compared by form), Nango's error codes for unknown
//! actions, invalid input and Snowflake's HTTP errors, and async actions through a worker.

use std::time::Duration;

use serde_json::{Value, json};
use snowgate_engine::{ActionError, ProcessRole};
use tokio_util::sync::CancellationToken;

use crate::support::{Ctx, engine_tests, fixture};

engine_tests!(
    list_actions_answer_as_recorded,
    statement_actions,
    errors_and_async_actions
);

/// Replaces the values of `fields` in every item of `list` with a marker.
fn mask(mut value: Value, list: &str, fields: &[&str]) -> Value {
    for item in value[list].as_array_mut().into_iter().flatten() {
        for field in fields {
            if item.get(*field).is_some() {
                item[*field] = json!("<masked>");
            }
        }
    }
    value
}

async fn list_actions_answer_as_recorded(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::recorded(url).await?;
    let connection = ctx.connect("actions", json!({})).await?;
    for (name, list, masked) in [
        ("list-databases", "databases", &["created_on"][..]),
        ("list-schemas", "schemas", &["created_on"][..]),
        ("list-columns", "columns", &[][..]),
        ("list-roles", "roles", &["created_on"][..]),
        ("list-warehouses", "warehouses", &[][..]),
        ("list-stages", "stages", &[][..]),
        ("list-streams", "streams", &[][..]),
        ("list-tasks", "tasks", &[][..]),
    ] {
        let recorded = fixture(name);
        let output = ctx
            .engine
            .run_action(connection, name, recorded["input"].clone())
            .await
            .map_err(|error| anyhow::anyhow!("{name}: {error}"))?;
        assert_eq!(
            mask(output, list, masked),
            mask(recorded["output"].clone(), list, masked),
            "{name}"
        );
    }
    let schemas = ctx
        .engine
        .run_action(
            connection,
            "list-schemas",
            json!({"database": "NANGO_TEST_DB"}),
        )
        .await?;
    let created = schemas["schemas"][0]["created_on"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok() && created.ends_with('Z'),
        "ISO 8601: {created}"
    );
    let tables = ctx
        .engine
        .run_action(
            connection,
            "list-tables",
            json!({"database": "NANGO_TEST_DB", "schema": "SALES"}),
        )
        .await?;
    assert_eq!(tables["tables"][0]["name"], "CUSTOMERS");
    assert_eq!(tables["tables"][0]["rows"], 4);
    let users = ctx
        .engine
        .run_action(connection, "list-users", json!({}))
        .await?;
    let user = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "VICTORNANGO2")
        .expect("the recorded user");
    assert_eq!(user["has_rsa_public_key"], true);
    let views = ctx
        .engine
        .run_action(
            connection,
            "list-views",
            json!({"database_name": "NANGO_TEST_DB", "schema_name": "SALES"}),
        )
        .await?;
    assert_eq!(views, json!({"items": []}));
    Ok(())
}

async fn statement_actions(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::recorded(url).await?;
    let connection = ctx.connect("statements", json!({})).await?;
    let recorded = fixture("execute-statement");
    let output = ctx
        .engine
        .run_action(connection, "execute-statement", recorded["input"].clone())
        .await?;
    let expected = &recorded["output"];
    for field in ["code", "sqlState", "message", "data"] {
        assert_eq!(output[field], expected[field], "{field}");
    }
    assert_eq!(
        output["resultSetMetaData"]["rowType"],
        expected["resultSetMetaData"]["rowType"]
    );
    assert!(
        output.get("requestId").is_none(),
        "unknown keys are stripped"
    );
    let handle = output["statementHandle"].as_str().unwrap().to_owned();

    let status = ctx
        .engine
        .run_action(
            connection,
            "get-statement-status",
            json!({"statementHandle": handle}),
        )
        .await?;
    assert_eq!(status["statementHandle"], handle.as_str());
    assert_eq!(status["code"], "090001");
    assert_eq!(status["data"], expected["data"]);

    let result = ctx
        .engine
        .run_action(
            connection,
            "get-statement-result",
            json!({"statement_handle": handle, "partition": 0}),
        )
        .await?;
    assert_eq!(result["num_rows"], 2);
    assert_eq!(result["rows"], expected["data"]);
    assert_eq!(result["columns"][0]["name"], "CUSTOMER_ID");
    assert_eq!(result["columns"][0]["type"], "fixed");
    assert!(result.get("next_partition_num").is_none(), "one partition");

    // Bindings, never spliced: the value travels as a typed binding.
    let bound = ctx
        .engine
        .run_action(
            connection,
            "execute-statement",
            json!({
                "statement": "SELECT EMAIL FROM NANGO_TEST_DB.SALES.CUSTOMERS WHERE PLAN = ? ORDER BY CUSTOMER_ID",
                "warehouse": "COMPUTE_WH",
                "bindings": {"1": {"type": "TEXT", "value": "pro' OR '1'='1"}}
            }),
        )
        .await?;
    assert_eq!(bound["data"], json!([]));
    let bound = ctx
        .engine
        .run_action(
            connection,
            "execute-statement",
            json!({
                "statement": "SELECT EMAIL FROM NANGO_TEST_DB.SALES.CUSTOMERS WHERE PLAN = ? ORDER BY CUSTOMER_ID",
                "warehouse": "COMPUTE_WH",
                "bindings": {"1": {"type": "TEXT", "value": "pro"}}
            }),
        )
        .await?;
    assert_eq!(
        bound["data"],
        json!([["alice@acme.com"], ["dave@umbrella.com"]])
    );

    let cancelled = ctx
        .engine
        .run_action(
            connection,
            "cancel-statement",
            json!({"statement_handle": handle}),
        )
        .await?;
    assert_eq!(cancelled, fixture("cancel-statement")["output"]);
    Ok(())
}

async fn errors_and_async_actions(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::recorded(url).await?;
    let connection = ctx.connect("errors", json!({})).await?;
    let unknown = ctx
        .engine
        .run_action(connection, "drop-everything", json!({}))
        .await;
    assert!(
        matches!(unknown, Err(ActionError::NotFound { .. })),
        "{unknown:?}"
    );

    let invalid = ctx
        .engine
        .run_action(connection, "list-schemas", json!({"db": "X"}))
        .await;
    let Err(ActionError::InvalidInput { errors }) = invalid else {
        panic!("{invalid:?}");
    };
    let text = format!("{errors:?}");
    assert!(text.contains("database") && text.contains("db"), "{text}");

    let failed = ctx
        .engine
        .run_action(
            connection,
            "execute-statement",
            json!({"statement": "SELEC 1"}),
        )
        .await;
    let Err(ActionError::ScriptHttpError { status, body, .. }) = failed else {
        panic!("{failed:?}");
    };
    assert_eq!(status, 422);
    assert_eq!(body["code"], "001003");
    assert!(body["message"].as_str().unwrap().contains("syntax error"));
    let missing = ctx
        .engine
        .run_action(
            connection,
            "list-tables",
            json!({"database": "NOPE", "schema": "NOPE"}),
        )
        .await;
    assert!(
        matches!(
            missing,
            Err(ActionError::ScriptHttpError { status: 422, .. })
        ),
        "{missing:?}"
    );

    // Async: queued, run by a worker, read back; input errors are reported at once.
    assert!(matches!(
        ctx.engine
            .enqueue_action(connection, "list-schemas", json!({}), 0)
            .await,
        Err(ActionError::InvalidInput { .. })
    ));
    let ok = ctx
        .engine
        .enqueue_action(
            connection,
            "list-schemas",
            json!({"database": "NANGO_TEST_DB"}),
            0,
        )
        .await?;
    let bad = ctx
        .engine
        .enqueue_action(
            connection,
            "execute-statement",
            json!({"statement": "SELEC 1"}),
            0,
        )
        .await?;
    assert!(ctx.engine.action_result(ok).await?.is_none(), "not run yet");
    ctx.engine
        .pause(&snowgate_engine::SyncTarget::Connection(connection), &[])
        .await?;
    let shutdown = CancellationToken::new();
    let mut tasks = ctx
        .engine
        .spawn_background(ProcessRole::Worker, shutdown.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let (ok_result, bad_result) = loop {
        if let (Some(ok), Some(bad)) = (
            ctx.engine.action_result(ok).await?,
            ctx.engine.action_result(bad).await?,
        ) {
            break (ok, bad);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "async actions did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    assert_eq!(ok_result?["schemas"].as_array().unwrap().len(), 3);
    assert!(matches!(
        bad_result,
        Err(ActionError::ScriptHttpError { status: 422, .. })
    ));
    Ok(())
}
