//! Names, visibility and the errors every statement shares: resolving `db.schema.name` against
//! the session, finding the databases and schemas the role may see, and Snowflake's
//! "does not exist or not authorized", privilege, unsupported and identifier errors.

use super::{
    Account,
    catalog::{Catalog, Database, ObjectKind, Schema, Table, View, Visibility, qualified},
};
use crate::exec::{Session, SqlError};

/// The status line of statements that have nothing else to say.
pub const DONE: &str = "Statement executed successfully.";

/// Resolves `parts` (1 to 3 names) to `(database, schema, object)` with the session's current
/// database and schema.
pub fn object_path(
    session: &Session,
    parts: &[String],
) -> Result<(String, String, String), SqlError> {
    match parts {
        [name] => Ok((
            current_database(session)?,
            current_schema(session)?,
            name.clone(),
        )),
        [schema, name] => Ok((current_database(session)?, schema.clone(), name.clone())),
        [db, schema, name] => Ok((db.clone(), schema.clone(), name.clone())),
        _ => Err(invalid_name(parts)),
    }
}

/// Resolves `parts` (1 or 2 names) to `(database, schema)`.
pub fn schema_path(session: &Session, parts: &[String]) -> Result<(String, String), SqlError> {
    match parts {
        [schema] => Ok((current_database(session)?, schema.clone())),
        [db, schema] => Ok((db.clone(), schema.clone())),
        _ => Err(invalid_name(parts)),
    }
}

pub fn invalid_name(parts: &[String]) -> SqlError {
    SqlError::new(
        "001003",
        "42000",
        format!(
            "SQL compilation error:\nsyntax error: invalid object name '{}'.",
            parts.join(".")
        ),
    )
}

pub fn current_database(session: &Session) -> Result<String, SqlError> {
    session.database.clone().ok_or_else(|| {
        SqlError::new(
            "090105",
            "22000",
            "Cannot perform operation. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.",
        )
    })
}

pub fn current_schema(session: &Session) -> Result<String, SqlError> {
    session.schema.clone().ok_or_else(|| {
        SqlError::new(
            "090106",
            "22000",
            "Cannot perform operation. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name.",
        )
    })
}

/// `Database 'X' does not exist or not authorized.` and its siblings.
pub fn not_found(what: &str, name: &str) -> SqlError {
    let state = if what == "Object" { "42S02" } else { "02000" };
    SqlError::new(
        "002003",
        state,
        format!("SQL compilation error:\n{what} '{name}' does not exist or not authorized."),
    )
}

pub fn already_exists(what: &str, name: &str) -> SqlError {
    SqlError::new(
        "002002",
        "42710",
        format!("SQL compilation error:\n{what} '{name}' already exists."),
    )
}

pub fn insufficient(what: &str) -> SqlError {
    SqlError::new(
        "003001",
        "42501",
        format!("SQL access control error:\nInsufficient privileges to operate on {what}."),
    )
}

/// Fails with Snowflake's privilege error on the account unless `allowed`.
pub fn account_privilege(account: &Account, allowed: bool) -> Result<(), SqlError> {
    if allowed {
        Ok(())
    } else {
        Err(insufficient(&format!(
            "account '{}'",
            account.names.locator
        )))
    }
}

/// Whether the session's role may create in or change objects owned by `owner`.
pub fn may_change(vis: &Visibility, owner: &str) -> bool {
    vis.sees_all() || vis.roles.contains(owner) || vis.roles.contains("SYSADMIN")
}

pub fn may_manage_users(vis: &Visibility) -> bool {
    vis.sees_all() || vis.roles.contains("USERADMIN")
}

/// The visible database `name`, or Snowflake's "does not exist or not authorized".
pub fn database<'c>(
    catalog: &'c Catalog,
    vis: &Visibility,
    name: &str,
) -> Result<&'c Database, SqlError> {
    catalog
        .databases
        .get(name)
        .filter(|db| database_visible(vis, db))
        .ok_or_else(|| not_found("Database", name))
}

pub fn database_visible(vis: &Visibility, db: &Database) -> bool {
    let name = qualified(&[&db.name]);
    vis.sees(ObjectKind::Database, &db.owner, &name) || vis.sees_inside(&name)
}

pub fn schema_visible(vis: &Visibility, db: &str, schema: &Schema) -> bool {
    let name = qualified(&[db, &schema.name]);
    vis.sees(ObjectKind::Schema, &schema.owner, &name) || vis.sees_inside(&name)
}

/// Whether the role sees the table `db.schema.table`.
pub fn table_visible(vis: &Visibility, db: &str, schema: &Schema, table: &Table) -> bool {
    vis.sees(
        ObjectKind::Table,
        &table.owner,
        &qualified(&[db, &schema.name, &table.name]),
    )
}

/// Whether the role sees the view `db.schema.view`.
pub fn view_visible(vis: &Visibility, db: &str, schema: &Schema, view: &View) -> bool {
    vis.sees(
        ObjectKind::View,
        &view.owner,
        &qualified(&[db, &schema.name, &view.name]),
    )
}

/// The visible schema `db.schema`.
pub fn schema<'c>(
    catalog: &'c Catalog,
    vis: &Visibility,
    db: &str,
    name: &str,
) -> Result<&'c Schema, SqlError> {
    database(catalog, vis, db)?
        .schemas
        .get(name)
        .filter(|s| schema_visible(vis, db, s))
        .ok_or_else(|| not_found("Schema", &format!("{db}.{name}")))
}

pub fn schema_mut<'c>(
    catalog: &'c mut Catalog,
    vis: &Visibility,
    db: &str,
    name: &str,
) -> Result<&'c mut Schema, SqlError> {
    schema(catalog, vis, db, name)?;
    Ok(catalog
        .databases
        .get_mut(db)
        .and_then(|d| d.schemas.get_mut(name))
        .expect("checked above"))
}

/// `Unsupported feature 'X'.`
pub fn unsupported(what: &str) -> SqlError {
    SqlError::new(
        "000002",
        "0A000",
        format!("SQL compilation error:\nUnsupported feature '{what}'."),
    )
}

/// `invalid identifier 'X'` (000904).
pub fn invalid_identifier(name: &str, (line, position): (u64, u64)) -> SqlError {
    SqlError::new(
        "000904",
        "42000",
        format!(
            "SQL compilation error: error line {line} at position {position}\ninvalid identifier '{name}'"
        ),
    )
}
