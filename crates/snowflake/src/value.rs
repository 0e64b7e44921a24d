//! Typed values of the SQL API's `jsonv2` format, decoded by the column's `rowType`.
//!
//! Every cell arrives as a string (or JSON `null`); reference §2.6 gives the encodings:
//! `fixed` a plain decimal with exactly `scale` fraction digits (decoded exactly, never through a
//! float), `real` float text with `NaN`/`inf`, `date` days since 1970-01-01, `time` seconds since
//! midnight, `timestamp_*` epoch seconds with `scale` fraction digits, `timestamp_tz` followed by
//! the offset in minutes plus 1440, `binary` hex, `variant`/`object`/`array` JSON text (in which
//! Snowflake writes a NULL array element as `undefined`), `vector` a JSON array.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// The type of a result column, from `rowType[].type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// `NUMBER(p, s)` and its aliases.
    Fixed,
    /// `FLOAT`/`DOUBLE`.
    Real,
    /// `DECFLOAT`.
    Decfloat,
    /// `VARCHAR` and its aliases.
    Text,
    /// `BINARY`.
    Binary,
    /// `BOOLEAN`.
    Boolean,
    /// `DATE`.
    Date,
    /// `TIME`.
    Time,
    /// `TIMESTAMP_NTZ`: a wall-clock time without zone.
    TimestampNtz,
    /// `TIMESTAMP_LTZ`: an instant.
    TimestampLtz,
    /// `TIMESTAMP_TZ`: an instant with its offset.
    TimestampTz,
    /// `VARIANT`.
    Variant,
    /// `OBJECT` (also GEOGRAPHY/GEOMETRY, with `extTypeName`).
    Object,
    /// `ARRAY`.
    Array,
    /// `VECTOR`.
    Vector,
    /// A type this client does not know; its values decode as text.
    Unknown,
}

impl ColumnType {
    /// The type named by `rowType[].type` (any case).
    pub fn from_name(name: &str) -> Self {
        match name.to_ascii_lowercase().as_str() {
            "fixed" => Self::Fixed,
            "real" => Self::Real,
            "decfloat" => Self::Decfloat,
            "text" => Self::Text,
            "binary" => Self::Binary,
            "boolean" => Self::Boolean,
            "date" => Self::Date,
            "time" => Self::Time,
            "timestamp_ntz" => Self::TimestampNtz,
            "timestamp_ltz" => Self::TimestampLtz,
            "timestamp_tz" => Self::TimestampTz,
            "variant" => Self::Variant,
            "object" => Self::Object,
            "array" => Self::Array,
            "vector" => Self::Vector,
            _ => Self::Unknown,
        }
    }

    /// The name Snowflake uses in `rowType` (lower case).
    pub fn name(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Real => "real",
            Self::Decfloat => "decfloat",
            Self::Text => "text",
            Self::Binary => "binary",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Time => "time",
            Self::TimestampNtz => "timestamp_ntz",
            Self::TimestampLtz => "timestamp_ltz",
            Self::TimestampTz => "timestamp_tz",
            Self::Variant => "variant",
            Self::Object => "object",
            Self::Array => "array",
            Self::Vector => "vector",
            Self::Unknown => "unknown",
        }
    }
}

/// A cell that does not hold what its column type promises. The message names the column and
/// the expected form, never the value (it may be customer data).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column:?} ({type_name}): the value is not {expected}")]
pub struct DecodeError {
    /// The column name.
    pub column: String,
    /// The column type.
    pub type_name: &'static str,
    /// What the value should have been.
    pub expected: &'static str,
}

/// A decoded cell. Text borrows from the partition it was read from.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// SQL NULL.
    Null,
    /// `fixed` and `decfloat`, exact.
    Number(Decimal),
    /// `real`.
    Real(f64),
    /// `text` (and types this client does not know).
    Text(&'a str),
    /// `boolean`.
    Boolean(bool),
    /// `date`.
    Date(NaiveDate),
    /// `time`.
    Time(NaiveTime),
    /// `timestamp_ntz`.
    TimestampNtz(NaiveDateTime),
    /// `timestamp_ltz`.
    TimestampLtz(DateTime<Utc>),
    /// `timestamp_tz`, with its own offset.
    TimestampTz(DateTime<FixedOffset>),
    /// `binary`.
    Binary(Vec<u8>),
    /// `variant`, `object` (and GEOGRAPHY/GEOMETRY as GeoJSON), `array`.
    Json(serde_json::Value),
    /// `vector`.
    Vector(Vec<f64>),
}

