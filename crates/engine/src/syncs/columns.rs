//! `columns`: one `SHOW COLUMNS IN SCHEMA` per schema that has tables (never two calls per
//! table), a few in flight at once, rows grouped by table and filtered to the tables the listing
//! found (the output also holds views' columns).
//!
//! `SHOW COLUMNS` stops silently at 10,000 rows. A schema whose statement returns that many is
//! listed again table by table (`SHOW COLUMNS IN TABLE`), so no column is missed; a table whose own
//! listing reaches the cap fails the run rather than losing columns. (`INFORMATION_SCHEMA.COLUMNS`
//! is not used: it has no `data_type` JSON, so its records could not equal the SHOW-based ones.)

use std::collections::{HashMap, HashSet};

use futures::{StreamExt, stream};
use snowgate_snowflake::{Client, Partition, Statement};

use super::{
    id_range,
    listing::{self, Objects, finished},
    show,
};
use crate::{
    catalog::ColumnsCheckpoint,
    ids::ObjectKey,
    mapping,
    sql::{SHOW_ROW_CAP, ShowTarget, quote_ident},
    syncs::context::{RunContext, RunError},
};

/// One schema to list, with its tables in listing order.
struct SchemaTables {
    database: String,
    schema: String,
    tables: Vec<String>,
}

/// One schema's SHOW COLUMNS output.
struct Fetched {
    work: SchemaTables,
    partitions: Vec<Partition>,
}

pub(super) async fn run(ctx: &mut RunContext) -> Result<(), RunError> {
    let scope = listing::scope(ctx)?;
    let resume: Option<ColumnsCheckpoint> = listing::resume(ctx);
    let resume = resume.as_ref();
    let mut work = Vec::new();
    let mut push = |database: &str, schema: &str, tables: Vec<String>| {
        if !tables.is_empty() && !finished(resume, &[database, schema]) {
            work.push(SchemaTables {
                database: database.to_owned(),
                schema: schema.to_owned(),
                tables,
            });
        }
    };
    match scope.explicit_schemas() {
        Some(pairs) => {
            for (database, schema) in pairs {
                if !finished(resume, &[&database, &schema]) {
                    let tables = tables_of(ctx, &database, &schema).await?;
                    push(&database, &schema, tables);
                }
            }
        }
        None => {
            for database in listing::databases(ctx, &scope).await? {
                if finished(resume, &[&database]) {
                    continue;
                }
                match listing::in_database(ctx, Objects::Tables, &database).await? {
                    Some(grouped) => {
                        for (schema, rows) in grouped.schemas() {
                            if scope.includes_schema(&database, schema) {
                                let tables = rows
                                    .filter_map(|row| row.get("name").map(str::to_owned))
                                    .collect();
                                push(&database, schema, tables);
                            }
                        }
                    }
                    None => {
                        for schema in listing::schemas_in(ctx, &database, &scope).await? {
                            if !finished(resume, &[&database, &schema]) {
                                let tables = tables_of(ctx, &database, &schema).await?;
                                push(&database, &schema, tables);
                            }
                        }
                    }
                }
            }
        }
    }
    work.sort_by(|a, b| (&a.database, &a.schema).cmp(&(&b.database, &b.schema)));
    if work
        .iter()
        .any(|w| id_range(&[&w.database, &w.schema], '.').is_none())
    {
        ctx.no_skipping();
    }

    let client = ctx.client().clone();
    let mut fetched = stream::iter(work)
        .map(|work| fetch(client.clone(), work))
        .buffered(ctx.show_concurrency());
    while let Some(schema) = ctx
        .until_stopped(async { Ok(fetched.next().await) })
        .await?
    {
        let Fetched { work, partitions } = schema?;
        let done = ColumnsCheckpoint {
            database: work.database.clone(),
            schema: work.schema.clone(),
            table: String::new(),
            column_name: String::new(),
        };
        let done = serde_json::to_value(done).expect("checkpoints serialise");
        if unchanged(ctx, &work, &partitions) {
            ctx.set_checkpoint(done);
            continue;
        }
        let tables: HashSet<&str> = work.tables.iter().map(String::as_str).collect();
        let mut ordinals: HashMap<String, u32> = HashMap::new();
        for partition in &partitions {
            for row in partition.rows() {
                let Some(table) = row.get("table_name").filter(|t| tables.contains(t)) else {
                    continue;
                };
                let ordinal = ordinals.entry(table.to_owned()).or_insert(0);
                *ordinal += 1;
                match mapping::column(&row, &work.database, &work.schema, table, *ordinal) {
                    Ok(column) => {
                        let key = ObjectKey::Column {
                            database: &work.database,
                            schema: &work.schema,
                            table,
                            column: &column.column_name,
                        };
                        ctx.add(&column, key).await?;
                    }
                    Err(problem) => ctx.problem(problem.into())?,
                }
            }
        }
        ctx.set_checkpoint(done);
    }
    Ok(())
}

