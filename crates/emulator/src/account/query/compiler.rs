//! The compiler's state and shapes: the [`Compiler`] of one statement (its parameters, tables,
//! scopes and CTEs), typed expressions, relations and plans, and the small helpers every part
//! of the compiler uses. `relations`, `expressions`, `functions` and `dml` add its methods.

use std::{sync::Arc, time::Duration};

use rusqlite::types::Value;
use sqlparser::{
    ast::{
        self, BinaryOperator, Expr, FunctionArg, FunctionArgExpr, Ident, ObjectName,
        ObjectNamePart, Statement, TableFactor, Value as AstValue,
    },
    dialect::SnowflakeDialect,
    parser::Parser,
};

use crate::account::{
    Account,
    catalog::{Catalog, Table, Visibility},
    lexer::syntax_error_text,
    lookup::*,
    types::{Kind, Origin, SfType},
};
use crate::exec::{Bindings, Session, SqlError};

/// How deep views may nest inside views.
pub(super) const MAX_VIEW_DEPTH: usize = 16;

pub(super) fn parse(sql: &str) -> Result<Statement, SqlError> {
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

pub(super) fn statement_kind(sql: &str) -> String {
    sql.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_uppercase()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DmlKind {
    Insert,
    Update,
    Delete,
}

pub(super) enum Plan {
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
pub(super) type DmlTarget = (Arc<Table>, String, Vec<Vec<Relation>>);

/// One column of a compiled query.
#[derive(Debug, Clone)]
pub(super) struct Output {
    pub(super) name: String,
    pub(super) ty: SfType,
    pub(super) origin: Option<Origin>,
}

/// What a compiled statement needs besides its SQL.
pub(super) struct Parts {
    pub(super) params: Vec<Value>,
    pub(super) tables: Vec<Arc<Table>>,
    pub(super) waits: Vec<Duration>,
    pub(super) info_tables: Vec<crate::account::information_schema::InfoTable>,
}

/// A typed, compiled expression.
#[derive(Debug, Clone)]
pub(super) struct Typed {
    pub(super) sql: String,
    pub(super) ty: SfType,
    pub(super) origin: Option<Origin>,
}

impl Typed {
    pub(super) fn new(sql: String, ty: SfType) -> Self {
        Self {
            sql,
            ty,
            origin: None,
        }
    }
}

/// A relation in a FROM clause.
#[derive(Debug, Clone)]
pub(super) struct Relation {
    /// The name columns are qualified with (alias, else the table's name).
    pub(super) name: String,
    pub(super) columns: Vec<RelationColumn>,
}

#[derive(Debug, Clone)]
pub(super) struct RelationColumn {
    pub(super) name: String,
    pub(super) sql: String,
    pub(super) ty: SfType,
    pub(super) origin: Option<Origin>,
}

pub(super) struct Compiler<'a> {
    pub(super) account: &'a Account,
    pub(super) catalog: &'a Catalog,
    pub(super) vis: Visibility,
    pub(super) session: &'a Session,
    pub(super) bindings: &'a Bindings,
    pub(super) params: Vec<Value>,
    pub(super) tables: Vec<Arc<Table>>,
    pub(super) waits: Vec<Duration>,
    pub(super) info_tables: Vec<crate::account::information_schema::InfoTable>,
    pub(super) aliases: usize,
    pub(super) positional: usize,
    /// Current database and schema of name resolution (a view's own, inside a view).
    pub(super) namespace: Vec<(Option<String>, Option<String>)>,
    /// Common table expressions in scope: name, SQLite name, columns.
    pub(super) ctes: Vec<(String, String, Vec<Output>)>,
    pub(super) describing: bool,
}

impl<'a> Compiler<'a> {
    pub(super) fn new(
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

    pub(super) fn finish(self) -> Parts {
        Parts {
            params: self.params,
            tables: self.tables,
            waits: self.waits,
            info_tables: self.info_tables,
        }
    }

    pub(super) fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("r{}", self.aliases)
    }

    pub(super) fn param(&mut self, value: Value) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }
}

/// Refuses what the emulator would otherwise ignore on a table reference: table functions,
/// SAMPLE, time travel (AT/BEFORE), partitions, hints.
pub(super) fn plain_table(factor: &TableFactor) -> Result<(), SqlError> {
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
pub(super) fn plain_wildcard(options: &ast::WildcardAdditionalOptions) -> Result<(), SqlError> {
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
pub(super) fn output_relation(name: String, columns: Vec<Output>, sql_alias: &str) -> Relation {
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
pub(super) fn instant(value: Typed) -> Typed {
    if value.ty.kind == Kind::TimestampTz {
        Typed {
            sql: format!("sf_instant({})", value.sql),
            ..value
        }
    } else {
        value
    }
}

pub(super) fn value_count(expected: usize, got: usize) -> SqlError {
    SqlError::new(
        "002020",
        "21S01",
        format!(
            "SQL compilation error:\nInsert value list does not match column list expecting {expected} but got {got}"
        ),
    )
}

pub(super) fn wrong_arguments(name: &str) -> SqlError {
    SqlError::new(
        "000938",
        "22023",
        format!(
            "SQL compilation error:\nerror line 1 at position 0\ninvalid number of arguments for function {name}"
        ),
    )
}

/// The literal text of a function argument (`5`, `'SECONDS'`), if it is one.
pub(super) fn function_literal(arg: &FunctionArg) -> Option<String> {
    match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) => match &v.value {
            AstValue::Number(n, _) => Some(n.clone()),
            AstValue::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn push_relation(
    relation: &Relation,
    items: &mut Vec<String>,
    columns: &mut Vec<Output>,
) {
    for column in &relation.columns {
        items.push(column.sql.clone());
        columns.push(Output {
            name: column.name.clone(),
            ty: column.ty.clone(),
            origin: column.origin.clone(),
        });
    }
}

pub(super) fn columns_as_aliases(columns: &[Output], items: &[String]) -> Vec<(String, Typed)> {
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

pub(super) fn find_column<'r>(relations: &'r [Relation], name: &str) -> Option<&'r RelationColumn> {
    relations
        .iter()
        .flat_map(|r| &r.columns)
        .find(|c| c.name == name)
}

pub(super) fn order_term(term: &str, options: &ast::OrderByOptions) -> String {
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
pub(super) fn position(i: &Ident) -> (u64, u64) {
    (
        i.span.start.line.max(1),
        i.span.start.column.saturating_sub(1),
    )
}

/// An identifier by Snowflake's rules: unquoted upper-cased, quoted exact.
pub(super) fn ident(i: &Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_uppercase(),
    }
}

pub(super) fn object_parts(name: &ObjectName) -> Result<Vec<String>, SqlError> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(i) => Ok(ident(i)),
            ObjectNamePart::Function(_) => Err(unsupported("IDENTIFIER()")),
        })
        .collect()
}

/// The `rowType` name of an unaliased expression: its text, upper-cased outside double quotes.
pub(super) fn expression_name(expr: &Expr) -> String {
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

pub(super) fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(super) fn number_literal(n: &str) -> Result<Typed, SqlError> {
    if n.contains(['e', 'E']) {
        let value: f64 = n
            .parse()
            .map_err(|_| crate::account::types::not_recognized("Numeric", n))?;
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
pub(super) fn arithmetic_type(op: &BinaryOperator, l: &SfType, r: &SfType) -> SfType {
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
pub(super) fn unify(acc: Option<SfType>, next: &SfType) -> SfType {
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
