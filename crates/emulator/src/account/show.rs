//! SHOW commands and the INFORMATION_SCHEMA views, built from the catalog with the columns,
//! order, types and value forms of the real ones (§3 of the reference and the recordings).
//!
//! Filters: `LIKE` is case-insensitive, `STARTS WITH` case-sensitive, and `LIMIT n FROM 'x'`
//! starts at the first name that is `>= 'x'` (inclusive: a client paging with the last name it
//! saw gets that row again and drops it, as the reference advises). More than 10,000 rows
//! without `LIMIT` is an error for DATABASES/SCHEMAS/TABLES/VIEWS/USERS; SHOW COLUMNS stops
//! silently at 10,000.

use std::borrow::Cow;

use rusqlite::types::Value;
use sqlparser::tokenizer::Token;

use super::{
    Account, HistoryEntry,
    catalog::{Catalog, Database, ObjectKind, Schema, Table, TableColumn, Visibility, qualified},
    ddl::{
        self, database, database_visible, object_path, schema, schema_path, schema_visible,
        unsupported,
    },
    lexer::Cursor,
    now_millis, query,
    storage::{internal, sql_error},
    types::{Kind, SfType, show_time},
};
use crate::exec::{Column, RowSink, Session, SqlError};

/// The most rows SHOW returns.
const SHOW_LIMIT: usize = 10_000;
const INFORMATION_SCHEMA_COMMENT: &str =
    "Views describing the contents of schemas in this database";

/// Where a SHOW command looks.
#[derive(Debug, Clone)]
enum Scope {
    Account,
    Database(String),
    Schema(String, String),
    Table(String, String, String),
}

#[derive(Debug, Default)]
struct Filter {
    like: Option<String>,
    starts_with: Option<String>,
    limit: Option<usize>,
    from: Option<String>,
}

impl Filter {
    fn accepts(&self, name: &str) -> bool {
        self.like.as_deref().is_none_or(|p| like(p, name))
            && self
                .starts_with
                .as_deref()
                .is_none_or(|s| name.starts_with(s))
            && self.from.as_deref().is_none_or(|f| name >= f)
    }
}

/// Rows of one SHOW result, filtered as they are offered.
struct Rows<'f> {
    filter: &'f Filter,
    cap: usize,
    rows: Vec<Vec<Option<String>>>,
}

impl Rows<'_> {
    /// Offers a row named `name`; `false` once no more rows are wanted.
    fn offer(&mut self, name: &str, make: impl FnOnce() -> Vec<Option<String>>) -> bool {
        if self.rows.len() >= self.cap {
            return false;
        }
        if self.filter.accepts(name) {
            self.rows.push(make());
        }
        self.rows.len() < self.cap
    }
}

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

/// SQL `LIKE` with `%` and `_` (and `\` escapes), case-insensitive.
pub fn like(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_uppercase().chars().collect();
    let text: Vec<char> = text.to_uppercase().chars().collect();
    // Classic wildcard matching with one backtrack point for the last `%`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('%') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some('\\') if pattern.get(p + 1) == Some(&text[t]) => {
                p += 2;
                t += 1;
                continue;
            }
            Some('_') => {
                p += 1;
                t += 1;
                continue;
            }
            Some(&c) if c == text[t] && c != '\\' => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

fn text_columns(names: &[&str]) -> Vec<Column> {
    names.iter().map(|n| column(n)).collect()
}

/// One SHOW output column: its type from the name, per §3.2.
fn column(name: &str) -> Column {
    let ty = match name {
        "created_on" | "resumed_on" | "updated_on" | "last_success_login" | "expires_at_time"
        | "locked_until_time" | "stale_after" | "last_committed_on" | "last_suspended_on" => {
            SfType::scaled(Kind::TimestampLtz, 3)
        }
        "rows"
        | "bytes"
        | "search_optimization_progress"
        | "search_optimization_bytes"
        | "assigned_to_users"
        | "granted_to_roles"
        | "granted_roles" => SfType::fixed(38, 0),
        "min_cluster_count"
        | "max_cluster_count"
        | "started_clusters"
        | "running"
        | "queued"
        | "auto_suspend"
        | "query_acceleration_max_scale_factor"
        | "actives"
        | "pendings"
        | "failed"
        | "suspended"
        | "query_throughput_multiplier" => SfType::fixed(9, 0),
        "object_visibility" | "data_quality_monitoring_settings" => SfType::new(Kind::Object),
        "predecessors" => SfType::new(Kind::Array),
        _ => SfType::show_text(),
    };
    ty.column(name, None)
}

fn s(text: impl Into<String>) -> Option<String> {
    Some(text.into())
}

fn yes_no(flag: bool) -> Option<String> {
    s(if flag { "Y" } else { "N" })
}

fn role_type(owner: &str) -> Option<String> {
    s(if owner.is_empty() { "" } else { "ROLE" })
}

struct Context<'a> {
    account: &'a Account,
    catalog: &'a Catalog,
    vis: &'a Visibility,
    session: &'a Session,
}

