//! `query-results`: incremental reads compare the incremental column by its real type, never
//! re-count the rows tied with the watermark, pick up inserts and updates, detect deletes on full
//! passes when asked, keep raw strings by default (typed values on request), and apply the
//! validation policy to rows that cannot become records.

use serde_json::{Value, json};
use snowgate_engine::{EngineConfig, TriggerOpts, validation::ValidationPolicy};
use snowgate_store::{ModelKey, RunStatus, Store};

use crate::support::{Ctx, engine_config, engine_tests};

engine_tests!(
    inserts_and_updates_with_a_typed_watermark,
    deletes_are_detected_by_full_passes,
    typed_row_values,
    rows_that_cannot_become_records
);

const SETUP: &str = "CREATE DATABASE SHOP; CREATE SCHEMA SHOP.S; \
    CREATE TABLE SHOP.S.ORDERS (ID NUMBER(9,0), NAME VARCHAR(50), AMOUNT NUMBER(10,2), UPDATED_AT TIMESTAMP_NTZ(9)); \
    INSERT INTO SHOP.S.ORDERS VALUES (9, 'nine', 9.5, '2001-09-09 01:46:39.9'), \
    (10, 'ten', 10, '2001-09-09 01:46:40'), (11, 'eleven', 11.25, '2001-09-09 01:46:40')";

fn metadata(extra: Value) -> Value {
    let mut metadata = json!({
        "query": "SELECT ID, NAME, AMOUNT, UPDATED_AT FROM SHOP.S.ORDERS",
        "id_column": "ID",
        "incremental_column": "UPDATED_AT",
        "warehouse": "COMPUTE_WH",
    });
    for (key, value) in extra.as_object().unwrap() {
        metadata[key] = value.clone();
    }
    metadata
}

async fn start(url: Option<String>, config: EngineConfig) -> anyhow::Result<Ctx> {
    Ctx::start(url, config, |e| {
        e.admin(SETUP).unwrap();
    })
    .await
}

fn counts(run: &snowgate_store::Run) -> (u64, u64, u64) {
    let counts = run.counts[&ModelKey::new("QueryResult", None)];
    (counts.added, counts.updated, counts.deleted)
}

async fn inserts_and_updates_with_a_typed_watermark(url: Option<String>) -> anyhow::Result<()> {
    let ctx = start(url, engine_config()).await?;
    let connection = ctx.connect("orders", metadata(json!({}))).await?;
    let first = ctx.run(connection, "query-results").await?;
    assert_eq!(first.status, RunStatus::Success, "{:?}", first.error);
    assert_eq!(counts(&first), (3, 0, 0));
    let records = ctx.records(connection, "QueryResult").await?;
    assert_eq!(
        records["9"],
        json!({"id": "9", "row_data": {"ID": "9", "NAME": "nine", "AMOUNT": "9.50", "UPDATED_AT": "999999999.900000000"}})
    );
    // As text "999999999.9…" sorts after "1000000000.0…"; as instants it is earlier.
    let sync = ctx.store.list_syncs(connection).await?;
    let checkpoint = sync
        .iter()
        .find(|s| s.name == "query-results")
        .and_then(|s| s.checkpoint.clone())
        .expect("a watermark");
    assert_eq!(checkpoint["last_value"], "1000000000.000000000");
    assert_eq!(checkpoint["last_value_type"], "timestamp_ntz");

    ctx.emulator.admin(
        "INSERT INTO SHOP.S.ORDERS VALUES (12, 'twelve', 12, '2001-09-09 01:46:41'); \
         UPDATE SHOP.S.ORDERS SET NAME = 'TEN', UPDATED_AT = '2001-09-09 01:46:42' WHERE ID = 10",
    )?;
    let second = ctx.run(connection, "query-results").await?;
    assert_eq!(second.status, RunStatus::Success, "{:?}", second.error);
    // Row 11, tied with the old watermark, is read again but is unchanged: not counted.
    assert_eq!(counts(&second), (1, 1, 0));
    let records = ctx.records(connection, "QueryResult").await?;
    assert_eq!(records["10"]["row_data"]["NAME"], "TEN");
    assert_eq!(records.len(), 4);

    let third = ctx.run(connection, "query-results").await?;
    assert_eq!(counts(&third), (0, 0, 0));

    // Without delete detection (Nango's behaviour) a deleted row stays.
    ctx.emulator
        .admin("DELETE FROM SHOP.S.ORDERS WHERE ID = 9")?;
    let fourth = ctx.run(connection, "query-results").await?;
    assert_eq!(counts(&fourth), (0, 0, 0));
    assert!(
        ctx.records(connection, "QueryResult")
            .await?
            .contains_key("9")
    );

    // The incremental column compares numbers as numbers: 9 < 10 although "9" > "10".
    let by_id = ctx
        .connect("by-id", metadata(json!({"incremental_column": "ID"})))
        .await?;
    ctx.run(connection, "query-results").await?;
    let run = ctx.run(by_id, "query-results").await?;
    assert_eq!(counts(&run), (3, 0, 0));
    let states = ctx.store.list_syncs(by_id).await?;
    let checkpoint = states
        .iter()
        .find(|s| s.name == "query-results")
        .and_then(|s| s.checkpoint.clone())
        .unwrap();
    assert_eq!(checkpoint["last_value"], "12");
    assert_eq!(checkpoint["last_value_type"], "fixed");
    Ok(())
}

