//! The syncs over the recorded account (the objects behind `fixtures/recorded`) produce the
//! records Nango saved from the same objects (`nango.batchSave`), field for field; tables, views,
//! columns and users (not recorded as syncs) produce the records their rules give for the recorded
//! SHOW output. A second run over an unchanged account changes nothing; a dropped object is
//! deleted by the next complete run.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use snowgate_engine::{mapping, models::Model, row::NamedRow, validation::PreparedRecord};
use snowgate_store::{ModelKey, RunStatus};

use crate::support::{Ctx, engine_tests, fixture, without_times};

engine_tests!(
    recorded_syncs_equal_nangos_records,
    tables_views_columns_and_users,
    unchanged_second_run_and_deletes
);

/// `nango.batchSave[model]` of a fixture, by id, creation times replaced by a marker.
fn saved(fixture: &Value, model: &str) -> BTreeMap<String, Value> {
    fixture["nango"]["batchSave"][model]
        .as_array()
        .expect("batchSave of the model")
        .iter()
        .map(|record| {
            (
                record["id"].as_str().expect("ids are strings").to_owned(),
                without_times(record.clone(), &["created_on"]),
            )
        })
        .collect()
}

fn normalised(records: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    records
        .into_iter()
        .map(|(id, record)| (id, without_times(record, &["created_on"])))
        .collect()
}

async fn recorded_syncs_equal_nangos_records(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::recorded(url).await?;
    let query_results = fixture("query-results");
    let connection = ctx
        .connect("recorded", query_results["nango"]["getMetadata"].clone())
        .await?;
    for (sync, model, fixture_name) in [
        ("databases", "Database", "databases"),
        ("schemas", "Schema", "schemas"),
        ("roles", "Role", "roles"),
        ("query-results", "QueryResult", "query-results"),
    ] {
        let run = ctx.run(connection, sync).await?;
        assert_eq!(run.status, RunStatus::Success, "{sync}: {:?}", run.error);
        assert!(run.snowflake_calls > 0, "{sync}: calls are counted");
        let expected = saved(&fixture(fixture_name), model);
        let actual = normalised(ctx.records(connection, model).await?);
        assert_eq!(
            actual.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{sync}: the same objects"
        );
        for (id, record) in &expected {
            assert_eq!(&actual[id], record, "{sync}: record {id}");
        }
        let key = ModelKey::new(model, None);
        assert_eq!(
            run.counts[&key].added as usize,
            expected.len(),
            "{sync}: all added"
        );
    }
    Ok(())
}

