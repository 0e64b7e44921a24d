//! Resyncs that cost what changed: a `columns` run skips every schema whose tables and SHOW
//! COLUMNS answer are what the last successful run read, and still ends with exactly the records,
//! deletes and counts of a full processing — after no change, an added column, a dropped table, a
//! dropped schema, a reset — and deletes nothing of the schemas it skipped.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use snowgate_emulator::account::GenerateSpec;
use snowgate_engine::TriggerOpts;
use snowgate_store::{Run, RunStatus, Store};

use crate::support::{Ctx, all_records, engine_config, engine_tests};

engine_tests!(unchanged_schemas_are_skipped_and_records_stay_exact);

/// The run's operation summary.
async fn summary(ctx: &Ctx, run: &Run) -> anyhow::Result<Value> {
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let operation = ctx
        .store
        .operation(run.operation.as_deref().expect("an operation"))
        .await?
        .expect("the operation exists");
    Ok(operation.summary.expect("a summary"))
}

/// Every Column record: id → (sequence, last action, deleted).
async fn state(
    ctx: &Ctx,
    connection: snowgate_store::ConnectionPk,
) -> anyhow::Result<BTreeMap<String, (i64, String, bool)>> {
    Ok(all_records(&ctx.store, connection, "Column")
        .await?
        .into_iter()
        .map(|r| {
            (
                r.external_id,
                (
                    r.cursor.seq,
                    r.last_action.as_str().to_owned(),
                    r.deleted_at.is_some(),
                ),
            )
        })
        .collect())
}

async fn unchanged_schemas_are_skipped_and_records_stay_exact(
    url: Option<String>,
) -> anyhow::Result<()> {
    let spec = GenerateSpec {
        databases: 2,
        schemas: 3,
        tables: 2,
        columns: 3,
        ..GenerateSpec::default()
    };
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&spec).unwrap()
    })
    .await?;
    let connection = ctx.connect("unchanged", json!({})).await?;
    let first = ctx.run(connection, "columns").await?;
    let first_summary = summary(&ctx, &first).await?;
    assert_eq!(first_summary["added"], 36, "{first_summary}");
    assert_eq!(first_summary["unchanged_scopes"], 0);
    let records = ctx.records(connection, "Column").await?;
    let before = state(&ctx, connection).await?;

    // Nothing changed: every schema skipped, nothing written, nothing deleted.
    let second = ctx.run(connection, "columns").await?;
    let second_summary = summary(&ctx, &second).await?;
    assert_eq!(second_summary["unchanged_scopes"], 6, "{second_summary}");
    assert_eq!(
        (
            &second_summary["added"],
            &second_summary["updated"],
            &second_summary["deleted"]
        ),
        (&json!(0), &json!(0), &json!(0))
    );
    assert_eq!(ctx.records(connection, "Column").await?, records);
    assert_eq!(
        state(&ctx, connection).await?,
        before,
        "no record was touched"
    );

    // One column added in one schema: one ADDED record, the other schemas skipped.
    ctx.emulator
        .admin("ALTER TABLE GEN_DB_0001.SCHEMA_0002.TABLE_0001 ADD COLUMN NOTE VARCHAR(10)")?;
    let third = ctx.run(connection, "columns").await?;
    let third_summary = summary(&ctx, &third).await?;
    assert_eq!(third_summary["unchanged_scopes"], 5, "{third_summary}");
    assert_eq!(
        (
            &third_summary["added"],
            &third_summary["updated"],
            &third_summary["deleted"]
        ),
        (&json!(1), &json!(0), &json!(0))
    );
    let after = state(&ctx, connection).await?;
    let changed: Vec<_> = after
        .iter()
        .filter(|(id, value)| before.get(*id) != Some(value))
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].0, "GEN_DB_0001.SCHEMA_0002.TABLE_0001.NOTE");
    assert_eq!(changed[0].1.1, "ADDED");

    // A table dropped in one schema, a whole schema dropped in another database: exactly their
    // columns are deleted; the skipped schemas lose nothing.
    ctx.emulator.admin(
        "DROP TABLE GEN_DB_0001.SCHEMA_0003.TABLE_0002; DROP SCHEMA GEN_DB_0002.SCHEMA_0001",
    )?;
    let fourth = ctx.run(connection, "columns").await?;
    let fourth_summary = summary(&ctx, &fourth).await?;
    assert_eq!(fourth_summary["unchanged_scopes"], 4, "{fourth_summary}");
    assert_eq!(fourth_summary["deleted"], 3 + 6, "{fourth_summary}");
    let live = ctx.records(connection, "Column").await?;
    assert_eq!(live.len(), 37 - 9);
    assert!(
        live.keys()
            .all(|id| !id.starts_with("GEN_DB_0001.SCHEMA_0003.TABLE_0002.")
                && !id.starts_with("GEN_DB_0002.SCHEMA_0001."))
    );

    // A reset reads everything again, and finds nothing to change.
    let reset = ctx
        .run_with(
            connection,
            "columns",
            TriggerOpts {
                reset: true,
                empty_cache: false,
            },
        )
        .await?;
    let reset_summary = summary(&ctx, &reset).await?;
    assert_eq!(reset_summary["unchanged_scopes"], 0, "{reset_summary}");
    assert_eq!(reset_summary["unchanged"], live.len(), "{reset_summary}");
    assert_eq!(ctx.records(connection, "Column").await?, live);
    // And the run after it skips again.
    let again = summary(&ctx, &ctx.run(connection, "columns").await?).await?;
    assert_eq!(again["unchanged_scopes"], 5, "{again}");
    Ok(())
}
