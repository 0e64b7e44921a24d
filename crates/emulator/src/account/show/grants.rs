//! SHOW GRANTS (to roles, to users, on objects, of roles) and the ownership rows.

use super::context::*;
use crate::account::{
    Account,
    catalog::{Catalog, ObjectKind, qualified},
    lexer::Cursor,
    lookup::{self, *},
    types::show_time,
};
use crate::exec::{RowSink, Session, SqlError};

pub(super) fn grants(
    account: &Account,
    session: &Session,
    c: &mut Cursor,
    sink: &mut dyn RowSink,
) -> Result<(), SqlError> {
    let catalog = account.read();
    let vis = catalog.visibility(&session.role);
    let mut rows: Vec<Vec<Option<String>>> = Vec::new();
    let grant_columns = [
        "created_on",
        "privilege",
        "granted_on",
        "name",
        "granted_to",
        "grantee_name",
        "grant_option",
        "granted_by",
    ];
    let grant_row = |g: &crate::account::catalog::Grant| {
        vec![
            s(show_time(g.created_on)),
            s(&g.privilege),
            s(g.on.name()),
            s(&g.name),
            s(g.grantee_kind),
            s(&g.grantee),
            s(g.grant_option.to_string()),
            s(&g.granted_by),
        ]
    };
    let columns: Vec<&str>;
    if c.keywords(&["TO", "ROLE"]) {
        let role = c.ident()?;
        finish_grants(c)?;
        if !catalog.roles.contains_key(&role) {
            return Err(lookup::not_found("Role", &role));
        }
        rows.extend(ownership_rows(&catalog, &role));
        rows.extend(
            catalog
                .grants
                .iter()
                .filter(|g| g.grantee_kind == "ROLE" && g.grantee == role)
                .map(grant_row),
        );
        columns = grant_columns.to_vec();
    } else if c.keywords(&["OF", "ROLE"]) {
        let role = c.ident()?;
        finish_grants(c)?;
        if !catalog.roles.contains_key(&role) {
            return Err(lookup::not_found("Role", &role));
        }
        for g in catalog
            .grants
            .iter()
            .filter(|g| g.on == ObjectKind::Role && g.name == role)
        {
            rows.push(vec![
                s(show_time(g.created_on)),
                s(&role),
                s(g.grantee_kind),
                s(&g.grantee),
                s(&g.granted_by),
            ]);
        }
        columns = vec![
            "created_on",
            "role",
            "granted_to",
            "grantee_name",
            "granted_by",
        ];
    } else if c.keyword("ON") {
        let kind_word = c.ident()?;
        let kind = ObjectKind::parse(&kind_word)
            .ok_or_else(|| unsupported(&format!("SHOW GRANTS ON {kind_word}")))?;
        let parts = if kind == ObjectKind::Account {
            Vec::new()
        } else {
            c.object_name()?
        };
        finish_grants(c)?;
        let name = match kind {
            ObjectKind::Account => String::new(),
            ObjectKind::Database | ObjectKind::Warehouse | ObjectKind::Role | ObjectKind::User => {
                qualified(&[&parts.join(".")])
            }
            ObjectKind::Schema => {
                let (db, name) = schema_path(session, &parts)?;
                qualified(&[&db, &name])
            }
            _ => {
                let (db, s, name) = object_path(session, &parts)?;
                qualified(&[&db, &s, &name])
            }
        };
        rows.extend(
            catalog
                .grants
                .iter()
                .filter(|g| g.on == kind && g.name == name)
                .map(|g| {
                    let mut row = grant_row(g);
                    row.push(role_type(&g.granted_by));
                    row
                }),
        );
        columns = grant_columns
            .iter()
            .copied()
            .chain(["granted_by_role_type"])
            .collect();
    } else {
        let user = if c.keywords(&["TO", "USER"]) {
            c.ident()?
        } else {
            session.user.clone()
        };
        finish_grants(c)?;
        if !catalog.users.contains_key(&user) && user != session.user {
            return Err(lookup::not_found("User", &user));
        }
        if user != session.user
            && !(vis.sees_all()
                || vis.roles.contains("SECURITYADMIN")
                || vis.roles.contains("USERADMIN"))
        {
            return Err(lookup::insufficient(&format!("user '{user}'")));
        }
        for g in catalog
            .grants
            .iter()
            .filter(|g| g.grantee_kind == "USER" && g.grantee == user)
        {
            rows.push(vec![
                s(show_time(g.created_on)),
                s(&g.privilege),
                s(g.on.name()),
                s(&g.name),
                s(&g.name),
                s("USER"),
                s(&user),
                s(g.grant_option.to_string()),
                s(&g.granted_by),
            ]);
        }
        columns = vec![
            "created_on",
            "privilege",
            "granted_on",
            "name",
            "role",
            "granted_to",
            "grantee_name",
            "grant_option",
            "granted_by",
        ];
    }
    drop(catalog);
    sink.columns(&text_columns(&columns));
    for row in &rows {
        let cells: Vec<Option<&str>> = row.iter().map(Option::as_deref).collect();
        sink.row(&cells);
    }
    Ok(())
}

pub(super) fn finish_grants(c: &mut Cursor) -> Result<(), SqlError> {
    if c.keyword("LIMIT") {
        c.integer()?;
    }
    c.end()
}

/// OWNERSHIP rows of SHOW GRANTS TO ROLE: what the role owns.
pub(super) fn ownership_rows(catalog: &Catalog, role: &str) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    let mut push = |created_on: i64, kind: ObjectKind, name: String| {
        rows.push(vec![
            s(show_time(created_on)),
            s("OWNERSHIP"),
            s(kind.name()),
            s(name),
            s("ROLE"),
            s(role),
            s("true"),
            s(role),
        ]);
    };
    for db in catalog.databases.values() {
        if db.owner == role {
            push(db.created_on, ObjectKind::Database, qualified(&[&db.name]));
        }
        for schema in db.schemas.values() {
            if schema.owner == role {
                push(
                    schema.created_on,
                    ObjectKind::Schema,
                    qualified(&[&db.name, &schema.name]),
                );
            }
            for t in schema.tables.values().filter(|t| t.owner == role) {
                push(
                    t.created_on,
                    ObjectKind::Table,
                    qualified(&[&db.name, &schema.name, &t.name]),
                );
            }
            for v in schema.views.values().filter(|v| v.owner == role) {
                push(
                    v.created_on,
                    ObjectKind::View,
                    qualified(&[&db.name, &schema.name, &v.name]),
                );
            }
        }
    }
    for w in catalog.warehouses.values().filter(|w| w.owner == role) {
        push(w.created_on, ObjectKind::Warehouse, qualified(&[&w.name]));
    }
    for r in catalog.roles.values().filter(|r| r.owner == role) {
        push(r.created_on, ObjectKind::Role, qualified(&[&r.name]));
    }
    for u in catalog.users.values().filter(|u| u.owner == role) {
        push(u.created_on, ObjectKind::User, qualified(&[&u.name]));
    }
    rows
}
