//! Snowflake result column types and the decoding of jsonv2 value strings.
//!
//! Every cell of a SQL API result is a string (Snowflake reference §2.6); its meaning depends on the
//! column's `rowType` entry. [`SqlType`] captures what the engine needs of it: comparing incremental
//! watermarks ([`crate::watermark`]), decoding `row_values: "typed"` rows and deriving the JSON Schema
//! of a custom sync's model. The Snowflake client crate will own typed decoding of results; until it
//! does, this is the engine's one copy.

use std::fmt;

use chrono::{DateTime, NaiveDate};
use serde_json::{Value, json};

/// The type of a result column, from `rowType[].type` (lower case) plus its precision and scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlType {
    /// `fixed`: NUMBER(precision, scale).
    Fixed {
        /// Total digits (38 when unknown).
        precision: u32,
        /// Digits after the point.
        scale: u32,
    },
    /// `real`: FLOAT.
    Real,
    /// `decfloat`.
    Decfloat,
    /// `text`.
    Text,
    /// `binary` (upper-case hex).
    Binary,
    /// `boolean`.
    Boolean,
    /// `date` (days since the epoch).
    Date,
    /// `time` (seconds since midnight).
    Time {
        /// Fraction digits.
        scale: u32,
    },
    /// `timestamp_ntz` (wall clock read as UTC, epoch seconds).
    TimestampNtz {
        /// Fraction digits.
        scale: u32,
    },
    /// `timestamp_ltz` (an instant, epoch seconds).
    TimestampLtz {
        /// Fraction digits.
        scale: u32,
    },
    /// `timestamp_tz` (`<epoch seconds> <offset minutes + 1440>`).
    TimestampTz {
        /// Fraction digits.
        scale: u32,
    },
    /// `variant` (JSON text).
    Variant,
    /// `object` (JSON text; also GEOGRAPHY/GEOMETRY).
    Object,
    /// `array` (JSON text).
    Array,
    /// `vector` (`[1.000000,2.000000]`).
    Vector,
    /// A type this version does not know; values stay strings.
    Other(String),
}

