//! SELECT, INSERT, UPDATE and DELETE: parsed with `sqlparser` (Snowflake dialect), resolved
//! against the catalog by Snowflake's identifier rules, typed the way Snowflake types results
//! (the `rowType`), compiled to SQLite SQL over the tables' storage and run there, rows streaming
//! into the sink. What cannot be run faithfully answers a Snowflake error, never a wrong result.
//!
//! The catalog lock is held only while compiling; waits (`SYSTEM$WAIT`) and SQLite run without it.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use rusqlite::types::Value;
use sqlparser::{
    ast::{
        self, BinaryOperator, CastKind, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
        GroupByExpr, Ident, JoinConstraint, JoinOperator, LimitClause, ObjectName, ObjectNamePart,
        OrderByKind, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr,
        SetOperator, SetQuantifier, Statement, TableFactor, TableWithJoins, UnaryOperator,
        Value as AstValue,
    },
    dialect::SnowflakeDialect,
    parser::Parser,
};

use super::{
    Account,
    catalog::{Catalog, ObjectKind, Table, TableColumn, Visibility, qualified},
    ddl::{self, invalid_identifier, not_found, unsupported},
    lexer::syntax_error_text,
    storage::{Storage, sql_error, watch},
    types::{Kind, Origin, SfType, binding_value, encode},
};
use crate::exec::{Bindings, DmlStats, Outcome, RowSink, Session, SqlError};

/// How deep views may nest inside views.
const MAX_VIEW_DEPTH: usize = 16;

/// Runs one SELECT or DML statement.
pub fn run(
    account: &Account,
    session: &mut Session,
    sql: &str,
    bindings: &Bindings,
    sink: &mut dyn RowSink,
) -> Result<Outcome, SqlError> {
    let statement = parse(sql)?;
    let plan = {
        let catalog = account.read();
        let mut compiler = Compiler::new(account, &catalog, session, bindings);
        let plan = match &statement {
            Statement::Query(query) => {
                let (sql, columns) = compiler.query(query, &[])?;
                Plan::Select { sql, columns }
            }
            Statement::Insert(insert) => compiler.insert(insert)?,
            Statement::Update(update) => compiler.update(update)?,
            Statement::Delete(delete) => compiler.delete(delete)?,
            _ => return Err(unsupported(&statement_kind(sql))),
        };
        (plan, compiler.finish())
    };
    let (plan, parts) = plan;
    for wait in &parts.waits {
        sleep(*wait, session)?;
    }
    account.storage.with(|conn| {
        for table in &parts.tables {
            Storage::ensure(conn, table)?;
        }
        for info in &parts.info_tables {
            info.materialize(conn)?;
        }
        watch(conn, &session.cancel)?;
        let result = match &plan {
            Plan::Select { sql, columns } => {
                select(conn, sql, &parts.params, columns, session, sink)
                    .map(|()| Outcome::default())
            }
            Plan::Dml {
                sql,
                kind,
                table,
                identity_step,
            } => dml(conn, sql, &parts.params, *kind, table, *identity_step, sink),
        };
        for info in &parts.info_tables {
            let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{}", info.name));
        }
        result
    })
}

/// Compiles a query without running it: the number of columns it returns (CREATE VIEW checks).
pub fn describe(account: &Account, session: &Session, query: &str) -> Result<usize, SqlError> {
    Ok(compile_columns(account, &account.read(), session, query)?.len())
}

/// The columns of view `db.schema.name`, as DESCRIBE VIEW and SHOW COLUMNS show them, with
/// the catalog the caller already holds.
pub fn view_columns(
    account: &Account,
    catalog: &Catalog,
    session: &Session,
    (db, schema, name): (&str, &str, &str),
) -> Result<Vec<TableColumn>, SqlError> {
    let mut view_session = session.clone();
    view_session.database = Some(db.to_owned());
    view_session.schema = Some(schema.to_owned());
    let quoted = format!("SELECT * FROM \"{}\"", name.replace('"', "\"\""));
    query_columns(account, catalog, &view_session, &quoted)
}

/// The columns a query returns, as table columns (CREATE TABLE … AS SELECT, views).
pub fn query_columns(
    account: &Account,
    catalog: &Catalog,
    session: &Session,
    query: &str,
) -> Result<Vec<TableColumn>, SqlError> {
    Ok(compile_columns(account, catalog, session, query)?
        .into_iter()
        .map(|c| TableColumn {
            name: c.name,
            ty: c.ty,
            default: None,
            identity: None,
            comment: String::new(),
            slot: 0,
        })
        .collect())
}

fn compile_columns(
    account: &Account,
    catalog: &Catalog,
    session: &Session,
    query: &str,
) -> Result<Vec<Output>, SqlError> {
    let Statement::Query(parsed) = parse(query)? else {
        return Err(unsupported("a view that is not a query"));
    };
    let bindings = Bindings::new();
    let mut compiler = Compiler::new(account, catalog, session, &bindings);
    compiler.describing = true;
    Ok(compiler.query(&parsed, &[])?.1)
}

fn parse(sql: &str) -> Result<Statement, SqlError> {
    let mut statements = Parser::parse_sql(&SnowflakeDialect {}, sql)
        .map_err(|e| syntax_error_text(&e.to_string()))?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        0 => Err(SqlError::new(
            "000900",
            "42601",
            "SQL compilation error:\nEmpty SQL statement.",
        )),
        n => Err(SqlError::new(
            "000008",
            "0A000",
            format!("Actual statement count {n} did not match the desired statement count 1."),
        )),
    }
}

fn statement_kind(sql: &str) -> String {
    sql.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_uppercase()
}

/// Sleeps for `SYSTEM$WAIT`, in small steps, stopping when the statement is cancelled.
fn sleep(duration: Duration, session: &Session) -> Result<(), SqlError> {
    let until = Instant::now() + duration;
    loop {
        if session.cancel.is_cancelled() {
            return Err(SqlError::cancelled());
        }
        let now = Instant::now();
        if now >= until {
            return Ok(());
        }
        std::thread::sleep((until - now).min(Duration::from_millis(10)));
    }
}

