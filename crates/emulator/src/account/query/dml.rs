//! INSERT, UPDATE and DELETE: their targets, values and conversions to the stored types.

use std::sync::Arc;

use sqlparser::{
    ast::{self, ObjectName, SetExpr, TableFactor},
    dialect::SnowflakeDialect,
    parser::Parser,
};

use crate::account::{
    catalog::{ObjectKind, Table, qualified},
    lexer::syntax_error_text,
    lookup::{self, *},
    types::{Origin, SfType},
};
use crate::exec::SqlError;

use super::compiler::*;

impl Compiler<'_> {
    pub(super) fn target_table(
        &mut self,
        name: &ObjectName,
    ) -> Result<(Arc<Table>, Origin), SqlError> {
        let parts = object_parts(name)?;
        let (db, schema, table_name) = self.object_path(&parts)?;
        let full = format!("{db}.{schema}.{table_name}");
        let schema_entry = lookup::schema(self.catalog, &self.vis, &db, &schema)
            .map_err(|_| not_found("Object", &full))?;
        let table = schema_entry
            .tables
            .get(&table_name)
            .filter(|t| {
                self.vis.sees(
                    ObjectKind::Table,
                    &t.owner,
                    &qualified(&[&db, &schema, &table_name]),
                )
            })
            .cloned()
            .ok_or_else(|| not_found("Table", &full))?;
        if !self.vis.sees_all()
            && !self.vis.roles.contains(&table.owner)
            && !self.vis.roles.contains("SYSADMIN")
            && !self.write_granted(&qualified(&[&db, &schema, &table_name]))
        {
            return Err(lookup::insufficient(&format!("table '{table_name}'")));
        }
        self.tables.push(table.clone());
        Ok((
            table,
            Origin {
                database: db,
                schema,
                table: table_name,
            },
        ))
    }

    pub(super) fn write_granted(&self, name: &str) -> bool {
        self.catalog.grants.iter().any(|g| {
            g.on == ObjectKind::Table
                && g.name == name
                && self.vis.roles.contains(&g.grantee)
                && matches!(g.privilege.as_str(), "INSERT" | "UPDATE" | "DELETE" | "ALL")
        })
    }

    pub(super) fn table_relation(
        table: &Table,
        alias: &str,
        name: &str,
        origin: &Origin,
    ) -> Relation {
        Relation {
            name: name.to_owned(),
            columns: table
                .columns
                .iter()
                .map(|c| RelationColumn {
                    name: c.name.clone(),
                    sql: format!("{alias}.c{}", c.slot),
                    ty: c.ty.clone(),
                    origin: Some(origin.clone()),
                })
                .collect(),
        }
    }

    pub(super) fn insert(&mut self, insert: &ast::Insert) -> Result<Plan, SqlError> {
        let ast::TableObject::TableName(name) = &insert.table else {
            return Err(unsupported("INSERT INTO a table function"));
        };
        if insert.overwrite
            || insert.on.is_some()
            || insert.returning.is_some()
            || !insert.assignments.is_empty()
            || insert.or.is_some()
            || insert.ignore
            || insert.replace_into
            || insert.by_name
            || insert.partitioned.is_some()
            || !insert.after_columns.is_empty()
            || insert.overriding.is_some()
            || insert.output.is_some()
            || insert.table_alias.is_some()
            || !insert.optimizer_hints.is_empty()
        {
            return Err(unsupported("this INSERT form"));
        }
        let (table, _) = self.target_table(name)?;
        let targets: Vec<usize> = if insert.columns.is_empty() {
            (0..table.columns.len()).collect()
        } else {
            let mut targets = Vec::new();
            for column in &insert.columns {
                let column = object_parts(column)?.pop().unwrap_or_default();
                let index = table
                    .columns
                    .iter()
                    .position(|c| c.name == column)
                    .ok_or_else(|| invalid_identifier(&column, (1, 0)))?;
                targets.push(index);
            }
            targets
        };
        let missing: Vec<usize> = (0..table.columns.len())
            .filter(|i| !targets.contains(i))
            .collect();
        let Some(source) = &insert.source else {
            return Err(unsupported("INSERT without VALUES or SELECT"));
        };
        let (source_sql, source_columns) = match source.body.as_ref() {
            SetExpr::Values(values)
                if source.order_by.is_none()
                    && source.limit_clause.is_none()
                    && source.with.is_none() =>
            {
                let mut rows = Vec::new();
                for row in &values.rows {
                    if row.content.len() != targets.len() {
                        return Err(value_count(targets.len(), row.content.len()));
                    }
                    let mut cells = Vec::new();
                    for (expr, &target) in row.content.iter().zip(&targets) {
                        let typed = self.expr(expr, &[], &[])?;
                        cells.push(self.store_as(typed, &table.columns[target].ty).sql);
                    }
                    rows.push(format!("({})", cells.join(", ")));
                }
                (format!("VALUES {}", rows.join(", ")), None)
            }
            _ => {
                let (sql, columns) = self.query(source, &[])?;
                if columns.len() != targets.len() {
                    return Err(value_count(targets.len(), columns.len()));
                }
                (sql, Some(columns))
            }
        };
        let mut identity_step = None;
        let mut default_sql = Vec::new();
        for &index in &missing {
            let column = &table.columns[index];
            if let Some((_, increment)) = column.identity {
                identity_step = Some(increment);
                default_sql.push(format!(
                    "(?{{start}} + (row_number() OVER () - 1) * {increment})"
                ));
            } else if let Some(default) = &column.default {
                let expr = Parser::new(&SnowflakeDialect {})
                    .try_with_sql(default)
                    .and_then(|mut p| p.parse_expr())
                    .map_err(|e| syntax_error_text(&e.to_string()))?;
                let typed = self.expr(&expr, &[], &[])?;
                default_sql.push(self.store_as(typed, &column.ty).sql);
            } else {
                default_sql.push("NULL".into());
            }
        }
        let start_param = format!("?{}", self.params.len() + 1);
        let default_sql: Vec<String> = default_sql
            .into_iter()
            .map(|s| s.replace("?{start}", &start_param))
            .collect();
        let column_list: Vec<String> = targets
            .iter()
            .chain(&missing)
            .map(|&i| format!("c{}", table.columns[i].slot))
            .collect();
        let mut select_items: Vec<String> = Vec::new();
        for (position, &target) in targets.iter().enumerate() {
            let item = format!("s.column{}", position + 1);
            let item = match &source_columns {
                Some(columns) => {
                    let typed = Typed::new(format!("s.c{position}"), columns[position].ty.clone());
                    self.store_as(typed, &table.columns[target].ty).sql
                }
                None => item,
            };
            select_items.push(item);
        }
        select_items.extend(default_sql);
        let sql = format!(
            "INSERT INTO {} ({}) SELECT {} FROM ({source_sql}) AS s",
            table.storage_name(),
            column_list.join(", "),
            select_items.join(", ")
        );
        Ok(Plan::Dml {
            sql,
            kind: DmlKind::Insert,
            table,
            identity_step,
        })
    }

    /// Converts a value to a column's storage form, failing like Snowflake on bad input.
    pub(super) fn store_as(&mut self, value: Typed, target: &SfType) -> Typed {
        if value.ty.fits(target) || value.sql == "NULL" {
            value
        } else {
            let sql = format!(
                "sf_store({}, {}, {})",
                value.sql,
                value.ty.cast_args(),
                target.cast_args()
            );
            Typed::new(sql, target.clone())
        }
    }

    /// The table an UPDATE or DELETE changes: the table, its SQLite alias and the scope its
    /// WHERE clause sees.
    pub(super) fn dml_target(
        &mut self,
        factor: &TableFactor,
        statement: &str,
    ) -> Result<DmlTarget, SqlError> {
        let TableFactor::Table { name, alias, .. } = factor else {
            return Err(unsupported(&format!("{statement} of this target")));
        };
        plain_table(factor)?;
        let (table, origin) = self.target_table(name)?;
        let sql_alias = self.alias();
        let relation_name = alias
            .as_ref()
            .map(|a| ident(&a.name))
            .unwrap_or_else(|| origin.table.clone());
        let scopes = vec![vec![Self::table_relation(
            &table,
            &sql_alias,
            &relation_name,
            &origin,
        )]];
        Ok((table, sql_alias, scopes))
    }

    pub(super) fn update(&mut self, update: &ast::Update) -> Result<Plan, SqlError> {
        if update.returning.is_some()
            || update.output.is_some()
            || update.or.is_some()
            || update.on_cluster.is_some()
            || !update.optimizer_hints.is_empty()
            || update.limit.is_some()
            || !update.order_by.is_empty()
            || update.from.is_some()
            || !update.table.joins.is_empty()
        {
            return Err(unsupported("this UPDATE form"));
        }
        let (table, sql_alias, scopes) = self.dml_target(&update.table.relation, "UPDATE")?;
        let mut sets = Vec::new();
        for assignment in &update.assignments {
            let ast::AssignmentTarget::ColumnName(column) = &assignment.target else {
                return Err(unsupported("tuple assignment"));
            };
            let column = object_parts(column)?.pop().unwrap_or_default();
            let index = table
                .columns
                .iter()
                .position(|c| c.name == column)
                .ok_or_else(|| invalid_identifier(&column, (1, 0)))?;
            let typed = self.expr(&assignment.value, &scopes, &[])?;
            let typed = self.store_as(typed, &table.columns[index].ty);
            sets.push(format!("c{} = {}", table.columns[index].slot, typed.sql));
        }
        let mut sql = format!(
            "UPDATE {} AS {sql_alias} SET {}",
            table.storage_name(),
            sets.join(", ")
        );
        if let Some(selection) = &update.selection {
            sql.push_str(&format!(
                " WHERE {}",
                self.expr(selection, &scopes, &[])?.sql
            ));
        }
        Ok(Plan::Dml {
            sql,
            kind: DmlKind::Update,
            table,
            identity_step: None,
        })
    }

    pub(super) fn delete(&mut self, delete: &ast::Delete) -> Result<Plan, SqlError> {
        if delete.using.is_some()
            || delete.returning.is_some()
            || delete.output.is_some()
            || delete.on_cluster.is_some()
            || delete.settings.is_some()
            || !delete.optimizer_hints.is_empty()
            || delete.limit.is_some()
            || !delete.order_by.is_empty()
            || !delete.tables.is_empty()
        {
            return Err(unsupported("this DELETE form"));
        }
        let from = match &delete.from {
            ast::FromTable::WithFromKeyword(from) | ast::FromTable::WithoutKeyword(from) => from,
        };
        let [item] = from.as_slice() else {
            return Err(unsupported("DELETE from several tables"));
        };
        if !item.joins.is_empty() {
            return Err(unsupported("DELETE with joins"));
        }
        let (table, sql_alias, scopes) = self.dml_target(&item.relation, "DELETE")?;
        let mut sql = format!("DELETE FROM {} AS {sql_alias}", table.storage_name());
        if let Some(selection) = &delete.selection {
            sql.push_str(&format!(
                " WHERE {}",
                self.expr(selection, &scopes, &[])?.sql
            ));
        }
        Ok(Plan::Dml {
            sql,
            kind: DmlKind::Delete,
            table,
            identity_step: None,
        })
    }
}