impl SqlType {
    /// Reads a `rowType` entry's `type`, `precision` and `scale`.
    pub fn from_row_type(type_name: &str, precision: Option<u32>, scale: Option<u32>) -> Self {
        let scale = scale.unwrap_or(0);
        match type_name.to_ascii_lowercase().as_str() {
            "fixed" => Self::Fixed {
                precision: precision.unwrap_or(38),
                scale,
            },
            "real" => Self::Real,
            "decfloat" => Self::Decfloat,
            "text" => Self::Text,
            "binary" => Self::Binary,
            "boolean" => Self::Boolean,
            "date" => Self::Date,
            "time" => Self::Time { scale },
            "timestamp_ntz" => Self::TimestampNtz { scale },
            "timestamp_ltz" => Self::TimestampLtz { scale },
            "timestamp_tz" => Self::TimestampTz { scale },
            "variant" => Self::Variant,
            "object" => Self::Object,
            "array" => Self::Array,
            "vector" => Self::Vector,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The lower-case `rowType` name.
    pub fn name(&self) -> &str {
        match self {
            Self::Fixed { .. } => "fixed",
            Self::Real => "real",
            Self::Decfloat => "decfloat",
            Self::Text => "text",
            Self::Binary => "binary",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Time { .. } => "time",
            Self::TimestampNtz { .. } => "timestamp_ntz",
            Self::TimestampLtz { .. } => "timestamp_ltz",
            Self::TimestampTz { .. } => "timestamp_tz",
            Self::Variant => "variant",
            Self::Object => "object",
            Self::Array => "array",
            Self::Vector => "vector",
            Self::Other(name) => name,
        }
    }

    /// The scale (fraction digits) that matters for this type, if any.
    pub fn scale(&self) -> Option<u32> {
        match *self {
            Self::Fixed { scale, .. }
            | Self::Time { scale }
            | Self::TimestampNtz { scale }
            | Self::TimestampLtz { scale }
            | Self::TimestampTz { scale } => Some(scale),
            _ => None,
        }
    }

    /// Whether typed mode writes this `fixed` column as a JSON integer (exact in every JSON reader)
    /// rather than as decimal text.
    fn fixed_is_integer(precision: u32, scale: u32) -> bool {
        scale == 0 && precision <= 15
    }

    /// Decodes a jsonv2 string into its typed JSON value (see [`crate::mapping::RowValues::Typed`]):
    /// small integers → numbers, other decimals → exact text, FLOAT → number (or `"NaN"`,
    /// `"Infinity"`, `"-Infinity"`), BOOLEAN → boolean, DATE/TIME/TIMESTAMP → ISO 8601 text,
    /// VARIANT/OBJECT/ARRAY/VECTOR → JSON.
    pub fn decode(&self, raw: &str) -> Result<Value, DecodeError> {
        let fail = |reason: &str| DecodeError {
            sql_type: self.name().to_owned(),
            reason: reason.to_owned(),
        };
        match *self {
            Self::Fixed { precision, scale } if Self::fixed_is_integer(precision, scale) => raw
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| fail("not an integer")),
            Self::Real => match raw {
                "NaN" | "nan" => Ok(json!("NaN")),
                "inf" | "Infinity" => Ok(json!("Infinity")),
                "-inf" | "-Infinity" => Ok(json!("-Infinity")),
                _ => raw
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| fail("not a number")),
            },
            Self::Boolean => match raw {
                "true" | "TRUE" | "1" => Ok(Value::Bool(true)),
                "false" | "FALSE" | "0" => Ok(Value::Bool(false)),
                _ => Err(fail("not true or false")),
            },
            Self::Date => {
                let days: i64 = raw.parse().map_err(|_| fail("not a day number"))?;
                let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
                let date = epoch
                    .checked_add_signed(chrono::TimeDelta::days(days))
                    .ok_or_else(|| fail("out of range"))?;
                Ok(Value::String(date.format("%Y-%m-%d").to_string()))
            }
            Self::Time { scale } => {
                let nanos = decimal_nanos(raw).ok_or_else(|| fail("not seconds since midnight"))?;
                if !(0..86_400 * NANOS).contains(&nanos) {
                    return Err(fail("out of range"));
                }
                let seconds = nanos / NANOS;
                let clock = format!(
                    "{:02}:{:02}:{:02}",
                    seconds / 3600,
                    seconds / 60 % 60,
                    seconds % 60
                );
                Ok(Value::String(clock + &fraction(nanos, scale)))
            }
            Self::TimestampNtz { scale } | Self::TimestampLtz { scale } => {
                let nanos = decimal_nanos(raw).ok_or_else(|| fail("not epoch seconds"))?;
                let zone = if matches!(self, Self::TimestampLtz { .. }) {
                    "Z"
                } else {
                    ""
                };
                iso_timestamp(nanos, 0, scale, zone).ok_or_else(|| fail("out of range"))
            }
            Self::TimestampTz { scale } => {
                let (nanos, offset) =
                    timestamp_tz(raw).ok_or_else(|| fail("not \"<epoch seconds> <offset>\""))?;
                let sign = if offset < 0 { '-' } else { '+' };
                let zone = format!("{sign}{:02}:{:02}", offset.abs() / 60, offset.abs() % 60);
                iso_timestamp(nanos, offset, scale, &zone).ok_or_else(|| fail("out of range"))
            }
            Self::Variant | Self::Object | Self::Array | Self::Vector => {
                parse_snowflake_json(raw).ok_or_else(|| fail("not JSON"))
            }
            _ => Ok(Value::String(raw.to_owned())),
        }
    }