fn select(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
    columns: &[Output],
    session: &Session,
    sink: &mut dyn RowSink,
) -> Result<(), SqlError> {
    let mut statement = conn.prepare(sql).map_err(sql_error)?;
    let row_type: Vec<_> = columns
        .iter()
        .map(|c| c.ty.column(&c.name, c.origin.as_ref()))
        .collect();
    let mut rows = statement
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(sql_error)?;
    sink.columns(&row_type);
    let mut buffers = vec![String::new(); columns.len()];
    let mut present = vec![false; columns.len()];
    while let Some(row) = rows.next().map_err(sql_error)? {
        for (i, column) in columns.iter().enumerate() {
            present[i] = encode(
                row.get_ref(i).map_err(sql_error)?,
                &column.ty,
                &mut buffers[i],
            );
        }
        let cell = |i: usize| present[i].then_some(buffers[i].as_str());
        // Most results are narrow: their cells go on the stack instead of a new Vec per row.
        const NARROW: usize = 32;
        if columns.len() <= NARROW {
            let mut cells = [None; NARROW];
            for (i, slot) in cells.iter_mut().enumerate().take(columns.len()) {
                *slot = cell(i);
            }
            sink.row(&cells[..columns.len()]);
        } else {
            let cells: Vec<Option<&str>> = (0..columns.len()).map(cell).collect();
            sink.row(&cells);
        }
        if session.cancel.is_cancelled() {
            return Err(SqlError::cancelled());
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DmlKind {
    Insert,
    Update,
    Delete,
}

fn dml(
    conn: &mut rusqlite::Connection,
    sql: &str,
    params: &[Value],
    kind: DmlKind,
    table: &Arc<Table>,
    identity_step: Option<i64>,
    sink: &mut dyn RowSink,
) -> Result<Outcome, SqlError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sql_error)?;
    let mut params = params.to_vec();
    if identity_step.is_some() {
        // Inside the write transaction, so concurrent inserts never share identity values.
        params.push(Value::Integer(table.identity_next.load(Ordering::Acquire)));
    }
    let changed = tx
        .execute(sql, rusqlite::params_from_iter(params.iter()))
        .map_err(sql_error)? as u64;
    if let Some(step) = identity_step {
        table
            .identity_next
            .fetch_add(step * changed as i64, Ordering::AcqRel);
    }
    tx.commit().map_err(sql_error)?;
    let count = changed.to_string();
    let mut stats = DmlStats::default();
    let number = SfType::fixed(19, 0).not_null();
    match kind {
        DmlKind::Insert => {
            table.rows.fetch_add(changed as i64, Ordering::Relaxed);
            stats.num_rows_inserted = changed;
            sink.columns(&[number.column("number of rows inserted", None)]);
            sink.row(&[Some(&count)]);
        }
        DmlKind::Update => {
            stats.num_rows_updated = changed;
            sink.columns(&[
                number.column("number of rows updated", None),
                number.column("number of multi-joined rows updated", None),
            ]);
            sink.row(&[Some(&count), Some("0")]);
        }
        DmlKind::Delete => {
            table.rows.fetch_sub(changed as i64, Ordering::Relaxed);
            stats.num_rows_deleted = changed;
            sink.columns(&[number.column("number of rows deleted", None)]);
            sink.row(&[Some(&count)]);
        }
    }
    Ok(Outcome {
        stats: (changed > 0).then_some(stats),
    })
}

enum Plan {
    Select {
        sql: String,
        columns: Vec<Output>,
    },
    Dml {
        sql: String,
        kind: DmlKind,
        table: Arc<Table>,
        /// The identity increment when the statement numbers new rows (the start is the last parameter).
        identity_step: Option<i64>,
    },
}

/// The table an UPDATE or DELETE changes, its SQLite alias and the scopes its expressions see.
type DmlTarget = (Arc<Table>, String, Vec<Vec<Relation>>);

/// One column of a compiled query.
#[derive(Debug, Clone)]
struct Output {
    name: String,
    ty: SfType,
    origin: Option<Origin>,
}

/// What a compiled statement needs besides its SQL.
struct Parts {
    params: Vec<Value>,
    tables: Vec<Arc<Table>>,
    waits: Vec<Duration>,
    info_tables: Vec<super::show::InfoTable>,
}

/// A typed, compiled expression.
#[derive(Debug, Clone)]
struct Typed {
    sql: String,
    ty: SfType,
    origin: Option<Origin>,
}

impl Typed {
    fn new(sql: String, ty: SfType) -> Self {
        Self {
            sql,
            ty,
            origin: None,
        }
    }
}

/// A relation in a FROM clause.
#[derive(Debug, Clone)]
struct Relation {
    /// The name columns are qualified with (alias, else the table's name).
    name: String,
    columns: Vec<RelationColumn>,
}

#[derive(Debug, Clone)]
struct RelationColumn {
    name: String,
    sql: String,
    ty: SfType,
    origin: Option<Origin>,
}

struct Compiler<'a> {
    account: &'a Account,
    catalog: &'a Catalog,
    vis: Visibility,
    session: &'a Session,
    bindings: &'a Bindings,
    params: Vec<Value>,
    tables: Vec<Arc<Table>>,
    waits: Vec<Duration>,
    info_tables: Vec<super::show::InfoTable>,
    aliases: usize,
    positional: usize,
    /// Current database and schema of name resolution (a view's own, inside a view).
    namespace: Vec<(Option<String>, Option<String>)>,
    /// Common table expressions in scope: name, SQLite name, columns.
    ctes: Vec<(String, String, Vec<Output>)>,
    describing: bool,
}

impl<'a> Compiler<'a> {
    fn new(
        account: &'a Account,
        catalog: &'a Catalog,
        session: &'a Session,
        bindings: &'a Bindings,
    ) -> Self {
        Self {
            account,
            catalog,
            vis: catalog.visibility(&session.role),
            session,
            bindings,
            params: Vec::new(),
            tables: Vec::new(),
            waits: Vec::new(),
            info_tables: Vec::new(),
            aliases: 0,
            positional: 0,
            namespace: vec![(session.database.clone(), session.schema.clone())],
            ctes: Vec::new(),
            describing: false,
        }
    }