/// Whether a schema's tables and SHOW COLUMNS answer are what the last successful run read, in
/// which case its records (ids `DB.SCHEMA.…`) count as seen without being mapped, validated or
/// hashed again.
fn unchanged(ctx: &mut RunContext, work: &SchemaTables, partitions: &[Partition]) -> bool {
    let scope = format!(
        "{}.{}",
        quote_ident(&work.database),
        quote_ident(&work.schema)
    );
    ctx.skip_unchanged(
        &scope,
        work.tables.iter().map(String::as_str),
        partitions.iter().flat_map(Partition::rows),
        id_range(&[&work.database, &work.schema], '.'),
    )
}

/// The tables of one schema (paged SHOW TABLES), in listing order; none if it vanished.
async fn tables_of(
    ctx: &mut RunContext,
    database: &str,
    schema: &str,
) -> Result<Vec<String>, RunError> {
    let statement = ShowTarget::Tables { database, schema }.statement();
    let mut pages = show(ctx.client(), &statement, true);
    let mut tables = Vec::new();
    loop {
        match ctx.next(&mut pages).await {
            Ok(Some(partition)) => {
                tables.extend(
                    partition
                        .rows()
                        .filter_map(|row| row.get("name").map(str::to_owned)),
                );
            }
            Ok(None) => return Ok(tables),
            Err(error) if listing::vanished(&error) => return Ok(Vec::new()),
            Err(error) => return Err(error),
        }
    }
}

async fn all_rows(client: &Client, statement: String) -> Result<(Vec<Partition>, usize), RunError> {
    let partitions = match client.query(&Statement::new(statement)).await {
        Ok(result) => result.collect().await?,
        Err(error) => {
            let error = RunError::from(error);
            if listing::vanished(&error) {
                return Ok((Vec::new(), 0));
            }
            return Err(error);
        }
    };
    let rows = partitions.iter().map(Partition::len).sum();
    Ok((partitions, rows))
}

/// Lists one schema's columns, falling back to one statement per table past the row cap.
async fn fetch(client: Client, work: SchemaTables) -> Result<Fetched, RunError> {
    let statement = ShowTarget::SchemaColumns {
        database: &work.database,
        schema: &work.schema,
    }
    .statement();
    let (partitions, rows) = all_rows(&client, statement).await?;
    if rows < SHOW_ROW_CAP {
        return Ok(Fetched { work, partitions });
    }
    tracing::info!(database = %work.database, schema = %work.schema, tables = work.tables.len(), "SHOW COLUMNS IN SCHEMA reached 10,000 rows; listing the schema's tables one by one");
    let mut partitions = Vec::new();
    for table in &work.tables {
        let statement = ShowTarget::TableColumns {
            database: &work.database,
            schema: &work.schema,
            table,
        }
        .statement();
        let (table_partitions, rows) = all_rows(&client, statement).await?;
        if rows >= SHOW_ROW_CAP {
            return Err(RunError::Invalid(format!(
                "table {}.{}.{} has 10,000 columns or more, which SHOW COLUMNS cannot list completely; exclude its schema from the columns sync's scope",
                work.database, work.schema, table
            )));
        }
        partitions.extend(table_partitions);
    }
    Ok(Fetched { work, partitions })
}