impl Context<'_> {
    /// Whether the role sees the object `db.schema.name` of this kind and owner.
    fn sees(&self, kind: ObjectKind, db: &str, schema: &str, owner: &str, name: &str) -> bool {
        self.vis.sees(kind, owner, &qualified(&[db, schema, name]))
    }

    fn user_default(
        &self,
        pick: impl Fn(&super::catalog::User) -> Option<String>,
    ) -> Option<String> {
        self.catalog.users.get(&self.session.user).and_then(pick)
    }

    fn databases(&self, rows: &mut Rows) -> Vec<Column> {
        let default_db = self.user_default(|u| {
            u.default_namespace
                .as_ref()
                .map(|n| n.split('.').next().unwrap_or_default().to_owned())
        });
        for db in self
            .catalog
            .databases
            .values()
            .filter(|db| database_visible(self.vis, db))
        {
            let more = rows.offer(&db.name, || {
                vec![
                    s(show_time(db.created_on)),
                    s(&db.name),
                    yes_no(default_db.as_deref() == Some(&db.name)),
                    yes_no(self.session.database.as_deref() == Some(&db.name)),
                    s(&db.origin),
                    s(&db.owner),
                    s(&db.comment),
                    s(""),
                    s(&db.retention_time),
                    s(&db.kind),
                    role_type(&db.owner),
                    None,
                    None,
                ]
            });
            if !more {
                break;
            }
        }
        text_columns(&[
            "created_on",
            "name",
            "is_default",
            "is_current",
            "origin",
            "owner",
            "comment",
            "options",
            "retention_time",
            "kind",
            "owner_role_type",
            "object_visibility",
            "data_quality_monitoring_settings",
        ])
    }

    /// The visible databases of a scope (one, or all for the account).
    fn scope_databases(&self, scope: &Scope) -> Result<Vec<&Database>, SqlError> {
        Ok(match scope {
            Scope::Account => self
                .catalog
                .databases
                .values()
                .filter(|db| database_visible(self.vis, db))
                .collect(),
            Scope::Database(db) | Scope::Schema(db, _) | Scope::Table(db, _, _) => {
                vec![database(self.catalog, self.vis, db)?]
            }
        })
    }

    /// The visible schemas of a scope, with their database.
    fn scope_schemas(&self, scope: &Scope) -> Result<Vec<(&Database, &Schema)>, SqlError> {
        if let Scope::Schema(db, name) | Scope::Table(db, name, _) = scope {
            let database = database(self.catalog, self.vis, db)?;
            return Ok(vec![(database, schema(self.catalog, self.vis, db, name)?)]);
        }
        Ok(self
            .scope_databases(scope)?
            .into_iter()
            .flat_map(|db| {
                db.schemas
                    .values()
                    .filter(|s| schema_visible(self.vis, &db.name, s))
                    .map(move |s| (db, s))
            })
            .collect())
    }

    fn schemas(&self, scope: &Scope, rows: &mut Rows) -> Result<Vec<Column>, SqlError> {
        let scope = match scope {
            Scope::Schema(db, _) | Scope::Table(db, _, _) => Scope::Database(db.clone()),
            other => other.clone(),
        };
        let now = now_millis();
        'databases: for db in self.scope_databases(&scope)? {
            let information_schema = Schema {
                name: "INFORMATION_SCHEMA".into(),
                created_on: now,
                comment: INFORMATION_SCHEMA_COMMENT.into(),
                ..Schema::default()
            };
            let mut visible: Vec<&Schema> = db
                .schemas
                .values()
                .filter(|s| schema_visible(self.vis, &db.name, s))
                .collect();
            let position = visible.partition_point(|s| s.name.as_str() < "INFORMATION_SCHEMA");
            visible.insert(position, &information_schema);
            for schema in visible {
                let more = rows.offer(&schema.name, || {
                    let owner_role_type =
                        if schema.owner.is_empty() || !schema.owner_role_type.is_empty() {
                            schema.owner_role_type.clone()
                        } else {
                            "ROLE".into()
                        };
                    vec![
                        s(show_time(schema.created_on)),
                        s(&schema.name),
                        s("N"),
                        yes_no(
                            self.session.database.as_deref() == Some(&db.name)
                                && self.session.schema.as_deref() == Some(&schema.name),
                        ),
                        s(&db.name),
                        s(&schema.owner),
                        s(&schema.comment),
                        s(""),
                        s("1"),
                        s(owner_role_type),
                        None,
                        None,
                        None,
                        None,
                    ]
                });
                if !more {
                    break 'databases;
                }
            }
        }
        Ok(text_columns(&[
            "created_on",
            "name",
            "is_default",
            "is_current",
            "database_name",
            "owner",
            "comment",
            "options",
            "retention_time",
            "owner_role_type",
            "classification_profile_database",
            "classification_profile_schema",
            "classification_profile",
            "object_visibility",
        ]))
    }

    fn tables(&self, scope: &Scope, rows: &mut Rows) -> Result<Vec<Column>, SqlError> {
        'schemas: for (db, schema) in self.scope_schemas(scope)? {
            for table in schema.tables.values() {
                if !self.sees(
                    ObjectKind::Table,
                    &db.name,
                    &schema.name,
                    &table.owner,
                    &table.name,
                ) {
                    continue;
                }
                if !rows.offer(&table.name, || table_row(db, schema, table)) {
                    break 'schemas;
                }
            }
        }
        Ok(text_columns(&[
            "created_on",
            "name",
            "database_name",
            "schema_name",
            "kind",
            "comment",
            "cluster_by",
            "rows",
            "bytes",
            "owner",
            "retention_time",
            "automatic_clustering",
            "change_tracking",
            "search_optimization",
            "search_optimization_progress",
            "search_optimization_bytes",
            "is_external",
            "enable_schema_evolution",
            "owner_role_type",
            "is_event",
            "is_hybrid",
            "is_iceberg",
            "is_dynamic",
            "is_immutable",
            "is_interactive",
            "row_timestamp",
            "error_logging",
        ]))
    }

    fn views(&self, scope: &Scope, rows: &mut Rows) -> Result<Vec<Column>, SqlError> {
        'schemas: for (db, schema) in self.scope_schemas(scope)? {
            for view in schema.views.values() {
                if !self.sees(
                    ObjectKind::View,
                    &db.name,
                    &schema.name,
                    &view.owner,
                    &view.name,
                ) {
                    continue;
                }
                let more = rows.offer(&view.name, || {
                    let owned = self.vis.sees_all() || self.vis.roles.contains(&view.owner);
                    vec![
                        s(show_time(view.created_on)),
                        s(&view.name),
                        s(""),
                        s(&db.name),
                        s(&schema.name),
                        s(&view.owner),
                        s(&view.comment),
                        s(if view.secure && !owned {
                            ""
                        } else {
                            &view.text
                        }),
                        s(view.secure.to_string()),
                        s("false"),
                        role_type(&view.owner),
                        s("OFF"),
                    ]
                });
                if !more {
                    break 'schemas;
                }
            }
        }
        Ok(text_columns(&[
            "created_on",
            "name",
            "reserved",
            "database_name",
            "schema_name",
            "owner",
            "comment",
            "text",
            "is_secure",
            "is_materialized",
            "owner_role_type",
            "change_tracking",
        ]))
    }

    /// SHOW COLUMNS: the columns of tables and views, by object then position. A view whose
    /// query no longer compiles (a table it reads was dropped) has no columns to show.
    fn columns(&self, scope: &Scope, rows: &mut Rows) -> Result<Vec<Column>, SqlError> {
        let names = [
            "table_name",
            "schema_name",
            "column_name",
            "data_type",
            "null?",
            "default",
            "kind",
            "expression",
            "comment",
            "database_name",
            "autoincrement",
            "schema_evolution_record",
            "write_default",
        ];
        let only = match scope {
            Scope::Table(_, _, name) => Some(name),
            _ => None,
        };
        let mut found = false;
        'schemas: for (db, schema) in self.scope_schemas(scope)? {
            let mut objects: Vec<(&str, Cow<[TableColumn]>)> = Vec::new();
            for table in schema.tables.values() {
                if only.is_none_or(|o| *o == table.name)
                    && self.sees(
                        ObjectKind::Table,
                        &db.name,
                        &schema.name,
                        &table.owner,
                        &table.name,
                    )
                {
                    objects.push((&table.name, Cow::Borrowed(&table.columns)));
                }
            }
            for view in schema.views.values() {
                if only.is_none_or(|o| *o == view.name)
                    && self.sees(
                        ObjectKind::View,
                        &db.name,
                        &schema.name,
                        &view.owner,
                        &view.name,
                    )
                {
                    let location = (db.name.as_str(), schema.name.as_str(), view.name.as_str());
                    let columns =
                        query::view_columns(self.account, self.catalog, self.session, location)
                            .unwrap_or_default();
                    objects.push((&view.name, Cow::Owned(columns)));
                }
            }
            objects.sort_by(|a, b| a.0.cmp(b.0));
            for (object, columns) in objects {
                found = true;
                for c in columns.iter() {
                    if !rows.offer(&c.name, || column_row(&db.name, &schema.name, object, c)) {
                        break 'schemas;
                    }
                }
            }
        }
        if let (Scope::Table(db, schema, name), false) = (scope, found) {
            return Err(ddl::not_found("Table", &format!("{db}.{schema}.{name}")));
        }
        Ok(text_columns(&names))
    }

    fn users(&self, rows: &mut Rows) -> Vec<Column> {
        let names = [
            "name",
            "created_on",
            "login_name",
            "display_name",
            "first_name",
            "last_name",
            "email",
            "mins_to_unlock",
            "days_to_expiry",
            "comment",
            "disabled",
            "must_change_password",
            "snowflake_lock",
            "default_warehouse",
            "default_namespace",
            "default_role",
            "default_secondary_roles",
            "ext_authn_duo",
            "ext_authn_uid",
            "mins_to_bypass_mfa",
            "owner",
            "last_success_login",
            "expires_at_time",
            "locked_until_time",
            "has_password",
            "has_rsa_public_key",
            "type",
            "has_mfa",
            "has_pat",
            "has_workload_identity",
            "is_from_organization_user",
        ];
        for user in self.catalog.users.values() {
            let more = rows.offer(&user.name, || {
                let full = self.vis.sees_all()
                    || self.vis.roles.contains(&user.owner)
                    || self.vis.roles.contains("USERADMIN");
                if !full {
                    let mut row = vec![None; names.len()];
                    row[0] = s(&user.name);
                    return row;
                }
                let flag = |b: bool| s(b.to_string());
                vec![
                    s(&user.name),
                    s(show_time(user.created_on)),
                    s(&user.login_name),
                    s(&user.display_name),
                    user.first_name.clone(),
                    user.last_name.clone(),
                    user.email.clone(),
                    user.mins_to_unlock.clone(),
                    user.days_to_expiry.clone(),
                    user.comment.clone(),
                    flag(user.disabled),
                    flag(user.must_change_password),
                    flag(false),
                    user.default_warehouse.clone(),
                    user.default_namespace.clone(),
                    user.default_role.clone(),
                    user.default_secondary_roles.clone(),
                    flag(false),
                    None,
                    None,
                    s(&user.owner),
                    None,
                    None,
                    None,
                    flag(user.has_password),
                    flag(user.rsa_public_key.is_some() || user.rsa_public_key_2.is_some()),
                    user.kind.clone(),
                    flag(false),
                    flag(false),
                    flag(false),
                    flag(false),
                ]
            });
            if !more {
                break;
            }
        }
        text_columns(&names)
    }

    fn roles(&self, rows: &mut Rows) -> Vec<Column> {
        let default_role = self.user_default(|u| u.default_role.clone());
        for role in self.catalog.roles.values() {
            let more = rows.offer(&role.name, || {
                let count = |f: &dyn Fn(&super::catalog::Grant) -> bool| {
                    s(self
                        .catalog
                        .grants
                        .iter()
                        .filter(|g| g.on == ObjectKind::Role && f(g))
                        .count()
                        .to_string())
                };
                vec![
                    s(show_time(role.created_on)),
                    s(&role.name),
                    yes_no(
                        default_role.as_deref() == Some(&role.name)
                            || (default_role.is_none() && self.session.role == role.name),
                    ),
                    yes_no(self.session.role == role.name),
                    yes_no(self.session.role != role.name && self.vis.roles.contains(&role.name)),
                    count(&|g| g.name == role.name && g.grantee_kind == "USER"),
                    count(&|g| g.name == role.name && g.grantee_kind == "ROLE"),
                    count(&|g| g.grantee == role.name && g.grantee_kind == "ROLE"),
                    s(&role.owner),
                    s(&role.comment),
                    s("N"),
                ]
            });
            if !more {
                break;
            }
        }
        text_columns(&[
            "created_on",
            "name",
            "is_default",
            "is_current",
            "is_inherited",
            "assigned_to_users",
            "granted_to_roles",
            "granted_roles",
            "owner",
            "comment",
            "is_from_organization_user_group",
        ])
    }

    fn warehouses(&self, rows: &mut Rows) -> Vec<Column> {
        let default_warehouse = self.user_default(|u| u.default_warehouse.clone());
        for w in self.catalog.warehouses.values() {
            if !self
                .vis
                .sees(ObjectKind::Warehouse, &w.owner, &qualified(&[&w.name]))
            {
                continue;
            }
            let more = rows.offer(&w.name, || {
                let started = w.state == "STARTED";
                let n = |v: u32| s(v.to_string());
                vec![
                    s(&w.name),
                    s(&w.state),
                    s(&w.kind),
                    s(&w.size),
                    n(w.min_cluster_count),
                    n(w.max_cluster_count),
                    n(if started { w.min_cluster_count } else { 0 }),
                    n(0),
                    n(0),
                    yes_no(default_warehouse.as_deref() == Some(&w.name)),
                    yes_no(self.session.warehouse.as_deref() == Some(&w.name)),
                    n(w.auto_suspend),
                    s(w.auto_resume.to_string()),
                    s(""),
                    s(""),
                    s(""),
                    s(""),
                    s(show_time(w.created_on)),
                    s(show_time(w.created_on)),
                    s(show_time(w.created_on)),
                    s(&w.owner),
                    s(&w.comment),
                    s("true"),
                    n(2),
                    s("null"),
                    n(if started { w.min_cluster_count } else { 0 }),
                    n(0),
                    n(0),
                    n(if started { 0 } else { w.min_cluster_count }),
                    s(&w.uuid),
                    s("STANDARD"),
                    role_type(&w.owner),
                    s("STANDARD_GEN_2"),
                    s("2"),
                    None,
                    None,
                    None,
                    None,
                ]
            });
            if !more {
                break;
            }
        }
        text_columns(&[
            "name",
            "state",
            "type",
            "size",
            "min_cluster_count",
            "max_cluster_count",
            "started_clusters",
            "running",
            "queued",
            "is_default",
            "is_current",
            "auto_suspend",
            "auto_resume",
            "available",
            "provisioning",
            "quiescing",
            "other",
            "created_on",
            "resumed_on",
            "updated_on",
            "owner",
            "comment",
            "enable_query_acceleration",
            "query_acceleration_max_scale_factor",
            "resource_monitor",
            "actives",
            "pendings",
            "failed",
            "suspended",
            "uuid",
            "scaling_policy",
            "owner_role_type",
            "resource_constraint",
            "generation",
            "query_throughput_multiplier",
            "max_query_performance_level",
            "disabled_reasons",
            "tables",
        ])
    }

    fn schema_objects(
        &self,
        what: &str,
        scope: &Scope,
        rows: &mut Rows,
    ) -> Result<Vec<Column>, SqlError> {
        'schemas: for (db, schema) in self.scope_schemas(scope)? {
            let more = match what {
                "STAGES" => schema.stages.values().all(|stage| {
                    !self.sees(
                        ObjectKind::Stage,
                        &db.name,
                        &schema.name,
                        &stage.owner,
                        &stage.name,
                    ) || rows.offer(&stage.name, || {
                        let external = !stage.url.is_empty();
                        vec![
                            s(show_time(stage.created_on)),
                            s(&stage.name),
                            s(&db.name),
                            s(&schema.name),
                            s(&stage.url),
                            s("N"),
                            s("N"),
                            s(&stage.owner),
                            s(&stage.comment),
                            None,
                            s(if external { "EXTERNAL" } else { "INTERNAL" }),
                            None,
                            None,
                            None,
                            None,
                            role_type(&stage.owner),
                            s("N"),
                        ]
                    })
                }),
                "STREAMS" => schema.streams.values().all(|stream| {
                    !self.sees(
                        ObjectKind::Stream,
                        &db.name,
                        &schema.name,
                        &stream.owner,
                        &stream.name,
                    ) || rows.offer(&stream.name, || {
                        vec![
                            s(show_time(stream.created_on)),
                            s(&stream.name),
                            s(&db.name),
                            s(&schema.name),
                            s(&stream.owner),
                            s(&stream.comment),
                            s(&stream.table_name),
                            s("Table"),
                            s(&stream.table_name),
                            s("DELTA"),
                            s("false"),
                            s(&stream.mode),
                            s(show_time(stream.created_on + 14 * 86_400_000)),
                            s("N/A"),
                            role_type(&stream.owner),
                        ]
                    })
                }),
                _ => schema.tasks.values().all(|task| {
                    !self.sees(
                        ObjectKind::Task,
                        &db.name,
                        &schema.name,
                        &task.owner,
                        &task.name,
                    ) || rows.offer(&task.name, || {
                        vec![
                            s(show_time(task.created_on)),
                            s(&task.name),
                            s(&task.id),
                            s(&db.name),
                            s(&schema.name),
                            s(&task.owner),
                            s(&task.comment),
                            (!task.warehouse.is_empty()).then(|| task.warehouse.clone()),
                            (!task.schedule.is_empty()).then(|| task.schedule.clone()),
                            s("[]"),
                            s(&task.state),
                            s(&task.definition),
                            None,
                            s("false"),
                            s("null"),
                            None,
                            None,
                            role_type(&task.owner),
                            None,
                            s(r#"{"Predecessors":[]}"#),
                            None,
                            s("null"),
                            None,
                            None,
                            None,
                            s("NO_OVERLAP"),
                            s(&task.created_by),
                        ]
                    })
                }),
            };
            if !more {
                break 'schemas;
            }
        }
        Ok(text_columns(match what {
            "STAGES" => &[
                "created_on",
                "name",
                "database_name",
                "schema_name",
                "url",
                "has_credentials",
                "has_encryption_key",
                "owner",
                "comment",
                "region",
                "type",
                "cloud",
                "notification_channel",
                "storage_integration",
                "endpoint",
                "owner_role_type",
                "directory_enabled",
            ],
            "STREAMS" => &[
                "created_on",
                "name",
                "database_name",
                "schema_name",
                "owner",
                "comment",
                "table_name",
                "source_type",
                "base_tables",
                "type",
                "stale",
                "mode",
                "stale_after",
                "invalid_reason",
                "owner_role_type",
            ],
            _ => &[
                "created_on",
                "name",
                "id",
                "database_name",
                "schema_name",
                "owner",
                "comment",
                "warehouse",
                "schedule",
                "predecessors",
                "state",
                "definition",
                "condition",
                "allow_overlapping_execution",
                "error_integration",
                "last_committed_on",
                "last_suspended_on",
                "owner_role_type",
                "config",
                "task_relations",
                "last_suspended_reason",
                "success_integration",
                "scheduling_mode",
                "target_completion_interval",
                "execute_as_user",
                "overlap_policy",
                "created_by_user",
            ],
        }))
    }
}

