//! SELECT, INSERT, UPDATE and DELETE: parsed with `sqlparser` (Snowflake dialect), resolved
//! against the catalog by Snowflake's identifier rules, typed the way Snowflake types results
//! (the `rowType`), compiled to SQLite SQL over the tables' storage and run there, rows streaming
//! into the sink. What cannot be run faithfully answers a Snowflake error, never a wrong result.
//!
//! The catalog lock is held only while compiling; waits (`SYSTEM$WAIT`) and SQLite run without it.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use rusqlite::types::Value;
use sqlparser::ast::Statement;

use super::{
    Account,
    catalog::{Catalog, Table, TableColumn},
    lookup::*,
    storage::{Storage, sql_error, watch},
    types::{SfType, encode},
};
use crate::exec::{Bindings, DmlStats, Outcome, RowSink, Session, SqlError};

mod compiler;
mod dml;
mod expressions;
mod functions;
mod relations;

use self::compiler::{Compiler, DmlKind, Output, Plan, parse, statement_kind};

/// Runs one SELECT or DML statement.
pub fn run(
    account: &Account,
    session: &mut Session,
    sql: &str,
    bindings: &Bindings,
    sink: &mut dyn RowSink,
) -> Result<Outcome, SqlError> {
    let statement = parse(sql)?;
    let plan = {
        let catalog = account.read();
        let mut compiler = Compiler::new(account, &catalog, session, bindings);
        let plan = match &statement {
            Statement::Query(query) => {
                let (sql, columns) = compiler.query(query, &[])?;
                Plan::Select { sql, columns }
            }
            Statement::Insert(insert) => compiler.insert(insert)?,
            Statement::Update(update) => compiler.update(update)?,
            Statement::Delete(delete) => compiler.delete(delete)?,
            _ => return Err(unsupported(&statement_kind(sql))),
        };
        (plan, compiler.finish())
    };
    let (plan, parts) = plan;
    for wait in &parts.waits {
        sleep(*wait, session)?;
    }
    account.storage.with(|conn| {
        for table in &parts.tables {
            Storage::ensure(conn, table)?;
        }
        for info in &parts.info_tables {
            info.materialize(conn)?;
        }
        watch(conn, &session.cancel)?;
        let result = match &plan {
            Plan::Select { sql, columns } => {
                select(conn, sql, &parts.params, columns, session, sink)
                    .map(|()| Outcome::default())
            }
            Plan::Dml {
                sql,
                kind,
                table,
                identity_step,
            } => dml(conn, sql, &parts.params, *kind, table, *identity_step, sink),
        };
        for info in &parts.info_tables {
            let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{}", info.name));
        }
        result
    })
}

/// Compiles a query without running it: the number of columns it returns (CREATE VIEW checks).
pub fn describe(account: &Account, session: &Session, query: &str) -> Result<usize, SqlError> {
    Ok(compile_columns(account, &account.read(), session, query)?.len())
}

/// The columns of view `db.schema.name`, as DESCRIBE VIEW and SHOW COLUMNS show them, with
/// the catalog the caller already holds.
pub fn view_columns(
    account: &Account,
    catalog: &Catalog,
    session: &Session,
    (db, schema, name): (&str, &str, &str),
) -> Result<Vec<TableColumn>, SqlError> {
    let mut view_session = session.clone();
    view_session.database = Some(db.to_owned());
    view_session.schema = Some(schema.to_owned());
    let quoted = format!("SELECT * FROM \"{}\"", name.replace('"', "\"\""));
    query_columns(account, catalog, &view_session, &quoted)
}

/// The columns a query returns, as table columns (CREATE TABLE … AS SELECT, views).
pub fn query_columns(
    account: &Account,
    catalog: &Catalog,
    session: &Session,
    query: &str,
) -> Result<Vec<TableColumn>, SqlError> {
    Ok(compile_columns(account, catalog, session, query)?
        .into_iter()
        .map(|c| TableColumn {
            name: c.name,
            ty: c.ty,
            default: None,
            identity: None,
            comment: String::new(),
            slot: 0,
        })
        .collect())
}

