//! Resyncs that cost what changed: a `columns` run skips every schema whose tables and SHOW
//! COLUMNS answer are what the last successful run read (and `tables` every schema whose SHOW
//! TABLES rows are), and still ends with exactly the records,
//! deletes and counts of a full processing — after no change, an added column, a dropped table, a
//! dropped schema, a reset — and deletes nothing of the schemas it skipped; and under random DDL
//! between runs, a connection that skips and one that processes everything always agree.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use snowgate_emulator::account::GenerateSpec;
use snowgate_engine::TriggerOpts;
use snowgate_store::{Run, RunStatus, Store};

use crate::support::{Ctx, all_records, engine_config, engine_tests};

engine_tests!(
    unchanged_schemas_are_skipped_and_records_stay_exact,
    skipping_and_full_processing_agree_under_random_ddl,
    names_holding_the_id_separator_turn_skipping_off
);

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

    // `tables` skips a schema whose SHOW TABLES rows did not change; a new table is one record.
    let first_tables = summary(&ctx, &ctx.run(connection, "tables").await?).await?;
    assert_eq!(first_tables["unchanged_scopes"], 0, "{first_tables}");
    let tables = ctx.records(connection, "Table").await?;
    let second_tables = summary(&ctx, &ctx.run(connection, "tables").await?).await?;
    assert_eq!(second_tables["unchanged_scopes"], 5, "{second_tables}");
    assert_eq!(ctx.records(connection, "Table").await?, tables);
    ctx.emulator
        .admin("CREATE TABLE GEN_DB_0002.SCHEMA_0002.FRESH (ID NUMBER)")?;
    let third_tables = summary(&ctx, &ctx.run(connection, "tables").await?).await?;
    assert_eq!(third_tables["unchanged_scopes"], 4, "{third_tables}");
    assert_eq!(
        (&third_tables["added"], &third_tables["deleted"]),
        (&json!(1), &json!(0))
    );
    assert_eq!(
        ctx.records(connection, "Table").await?.len(),
        tables.len() + 1
    );
    Ok(())
}

/// A small deterministic generator (the test needs no randomness crate).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Random DDL between runs: a connection whose runs skip unchanged schemas and one whose runs
/// process everything (`reset`) end every round with the same live records and the same counts.
async fn skipping_and_full_processing_agree_under_random_ddl(
    url: Option<String>,
) -> anyhow::Result<()> {
    let spec = GenerateSpec {
        databases: 2,
        schemas: 3,
        tables: 3,
        columns: 3,
        ..GenerateSpec::default()
    };
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&spec).unwrap()
    })
    .await?;
    let skipping = ctx.connect("skipping", json!({})).await?;
    let full = ctx.connect("full", json!({})).await?;
    let reset = TriggerOpts {
        reset: true,
        empty_cache: false,
    };
    let mut rng = Lcg(7);
    let mut created = 0;
    let mut applied = 0;
    for round in 0..12 {
        let a = summary(&ctx, &ctx.run(skipping, "columns").await?).await?;
        let b = summary(&ctx, &ctx.run_with(full, "columns", reset).await?).await?;
        for count in ["added", "updated", "deleted"] {
            assert_eq!(a[count], b[count], "round {round}: {count}: {a} vs {b}");
        }
        assert_eq!(
            ctx.records(skipping, "Column").await?,
            ctx.records(full, "Column").await?,
            "round {round}"
        );
        let a_tables = summary(&ctx, &ctx.run(skipping, "tables").await?).await?;
        let b_tables = summary(&ctx, &ctx.run_with(full, "tables", reset).await?).await?;
        for count in ["added", "updated", "deleted"] {
            assert_eq!(
                a_tables[count], b_tables[count],
                "round {round}: tables {count}"
            );
        }
        assert_eq!(
            ctx.records(skipping, "Table").await?,
            ctx.records(full, "Table").await?,
            "round {round}"
        );
        if round > 0 {
            assert!(
                a["unchanged_scopes"].as_u64().unwrap() > 0,
                "round {round}: {a}"
            );
        }
        // One to three changes somewhere.
        for _ in 0..=rng.below(3) {
            let (d, s, t) = (rng.below(2) + 1, rng.below(3) + 1, rng.below(3) + 1);
            let table = format!("GEN_DB_{d:04}.SCHEMA_{s:04}.TABLE_{t:04}");
            created += 1;
            let ddl = match rng.below(6) {
                0 => format!("ALTER TABLE {table} ADD COLUMN X{created} NUMBER(5,0)"),
                1 => format!("ALTER TABLE {table} DROP COLUMN COL_0001"),
                2 => format!("ALTER TABLE {table} RENAME COLUMN COL_0002 TO R{created}"),
                3 => format!("DROP TABLE {table}"),
                4 => format!(
                    "CREATE TABLE GEN_DB_{d:04}.SCHEMA_{s:04}.NEW_{created} (A NUMBER, B VARCHAR(3))"
                ),
                _ => format!("DROP SCHEMA GEN_DB_{d:04}.SCHEMA_{s:04}"),
            };
            // A change of something already gone is refused; the next one may work.
            applied += usize::from(ctx.emulator.admin(&ddl).is_ok());
        }
    }
    assert!(applied >= 10, "only {applied} changes applied");
    Ok(())
}

/// Ids join names with `.`: the columns of `"DB"."S.X"` fall in the id range of `"DB"."S"`. While
/// such a name exists nothing is skipped, and its records are deleted exactly when it goes.
async fn names_holding_the_id_separator_turn_skipping_off(
    url: Option<String>,
) -> anyhow::Result<()> {
    let spec = GenerateSpec {
        databases: 1,
        schemas: 2,
        tables: 1,
        columns: 2,
        ..GenerateSpec::default()
    };
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&spec).unwrap()
    })
    .await?;
    let connection = ctx.connect("dotted", json!({})).await?;
    ctx.run(connection, "columns").await?;
    let skipping = summary(&ctx, &ctx.run(connection, "columns").await?).await?;
    assert_eq!(skipping["unchanged_scopes"], 2, "{skipping}");

    // A schema named "SCHEMA_0001.X": its column ids start with GEN_DB_0001.SCHEMA_0001.
    ctx.emulator.admin(
        "CREATE SCHEMA GEN_DB_0001.\"SCHEMA_0001.X\"; \
         CREATE TABLE GEN_DB_0001.\"SCHEMA_0001.X\".T (A NUMBER)",
    )?;
    for _ in 0..2 {
        let run = summary(&ctx, &ctx.run(connection, "columns").await?).await?;
        assert_eq!(run["unchanged_scopes"], 0, "{run}");
    }
    assert!(
        ctx.records(connection, "Column")
            .await?
            .contains_key("GEN_DB_0001.SCHEMA_0001.X.T.A")
    );
    // It goes: its column is deleted (the run that sees it gone skips nothing either).
    ctx.emulator
        .admin("DROP SCHEMA GEN_DB_0001.\"SCHEMA_0001.X\"")?;
    let gone = summary(&ctx, &ctx.run(connection, "columns").await?).await?;
    assert_eq!(
        (&gone["unchanged_scopes"], &gone["deleted"]),
        (&json!(0), &json!(1)),
        "{gone}"
    );
    assert!(
        !ctx.records(connection, "Column")
            .await?
            .contains_key("GEN_DB_0001.SCHEMA_0001.X.T.A")
    );
    let again = summary(&ctx, &ctx.run(connection, "columns").await?).await?;
    assert_eq!(again["unchanged_scopes"], 2, "{again}");
    Ok(())
}
