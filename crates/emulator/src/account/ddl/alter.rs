//! ALTER (tables, users, warehouses, roles, renames, SET/UNSET) and COMMENT.

use std::sync::{Arc, atomic::Ordering};

use sqlparser::tokenizer::Token;

use crate::account::{
    Account,
    catalog::{Catalog, ObjectKind, Table, Visibility, qualified},
    lexer::Cursor,
    lookup::*,
};
use crate::exec::{Session, SqlError};

use super::{create::*, create_objects::*};

pub(super) fn alter(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
) -> Result<String, SqlError> {
    let kind = c.ident()?;
    if kind == "SESSION" {
        if c.keyword("SET") {
            for (key, value) in properties(c, &[])? {
                session.parameters.insert(key, value);
            }
        } else {
            c.expect_keyword("UNSET")?;
            while !c.at_end() {
                let key = c.ident()?;
                session.parameters.remove(&key.to_uppercase());
                c.eat(&Token::Comma);
            }
        }
        return Ok(DONE.into());
    }
    let if_exists = c.keywords(&["IF", "EXISTS"]);
    let parts = c.object_name()?;
    match kind.as_str() {
        "USER" => alter_user(account, session, c, &parts.join("."), if_exists),
        "WAREHOUSE" => {
            let name = parts.join(".");
            let mut catalog = account.write();
            let Some(warehouse) = catalog.warehouses.get_mut(&name) else {
                return Err(not_found("Warehouse", &name));
            };
            if c.keyword("SUSPEND") {
                warehouse.state = "SUSPENDED".into();
            } else if c.keyword("RESUME") {
                c.keywords(&["IF", "SUSPENDED"]);
                warehouse.state = "STARTED".into();
            } else {
                c.expect_keyword("SET")?;
                let props = properties(c, &[])?;
                apply_warehouse_properties(warehouse, &props)?;
            }
            Ok(DONE.into())
        }
        "TABLE" if !c.is_keyword("SET") => alter_table(account, session, c, &parts),
        "DATABASE" | "SCHEMA" | "TABLE" | "VIEW" => {
            c.expect_keyword("SET")?;
            let props = properties(c, &[])?;
            let mut catalog = account.write();
            let vis = catalog.visibility(&session.role);
            for (key, value) in props {
                match key.as_str() {
                    "COMMENT" => set_comment(&mut catalog, &vis, session, &kind, &parts, value)?,
                    "CHANGE_TRACKING" if kind == "TABLE" => {
                        let flag = value.eq_ignore_ascii_case("TRUE");
                        replace_table(&mut catalog, &vis, session, &parts, |t| {
                            t.change_tracking = flag
                        })?;
                    }
                    "DATA_RETENTION_TIME_IN_DAYS" if kind == "DATABASE" => {
                        let name = parts.join(".");
                        database(&catalog, &vis, &name)?;
                        if let Some(db) = catalog.databases.get_mut(&name) {
                            db.retention_time = value;
                        }
                    }
                    _ => {}
                }
            }
            Ok(DONE.into())
        }
        _ => Err(unsupported(&format!("ALTER {kind}"))),
    }
}

