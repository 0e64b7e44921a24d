//! GRANT and REVOKE of roles and privileges, and ownership transfers.

use sqlparser::tokenizer::Token;

use crate::account::{
    Account,
    catalog::{Catalog, Grant, ObjectKind, Visibility, qualified},
    lexer::Cursor,
    lookup::*,
    now_millis,
};
use crate::exec::{Session, SqlError};

use super::alter::*;

pub(super) fn role_grant(role: &str, grantee_kind: &'static str, grantee: &str, now: i64) -> Grant {
    Grant {
        created_on: now,
        privilege: "USAGE".into(),
        on: ObjectKind::Role,
        name: role.to_owned(),
        grantee_kind,
        grantee: grantee.to_owned(),
        grant_option: false,
        granted_by: String::new(),
    }
}

pub(super) fn grant(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    granting: bool,
) -> Result<String, SqlError> {
    let now = now_millis();
    if c.keyword("ROLE") {
        let role = c.ident()?;
        if granting {
            c.expect_keyword("TO")?;
        } else {
            c.expect_keyword("FROM")?;
        }
        let grantee_kind: &'static str = if c.keyword("USER") {
            "USER"
        } else {
            c.expect_keyword("ROLE")?;
            "ROLE"
        };
        let grantee = c.ident()?;
        c.end()?;
        let mut catalog = account.write();
        let vis = catalog.visibility(&session.role);
        if !(may_manage_users(&vis)
            || catalog
                .roles
                .get(&role)
                .is_some_and(|r| vis.roles.contains(&r.owner)))
        {
            return Err(insufficient(&format!("role '{role}'")));
        }
        if !catalog.roles.contains_key(&role) {
            return Err(not_found("Role", &role));
        }
        let exists = if grantee_kind == "USER" {
            catalog.users.contains_key(&grantee)
        } else {
            catalog.roles.contains_key(&grantee)
        };
        if !exists {
            return Err(not_found(
                if grantee_kind == "USER" {
                    "User"
                } else {
                    "Role"
                },
                &grantee,
            ));
        }
        if granting {
            if grantee_kind == "ROLE" && catalog.inherited_roles(&role).contains(&grantee) {
                return Err(SqlError::new(
                    "003012",
                    "42501",
                    format!(
                        "SQL compilation error:\nGrant not executed: Role '{role}' is already granted to '{grantee}' or would create a cycle."
                    ),
                ));
            }
            let mut g = role_grant(&role, grantee_kind, &grantee, now);
            g.granted_by = session.role.clone();
            catalog.grant(g);
        } else {
            catalog.grants.retain(|g| {
                !(g.on == ObjectKind::Role
                    && g.name == role
                    && g.grantee_kind == grantee_kind
                    && g.grantee == grantee)
            });
        }
        return Ok(DONE.into());
    }
    let mut privileges = Vec::new();
    loop {
        let mut words = vec![c.ident()?];
        while matches!(c.peek(), Some(Token::Word(w)) if !w.value.eq_ignore_ascii_case("ON")) {
            words.push(c.ident()?);
        }
        let privilege = words.join(" ");
        privileges.push(if privilege == "ALL PRIVILEGES" {
            "ALL".to_owned()
        } else {
            privilege
        });
        if !c.eat(&Token::Comma) {
            break;
        }
    }
    c.expect_keyword("ON")?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    let targets: Vec<(ObjectKind, String, String)> = if c.keyword("ALL") || c.is_keyword("FUTURE") {
        if c.keyword("FUTURE") {
            return Err(unsupported("FUTURE GRANTS"));
        }
        let plural = c.ident()?;
        c.expect_keyword("IN")?;
        let container = c.ident()?;
        let parts = c.object_name()?;
        let kind = match plural.as_str() {
            "TABLES" => ObjectKind::Table,
            "VIEWS" => ObjectKind::View,
            "SCHEMAS" => ObjectKind::Schema,
            _ => return Err(unsupported(&format!("GRANT ON ALL {plural}"))),
        };
        let schemas: Vec<(String, String)> = if container == "DATABASE" {
            let db = parts.join(".");
            database(&catalog, &vis, &db)?
                .schemas
                .keys()
                .map(|s| (db.clone(), s.clone()))
                .collect()
        } else {
            vec![schema_path(session, &parts)?]
        };
        let mut targets = Vec::new();
        for (db, schema_name) in schemas {
            let schema = schema(&catalog, &vis, &db, &schema_name)?;
            match kind {
                ObjectKind::Schema => {
                    targets.push((kind, qualified(&[&db, &schema_name]), schema.owner.clone()))
                }
                ObjectKind::Table => targets.extend(schema.tables.values().map(|t| {
                    (
                        kind,
                        qualified(&[&db, &schema_name, &t.name]),
                        t.owner.clone(),
                    )
                })),
                _ => targets.extend(schema.views.values().map(|v| {
                    (
                        kind,
                        qualified(&[&db, &schema_name, &v.name]),
                        v.owner.clone(),
                    )
                })),
            }
        }
        targets
    } else {
        let kind_word = c.ident()?;
        let kind = ObjectKind::parse(&kind_word)
            .ok_or_else(|| unsupported(&format!("GRANT ON {kind_word}")))?;
        let (name, owner) = if kind == ObjectKind::Account {
            (String::new(), String::new())
        } else {
            grant_target(&catalog, &vis, session, kind, &c.object_name()?)?
        };
        vec![(kind, name, owner)]
    };
    if granting {
        c.expect_keyword("TO")?;
    } else {
        c.expect_keyword("FROM")?;
    }
    c.keyword("ROLE");
    let grantee = c.ident()?;
    let grant_option = c.keywords(&["WITH", "GRANT", "OPTION"]);
    c.keyword("COPY");
    c.keyword("REVOKE");
    c.keywords(&["CURRENT", "GRANTS"]);
    c.end()?;
    if !catalog.roles.contains_key(&grantee) {
        return Err(not_found("Role", &grantee));
    }
    for (kind, name, owner) in &targets {
        if !may_change(&vis, owner) {
            return Err(insufficient(&format!(
                "{} '{name}'",
                kind.name().to_lowercase()
            )));
        }
    }
    for (kind, name, _) in targets {
        for privilege in &privileges {
            if privilege == "OWNERSHIP" {
                if granting {
                    set_owner(&mut catalog, kind, &name, &grantee);
                }
                continue;
            }
            if granting {
                catalog.grant(Grant {
                    created_on: now,
                    privilege: privilege.clone(),
                    on: kind,
                    name: name.clone(),
                    grantee_kind: "ROLE",
                    grantee: grantee.clone(),
                    grant_option,
                    granted_by: session.role.clone(),
                });
            } else {
                catalog.grants.retain(|g| {
                    !(g.on == kind
                        && g.name == name
                        && g.grantee_kind == "ROLE"
                        && g.grantee == grantee
                        && (privilege == "ALL" || &g.privilege == privilege))
                });
            }
        }
    }
    Ok(DONE.into())
}

