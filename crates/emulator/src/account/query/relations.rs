//! FROM and the query shapes: queries, set operations, SELECT, GROUP BY, joins, tables, views,
//! CTEs, INFORMATION_SCHEMA views and the QUERY_HISTORY table function.

use sqlparser::ast::{
    self, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, JoinConstraint,
    JoinOperator, LimitClause, OrderByKind, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, SetOperator, SetQuantifier, Statement, TableFactor,
    TableWithJoins, Value as AstValue,
};

use crate::account::{
    catalog::{ObjectKind, qualified},
    lookup::{self, *},
    types::{Kind, Origin},
};
use crate::exec::SqlError;

use super::compiler::*;

impl Compiler<'_> {
    // -----------------------------------------------------------------------------------------
    // Queries

    /// Compiles a query; `outer` are the enclosing scopes (for correlated subqueries).
    pub(super) fn query(
        &mut self,
        query: &Query,
        outer: &[Vec<Relation>],
    ) -> Result<(String, Vec<Output>), SqlError> {
        let ordering_extras = query
            .order_by
            .as_ref()
            .is_some_and(|o| o.interpolate.is_some() || matches!(&o.kind, OrderByKind::Expressions(e) if e.iter().any(|e| e.with_fill.is_some())));
        if query.fetch.is_some()
            || !query.locks.is_empty()
            || !query.pipe_operators.is_empty()
            || query.for_clause.is_some()
            || query.settings.is_some()
            || query.format_clause.is_some()
            || ordering_extras
        {
            return Err(unsupported("this query clause"));
        }
        let ctes_before = self.ctes.len();
        let mut with_sql = Vec::new();
        if let Some(with) = &query.with {
            if with.recursive {
                return Err(unsupported("WITH RECURSIVE"));
            }
            for cte in &with.cte_tables {
                let (sql, mut columns) = self.query(&cte.query, outer)?;
                for (column, alias) in columns.iter_mut().zip(&cte.alias.columns) {
                    column.name = ident(&alias.name);
                }
                let name = format!("w{}", self.ctes.len() + 1);
                with_sql.push(format!("{name} AS ({sql})"));
                self.ctes.push((ident(&cte.alias.name), name, columns));
            }
        }
        let order_by = match &query.order_by {
            Some(order) => match &order.kind {
                OrderByKind::Expressions(exprs) => exprs.as_slice(),
                OrderByKind::All(_) => return Err(unsupported("ORDER BY ALL")),
            },
            None => &[],
        };
        let (body, columns) = match query.body.as_ref() {
            SetExpr::Select(select) => self.select(select, order_by, outer)?,
            other => {
                let (sql, columns) = self.set_expr(other, outer)?;
                let mut sql = format!("SELECT * FROM ({sql})");
                if !order_by.is_empty() {
                    let mut terms = Vec::new();
                    for order in order_by {
                        let position = match &order.expr {
                            Expr::Value(v) => match &v.value {
                                AstValue::Number(n, _) => n.parse::<usize>().ok(),
                                _ => None,
                            },
                            Expr::Identifier(i) => columns
                                .iter()
                                .position(|c| c.name == ident(i))
                                .map(|p| p + 1),
                            _ => None,
                        };
                        let position = position
                            .filter(|p| (1..=columns.len()).contains(p))
                            .ok_or_else(|| {
                                unsupported("ORDER BY an expression over a set operation")
                            })?;
                        terms.push(order_term(&format!("c{}", position - 1), &order.options));
                    }
                    sql.push_str(&format!(" ORDER BY {}", terms.join(", ")));
                }
                (sql, columns)
            }
        };
        let mut sql = body;
        if let Some(limit) = &query.limit_clause {
            let (limit, offset) = match limit {
                LimitClause::LimitOffset {
                    limit,
                    offset,
                    limit_by,
                } => {
                    if !limit_by.is_empty() {
                        return Err(unsupported("LIMIT BY"));
                    }
                    (limit.as_ref(), offset.as_ref().map(|o| &o.value))
                }
                LimitClause::OffsetCommaLimit { offset, limit } => (Some(limit), Some(offset)),
            };
            let limit = match limit {
                Some(e) => self.constant_integer(e)?,
                None => "-1".into(),
            };
            sql.push_str(&format!(" LIMIT {limit}"));
            if let Some(offset) = offset {
                sql.push_str(&format!(" OFFSET {}", self.constant_integer(offset)?));
            }
        }
        self.ctes.truncate(ctes_before);
        if !with_sql.is_empty() {
            sql = format!("WITH {} {sql}", with_sql.join(", "));
        }
        Ok((sql, columns))
    }

    pub(super) fn constant_integer(&mut self, expr: &Expr) -> Result<String, SqlError> {
        let typed = self.expr(expr, &[], &[])?;
        if typed.ty.kind != Kind::Fixed || typed.ty.scale != 0 {
            return Err(SqlError::new(
                "001003",
                "42000",
                format!("SQL compilation error:\ninvalid value [{expr}] for parameter 'LIMIT'"),
            ));
        }
        Ok(typed.sql)
    }

    pub(super) fn set_expr(
        &mut self,
        body: &SetExpr,
        outer: &[Vec<Relation>],
    ) -> Result<(String, Vec<Output>), SqlError> {
        match body {
            SetExpr::Select(select) => self.select(select, &[], outer),
            SetExpr::Query(query) => {
                let (sql, columns) = self.query(query, outer)?;
                Ok((format!("SELECT * FROM ({sql})"), columns))
            }
            SetExpr::SetOperation {
                op,
                set_quantifier,
                left,
                right,
            } => {
                let (left_sql, left_columns) = self.set_expr(left, outer)?;
                let (right_sql, right_columns) = self.set_expr(right, outer)?;
                if left_columns.len() != right_columns.len() {
                    return Err(SqlError::new(
                        "001789",
                        "42601",
                        format!(
                            "SQL compilation error:\ninvalid number of result columns for set operator input branches, expected {}, got {} in branch {{2}}",
                            left_columns.len(),
                            right_columns.len()
                        ),
                    ));
                }
                let operator = match (op, set_quantifier) {
                    (SetOperator::Union, SetQuantifier::All) => "UNION ALL",
                    (SetOperator::Union, _) => "UNION",
                    (SetOperator::Except | SetOperator::Minus, _) => "EXCEPT",
                    (SetOperator::Intersect, _) => "INTERSECT",
                };
                let columns = left_columns
                    .into_iter()
                    .zip(right_columns)
                    .map(|(l, r)| Output {
                        name: l.name,
                        ty: l.ty.clone().nullable(l.ty.nullable || r.ty.nullable),
                        origin: None,
                    })
                    .collect();
                Ok((
                    format!("SELECT * FROM ({left_sql}) {operator} SELECT * FROM ({right_sql})"),
                    columns,
                ))
            }
            SetExpr::Values(values) => {
                let mut rows = Vec::new();
                let mut columns: Vec<Output> = Vec::new();
                for row in &values.rows {
                    let mut cells = Vec::new();
                    for (i, expr) in row.content.iter().enumerate() {
                        let typed = self.expr(expr, outer, &[])?;
                        if columns.len() <= i {
                            columns.push(Output {
                                name: format!("COLUMN{}", i + 1),
                                ty: typed.ty.clone(),
                                origin: None,
                            });
                        }
                        cells.push(format!("{} AS c{i}", typed.sql));
                    }
                    rows.push(format!("SELECT {}", cells.join(", ")));
                }
                Ok((rows.join(" UNION ALL "), columns))
            }
            _ => Err(unsupported("this query form")),
        }
    }

    pub(super) fn select(
        &mut self,
        select: &Select,
        order_by: &[ast::OrderByExpr],
        outer: &[Vec<Relation>],
    ) -> Result<(String, Vec<Output>), SqlError> {
        if select.top.is_some()
            || select.into.is_some()
            || !select.lateral_views.is_empty()
            || !select.named_window.is_empty()
            || select.exclude.is_some()
            || !select.connect_by.is_empty()
            || select.prewhere.is_some()
            || !select.cluster_by.is_empty()
            || !select.distribute_by.is_empty()
            || !select.sort_by.is_empty()
            || select.value_table_mode.is_some()
            || select.select_modifiers.is_some()
            || !select.optimizer_hints.is_empty()
        {
            return Err(unsupported("this SELECT clause"));
        }
        let mut from_sql = Vec::new();
        let mut relations = Vec::new();
        for item in &select.from {
            from_sql.push(self.table_with_joins(item, &mut relations, outer)?);
        }
        let mut scopes = vec![relations.clone()];
        scopes.extend(outer.iter().cloned());
        let mut items = Vec::new();
        let mut columns = Vec::new();
        for item in &select.projection {
            match item {
                SelectItem::Wildcard(options) => {
                    plain_wildcard(options)?;
                    if relations.is_empty() {
                        return Err(SqlError::new(
                            "001010",
                            "42601",
                            "SQL compilation error:\nSELECT with no columns",
                        ));
                    }
                    for relation in &relations {
                        push_relation(relation, &mut items, &mut columns);
                    }
                }
                SelectItem::QualifiedWildcard(kind, options) => {
                    plain_wildcard(options)?;
                    let SelectItemQualifiedWildcardKind::ObjectName(name) = kind else {
                        return Err(unsupported("this wildcard"));
                    };
                    let parts = object_parts(name)?;
                    let qualifier = parts.last().cloned().unwrap_or_default();
                    let relation = relations
                        .iter()
                        .find(|r| r.name == qualifier)
                        .ok_or_else(|| invalid_identifier(&parts.join("."), (1, 0)))?;
                    push_relation(relation, &mut items, &mut columns);
                }
                SelectItem::UnnamedExpr(expr) => {
                    let typed = self.expr(expr, &scopes, &[])?;
                    let name = match expr {
                        Expr::Identifier(i) => ident(i),
                        Expr::CompoundIdentifier(parts) => {
                            parts.last().map(ident).unwrap_or_default()
                        }
                        _ => expression_name(expr),
                    };
                    items.push(typed.sql);
                    columns.push(Output {
                        name,
                        ty: typed.ty,
                        origin: typed.origin,
                    });
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let typed = self.expr(expr, &scopes, &columns_as_aliases(&columns, &items))?;
                    items.push(typed.sql);
                    columns.push(Output {
                        name: ident(alias),
                        ty: typed.ty,
                        origin: typed.origin,
                    });
                }
                _ => return Err(unsupported("this select item")),
            }
        }
        let aliases = columns_as_aliases(&columns, &items);
        let mut sql = String::from("SELECT ");
        if let Some(distinct) = &select.distinct {
            match distinct {
                ast::Distinct::Distinct => sql.push_str("DISTINCT "),
                ast::Distinct::All => {}
                _ => return Err(unsupported("DISTINCT ON")),
            }
        }
        // QUALIFY filters on an extra output column, `cq`, in a query around this one.
        let qualify = match &select.qualify {
            Some(condition) => Some(self.expr(condition, &scopes, &aliases)?.sql),
            None => None,
        };
        let mut projection: Vec<String> = items
            .iter()
            .enumerate()
            .map(|(i, item)| format!("{item} AS c{i}"))
            .collect();
        projection.extend(qualify.iter().map(|q| format!("{q} AS cq")));
        sql.push_str(&projection.join(", "));
        if !from_sql.is_empty() {
            sql.push_str(&format!(" FROM {}", from_sql.join(", ")));
        }
        if let Some(selection) = &select.selection {
            let condition = self.expr(selection, &scopes, &aliases)?;
            sql.push_str(&format!(" WHERE {}", condition.sql));
        }
        match &select.group_by {
            GroupByExpr::Expressions(exprs, modifiers) => {
                if !modifiers.is_empty() {
                    return Err(unsupported("GROUP BY modifiers"));
                }
                if !exprs.is_empty() {
                    let mut terms = Vec::new();
                    for expr in exprs {
                        terms.push(self.group_term(expr, &scopes, &aliases, items.len())?);
                    }
                    sql.push_str(&format!(" GROUP BY {}", terms.join(", ")));
                }
            }
            GroupByExpr::All(_) => {
                return Err(unsupported("GROUP BY ALL"));
            }
        }
        if let Some(having) = &select.having {
            let condition = self.expr(having, &scopes, &aliases)?;
            sql.push_str(&format!(" HAVING {}", condition.sql));
        }
        if qualify.is_some() {
            let outputs: Vec<String> = (0..items.len()).map(|i| format!("c{i}")).collect();
            sql = format!("SELECT {} FROM ({sql}) WHERE cq", outputs.join(", "));
        }
        if !order_by.is_empty() {
            let mut terms = Vec::new();
            for order in order_by {
                let term = match &order.expr {
                    Expr::Value(v) if matches!(v.value, AstValue::Number(..)) => {
                        self.group_term(&order.expr, &scopes, &aliases, items.len())?
                    }
                    // An output name wins over an input column of the same name, as in
                    // standard SQL.
                    Expr::Identifier(i) if columns.iter().any(|c| c.name == ident(i)) => {
                        let position = columns.iter().position(|c| c.name == ident(i)).unwrap_or(0);
                        format!("c{position}")
                    }
                    _ if qualify.is_some() => {
                        return Err(unsupported(
                            "QUALIFY with ORDER BY an expression (order by an output column)",
                        ));
                    }
                    expr => self.expr(expr, &scopes, &aliases)?.sql,
                };
                terms.push(order_term(&term, &order.options));
            }
            sql.push_str(&format!(" ORDER BY {}", terms.join(", ")));
        }
        Ok((sql, columns))
    }

    /// A GROUP BY (or ORDER BY) term: a position, a select alias or an expression.
    pub(super) fn group_term(
        &mut self,
        expr: &Expr,
        scopes: &[Vec<Relation>],
        aliases: &[(String, Typed)],
        count: usize,
    ) -> Result<String, SqlError> {
        if let Expr::Value(v) = expr
            && let AstValue::Number(n, _) = &v.value
        {
            return match n.parse::<usize>() {
                Ok(p) if (1..=count).contains(&p) => Ok(p.to_string()),
                _ => Err(SqlError::new(
                    "002067",
                    "42601",
                    format!(
                        "SQL compilation error:\nThe position {n} is out of range; there are {count} columns."
                    ),
                )),
            };
        }
        Ok(self.expr(expr, scopes, aliases)?.sql)
    }

    pub(super) fn table_with_joins(
        &mut self,
        item: &TableWithJoins,
        relations: &mut Vec<Relation>,
        outer: &[Vec<Relation>],
    ) -> Result<String, SqlError> {
        let mut sql = self.table_factor(&item.relation, relations, outer)?;
        for join in &item.joins {
            let left_count = relations.len();
            let right_sql = self.table_factor(&join.relation, relations, outer)?;
            let (keyword, constraint, nullable_left, nullable_right) = match &join.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) => ("JOIN", Some(c), false, false),
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => {
                    ("LEFT JOIN", Some(c), false, true)
                }
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => {
                    ("RIGHT JOIN", Some(c), true, false)
                }
                JoinOperator::FullOuter(c) => ("FULL JOIN", Some(c), true, true),
                JoinOperator::CrossJoin(c) => ("CROSS JOIN", Some(c), false, false),
                _ => return Err(unsupported("this join")),
            };
            for (i, relation) in relations.iter_mut().enumerate() {
                let nullable = if i < left_count {
                    nullable_left
                } else {
                    nullable_right
                };
                if nullable {
                    for column in &mut relation.columns {
                        column.ty.nullable = true;
                    }
                }
            }
            let mut scopes = vec![relations.clone()];
            scopes.extend(outer.iter().cloned());
            let on = match constraint {
                Some(JoinConstraint::On(expr)) => {
                    format!(" ON {}", self.expr(expr, &scopes, &[])?.sql)
                }
                Some(JoinConstraint::Using(names)) => {
                    let mut terms = Vec::new();
                    for name in names {
                        let column = object_parts(name)?.pop().unwrap_or_default();
                        let left = find_column(&relations[..left_count], &column)
                            .ok_or_else(|| invalid_identifier(&column, (1, 0)))?;
                        let right = find_column(&relations[left_count..], &column)
                            .ok_or_else(|| invalid_identifier(&column, (1, 0)))?;
                        terms.push(format!("{} = {}", left.sql, right.sql));
                    }
                    format!(" ON {}", terms.join(" AND "))
                }
                Some(JoinConstraint::None) | None => String::new(),
                Some(_) => return Err(unsupported("NATURAL JOIN")),
            };
            sql = format!("{sql} {keyword} {right_sql}{on}");
        }
        Ok(sql)
    }

    pub(super) fn table_factor(
        &mut self,
        factor: &TableFactor,
        relations: &mut Vec<Relation>,
        outer: &[Vec<Relation>],
    ) -> Result<String, SqlError> {
        match factor {
            TableFactor::Table { name, alias, .. } => {
                plain_table(factor)?;
                let parts = object_parts(name)?;
                let alias_name = alias.as_ref().map(|a| ident(&a.name));
                let sql_alias = self.alias();
                let (source, mut relation) = self.named_relation(&parts, &sql_alias)?;
                if let Some(a) = alias {
                    for (column, alias_column) in relation.columns.iter_mut().zip(&a.columns) {
                        column.name = ident(&alias_column.name);
                    }
                }
                if let Some(alias_name) = alias_name {
                    relation.name = alias_name;
                }
                relations.push(relation);
                Ok(format!("{source} AS {sql_alias}"))
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample,
            } => {
                if sample.is_some() {
                    return Err(unsupported("SAMPLE"));
                }
                if *lateral {
                    return Err(unsupported("LATERAL"));
                }
                let (sql, columns) = self.query(subquery, outer)?;
                let sql_alias = self.alias();
                let name = alias.as_ref().map(|a| ident(&a.name)).unwrap_or_default();
                let mut relation = output_relation(name, columns, &sql_alias);
                if let Some(a) = alias {
                    for (column, alias_column) in relation.columns.iter_mut().zip(&a.columns) {
                        column.name = ident(&alias_column.name);
                    }
                }
                relations.push(relation);
                Ok(format!("({sql}) AS {sql_alias}"))
            }
            TableFactor::TableFunction { expr, alias } => {
                let Expr::Function(function) = expr else {
                    return Err(unsupported("this table function"));
                };
                let sql_alias = self.alias();
                let (source, mut relation) = self.table_function(function, &sql_alias)?;
                if let Some(a) = alias {
                    for (column, alias_column) in relation.columns.iter_mut().zip(&a.columns) {
                        column.name = ident(&alias_column.name);
                    }
                    relation.name = ident(&a.name);
                }
                relations.push(relation);
                Ok(format!("{source} AS {sql_alias}"))
            }
            _ => Err(unsupported("this FROM item")),
        }
    }

    /// `TABLE(INFORMATION_SCHEMA.QUERY_HISTORY([RESULT_LIMIT => n]))`, the one table function:
    /// its SQLite source and columns.
    pub(super) fn table_function(
        &mut self,
        function: &ast::Function,
        sql_alias: &str,
    ) -> Result<(String, Relation), SqlError> {
        let parts = object_parts(&function.name)?;
        let (db, schema, name) = self.object_path(&parts)?;
        if schema != "INFORMATION_SCHEMA" || name != "QUERY_HISTORY" {
            return Err(unsupported(&format!(
                "table function {db}.{schema}.{name} (the emulator has INFORMATION_SCHEMA.QUERY_HISTORY)"
            )));
        }
        lookup::database(self.catalog, &self.vis, &db)?;
        let mut limit = 100;
        if let FunctionArguments::List(list) = &function.args {
            for arg in &list.args {
                let value = match arg {
                    FunctionArg::Named {
                        name,
                        arg: FunctionArgExpr::Expr(Expr::Value(v)),
                        ..
                    } if ident(name) == "RESULT_LIMIT" => match &v.value {
                        AstValue::Number(n, _) => n.parse::<usize>().ok(),
                        _ => None,
                    },
                    _ => {
                        return Err(unsupported(&format!(
                            "QUERY_HISTORY argument {arg} (only RESULT_LIMIT => <number>)"
                        )));
                    }
                };
                limit = match value {
                    Some(n @ 1..=10_000) => n,
                    _ => {
                        return Err(SqlError::new(
                            "001018",
                            "22023",
                            format!(
                                "SQL compilation error:\ninvalid value [{arg}] for parameter 'RESULT_LIMIT'; it must be between 1 and 10000"
                            ),
                        ));
                    }
                };
            }
        }
        let info = crate::account::information_schema::query_history(
            self.account.history().entries(),
            self.session,
            limit,
            self.info_tables.len(),
        );
        let origin = Origin {
            database: db,
            schema,
            table: name.clone(),
        };
        Ok(self.info_relation(info, name, origin, sql_alias))
    }

    /// A materialised INFORMATION_SCHEMA result as a relation: its SQLite source and columns.
    pub(super) fn info_relation(
        &mut self,
        info: crate::account::information_schema::InfoTable,
        name: String,
        origin: Origin,
        sql_alias: &str,
    ) -> (String, Relation) {
        let relation = Relation {
            name,
            columns: info
                .columns
                .iter()
                .enumerate()
                .map(|(i, (column, ty))| RelationColumn {
                    name: column.clone(),
                    sql: format!("{sql_alias}.c{i}"),
                    ty: ty.clone(),
                    origin: Some(origin.clone()),
                })
                .collect(),
        };
        let source = format!("temp.{}", info.name);
        self.info_tables.push(info);
        (source, relation)
    }

    /// A table, view, CTE or INFORMATION_SCHEMA view by name: its SQLite source and columns.
    pub(super) fn named_relation(
        &mut self,
        parts: &[String],
        sql_alias: &str,
    ) -> Result<(String, Relation), SqlError> {
        if let [name] = parts
            && let Some((_, cte_name, columns)) =
                self.ctes.iter().rev().find(|(n, _, _)| n == name).cloned()
        {
            return Ok((cte_name, output_relation(name.clone(), columns, sql_alias)));
        }
        let (db, schema, name) = self.object_path(parts)?;
        let full = format!("{db}.{schema}.{name}");
        if schema == "INFORMATION_SCHEMA" {
            lookup::database(self.catalog, &self.vis, &db)?;
            let info = crate::account::information_schema::information_schema(
                self.catalog,
                &self.vis,
                &db,
                &name,
                self.info_tables.len(),
            )
            .ok_or_else(|| not_found("Object", &full))?;
            let origin = Origin {
                database: db.clone(),
                schema: schema.clone(),
                table: name.clone(),
            };
            return Ok(self.info_relation(info, name, origin, sql_alias));
        }
        let schema_entry = lookup::schema(self.catalog, &self.vis, &db, &schema)
            .map_err(|_| not_found("Object", &full))?;
        let qualified_name = qualified(&[&db, &schema, &name]);
        if let Some(table) = schema_entry.tables.get(&name) {
            if !self
                .vis
                .sees(ObjectKind::Table, &table.owner, &qualified_name)
            {
                return Err(not_found("Object", &full));
            }
            let origin = Origin {
                database: db.clone(),
                schema: schema.clone(),
                table: name.clone(),
            };
            let relation = Self::table_relation(table, sql_alias, &name, &origin);
            self.tables.push(table.clone());
            return Ok((table.storage_name(), relation));
        }
        if let Some(view) = schema_entry.views.get(&name) {
            if !self
                .vis
                .sees(ObjectKind::View, &view.owner, &qualified_name)
            {
                return Err(not_found("Object", &full));
            }
            if self.namespace.len() > MAX_VIEW_DEPTH {
                return Err(SqlError::new(
                    "002046",
                    "42601",
                    format!(
                        "SQL compilation error:\nview '{full}' nests views too deeply (more than {MAX_VIEW_DEPTH} levels)."
                    ),
                ));
            }
            let Statement::Query(query) = parse(&view.query)? else {
                return Err(unsupported("a view that is not a query"));
            };
            let column_names = view.column_names.clone();
            self.namespace
                .push((Some(db.clone()), Some(schema.clone())));
            let ctes = std::mem::take(&mut self.ctes);
            let compiled = self.query(&query, &[]);
            self.ctes = ctes;
            self.namespace.pop();
            let (sql, columns) = compiled.map_err(|e| {
                SqlError::new(
                    "002037",
                    "42601",
                    format!(
                        "SQL compilation error:\nFailure during expansion of view '{name}': {}",
                        e.message.trim_start_matches("SQL compilation error:\n")
                    ),
                )
            })?;
            let origin = Origin {
                database: db.clone(),
                schema: schema.clone(),
                table: name.clone(),
            };
            let mut relation = output_relation(name.clone(), columns, sql_alias);
            for (i, column) in relation.columns.iter_mut().enumerate() {
                if let Some(declared) = column_names.get(i) {
                    column.name = declared.clone();
                }
                column.origin = Some(origin.clone());
            }
            return Ok((format!("({sql})"), relation));
        }
        Err(not_found("Object", &full))
    }

    pub(super) fn object_path(
        &self,
        parts: &[String],
    ) -> Result<(String, String, String), SqlError> {
        let (database, schema) = self.namespace.last().cloned().unwrap_or_default();
        let mut session = self.session.clone();
        session.database = database;
        session.schema = schema;
        lookup::object_path(&session, parts)
    }
}