fn table_row(db: &Database, schema: &Schema, table: &Table) -> Vec<Option<String>> {
    let rows = table.row_count().max(0);
    let bytes = if rows == 0 { 0 } else { 1024 + rows * 64 };
    vec![
        s(show_time(table.created_on)),
        s(&table.name),
        s(&db.name),
        s(&schema.name),
        s(&table.kind),
        s(&table.comment),
        s(""),
        s(rows.to_string()),
        s(bytes.to_string()),
        s(&table.owner),
        s("1"),
        s("OFF"),
        s(if table.change_tracking { "ON" } else { "OFF" }),
        s("OFF"),
        None,
        None,
        s("N"),
        s("N"),
        role_type(&table.owner),
        s("N"),
        s("N"),
        s("N"),
        s("N"),
        s("N"),
        s("N"),
        s("OFF"),
        s("OFF"),
    ]
}

fn column_row(db: &str, schema: &str, table: &str, c: &TableColumn) -> Vec<Option<String>> {
    vec![
        s(table),
        s(schema),
        s(&c.name),
        s(c.ty.show_json()),
        s(if c.ty.nullable { "true" } else { "NOT_NULL" }),
        s(c.default.clone().unwrap_or_default()),
        s("COLUMN"),
        s(""),
        s(&c.comment),
        s(db),
        s(c.identity
            .map(|(start, inc)| format!("IDENTITY START {start} INCREMENT {inc} NOORDER"))
            .unwrap_or_default()),
        None,
        None,
    ]
}

