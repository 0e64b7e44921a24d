//! SHOW DATABASES, SCHEMAS, TABLES, VIEWS and COLUMNS.

use std::borrow::Cow;

use super::context::*;
use crate::account::{
    catalog::{Database, ObjectKind, Schema, Table, TableColumn},
    lookup::{self, *},
    now_millis, query,
    types::show_time,
};
use crate::exec::{Column, SqlError};

impl Context<'_> {
    pub(super) fn databases(&self, rows: &mut Rows) -> Vec<Column> {
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
    pub(super) fn scope_databases(&self, scope: &Scope) -> Result<Vec<&Database>, SqlError> {
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
    pub(super) fn scope_schemas(
        &self,
        scope: &Scope,
    ) -> Result<Vec<(&Database, &Schema)>, SqlError> {
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

    pub(super) fn schemas(&self, scope: &Scope, rows: &mut Rows) -> Result<Vec<Column>, SqlError> {
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

    pub(super) fn tables(&self, scope: &Scope, rows: &mut Rows) -> Result<Vec<Column>, SqlError> {
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

    pub(super) fn views(&self, scope: &Scope, rows: &mut Rows) -> Result<Vec<Column>, SqlError> {
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
    pub(super) fn columns(&self, scope: &Scope, rows: &mut Rows) -> Result<Vec<Column>, SqlError> {
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
            return Err(lookup::not_found("Table", &format!("{db}.{schema}.{name}")));
        }
        Ok(text_columns(&names))
    }
}

pub(super) fn table_row(db: &Database, schema: &Schema, table: &Table) -> Vec<Option<String>> {
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

pub(super) fn column_row(
    db: &str,
    schema: &str,
    table: &str,
    c: &TableColumn,
) -> Vec<Option<String>> {
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