impl<'a> Value<'a> {
    /// Decodes one cell (`None` is SQL NULL) of the column named `column`, of type `kind`.
    pub fn decode(
        column: &str,
        kind: ColumnType,
        raw: Option<&'a str>,
    ) -> Result<Self, DecodeError> {
        decode(kind, raw).map_err(|expected| DecodeError {
            column: column.to_owned(),
            type_name: kind.name(),
            expected,
        })
    }

    /// The value as JSON: NULL as `null`, booleans and reals as themselves (non-finite reals as
    /// the strings `"NaN"`, `"inf"`, `"-inf"`), numbers as JSON numbers when they are integers
    /// that a double holds exactly and as exact decimal strings otherwise, dates and times as ISO
    /// 8601 strings, binary as upper-case hex, semi-structured values as their JSON.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        const EXACT_IN_DOUBLE: i128 = 1 << 53;
        match self {
            Self::Null => Json::Null,
            Self::Number(number) => match number.to_i128() {
                Some(integer) if integer.abs() <= EXACT_IN_DOUBLE => {
                    Json::from(i64::try_from(integer).expect("within 2^53"))
                }
                _ => Json::String(number.to_string()),
            },
            Self::Real(real) => serde_json::Number::from_f64(*real)
                .map_or_else(|| Json::String(self.to_string()), Json::Number),
            Self::Boolean(boolean) => Json::Bool(*boolean),
            Self::Json(json) => json.clone(),
            Self::Vector(vector) => Json::from(vector.clone()),
            Self::Text(_)
            | Self::Date(_)
            | Self::Time(_)
            | Self::TimestampNtz(_)
            | Self::TimestampLtz(_)
            | Self::TimestampTz(_)
            | Self::Binary(_) => Json::String(self.to_string()),
        }
    }
}

/// Human-readable text: ISO 8601 for dates and times, hex for binary, compact JSON for
/// semi-structured values, `NULL` for NULL.
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("NULL"),
            Self::Number(number) => number.fmt(f),
            Self::Real(real) => real.fmt(f),
            Self::Text(text) => f.write_str(text),
            Self::Boolean(boolean) => boolean.fmt(f),
            Self::Date(date) => date.fmt(f),
            Self::Time(time) => time.fmt(f),
            Self::TimestampNtz(timestamp) => {
                write!(f, "{}", timestamp.format("%Y-%m-%dT%H:%M:%S%.f"))
            }
            Self::TimestampLtz(timestamp) => {
                write!(f, "{}", timestamp.format("%Y-%m-%dT%H:%M:%S%.fZ"))
            }
            Self::TimestampTz(timestamp) => {
                write!(f, "{}", timestamp.format("%Y-%m-%dT%H:%M:%S%.f%:z"))
            }
            Self::Binary(bytes) => f.write_str(&hex::encode_upper(bytes)),
            Self::Json(json) => json.fmt(f),
            Self::Vector(vector) => serde_json::Value::from(vector.clone()).fmt(f),
        }
    }
}

/// An exact decimal: `mantissa × 10^-scale`. Holds every `NUMBER(38, s)` and `DECFLOAT` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i128,
    scale: i32,
}

impl Decimal {
    /// `mantissa × 10^-scale`.
    pub const fn new(mantissa: i128, scale: i32) -> Self {
        Self { mantissa, scale }
    }

    /// The digits as an integer.
    pub const fn mantissa(self) -> i128 {
        self.mantissa
    }

    /// How many digits of the mantissa are fractional (negative: trailing zeros).
    pub const fn scale(self) -> i32 {
        self.scale
    }

    /// The value as an integer, if it is one and fits.
    pub fn to_i128(self) -> Option<i128> {
        if self.scale <= 0 {
            let factor = 10i128.checked_pow(self.scale.unsigned_abs())?;
            return self.mantissa.checked_mul(factor);
        }
        let divisor = 10i128.checked_pow(self.scale.unsigned_abs())?;
        (self.mantissa % divisor == 0).then_some(self.mantissa / divisor)
    }

