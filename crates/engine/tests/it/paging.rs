//! Past Snowflake's 10,000-row limits: SHOW TABLES of a database with more than 10,000 tables is
//! listed schema by schema and paged; SHOW COLUMNS of a schema with 10,000 columns or more (which
//! Snowflake silently truncates) is listed table by table. No object is missed.

use snowgate_emulator::account::GenerateSpec;
use snowgate_store::RunStatus;

use crate::support::{Ctx, engine_config, engine_tests};

engine_tests!(
    more_than_ten_thousand_tables,
    more_than_ten_thousand_columns_in_a_schema
);

async fn more_than_ten_thousand_tables(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account()
            .generate(&GenerateSpec {
                databases: 1,
                schemas: 1,
                tables: 10_050,
                columns: 1,
                ..GenerateSpec::default()
            })
            .unwrap()
    })
    .await?;
    let connection = ctx
        .connect("big", serde_json::json!({"include": ["GEN_DB_0001"]}))
        .await?;
    let run = ctx.run(connection, "tables").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let tables = ctx.records(connection, "Table").await?;
    assert_eq!(tables.len(), 10_050);
    for t in [1, 5_000, 9_999, 10_000, 10_001, 10_050] {
        let id = format!("GEN_DB_0001/SCHEMA_0001/TABLE_{t:04}");
        assert!(tables.contains_key(&id), "{id} is missing");
    }
    // SHOW DATABASES, one SHOW TABLES IN DATABASE (that reached the cap), SHOW SCHEMAS, and two
    // pages of SHOW TABLES IN SCHEMA: a few statements, a few partitions each, nothing per table.
    assert!(run.snowflake_calls < 30, "{} calls", run.snowflake_calls);
    Ok(())
}

async fn more_than_ten_thousand_columns_in_a_schema(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account()
            .generate(&GenerateSpec {
                databases: 1,
                schemas: 2,
                tables: 2,
                columns: 5_001,
                ..GenerateSpec::default()
            })
            .unwrap()
    })
    .await?;
    let connection = ctx
        .connect("wide", serde_json::json!({"include": ["GEN_DB_0001"]}))
        .await?;
    let run = ctx.run(connection, "columns").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let columns = ctx.records(connection, "Column").await?;
    assert_eq!(columns.len(), 2 * 2 * 5_001);
    let last = &columns["GEN_DB_0001.SCHEMA_0002.TABLE_0002.COL_5001"];
    assert_eq!(last["ordinal_position"], 5_001);
    assert_eq!(
        columns["GEN_DB_0001.SCHEMA_0001.TABLE_0001.COL_0001"]["ordinal_position"],
        1
    );
    // Per schema: one capped SHOW COLUMNS IN SCHEMA, then one per table (each a few partitions).
    assert!(run.snowflake_calls < 40, "{} calls", run.snowflake_calls);
    Ok(())
}
