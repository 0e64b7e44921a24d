//! Function calls: session functions, scalar, date and window functions.

use std::time::Duration;

use rusqlite::types::Value;
use sqlparser::ast::{
    self, BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Value as AstValue,
};

use crate::account::{
    lookup::*,
    types::{Kind, SfType},
};
use crate::exec::SqlError;

use super::compiler::*;

impl Compiler<'_> {
    /// Functions Snowflake allows without parentheses: `CURRENT_TIMESTAMP`, `CURRENT_DATE`, …
    pub(super) fn bare_function(&mut self, name: &str) -> Option<Typed> {
        match name {
            "CURRENT_TIMESTAMP" | "LOCALTIMESTAMP" | "CURRENT_DATE" | "CURRENT_TIME"
            | "LOCALTIME" | "CURRENT_USER" | "CURRENT_ROLE" => self.session_function(name),
            _ => None,
        }
    }

    /// Values fixed for the statement: times and the session's context.
    pub(super) fn session_function(&mut self, name: &str) -> Option<Typed> {
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

    pub(super) fn function(
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
                    .clamp(1, crate::account::types::MAX_TEXT);
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
    pub(super) fn date_function(
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
        let parsed = crate::account::dates::Part::parse(&part)?;
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
    pub(super) fn window_function(
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
}
