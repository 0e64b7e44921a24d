//! Connection metadata scopes the metadata syncs: one shape for every sync, Nango's two input
//! shapes accepted, exclusions winning over inclusions; invalid metadata fails the run clearly and
//! deletes nothing.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use snowgate_emulator::account::GenerateSpec;
use snowgate_engine::{SyncSelector, SyncTarget};
use snowgate_store::{ConnectionPk, RunStatus, Store};

use crate::support::{Ctx, engine_config, engine_tests};

engine_tests!(
    include_and_exclude_scope_every_sync,
    nango_shapes_and_invalid_metadata
);

fn account() -> GenerateSpec {
    GenerateSpec {
        databases: 3,
        schemas: 3,
        tables: 2,
        columns: 3,
        views: 1,
        ..GenerateSpec::default()
    }
}

/// Runs the scoped syncs of `connection` and returns their records by model.
async fn scoped_records(
    ctx: &Ctx,
    connection: ConnectionPk,
) -> anyhow::Result<BTreeMap<&'static str, BTreeMap<String, Value>>> {
    ctx.engine
        .start(
            &SyncTarget::Connection(connection),
            &[SyncSelector::base("views")],
        )
        .await?;
    let mut models = BTreeMap::new();
    for (sync, model) in [
        ("schemas", "Schema"),
        ("tables", "Table"),
        ("views", "View"),
        ("columns", "Column"),
    ] {
        let run = ctx.run(connection, sync).await?;
        assert_eq!(run.status, RunStatus::Success, "{sync}: {:?}", run.error);
        models.insert(model, ctx.records(connection, model).await?);
    }
    Ok(models)
}

/// The (database, schema) of a record.
fn container(record: &Value) -> (String, String) {
    let database = record["database_name"].as_str().unwrap().to_owned();
    let schema = record
        .get("schema_name")
        .or_else(|| record.get("name"))
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    (database, schema)
}

async fn include_and_exclude_scope_every_sync(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&account()).unwrap()
    })
    .await?;
    let everything = ctx.connect("everything", json!({})).await?;
    let all = scoped_records(&ctx, everything).await?;
    assert_eq!(
        all["Table"]
            .keys()
            .filter(|id| id.starts_with("GEN_DB_"))
            .count(),
        3 * 3 * 2
    );

    let scope = json!({
        "include": ["GEN_DB_0001", {"database": "GEN_DB_0002", "schema": "SCHEMA_0001"}, "GEN_DB_0003.SCHEMA_*"],
        "exclude": ["GEN_DB_0001.SCHEMA_0002", "*.SCHEMA_0003"]
    });
    let scoped = ctx.connect("scoped", scope).await?;
    let some = scoped_records(&ctx, scoped).await?;
    let wanted = |(database, schema): &(String, String)| {
        let included = database == "GEN_DB_0001"
            || (database == "GEN_DB_0002" && schema == "SCHEMA_0001")
            || (database == "GEN_DB_0003" && schema.starts_with("SCHEMA_"));
        let excluded =
            (database == "GEN_DB_0001" && schema == "SCHEMA_0002") || schema == "SCHEMA_0003";
        included && !excluded
    };
    for (model, records) in &all {
        let expected: BTreeMap<&String, &Value> = records
            .iter()
            .filter(|(_, record)| wanted(&container(record)))
            .collect();
        let actual: BTreeMap<&String, &Value> = some[model].iter().collect();
        assert!(!expected.is_empty(), "{model}: the scope selects something");
        assert_eq!(actual, expected, "{model}");
    }
    Ok(())
}

async fn nango_shapes_and_invalid_metadata(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&account()).unwrap()
    })
    .await?;
    // Nango's `tables` shape ("DB.SCHEMA" strings) and `views` shape (objects) name the same
    // schemas, and every sync honours both.
    let strings = ctx
        .connect(
            "strings",
            json!({"schemas": ["GEN_DB_0002.SCHEMA_0001", "\"GEN_DB_0003\".\"SCHEMA_0002\""]}),
        )
        .await?;
    let objects = ctx
        .connect(
            "objects",
            json!({"schemas": [{"database": "GEN_DB_0002", "schema": "SCHEMA_0001"}, {"database": "GEN_DB_0003", "schema": "SCHEMA_0002"}]}),
        )
        .await?;
    let from_strings = scoped_records(&ctx, strings).await?;
    let from_objects = scoped_records(&ctx, objects).await?;
    assert_eq!(from_strings, from_objects);
    let tables: Vec<&String> = from_strings["Table"].keys().collect();
    assert_eq!(
        tables,
        [
            "GEN_DB_0002/SCHEMA_0001/TABLE_0001",
            "GEN_DB_0002/SCHEMA_0001/TABLE_0002",
            "GEN_DB_0003/SCHEMA_0002/TABLE_0001",
            "GEN_DB_0003/SCHEMA_0002/TABLE_0002"
        ]
    );
    assert_eq!(from_strings["Column"].len(), 4 * 3);

    // Invalid metadata fails the run with the key and the fix, and deletes nothing.
    ctx.store
        .write_metadata(
            crate::support::INTEGRATION,
            &["strings".into()],
            &json!({"schemas": ["GEN_DB_0002"]}),
            snowgate_store::MetadataWrite::Replace,
        )
        .await?;
    let run = ctx.run(strings, "tables").await?;
    assert_eq!(run.status, RunStatus::Failed);
    let error = run.error.expect("a failed run has an error");
    assert_eq!(error["type"], "invalid_metadata");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("schemas[0]") && message.contains("DB.SCHEMA"),
        "{message}"
    );
    assert_eq!(
        ctx.records(strings, "Table").await?.len(),
        4,
        "nothing deleted"
    );
    Ok(())
}