    /// The value as an `i64`, if it is an integer that fits.
    pub fn to_i64(self) -> Option<i64> {
        self.to_i128().and_then(|value| i64::try_from(value).ok())
    }

    /// The nearest double (inexact for more than 15–17 significant digits).
    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// Parses plain (`-12.5000`) and scientific (`1.5E+40`) decimal text exactly; `None` if the
    /// text is not a decimal or has more than 38 significant digits.
    pub fn parse(text: &str) -> Option<Self> {
        let (mantissa_text, exponent) = match text.find(['e', 'E']) {
            Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
            None => (text, 0),
        };
        let (negative, digits) = match mantissa_text.as_bytes() {
            [b'-', rest @ ..] => (true, rest),
            [b'+', rest @ ..] => (false, rest),
            rest => (false, rest),
        };
        let mut mantissa: i128 = 0;
        let mut fraction_digits: i32 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        for &byte in digits {
            match byte {
                b'0'..=b'9' => {
                    mantissa = mantissa
                        .checked_mul(10)?
                        .checked_add(i128::from(byte - b'0'))?;
                    seen_digit = true;
                    fraction_digits += i32::from(seen_point);
                }
                b'.' if !seen_point => seen_point = true,
                _ => return None,
            }
        }
        if !seen_digit || mantissa >= 10i128.pow(38) {
            return None;
        }
        Some(Self {
            mantissa: if negative { -mantissa } else { mantissa },
            scale: fraction_digits.checked_sub(exponent)?,
        })
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = self.mantissa.unsigned_abs().to_string();
        if self.scale <= 0 {
            let zeros = if self.mantissa == 0 {
                0
            } else {
                self.scale.unsigned_abs() as usize
            };
            return write!(f, "{sign}{digits}{}", "0".repeat(zeros));
        }
        let scale = self.scale as usize;
        if digits.len() > scale {
            let (whole, fraction) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{whole}.{fraction}")
        } else {
            write!(f, "{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }
}

/// Decodes one cell of a column of type `kind`.
fn decode<'a>(kind: ColumnType, raw: Option<&'a str>) -> Result<Value<'a>, &'static str> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    let value = match kind {
        ColumnType::Fixed | ColumnType::Decfloat => {
            Value::Number(Decimal::parse(raw).ok_or("a decimal number of at most 38 digits")?)
        }
        ColumnType::Real => Value::Real(raw.parse().map_err(|_| "a floating-point number")?),
        ColumnType::Text | ColumnType::Unknown => Value::Text(raw),
        ColumnType::Boolean => Value::Boolean(match raw {
            "true" | "TRUE" | "1" => true,
            "false" | "FALSE" | "0" => false,
            _ => return Err("true or false"),
        }),
        ColumnType::Date => {
            let days = raw
                .parse::<i32>()
                .map_err(|_| "a number of days since 1970-01-01")?;
            Value::Date(NaiveDate::from_epoch_days(days).ok_or("a date chrono can hold")?)
        }
        ColumnType::Time => {
            const EXPECTED: &str = "seconds since midnight";
            let (seconds, nanos) = epoch_seconds(raw).ok_or(EXPECTED)?;
            let seconds = u32::try_from(seconds).map_err(|_| EXPECTED)?;
            Value::Time(
                NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos).ok_or(EXPECTED)?,
            )
        }
        ColumnType::TimestampNtz => Value::TimestampNtz(instant(raw)?.naive_utc()),
        ColumnType::TimestampLtz => Value::TimestampLtz(instant(raw)?),
        ColumnType::TimestampTz => {
            const EXPECTED: &str = "epoch seconds and an offset (minutes + 1440)";
            let (instant_text, offset_text) = raw.split_once(' ').ok_or(EXPECTED)?;
            let minutes = offset_text.parse::<i32>().map_err(|_| EXPECTED)? - 1440;
            let offset = FixedOffset::east_opt(minutes * 60).ok_or(EXPECTED)?;
            Value::TimestampTz(instant(instant_text)?.with_timezone(&offset))
        }
        ColumnType::Binary => Value::Binary(hex::decode(raw).map_err(|_| "hexadecimal")?),
        ColumnType::Variant | ColumnType::Object | ColumnType::Array => {
            Value::Json(semi_structured(raw).ok_or("JSON")?)
        }
        ColumnType::Vector => {
            Value::Vector(serde_json::from_str(raw).map_err(|_| "a JSON array of numbers")?)
        }
    };
    Ok(value)
}

