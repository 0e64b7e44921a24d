//! SHOW commands, built from the catalog with the columns, order, types and value forms of the
//! real ones (§3 of the reference and the recordings).
//!
//! Filters: `LIKE` is case-insensitive, `STARTS WITH` case-sensitive, and `LIMIT n FROM 'x'`
//! starts at the first name that is `>= 'x'` (inclusive: a client paging with the last name it
//! saw gets that row again and drops it, as the reference advises). More than 10,000 rows
//! without `LIMIT` is an error for DATABASES/SCHEMAS/TABLES/VIEWS/USERS; SHOW COLUMNS stops
//! silently at 10,000.

mod context;
mod grants;
mod objects;
mod tables;

use sqlparser::tokenizer::Token;

use super::{Account, lexer::Cursor, lookup::*};
use crate::exec::{RowSink, Session, SqlError};

use self::{context::*, grants::*};

/// Runs `SHOW …` (the cursor is past `SHOW`).
pub fn run(
    account: &Account,
    session: &Session,
    c: &mut Cursor,
    sink: &mut dyn RowSink,
) -> Result<(), SqlError> {
    if c.keyword("TERSE") {
        return Err(unsupported("SHOW TERSE"));
    }
    let what = c.ident()?;
    if what == "GRANTS" || what == "FUTURE" {
        return grants(account, session, c, sink);
    }
    let mut filter = Filter::default();
    if c.keyword("LIKE") {
        filter.like = Some(c.string()?);
    }
    let scope = if c.keyword("IN") {
        Some(scope(session, c)?)
    } else {
        None
    };
    if c.keywords(&["STARTS", "WITH"]) {
        filter.starts_with = Some(c.string()?);
    }
    if c.keyword("LIMIT") {
        let limit = c.integer()? as usize;
        if limit > SHOW_LIMIT {
            return Err(SqlError::new(
                "001003",
                "42000",
                format!(
                    "SQL compilation error:\ninvalid value [{limit}] for parameter 'LIMIT': the most is {SHOW_LIMIT}."
                ),
            ));
        }
        filter.limit = Some(limit);
        if c.keyword("FROM") {
            filter.from = Some(c.string()?);
        }
    }
    c.end()?;
    let default_scope = || match &session.database {
        Some(db) => Scope::Database(db.clone()),
        None => Scope::Account,
    };
    let scope = scope.unwrap_or_else(default_scope);
    let limited = matches!(
        what.as_str(),
        "DATABASES" | "SCHEMAS" | "TABLES" | "VIEWS" | "USERS"
    );
    let cap = match (filter.limit, what.as_str()) {
        (Some(limit), _) => limit,
        (None, "COLUMNS") => SHOW_LIMIT,
        (None, _) if limited => SHOW_LIMIT + 1,
        (None, _) => usize::MAX,
    };
    let mut rows = Rows {
        filter: &filter,
        cap,
        rows: Vec::new(),
    };
    let catalog = account.read();
    let vis = catalog.visibility(&session.role);
    let ctx = Context {
        account,
        catalog: &catalog,
        vis: &vis,
        session,
    };
    let columns = match what.as_str() {
        "DATABASES" => ctx.databases(&mut rows),
        "SCHEMAS" => ctx.schemas(&scope, &mut rows)?,
        "TABLES" => ctx.tables(&scope, &mut rows)?,
        "VIEWS" => ctx.views(&scope, &mut rows)?,
        "COLUMNS" => ctx.columns(&scope, &mut rows)?,
        "USERS" => ctx.users(&mut rows),
        "ROLES" => ctx.roles(&mut rows),
        "WAREHOUSES" => ctx.warehouses(&mut rows),
        "STAGES" | "STREAMS" | "TASKS" => ctx.schema_objects(&what, &scope, &mut rows)?,
        _ => return Err(unsupported(&format!("SHOW {what}"))),
    };
    drop(catalog);
    if limited && filter.limit.is_none() && rows.rows.len() > SHOW_LIMIT {
        return Err(SqlError::new(
            "001003",
            "42000",
            format!(
                "SQL compilation error:\nSHOW {what} returned more than {SHOW_LIMIT} rows. Page with LIMIT {SHOW_LIMIT} FROM '<last name seen>' or query INFORMATION_SCHEMA."
            ),
        ));
    }
    sink.columns(&columns);
    for row in &rows.rows {
        let cells: Vec<Option<&str>> = row.iter().map(Option::as_deref).collect();
        sink.row(&cells);
    }
    Ok(())
}

fn scope(session: &Session, c: &mut Cursor) -> Result<Scope, SqlError> {
    if c.keyword("ACCOUNT") {
        return Ok(Scope::Account);
    }
    // `IN DATABASE` / `IN SCHEMA` without a name and without a current one have no effect
    // (Snowflake's documented behaviour): the scope widens to what is current, else the account.
    if c.keyword("DATABASE") {
        if at_filter(c) {
            return Ok(session
                .database
                .clone()
                .map_or(Scope::Account, Scope::Database));
        }
        return Ok(Scope::Database(c.object_name()?.join(".")));
    }
    if c.keyword("SCHEMA") {
        if at_filter(c) {
            return Ok(match (&session.database, &session.schema) {
                (Some(db), Some(schema)) => Scope::Schema(db.clone(), schema.clone()),
                (Some(db), None) => Scope::Database(db.clone()),
                _ => Scope::Account,
            });
        }
        let (db, name) = schema_path(session, &c.object_name()?)?;
        return Ok(Scope::Schema(db, name));
    }
    if c.keyword("TABLE") || c.keyword("VIEW") {
        let (db, s, t) = object_path(session, &c.object_name()?)?;
        return Ok(Scope::Table(db, s, t));
    }
    let parts = c.object_name()?;
    Ok(match parts.as_slice() {
        [db] => Scope::Database(db.clone()),
        [db, s] => Scope::Schema(db.clone(), s.clone()),
        [db, s, t] => Scope::Table(db.clone(), s.clone(), t.clone()),
        _ => return Err(c.unexpected()),
    })
}

fn at_filter(c: &Cursor) -> bool {
    c.at_end()
        || c.is_keyword("STARTS")
        || c.is_keyword("LIMIT")
        || matches!(c.peek(), Some(Token::SemiColon))
}

#[cfg(test)]
mod tests {
    use super::context::like;

    #[test]
    fn like_is_case_insensitive_with_wildcards() {
        assert!(like("nango%", "NANGO_TEST_DB"));
        assert!(like("%test%", "NANGO_TEST_DB"));
        assert!(like("N_NGO%", "NANGO"));
        assert!(!like("nango", "NANGO_TEST_DB"));
        assert!(like("a\\_b", "A_B"));
        assert!(!like("a\\_b", "AXB"));
        assert!(like("%", ""));
    }
}