async fn tables_views_columns_and_users(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::recorded(url).await?;
    ctx.emulator.admin(
        "CREATE VIEW NANGO_TEST_DB.SALES.PRO_CUSTOMERS AS SELECT CUSTOMER_ID, EMAIL FROM NANGO_TEST_DB.SALES.CUSTOMERS WHERE PLAN = 'pro'",
    )?;
    let connection = ctx.connect("recorded", json!({})).await?;

    let run = ctx.run(connection, "tables").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let tables = ctx.records(connection, "Table").await?;
    let customers = &tables["NANGO_TEST_DB/SALES/CUSTOMERS"];
    assert_eq!(customers["name"], "CUSTOMERS");
    assert_eq!(customers["database_name"], "NANGO_TEST_DB");
    assert_eq!(customers["schema_name"], "SALES");
    assert_eq!(customers["rows"], 4);
    assert!(customers["bytes"].is_number());
    assert_eq!(customers["is_external"], "N");
    assert_eq!(customers["is_iceberg"], "N");
    assert_eq!(customers["change_tracking"], "OFF");
    assert_eq!(customers["owner"], "ACCOUNTADMIN");
    assert!(
        !tables.keys().any(|id| id.contains("PRO_CUSTOMERS")),
        "views are not tables: {tables:?}"
    );

    ctx.engine
        .start(
            &snowgate_engine::SyncTarget::Connection(connection),
            &[snowgate_engine::SyncSelector::base("views")],
        )
        .await?;
    let run = ctx.run(connection, "views").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let views = ctx.records(connection, "View").await?;
    let view = &views["NANGO_TEST_DB.SALES.PRO_CUSTOMERS"];
    assert_eq!(view["name"], "PRO_CUSTOMERS");
    assert_eq!(view["is_secure"], "false");
    assert_eq!(view["is_materialized"], "false");
    assert!(view["text"].as_str().unwrap().contains("PRO_CUSTOMERS"));

    // Columns: the records built from the recorded `SHOW COLUMNS IN TABLE` answer for CUSTOMERS,
    // while the sync read `SHOW COLUMNS IN SCHEMA` (which also lists the view's columns).
    let run = ctx.run(connection, "columns").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let columns = ctx.records(connection, "Column").await?;
    let recorded = fixture("list-columns");
    let response = &recorded["api"]["post"]["/api/v2/statements"]["response"];
    let names: Vec<String> = response["resultSetMetaData"]["rowType"]
        .as_array()
        .unwrap()
        .iter()
        .map(|column| column["name"].as_str().unwrap().to_owned())
        .collect();
    let rows: Vec<Vec<Option<String>>> = serde_json::from_value(response["data"].clone())?;
    assert_eq!(rows.len(), 7);
    for (index, cells) in rows.iter().enumerate() {
        let row = NamedRow::new(&names, cells);
        let column = mapping::column(
            &row,
            "NANGO_TEST_DB",
            "SALES",
            "CUSTOMERS",
            index as u32 + 1,
        )?;
        let expected = PreparedRecord::from_model(&column)?.payload;
        assert_eq!(columns[column.id()], expected, "column {}", column.id());
    }
    assert!(
        !columns
            .keys()
            .any(|id| id.starts_with("NANGO_TEST_DB.SALES.PRO_CUSTOMERS.")),
        "a view's columns are not table columns"
    );

    let run = ctx.run(connection, "users").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let users = ctx.records(connection, "User").await?;
    let user = &users["VICTORNANGO2"];
    assert_eq!(user["login_name"], "VICTORNANGO2");
    assert_eq!(user["default_role"], "ACCOUNTADMIN");
    assert_eq!(user["has_rsa_public_key"], true);
    assert!(
        user.get("name").is_none(),
        "users have no name field, as in Nango"
    );
    Ok(())
}

async fn unchanged_second_run_and_deletes(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::recorded(url).await?;
    let connection = ctx.connect("recorded", json!({})).await?;
    let key = ModelKey::new("Table", None);
    let first = ctx.run(connection, "tables").await?;
    assert_eq!(first.status, RunStatus::Success);
    assert!(first.counts[&key].added >= 1);

    let second = ctx.run(connection, "tables").await?;
    assert_eq!(second.status, RunStatus::Success);
    let counts = second.counts[&key];
    assert_eq!((counts.added, counts.updated, counts.deleted), (0, 0, 0));

    ctx.emulator
        .admin("CREATE TABLE NANGO_TEST_DB.ANALYTICS.EVENTS (ID NUMBER)")?;
    ctx.emulator
        .admin("DROP TABLE NANGO_TEST_DB.SALES.CUSTOMERS")?;
    let third = ctx.run(connection, "tables").await?;
    let counts = third.counts[&key];
    assert_eq!((counts.added, counts.updated, counts.deleted), (1, 0, 1));
    let records = crate::support::all_records(&ctx.store, connection, "Table").await?;
    let customers = records
        .iter()
        .find(|r| r.external_id == "NANGO_TEST_DB/SALES/CUSTOMERS")
        .expect("a deleted record is kept");
    assert!(customers.deleted_at.is_some());
    assert!(
        customers.payload.is_some(),
        "the payload of a deleted record stays"
    );
    Ok(())
}