fn instant(raw: &str) -> Result<DateTime<Utc>, &'static str> {
    const EXPECTED: &str = "epoch seconds with a fraction";
    let (seconds, nanos) = epoch_seconds(raw).ok_or(EXPECTED)?;
    DateTime::from_timestamp(seconds, nanos).ok_or(EXPECTED)
}

/// `-12.5` → (-13, 500_000_000): whole seconds rounded down and the nanoseconds after them.
fn epoch_seconds(raw: &str) -> Option<(i64, u32)> {
    let (negative, unsigned) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i64 = whole
        .parse()
        .ok()
        .filter(|_| whole.bytes().all(|b| b.is_ascii_digit()))?;
    let mut nanos: u32 = 0;
    for position in 0..9 {
        let digit = fraction
            .as_bytes()
            .get(position)
            .map_or(0, |b| u32::from(b - b'0'));
        nanos = nanos * 10 + digit;
    }
    if !negative {
        return Some((seconds, nanos));
    }
    if nanos == 0 {
        Some((-seconds, 0))
    } else {
        Some((-seconds - 1, 1_000_000_000 - nanos))
    }
}

/// Parses Snowflake's semi-structured text, where a NULL array element is written `undefined`.
fn semi_structured(raw: &str) -> Option<serde_json::Value> {
    match serde_json::from_str(raw) {
        Ok(json) => Some(json),
        Err(_) if raw.contains("undefined") => serde_json::from_str(&undefined_to_null(raw)).ok(),
        Err(_) => None,
    }
}

