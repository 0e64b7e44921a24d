//! The incremental watermark of `query-results` (and incremental custom syncs).
//!
//! The watermark is the largest value of the incremental column seen so far. Values are compared by
//! their real Snowflake type, never as text: `fixed`/`decfloat` as exact decimals (38 digits, no
//! float rounding), `real` as floats, `date` as days, `time` as nanoseconds, `timestamp_ntz`/`_ltz`/
//! `_tz` as instants, `text` by UTF-8 bytes (Snowflake's default, collation-free order), `binary` by
//! bytes, `boolean` false < true. The next run selects `WHERE "<col>" >= ?` with the watermark bound
//! in its SQL API type (Snowflake reference §2.3: timestamps as nanoseconds, dates as milliseconds,
//! decimals as text), always ordered by the column, so a checkpoint can be committed after every
//! batch. `>=` re-reads the rows tied with the watermark on purpose (late ties are not lost);
//! unchanged re-reads hash the same and cause no update. Rows whose incremental column is NULL are
//! never selected by `>=` (nor counted in the watermark).
//!
//! The checkpoint keeps Nango's readable key and adds the type:
//! `{"last_value": "1780548544.065000000", "last_value_type": "timestamp_ntz"}`. A Nango checkpoint
//! without a type is bound as `TEXT` (Nango's behaviour) until the first result tells the type.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::{
    sql::quote_ident,
    value::{SqlType, decimal_nanos, timestamp_tz},
};

/// The alias of the wrapped customer query.
pub const SUBQUERY_ALIAS: &str = "_snowgate_sync";

/// The checkpoint of an incremental sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WatermarkCheckpoint {
    /// The largest incremental value seen, as Snowflake sent it (Nango's key).
    pub last_value: String,
    /// Its `rowType` type (`fixed`, `timestamp_ntz`, …); absent in checkpoints written by Nango.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_value_type: Option<String>,
}

/// A value bound to a `?` placeholder, as the SQL API's `bindings` entries: `{"type", "value"}`.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct SqlBinding {
    /// `FIXED`, `TEXT`, `TIMESTAMP_NTZ`, …
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The encoded value (`None` is SQL NULL).
    pub value: Option<String>,
}

impl std::fmt::Debug for SqlBinding {
    // Bound values may be customer data: show the type only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlBinding")
            .field("type", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A value or checkpoint that cannot serve as a watermark.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatermarkError {
    /// The column's type has no usable order.
    #[error(
        "the incremental column {column:?} is of type {sql_type}, which has no order to resume from; choose a number, date, time, timestamp, text, binary or boolean column"
    )]
    Unordered {
        /// The column.
        column: String,
        /// Its type.
        sql_type: String,
    },
    /// A value does not parse as the column's type (the value itself is not shown).
    #[error("a value of the incremental column {column:?} is not a valid {sql_type}")]
    BadValue {
        /// The column.
        column: String,
        /// Its type.
        sql_type: String,
    },
    /// The stored checkpoint was written for another type than the column now has.
    #[error(
        "the checkpoint of {column:?} was saved for type {saved} but the column is now {current}; reset the sync (opts.reset) to start over"
    )]
    TypeChanged {
        /// The column.
        column: String,
        /// The type in the checkpoint.
        saved: String,
        /// The column's type now.
        current: String,
    },
}

/// A comparable form of one value.
#[derive(Debug, Clone, PartialEq)]
enum SortKey {
    Decimal(Decimal),
    Real(f64),
    Integer(i128),
    Bytes(Vec<u8>),
}

