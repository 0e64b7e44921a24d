//! Custom syncs declared in the config file: `:name` placeholders bound from the connection's
//! metadata (never spliced), records `{id, row_data}` under the declared model, validated against
//! the schema derived from the result, incremental with a typed watermark, or full passes that
//! detect deletes.

use serde_json::json;
use snowgate_engine::custom;
use snowgate_store::{ModelKey, RunStatus};

use crate::support::{Ctx, engine_config, engine_tests};

engine_tests!(custom_syncs_from_the_config_file);

const CONFIG: &str = r#"
[[custom_syncs]]
name = "eu-orders"
model = "Order"
sql = "SELECT ID, REGION, AMOUNT, UPDATED_AT FROM SHOP.S.ORDERS WHERE REGION = :region"
id_column = "ID"
incremental_column = "UPDATED_AT"
frequency = "every 15 minutes"
warehouse = "COMPUTE_WH"
row_values = "typed"

[[custom_syncs]]
name = "regions"
model = "Region"
sql = "SELECT DISTINCT REGION FROM SHOP.S.ORDERS"
id_column = "REGION"
warehouse = "COMPUTE_WH"
auto_start = false
"#;

async fn custom_syncs_from_the_config_file(url: Option<String>) -> anyhow::Result<()> {
    let mut config = engine_config();
    config.custom_syncs = custom::parse_config(CONFIG)?;
    let ctx = Ctx::start(url, config, |e| {
        e.admin(
            "CREATE DATABASE SHOP; CREATE SCHEMA SHOP.S; \
             CREATE TABLE SHOP.S.ORDERS (ID NUMBER(9,0), REGION VARCHAR(10), AMOUNT NUMBER(10,2), UPDATED_AT TIMESTAMP_NTZ(9)); \
             INSERT INTO SHOP.S.ORDERS VALUES (1, 'EU', 10, '2026-01-01 00:00:01'), (2, 'US', 20, '2026-01-01 00:00:02'), \
             (3, 'EU', 30, '2026-01-01 00:00:03'), (4, 'APAC', 40, '2026-01-01 00:00:04')",
        )
        .unwrap();
    })
    .await?;
    let definition = ctx.engine.configured_sync("eu-orders").expect("declared");
    assert_eq!(definition.model, "Order");
    assert_eq!(definition.frequency.duration().as_secs(), 900);
    assert!(definition.auto_start);
    assert!(!ctx.engine.configured_sync("regions").unwrap().auto_start);

    // The value comes from metadata, bound: a quote in it is data, not SQL.
    let connection = ctx
        .connect("shop", json!({"region": "EU' OR '1'='1"}))
        .await?;
    let run = ctx.run(connection, "eu-orders").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    assert!(ctx.records(connection, "Order").await?.is_empty());

    let connection = ctx.connect("eu", json!({"region": "EU"})).await?;
    let run = ctx.run(connection, "eu-orders").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let orders = ctx.records(connection, "Order").await?;
    assert_eq!(orders.keys().collect::<Vec<_>>(), ["1", "3"]);
    assert_eq!(
        orders["3"],
        json!({"id": "3", "row_data": {"ID": 3, "REGION": "EU", "AMOUNT": "30.00", "UPDATED_AT": "2026-01-01T00:00:03.000000000"}})
    );
    ctx.emulator.admin(
        "INSERT INTO SHOP.S.ORDERS VALUES (5, 'EU', 50, '2026-01-01 00:00:05'); UPDATE SHOP.S.ORDERS SET AMOUNT = 11, UPDATED_AT = '2026-01-01 00:00:06' WHERE ID = 1",
    )?;
    let run = ctx.run(connection, "eu-orders").await?;
    let counts = run.counts[&ModelKey::new("Order", None)];
    assert_eq!((counts.added, counts.updated, counts.deleted), (1, 1, 0));

    // Without an incremental column every run is a full pass that detects deletes.
    let run = ctx.run(connection, "regions").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let regions = ctx.records(connection, "Region").await?;
    assert_eq!(regions.keys().collect::<Vec<_>>(), ["APAC", "EU", "US"]);
    ctx.emulator
        .admin("DELETE FROM SHOP.S.ORDERS WHERE REGION = 'APAC'")?;
    let run = ctx.run(connection, "regions").await?;
    assert_eq!(run.counts[&ModelKey::new("Region", None)].deleted, 1);

    // A missing metadata key fails the run and says which key to set.
    let bare = ctx.connect("bare", json!({})).await?;
    let run = ctx.run(bare, "eu-orders").await?;
    assert_eq!(run.status, RunStatus::Failed);
    let message = run.error.unwrap()["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains(":region") && message.contains("metadata"),
        "{message}"
    );
    Ok(())
}