/// Replaces the bare word `undefined` outside JSON strings with `null`.
fn undefined_to_null(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if !in_string && rest.starts_with("undefined") {
            out.push_str("null");
            rest = &rest["undefined".len()..];
            continue;
        }
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn ok(kind: ColumnType, raw: &str) -> Value<'_> {
        decode(kind, Some(raw)).unwrap()
    }

    #[test]
    fn fixed_values_are_exact() {
        let big = "12345678901234567890123456789012345678";
        assert_eq!(ok(ColumnType::Fixed, big).to_string(), big);
        assert_eq!(
            ok(ColumnType::Fixed, "12.5000"),
            Value::Number(Decimal::new(125_000, 4))
        );
        assert_eq!(ok(ColumnType::Fixed, "12.5000").to_string(), "12.5000");
        assert_eq!(ok(ColumnType::Fixed, "-0.05").to_string(), "-0.05");
        assert_eq!(ok(ColumnType::Fixed, "0.1").to_string(), "0.1");
        assert_eq!(
            ok(ColumnType::Fixed, "-99999999999999999999999999999999999999").to_string(),
            "-99999999999999999999999999999999999999"
        );
        assert!(
            decode(
                ColumnType::Fixed,
                Some("123456789012345678901234567890123456789")
            )
            .is_err()
        );
        assert!(decode(ColumnType::Fixed, Some("1.2.3")).is_err());
        assert!(decode(ColumnType::Fixed, Some("")).is_err());
        assert!(decode(ColumnType::Fixed, Some("12a")).is_err());
    }

    #[test]
    fn decimal_conversions() {
        assert_eq!(Decimal::parse("42").unwrap().to_i64(), Some(42));
        assert_eq!(Decimal::parse("42.000").unwrap().to_i64(), Some(42));
        assert_eq!(Decimal::parse("42.5").unwrap().to_i64(), None);
        assert_eq!(
            Decimal::parse("99999999999999999999").unwrap().to_i64(),
            None
        );
        assert_eq!(
            Decimal::parse("99999999999999999999").unwrap().to_i128(),
            Some(99_999_999_999_999_999_999)
        );
        assert!((Decimal::parse("0.1").unwrap().to_f64() - 0.1).abs() < f64::EPSILON);
    }

    #[test]
    fn decfloat_accepts_scientific_notation() {
        assert_eq!(
            ok(ColumnType::Decfloat, "1.5E+40").to_string(),
            format!("15{}", "0".repeat(39))
        );
        assert_eq!(ok(ColumnType::Decfloat, "-2.5e-3").to_string(), "-0.0025");
        assert_eq!(ok(ColumnType::Decfloat, "123.456").to_string(), "123.456");
    }

    #[test]
    fn reals_include_nan_and_infinities() {
        assert_eq!(ok(ColumnType::Real, "1.5"), Value::Real(1.5));
        assert!(matches!(ok(ColumnType::Real, "NaN"), Value::Real(x) if x.is_nan()));
        assert_eq!(ok(ColumnType::Real, "inf"), Value::Real(f64::INFINITY));
        assert_eq!(ok(ColumnType::Real, "-inf"), Value::Real(f64::NEG_INFINITY));
        assert_eq!(ok(ColumnType::Real, "1.0E-5"), Value::Real(1.0e-5));
        assert_eq!(ok(ColumnType::Real, "-inf").to_json(), json!("-inf"));
    }

    #[test]
    fn text_binary_boolean() {
        assert_eq!(ok(ColumnType::Text, "héllo"), Value::Text("héllo"));
        assert_eq!(
            ok(ColumnType::Binary, "DEADBEEF"),
            Value::Binary(vec![0xDE, 0xAD, 0xBE, 0xEF])
        );
        assert_eq!(ok(ColumnType::Binary, "DEADBEEF").to_string(), "DEADBEEF");
        assert!(decode(ColumnType::Binary, Some("XYZ")).is_err());
        assert_eq!(ok(ColumnType::Boolean, "true"), Value::Boolean(true));
        assert_eq!(ok(ColumnType::Boolean, "false"), Value::Boolean(false));
        assert!(decode(ColumnType::Boolean, Some("yes")).is_err());
    }

    #[test]
    fn dates_are_days_since_the_epoch() {
        assert_eq!(
            ok(ColumnType::Date, "20735"),
            Value::Date(NaiveDate::from_ymd_opt(2026, 10, 9).unwrap())
        );
        assert_eq!(
            ok(ColumnType::Date, "-25567"),
            Value::Date(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap())
        );
        assert_eq!(ok(ColumnType::Date, "0").to_string(), "1970-01-01");
        assert!(decode(ColumnType::Date, Some("2026-10-09")).is_err());
    }

    #[test]
    fn times_are_seconds_since_midnight() {
        let expected = NaiveTime::from_hms_nano_opt(12, 34, 56, 123_456_789).unwrap();
        assert_eq!(
            ok(ColumnType::Time, "45296.123456789"),
            Value::Time(expected)
        );
        assert_eq!(
            ok(ColumnType::Time, "45296.123456789").to_string(),
            "12:34:56.123456789"
        );
        assert_eq!(ok(ColumnType::Time, "0"), Value::Time(NaiveTime::MIN));
        assert!(decode(ColumnType::Time, Some("-1.0")).is_err());
        assert!(decode(ColumnType::Time, Some("86400.0")).is_err());
    }

    #[test]
    fn timestamps_are_epoch_seconds_with_scale_digits() {
        let ntz = ok(ColumnType::TimestampNtz, "1791549296.123456789");
        assert_eq!(ntz.to_string(), "2026-10-09T12:34:56.123456789");
        // The recorded CREATED_AT of query-results.test.json.
        assert_eq!(
            ok(ColumnType::TimestampNtz, "1780548544.065000000").to_string(),
            "2026-06-04T04:49:04.065"
        );
        let ltz = ok(ColumnType::TimestampLtz, "1780573702.603");
        assert_eq!(ltz.to_string(), "2026-06-04T11:48:22.603Z");
        let before_epoch = ok(ColumnType::TimestampNtz, "-1.500000000");
        assert_eq!(before_epoch.to_string(), "1969-12-31T23:59:58.500");
        assert!(decode(ColumnType::TimestampLtz, Some("2026-01-01")).is_err());
        assert!(decode(ColumnType::TimestampLtz, Some("1.1234567890")).is_err());
    }

    #[test]
    fn timestamp_tz_carries_its_offset() {
        let Value::TimestampTz(tz) = ok(ColumnType::TimestampTz, "1791524096.123456789 1860")
        else {
            panic!("not a timestamp_tz");
        };
        assert_eq!(tz.offset().local_minus_utc(), 7 * 3600);
        assert_eq!(tz.to_rfc3339(), "2026-10-09T12:34:56.123456789+07:00");
        let Value::TimestampTz(west) = ok(ColumnType::TimestampTz, "1616173619.000000000 960")
        else {
            panic!("not a timestamp_tz");
        };
        assert_eq!(west.offset().local_minus_utc(), -8 * 3600);
        assert!(decode(ColumnType::TimestampTz, Some("1616173619.0")).is_err());
    }

    #[test]
    fn semi_structured_values_are_json_even_with_undefined() {
        assert_eq!(
            ok(ColumnType::Object, "{\n  \"a\": 1\n}"),
            Value::Json(json!({"a": 1}))
        );
        assert_eq!(
            ok(ColumnType::Array, "[\n  1,\n  \"x\",\n  undefined\n]"),
            Value::Json(json!([1, "x", null]))
        );
        assert_eq!(
            ok(
                ColumnType::Variant,
                "[\"undefined\", undefined, {\"k\": \"say \\\"undefined\\\"\"}]"
            ),
            Value::Json(json!(["undefined", null, {"k": "say \"undefined\""}]))
        );
        assert_eq!(
            ok(ColumnType::Variant, "\"text\""),
            Value::Json(json!("text"))
        );
        assert!(decode(ColumnType::Variant, Some("{not json")).is_err());
    }

    #[test]
    fn vectors_and_nulls_and_unknown_types() {
        assert_eq!(
            ok(ColumnType::Vector, "[1.000000,2.000000,3.000000]"),
            Value::Vector(vec![1.0, 2.0, 3.0])
        );
        assert_eq!(decode(ColumnType::Fixed, None).unwrap(), Value::Null);
        assert_eq!(
            decode(ColumnType::Variant, None).unwrap().to_json(),
            serde_json::Value::Null
        );
        assert_eq!(
            ok(ColumnType::from_name("geography_v9"), "anything"),
            Value::Text("anything")
        );
        assert_eq!(
            ColumnType::from_name("TIMESTAMP_TZ"),
            ColumnType::TimestampTz
        );
    }

    #[test]
    fn json_forms() {
        assert_eq!(ok(ColumnType::Fixed, "42").to_json(), json!(42));
        assert_eq!(ok(ColumnType::Fixed, "12.50").to_json(), json!("12.50"));
        assert_eq!(
            ok(ColumnType::Fixed, "12345678901234567890").to_json(),
            json!("12345678901234567890")
        );
        assert_eq!(ok(ColumnType::Date, "20735").to_json(), json!("2026-10-09"));
        assert_eq!(ok(ColumnType::Boolean, "true").to_json(), json!(true));
    }

    proptest! {
        #[test]
        fn fixed_round_trips_any_number_38_scale(
            digits in "-?[1-9][0-9]{0,37}|0",
            scale in 0usize..=37,
        ) {
            let negative = digits.starts_with('-');
            let unsigned = digits.trim_start_matches('-');
            let padded = format!("{unsigned:0>width$}", width = scale + 1);
            let (whole, fraction) = padded.split_at(padded.len() - scale);
            let text = match (scale, negative) {
                (0, true) => format!("-{whole}"),
                (0, false) => whole.to_owned(),
                (_, true) => format!("-{whole}.{fraction}"),
                (_, false) => format!("{whole}.{fraction}"),
            };
            let value = decode(ColumnType::Fixed, Some(&text)).unwrap();
            prop_assert_eq!(value.to_string(), text);
        }

        #[test]
        fn timestamps_round_trip_through_chrono(seconds in -2_000_000_000i64..4_000_000_000, nanos in 0u32..1_000_000_000) {
            let expected = DateTime::from_timestamp(seconds, nanos).unwrap();
            let whole_and_fraction = if seconds < 0 && nanos > 0 {
                let total = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
                let magnitude = total.unsigned_abs();
                format!("-{}.{:09}", magnitude / 1_000_000_000, magnitude % 1_000_000_000)
            } else {
                format!("{seconds}.{nanos:09}")
            };
            prop_assert_eq!(ok(ColumnType::TimestampLtz, &whole_and_fraction), Value::TimestampLtz(expected));
        }
    }
}