async fn deletes_are_detected_by_full_passes(url: Option<String>) -> anyhow::Result<()> {
    let ctx = start(url, engine_config()).await?;
    let incremental = ctx
        .connect("incremental", metadata(json!({"detect_deletes": true})))
        .await?;
    let full = ctx
        .connect(
            "full",
            json!({"query": "SELECT * FROM SHOP.S.ORDERS", "id_column": "ID", "detect_deletes": true, "warehouse": "COMPUTE_WH"}),
        )
        .await?;
    assert_eq!(
        counts(&ctx.run(incremental, "query-results").await?),
        (3, 0, 0)
    );
    assert_eq!(counts(&ctx.run(full, "query-results").await?), (3, 0, 0));

    ctx.emulator.admin(
        "DELETE FROM SHOP.S.ORDERS WHERE ID = 9; INSERT INTO SHOP.S.ORDERS VALUES (13, 'thirteen', 13, '2001-09-09 01:46:50')",
    )?;
    // Without an incremental column every run is a full pass: the delete shows at once.
    assert_eq!(counts(&ctx.run(full, "query-results").await?), (1, 0, 1));
    assert!(!ctx.records(full, "QueryResult").await?.contains_key("9"));

    // An incremental run is no full pass (the last one was just now): the row stays for now.
    assert_eq!(
        counts(&ctx.run(incremental, "query-results").await?),
        (1, 0, 0)
    );
    assert!(
        ctx.records(incremental, "QueryResult")
            .await?
            .contains_key("9")
    );
    // A reset makes the next run a full pass, which deletes it.
    let reset = ctx
        .run_with(
            incremental,
            "query-results",
            TriggerOpts {
                reset: true,
                empty_cache: false,
            },
        )
        .await?;
    assert_eq!(reset.status, RunStatus::Success, "{:?}", reset.error);
    assert_eq!(counts(&reset), (0, 0, 1));
    let records = ctx.records(incremental, "QueryResult").await?;
    assert_eq!(
        records.keys().map(String::as_str).collect::<Vec<_>>(),
        ["10", "11", "13"]
    );
    Ok(())
}

async fn typed_row_values(url: Option<String>) -> anyhow::Result<()> {
    let ctx = start(url, engine_config()).await?;
    let connection = ctx
        .connect("typed", metadata(json!({"row_values": "typed"})))
        .await?;
    let run = ctx.run(connection, "query-results").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let records = ctx.records(connection, "QueryResult").await?;
    assert_eq!(
        records["11"]["row_data"],
        json!({"ID": 11, "NAME": "eleven", "AMOUNT": "11.25", "UPDATED_AT": "2001-09-09T01:46:40.000000000"})
    );
    Ok(())
}

async fn rows_that_cannot_become_records(url: Option<String>) -> anyhow::Result<()> {
    let ctx = start(url, engine_config()).await?;
    let connection = ctx.connect("strict", metadata(json!({}))).await?;
    assert_eq!(
        counts(&ctx.run(connection, "query-results").await?),
        (3, 0, 0)
    );
    ctx.emulator.admin(
        "INSERT INTO SHOP.S.ORDERS VALUES (NULL, 'no id', 1, '2001-09-09 01:47:00'), (14, 'fourteen', 14, '2001-09-09 01:47:01')",
    )?;
    let failed = ctx.run(connection, "query-results").await?;
    assert_eq!(failed.status, RunStatus::Failed);
    let error = failed.error.clone().unwrap();
    assert_eq!(error["type"], "invalid_record");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("\"ID\" is NULL"),
        "{error}"
    );
    assert_eq!(
        ctx.records(connection, "QueryResult").await?.len(),
        3,
        "nothing deleted"
    );

    // The same rows under the skip policy (an engine configured so, on the same store): the run
    // goes on, the row is counted as skipped.
    let mut config = engine_config();
    config
        .validation_overrides
        .insert("query-results".into(), ValidationPolicy::SkipRecord);
    let lenient =
        snowgate_engine::Engine::new(ctx.store.clone(), config, reqwest::Client::new()).await?;
    let connection = ctx.connect("lenient", metadata(json!({}))).await?;
    let run = lenient
        .run_sync(
            connection,
            &snowgate_engine::SyncSelector::base("query-results"),
            TriggerOpts::default(),
            None,
        )
        .await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    assert_eq!(counts(&run), (4, 0, 0));
    let operations = ctx
        .store
        .list_operations(&snowgate_store::OperationFilter {
            connection: Some(connection),
            ..Default::default()
        })
        .await?;
    let summary = operations
        .iter()
        .find_map(|operation| operation.summary.clone())
        .expect("the run's operation has a summary");
    assert_eq!(summary["skipped"], 1);
    assert!(
        summary["skipped_examples"][0]
            .as_str()
            .unwrap()
            .contains("ID")
    );
    Ok(())
}