// ---------------------------------------------------------------------------------------------
// SHOW GRANTS

fn grants(
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
    let grant_row = |g: &super::catalog::Grant| {
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
            return Err(ddl::not_found("Role", &role));
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
            return Err(ddl::not_found("Role", &role));
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
            return Err(ddl::not_found("User", &user));
        }
        if user != session.user
            && !(vis.sees_all()
                || vis.roles.contains("SECURITYADMIN")
                || vis.roles.contains("USERADMIN"))
        {
            return Err(ddl::insufficient(&format!("user '{user}'")));
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

fn finish_grants(c: &mut Cursor) -> Result<(), SqlError> {
    if c.keyword("LIMIT") {
        c.integer()?;
    }
    c.end()
}

/// OWNERSHIP rows of SHOW GRANTS TO ROLE: what the role owns.
fn ownership_rows(catalog: &Catalog, role: &str) -> Vec<Vec<Option<String>>> {
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

// ---------------------------------------------------------------------------------------------
// INFORMATION_SCHEMA

/// One INFORMATION_SCHEMA view of one database, materialised into a SQLite temporary table for
/// the statement that reads it.
#[derive(Debug)]
pub struct InfoTable {
    pub name: String,
    pub columns: Vec<(String, SfType)>,
    rows: Vec<Vec<Value>>,
}

impl InfoTable {
    /// A table of `rows` with `columns`; `index` makes its temporary name unique.
    fn new(columns: Vec<(&str, SfType)>, rows: Vec<Vec<Value>>, index: usize) -> Self {
        Self {
            name: format!("is{}_{}", index, fastrand::u32(..)),
            columns: columns
                .into_iter()
                .map(|(n, ty)| (n.to_owned(), ty))
                .collect(),
            rows,
        }
    }

    /// Creates and fills `temp.<name>` on `conn`.
    pub fn materialize(&self, conn: &rusqlite::Connection) -> Result<(), SqlError> {
        let definitions: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| format!("c{i} {}", ty.kind.storage(ty.scale)))
            .collect();
        conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.{0}; CREATE TEMP TABLE {0} ({1})",
            self.name,
            definitions.join(", ")
        ))
        .map_err(internal)?;
        let placeholders: Vec<String> = (1..=self.columns.len()).map(|i| format!("?{i}")).collect();
        let mut insert = conn
            .prepare(&format!(
                "INSERT INTO temp.{} VALUES ({})",
                self.name,
                placeholders.join(", ")
            ))
            .map_err(sql_error)?;
        for row in &self.rows {
            insert
                .execute(rusqlite::params_from_iter(row.iter()))
                .map_err(sql_error)?;
        }
        Ok(())
    }
}

