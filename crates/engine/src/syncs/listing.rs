//! The syncs that list objects container by container — `schemas` (by database), `tables` and
//! `views` (by schema) — and the listing of a connection's scope that `columns` shares.
//!
//! Tables and views of a database are listed with one `SHOW … IN DATABASE "<db>" LIMIT 10000`
//! when the database has fewer than 10,000 of them (one call instead of one per schema), else
//! schema by schema with `SHOW … IN SCHEMA`, paged past 10,000 rows. Containers are walked in
//! byte order of (database, schema); see the resume rule in [`super`].

use std::{cmp::Ordering, collections::BTreeMap};

use serde::de::DeserializeOwned;
use serde_json::Value;
use snowgate_snowflake::{Partition, Row};

use super::{id_range, show};
use crate::{
    catalog::{FULL_SCAN, ObjectCheckpoint, ResumePoint, SchemaCheckpoint},
    ids::ObjectKey,
    mapping,
    metadata::Scope,
    sql::{SHOW_ROW_CAP, ShowTarget, quote_ident},
    syncs::context::{RunContext, RunError},
};

/// Tables or views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Objects {
    Tables,
    Views,
}

impl Objects {
    fn in_schema<'a>(self, database: &'a str, schema: &'a str) -> ShowTarget<'a> {
        match self {
            Self::Tables => ShowTarget::Tables { database, schema },
            Self::Views => ShowTarget::Views { database, schema },
        }
    }

    fn in_database(self, database: &str) -> String {
        let what = match self {
            Self::Tables => "TABLES",
            Self::Views => "VIEWS",
        };
        format!(
            "SHOW {what} IN DATABASE {} LIMIT {SHOW_ROW_CAP}",
            quote_ident(database)
        )
    }
}

/// The connection's scope, from its metadata.
pub(super) fn scope(ctx: &RunContext) -> Result<Scope, RunError> {
    Ok(Scope::from_metadata(ctx.metadata())?)
}

/// The checkpoint the run resumes from, read as the sync's checkpoint type; `None` on a fresh
/// run (or a checkpoint of another shape, which then restarts the scan: never skips anything).
pub(super) fn resume<C: ResumePoint + DeserializeOwned>(ctx: &RunContext) -> Option<C> {
    serde_json::from_value(ctx.start_checkpoint()?.clone()).ok()
}

/// Whether the container (database, or database and schema) was finished before the
/// interruption: it sorts before the checkpoint's container (by UTF-8 bytes, part by part), or it
/// is that container and the checkpoint marks it finished with `""` (Nango's own mark).
pub(super) fn finished(checkpoint: Option<&impl ResumePoint>, container: &[&str]) -> bool {
    let Some(checkpoint) = checkpoint else {
        return false;
    };
    let position = checkpoint.position();
    let head = &position[..container.len().min(position.len())];
    match container
        .iter()
        .map(|part| part.as_bytes())
        .cmp(head.iter().map(|part| part.as_bytes()))
    {
        Ordering::Less => true,
        Ordering::Equal => position
            .get(container.len())
            .is_some_and(|rest| rest.is_empty()),
        Ordering::Greater => false,
    }
}

/// The checkpoint of `tables` and `views` once a schema is finished.
fn schema_done(database: &str, schema: &str) -> Value {
    serde_json::to_value(ObjectCheckpoint {
        sync_type: FULL_SCAN.to_owned(),
        database_name: database.to_owned(),
        schema_name: schema.to_owned(),
        name: String::new(),
    })
    .expect("checkpoints serialise")
}

/// Whether an error says a container disappeared (dropped, or no longer visible to the role)
/// between the statement that listed it and the one that opened it. Its objects are then not
/// seen, which is right: they are gone.
pub(super) fn vanished(error: &RunError) -> bool {
    matches!(error, RunError::Snowflake(snowgate_snowflake::Error::Sql { code, .. }) if code == "002003")
}