/// `ALTER TABLE … RENAME TO`, `RENAME COLUMN`, `ADD COLUMN`, `DROP COLUMN`.
pub(super) fn alter_table(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    parts: &[String],
) -> Result<String, SqlError> {
    let (db, schema_name, name) = object_path(session, parts)?;
    let full = format!("{db}.{schema_name}.{name}");
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    let table = schema(&catalog, &vis, &db, &schema_name)?
        .tables
        .get(&name)
        .cloned()
        .ok_or_else(|| not_found("Table", &full))?;
    if !may_change(&vis, &table.owner) {
        return Err(insufficient(&format!("table '{name}'")));
    }
    let column_index = |column: &str| table.columns.iter().position(|c| c.name == column);
    if c.keywords(&["RENAME", "TO"]) {
        let (new_db, new_schema, new_name) = object_path(session, &c.object_name()?)?;
        c.end()?;
        let target = schema(&catalog, &vis, &new_db, &new_schema)?;
        if target.tables.contains_key(&new_name) || target.views.contains_key(&new_name) {
            return Err(already_exists("Object", &new_name));
        }
        let mut renamed = table.copy();
        renamed.name = new_name.clone();
        schema_mut(&mut catalog, &vis, &db, &schema_name)?
            .tables
            .remove(&name);
        schema_mut(&mut catalog, &vis, &new_db, &new_schema)?
            .tables
            .insert(new_name.clone(), Arc::new(renamed));
        let (old_grant, new_grant) = (
            qualified(&[&db, &schema_name, &name]),
            qualified(&[&new_db, &new_schema, &new_name]),
        );
        for grant in catalog
            .grants
            .iter_mut()
            .filter(|g| g.on == ObjectKind::Table && g.name == old_grant)
        {
            grant.name = new_grant.clone();
        }
        return Ok(DONE.into());
    }
    if c.keywords(&["RENAME", "COLUMN"]) {
        let old = c.ident()?;
        c.expect_keyword("TO")?;
        let new = c.ident()?;
        c.end()?;
        let index = column_index(&old).ok_or_else(|| invalid_identifier(&old, (1, 0)))?;
        if column_index(&new).is_some() {
            return Err(duplicate_column(&new));
        }
        replace_table(&mut catalog, &vis, session, parts, |t| {
            t.columns[index].name = new
        })?;
        return Ok(DONE.into());
    }
    if c.keyword("ADD") {
        c.keyword("COLUMN");
        let if_not_exists = c.keywords(&["IF", "NOT", "EXISTS"]);
        let mut column = column_definition(c)?;
        c.end()?;
        if column_index(&column.name).is_some() {
            return if if_not_exists {
                Ok(DONE.into())
            } else {
                Err(duplicate_column(&column.name))
            };
        }
        if column.identity.is_some() {
            return Err(unsupported("ALTER TABLE ADD COLUMN … AUTOINCREMENT"));
        }
        if !column.ty.nullable && column.default.is_none() && table.row_count() > 0 {
            return Err(SqlError::new(
                "001425",
                "22000",
                format!(
                    "Non-nullable column '{}' cannot be added to non-empty table '{name}' unless it has a non-null default value.",
                    column.name
                ),
            ));
        }
        column.slot = table.next_slot;
        if table.stored.load(Ordering::Acquire) {
            // Existing rows get NULL (or the default, below); SQLite's NOT NULL would need a
            // constant default, so the check stays with the catalog's type for new rows.
            let sql = format!(
                "ALTER TABLE {} ADD COLUMN c{} {}",
                table.storage_name(),
                column.slot,
                column.ty.kind.storage(column.ty.scale)
            );
            account.storage.with(|conn| {
                conn.execute_batch(&sql)
                    .map_err(crate::account::storage::sql_error)
            })?;
        }
        let fill = column
            .default
            .clone()
            .filter(|_| table.row_count() > 0)
            .map(|default| {
                let quoted = |p: &str| format!("\"{}\"", p.replace('"', "\"\""));
                format!(
                    "UPDATE {}.{}.{} SET {} = {default}",
                    quoted(&db),
                    quoted(&schema_name),
                    quoted(&name),
                    quoted(&column.name)
                )
            });
        replace_table(&mut catalog, &vis, session, parts, |t| {
            t.columns.push(column);
            t.next_slot += 1;
        })?;
        drop(catalog);
        if let Some(fill) = fill {
            account.execute(
                session,
                &fill,
                &Default::default(),
                &mut crate::exec::CollectedRows::default(),
            )?;
        }
        return Ok(DONE.into());
    }
    if c.keyword("DROP") {
        c.keyword("COLUMN");
        let if_exists = c.keywords(&["IF", "EXISTS"]);
        let mut dropped = Vec::new();
        loop {
            let column = c.ident()?;
            match column_index(&column) {
                Some(index) => dropped.push(index),
                None if if_exists => {}
                None => return Err(invalid_identifier(&column, (1, 0))),
            }
            if !c.eat(&Token::Comma) {
                break;
            }
        }
        c.end()?;
        if dropped.len() >= table.columns.len() {
            return Err(SqlError::new(
                "002030",
                "42601",
                format!("SQL compilation error:\nCannot drop all the columns of table '{name}'."),
            ));
        }
        if table.stored.load(Ordering::Acquire) {
            for &index in &dropped {
                let sql = format!(
                    "ALTER TABLE {} DROP COLUMN c{}",
                    table.storage_name(),
                    table.columns[index].slot
                );
                account.storage.with(|conn| {
                    conn.execute_batch(&sql)
                        .map_err(crate::account::storage::sql_error)
                })?;
            }
        }
        replace_table(&mut catalog, &vis, session, parts, |t| {
            let mut index = 0;
            t.columns.retain(|_| {
                index += 1;
                !dropped.contains(&(index - 1))
            });
        })?;
        return Ok(DONE.into());
    }
    Err(unsupported("this ALTER TABLE form"))
}

pub(super) fn duplicate_column(name: &str) -> SqlError {
    SqlError::new(
        "002025",
        "42S21",
        format!("SQL compilation error:\nduplicate column name '{name}'"),
    )
}

