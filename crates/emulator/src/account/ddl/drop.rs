//! DROP and UNDROP of every object kind.

use crate::account::{
    Account,
    catalog::{ObjectKind, SYSTEM_ROLES, qualified},
    lexer::Cursor,
    lookup::*,
};
use crate::exec::{Session, SqlError};

use super::create::*;

pub(super) fn drop_object(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
) -> Result<String, SqlError> {
    let kind = c.ident()?;
    let if_exists = c.keywords(&["IF", "EXISTS"]);
    let parts = c.object_name()?;
    c.keyword("CASCADE");
    c.keyword("RESTRICT");
    c.end()?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    let missing = |what: &str, name: &str| {
        if if_exists {
            Ok(format!(
                "Drop statement executed successfully ({name} already dropped)."
            ))
        } else {
            Err(not_found(what, name))
        }
    };
    match kind.as_str() {
        "DATABASE" => {
            let name = parts.join(".");
            let Ok(db) = database(&catalog, &vis, &name) else {
                return missing("Database", &name);
            };
            if !may_change(&vis, &db.owner) {
                return Err(insufficient(&format!("database '{name}'")));
            }
            drop_database(&mut catalog, &name);
            if session.database.as_deref() == Some(&name) {
                session.database = None;
                session.schema = None;
            }
            Ok(format!("{name} successfully dropped."))
        }
        "SCHEMA" => {
            let (db, name) = schema_path(session, &parts)?;
            let Ok(schema) = schema(&catalog, &vis, &db, &name) else {
                return missing("Schema", &format!("{db}.{name}"));
            };
            if !may_change(&vis, &schema.owner) {
                return Err(insufficient(&format!("schema '{name}'")));
            }
            drop_schema(&mut catalog, &db, &name);
            Ok(format!("{name} successfully dropped."))
        }
        "TABLE" | "VIEW" | "STAGE" | "STREAM" | "TASK" => {
            let (db, schema_name, name) = object_path(session, &parts)?;
            let full = format!("{db}.{schema_name}.{name}");
            let Ok(schema) = schema_mut(&mut catalog, &vis, &db, &schema_name) else {
                return missing("Object", &full);
            };
            let mut dropped_table = None;
            let removed = match kind.as_str() {
                "TABLE" => {
                    dropped_table = schema.tables.remove(&name);
                    dropped_table.is_some()
                }
                "VIEW" => schema.views.remove(&name).is_some(),
                "STAGE" => schema.stages.remove(&name).is_some(),
                "STREAM" => schema.streams.remove(&name).is_some(),
                _ => schema.tasks.remove(&name).is_some(),
            };
            if !removed {
                return missing("Object", &full);
            }
            catalog.retired.extend(dropped_table);
            let object_kind = ObjectKind::parse(&kind).unwrap_or(ObjectKind::Table);
            catalog.forget_object(object_kind, &qualified(&[&db, &schema_name, &name]));
            Ok(format!("{name} successfully dropped."))
        }
        "USER" => {
            let name = parts.join(".");
            if !may_manage_users(&vis) {
                return Err(insufficient(&format!("user '{name}'")));
            }
            if catalog.users.remove(&name).is_none() {
                return missing("User", &name);
            }
            catalog
                .grants
                .retain(|g| !(g.grantee_kind == "USER" && g.grantee == name));
            Ok(format!("{name} successfully dropped."))
        }
        "ROLE" => {
            let name = parts.join(".");
            if !may_manage_users(&vis) {
                return Err(insufficient(&format!("role '{name}'")));
            }
            if SYSTEM_ROLES.iter().any(|(r, _)| *r == name) {
                return Err(SqlError::new(
                    "003010",
                    "42501",
                    format!("SQL access control error:\nCannot drop system role '{name}'."),
                ));
            }
            if catalog.roles.remove(&name).is_none() {
                return missing("Role", &name);
            }
            catalog.grants.retain(|g| {
                !((g.grantee_kind == "ROLE" && g.grantee == name)
                    || (g.on == ObjectKind::Role && g.name == name))
            });
            Ok(format!("{name} successfully dropped."))
        }
        "WAREHOUSE" => {
            let name = parts.join(".");
            if !(vis.sees_all() || vis.roles.contains("SYSADMIN")) {
                return Err(insufficient(&format!("warehouse '{name}'")));
            }
            if catalog.warehouses.remove(&name).is_none() {
                return missing("Warehouse", &name);
            }
            Ok(format!("{name} successfully dropped."))
        }
        _ => Err(unsupported(&format!("DROP {kind}"))),
    }
}
