//! Table rows, in an embedded SQLite database in a private temporary directory (WAL mode, so
//! long reads never block other sessions). Connections come from a small pool; each has the
//! `sf_cast` function that converts between Snowflake types' storage forms (see `types`).
//!
//! A table's SQLite table `t<id>` with columns `c0, c1, …` is created on first use, so a
//! generated account with 100,000 tables costs nothing here until it is queried.

use std::{
    path::PathBuf,
    sync::{Mutex, atomic::Ordering},
};

use rusqlite::{
    Connection, OpenFlags,
    functions::{Context, FunctionFlags},
    types::ValueRef,
};

use super::{
    catalog::Table,
    dates::{self, Part},
    types::{SfType, convert, store, tz_parts},
};
use crate::exec::{CancelFlag, SqlError};

/// A conversion between storage forms (`types::convert`, `types::store`).
type Conversion = fn(ValueRef<'_>, &SfType, &SfType) -> Result<rusqlite::types::Value, SqlError>;

/// The SQLite side of an account.
#[derive(Debug)]
pub struct Storage {
    _dir: tempfile::TempDir,
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
}

/// Connections kept for reuse; more may be open at once while many statements run.
const POOL_SIZE: usize = 8;

impl Storage {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("snowgate-emulator-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create the emulator's temporary directory: {e}"));
        let path = dir.path().join("rows.sqlite");
        Self {
            _dir: dir,
            path,
            pool: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` with a pooled connection.
    pub fn with<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, SqlError>,
    ) -> Result<R, SqlError> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = f(&mut conn);
        let reset = conn.progress_handler(0, None::<fn() -> bool>).is_ok();
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if reset && pool.len() < POOL_SIZE && conn.is_autocommit() {
            pool.push(conn);
        }
        result
    }

    fn open(&self) -> Result<Connection, SqlError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(internal)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA case_sensitive_like = ON; \
             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; \
             PRAGMA mmap_size = 4294967296;",
        )
        .map_err(internal)?;
        conn.busy_timeout(std::time::Duration::from_secs(60))
            .map_err(internal)?;
        for (name, apply) in [
            ("sf_cast", convert as Conversion),
            ("sf_store", store as Conversion),
        ] {
            conn.create_scalar_function(
                name,
                9,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                move |ctx| {
                    let (from, to) = (type_at(ctx, 1)?, type_at(ctx, 5)?);
                    apply(ctx.get_raw(0), &from, &to).map_err(raise)
                },
            )
            .map_err(internal)?;
        }
        let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
        let part = |ctx: &Context, at: usize| Part::parse(&ctx.get::<String>(at)?).map_err(raise);
        conn.create_scalar_function("sf_dateadd", 11, flags, move |ctx| {
            let amount: i64 = ctx.get(1)?;
            dates::add(
                part(ctx, 0)?,
                amount,
                ctx.get_raw(2),
                &type_at(ctx, 3)?,
                &type_at(ctx, 7)?,
            )
            .map_err(raise)
        })
        .map_err(internal)?;
        conn.create_scalar_function("sf_datediff", 11, flags, move |ctx| {
            let (from_type, to_type) = (type_at(ctx, 2)?, type_at(ctx, 7)?);
            dates::diff(
                part(ctx, 0)?,
                (ctx.get_raw(1), &from_type),
                (ctx.get_raw(6), &to_type),
            )
            .map_err(raise)
        })
        .map_err(internal)?;
        conn.create_scalar_function("sf_datetrunc", 6, flags, move |ctx| {
            dates::trunc(part(ctx, 0)?, ctx.get_raw(1), &type_at(ctx, 2)?).map_err(raise)
        })
        .map_err(internal)?;
        conn.create_scalar_function("sf_datepart", 6, flags, move |ctx| {
            dates::field(part(ctx, 0)?, ctx.get_raw(1), &type_at(ctx, 2)?).map_err(raise)
        })
        .map_err(internal)?;
        for (name, change) in [
            ("sf_upper", str::to_uppercase as fn(&str) -> String),
            ("sf_lower", str::to_lowercase),
        ] {
            conn.create_scalar_function(
                name,
                1,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                move |ctx| {
                    Ok(match ctx.get_raw(0) {
                        ValueRef::Text(t) => Some(change(&String::from_utf8_lossy(t))),
                        _ => None,
                    })
                },
            )
            .map_err(internal)?;
        }
        // TIMESTAMP_TZ values compare by instant, whatever their offsets.
        conn.create_scalar_function(
            "sf_instant",
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| match ctx.get_raw(0) {
                ValueRef::Text(t) => Ok(std::str::from_utf8(t)
                    .ok()
                    .and_then(tz_parts)
                    .map_or(rusqlite::types::Value::Null, |(nanos, _)| nanos.into())),
                _ => ctx.get::<rusqlite::types::Value>(0),
            },
        )
        .map_err(internal)?;
        // Snowflake fails on division by zero where SQLite answers NULL.
        conn.create_scalar_function(
            "sf_divisor",
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| {
                let zero = match ctx.get_raw(0) {
                    ValueRef::Integer(i) => i == 0,
                    ValueRef::Real(r) => r == 0.0,
                    _ => false,
                };
                if zero {
                    let error = SqlError::new("100051", "22012", "Division by zero");
                    return Err(rusqlite::Error::UserFunctionError(carry(&error).into()));
                }
                ctx.get::<rusqlite::types::Value>(0)
            },
        )
        .map_err(internal)?;
        Ok(conn)
    }

    /// Creates the SQLite table of `table` if it does not exist yet.
    pub fn ensure(conn: &Connection, table: &Table) -> Result<(), SqlError> {
        if table.stored.load(Ordering::Acquire) {
            return Ok(());
        }
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                let not_null = if c.ty.nullable { "" } else { " NOT NULL" };
                format!("c{} {}{not_null}", c.slot, c.ty.kind.storage(c.ty.scale))
            })
            .collect();
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            table.storage_name(),
            columns.join(", ")
        ))
        .map_err(internal)?;
        table.stored.store(true, Ordering::Release);
        Ok(())
    }

    /// Drops the SQLite table of `table`, if it was ever created.
    pub fn drop_table(&self, table: &Table) -> Result<(), SqlError> {
        if !table.stored.load(Ordering::Acquire) {
            return Ok(());
        }
        self.with(|conn| {
            conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", table.storage_name()))
                .map_err(internal)
        })
    }
}

/// The Snowflake type written as four arguments (`SfType::cast_args`) from position `at`.
fn type_at(ctx: &Context, at: usize) -> rusqlite::Result<SfType> {
    SfType::from_cast_args(
        &ctx.get::<String>(at)?,
        ctx.get(at + 1)?,
        ctx.get(at + 2)?,
        ctx.get(at + 3)?,
    )
    .ok_or_else(|| rusqlite::Error::UserFunctionError("unknown Snowflake type".into()))
}

/// A Snowflake error raised from inside a SQLite function.
fn raise(error: SqlError) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(carry(&error).into())
}

/// Stops SQLite when `cancel` is set (checked every few thousand virtual-machine steps).
pub fn watch(conn: &Connection, cancel: &CancelFlag) -> Result<(), SqlError> {
    let cancel = cancel.clone();
    conn.progress_handler(10_000, Some(move || cancel.is_cancelled()))
        .map_err(internal)
}

/// Maps a SQLite error to Snowflake's: conversion errors from `sf_cast`, cancellation,
/// NOT NULL violations; anything else is an internal error.
pub fn sql_error(error: rusqlite::Error) -> SqlError {
    match error {
        rusqlite::Error::SqliteFailure(f, message) => match f.code {
            rusqlite::ErrorCode::OperationInterrupted => SqlError::cancelled(),
            rusqlite::ErrorCode::ConstraintViolation => {
                SqlError::new("100072", "22000", "NULL result in a non-nullable column")
            }
            _ => {
                let message = message.unwrap_or_default();
                uncarry(&message).unwrap_or_else(|| internal(format!("{f}: {message}")))
            }
        },
        other => internal(other),
    }
}

/// Marks a Snowflake error raised inside a SQLite function: SQLite keeps only the message text.
const CARRIED: &str = "snowflake-error\u{1}";

fn carry(error: &SqlError) -> String {
    format!(
        "{CARRIED}{}\u{1}{}\u{1}{}",
        error.code, error.sql_state, error.message
    )
}

fn uncarry(message: &str) -> Option<SqlError> {
    let mut parts = message.strip_prefix(CARRIED)?.splitn(3, '\u{1}');
    Some(SqlError::new(parts.next()?, parts.next()?, parts.next()?))
}

/// An emulator fault that is not the statement's: Snowflake's internal-error shape.
pub fn internal(error: impl std::fmt::Display) -> SqlError {
    SqlError::new(
        "000603",
        "XX000",
        format!("SQL execution internal error:\nProcessing aborted due to error 300002:{error}"),
    )
}