    fn finish(self) -> Parts {
        Parts {
            params: self.params,
            tables: self.tables,
            waits: self.waits,
            info_tables: self.info_tables,
        }
    }

    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("r{}", self.aliases)
    }

    fn param(&mut self, value: Value) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }

    // -----------------------------------------------------------------------------------------
    // Queries

    /// Compiles a query; `outer` are the enclosing scopes (for correlated subqueries).
    fn query(
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

    fn constant_integer(&mut self, expr: &Expr) -> Result<String, SqlError> {
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

    fn set_expr(
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

    fn select(
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
    fn group_term(
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

    fn table_with_joins(
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

    fn table_factor(
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
    fn table_function(
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
        ddl::database(self.catalog, &self.vis, &db)?;
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
        let info = super::show::query_history(
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
    fn info_relation(
        &mut self,
        info: super::show::InfoTable,
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
    fn named_relation(
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
            ddl::database(self.catalog, &self.vis, &db)?;
            let info = super::show::information_schema(
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
        let schema_entry = ddl::schema(self.catalog, &self.vis, &db, &schema)
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

    fn object_path(&self, parts: &[String]) -> Result<(String, String, String), SqlError> {
        let (database, schema) = self.namespace.last().cloned().unwrap_or_default();
        let mut session = self.session.clone();
        session.database = database;
        session.schema = schema;
        ddl::object_path(&session, parts)
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

    fn expr(
        &mut self,
        expr: &Expr,
        scopes: &[Vec<Relation>],
        aliases: &[(String, Typed)],
    ) -> Result<Typed, SqlError> {
        Ok(match expr {
            Expr::Identifier(i) => {
                let name = ident(i);
                if i.quote_style.is_none()
                    && let Some(function) = self.bare_function(&name)
                {
                    return Ok(function);
                }
                self.column(&[], &name, position(i), scopes, aliases)?
            }
            Expr::CompoundIdentifier(parts) => {
                let names: Vec<String> = parts.iter().map(ident).collect();
                let (column, qualifier) =
                    names.split_last().expect("compound identifiers have parts");
                self.column(qualifier, column, position(&parts[0]), scopes, aliases)?
            }
            Expr::Value(v) => self.value(&v.value)?,
            Expr::JsonAccess { value, path } => {
                let document = self.expr(value, scopes, aliases)?;
                if !matches!(document.ty.kind, Kind::Variant | Kind::Object | Kind::Array) {
                    return Err(SqlError::new(
                        "002016",
                        "22000",
                        format!(
                            "SQL compilation error:\nInvalid argument types for function 'GET': ({}, VARCHAR(1))",
                            document.ty.sql_name()
                        ),
                    ));
                }
                let mut json_path = String::from("$");
                for element in &path.path {
                    match element {
                        ast::JsonPathElem::Dot { key, .. } => {
                            json_path.push_str(&format!(".\"{}\"", key.replace('"', "\\\"")));
                        }
                        ast::JsonPathElem::Bracket {
                            key: Expr::Value(v),
                        } => match &v.value {
                            AstValue::Number(n, _) => json_path.push_str(&format!("[{n}]")),
                            AstValue::SingleQuotedString(s) => {
                                json_path.push_str(&format!(".\"{}\"", s.replace('"', "\\\"")));
                            }
                            _ => return Err(unsupported("this JSON path element")),
                        },
                        _ => return Err(unsupported("this JSON path element")),
                    }
                }
                // SQLite's `->` answers the JSON text at the path, NULL when it is missing.
                Typed::new(
                    format!("({} -> {})", document.sql, sql_string(&json_path)),
                    SfType::new(Kind::Variant),
                )
            }
            Expr::Extract {
                field, expr: value, ..
            } => {
                let value = self.expr(value, scopes, aliases)?;
                let value = self.text_as_timestamp(value);
                super::dates::Part::parse(&field.to_string())?;
                let sql = format!(
                    "sf_datepart({}, {}, {})",
                    sql_string(&field.to_string()),
                    value.sql,
                    value.ty.cast_args()
                );
                Typed::new(sql, SfType::fixed(9, 0).nullable(value.ty.nullable))
            }
            Expr::Nested(inner) => {
                let t = self.expr(inner, scopes, aliases)?;
                Typed {
                    sql: format!("({})", t.sql),
                    ..t
                }
            }
            Expr::BinaryOp { left, op, right } => self.binary(left, op, right, scopes, aliases)?,
            Expr::UnaryOp { op, expr } => {
                let t = self.expr(expr, scopes, aliases)?;
                match op {
                    UnaryOperator::Not => Typed::new(
                        format!("(NOT {})", t.sql),
                        SfType::new(Kind::Boolean).nullable(t.ty.nullable),
                    ),
                    UnaryOperator::Minus => Typed::new(format!("(-{})", t.sql), t.ty),
                    UnaryOperator::Plus => Typed::new(t.sql, t.ty),
                    _ => return Err(unsupported(&format!("operator {op}"))),
                }
            }
            Expr::IsNull(e) => self.predicate(e, "IS NULL", scopes, aliases)?,
            Expr::IsNotNull(e) => self.predicate(e, "IS NOT NULL", scopes, aliases)?,
            Expr::IsTrue(e) => self.predicate(e, "IS 1", scopes, aliases)?,
            Expr::IsFalse(e) => self.predicate(e, "IS 0", scopes, aliases)?,
            Expr::IsNotTrue(e) => self.predicate(e, "IS NOT 1", scopes, aliases)?,
            Expr::IsNotFalse(e) => self.predicate(e, "IS NOT 0", scopes, aliases)?,
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                let (a, b) = self.comparable(a, b, scopes, aliases)?;
                let op = if matches!(expr, Expr::IsDistinctFrom(..)) {
                    "IS NOT"
                } else {
                    "IS"
                };
                Typed::new(
                    format!("({} {op} {})", a.sql, b.sql),
                    SfType::new(Kind::Boolean).not_null(),
                )
            }
            Expr::In {
                expr: e,
                target: ast::InTarget::List(list),
                negated,
                ..
            } => {
                let left = self.expr(e, scopes, aliases)?;
                let mut items = Vec::new();
                for item in list {
                    let typed = self.expr(item, scopes, aliases)?;
                    items.push(self.coerce_to(typed, &left.ty).sql);
                }
                let not = if *negated { "NOT " } else { "" };
                Typed::new(
                    format!("({} {not}IN ({}))", left.sql, items.join(", ")),
                    SfType::new(Kind::Boolean),
                )
            }
            Expr::In {
                expr: e,
                target: ast::InTarget::Subquery(subquery),
                negated,
                ..
            } => {
                let left = self.expr(e, scopes, aliases)?;
                let (sql, columns) = self.query(subquery, scopes)?;
                if columns.len() != 1 {
                    return Err(SqlError::new(
                        "002019",
                        "42601",
                        "SQL compilation error:\nSubquery in IN must return exactly one column.",
                    ));
                }
                let not = if *negated { "NOT " } else { "" };
                Typed::new(
                    format!("({} {not}IN ({sql}))", left.sql),
                    SfType::new(Kind::Boolean),
                )
            }
            Expr::Exists { subquery, negated } => {
                let (sql, _) = self.query(subquery, scopes)?;
                let not = if *negated { "NOT " } else { "" };
                Typed::new(
                    format!("({not}EXISTS ({sql}))"),
                    SfType::new(Kind::Boolean).not_null(),
                )
            }
            Expr::Subquery(subquery) => {
                let (sql, columns) = self.query(subquery, scopes)?;
                let [column] = columns.as_slice() else {
                    return Err(SqlError::new(
                        "002019",
                        "42601",
                        "SQL compilation error:\nSingle-row subquery must return exactly one column.",
                    ));
                };
                Typed::new(format!("({sql})"), column.ty.clone().nullable(true))
            }
            Expr::Between {
                expr: e,
                negated,
                low,
                high,
            } => {
                let value = self.expr(e, scopes, aliases)?;
                let low = self.expr(low, scopes, aliases)?;
                let high = self.expr(high, scopes, aliases)?;
                let low = self.coerce_to(low, &value.ty);
                let high = self.coerce_to(high, &value.ty);
                let not = if *negated { "NOT " } else { "" };
                Typed::new(
                    format!("({} {not}BETWEEN {} AND {})", value.sql, low.sql, high.sql),
                    SfType::new(Kind::Boolean),
                )
            }
            Expr::Like {
                negated,
                any: false,
                expr: e,
                pattern,
                escape_char,
            }
            | Expr::ILike {
                negated,
                any: false,
                expr: e,
                pattern,
                escape_char,
            } => {
                let value = self.expr(e, scopes, aliases)?;
                let pattern = self.expr(pattern, scopes, aliases)?;
                let (value, pattern) = (self.as_text(value), self.as_text(pattern));
                let not = if *negated { "NOT " } else { "" };
                let escape = match escape_char {
                    Some(c) => format!(" ESCAPE {}", self.expr(c, scopes, aliases)?.sql),
                    None => " ESCAPE '\\'".into(),
                };
                let sql = if matches!(expr, Expr::ILike { .. }) {
                    format!(
                        "(sf_lower({}) {not}LIKE sf_lower({}){escape})",
                        value.sql, pattern.sql
                    )
                } else {
                    format!("({} {not}LIKE {}{escape})", value.sql, pattern.sql)
                };
                Typed::new(sql, SfType::new(Kind::Boolean))
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let operand = operand
                    .as_ref()
                    .map(|o| self.expr(o, scopes, aliases))
                    .transpose()?;
                let mut sql = String::from("(CASE");
                if let Some(o) = &operand {
                    sql.push_str(&format!(" {}", o.sql));
                }
                let mut result_type: Option<SfType> = None;
                let mut results = Vec::new();
                for when in conditions {
                    let condition = self.expr(&when.condition, scopes, aliases)?;
                    let condition = match &operand {
                        Some(o) => self.coerce_to(condition, &o.ty),
                        None => condition,
                    };
                    let result = self.expr(&when.result, scopes, aliases)?;
                    result_type = Some(unify(result_type, &result.ty));
                    results.push((condition.sql, result));
                }
                let else_typed = else_result
                    .as_ref()
                    .map(|e| self.expr(e, scopes, aliases))
                    .transpose()?;
                if let Some(e) = &else_typed {
                    result_type = Some(unify(result_type, &e.ty));
                }
                let result_type = result_type.unwrap_or_else(|| SfType::new(Kind::Text));
                for (condition, result) in results {
                    let result = self.coerce_to(result, &result_type);
                    sql.push_str(&format!(" WHEN {condition} THEN {}", result.sql));
                }
                let nullable =
                    else_typed.as_ref().is_none_or(|e| e.ty.nullable) || result_type.nullable;
                if let Some(e) = else_typed {
                    let e = self.coerce_to(e, &result_type);
                    sql.push_str(&format!(" ELSE {}", e.sql));
                }
                sql.push_str(" END)");
                Typed::new(sql, result_type.nullable(nullable))
            }
            Expr::Cast {
                kind,
                expr: e,
                data_type,
                format,
            } => {
                if format.is_some() {
                    return Err(unsupported("CAST with FORMAT"));
                }
                let value = self.expr(e, scopes, aliases)?;
                let target = SfType::parse(&data_type.to_string())?;
                let _ = kind == &CastKind::TryCast;
                self.cast(value, target)
            }
            Expr::TypedString(typed) => {
                let target = SfType::parse(&typed.data_type.to_string())?;
                let value = self.value(&typed.value.value)?;
                self.cast(value, target.not_null())
            }
            Expr::Function(function) => self.function(function, scopes, aliases)?,
            Expr::Substring {
                expr: e,
                substring_from,
                substring_for,
                ..
            } => {
                let value = self.expr(e, scopes, aliases)?;
                let value = self.as_text(value);
                let from = match substring_from {
                    Some(f) => self.expr(f, scopes, aliases)?.sql,
                    None => "1".into(),
                };
                let sql = match substring_for {
                    Some(f) => format!(
                        "substr({}, {from}, {})",
                        value.sql,
                        self.expr(f, scopes, aliases)?.sql
                    ),
                    None => format!("substr({}, {from})", value.sql),
                };
                Typed::new(sql, value.ty.nullable(true))
            }
            Expr::Trim {
                expr: e,
                trim_where: None,
                trim_what: None,
                trim_characters: None,
            } => {
                let value = self.expr(e, scopes, aliases)?;
                let value = self.as_text(value);
                Typed::new(format!("trim({})", value.sql), value.ty)
            }
            _ => return Err(unsupported(&format!("expression {expr}"))),
        })
    }

    /// A column reference, resolved innermost scope first; then a select-list alias.
    fn column(
        &mut self,
        qualifier: &[String],
        name: &str,
        at: (u64, u64),
        scopes: &[Vec<Relation>],
        aliases: &[(String, Typed)],
    ) -> Result<Typed, SqlError> {
        let display = if qualifier.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", qualifier.join("."))
        };
        for scope in scopes {
            let candidates: Vec<&RelationColumn> = scope
                .iter()
                .filter(|r| qualifier.last().is_none_or(|q| &r.name == q))
                .flat_map(|r| r.columns.iter().filter(|c| c.name == name))
                .collect();
            match candidates.as_slice() {
                [] => {}
                [column] => {
                    return Ok(Typed {
                        sql: column.sql.clone(),
                        ty: column.ty.clone(),
                        origin: column.origin.clone(),
                    });
                }
                _ => {
                    return Err(SqlError::new(
                        "002028",
                        "42601",
                        format!("SQL compilation error:\nambiguous column name '{name}'"),
                    ));
                }
            }
        }
        if qualifier.is_empty()
            && let Some((_, typed)) = aliases.iter().find(|(alias, _)| alias == name)
        {
            return Ok(typed.clone());
        }
        Err(invalid_identifier(&display, at))
    }

    fn predicate(
        &mut self,
        e: &Expr,
        suffix: &str,
        scopes: &[Vec<Relation>],
        aliases: &[(String, Typed)],
    ) -> Result<Typed, SqlError> {
        let value = self.expr(e, scopes, aliases)?;
        Ok(Typed::new(
            format!("({} {suffix})", value.sql),
            SfType::new(Kind::Boolean).not_null(),
        ))
    }

    fn value(&mut self, value: &AstValue) -> Result<Typed, SqlError> {
        Ok(match value {
            AstValue::Number(n, _) => number_literal(n)?,
            AstValue::SingleQuotedString(s)
            | AstValue::DollarQuotedString(ast::DollarQuotedString { value: s, .. }) => Typed::new(
                sql_string(s),
                SfType::text(s.chars().count().max(1) as u64).not_null(),
            ),
            AstValue::Boolean(b) => Typed::new(
                if *b { "1" } else { "0" }.into(),
                SfType::new(Kind::Boolean).not_null(),
            ),
            AstValue::Null => Typed::new("NULL".into(), SfType::new(Kind::Text)),
            AstValue::Placeholder(p) => self.placeholder(p)?,
            AstValue::HexStringLiteral(h) => {
                Typed::new(format!("X'{h}'"), SfType::new(Kind::Binary).not_null())
            }
            other => return Err(unsupported(&format!("literal {other}"))),
        })
    }

    fn placeholder(&mut self, placeholder: &str) -> Result<Typed, SqlError> {
        let key = if placeholder == "?" {
            self.positional += 1;
            self.positional.to_string()
        } else {
            placeholder.trim_start_matches([':', '?', '$']).to_owned()
        };
        if self.describing {
            return Ok(Typed::new("NULL".into(), SfType::new(Kind::Text)));
        }
        let binding = self.bindings.get(&key).or_else(|| {
            self.bindings
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&key))
                .map(|(_, b)| b)
        });
        let Some(binding) = binding else {
            return Err(SqlError::new(
                "002049",
                "42601",
                format!(
                    "SQL compilation error: error line 1 at position 0\nBind variable {placeholder} not set."
                ),
            ));
        };
        let (value, ty) = binding_value(&binding.kind, binding.value.as_deref())?;
        let nullable = matches!(value, Value::Null);
        Ok(Typed::new(self.param(value), ty.nullable(nullable)))
    }

    fn binary(
        &mut self,
        left: &Expr,
        op: &BinaryOperator,
        right: &Expr,
        scopes: &[Vec<Relation>],
        aliases: &[(String, Typed)],
    ) -> Result<Typed, SqlError> {
        use BinaryOperator as B;
        match op {
            B::And | B::Or => {
                let l = self.expr(left, scopes, aliases)?;
                let r = self.expr(right, scopes, aliases)?;
                let word = if matches!(op, B::And) { "AND" } else { "OR" };
                Ok(Typed::new(
                    format!("({} {word} {})", l.sql, r.sql),
                    SfType::new(Kind::Boolean).nullable(l.ty.nullable || r.ty.nullable),
                ))
            }
            B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq => {
                let (l, r) = self.comparable(left, right, scopes, aliases)?;
                let symbol = match op {
                    B::Eq => "=",
                    B::NotEq => "<>",
                    B::Lt => "<",
                    B::LtEq => "<=",
                    B::Gt => ">",
                    _ => ">=",
                };
                Ok(Typed::new(
                    format!("({} {symbol} {})", l.sql, r.sql),
                    SfType::new(Kind::Boolean).nullable(l.ty.nullable || r.ty.nullable),
                ))
            }
            B::StringConcat => {
                let l = self.expr(left, scopes, aliases)?;
                let r = self.expr(right, scopes, aliases)?;
                let nullable = l.ty.nullable || r.ty.nullable;
                let length =
                    l.ty.length
                        .saturating_add(r.ty.length)
                        .min(super::types::MAX_TEXT);
                let (l, r) = (self.as_text(l), self.as_text(r));
                Ok(Typed::new(
                    format!("({} || {})", l.sql, r.sql),
                    SfType::text(length.max(1)).nullable(nullable),
                ))
            }
            B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => {
                let l = self.expr(left, scopes, aliases)?;
                let r = self.expr(right, scopes, aliases)?;
                let l = self.as_number(l)?;
                let r = self.as_number(r)?;
                let nullable = l.ty.nullable || r.ty.nullable;
                let ty = arithmetic_type(op, &l.ty, &r.ty)
                    .nullable(nullable || matches!(op, B::Divide | B::Modulo));
                let symbol = match op {
                    B::Plus => "+",
                    B::Minus => "-",
                    B::Multiply => "*",
                    B::Divide => "/",
                    _ => "%",
                };
                let sql = if matches!(op, B::Divide) {
                    format!("(CAST({} AS REAL) / sf_divisor({}))", l.sql, r.sql)
                } else if matches!(op, B::Modulo) {
                    format!("({} % sf_divisor({}))", l.sql, r.sql)
                } else if ty.kind == Kind::Fixed
                    && ty.scale > 0
                    && matches!(op, B::Plus | B::Minus | B::Multiply)
                {
                    format!("round({} {symbol} {}, {})", l.sql, r.sql, ty.scale)
                } else {
                    format!("({} {symbol} {})", l.sql, r.sql)
                };
                Ok(Typed::new(sql, ty))
            }
            _ => Err(unsupported(&format!("operator {op}"))),
        }
    }

    /// Both sides of a comparison, a text side cast to the other side's type as Snowflake does.
    fn comparable(
        &mut self,
        left: &Expr,
        right: &Expr,
        scopes: &[Vec<Relation>],
        aliases: &[(String, Typed)],
    ) -> Result<(Typed, Typed), SqlError> {
        let l = self.expr(left, scopes, aliases)?;
        let r = self.expr(right, scopes, aliases)?;
        let l_ty = l.ty.clone();
        let r = self.coerce_to(r, &l_ty);
        let r_ty = r.ty.clone();
        let l = self.coerce_to(l, &r_ty);
        Ok((instant(l), instant(r)))
    }

    /// Casts `value` to `target`'s kind when Snowflake would convert implicitly (text against
    /// dates, times, numbers and booleans; dates against timestamps).
    fn coerce_to(&mut self, value: Typed, target: &SfType) -> Typed {
        let needs = match (value.ty.kind, target.kind) {
            (Kind::Text, k) => {
                k != Kind::Text && !matches!(k, Kind::Variant | Kind::Object | Kind::Array)
            }
            (Kind::Date, k) => k.is_timestamp(),
            _ => false,
        };
        if needs {
            let target = SfType {
                nullable: value.ty.nullable,
                ..target.clone()
            };
            let sql = format!(
                "sf_cast({}, {}, {})",
                value.sql,
                value.ty.cast_args(),
                target.cast_args()
            );
            Typed::new(sql, target)
        } else {
            value
        }
    }

    fn cast(&mut self, value: Typed, target: SfType) -> Typed {
        let target = target.nullable(value.ty.nullable);
        let same = value.ty.kind == target.kind
            && (value.ty.scale == target.scale
                || !matches!(target.kind, Kind::Fixed | Kind::Time) && !target.kind.is_timestamp());
        if same {
            return Typed::new(value.sql, target);
        }
        Typed::new(
            format!(
                "sf_cast({}, {}, {})",
                value.sql,
                value.ty.cast_args(),
                target.cast_args()
            ),
            target,
        )
    }

    /// Date functions read a string argument as a TIMESTAMP_NTZ, as Snowflake casts it.
    fn text_as_timestamp(&mut self, value: Typed) -> Typed {
        if value.ty.kind == Kind::Text {
            self.coerce_to(value, &SfType::new(Kind::TimestampNtz))
        } else {
            value
        }
    }

    fn as_text(&mut self, value: Typed) -> Typed {
        if value.ty.kind == Kind::Text {
            value
        } else {
            self.cast(value, SfType::new(Kind::Text))
        }
    }

    fn as_number(&mut self, value: Typed) -> Result<Typed, SqlError> {
        match value.ty.kind {
            Kind::Fixed | Kind::Real => Ok(value),
            Kind::Text | Kind::Variant => Ok(self.cast(value, SfType::new(Kind::Real))),
            Kind::Boolean => Err(SqlError::new(
                "002016",
                "22000",
                "SQL compilation error:\nArithmetic on BOOLEAN is not supported.",
            )),
            other => Err(unsupported(&format!(
                "arithmetic on {}",
                other.name().to_uppercase()
            ))),
        }
    }

    /// Functions Snowflake allows without parentheses: `CURRENT_TIMESTAMP`, `CURRENT_DATE`, …
    fn bare_function(&mut self, name: &str) -> Option<Typed> {
        match name {
            "CURRENT_TIMESTAMP" | "LOCALTIMESTAMP" | "CURRENT_DATE" | "CURRENT_TIME"
            | "LOCALTIME" | "CURRENT_USER" | "CURRENT_ROLE" => self.session_function(name),
            _ => None,
        }
    }

    /// Values fixed for the statement: times and the session's context.
    fn session_function(&mut self, name: &str) -> Option<Typed> {
        let now = chrono::Utc::now();
        let nanos = now.timestamp_nanos_opt().unwrap_or(0);
        let context = |value: Option<String>| {
            (
                value.map_or(Value::Null, Value::Text),
                SfType::function_text(),
            )
        };
        let (value, ty) = match name {
            "CURRENT_TIMESTAMP" | "LOCALTIMESTAMP" | "GETDATE" | "SYSTIMESTAMP" => {
                (Value::Integer(nanos), SfType::new(Kind::TimestampLtz))
            }
            "SYSDATE" => (Value::Integer(nanos), SfType::new(Kind::TimestampNtz)),
            "CURRENT_DATE" => (
                Value::Integer(nanos.div_euclid(86_400_000_000_000)),
                SfType::new(Kind::Date),
            ),
            "CURRENT_TIME" | "LOCALTIME" => (
                Value::Integer(nanos.rem_euclid(86_400_000_000_000)),
                SfType::new(Kind::Time),
            ),
            "CURRENT_USER" => context(Some(self.session.user.clone())),
            "CURRENT_ROLE" => context(Some(self.session.role.clone())),
            "CURRENT_DATABASE" => context(self.session.database.clone()),
            "CURRENT_SCHEMA" => context(self.session.schema.clone()),
            "CURRENT_WAREHOUSE" => context(self.session.warehouse.clone()),
            "CURRENT_ACCOUNT" => context(Some(self.account.names.locator.clone())),
            "CURRENT_ACCOUNT_NAME" => context(Some(self.account.names.account_name.clone())),
            "CURRENT_ORGANIZATION_NAME" => context(Some(self.account.names.organization.clone())),
            "CURRENT_REGION" => context(Some("AWS_US_WEST_2".into())),
            "CURRENT_VERSION" => context(Some("9.0.0".into())),
            "CURRENT_CLIENT" => context(Some("SQL API".into())),
            _ => return None,
        };
        let nullable = matches!(value, Value::Null) || ty.kind == Kind::Text;
        Some(Typed::new(self.param(value), ty.nullable(nullable)))
    }

    fn function(
        &mut self,
        function: &ast::Function,
        scopes: &[Vec<Relation>],
        aliases: &[(String, Typed)],
    ) -> Result<Typed, SqlError> {
        let name = object_parts(&function.name)?.join(".");
        if function.filter.is_some()
            || !function.within_group.is_empty()
            || function.null_treatment.is_some()
            || function.uses_odbc_syntax
            || !matches!(function.parameters, FunctionArguments::None)
        {
            return Err(unsupported(&format!("{name} with FILTER/WITHIN GROUP")));
        }
        if let Some(over) = &function.over {
            return self.window_function(&name, function, over, scopes, aliases);
        }
        let (distinct, args) = match &function.args {
            FunctionArguments::None => (false, Vec::new()),
            FunctionArguments::List(list) => {
                if !list.clauses.is_empty() {
                    return Err(unsupported(&format!("{name} argument clauses")));
                }
                (
                    matches!(
                        list.duplicate_treatment,
                        Some(ast::DuplicateTreatment::Distinct)
                    ),
                    list.args.clone(),
                )
            }
            FunctionArguments::Subquery(_) => {
                return Err(unsupported(&format!("{name} over a subquery")));
            }
        };
        if let Some(typed) = (args.is_empty())
            .then(|| self.session_function(&name))
            .flatten()
        {
            return Ok(typed);
        }
        if let Some(typed) = self.date_function(&name, &args, scopes, aliases)? {
            return Ok(typed);
        }
        let distinct_sql = if distinct { "DISTINCT " } else { "" };
        if name == "COUNT" {
            let inner = match args.as_slice() {
                [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)] => "*".to_owned(),
                [FunctionArg::Unnamed(FunctionArgExpr::Expr(e))] => {
                    self.expr(e, scopes, aliases)?.sql
                }
                _ => return Err(wrong_arguments(&name)),
            };
            return Ok(Typed::new(
                format!("count({distinct_sql}{inner})"),
                SfType::fixed(18, 0).not_null(),
            ));
        }
        let mut typed_args = Vec::new();
        for arg in &args {
            match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => {
                    typed_args.push(self.expr(e, scopes, aliases)?)
                }
                _ => return Err(unsupported(&format!("{name} arguments"))),
            }
        }
        let arity = |n: std::ops::RangeInclusive<usize>| {
            if n.contains(&typed_args.len()) {
                Ok(())
            } else {
                Err(wrong_arguments(&name))
            }
        };
        let sqls: Vec<String> = typed_args.iter().map(|t| t.sql.clone()).collect();
        let first = typed_args.first().map(|t| t.ty.clone());
        let any_nullable = typed_args.iter().any(|t| t.ty.nullable);
        Ok(match name.as_str() {
            "SUM" | "AVG" | "MIN" | "MAX" => {
                arity(1..=1)?;
                let arg = typed_args.remove(0);
                let (sql_name, ty) = match name.as_str() {
                    "SUM" => {
                        let arg_ty = self.as_number(arg.clone())?.ty;
                        let ty = if arg_ty.kind == Kind::Real {
                            arg_ty
                        } else {
                            SfType::fixed(38, arg_ty.scale)
                        };
                        ("sum", ty)
                    }
                    "AVG" => {
                        let arg_ty = self.as_number(arg.clone())?.ty;
                        let ty = if arg_ty.kind == Kind::Real {
                            arg_ty
                        } else {
                            SfType::fixed(38, (arg_ty.scale + 6).min(12))
                        };
                        ("avg", ty)
                    }
                    "MIN" => ("min", arg.ty.clone()),
                    _ => ("max", arg.ty.clone()),
                };
                Typed::new(
                    format!("{sql_name}({distinct_sql}{})", arg.sql),
                    ty.nullable(true),
                )
            }
            "SYSTEM$WAIT" => {
                arity(1..=2)?;
                let amount = function_literal(&args[0])
                    .and_then(|n| n.parse::<f64>().ok())
                    .filter(|n| *n >= 0.0);
                let unit = args
                    .get(1)
                    .map(|a| function_literal(a).unwrap_or_default().to_uppercase())
                    .unwrap_or_else(|| "SECONDS".into());
                let Some(amount) = amount else {
                    return Err(SqlError::new(
                        "100069",
                        "22000",
                        "SYSTEM$WAIT: the amount of time must be a non-negative number literal.",
                    ));
                };
                let seconds = match unit.as_str() {
                    "SECONDS" => amount,
                    "MILLISECONDS" => amount / 1000.0,
                    "MINUTES" => amount * 60.0,
                    "HOURS" => amount * 3600.0,
                    _ => {
                        return Err(SqlError::new(
                            "100069",
                            "22000",
                            format!(
                                "SYSTEM$WAIT: unknown unit '{unit}'; use SECONDS, MILLISECONDS, MINUTES or HOURS."
                            ),
                        ));
                    }
                };
                self.waits.push(Duration::from_secs_f64(seconds));
                let text = format!(
                    "waited {} {}",
                    function_literal(&args[0]).unwrap_or_default(),
                    unit.to_lowercase()
                );
                Typed::new(sql_string(&text), SfType::function_text())
            }
            "COALESCE" | "NVL" | "IFNULL" => {
                arity(2..=usize::MAX)?;
                let ty = typed_args
                    .iter()
                    .fold(None, |acc, t| Some(unify(acc, &t.ty)))
                    .unwrap_or_else(|| SfType::new(Kind::Text));
                let nullable = typed_args.iter().all(|t| t.ty.nullable);
                let items: Vec<String> = typed_args
                    .into_iter()
                    .map(|t| self.coerce_to(t, &ty).sql)
                    .collect();
                Typed::new(
                    format!("coalesce({})", items.join(", ")),
                    ty.nullable(nullable),
                )
            }
            "NULLIF" => {
                arity(2..=2)?;
                Typed::new(
                    format!("nullif({}, {})", sqls[0], sqls[1]),
                    first
                        .unwrap_or_else(|| SfType::new(Kind::Text))
                        .nullable(true),
                )
            }
            "IFF" => {
                arity(3..=3)?;
                let ty = unify(Some(typed_args[1].ty.clone()), &typed_args[2].ty);
                let a = self.coerce_to(typed_args[1].clone(), &ty);
                let b = self.coerce_to(typed_args[2].clone(), &ty);
                Typed::new(
                    format!("(CASE WHEN {} THEN {} ELSE {} END)", sqls[0], a.sql, b.sql),
                    ty,
                )
            }
            "UPPER" | "LOWER" => {
                arity(1..=1)?;
                let text = self.as_text(typed_args.remove(0));
                // Unicode-aware, unlike SQLite's own upper() and lower().
                Typed::new(format!("sf_{}({})", name.to_lowercase(), text.sql), text.ty)
            }
            "TRIM" | "LTRIM" | "RTRIM" => {
                arity(1..=2)?;
                let text = self.as_text(typed_args.remove(0));
                let rest: String = sqls[1..].iter().map(|s| format!(", {s}")).collect();
                Typed::new(
                    format!("{}({}{rest})", name.to_lowercase(), text.sql),
                    text.ty,
                )
            }
            "LENGTH" | "LEN" | "CHAR_LENGTH" | "CHARACTER_LENGTH" => {
                arity(1..=1)?;
                let text = self.as_text(typed_args.remove(0));
                Typed::new(
                    format!("length({})", text.sql),
                    SfType::fixed(18, 0).nullable(any_nullable),
                )
            }
            "SUBSTR" | "SUBSTRING" => {
                arity(2..=3)?;
                let text = self.as_text(typed_args.remove(0));
                let rest: String = sqls[1..].iter().map(|s| format!(", {s}")).collect();
                Typed::new(
                    format!("substr({}{rest})", text.sql),
                    text.ty.nullable(true),
                )
            }
            "REPLACE" => {
                arity(2..=3)?;
                let replacement = sqls.get(2).cloned().unwrap_or_else(|| "''".into());
                let text = self.as_text(typed_args.remove(0));
                Typed::new(
                    format!("replace({}, {}, {replacement})", text.sql, sqls[1]),
                    SfType::new(Kind::Text).nullable(any_nullable),
                )
            }
            "CONCAT" => {
                arity(1..=usize::MAX)?;
                let length = typed_args
                    .iter()
                    .map(|t| t.ty.length)
                    .sum::<u64>()
                    .clamp(1, super::types::MAX_TEXT);
                let items: Vec<String> = typed_args
                    .into_iter()
                    .map(|t| self.as_text(t).sql)
                    .collect();
                Typed::new(
                    format!("({})", items.join(" || ")),
                    SfType::text(length).nullable(any_nullable),
                )
            }
            "ABS" => {
                arity(1..=1)?;
                let value = self.as_number(typed_args.remove(0))?;
                Typed::new(format!("abs({})", value.sql), value.ty)
            }
            "ROUND" => {
                arity(1..=2)?;
                let value = self.as_number(typed_args.remove(0))?;
                let scale = match args.get(1) {
                    Some(a) => function_literal(a)
                        .and_then(|s| s.parse::<u32>().ok())
                        .ok_or_else(|| unsupported("ROUND with a non-literal scale"))?,
                    None => 0,
                };
                let ty = if value.ty.kind == Kind::Real {
                    value.ty.clone()
                } else {
                    SfType::fixed(value.ty.precision, scale.min(value.ty.scale))
                        .nullable(value.ty.nullable)
                };
                Typed::new(format!("round({}, {scale})", value.sql), ty)
            }
            "MOD" => {
                arity(2..=2)?;
                let ty = arithmetic_type(
                    &BinaryOperator::Modulo,
                    &typed_args[0].ty,
                    &typed_args[1].ty,
                )
                .nullable(true);
                Typed::new(format!("({} % sf_divisor({}))", sqls[0], sqls[1]), ty)
            }
            "GREATEST" | "LEAST" => {
                arity(2..=usize::MAX)?;
                let ty = typed_args
                    .iter()
                    .fold(None, |acc, t| Some(unify(acc, &t.ty)))
                    .unwrap_or_else(|| SfType::new(Kind::Text));
                let items: Vec<String> = typed_args
                    .into_iter()
                    .map(|t| self.coerce_to(t, &ty).sql)
                    .collect();
                let f = if name == "GREATEST" { "max" } else { "min" };
                Typed::new(
                    format!("{f}({})", items.join(", ")),
                    ty.nullable(any_nullable),
                )
            }
            "TO_VARCHAR" | "TO_CHAR" | "TO_NUMBER" | "TO_DECIMAL" | "TO_NUMERIC" | "TO_DOUBLE"
            | "TO_BOOLEAN" | "TO_DATE" | "DATE" | "TO_TIME" | "TO_TIMESTAMP"
            | "TO_TIMESTAMP_NTZ" | "TO_TIMESTAMP_LTZ" | "TO_TIMESTAMP_TZ" | "PARSE_JSON"
            | "TO_VARIANT" => {
                arity(1..=1)?;
                let target = match name.as_str() {
                    "TO_VARCHAR" | "TO_CHAR" => SfType::new(Kind::Text),
                    "TO_NUMBER" | "TO_DECIMAL" | "TO_NUMERIC" => SfType::fixed(38, 0),
                    "TO_DOUBLE" => SfType::new(Kind::Real),
                    "TO_BOOLEAN" => SfType::new(Kind::Boolean),
                    "TO_DATE" | "DATE" => SfType::new(Kind::Date),
                    "TO_TIME" => SfType::new(Kind::Time),
                    "TO_TIMESTAMP" | "TO_TIMESTAMP_NTZ" => SfType::new(Kind::TimestampNtz),
                    "TO_TIMESTAMP_LTZ" => SfType::new(Kind::TimestampLtz),
                    "TO_TIMESTAMP_TZ" => SfType::new(Kind::TimestampTz),
                    _ => SfType::new(Kind::Variant),
                };
                if name == "PARSE_JSON" {
                    let value = typed_args.remove(0);
                    let text_ty = SfType::new(Kind::Variant);
                    Typed::new(
                        format!(
                            "sf_cast({}, {}, {})",
                            value.sql,
                            text_ty.cast_args(),
                            text_ty.cast_args()
                        ),
                        text_ty.nullable(value.ty.nullable),
                    )
                } else {
                    let value = typed_args.remove(0);
                    self.cast(value, target)
                }
            }
            _ => {
                return Err(SqlError::new(
                    "002140",
                    "42601",
                    format!("SQL compilation error:\nUnknown function {name}"),
                ));
            }
        })
    }

    /// DATEADD, DATEDIFF, DATE_TRUNC, DATE_PART and the one-part functions (YEAR(), …), whose
    /// first argument is a part name rather than an expression; `None` for other functions.
    fn date_function(
        &mut self,
        name: &str,
        args: &[FunctionArg],
        scopes: &[Vec<Relation>],
        aliases: &[(String, Typed)],
    ) -> Result<Option<Typed>, SqlError> {
        let single_part = match name {
            "YEAR" | "QUARTER" | "MONTH" | "WEEK" | "DAY" | "DAYOFMONTH" | "HOUR" | "MINUTE"
            | "SECOND" | "DAYOFWEEK" | "DAYOFYEAR" => Some(name),
            "DATEADD" | "TIMEADD" | "TIMESTAMPADD" | "DATEDIFF" | "TIMEDIFF" | "TIMESTAMPDIFF"
            | "DATE_TRUNC" | "DATE_PART" => None,
            _ => return Ok(None),
        };
        let expression = |compiler: &mut Self, arg: &FunctionArg| -> Result<Typed, SqlError> {
            let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg else {
                return Err(unsupported(&format!("{name} arguments")));
            };
            let typed = compiler.expr(e, scopes, aliases)?;
            Ok(compiler.text_as_timestamp(typed))
        };
        let part_name = |arg: &FunctionArg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(i))) => Ok(i.value.clone()),
            FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) => match &v.value {
                AstValue::SingleQuotedString(s) => Ok(s.clone()),
                _ => Err(wrong_arguments(name)),
            },
            _ => Err(wrong_arguments(name)),
        };
        let (part, rest) = match (single_part, args) {
            (Some(part), [value]) => (part.to_owned(), std::slice::from_ref(value)),
            (None, [part, rest @ ..]) => (part_name(part)?, rest),
            _ => return Err(wrong_arguments(name)),
        };
        let parsed = super::dates::Part::parse(&part)?;
        let part_sql = sql_string(&part);
        let typed = match (name, rest) {
            ("DATEADD" | "TIMEADD" | "TIMESTAMPADD", [amount, value]) => {
                let amount = self.expr(
                    match amount {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => e,
                        _ => return Err(wrong_arguments(name)),
                    },
                    scopes,
                    aliases,
                )?;
                let value = expression(self, value)?;
                let result = if value.ty.kind == Kind::Date && parsed.below_day() {
                    SfType::new(Kind::TimestampNtz)
                } else {
                    value.ty.clone()
                };
                let sql = format!(
                    "sf_dateadd({part_sql}, {}, {}, {}, {})",
                    amount.sql,
                    value.sql,
                    value.ty.cast_args(),
                    result.cast_args()
                );
                Typed::new(
                    sql,
                    result.nullable(value.ty.nullable || amount.ty.nullable),
                )
            }
            ("DATEDIFF" | "TIMEDIFF" | "TIMESTAMPDIFF", [from, to]) => {
                let (from, to) = (expression(self, from)?, expression(self, to)?);
                let nullable = from.ty.nullable || to.ty.nullable;
                let sql = format!(
                    "sf_datediff({part_sql}, {}, {}, {}, {})",
                    from.sql,
                    from.ty.cast_args(),
                    to.sql,
                    to.ty.cast_args()
                );
                Typed::new(sql, SfType::fixed(18, 0).nullable(nullable))
            }
            ("DATE_TRUNC", [value]) => {
                let value = expression(self, value)?;
                let sql = format!(
                    "sf_datetrunc({part_sql}, {}, {})",
                    value.sql,
                    value.ty.cast_args()
                );
                Typed::new(sql, value.ty)
            }
            (_, [value]) if name != "DATEADD" => {
                let value = expression(self, value)?;
                let sql = format!(
                    "sf_datepart({part_sql}, {}, {})",
                    value.sql,
                    value.ty.cast_args()
                );
                Typed::new(sql, SfType::fixed(9, 0).nullable(value.ty.nullable))
            }
            _ => return Err(wrong_arguments(name)),
        };
        Ok(Some(typed))
    }

    /// A function with `OVER (…)`: ranking, navigation, or an aggregate over a window.
    fn window_function(
        &mut self,
        name: &str,
        function: &ast::Function,
        over: &ast::WindowType,
        scopes: &[Vec<Relation>],
        aliases: &[(String, Typed)],
    ) -> Result<Typed, SqlError> {
        let ast::WindowType::WindowSpec(spec) = over else {
            return Err(unsupported("named windows"));
        };
        if spec.window_name.is_some() || spec.window_frame.is_some() {
            return Err(unsupported("window frames"));
        }
        let mut window = Vec::new();
        if !spec.partition_by.is_empty() {
            let mut terms = Vec::new();
            for expr in &spec.partition_by {
                terms.push(self.expr(expr, scopes, aliases)?.sql);
            }
            window.push(format!("PARTITION BY {}", terms.join(", ")));
        }
        if !spec.order_by.is_empty() {
            let mut terms = Vec::new();
            for order in &spec.order_by {
                let term = self.expr(&order.expr, scopes, aliases)?;
                terms.push(order_term(&instant(term).sql, &order.options));
            }
            window.push(format!("ORDER BY {}", terms.join(", ")));
        }
        let mut plain = function.clone();
        plain.over = None;
        let arguments = |compiler: &mut Self| -> Result<Vec<Typed>, SqlError> {
            let FunctionArguments::List(list) = &function.args else {
                return Ok(Vec::new());
            };
            list.args
                .iter()
                .map(|arg| match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => {
                        compiler.expr(e, scopes, aliases)
                    }
                    _ => Err(unsupported(&format!("{name} arguments"))),
                })
                .collect()
        };
        let (call, ty) = match name {
            "ROW_NUMBER" | "RANK" | "DENSE_RANK" => (
                format!("{}()", name.to_lowercase()),
                SfType::fixed(38, 0).not_null(),
            ),
            "LAG" | "LEAD" | "FIRST_VALUE" | "LAST_VALUE" => {
                let args = arguments(self)?;
                let Some(first) = args.first() else {
                    return Err(wrong_arguments(name));
                };
                let ty = first.ty.clone().nullable(true);
                let sqls: Vec<String> = args.iter().map(|a| a.sql.clone()).collect();
                (format!("{}({})", name.to_lowercase(), sqls.join(", ")), ty)
            }
            "COUNT" | "SUM" | "AVG" | "MIN" | "MAX" => {
                let typed = self.function(&plain, scopes, aliases)?;
                (typed.sql, typed.ty)
            }
            _ => return Err(unsupported(&format!("{name} as a window function"))),
        };
        // Snowflake's FIRST_VALUE/LAST_VALUE look at the whole partition unless a frame is given.
        if matches!(name, "FIRST_VALUE" | "LAST_VALUE") && !spec.order_by.is_empty() {
            window.push("ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING".into());
        }
        Ok(Typed::new(
            format!("{call} OVER ({})", window.join(" ")),
            ty,
        ))
    }

    // -----------------------------------------------------------------------------------------
    // DML

    fn target_table(&mut self, name: &ObjectName) -> Result<(Arc<Table>, Origin), SqlError> {
        let parts = object_parts(name)?;
        let (db, schema, table_name) = self.object_path(&parts)?;
        let full = format!("{db}.{schema}.{table_name}");
        let schema_entry = ddl::schema(self.catalog, &self.vis, &db, &schema)
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
            return Err(ddl::insufficient(&format!("table '{table_name}'")));
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

    fn write_granted(&self, name: &str) -> bool {
        self.catalog.grants.iter().any(|g| {
            g.on == ObjectKind::Table
                && g.name == name
                && self.vis.roles.contains(&g.grantee)
                && matches!(g.privilege.as_str(), "INSERT" | "UPDATE" | "DELETE" | "ALL")
        })
    }

    fn table_relation(table: &Table, alias: &str, name: &str, origin: &Origin) -> Relation {
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

    fn insert(&mut self, insert: &ast::Insert) -> Result<Plan, SqlError> {
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
    fn store_as(&mut self, value: Typed, target: &SfType) -> Typed {
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
    fn dml_target(&mut self, factor: &TableFactor, statement: &str) -> Result<DmlTarget, SqlError> {
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

    fn update(&mut self, update: &ast::Update) -> Result<Plan, SqlError> {
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

    fn delete(&mut self, delete: &ast::Delete) -> Result<Plan, SqlError> {
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

/// Refuses what the emulator would otherwise ignore on a table reference: table functions,
/// SAMPLE, time travel (AT/BEFORE), partitions, hints.
fn plain_table(factor: &TableFactor) -> Result<(), SqlError> {
    let TableFactor::Table {
        args,
        with_hints,
        version,
        with_ordinality,
        partitions,
        json_path,
        sample,
        index_directives,
        inheritance,
        ..
    } = factor
    else {
        return Ok(());
    };
    let refused = if args.is_some() {
        Some("table functions")
    } else if sample.is_some() {
        Some("SAMPLE")
    } else if version.is_some() {
        Some("time travel (AT | BEFORE)")
    } else if !with_hints.is_empty()
        || *with_ordinality
        || !partitions.is_empty()
        || json_path.is_some()
        || !index_directives.is_empty()
        || inheritance.is_some()
    {
        Some("this table reference")
    } else {
        None
    };
    refused.map_or(Ok(()), |what| Err(unsupported(what)))
}

/// Refuses `* EXCLUDE (…)`, `* RENAME …`, `* REPLACE …` and `* ILIKE …`, which would otherwise be
/// ignored.
fn plain_wildcard(options: &ast::WildcardAdditionalOptions) -> Result<(), SqlError> {
    let plain = options.opt_ilike.is_none()
        && options.opt_exclude.is_none()
        && options.opt_except.is_none()
        && options.opt_replace.is_none()
        && options.opt_rename.is_none()
        && options.opt_alias.is_none();
    if plain {
        Ok(())
    } else {
        Err(unsupported("SELECT * with EXCLUDE/RENAME/REPLACE/ILIKE"))
    }
}

/// A relation over a compiled query's columns, read as `<alias>.c<i>`.
fn output_relation(name: String, columns: Vec<Output>, sql_alias: &str) -> Relation {
    Relation {
        name,
        columns: columns
            .into_iter()
            .enumerate()
            .map(|(i, c)| RelationColumn {
                name: c.name,
                sql: format!("{sql_alias}.c{i}"),
                ty: c.ty,
                origin: c.origin,
            })
            .collect(),
    }
}

/// A TIMESTAMP_TZ compared as its instant (its stored text also carries the offset).
fn instant(value: Typed) -> Typed {
    if value.ty.kind == Kind::TimestampTz {
        Typed {
            sql: format!("sf_instant({})", value.sql),
            ..value
        }
    } else {
        value
    }
}

fn value_count(expected: usize, got: usize) -> SqlError {
    SqlError::new(
        "002020",
        "21S01",
        format!(
            "SQL compilation error:\nInsert value list does not match column list expecting {expected} but got {got}"
        ),
    )
}

fn wrong_arguments(name: &str) -> SqlError {
    SqlError::new(
        "000938",
        "22023",
        format!(
            "SQL compilation error:\nerror line 1 at position 0\ninvalid number of arguments for function {name}"
        ),
    )
}

/// The literal text of a function argument (`5`, `'SECONDS'`), if it is one.
fn function_literal(arg: &FunctionArg) -> Option<String> {
    match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) => match &v.value {
            AstValue::Number(n, _) => Some(n.clone()),
            AstValue::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn push_relation(relation: &Relation, items: &mut Vec<String>, columns: &mut Vec<Output>) {
    for column in &relation.columns {
        items.push(column.sql.clone());
        columns.push(Output {
            name: column.name.clone(),
            ty: column.ty.clone(),
            origin: column.origin.clone(),
        });
    }
}

fn columns_as_aliases(columns: &[Output], items: &[String]) -> Vec<(String, Typed)> {
    columns
        .iter()
        .zip(items)
        .map(|(c, sql)| {
            (
                c.name.clone(),
                Typed {
                    sql: sql.clone(),
                    ty: c.ty.clone(),
                    origin: c.origin.clone(),
                },
            )
        })
        .collect()
}

fn find_column<'r>(relations: &'r [Relation], name: &str) -> Option<&'r RelationColumn> {
    relations
        .iter()
        .flat_map(|r| &r.columns)
        .find(|c| c.name == name)
}

fn order_term(term: &str, options: &ast::OrderByOptions) -> String {
    let descending = matches!(options.sort, Some(ast::OrderBySort::Desc));
    // Snowflake sorts NULL above every value: last ascending, first descending.
    let nulls_first = options.nulls_first.unwrap_or(descending);
    format!(
        "{term} {} NULLS {}",
        if descending { "DESC" } else { "ASC" },
        if nulls_first { "FIRST" } else { "LAST" }
    )
}

/// Where an identifier starts, as Snowflake's messages give it: line (from 1), position (from 0).
fn position(i: &Ident) -> (u64, u64) {
    (
        i.span.start.line.max(1),
        i.span.start.column.saturating_sub(1),
    )
}

/// An identifier by Snowflake's rules: unquoted upper-cased, quoted exact.
fn ident(i: &Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_uppercase(),
    }
}

fn object_parts(name: &ObjectName) -> Result<Vec<String>, SqlError> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(i) => Ok(ident(i)),
            ObjectNamePart::Function(_) => Err(unsupported("IDENTIFIER()")),
        })
        .collect()
}

/// The `rowType` name of an unaliased expression: its text, upper-cased outside double quotes.
fn expression_name(expr: &Expr) -> String {
    let text = expr.to_string();
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if quoted {
            out.push(c);
        } else {
            out.extend(c.to_uppercase());
        }
    }
    out
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn number_literal(n: &str) -> Result<Typed, SqlError> {
    if n.contains(['e', 'E']) {
        let value: f64 = n
            .parse()
            .map_err(|_| super::types::not_recognized("Numeric", n))?;
        return Ok(Typed::new(
            format!("{value:?}"),
            SfType::new(Kind::Real).not_null(),
        ));
    }
    let (whole, fraction) = n.split_once('.').unwrap_or((n, ""));
    let whole = whole.trim_start_matches('0');
    let scale = fraction.len() as u32;
    let precision = ((whole.len() as u32) + scale).max(1);
    if precision > 38 {
        return Err(SqlError::new(
            "100039",
            "22003",
            format!("Numeric value '{n}' is out of range"),
        ));
    }
    let ty = SfType::fixed(precision, scale).not_null();
    if scale == 0 && whole.len() > 18 {
        return Ok(Typed::new(sql_string(whole), ty));
    }
    Ok(Typed::new(
        if n.starts_with('.') {
            format!("0{n}")
        } else {
            n.to_owned()
        },
        ty,
    ))
}

/// The type of `l op r` for numbers, with Snowflake's precision and scale rules.
fn arithmetic_type(op: &BinaryOperator, l: &SfType, r: &SfType) -> SfType {
    if l.kind == Kind::Real || r.kind == Kind::Real {
        return SfType::new(Kind::Real);
    }
    let (lp, ls, rp, rs) = (l.precision, l.scale, r.precision, r.scale);
    let (precision, scale) = match op {
        BinaryOperator::Plus | BinaryOperator::Minus => {
            let scale = ls.max(rs);
            ((lp - ls).max(rp - rs) + scale + 1, scale)
        }
        BinaryOperator::Multiply => (lp + rp, (ls + rs).min(ls.max(rs).max(12))),
        BinaryOperator::Divide => {
            let scale = ls.max((ls + 6).min(12));
            (lp - ls + rs + scale, scale)
        }
        _ => (lp.max(rp), ls.max(rs)),
    };
    SfType::fixed(precision.min(38), scale.min(37))
}

/// The common type of two branches (CASE, COALESCE): numbers widen, else the first wins.
fn unify(acc: Option<SfType>, next: &SfType) -> SfType {
    match acc {
        None => next.clone(),
        Some(a) if a.kind == Kind::Fixed && next.kind == Kind::Fixed => {
            let scale = a.scale.max(next.scale);
            let integer = (a.precision - a.scale).max(next.precision - next.scale);
            SfType::fixed((integer + scale).min(38), scale).nullable(a.nullable || next.nullable)
        }
        Some(a) if a.kind.is_numeric() && next.kind.is_numeric() => {
            SfType::new(Kind::Real).nullable(a.nullable || next.nullable)
        }
        Some(a) if a.kind == Kind::Text && next.kind == Kind::Text => {
            SfType::text(a.length.max(next.length)).nullable(a.nullable || next.nullable)
        }
        Some(a) => {
            let nullable = a.nullable || next.nullable;
            a.nullable(nullable)
        }
    }
}