impl SortKey {
    fn parse(sql_type: &SqlType, raw: &str) -> Option<Self> {
        Some(match sql_type {
            SqlType::Fixed { .. } | SqlType::Decfloat => Self::Decimal(Decimal::parse(raw)?),
            SqlType::Real => Self::Real(match raw {
                "inf" | "Infinity" => f64::INFINITY,
                "-inf" | "-Infinity" => f64::NEG_INFINITY,
                "NaN" | "nan" => f64::NAN,
                _ => raw.parse().ok()?,
            }),
            SqlType::Date => Self::Integer(raw.parse::<i64>().ok()?.into()),
            SqlType::Time { .. } | SqlType::TimestampNtz { .. } | SqlType::TimestampLtz { .. } => {
                Self::Integer(decimal_nanos(raw)?)
            }
            SqlType::TimestampTz { .. } => Self::Integer(timestamp_tz(raw)?.0),
            SqlType::Text => Self::Bytes(raw.as_bytes().to_vec()),
            SqlType::Binary => Self::Bytes(hex::decode(raw).ok()?),
            SqlType::Boolean => Self::Integer(match raw {
                "false" | "FALSE" | "0" => 0,
                "true" | "TRUE" | "1" => 1,
                _ => return None,
            }),
            _ => return None,
        })
    }

    fn compare(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Decimal(a), Self::Decimal(b)) => a.cmp(b),
            // Snowflake orders NaN above every other float; total_cmp does too (for positive NaN).
            (Self::Real(a), Self::Real(b)) => a.abs_nan().total_cmp(&b.abs_nan()),
            (Self::Integer(a), Self::Integer(b)) => a.cmp(b),
            (Self::Bytes(a), Self::Bytes(b)) => a.cmp(b),
            _ => unreachable!("one watermark compares values of one type"),
        }
    }
}

trait AbsNan {
    fn abs_nan(self) -> f64;
}

impl AbsNan for f64 {
    /// NaN with the sign bit cleared, so that every NaN sorts last.
    fn abs_nan(self) -> f64 {
        if self.is_nan() { f64::NAN.abs() } else { self }
    }
}

/// An exact decimal: sign, significant digits without leading or trailing zeros, and the position
/// of the decimal point relative to the first digit (value = 0.d₁d₂… × 10^point).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    point: i64,
}