    /// The JSON Schema of this column's values in `row_data`.
    pub fn json_schema(&self, typed: bool, nullable: bool) -> Value {
        let mut schema = if !typed {
            json!({"type": "string"})
        } else {
            match *self {
                Self::Fixed { precision, scale } if Self::fixed_is_integer(precision, scale) => {
                    json!({"type": "integer"})
                }
                Self::Real => json!({"type": ["number", "string"]}),
                Self::Boolean => json!({"type": "boolean"}),
                Self::Variant => json!({}),
                Self::Object => json!({"type": "object"}),
                Self::Array => json!({"type": "array"}),
                Self::Vector => json!({"type": "array", "items": {"type": "number"}}),
                _ => json!({"type": "string"}),
            }
        };
        if nullable && let Some(kind) = schema.get("type").cloned() {
            let mut kinds = match kind {
                Value::Array(kinds) => kinds,
                single => vec![single],
            };
            kinds.push(json!("null"));
            schema["type"] = Value::Array(kinds);
        }
        schema
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A result column: its `rowType` name, type and nullability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultColumn {
    /// `rowType[].name`, exactly as returned.
    pub name: String,
    /// Its type.
    pub sql_type: SqlType,
    /// `rowType[].nullable`.
    pub nullable: bool,
}

/// A jsonv2 string that does not decode as its column's type. The value itself is not included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {sql_type} value could not be decoded: {reason}")]
pub struct DecodeError {
    /// The column type.
    pub sql_type: String,
    /// What is wrong.
    pub reason: String,
}

pub(crate) const NANOS: i128 = 1_000_000_000;

/// Exact nanoseconds of a decimal seconds string (`"-12.5"`, `"1791549296.123456789"`); `None` if it
/// is not a plain decimal or has more than 9 fraction digits.
pub(crate) fn decimal_nanos(text: &str) -> Option<i128> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 20 || frac.len() > 9 || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let whole: i128 = int.parse().ok()?;
    let padded = format!("{frac:0<9}");
    let nanos = whole * NANOS + padded.parse::<i128>().ok()?;
    Some(if negative { -nanos } else { nanos })
}

/// A `timestamp_tz` value: the instant in nanoseconds and the offset in minutes.
pub(crate) fn timestamp_tz(text: &str) -> Option<(i128, i32)> {
    let (instant, offset) = text.split_once(' ')?;
    let offset: i32 = offset.parse().ok()?;
    Some((decimal_nanos(instant)?, offset - 1440))
}

fn fraction(nanos: i128, scale: u32) -> String {
    if scale == 0 {
        return String::new();
    }
    let digits = format!("{:09}", nanos.rem_euclid(NANOS));
    format!(".{}", &digits[..scale.min(9) as usize])
}

fn iso_timestamp(nanos: i128, offset_minutes: i32, scale: u32, zone: &str) -> Option<Value> {
    let local = nanos + i128::from(offset_minutes) * 60 * NANOS;
    let seconds = i64::try_from(local.div_euclid(NANOS)).ok()?;
    let time = DateTime::from_timestamp(seconds, 0)?;
    Some(Value::String(format!(
        "{}{}{zone}",
        time.format("%Y-%m-%dT%H:%M:%S"),
        fraction(local, scale)
    )))
}

/// Parses Snowflake's JSON text, which writes a NULL inside an array as the bare word `undefined`.
fn parse_snowflake_json(text: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    let mut fixed = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if !in_string && rest.starts_with("undefined") {
            fixed.push_str("null");
            rest = &rest["undefined".len()..];
            continue;
        }
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            _ => {}
        }
        fixed.push(c);
        rest = &rest[c.len_utf8()..];
    }
    serde_json::from_str(&fixed).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(sql_type: &SqlType, raw: &str) -> Value {
        sql_type.decode(raw).unwrap()
    }

    #[test]
    fn reads_row_types() {
        assert_eq!(
            SqlType::from_row_type("fixed", Some(38), Some(0)),
            SqlType::Fixed {
                precision: 38,
                scale: 0
            }
        );
        assert_eq!(
            SqlType::from_row_type("TIMESTAMP_NTZ", Some(0), Some(9)),
            SqlType::TimestampNtz { scale: 9 }
        );
        assert_eq!(
            SqlType::from_row_type("geography", None, None).name(),
            "geography"
        );
        assert_eq!(SqlType::Time { scale: 3 }.scale(), Some(3));
        assert_eq!(SqlType::Text.scale(), None);
    }

    #[test]
    fn decodes_typed_values() {
        assert_eq!(
            decode(
                &SqlType::Fixed {
                    precision: 9,
                    scale: 0
                },
                "-42"
            ),
            json!(-42)
        );
        assert_eq!(
            decode(
                &SqlType::Fixed {
                    precision: 38,
                    scale: 0
                },
                "12345678901234567890123456789012345678"
            ),
            json!("12345678901234567890123456789012345678")
        );
        assert_eq!(
            decode(
                &SqlType::Fixed {
                    precision: 10,
                    scale: 4
                },
                "12.5000"
            ),
            json!("12.5000")
        );
        assert_eq!(decode(&SqlType::Real, "1.5"), json!(1.5));
        assert_eq!(decode(&SqlType::Real, "-inf"), json!("-Infinity"));
        assert_eq!(decode(&SqlType::Boolean, "true"), json!(true));
        assert_eq!(decode(&SqlType::Date, "20735"), json!("2026-10-09"));
        assert_eq!(decode(&SqlType::Date, "-25567"), json!("1900-01-01"));
        assert_eq!(
            decode(&SqlType::Time { scale: 9 }, "45296.123456789"),
            json!("12:34:56.123456789")
        );
        assert_eq!(
            decode(&SqlType::TimestampNtz { scale: 9 }, "1791549296.123456789"),
            json!("2026-10-09T12:34:56.123456789")
        );
        assert_eq!(
            decode(&SqlType::TimestampLtz { scale: 3 }, "1780573702.603"),
            json!("2026-06-04T11:48:22.603Z")
        );
        assert_eq!(
            decode(
                &SqlType::TimestampTz { scale: 9 },
                "1791524096.123456789 1860"
            ),
            json!("2026-10-09T12:34:56.123456789+07:00")
        );
        assert_eq!(
            decode(&SqlType::TimestampTz { scale: 0 }, "1616173619 960"),
            json!("2021-03-19T09:06:59-08:00")
        );
        assert_eq!(
            decode(&SqlType::TimestampNtz { scale: 1 }, "-0.5"),
            json!("1969-12-31T23:59:59.5")
        );
        assert_eq!(
            decode(&SqlType::Variant, "{\n  \"a\": 1\n}"),
            json!({"a": 1})
        );
        assert_eq!(
            decode(&SqlType::Array, "[\n  1,\n  \"undefined\",\n  undefined\n]"),
            json!([1, "undefined", null])
        );
        assert_eq!(
            decode(&SqlType::Vector, "[1.000000,2.500000]"),
            json!([1.0, 2.5])
        );
        assert_eq!(decode(&SqlType::Binary, "DEADBEEF"), json!("DEADBEEF"));
    }

    #[test]
    fn decoding_errors_do_not_carry_the_value() {
        let error = SqlType::Date.decode("secret-value").unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
        assert!(
            SqlType::Fixed {
                precision: 5,
                scale: 0
            }
            .decode("1.5")
            .is_err()
        );
        assert!(SqlType::Time { scale: 0 }.decode("90000").is_err());
        assert!(SqlType::Variant.decode("{").is_err());
    }

    #[test]
    fn column_schemas() {
        assert_eq!(
            SqlType::Text.json_schema(false, true),
            json!({"type": ["string", "null"]})
        );
        assert_eq!(
            SqlType::Fixed {
                precision: 38,
                scale: 0
            }
            .json_schema(false, false),
            json!({"type": "string"})
        );
        assert_eq!(
            SqlType::Fixed {
                precision: 9,
                scale: 0
            }
            .json_schema(true, false),
            json!({"type": "integer"})
        );
        assert_eq!(
            SqlType::Fixed {
                precision: 38,
                scale: 0
            }
            .json_schema(true, false),
            json!({"type": "string"})
        );
        assert_eq!(
            SqlType::Real.json_schema(true, true),
            json!({"type": ["number", "string", "null"]})
        );
        assert_eq!(SqlType::Variant.json_schema(true, true), json!({}));
    }

    #[test]
    fn exact_nanoseconds() {
        assert_eq!(
            decimal_nanos("1780548544.065000000"),
            Some(1_780_548_544_065_000_000)
        );
        assert_eq!(decimal_nanos("-1.5"), Some(-1_500_000_000));
        assert_eq!(decimal_nanos("1.0000000001"), None);
        assert_eq!(decimal_nanos("1e5"), None);
        assert_eq!(timestamp_tz("0 1440"), Some((0, 0)));
    }
}