/// The grant name and owner of the object named by `parts`.
pub(super) fn grant_target(
    catalog: &Catalog,
    vis: &Visibility,
    session: &Session,
    kind: ObjectKind,
    parts: &[String],
) -> Result<(String, String), SqlError> {
    match kind {
        ObjectKind::Database => {
            let name = parts.join(".");
            let db = database(catalog, vis, &name)?;
            Ok((qualified(&[&name]), db.owner.clone()))
        }
        ObjectKind::Schema => {
            let (db, name) = schema_path(session, parts)?;
            let s = schema(catalog, vis, &db, &name)?;
            Ok((qualified(&[&db, &name]), s.owner.clone()))
        }
        ObjectKind::Warehouse => {
            let name = parts.join(".");
            let w = catalog
                .warehouses
                .get(&name)
                .ok_or_else(|| not_found("Warehouse", &name))?;
            Ok((qualified(&[&name]), w.owner.clone()))
        }
        ObjectKind::Role | ObjectKind::User => Err(unsupported("GRANT privileges ON ROLE/USER")),
        _ => {
            let (db, schema_name, name) = object_path(session, parts)?;
            let s = schema(catalog, vis, &db, &schema_name)?;
            let owner = match kind {
                ObjectKind::Table => s.tables.get(&name).map(|t| t.owner.clone()),
                ObjectKind::View => s.views.get(&name).map(|v| v.owner.clone()),
                ObjectKind::Stage => s.stages.get(&name).map(|v| v.owner.clone()),
                ObjectKind::Stream => s.streams.get(&name).map(|v| v.owner.clone()),
                _ => s.tasks.get(&name).map(|v| v.owner.clone()),
            };
            let owner =
                owner.ok_or_else(|| not_found("Object", &format!("{db}.{schema_name}.{name}")))?;
            Ok((qualified(&[&db, &schema_name, &name]), owner))
        }
    }
}

pub(super) fn set_owner(catalog: &mut Catalog, kind: ObjectKind, name: &str, role: &str) {
    for db in catalog.databases.values_mut() {
        if kind == ObjectKind::Database && qualified(&[&db.name]) == name {
            db.owner = role.to_owned();
        }
        for schema in db.schemas.values_mut() {
            if kind == ObjectKind::Schema && qualified(&[&db.name, &schema.name]) == name {
                schema.owner = role.to_owned();
            }
            if kind == ObjectKind::View {
                for view in schema.views.values_mut() {
                    if qualified(&[&db.name, &schema.name, &view.name]) == name {
                        view.owner = role.to_owned();
                    }
                }
            }
        }
    }
    if kind == ObjectKind::Table {
        let found = catalog
            .databases
            .values()
            .flat_map(|d| d.schemas.values().map(move |s| (d, s)))
            .find_map(|(d, s)| {
                s.tables
                    .values()
                    .find(|t| qualified(&[&d.name, &s.name, &t.name]) == name)
                    .map(|t| vec![d.name.clone(), s.name.clone(), t.name.clone()])
            });
        if let Some(parts) = found {
            let session = Session {
                user: String::new(),
                role: "ACCOUNTADMIN".into(),
                database: None,
                schema: None,
                warehouse: None,
                parameters: Default::default(),
                cancel: Default::default(),
            };
            let vis = catalog.visibility("ACCOUNTADMIN");
            let _ = replace_table(catalog, &vis, &session, &parts, |t| {
                t.owner = role.to_owned()
            });
        }
    }
    if kind == ObjectKind::Warehouse
        && let Some(w) = catalog
            .warehouses
            .values_mut()
            .find(|w| qualified(&[&w.name]) == name)
    {
        w.owner = role.to_owned();
    }
}