impl Decimal {
    /// Parses `[-+]digits[.digits][e[-+]digits]` (`fixed` text, and `decfloat`'s scientific form).
    fn parse(text: &str) -> Option<Self> {
        let (negative, unsigned) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i64>().ok()?),
            None => (unsigned, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let leading = all.iter().take_while(|&&d| d == 0).count();
        let trailing = all.iter().rev().take_while(|&&d| d == 0).count();
        if leading == all.len() {
            return Some(Self {
                negative: false,
                digits: Vec::new(),
                point: 0,
            });
        }
        let digits = all[leading..all.len() - trailing].to_vec();
        let point = int.len() as i64 - leading as i64 + exponent;
        Some(Self {
            negative,
            digits,
            point,
        })
    }

    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => self
                .point
                .cmp(&other.point)
                .then_with(|| self.digits.cmp(&other.digits)),
        }
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |d: &Self| {
            if d.digits.is_empty() {
                0
            } else if d.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if sign(self) < 0 => other.cmp_magnitude(self),
            Ordering::Equal => self.cmp_magnitude(other),
            unequal => unequal,
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two values of a column of type `sql_type`; `None` if either does not parse.
pub fn compare(sql_type: &SqlType, a: &str, b: &str) -> Option<Ordering> {
    Some(SortKey::parse(sql_type, a)?.compare(&SortKey::parse(sql_type, b)?))
}

/// The SQL API binding of a value of type `sql_type` (Snowflake reference §2.3).
pub fn binding(sql_type: &SqlType, raw: &str) -> Option<SqlBinding> {
    let bound = |kind, value: String| {
        Some(SqlBinding {
            kind,
            value: Some(value),
        })
    };
    match sql_type {
        SqlType::Fixed { .. } => bound("FIXED", raw.to_owned()),
        // DECFLOAT may come in scientific notation, which FIXED does not take: let Snowflake cast text.
        SqlType::Decfloat => bound("TEXT", raw.to_owned()),
        SqlType::Real => {
            let text = match raw {
                "inf" => "Infinity",
                "-inf" => "-Infinity",
                "nan" => "NaN",
                other => other,
            };
            bound("REAL", text.to_owned())
        }
        SqlType::Text => bound("TEXT", raw.to_owned()),
        SqlType::Binary => bound("BINARY", raw.to_owned()),
        SqlType::Boolean => bound("BOOLEAN", raw.to_owned()),
        SqlType::Date => bound("DATE", (raw.parse::<i64>().ok()? * 86_400_000).to_string()),
        SqlType::Time { .. } => bound("TIME", decimal_nanos(raw)?.to_string()),
        SqlType::TimestampNtz { .. } => bound("TIMESTAMP_NTZ", decimal_nanos(raw)?.to_string()),
        SqlType::TimestampLtz { .. } => bound("TIMESTAMP_LTZ", decimal_nanos(raw)?.to_string()),
        SqlType::TimestampTz { .. } => {
            let (nanos, offset) = timestamp_tz(raw)?;
            bound("TIMESTAMP_TZ", format!("{nanos} {}", offset + 1440))
        }
        _ => None,
    }
}

/// The running maximum of an incremental column.
#[derive(Debug, Clone)]
pub struct Watermark {
    column: String,
    sql_type: Option<SqlType>,
    last: Option<String>,
    saved_type: Option<String>,
}

impl Watermark {
    /// Starts from the stored checkpoint (`None` on the first run).
    pub fn new(column: &str, checkpoint: Option<WatermarkCheckpoint>) -> Self {
        let (last, saved_type) = match checkpoint {
            Some(checkpoint) => (Some(checkpoint.last_value), checkpoint.last_value_type),
            None => (None, None),
        };
        Self {
            column: column.to_owned(),
            sql_type: None,
            last,
            saved_type,
        }
    }

    /// Learns the column's type from the result's `rowType`; checks the type has an order and that
    /// the stored watermark is a value of it.
    pub fn set_type(&mut self, sql_type: SqlType) -> Result<(), WatermarkError> {
        let ordered = !matches!(
            sql_type,
            SqlType::Variant
                | SqlType::Object
                | SqlType::Array
                | SqlType::Vector
                | SqlType::Other(_)
        );
        if !ordered {
            return Err(WatermarkError::Unordered {
                column: self.column.clone(),
                sql_type: sql_type.to_string(),
            });
        }
        if let Some(saved) = &self.saved_type
            && saved != sql_type.name()
        {
            return Err(WatermarkError::TypeChanged {
                column: self.column.clone(),
                saved: saved.clone(),
                current: sql_type.to_string(),
            });
        }
        if let Some(last) = &self.last
            && SortKey::parse(&sql_type, last).is_none()
        {
            return Err(self.bad_value(&sql_type));
        }
        self.sql_type = Some(sql_type);
        Ok(())
    }

    fn bad_value(&self, sql_type: &SqlType) -> WatermarkError {
        WatermarkError::BadValue {
            column: self.column.clone(),
            sql_type: sql_type.to_string(),
        }
    }

    /// Takes one row's incremental value into account (NULL is ignored). Call [`Watermark::set_type`]
    /// first.
    pub fn observe(&mut self, raw: Option<&str>) -> Result<(), WatermarkError> {
        let (Some(raw), Some(sql_type)) = (raw, &self.sql_type) else {
            return Ok(());
        };
        let key = SortKey::parse(sql_type, raw).ok_or_else(|| self.bad_value(sql_type))?;
        let greater = match &self.last {
            None => true,
            Some(last) => {
                let last =
                    SortKey::parse(sql_type, last).ok_or_else(|| self.bad_value(sql_type))?;
                key.compare(&last) == Ordering::Greater
            }
        };
        if greater {
            self.last = Some(raw.to_owned());
        }
        Ok(())
    }

    /// The binding for `>= ?` on the next run; `None` before any value was seen. Without a known
    /// type (a checkpoint written by Nango, before the first result) the value is bound as `TEXT`.
    pub fn binding(&self) -> Option<SqlBinding> {
        let last = self.last.as_deref()?;
        let known = self.sql_type.clone().or_else(|| {
            self.saved_type
                .as_deref()
                .map(|name| SqlType::from_row_type(name, None, Some(9)))
        });
        match known {
            Some(sql_type) => binding(&sql_type, last),
            None => Some(SqlBinding {
                kind: "TEXT",
                value: Some(last.to_owned()),
            }),
        }
    }

    /// The checkpoint to store; `None` before any value was seen.
    pub fn checkpoint(&self) -> Option<WatermarkCheckpoint> {
        Some(WatermarkCheckpoint {
            last_value: self.last.clone()?,
            last_value_type: self
                .sql_type
                .as_ref()
                .map(|t| t.name().to_owned())
                .or_else(|| self.saved_type.clone()),
        })
    }
}

/// The statement of an incremental run:
/// `SELECT * FROM (<query>) AS _snowgate_sync [WHERE "<col>" >= ?] ORDER BY "<col>" ASC`.
///
/// The `WHERE` clause is there when a watermark exists. A trailing `;` of the customer's query is
/// dropped and the closing parenthesis goes on its own line, so a trailing `--` comment cannot
/// swallow it.
pub fn incremental_statement(query: &str, column: &str, has_watermark: bool) -> String {
    let query = query.trim_end().trim_end_matches(';').trim_end();
    let column = quote_ident(column);
    let filter = if has_watermark {
        format!(" WHERE {column} >= ?")
    } else {
        String::new()
    };
    format!("SELECT * FROM ({query}\n) AS {SUBQUERY_ALIAS}{filter} ORDER BY {column} ASC")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::value::NANOS;

    const FIXED: SqlType = SqlType::Fixed {
        precision: 38,
        scale: 0,
    };

    #[test]
    fn statements() {
        assert_eq!(
            incremental_statement("SELECT * FROM T;  ", "UPDATED_AT", true),
            "SELECT * FROM (SELECT * FROM T\n) AS _snowgate_sync WHERE \"UPDATED_AT\" >= ? ORDER BY \"UPDATED_AT\" ASC"
        );
        assert_eq!(
            incremental_statement("SELECT 1 AS \"a\"\"b\" -- note", "a\"b", false),
            "SELECT * FROM (SELECT 1 AS \"a\"\"b\" -- note\n) AS _snowgate_sync ORDER BY \"a\"\"b\" ASC"
        );
    }

    #[test]
    fn numbers_compare_exactly() {
        let big = "12345678901234567890123456789012345678";
        let bigger = "12345678901234567890123456789012345679";
        assert_eq!(
            compare(&FIXED, big, bigger),
            Some(Ordering::Less),
            "f64 would call them equal"
        );
        assert_eq!(
            compare(&FIXED, "999999999.9", "1000000000.0"),
            Some(Ordering::Less)
        );
        assert_eq!(compare(&FIXED, "-2", "-10"), Some(Ordering::Greater));
        assert_eq!(compare(&FIXED, "0.000", "-0"), Some(Ordering::Equal));
        assert_eq!(compare(&FIXED, "1.50", "1.5"), Some(Ordering::Equal));
        assert_eq!(
            compare(&SqlType::Decfloat, "1.2e+40", "9e39"),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(&FIXED, "abc", "1"), None);
        assert_eq!(
            compare(&SqlType::Real, "NaN", "inf"),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(&SqlType::Real, "-inf", "-1e308"),
            Some(Ordering::Less)
        );
    }

    #[test]
    fn temporal_values_compare_as_instants() {
        let tz = SqlType::TimestampTz { scale: 9 };
        // 10:00+02:00 is earlier than 09:00+00:00.
        assert_eq!(
            compare(
                &tz,
                "1791540000.000000000 1560",
                "1791536400.000000000 1440"
            ),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(&tz, "1791532800 1560", "1791536400 1440"),
            Some(Ordering::Less)
        );
        let ntz = SqlType::TimestampNtz { scale: 3 };
        assert_eq!(
            compare(&ntz, "999999999.9", "1000000000.0"),
            Some(Ordering::Less)
        );
        assert_eq!(compare(&ntz, "-0.5", "0"), Some(Ordering::Less));
        assert_eq!(
            compare(&SqlType::Date, "-25567", "20735"),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(&SqlType::Time { scale: 9 }, "9.5", "10"),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(&SqlType::Binary, "FF", "0100"),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(&SqlType::Text, "a", "B"), Some(Ordering::Greater));
    }

    #[test]
    fn bindings_use_sql_api_encodings() {
        let bind = |t: &SqlType, raw| binding(t, raw).map(|b| (b.kind, b.value.unwrap()));
        assert_eq!(bind(&FIXED, "123"), Some(("FIXED", "123".into())));
        assert_eq!(
            bind(&SqlType::Date, "20735"),
            Some(("DATE", "1791504000000".into()))
        );
        assert_eq!(
            bind(&SqlType::Time { scale: 9 }, "45296.123456789"),
            Some(("TIME", "45296123456789".into()))
        );
        assert_eq!(
            bind(&SqlType::TimestampNtz { scale: 9 }, "1791549296.123456789"),
            Some(("TIMESTAMP_NTZ", "1791549296123456789".into()))
        );
        assert_eq!(
            bind(&SqlType::TimestampTz { scale: 0 }, "1616173619 960"),
            Some(("TIMESTAMP_TZ", "1616173619000000000 960".into()))
        );
        assert_eq!(
            bind(&SqlType::Real, "inf"),
            Some(("REAL", "Infinity".into()))
        );
        assert_eq!(bind(&SqlType::Variant, "{}"), None);
        let json = serde_json::to_string(&binding(&FIXED, "1").unwrap()).unwrap();
        assert_eq!(json, r#"{"type":"FIXED","value":"1"}"#);
        assert!(!format!("{:?}", binding(&SqlType::Text, "secret").unwrap()).contains("secret"));
    }

    #[test]
    fn watermark_keeps_the_maximum_and_round_trips() {
        let mut watermark = Watermark::new("UPDATED_AT", None);
        assert_eq!(watermark.binding(), None);
        assert_eq!(watermark.checkpoint(), None);
        watermark
            .set_type(SqlType::TimestampNtz { scale: 9 })
            .unwrap();
        for value in [
            Some("1000000000.5"),
            None,
            Some("999999999.9"),
            Some("1000000000.25"),
        ] {
            watermark.observe(value).unwrap();
        }
        let checkpoint = watermark.checkpoint().unwrap();
        assert_eq!(checkpoint.last_value, "1000000000.5");
        let json = serde_json::to_value(&checkpoint).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"last_value": "1000000000.5", "last_value_type": "timestamp_ntz"})
        );

        let resumed = Watermark::new("UPDATED_AT", serde_json::from_value(json).unwrap());
        let bound = resumed.binding().unwrap();
        assert_eq!(
            (bound.kind, bound.value.as_deref()),
            ("TIMESTAMP_NTZ", Some("1000000000500000000"))
        );
    }

    #[test]
    fn nango_checkpoints_are_read_and_bound_as_text() {
        let nango: WatermarkCheckpoint = serde_json::from_str(r#"{"last_value":"4"}"#).unwrap();
        let mut watermark = Watermark::new("CUSTOMER_ID", Some(nango));
        assert_eq!(watermark.binding().unwrap().kind, "TEXT");
        watermark.set_type(FIXED).unwrap();
        watermark.observe(Some("10")).unwrap();
        watermark.observe(Some("9")).unwrap();
        let checkpoint = watermark.checkpoint().unwrap();
        assert_eq!(
            checkpoint.last_value, "10",
            "numeric, not lexicographic: \"9\" > \"10\" as text"
        );
        assert_eq!(watermark.binding().unwrap().kind, "FIXED");
    }

    #[test]
    fn watermark_errors() {
        let mut watermark = Watermark::new("C", None);
        for ordered in [
            SqlType::TimestampTz { scale: 0 },
            SqlType::Binary,
            SqlType::Boolean,
            SqlType::Decfloat,
        ] {
            Watermark::new("C", None).set_type(ordered).unwrap();
        }
        let error = watermark.set_type(SqlType::Variant).unwrap_err();
        assert!(error.to_string().contains("no order"), "{error}");
        watermark.set_type(SqlType::Date).unwrap();
        let error = watermark.observe(Some("secret")).unwrap_err();
        assert!(!error.to_string().contains("secret"));
        let saved = WatermarkCheckpoint {
            last_value: "1".into(),
            last_value_type: Some("fixed".into()),
        };
        let error = Watermark::new("C", Some(saved))
            .set_type(SqlType::Text)
            .unwrap_err();
        assert!(
            matches!(error, WatermarkError::TypeChanged { .. }),
            "{error}"
        );
        let saved = WatermarkCheckpoint {
            last_value: "x".into(),
            last_value_type: None,
        };
        assert!(Watermark::new("C", Some(saved)).set_type(FIXED).is_err());
    }

    fn decimal_text(
        negative: bool,
        int: u128,
        frac: u64,
        frac_digits: usize,
        zeros: usize,
    ) -> String {
        let sign = if negative { "-" } else { "" };
        let frac = format!("{frac:0frac_digits$}");
        let frac = &frac[frac.len().saturating_sub(frac_digits)..];
        format!(
            "{sign}{}{int}.{frac}{}",
            "0".repeat(zeros),
            "0".repeat(zeros)
        )
    }

    proptest! {
        #[test]
        fn fixed_order_matches_exact_arithmetic(
            a in any::<i64>(), b in any::<i64>(), scale in 0u32..9
        ) {
            let text = |v: i64| {
                let digits = format!("{:0width$}", v.unsigned_abs(), width = scale as usize + 1);
                let (int, frac) = digits.split_at(digits.len() - scale as usize);
                let sign = if v < 0 { "-" } else { "" };
                if scale == 0 { format!("{sign}{int}") } else { format!("{sign}{int}.{frac}") }
            };
            prop_assert_eq!(compare(&FIXED, &text(a), &text(b)), Some(a.cmp(&b)));
        }

        #[test]
        fn decimal_padding_does_not_change_the_value(
            negative in any::<bool>(), int in any::<u128>(), frac in any::<u64>(), digits in 1usize..12, zeros in 0usize..4
        ) {
            let plain = decimal_text(negative, int, frac, digits, 0);
            let padded = decimal_text(negative, int, frac, digits, zeros);
            prop_assert_eq!(compare(&SqlType::Decfloat, &plain, &padded), Some(Ordering::Equal));
        }

        #[test]
        fn timestamps_order_like_their_nanoseconds(a in -10i128.pow(19)..10i128.pow(19), b in -10i128.pow(19)..10i128.pow(19)) {
            let text = |n: i128| {
                let sign = if n < 0 { "-" } else { "" };
                format!("{sign}{}.{:09}", n.abs() / NANOS, n.abs() % NANOS)
            };
            let ltz = SqlType::TimestampLtz { scale: 9 };
            prop_assert_eq!(compare(&ltz, &text(a), &text(b)), Some(a.cmp(&b)));
            let bound = binding(&ltz, &text(a)).unwrap().value.unwrap();
            prop_assert_eq!(bound, a.to_string());
        }

        #[test]
        fn tz_offsets_do_not_change_the_instant(n in -10i128.pow(18)..10i128.pow(18), offset in 0i32..2880) {
            let tz = SqlType::TimestampTz { scale: 9 };
            let sign = if n < 0 { "-" } else { "" };
            let at = |offset: i32| format!("{sign}{}.{:09} {offset}", n.abs() / NANOS, n.abs() % NANOS);
            prop_assert_eq!(compare(&tz, &at(offset), &at(1440)), Some(Ordering::Equal));
        }

        #[test]
        fn text_and_binary_order_bytewise(a in ".{0,8}", b in ".{0,8}") {
            prop_assert_eq!(compare(&SqlType::Text, &a, &b), Some(a.as_bytes().cmp(b.as_bytes())));
            let hex = |s: &str| s.bytes().map(|byte| format!("{byte:02X}")).collect::<String>();
            prop_assert_eq!(compare(&SqlType::Binary, &hex(&a), &hex(&b)), Some(a.as_bytes().cmp(b.as_bytes())));
        }

        #[test]
        fn reals_order_like_floats(a in -1e300f64..1e300, b in -1e300f64..1e300) {
            prop_assert_eq!(compare(&SqlType::Real, &a.to_string(), &b.to_string()), a.partial_cmp(&b));
        }
    }
}