/// The databases in scope, in byte order (personal databases left out).
pub(super) async fn databases(
    ctx: &mut RunContext,
    scope: &Scope,
) -> Result<Vec<String>, RunError> {
    let mut pages = show(ctx.client(), &ShowTarget::Databases.statement(), true);
    let mut names = Vec::new();
    while let Some(partition) = ctx.next(&mut pages).await? {
        for row in partition.rows() {
            if row.get("kind") == Some(mapping::PERSONAL_DATABASE) {
                continue;
            }
            if let Some(name) = row.get("name").filter(|name| scope.includes_database(name)) {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// The schemas of `database` in scope, in byte order; empty if the database vanished.
pub(super) async fn schemas_in(
    ctx: &mut RunContext,
    database: &str,
    scope: &Scope,
) -> Result<Vec<String>, RunError> {
    let statement = ShowTarget::Schemas { database }.statement();
    let mut pages = show(ctx.client(), &statement, true);
    let mut names = Vec::new();
    loop {
        match ctx.next(&mut pages).await {
            Ok(Some(partition)) => {
                for row in partition.rows() {
                    if let Some(name) = row
                        .get("name")
                        .filter(|s| scope.includes_schema(database, s))
                    {
                        names.push(name.to_owned());
                    }
                }
            }
            Ok(None) => break,
            Err(error) if vanished(&error) => return Ok(Vec::new()),
            Err(error) => return Err(error),
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// One database's tables or views, grouped by schema.
pub(super) struct Grouped {
    partitions: Vec<Partition>,
    by_schema: BTreeMap<String, Vec<(usize, usize)>>,
}

impl Grouped {
    /// The schemas, in byte order, with their rows.
    pub(super) fn schemas(&self) -> impl Iterator<Item = (&str, impl Iterator<Item = Row<'_>>)> {
        self.by_schema.iter().map(|(schema, rows)| {
            let rows = rows
                .iter()
                .filter_map(|&(partition, row)| self.partitions[partition].row(row));
            (schema.as_str(), rows)
        })
    }
}

/// A database's tables or views in one statement, or `Ok(None)` when it has 10,000 or more (or
/// vanished: `Ok(Some)` of nothing).
pub(super) async fn in_database(
    ctx: &mut RunContext,
    objects: Objects,
    database: &str,
) -> Result<Option<Grouped>, RunError> {
    let mut rows = show(ctx.client(), &objects.in_database(database), false);
    let mut partitions = Vec::new();
    let mut count = 0;
    loop {
        match ctx.next(&mut rows).await {
            Ok(Some(partition)) => {
                count += partition.len();
                partitions.push(partition);
            }
            Ok(None) => break,
            Err(error) if vanished(&error) => break,
            Err(error) => return Err(error),
        }
    }
    if count >= SHOW_ROW_CAP {
        return Ok(None);
    }
    let mut by_schema: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for (index, partition) in partitions.iter().enumerate() {
        for (row_index, row) in partition.rows().enumerate() {
            if let Some(schema) = row.get("schema_name") {
                by_schema
                    .entry(schema.to_owned())
                    .or_default()
                    .push((index, row_index));
            }
        }
    }
    Ok(Some(Grouped {
        partitions,
        by_schema,
    }))
}

/// `schemas`: `SHOW SCHEMAS IN DATABASE` for each database in scope; container = database.
pub(super) async fn schemas(ctx: &mut RunContext) -> Result<(), RunError> {
    let scope = scope(ctx)?;
    let resume: Option<SchemaCheckpoint> = resume(ctx);
    let databases = databases(ctx, &scope).await?;
    if databases.iter().any(|d| d.contains('/')) {
        ctx.no_skipping();
    }
    for database in databases {
        if finished(resume.as_ref(), &[&database]) {
            continue;
        }
        let statement = ShowTarget::Schemas {
            database: &database,
        }
        .statement();
        let mut pages = show(ctx.client(), &statement, true);
        let mut partitions = Vec::new();
        loop {
            match ctx.next(&mut pages).await {
                Ok(Some(partition)) => partitions.push(partition),
                Ok(None) => break,
                Err(error) if vanished(&error) => break,
                Err(error) => return Err(error),
            }
        }
        // The rows in the connection's scope: a change of scope changes the digest too.
        let rows: Vec<Row<'_>> = partitions
            .iter()
            .flat_map(Partition::rows)
            .filter(|row| {
                row.get("name")
                    .is_none_or(|name| scope.includes_schema(&database, name))
            })
            .collect();
        let unchanged = ctx.skip_unchanged(
            &quote_ident(&database),
            [],
            rows.iter().cloned(),
            id_range(&[&database], '/'),
        );
        if !unchanged {
            for row in &rows {
                match mapping::schema(row, &database) {
                    Ok(Some(schema)) => {
                        let key = ObjectKey::Schema {
                            database: &schema.database_name,
                            schema: &schema.name,
                        };
                        ctx.add(&schema, key).await?;
                    }
                    Ok(None) => {}
                    Err(problem) => ctx.problem(problem.into())?,
                }
            }
        }
        let done = SchemaCheckpoint {
            sync_type: FULL_SCAN.to_owned(),
            database_name: database.clone(),
            name: String::new(),
        };
        ctx.set_checkpoint(serde_json::to_value(done).expect("checkpoints serialise"));
    }
    Ok(())
}

/// `tables`.
pub(super) async fn tables(ctx: &mut RunContext) -> Result<(), RunError> {
    walk(ctx, Objects::Tables).await
}

/// `views`.
pub(super) async fn views(ctx: &mut RunContext) -> Result<(), RunError> {
    walk(ctx, Objects::Views).await
}

async fn add_object(
    ctx: &mut RunContext,
    objects: Objects,
    row: &Row<'_>,
    database: &str,
    schema: &str,
) -> Result<(), RunError> {
    match objects {
        Objects::Tables => match mapping::table(row, database, schema) {
            Ok(table) => {
                let key = ObjectKey::Table {
                    database,
                    schema,
                    table: &table.name,
                };
                ctx.add(&table, key).await
            }
            Err(problem) => ctx.problem(problem.into()),
        },
        Objects::Views => match mapping::view(row, database, schema) {
            Ok(view) => {
                let key = ObjectKey::View {
                    database: &view.database_name,
                    schema: &view.schema_name,
                    view: &view.name,
                };
                ctx.add(&view, key).await
            }
            Err(problem) => ctx.problem(problem.into()),
        },
    }
}

/// One schema's tables or views (paged) into records; a vanished schema has none. The schema's
/// pages are read before its records are made, so that an unchanged schema is skipped.
async fn stream_schema(
    ctx: &mut RunContext,
    objects: Objects,
    database: &str,
    schema: &str,
) -> Result<(), RunError> {
    let statement = objects.in_schema(database, schema).statement();
    let mut pages = show(ctx.client(), &statement, true);
    let mut partitions = Vec::new();
    loop {
        match ctx.next(&mut pages).await {
            Ok(Some(partition)) => partitions.push(partition),
            Ok(None) => break,
            Err(error) if vanished(&error) => break,
            Err(error) => return Err(error),
        }
    }
    let rows: Vec<Row<'_>> = partitions.iter().flat_map(Partition::rows).collect();
    add_schema_objects(ctx, objects, &rows, database, schema).await
}

/// A schema's rows of tables or views into records, unless they are what the last successful run
/// read (see [`RunContext::skip_unchanged`]).
async fn add_schema_objects(
    ctx: &mut RunContext,
    objects: Objects,
    rows: &[Row<'_>],
    database: &str,
    schema: &str,
) -> Result<(), RunError> {
    let (separator, model) = match objects {
        Objects::Tables => ('/', "tables"),
        Objects::Views => ('.', "views"),
    };
    let scope = format!("{model} {}.{}", quote_ident(database), quote_ident(schema));
    let range = id_range(&[database, schema], separator);
    if ctx.skip_unchanged(&scope, [], rows.iter().cloned(), range) {
        return Ok(());
    }
    for row in rows {
        add_object(ctx, objects, row, database, schema).await?;
    }
    Ok(())
}

async fn walk(ctx: &mut RunContext, objects: Objects) -> Result<(), RunError> {
    let scope = scope(ctx)?;
    let resume: Option<ObjectCheckpoint> = resume(ctx);
    let resume = resume.as_ref();
    if let Some(pairs) = scope.explicit_schemas() {
        for (database, schema) in pairs {
            if !finished(resume, &[&database, &schema]) {
                stream_schema(ctx, objects, &database, &schema).await?;
                ctx.set_checkpoint(schema_done(&database, &schema));
            }
        }
        return Ok(());
    }
    let databases = databases(ctx, &scope).await?;
    let separator = match objects {
        Objects::Tables => '/',
        Objects::Views => '.',
    };
    if databases.iter().any(|d| d.contains(separator)) {
        ctx.no_skipping();
    }
    for database in databases {
        if finished(resume, &[&database]) {
            continue;
        }
        match in_database(ctx, objects, &database).await? {
            Some(grouped) => {
                for (schema, rows) in grouped.schemas() {
                    if !scope.includes_schema(&database, schema)
                        || finished(resume, &[&database, schema])
                    {
                        continue;
                    }
                    let rows: Vec<Row<'_>> = rows.collect();
                    add_schema_objects(ctx, objects, &rows, &database, schema).await?;
                    ctx.set_checkpoint(schema_done(&database, schema));
                }
            }
            None => {
                for schema in schemas_in(ctx, &database, &scope).await? {
                    if !finished(resume, &[&database, &schema]) {
                        stream_schema(ctx, objects, &database, &schema).await?;
                        ctx.set_checkpoint(schema_done(&database, &schema));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ColumnsCheckpoint, NameCheckpoint};

    fn object(database: &str, schema: &str, name: &str) -> ObjectCheckpoint {
        ObjectCheckpoint {
            sync_type: FULL_SCAN.into(),
            database_name: database.into(),
            schema_name: schema.into(),
            name: name.into(),
        }
    }

    #[test]
    fn finished_containers_sort_before_the_checkpoint_or_are_marked_done() {
        let done = object("DB", "S2", "");
        let done = Some(&done);
        assert!(finished(done, &["DB", "S1"]));
        assert!(finished(done, &["DB", "S2"]), "\"\" marks S2 finished");
        assert!(!finished(done, &["DB", "S3"]));
        assert!(finished(done, &["A", "Z"]));
        assert!(!finished(done, &["DB_2", "A"]));
        // Byte order, not locale order: lower case sorts after upper case.
        assert!(!finished(done, &["DB", "s1"]));
        // The database holding the checkpoint is not finished: its later schemas remain.
        assert!(!finished(done, &["DB"]));
        assert!(finished(done, &["CB"]));
        assert!(!finished(None::<&ObjectCheckpoint>, &["ANY"]));
        // A Nango checkpoint inside a schema: that schema is redone, never skipped.
        let inside = object("DB", "S2", "T5");
        assert!(!finished(Some(&inside), &["DB", "S2"]));
        assert!(finished(Some(&inside), &["DB", "S1"]));
        let schemas = SchemaCheckpoint {
            sync_type: FULL_SCAN.into(),
            database_name: "DB".into(),
            name: String::new(),
        };
        assert!(finished(Some(&schemas), &["DB"]));
        assert!(!finished(Some(&schemas), &["DC"]));
        let columns = ColumnsCheckpoint {
            database: "DB".into(),
            schema: "S".into(),
            table: String::new(),
            column_name: String::new(),
        };
        assert!(finished(Some(&columns), &["DB", "S"]));
        let _ = NameCheckpoint {
            sync_type: FULL_SCAN.into(),
            name: String::new(),
        };
    }
}