fn compile_columns(
    account: &Account,
    catalog: &Catalog,
    session: &Session,
    query: &str,
) -> Result<Vec<Output>, SqlError> {
    let Statement::Query(parsed) = parse(query)? else {
        return Err(unsupported("a view that is not a query"));
    };
    let bindings = Bindings::new();
    let mut compiler = Compiler::new(account, catalog, session, &bindings);
    compiler.describing = true;
    Ok(compiler.query(&parsed, &[])?.1)
}

/// Sleeps for `SYSTEM$WAIT`, in small steps, stopping when the statement is cancelled.
fn sleep(duration: Duration, session: &Session) -> Result<(), SqlError> {
    let until = Instant::now() + duration;
    loop {
        if session.cancel.is_cancelled() {
            return Err(SqlError::cancelled());
        }
        let now = Instant::now();
        if now >= until {
            return Ok(());
        }
        std::thread::sleep((until - now).min(Duration::from_millis(10)));
    }
}

fn select(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
    columns: &[Output],
    session: &Session,
    sink: &mut dyn RowSink,
) -> Result<(), SqlError> {
    let mut statement = conn.prepare(sql).map_err(sql_error)?;
    let row_type: Vec<_> = columns
        .iter()
        .map(|c| c.ty.column(&c.name, c.origin.as_ref()))
        .collect();
    let mut rows = statement
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(sql_error)?;
    sink.columns(&row_type);
    let mut buffers = vec![String::new(); columns.len()];
    let mut present = vec![false; columns.len()];
    while let Some(row) = rows.next().map_err(sql_error)? {
        for (i, column) in columns.iter().enumerate() {
            present[i] = encode(
                row.get_ref(i).map_err(sql_error)?,
                &column.ty,
                &mut buffers[i],
            );
        }
        let cell = |i: usize| present[i].then_some(buffers[i].as_str());
        // Most results are narrow: their cells go on the stack instead of a new Vec per row.
        const NARROW: usize = 32;
        if columns.len() <= NARROW {
            let mut cells = [None; NARROW];
            for (i, slot) in cells.iter_mut().enumerate().take(columns.len()) {
                *slot = cell(i);
            }
            sink.row(&cells[..columns.len()]);
        } else {
            let cells: Vec<Option<&str>> = (0..columns.len()).map(cell).collect();
            sink.row(&cells);
        }
        if session.cancel.is_cancelled() {
            return Err(SqlError::cancelled());
        }
    }
    Ok(())
}

fn dml(
    conn: &mut rusqlite::Connection,
    sql: &str,
    params: &[Value],
    kind: DmlKind,
    table: &Arc<Table>,
    identity_step: Option<i64>,
    sink: &mut dyn RowSink,
) -> Result<Outcome, SqlError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sql_error)?;
    let mut params = params.to_vec();
    if identity_step.is_some() {
        // Inside the write transaction, so concurrent inserts never share identity values.
        params.push(Value::Integer(table.identity_next.load(Ordering::Acquire)));
    }
    let changed = tx
        .execute(sql, rusqlite::params_from_iter(params.iter()))
        .map_err(sql_error)? as u64;
    if let Some(step) = identity_step {
        table
            .identity_next
            .fetch_add(step * changed as i64, Ordering::AcqRel);
    }
    tx.commit().map_err(sql_error)?;
    let count = changed.to_string();
    let mut stats = DmlStats::default();
    let number = SfType::fixed(19, 0).not_null();
    match kind {
        DmlKind::Insert => {
            table.rows.fetch_add(changed as i64, Ordering::Relaxed);
            stats.num_rows_inserted = changed;
            sink.columns(&[number.column("number of rows inserted", None)]);
            sink.row(&[Some(&count)]);
        }
        DmlKind::Update => {
            stats.num_rows_updated = changed;
            sink.columns(&[
                number.column("number of rows updated", None),
                number.column("number of multi-joined rows updated", None),
            ]);
            sink.row(&[Some(&count), Some("0")]);
        }
        DmlKind::Delete => {
            table.rows.fetch_sub(changed as i64, Ordering::Relaxed);
            stats.num_rows_deleted = changed;
            sink.columns(&[number.column("number of rows deleted", None)]);
            sink.row(&[Some(&count)]);
        }
    }
    Ok(Outcome {
        stats: (changed > 0).then_some(stats),
    })
}