/// The INFORMATION_SCHEMA view `view` of database `db` as the role sees it, or `None` for a
/// view the emulator does not have. `index` makes the temporary table's name unique.
pub fn information_schema(
    catalog: &Catalog,
    vis: &Visibility,
    db: &str,
    view: &str,
    index: usize,
) -> Option<InfoTable> {
    let database = catalog.databases.get(db)?;
    let text = SfType::show_text;
    let number = || SfType::fixed(38, 0);
    let time = || SfType::scaled(Kind::TimestampLtz, 9);
    let t = |v: &str| Value::Text(v.to_owned());
    let opt = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    let ts = |millis: i64| Value::Integer(millis * 1_000_000);
    let schemas: Vec<&Schema> = database
        .schemas
        .values()
        .filter(|s| schema_visible(vis, db, s))
        .collect();
    let (columns, rows): (Vec<(&str, SfType)>, Vec<Vec<Value>>) = match view {
        "SCHEMATA" => (
            vec![
                ("CATALOG_NAME", text()),
                ("SCHEMA_NAME", text()),
                ("SCHEMA_OWNER", text()),
                ("IS_TRANSIENT", text()),
                ("IS_MANAGED_ACCESS", text()),
                ("RETENTION_TIME", number()),
                ("DEFAULT_CHARACTER_SET_CATALOG", text()),
                ("DEFAULT_CHARACTER_SET_SCHEMA", text()),
                ("DEFAULT_CHARACTER_SET_NAME", text()),
                ("SQL_PATH", text()),
                ("CREATED", time()),
                ("LAST_ALTERED", time()),
                ("COMMENT", text()),
                ("REPLICABLE_WITH_FAILOVER_GROUPS", text()),
                ("OWNER_ROLE_TYPE", text()),
            ],
            schemas
                .iter()
                .map(|s| {
                    vec![
                        t(db),
                        t(&s.name),
                        opt((!s.owner.is_empty()).then(|| s.owner.clone())),
                        t("NO"),
                        t("NO"),
                        Value::Integer(1),
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        ts(s.created_on),
                        ts(s.created_on),
                        opt((!s.comment.is_empty()).then(|| s.comment.clone())),
                        t("NO"),
                        opt((!s.owner.is_empty()).then(|| "ROLE".into())),
                    ]
                })
                .collect(),
        ),
        "TABLES" => (
            vec![
                ("TABLE_CATALOG", text()),
                ("TABLE_SCHEMA", text()),
                ("TABLE_NAME", text()),
                ("TABLE_OWNER", text()),
                ("TABLE_TYPE", text()),
                ("IS_TRANSIENT", text()),
                ("CLUSTERING_KEY", text()),
                ("ROW_COUNT", number()),
                ("BYTES", number()),
                ("RETENTION_TIME", number()),
                ("SELF_REFERENCING_COLUMN_NAME", text()),
                ("REFERENCE_GENERATION", text()),
                ("USER_DEFINED_TYPE_CATALOG", text()),
                ("USER_DEFINED_TYPE_SCHEMA", text()),
                ("USER_DEFINED_TYPE_NAME", text()),
                ("IS_INSERTABLE_INTO", text()),
                ("IS_TYPED", text()),
                ("COMMIT_ACTION", text()),
                ("CREATED", time()),
                ("LAST_ALTERED", time()),
                ("LAST_DDL", time()),
                ("LAST_DDL_BY", text()),
                ("AUTO_CLUSTERING_ON", text()),
                ("COMMENT", text()),
                ("IS_TEMPORARY", text()),
                ("IS_ICEBERG", text()),
                ("IS_DYNAMIC", text()),
                ("IS_IMMUTABLE", text()),
            ],
            schemas
                .iter()
                .flat_map(|s| {
                    let tables = s
                        .tables
                        .values()
                        .filter(move |tb| {
                            vis.sees(
                                ObjectKind::Table,
                                &tb.owner,
                                &qualified(&[db, &s.name, &tb.name]),
                            )
                        })
                        .map(move |tb| {
                            let rows = tb.row_count().max(0);
                            vec![
                                t(db),
                                t(&s.name),
                                t(&tb.name),
                                t(&tb.owner),
                                t("BASE TABLE"),
                                t("NO"),
                                Value::Null,
                                Value::Integer(rows),
                                Value::Integer(if rows == 0 { 0 } else { 1024 + rows * 64 }),
                                Value::Integer(1),
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                t("YES"),
                                t("YES"),
                                Value::Null,
                                ts(tb.created_on),
                                ts(tb.created_on),
                                ts(tb.created_on),
                                Value::Null,
                                t("NO"),
                                opt((!tb.comment.is_empty()).then(|| tb.comment.clone())),
                                t("NO"),
                                t("NO"),
                                t("NO"),
                                t("NO"),
                            ]
                        });
                    let views = s
                        .views
                        .values()
                        .filter(move |v| {
                            vis.sees(
                                ObjectKind::View,
                                &v.owner,
                                &qualified(&[db, &s.name, &v.name]),
                            )
                        })
                        .map(move |v| {
                            vec![
                                t(db),
                                t(&s.name),
                                t(&v.name),
                                t(&v.owner),
                                t("VIEW"),
                                t("NO"),
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                t("NO"),
                                t("NO"),
                                Value::Null,
                                ts(v.created_on),
                                ts(v.created_on),
                                ts(v.created_on),
                                Value::Null,
                                t("NO"),
                                opt((!v.comment.is_empty()).then(|| v.comment.clone())),
                                t("NO"),
                                t("NO"),
                                t("NO"),
                                t("NO"),
                            ]
                        });
                    let mut all: Vec<(String, Vec<Value>)> = tables
                        .chain(views)
                        .map(|row| {
                            (
                                match &row[2] {
                                    Value::Text(n) => n.clone(),
                                    _ => String::new(),
                                },
                                row,
                            )
                        })
                        .collect();
                    all.sort_by(|a, b| a.0.cmp(&b.0));
                    all.into_iter().map(|(_, row)| row)
                })
                .collect(),
        ),
        "VIEWS" => (
            vec![
                ("TABLE_CATALOG", text()),
                ("TABLE_SCHEMA", text()),
                ("TABLE_NAME", text()),
                ("TABLE_OWNER", text()),
                ("VIEW_DEFINITION", text()),
                ("CHECK_OPTION", text()),
                ("IS_UPDATABLE", text()),
                ("INSERTABLE_INTO", text()),
                ("IS_SECURE", text()),
                ("CREATED", time()),
                ("LAST_ALTERED", time()),
                ("LAST_DDL", time()),
                ("LAST_DDL_BY", text()),
                ("COMMENT", text()),
            ],
            schemas
                .iter()
                .flat_map(|s| {
                    s.views
                        .values()
                        .filter(move |v| {
                            vis.sees(
                                ObjectKind::View,
                                &v.owner,
                                &qualified(&[db, &s.name, &v.name]),
                            )
                        })
                        .map(move |v| {
                            vec![
                                t(db),
                                t(&s.name),
                                t(&v.name),
                                t(&v.owner),
                                t(&v.text),
                                t("NONE"),
                                t("NO"),
                                t("NO"),
                                t(if v.secure { "YES" } else { "NO" }),
                                ts(v.created_on),
                                ts(v.created_on),
                                ts(v.created_on),
                                Value::Null,
                                opt((!v.comment.is_empty()).then(|| v.comment.clone())),
                            ]
                        })
                })
                .collect(),
        ),
        "COLUMNS" => {
            let columns = [
                "TABLE_CATALOG",
                "TABLE_SCHEMA",
                "TABLE_NAME",
                "COLUMN_NAME",
                "ORDINAL_POSITION",
                "COLUMN_DEFAULT",
                "IS_NULLABLE",
                "DATA_TYPE",
                "CHARACTER_MAXIMUM_LENGTH",
                "CHARACTER_OCTET_LENGTH",
                "NUMERIC_PRECISION",
                "NUMERIC_PRECISION_RADIX",
                "NUMERIC_SCALE",
                "DATETIME_PRECISION",
                "INTERVAL_TYPE",
                "INTERVAL_PRECISION",
                "CHARACTER_SET_CATALOG",
                "CHARACTER_SET_SCHEMA",
                "CHARACTER_SET_NAME",
                "COLLATION_CATALOG",
                "COLLATION_SCHEMA",
                "COLLATION_NAME",
                "DOMAIN_CATALOG",
                "DOMAIN_SCHEMA",
                "DOMAIN_NAME",
                "UDT_CATALOG",
                "UDT_SCHEMA",
                "UDT_NAME",
                "SCOPE_CATALOG",
                "SCOPE_SCHEMA",
                "SCOPE_NAME",
                "MAXIMUM_CARDINALITY",
                "DTD_IDENTIFIER",
                "IS_SELF_REFERENCING",
                "IS_IDENTITY",
                "IDENTITY_GENERATION",
                "IDENTITY_START",
                "IDENTITY_INCREMENT",
                "IDENTITY_MAXIMUM",
                "IDENTITY_MINIMUM",
                "IDENTITY_CYCLE",
                "IDENTITY_ORDERED",
                "SCHEMA_EVOLUTION_RECORD",
                "COMMENT",
                "DATA_TYPE_ALIAS",
                "EXPRESSION",
                "KIND",
            ];
            let numeric = [
                "ORDINAL_POSITION",
                "CHARACTER_MAXIMUM_LENGTH",
                "CHARACTER_OCTET_LENGTH",
                "NUMERIC_PRECISION",
                "NUMERIC_PRECISION_RADIX",
                "NUMERIC_SCALE",
                "DATETIME_PRECISION",
                "INTERVAL_PRECISION",
                "MAXIMUM_CARDINALITY",
            ];
            let typed: Vec<(&str, SfType)> = columns
                .iter()
                .map(|c| {
                    (
                        *c,
                        if numeric.contains(c) {
                            number()
                        } else {
                            text()
                        },
                    )
                })
                .collect();
            let mut rows = Vec::new();
            for s in &schemas {
                for tb in s.tables.values().filter(|tb| {
                    vis.sees(
                        ObjectKind::Table,
                        &tb.owner,
                        &qualified(&[db, &s.name, &tb.name]),
                    )
                }) {
                    for (i, c) in tb.columns.iter().enumerate() {
                        rows.push(information_column(db, &s.name, &tb.name, i, c, typed.len()));
                    }
                }
            }
            (typed, rows)
        }
        _ => return None,
    };
    Some(InfoTable::new(columns, rows, index))
}

