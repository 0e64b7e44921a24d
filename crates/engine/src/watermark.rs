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

use chrono::Timelike;
use serde::{Deserialize, Serialize};
use snowgate_snowflake::{Binding, BindingType, ColumnType, Value};

use crate::sql::quote_ident;

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
    /// The sort key of `raw`, decoded by the client except for decimals, which are compared
    /// exactly at any length (DECFLOAT text may have an exponent and padding).
    fn parse(kind: ColumnType, raw: &str) -> Option<Self> {
        if matches!(kind, ColumnType::Fixed | ColumnType::Decfloat) {
            return Decimal::parse(raw).map(Self::Decimal);
        }
        if kind == ColumnType::TimestampTz {
            // Only the instant orders; the offset need only be a number.
            let (instant, offset) = raw.split_once(' ')?;
            offset.parse::<i32>().ok()?;
            return Self::parse(ColumnType::TimestampLtz, instant);
        }
        let nanos = |seconds: i64, nanos: u32| i128::from(seconds) * NANOS + i128::from(nanos);
        Some(match Value::decode("", kind, Some(raw)).ok()? {
            Value::Real(real) => Self::Real(real),
            Value::Date(date) => Self::Integer(date.to_epoch_days().into()),
            Value::Time(time) => Self::Integer(nanos(
                time.num_seconds_from_midnight().into(),
                time.nanosecond(),
            )),
            Value::TimestampNtz(at) => {
                let at = at.and_utc();
                Self::Integer(nanos(at.timestamp(), at.timestamp_subsec_nanos()))
            }
            Value::TimestampLtz(at) => {
                Self::Integer(nanos(at.timestamp(), at.timestamp_subsec_nanos()))
            }
            Value::TimestampTz(at) => {
                Self::Integer(nanos(at.timestamp(), at.timestamp_subsec_nanos()))
            }
            Value::Text(text) if kind == ColumnType::Text => Self::Bytes(text.as_bytes().to_vec()),
            Value::Binary(bytes) => Self::Bytes(bytes),
            Value::Boolean(flag) => Self::Integer(flag.into()),
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

const NANOS: i128 = 1_000_000_000;

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

/// Compares two values of a column of type `kind`; `None` if either does not parse.
pub fn compare(kind: ColumnType, a: &str, b: &str) -> Option<Ordering> {
    Some(SortKey::parse(kind, a)?.compare(&SortKey::parse(kind, b)?))
}

/// The SQL API binding of a value of type `kind` (Snowflake reference §2.3); `None` for a type
/// without an order or a value that does not decode.
pub fn binding(kind: ColumnType, raw: &str) -> Option<Binding> {
    Some(match kind {
        ColumnType::Fixed => Binding::encoded(BindingType::Fixed, Some(raw.to_owned())),
        // DECFLOAT may come in scientific notation, which FIXED does not take: let Snowflake cast text.
        ColumnType::Decfloat => Binding::text(raw),
        ColumnType::Text => Binding::text(raw),
        _ => match Value::decode("", kind, Some(raw)).ok()? {
            // Snowflake sends `inf`, which a REAL binding rejects; finite values keep their text.
            Value::Real(real) if !real.is_finite() => Binding::real(real),
            Value::Real(_) => Binding::encoded(BindingType::Real, Some(raw.to_owned())),
            Value::Binary(bytes) => Binding::binary(&bytes),
            Value::Boolean(flag) => Binding::boolean(flag),
            Value::Date(date) => Binding::date(date),
            Value::Time(time) => Binding::time(time),
            Value::TimestampNtz(at) => Binding::timestamp_ntz(at),
            Value::TimestampLtz(at) => Binding::timestamp_ltz(at),
            Value::TimestampTz(at) => Binding::timestamp_tz(at),
            _ => return None,
        },
    })
}

/// The running maximum of an incremental column.
#[derive(Debug, Clone)]
pub struct Watermark {
    column: String,
    kind: Option<ColumnType>,
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
            kind: None,
            last,
            saved_type,
        }
    }

    /// Learns the column's type from the result's `rowType`; checks the type has an order and that
    /// the stored watermark is a value of it.
    pub fn set_type(&mut self, kind: ColumnType) -> Result<(), WatermarkError> {
        let ordered = !matches!(
            kind,
            ColumnType::Variant
                | ColumnType::Object
                | ColumnType::Array
                | ColumnType::Vector
                | ColumnType::Unknown
        );
        if !ordered {
            return Err(WatermarkError::Unordered {
                column: self.column.clone(),
                sql_type: kind.name().to_owned(),
            });
        }
        if let Some(saved) = &self.saved_type
            && saved != kind.name()
        {
            return Err(WatermarkError::TypeChanged {
                column: self.column.clone(),
                saved: saved.clone(),
                current: kind.name().to_owned(),
            });
        }
        if let Some(last) = &self.last
            && SortKey::parse(kind, last).is_none()
        {
            return Err(self.bad_value(kind));
        }
        self.kind = Some(kind);
        Ok(())
    }

    fn bad_value(&self, kind: ColumnType) -> WatermarkError {
        WatermarkError::BadValue {
            column: self.column.clone(),
            sql_type: kind.name().to_owned(),
        }
    }

    /// Takes one row's incremental value into account (NULL is ignored). Call [`Watermark::set_type`]
    /// first.
    pub fn observe(&mut self, raw: Option<&str>) -> Result<(), WatermarkError> {
        let (Some(raw), Some(kind)) = (raw, self.kind) else {
            return Ok(());
        };
        let key = SortKey::parse(kind, raw).ok_or_else(|| self.bad_value(kind))?;
        let greater = match &self.last {
            None => true,
            Some(last) => {
                let last = SortKey::parse(kind, last).ok_or_else(|| self.bad_value(kind))?;
                key.compare(&last) == Ordering::Greater
            }
        };
        if greater {
            self.last = Some(raw.to_owned());
        }
        Ok(())
    }

    /// The binding for `>= ?` on the next run; `None` before any value was seen. Without a known
    /// type (a checkpoint written by Nango, before the first result) the value is bound as `TEXT`,
    /// as Nango does.
    pub fn binding(&self) -> Option<Binding> {
        let last = self.last.as_deref()?;
        let known = self
            .kind
            .or_else(|| self.saved_type.as_deref().map(ColumnType::from_name));
        match known {
            Some(kind) => binding(kind, last),
            None => Some(Binding::text(last)),
        }
    }

    /// The checkpoint to store; `None` before any value was seen.
    pub fn checkpoint(&self) -> Option<WatermarkCheckpoint> {
        Some(WatermarkCheckpoint {
            last_value: self.last.clone()?,
            last_value_type: self
                .kind
                .map(|kind| kind.name().to_owned())
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

    /// A binding's SQL API type and value, as sent.
    fn encoded(binding: Binding) -> (&'static str, String) {
        let json = serde_json::to_value(binding).unwrap();
        let kind = BindingType::from_name(json["type"].as_str().unwrap()).unwrap();
        (kind.name(), json["value"].as_str().unwrap().to_owned())
    }

    const FIXED: ColumnType = ColumnType::Fixed;

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
            compare(FIXED, big, bigger),
            Some(Ordering::Less),
            "f64 would call them equal"
        );
        assert_eq!(
            compare(FIXED, "999999999.9", "1000000000.0"),
            Some(Ordering::Less)
        );
        assert_eq!(compare(FIXED, "-2", "-10"), Some(Ordering::Greater));
        assert_eq!(compare(FIXED, "0.000", "-0"), Some(Ordering::Equal));
        assert_eq!(compare(FIXED, "1.50", "1.5"), Some(Ordering::Equal));
        assert_eq!(
            compare(ColumnType::Decfloat, "1.2e+40", "9e39"),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(FIXED, "abc", "1"), None);
        assert_eq!(
            compare(ColumnType::Real, "NaN", "inf"),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(ColumnType::Real, "-inf", "-1e308"),
            Some(Ordering::Less)
        );
    }

    #[test]
    fn temporal_values_compare_as_instants() {
        let tz = ColumnType::TimestampTz;
        // 10:00+02:00 is earlier than 09:00+00:00.
        assert_eq!(
            compare(tz, "1791540000.000000000 1560", "1791536400.000000000 1440"),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(tz, "1791532800 1560", "1791536400 1440"),
            Some(Ordering::Less)
        );
        let ntz = ColumnType::TimestampNtz;
        assert_eq!(
            compare(ntz, "999999999.9", "1000000000.0"),
            Some(Ordering::Less)
        );
        assert_eq!(compare(ntz, "-0.5", "0"), Some(Ordering::Less));
        assert_eq!(
            compare(ColumnType::Date, "-25567", "20735"),
            Some(Ordering::Less)
        );
        assert_eq!(compare(ColumnType::Time, "9.5", "10"), Some(Ordering::Less));
        assert_eq!(
            compare(ColumnType::Binary, "FF", "0100"),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(ColumnType::Text, "a", "B"), Some(Ordering::Greater));
    }

    #[test]
    fn bindings_use_sql_api_encodings() {
        let bind = |t: ColumnType, raw| binding(t, raw).map(encoded);
        assert_eq!(bind(FIXED, "123"), Some(("FIXED", "123".into())));
        assert_eq!(
            bind(ColumnType::Date, "20735"),
            Some(("DATE", "1791504000000".into()))
        );
        assert_eq!(
            bind(ColumnType::Time, "45296.123456789"),
            Some(("TIME", "45296123456789".into()))
        );
        assert_eq!(
            bind(ColumnType::TimestampNtz, "1791549296.123456789"),
            Some(("TIMESTAMP_NTZ", "1791549296123456789".into()))
        );
        assert_eq!(
            bind(ColumnType::TimestampTz, "1616173619 960"),
            Some(("TIMESTAMP_TZ", "1616173619000000000 960".into()))
        );
        assert_eq!(
            bind(ColumnType::Real, "inf"),
            Some(("REAL", "Infinity".into()))
        );
        assert_eq!(bind(ColumnType::Variant, "{}"), None);
        let json = serde_json::to_string(&binding(FIXED, "1").unwrap()).unwrap();
        assert_eq!(json, r#"{"type":"FIXED","value":"1"}"#);
        assert!(!format!("{:?}", binding(ColumnType::Text, "secret").unwrap()).contains("secret"));
    }

    #[test]
    fn watermark_keeps_the_maximum_and_round_trips() {
        let mut watermark = Watermark::new("UPDATED_AT", None);
        assert_eq!(watermark.binding(), None);
        assert_eq!(watermark.checkpoint(), None);
        watermark.set_type(ColumnType::TimestampNtz).unwrap();
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
            encoded(bound),
            ("TIMESTAMP_NTZ", "1000000000500000000".into())
        );
    }

    #[test]
    fn nango_checkpoints_are_read_and_bound_as_text() {
        let nango: WatermarkCheckpoint = serde_json::from_str(r#"{"last_value":"4"}"#).unwrap();
        let mut watermark = Watermark::new("CUSTOMER_ID", Some(nango));
        assert_eq!(encoded(watermark.binding().unwrap()).0, "TEXT");
        watermark.set_type(FIXED).unwrap();
        watermark.observe(Some("10")).unwrap();
        watermark.observe(Some("9")).unwrap();
        let checkpoint = watermark.checkpoint().unwrap();
        assert_eq!(
            checkpoint.last_value, "10",
            "numeric, not lexicographic: \"9\" > \"10\" as text"
        );
        assert_eq!(encoded(watermark.binding().unwrap()).0, "FIXED");
    }

    #[test]
    fn watermark_errors() {
        let mut watermark = Watermark::new("C", None);
        for ordered in [
            ColumnType::TimestampTz,
            ColumnType::Binary,
            ColumnType::Boolean,
            ColumnType::Decfloat,
        ] {
            Watermark::new("C", None).set_type(ordered).unwrap();
        }
        let error = watermark.set_type(ColumnType::Variant).unwrap_err();
        assert!(error.to_string().contains("no order"), "{error}");
        watermark.set_type(ColumnType::Date).unwrap();
        let error = watermark.observe(Some("secret")).unwrap_err();
        assert!(!error.to_string().contains("secret"));
        let saved = WatermarkCheckpoint {
            last_value: "1".into(),
            last_value_type: Some("fixed".into()),
        };
        let error = Watermark::new("C", Some(saved))
            .set_type(ColumnType::Text)
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
            prop_assert_eq!(compare(FIXED, &text(a), &text(b)), Some(a.cmp(&b)));
        }

        #[test]
        fn decimal_padding_does_not_change_the_value(
            negative in any::<bool>(), int in any::<u128>(), frac in any::<u64>(), digits in 1usize..12, zeros in 0usize..4
        ) {
            let plain = decimal_text(negative, int, frac, digits, 0);
            let padded = decimal_text(negative, int, frac, digits, zeros);
            prop_assert_eq!(compare(ColumnType::Decfloat, &plain, &padded), Some(Ordering::Equal));
        }

        #[test]
        fn timestamps_order_like_their_nanoseconds(a in -10i128.pow(19)..10i128.pow(19), b in -10i128.pow(19)..10i128.pow(19)) {
            let text = |n: i128| {
                let sign = if n < 0 { "-" } else { "" };
                format!("{sign}{}.{:09}", n.abs() / NANOS, n.abs() % NANOS)
            };
            let ltz = ColumnType::TimestampLtz;
            prop_assert_eq!(compare(ltz, &text(a), &text(b)), Some(a.cmp(&b)));
            let bound = encoded(binding(ltz, &text(a)).unwrap()).1;
            prop_assert_eq!(bound, a.to_string());
        }

        #[test]
        fn tz_offsets_do_not_change_the_instant(n in -10i128.pow(18)..10i128.pow(18), offset in 0i32..2880) {
            let tz = ColumnType::TimestampTz;
            let sign = if n < 0 { "-" } else { "" };
            let at = |offset: i32| format!("{sign}{}.{:09} {offset}", n.abs() / NANOS, n.abs() % NANOS);
            prop_assert_eq!(compare(tz, &at(offset), &at(1440)), Some(Ordering::Equal));
        }

        #[test]
        fn text_and_binary_order_bytewise(a in ".{0,8}", b in ".{0,8}") {
            prop_assert_eq!(compare(ColumnType::Text, &a, &b), Some(a.as_bytes().cmp(b.as_bytes())));
            let hex = |s: &str| s.bytes().map(|byte| format!("{byte:02X}")).collect::<String>();
            prop_assert_eq!(compare(ColumnType::Binary, &hex(&a), &hex(&b)), Some(a.as_bytes().cmp(b.as_bytes())));
        }

        #[test]
        fn reals_order_like_floats(a in -1e300f64..1e300, b in -1e300f64..1e300) {
            prop_assert_eq!(compare(ColumnType::Real, &a.to_string(), &b.to_string()), a.partial_cmp(&b));
        }
    }
}