pub(super) fn alter_user(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    name: &str,
    if_exists: bool,
) -> Result<String, SqlError> {
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    if !catalog.users.contains_key(name) {
        if if_exists {
            return Ok(DONE.into());
        }
        return Err(not_found("User", name));
    }
    let manager = may_manage_users(&vis) || vis.roles.contains(&catalog.users[name].owner);
    // Users may change their own keys, names and defaults, not what guards the account.
    let own = session.user == name;
    if !(manager || own) {
        return Err(insufficient(&format!("user '{name}'")));
    }
    if c.keywords(&["RENAME", "TO"]) {
        if !manager {
            return Err(insufficient(&format!("user '{name}'")));
        }
        let new_name = c.ident()?;
        c.end()?;
        if catalog.users.contains_key(&new_name) {
            return Err(already_exists("User", &new_name));
        }
        let mut user = catalog.users.remove(name).expect("checked above");
        user.name = new_name.clone();
        for grant in catalog
            .grants
            .iter_mut()
            .filter(|g| g.grantee_kind == "USER" && g.grantee == name)
        {
            grant.grantee = new_name.clone();
        }
        catalog.users.insert(new_name, user);
        return Ok(DONE.into());
    }
    let changes: Vec<(String, Option<String>)> = if c.keyword("SET") {
        properties(c, &[])?
            .into_iter()
            .map(|(key, value)| (key, Some(value)))
            .collect()
    } else if c.keyword("UNSET") {
        let mut keys = Vec::new();
        while !c.at_end() {
            keys.push((c.ident()?.to_uppercase(), None));
            c.eat(&Token::Comma);
        }
        keys
    } else {
        return Err(c.unexpected());
    };
    const GUARDED: [&str; 6] = [
        "DISABLED",
        "LOGIN_NAME",
        "MUST_CHANGE_PASSWORD",
        "DAYS_TO_EXPIRY",
        "MINS_TO_UNLOCK",
        "TYPE",
    ];
    if !manager
        && changes
            .iter()
            .any(|(key, _)| GUARDED.contains(&key.as_str()))
    {
        return Err(insufficient(&format!("user '{name}'")));
    }
    // All or nothing: a bad value leaves the user as it was.
    let mut user = catalog.users[name].clone();
    for (key, value) in &changes {
        set_user_property(&mut user, key, value.as_deref())?;
    }
    catalog.users.insert(name.to_owned(), user);
    Ok(DONE.into())
}

/// Rebuilds the `Arc<Table>` at `parts` with one change (tables are shared with running queries).
pub(super) fn replace_table(
    catalog: &mut Catalog,
    vis: &Visibility,
    session: &Session,
    parts: &[String],
    change: impl FnOnce(&mut Table),
) -> Result<(), SqlError> {
    let (db, schema_name, name) = object_path(session, parts)?;
    let schema = schema_mut(catalog, vis, &db, &schema_name)?;
    let Some(old) = schema.tables.get(&name) else {
        return Err(not_found("Table", &format!("{db}.{schema_name}.{name}")));
    };
    let mut table = old.copy();
    change(&mut table);
    schema.tables.insert(name, Arc::new(table));
    Ok(())
}

pub(super) fn set_comment(
    catalog: &mut Catalog,
    vis: &Visibility,
    session: &Session,
    kind: &str,
    parts: &[String],
    comment: String,
) -> Result<(), SqlError> {
    match kind {
        "DATABASE" => {
            let name = parts.join(".");
            database(catalog, vis, &name)?;
            catalog.databases.get_mut(&name).expect("checked").comment = comment;
        }
        "SCHEMA" => {
            let (db, name) = schema_path(session, parts)?;
            schema_mut(catalog, vis, &db, &name)?.comment = comment;
        }
        "TABLE" => replace_table(catalog, vis, session, parts, |t| t.comment = comment)?,
        "VIEW" => {
            let (db, schema_name, name) = object_path(session, parts)?;
            let schema = schema_mut(catalog, vis, &db, &schema_name)?;
            let Some(view) = schema.views.get_mut(&name) else {
                return Err(not_found("Object", &format!("{db}.{schema_name}.{name}")));
            };
            view.comment = comment;
        }
        "COLUMN" => {
            let (column, table_parts) = parts.split_last().ok_or_else(|| invalid_name(parts))?;
            let column = column.clone();
            let mut found = false;
            replace_table(catalog, vis, session, table_parts, |t| {
                if let Some(c) = t.columns.iter_mut().find(|c| c.name == column) {
                    c.comment = comment;
                    found = true;
                }
            })?;
            if !found {
                return Err(invalid_identifier(&column, (1, 0)));
            }
        }
        "USER" => {
            let name = parts.join(".");
            let user = catalog
                .users
                .get_mut(&name)
                .ok_or_else(|| not_found("User", &name))?;
            user.comment = Some(comment);
        }
        "ROLE" => {
            let name = parts.join(".");
            let role = catalog
                .roles
                .get_mut(&name)
                .ok_or_else(|| not_found("Role", &name))?;
            role.comment = comment;
        }
        "WAREHOUSE" => {
            let name = parts.join(".");
            let warehouse = catalog
                .warehouses
                .get_mut(&name)
                .ok_or_else(|| not_found("Warehouse", &name))?;
            warehouse.comment = comment;
        }
        _ => return Err(unsupported(&format!("COMMENT ON {kind}"))),
    }
    Ok(())
}

pub(super) fn comment(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
) -> Result<String, SqlError> {
    c.keywords(&["IF", "EXISTS"]);
    c.expect_keyword("ON")?;
    let kind = c.ident()?;
    let parts = c.object_name()?;
    c.expect_keyword("IS")?;
    let text = c.string()?;
    c.end()?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    set_comment(&mut catalog, &vis, session, &kind, &parts, text)?;
    Ok(DONE.into())
}