/// `INFORMATION_SCHEMA.QUERY_HISTORY()`: the newest `limit` statements of the history, newest
/// first; the session's user's own, or everyone's for ACCOUNTADMIN. `index` makes the temporary
/// table's name unique.
pub fn query_history(
    entries: Vec<HistoryEntry>,
    session: &Session,
    limit: usize,
    index: usize,
) -> InfoTable {
    let text = SfType::show_text;
    let number = || SfType::fixed(38, 0);
    let time = || SfType::scaled(Kind::TimestampLtz, 9);
    let t = |v: String| Value::Text(v);
    let opt = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    let nanos = |time: chrono::DateTime<chrono::Utc>| {
        Value::Integer(time.timestamp_nanos_opt().unwrap_or_default())
    };
    let everyone = session.role == "ACCOUNTADMIN";
    let rows = entries
        .into_iter()
        .rev()
        .filter(|entry| everyone || entry.user_name == session.user)
        .take(limit)
        .map(|entry| {
            let elapsed = entry
                .end_time
                .unwrap_or_else(chrono::Utc::now)
                .signed_duration_since(entry.start_time)
                .num_milliseconds();
            vec![
                t(entry.query_id),
                t(entry.query_text),
                opt(entry.database_name),
                opt(entry.schema_name),
                t(entry.query_type),
                t(entry.user_name),
                t(entry.role_name),
                opt(entry.warehouse_name),
                t(entry.query_tag),
                t(entry.execution_status),
                opt(entry.error_code),
                opt(entry.error_message),
                nanos(entry.start_time),
                entry.end_time.map_or(Value::Null, nanos),
                Value::Integer(elapsed),
                entry
                    .rows_produced
                    .map_or(Value::Null, |rows| Value::Integer(rows as i64)),
            ]
        })
        .collect();
    let columns = [
        ("QUERY_ID", text()),
        ("QUERY_TEXT", text()),
        ("DATABASE_NAME", text()),
        ("SCHEMA_NAME", text()),
        ("QUERY_TYPE", text()),
        ("USER_NAME", text()),
        ("ROLE_NAME", text()),
        ("WAREHOUSE_NAME", text()),
        ("QUERY_TAG", text()),
        ("EXECUTION_STATUS", text()),
        ("ERROR_CODE", text()),
        ("ERROR_MESSAGE", text()),
        ("START_TIME", time()),
        ("END_TIME", time()),
        ("TOTAL_ELAPSED_TIME", number()),
        ("ROWS_PRODUCED", number()),
    ];
    InfoTable::new(Vec::from(columns), rows, index)
}

