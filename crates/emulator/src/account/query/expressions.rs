//! Expressions: columns, literals, bindings, operators, comparisons and casts, typed the way
//! Snowflake types them.

use rusqlite::types::Value;
use sqlparser::ast::{self, BinaryOperator, CastKind, Expr, UnaryOperator, Value as AstValue};

use crate::account::{
    lookup::*,
    types::{Kind, SfType, binding_value},
};
use crate::exec::SqlError;

use super::compiler::*;

impl Compiler<'_> {
    // -----------------------------------------------------------------------------------------
    // Expressions

    pub(super) fn expr(
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
                crate::account::dates::Part::parse(&field.to_string())?;
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
    pub(super) fn column(
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

    pub(super) fn predicate(
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

    pub(super) fn value(&mut self, value: &AstValue) -> Result<Typed, SqlError> {
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

    pub(super) fn placeholder(&mut self, placeholder: &str) -> Result<Typed, SqlError> {
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

    pub(super) fn binary(
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
                        .min(crate::account::types::MAX_TEXT);
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
    pub(super) fn comparable(
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
    pub(super) fn coerce_to(&mut self, value: Typed, target: &SfType) -> Typed {
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

    pub(super) fn cast(&mut self, value: Typed, target: SfType) -> Typed {
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
    pub(super) fn text_as_timestamp(&mut self, value: Typed) -> Typed {
        if value.ty.kind == Kind::Text {
            self.coerce_to(value, &SfType::new(Kind::TimestampNtz))
        } else {
            value
        }
    }

    pub(super) fn as_text(&mut self, value: Typed) -> Typed {
        if value.ty.kind == Kind::Text {
            value
        } else {
            self.cast(value, SfType::new(Kind::Text))
        }
    }

    pub(super) fn as_number(&mut self, value: Typed) -> Result<Typed, SqlError> {
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
}