fn information_column(
    db: &str,
    schema: &str,
    table: &str,
    index: usize,
    c: &TableColumn,
    width: usize,
) -> Vec<Value> {
    let t = |v: &str| Value::Text(v.to_owned());
    let int = |v: u64| Value::Integer(v as i64);
    let ty = &c.ty;
    let mut row = vec![Value::Null; width];
    row[0] = t(db);
    row[1] = t(schema);
    row[2] = t(table);
    row[3] = t(&c.name);
    row[4] = int(index as u64 + 1);
    row[5] = c.default.as_deref().map_or(Value::Null, t);
    row[6] = t(if ty.nullable { "YES" } else { "NO" });
    row[7] = t(standard_type(ty.kind));
    if matches!(ty.kind, Kind::Text | Kind::Binary) {
        row[8] = int(ty.length);
        row[9] = int(ty.byte_length);
    }
    if ty.kind == Kind::Fixed {
        row[10] = int(u64::from(ty.precision));
        row[11] = int(10);
        row[12] = int(u64::from(ty.scale));
    }
    if ty.kind == Kind::Time || ty.kind.is_timestamp() {
        row[13] = int(u64::from(ty.scale));
    }
    row[33] = t("NO");
    row[34] = t(if c.identity.is_some() { "YES" } else { "NO" });
    if let Some((start, increment)) = c.identity {
        row[36] = t(&start.to_string());
        row[37] = t(&increment.to_string());
        row[40] = t("NO");
        row[41] = t("NO");
    }
    row[43] = if c.comment.is_empty() {
        Value::Null
    } else {
        t(&c.comment)
    };
    row[44] = t(&ty.sql_name());
    row[46] = t("COLUMN");
    row
}

/// `DATA_TYPE` of INFORMATION_SCHEMA.COLUMNS.
fn standard_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "TEXT",
        Kind::Binary => "BINARY",
        Kind::Boolean => "BOOLEAN",
        Kind::Date => "DATE",
        Kind::Time => "TIME",
        Kind::TimestampNtz => "TIMESTAMP_NTZ",
        Kind::TimestampLtz => "TIMESTAMP_LTZ",
        Kind::TimestampTz => "TIMESTAMP_TZ",
        Kind::Variant => "VARIANT",
        Kind::Object => "OBJECT",
        Kind::Array => "ARRAY",
        Kind::Fixed => "NUMBER",
        Kind::Real => "FLOAT",
    }
}

#[cfg(test)]
mod tests {
    use super::like;

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
