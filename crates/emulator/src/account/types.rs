//! Snowflake data types: parsing type names, the `rowType` entry of a column, how each type is
//! stored in SQLite and how a stored value is encoded as a jsonv2 string (§2.4, §2.6 of the
//! reference).
//!
//! Storage forms keep the encoding exact: `fixed` with scale 0 as INTEGER (TEXT beyond 64 bits),
//! other `fixed` as REAL, dates as INTEGER days, times as INTEGER nanoseconds since midnight,
//! timestamps as INTEGER nanoseconds since the epoch (`timestamp_ntz` reads the wall clock as UTC),
//! booleans as 0/1, binary as BLOB, semi-structured values as compact JSON text.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use rusqlite::types::{Value, ValueRef};

use crate::exec::{Column, SqlError};

/// Length of a VARCHAR declared without one, and of SHOW output text columns.
pub const MAX_TEXT: u64 = 16_777_216;
/// Length of text returned by functions such as `CURRENT_USER()`.
pub const FUNCTION_TEXT: u64 = 134_217_728;
/// Length of a BINARY declared without one.
pub const MAX_BINARY: u64 = 8_388_608;
const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// The kinds of `rowType.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Fixed,
    Real,
    Text,
    Binary,
    Boolean,
    Date,
    Time,
    TimestampNtz,
    TimestampLtz,
    TimestampTz,
    Variant,
    Object,
    Array,
}

impl Kind {
    /// The lower-case name used in `rowType.type`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Fixed => "fixed",
            Kind::Real => "real",
            Kind::Text => "text",
            Kind::Binary => "binary",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::Time => "time",
            Kind::TimestampNtz => "timestamp_ntz",
            Kind::TimestampLtz => "timestamp_ltz",
            Kind::TimestampTz => "timestamp_tz",
            Kind::Variant => "variant",
            Kind::Object => "object",
            Kind::Array => "array",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "fixed" => Kind::Fixed,
            "real" => Kind::Real,
            "text" => Kind::Text,
            "binary" => Kind::Binary,
            "boolean" => Kind::Boolean,
            "date" => Kind::Date,
            "time" => Kind::Time,
            "timestamp_ntz" => Kind::TimestampNtz,
            "timestamp_ltz" => Kind::TimestampLtz,
            "timestamp_tz" => Kind::TimestampTz,
            "variant" => Kind::Variant,
            "object" => Kind::Object,
            "array" => Kind::Array,
            _ => return None,
        })
    }

    pub fn is_timestamp(self) -> bool {
        matches!(
            self,
            Kind::TimestampNtz | Kind::TimestampLtz | Kind::TimestampTz
        )
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, Kind::Fixed | Kind::Real)
    }

    /// The SQLite column type (and so affinity) that stores this kind.
    pub fn storage(self, scale: u32) -> &'static str {
        match self {
            Kind::Fixed if scale == 0 => "INTEGER",
            Kind::Fixed | Kind::Real => "REAL",
            Kind::Text | Kind::Variant | Kind::Object | Kind::Array | Kind::TimestampTz => "TEXT",
            Kind::Binary => "BLOB",
            _ => "INTEGER",
        }
    }
}

/// A Snowflake type with its parameters, as `rowType` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SfType {
    pub kind: Kind,
    pub precision: u32,
    pub scale: u32,
    pub length: u64,
    /// `byteLength`: 4 bytes per character for declared text, the length for binary; SHOW and
    /// function results report other values (see [`SfType::show_text`], [`SfType::function_text`]).
    pub byte_length: u64,
    pub nullable: bool,
}

impl SfType {
    pub fn new(kind: Kind) -> Self {
        let (precision, scale, length) = match kind {
            Kind::Fixed => (38, 0, 0),
            Kind::Time | Kind::TimestampNtz | Kind::TimestampLtz | Kind::TimestampTz => (0, 9, 0),
            Kind::Text => (0, 0, MAX_TEXT),
            Kind::Binary => (0, 0, MAX_BINARY),
            _ => (0, 0, 0),
        };
        let byte_length = if kind == Kind::Text {
            length * 4
        } else {
            length
        };
        Self {
            kind,
            precision,
            scale,
            length,
            byte_length,
            nullable: true,
        }
    }

    pub fn fixed(precision: u32, scale: u32) -> Self {
        Self {
            precision,
            scale,
            ..Self::new(Kind::Fixed)
        }
    }

    pub fn text(length: u64) -> Self {
        Self {
            length,
            byte_length: length.saturating_mul(4),
            ..Self::new(Kind::Text)
        }
    }

    /// The text columns of SHOW and DESCRIBE output (and DDL `status`): 16777216/16777216.
    pub fn show_text() -> Self {
        Self {
            byte_length: MAX_TEXT,
            ..Self::new(Kind::Text)
        }
    }

    /// Text returned by functions such as `CURRENT_USER()`: 134217728/134217728.
    pub fn function_text() -> Self {
        Self {
            length: FUNCTION_TEXT,
            byte_length: FUNCTION_TEXT,
            ..Self::new(Kind::Text)
        }
    }

    pub fn scaled(kind: Kind, scale: u32) -> Self {
        Self {
            scale,
            ..Self::new(kind)
        }
    }

    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    pub fn nullable(mut self, nullable: bool) -> Self {
        self.nullable = nullable;
        self
    }

    /// Parses a type as written in DDL or a cast: `NUMBER(10,2)`, `varchar(255)`, `TIMESTAMP_NTZ(3)`,
    /// `DOUBLE PRECISION`, … Answers Snowflake's error for an unknown type.
    pub fn parse(text: &str) -> Result<SfType, SqlError> {
        let upper = text.trim().to_ascii_uppercase();
        let (base, params) = match upper.find('(') {
            Some(open) => {
                let close = upper.rfind(')').unwrap_or(upper.len());
                let inner = &upper[open + 1..close.max(open + 1)];
                let params: Result<Vec<u64>, _> =
                    inner.split(',').map(|p| p.trim().parse::<u64>()).collect();
                let params = params.map_err(|_| unsupported_type(text))?;
                (upper[..open].trim().to_owned(), params)
            }
            None => (upper.clone(), Vec::new()),
        };
        let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
        let param = |i: usize| params.get(i).copied();
        let to_u32 = |v: u64| u32::try_from(v).map_err(|_| unsupported_type(text));
        let ty = match base.as_str() {
            "NUMBER" | "NUMERIC" | "DECIMAL" | "DEC" => {
                let precision = to_u32(param(0).unwrap_or(38))?;
                let scale = to_u32(param(1).unwrap_or(0))?;
                if !(1..=38).contains(&precision) || scale > precision {
                    return Err(SqlError::new(
                        "001003",
                        "42000",
                        format!(
                            "SQL compilation error:\nunsupported data type '{text}': precision must be between 1 and 38 and scale between 0 and the precision."
                        ),
                    ));
                }
                SfType::fixed(precision, scale)
            }
            "INT" | "INTEGER" | "BIGINT" | "SMALLINT" | "TINYINT" | "BYTEINT" => {
                SfType::fixed(38, 0)
            }
            "FLOAT" | "FLOAT4" | "FLOAT8" | "DOUBLE" | "DOUBLE PRECISION" | "REAL" => {
                SfType::new(Kind::Real)
            }
            "VARCHAR" | "STRING" | "TEXT" | "NVARCHAR" | "NVARCHAR2" | "CHAR VARYING"
            | "NCHAR VARYING" | "CHARACTER VARYING" => SfType::text(param(0).unwrap_or(MAX_TEXT)),
            "CHAR" | "CHARACTER" | "NCHAR" => SfType::text(param(0).unwrap_or(1)),
            "BINARY" | "VARBINARY" => {
                let length = param(0).unwrap_or(MAX_BINARY);
                SfType {
                    length,
                    byte_length: length,
                    ..SfType::new(Kind::Binary)
                }
            }
            "BOOLEAN" | "BOOL" => SfType::new(Kind::Boolean),
            "DATE" => SfType::new(Kind::Date),
            "TIME" => SfType::scaled(Kind::Time, to_u32(param(0).unwrap_or(9))?),
            "TIMESTAMP"
            | "DATETIME"
            | "TIMESTAMP_NTZ"
            | "TIMESTAMPNTZ"
            | "TIMESTAMP WITHOUT TIME ZONE" => {
                SfType::scaled(Kind::TimestampNtz, to_u32(param(0).unwrap_or(9))?)
            }
            "TIMESTAMP_LTZ" | "TIMESTAMPLTZ" | "TIMESTAMP WITH LOCAL TIME ZONE" => {
                SfType::scaled(Kind::TimestampLtz, to_u32(param(0).unwrap_or(9))?)
            }
            "TIMESTAMP_TZ" | "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" => {
                SfType::scaled(Kind::TimestampTz, to_u32(param(0).unwrap_or(9))?)
            }
            "VARIANT" => SfType::new(Kind::Variant),
            "OBJECT" => SfType::new(Kind::Object),
            "ARRAY" => SfType::new(Kind::Array),
            _ => return Err(unsupported_type(text)),
        };
        if (ty.kind.is_timestamp() || ty.kind == Kind::Time) && ty.scale > 9 {
            return Err(unsupported_type(text));
        }
        Ok(ty)
    }

    /// The name Snowflake shows for this type in DDL-like places (`NUMBER(38,0)`, `VARCHAR(255)`).
    pub fn sql_name(&self) -> String {
        match self.kind {
            Kind::Fixed => format!("NUMBER({},{})", self.precision, self.scale),
            Kind::Real => "FLOAT".into(),
            Kind::Text => format!("VARCHAR({})", self.length),
            Kind::Binary => format!("BINARY({})", self.length),
            Kind::Boolean => "BOOLEAN".into(),
            Kind::Date => "DATE".into(),
            Kind::Time => format!("TIME({})", self.scale),
            Kind::TimestampNtz => format!("TIMESTAMP_NTZ({})", self.scale),
            Kind::TimestampLtz => format!("TIMESTAMP_LTZ({})", self.scale),
            Kind::TimestampTz => format!("TIMESTAMP_TZ({})", self.scale),
            Kind::Variant => "VARIANT".into(),
            Kind::Object => "OBJECT".into(),
            Kind::Array => "ARRAY".into(),
        }
    }

    /// The `data_type` JSON of SHOW COLUMNS: `{"type":"TEXT","length":255,"byteLength":1020,"nullable":false,"fixed":false}`.
    pub fn show_json(&self) -> String {
        let upper = self.kind.name().to_ascii_uppercase();
        match self.kind {
            Kind::Fixed => format!(
                r#"{{"type":"FIXED","precision":{},"scale":{},"nullable":{}}}"#,
                self.precision, self.scale, self.nullable
            ),
            Kind::Text | Kind::Binary => format!(
                r#"{{"type":"{upper}","length":{},"byteLength":{},"nullable":{},"fixed":{}}}"#,
                self.length,
                self.byte_length,
                self.nullable,
                self.kind == Kind::Binary
            ),
            Kind::Time | Kind::TimestampNtz | Kind::TimestampLtz | Kind::TimestampTz => format!(
                r#"{{"type":"{upper}","precision":0,"scale":{},"nullable":{}}}"#,
                self.scale, self.nullable
            ),
            _ => format!(r#"{{"type":"{upper}","nullable":{}}}"#, self.nullable),
        }
    }

    /// The `rowType` entry of a result column with this type.
    pub fn column(&self, name: &str, origin: Option<&Origin>) -> Column {
        let (precision, scale) = match self.kind {
            Kind::Fixed => (Some(self.precision), Some(self.scale)),
            Kind::Time | Kind::TimestampNtz | Kind::TimestampLtz | Kind::TimestampTz => {
                (Some(0), Some(self.scale))
            }
            _ => (None, None),
        };
        let (length, byte_length) = match self.kind {
            Kind::Text | Kind::Binary => (Some(self.length), Some(self.byte_length)),
            _ => (None, None),
        };
        let origin = origin.cloned().unwrap_or_default();
        Column {
            name: name.to_owned(),
            database: origin.database,
            schema: origin.schema,
            table: origin.table,
            scale,
            byte_length,
            nullable: self.nullable,
            collation: None,
            precision,
            length,
            kind: self.kind.name().to_owned(),
            ext_type_name: None,
        }
    }

    /// Encodes this type as a SQL argument list for `sf_cast`/`sf_store`:
    /// `'fixed', 2, 10, 0` (kind, scale, precision, length).
    pub fn cast_args(&self) -> String {
        format!(
            "'{}', {}, {}, {}",
            self.kind.name(),
            self.scale,
            self.precision,
            self.length
        )
    }

    /// The inverse of [`SfType::cast_args`], inside the SQLite functions.
    pub fn from_cast_args(kind: &str, scale: i64, precision: i64, length: i64) -> Option<SfType> {
        let mut ty = SfType::scaled(Kind::from_name(kind)?, u32::try_from(scale).ok()?);
        ty.precision = u32::try_from(precision).ok()?;
        ty.length = u64::try_from(length).ok()?;
        Some(ty)
    }

    /// Whether every value of type `self` is stored unchanged in a column of type `column`.
    pub fn fits(&self, column: &SfType) -> bool {
        self.kind == column.kind
            && match self.kind {
                Kind::Fixed => self.scale == column.scale && self.precision <= column.precision,
                Kind::Text | Kind::Binary => self.length <= column.length,
                Kind::Time | Kind::TimestampNtz | Kind::TimestampLtz | Kind::TimestampTz => {
                    self.scale <= column.scale
                }
                _ => true,
            }
    }
}

/// Where a result column comes from (`database`/`schema`/`table` of `rowType`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub database: String,
    pub schema: String,
    pub table: String,
}

fn unsupported_type(text: &str) -> SqlError {
    SqlError::new(
        "002040",
        "42601",
        format!(
            "SQL compilation error:\nUnsupported data type '{}'.",
            text.trim()
        ),
    )
}

/// Writes a stored value as its jsonv2 string into `out`; `false` for SQL NULL.
pub fn encode(value: ValueRef<'_>, ty: &SfType, out: &mut String) -> bool {
    out.clear();
    match value {
        ValueRef::Null => return false,
        ValueRef::Integer(i) => encode_integer(i, ty, out),
        ValueRef::Real(r) => encode_real(r, ty, out),
        ValueRef::Text(t) => {
            let text = String::from_utf8_lossy(t);
            match ty.kind {
                Kind::Variant | Kind::Object | Kind::Array => out.push_str(&pretty_json(&text)),
                Kind::TimestampTz => match tz_parts(&text) {
                    Some((nanos, offset)) => {
                        seconds(nanos, ty.scale, out);
                        out.push(' ');
                        push_integer(i64::from(offset) + 1440, out);
                    }
                    None => out.push_str(&text),
                },
                Kind::Boolean => out.push_str(match text.as_ref() {
                    "1" | "true" | "TRUE" => "true",
                    _ => "false",
                }),
                _ => out.push_str(&text),
            }
        }
        ValueRef::Blob(b) => {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            for byte in b {
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 15)]));
            }
        }
    }
    true
}

fn encode_integer(i: i64, ty: &SfType, out: &mut String) {
    match ty.kind {
        Kind::Fixed if ty.scale > 0 => {
            push_integer(i, out);
            out.push('.');
            out.extend(std::iter::repeat_n('0', ty.scale as usize));
        }
        Kind::Real => real_text(i as f64, out),
        Kind::Boolean => out.push_str(if i != 0 { "true" } else { "false" }),
        Kind::Time | Kind::TimestampNtz | Kind::TimestampLtz => seconds(i, ty.scale, out),
        Kind::TimestampTz => {
            seconds(i, ty.scale, out);
            out.push_str(" 1440");
        }
        _ => push_integer(i, out),
    }
}

/// Appends `i` in decimal; the hot path of every result, so without `fmt`.
fn push_integer(i: i64, out: &mut String) {
    if i < 0 {
        out.push('-');
    }
    push_digits(i.unsigned_abs(), 1, out);
}

/// Appends `n` in decimal with at least `width` digits (zero-padded).
fn push_digits(mut n: u64, width: usize, out: &mut String) {
    let mut buffer = [b'0'; 20];
    let mut start = buffer.len();
    while n > 0 {
        start -= 1;
        buffer[start] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    start = start.min(buffer.len().saturating_sub(width.clamp(1, 20)));
    if let Ok(digits) = std::str::from_utf8(&buffer[start..]) {
        out.push_str(digits);
    }
}

fn encode_real(r: f64, ty: &SfType, out: &mut String) {
    match ty.kind {
        Kind::Fixed => {
            let units = (r * 10f64.powi(ty.scale as i32)).round();
            if units.abs() < 9.0e15 {
                // Exact for every value a double holds to this many digits, and much faster
                // than formatting the float itself.
                scaled(units.abs() as u64, units < 0.0, ty.scale, ty.scale, out);
            } else {
                let _ = write!(out, "{:.*}", ty.scale as usize, r);
            }
        }
        Kind::Boolean => out.push_str(if r != 0.0 { "true" } else { "false" }),
        Kind::Date | Kind::Time | Kind::TimestampNtz | Kind::TimestampLtz | Kind::TimestampTz => {
            encode_integer(r as i64, ty, out)
        }
        _ => real_text(r, out),
    }
}

/// Snowflake's text for a float: `1.5`, `NaN`, `inf`, `-inf`.
fn real_text(r: f64, out: &mut String) {
    if r.is_nan() {
        out.push_str("NaN");
    } else if r.is_infinite() {
        out.push_str(if r > 0.0 { "inf" } else { "-inf" });
    } else {
        let _ = write!(out, "{r}");
    }
}

/// Writes nanoseconds as seconds with exactly `scale` fraction digits (`1780548544.065000000`).
fn seconds(nanos: i64, scale: u32, out: &mut String) {
    scaled(nanos.unsigned_abs(), nanos < 0, 9, scale, out);
}

/// Writes `units / 10^unit_digits` as a decimal with exactly `scale` fraction digits (truncated).
fn scaled(units: u64, negative: bool, unit_digits: u32, scale: u32, out: &mut String) {
    let divisor = 10u64.pow(unit_digits);
    if negative && units != 0 {
        out.push('-');
    }
    push_digits(units / divisor, 1, out);
    if scale > 0 {
        out.push('.');
        let kept = scale.min(unit_digits);
        push_digits(
            (units % divisor) / 10u64.pow(unit_digits - kept),
            kept as usize,
            out,
        );
        out.extend(std::iter::repeat_n('0', (scale - kept) as usize));
    }
}

/// Timestamps of SHOW output (`timestamp_ltz`, scale 3) from epoch milliseconds.
pub fn show_time(millis: i64) -> String {
    let mut out = String::new();
    seconds(millis.saturating_mul(1_000_000), 3, &mut out);
    out
}

fn pretty_json(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or_else(|_| text.to_owned()),
        Err(_) => text.to_owned(),
    }
}

/// Converts `value`, whose type is `from`, into the storage form of `to`: the body of `sf_cast`,
/// used for casts, implicit conversions of literals and the coercion of inserted values.
pub fn convert(value: ValueRef<'_>, from: &SfType, to: &SfType) -> Result<Value, SqlError> {
    if let ValueRef::Null = value {
        return Ok(Value::Null);
    }
    let semi_structured = |k: Kind| matches!(k, Kind::Variant | Kind::Object | Kind::Array);
    if let (ValueRef::Text(json), true) = (value, semi_structured(from.kind)) {
        let parsed: serde_json::Value = serde_json::from_slice(json)
            .map_err(|e| SqlError::new("100069", "22P02", format!("Error parsing JSON: {e}")))?;
        if semi_structured(to.kind) {
            // Stored compact, so equal documents compare equal.
            return Ok(Value::Text(parsed.to_string()));
        }
        // A VARIANT read as a scalar: strings lose their quotes, JSON null is SQL NULL.
        let text = SfType::new(Kind::Text);
        return match parsed {
            serde_json::Value::Null => Ok(Value::Null),
            serde_json::Value::String(s) => convert(ValueRef::Text(s.as_bytes()), &text, to),
            serde_json::Value::Bool(b) => convert(
                ValueRef::Integer(i64::from(b)),
                &SfType::new(Kind::Boolean),
                to,
            ),
            other => convert(ValueRef::Text(other.to_string().as_bytes()), &text, to),
        };
    }
    let text = || value_text(value, from);
    Ok(match to.kind {
        Kind::Fixed => match value {
            ValueRef::Integer(i) => {
                if to.scale == 0 {
                    Value::Integer(i)
                } else {
                    Value::Real(i as f64)
                }
            }
            ValueRef::Real(r) => round_fixed(r, to),
            _ => {
                let t = text();
                let t = t.trim();
                if let Ok(i) = t.parse::<i64>() {
                    if to.scale == 0 {
                        Value::Integer(i)
                    } else {
                        Value::Real(i as f64)
                    }
                } else if let Ok(r) = t.parse::<f64>() {
                    round_fixed(r, to)
                } else if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !t.is_empty() {
                    Value::Text(t.to_owned())
                } else {
                    return Err(not_recognized("Numeric", t));
                }
            }
        },
        Kind::Real => match value {
            ValueRef::Integer(i) => Value::Real(i as f64),
            ValueRef::Real(r) => Value::Real(r),
            _ => {
                let t = text();
                let t = t.trim();
                Value::Real(match t.to_ascii_lowercase().as_str() {
                    "nan" => f64::NAN,
                    "inf" | "infinity" => f64::INFINITY,
                    "-inf" | "-infinity" => f64::NEG_INFINITY,
                    _ => t.parse().map_err(|_| not_recognized("Numeric", t))?,
                })
            }
        },
        Kind::Text => Value::Text(text()),
        Kind::Boolean => match value {
            ValueRef::Integer(i) => Value::Integer(i64::from(i != 0)),
            ValueRef::Real(r) => Value::Integer(i64::from(r != 0.0)),
            _ => {
                let t = text();
                match t.trim().to_ascii_lowercase().as_str() {
                    "true" | "t" | "yes" | "y" | "on" | "1" => Value::Integer(1),
                    "false" | "f" | "no" | "n" | "off" | "0" => Value::Integer(0),
                    _ => return Err(not_recognized("Boolean", &t)),
                }
            }
        },
        Kind::Date => match (value, from.kind) {
            (ValueRef::Text(t), Kind::TimestampTz) => {
                let (nanos, offset) = tz_parts(&String::from_utf8_lossy(t)).unwrap_or_default();
                Value::Integer(
                    nanos
                        .saturating_add(i64::from(offset) * 60 * NANOS_PER_SECOND)
                        .div_euclid(NANOS_PER_DAY),
                )
            }
            (ValueRef::Integer(i), k) if k.is_timestamp() => {
                Value::Integer(i.div_euclid(NANOS_PER_DAY))
            }
            (ValueRef::Integer(i), Kind::Date) => Value::Integer(i),
            _ => {
                let t = text();
                Value::Integer(
                    parse_timestamp(&t)
                        .ok_or_else(|| not_recognized("Date", &t))?
                        .div_euclid(NANOS_PER_DAY),
                )
            }
        },
        Kind::Time => match (value, from.kind) {
            (ValueRef::Integer(i), k) if k.is_timestamp() => {
                Value::Integer(truncate(i.rem_euclid(NANOS_PER_DAY), to.scale))
            }
            (ValueRef::Integer(i), Kind::Time) => Value::Integer(truncate(i, to.scale)),
            _ => {
                let t = text();
                let time = NaiveTime::parse_from_str(t.trim(), "%H:%M:%S%.f")
                    .or_else(|_| NaiveTime::parse_from_str(t.trim(), "%H:%M"))
                    .map_err(|_| not_recognized("Time", &t))?;
                let nanos = (time - NaiveTime::MIN).num_nanoseconds().unwrap_or(0);
                Value::Integer(truncate(nanos, to.scale))
            }
        },
        Kind::TimestampTz => {
            let (nanos, offset) = match (value, from.kind) {
                (ValueRef::Integer(i), k) if k.is_timestamp() => (i, 0),
                (ValueRef::Integer(i), Kind::Date) => (i.saturating_mul(NANOS_PER_DAY), 0),
                (ValueRef::Integer(i), Kind::Fixed) => (i.saturating_mul(NANOS_PER_SECOND), 0),
                _ => {
                    let t = text();
                    tz_parts(&t)
                        .or_else(|| parse_timestamp_offset(&t))
                        .ok_or_else(|| not_recognized("Timestamp", &t))?
                }
            };
            Value::Text(tz_text(truncate(nanos, to.scale), offset))
        }
        Kind::TimestampNtz | Kind::TimestampLtz => match (value, from.kind) {
            (ValueRef::Text(t), Kind::TimestampTz) => {
                let (nanos, offset) = tz_parts(&String::from_utf8_lossy(t)).unwrap_or_default();
                // NTZ keeps the wall clock of the offset; LTZ the instant.
                let shift = if to.kind == Kind::TimestampNtz {
                    i64::from(offset) * 60 * NANOS_PER_SECOND
                } else {
                    0
                };
                Value::Integer(truncate(nanos.saturating_add(shift), to.scale))
            }
            (ValueRef::Integer(i), k) if k.is_timestamp() => Value::Integer(truncate(i, to.scale)),
            (ValueRef::Integer(i), Kind::Date) => Value::Integer(i.saturating_mul(NANOS_PER_DAY)),
            (ValueRef::Integer(i), Kind::Fixed) => {
                Value::Integer(i.saturating_mul(NANOS_PER_SECOND))
            }
            _ => {
                let t = text();
                Value::Integer(truncate(
                    parse_timestamp(&t).ok_or_else(|| not_recognized("Timestamp", &t))?,
                    to.scale,
                ))
            }
        },
        Kind::Variant | Kind::Object | Kind::Array => {
            let json = match (value, from.kind) {
                (ValueRef::Text(_), _) => serde_json::to_string(&text()).unwrap_or_default(),
                (ValueRef::Integer(i), Kind::Boolean) => (i != 0).to_string(),
                (ValueRef::Integer(i), _) => i.to_string(),
                (ValueRef::Real(r), _) => serde_json::Number::from_f64(r)
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "null".into()),
                _ => serde_json::to_string(&text()).unwrap_or_default(),
            };
            Value::Text(json)
        }
        Kind::Binary => match value {
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            _ => {
                let t = text();
                Value::Blob(decode_hex(&t).ok_or_else(|| not_recognized("Binary", &t))?)
            }
        },
    })
}

/// Converts `value` for storing in a column of type `to`, failing like Snowflake when it does
/// not fit: a string longer than the column, a number beyond its precision.
pub fn store(value: ValueRef<'_>, from: &SfType, to: &SfType) -> Result<Value, SqlError> {
    let stored = convert(value, from, to)?;
    match (&stored, to.kind) {
        (Value::Text(text), Kind::Text) if text.chars().count() as u64 > to.length => {
            Err(SqlError::new(
                "100074",
                "22001",
                format!("String '{text}' is too long and would be truncated"),
            ))
        }
        (Value::Blob(bytes), Kind::Binary) if bytes.len() as u64 > to.length => Err(SqlError::new(
            "100074",
            "22001",
            "Binary value is too long and would be truncated",
        )),
        (Value::Integer(_) | Value::Real(_), Kind::Fixed) if to.precision < 38 => {
            let magnitude = match stored {
                Value::Integer(i) => (i as f64).abs(),
                Value::Real(r) => r.abs(),
                _ => 0.0,
            };
            if magnitude >= 10f64.powi((to.precision - to.scale) as i32) {
                Err(SqlError::new(
                    "100039",
                    "22003",
                    format!(
                        "Numeric value '{}' is out of range",
                        value_text(value, from)
                    ),
                ))
            } else {
                Ok(stored)
            }
        }
        _ => Ok(stored),
    }
}

fn round_fixed(r: f64, to: &SfType) -> Value {
    if to.scale == 0 {
        Value::Integer(r.round() as i64)
    } else {
        let factor = 10f64.powi(to.scale as i32);
        Value::Real((r * factor).round() / factor)
    }
}

fn truncate(nanos: i64, scale: u32) -> i64 {
    let unit = 10i64.pow(9 - scale.min(9));
    nanos.saturating_sub(nanos.rem_euclid(unit))
}

/// A stored value as text, the way `TO_VARCHAR` shows it.
pub fn value_text(value: ValueRef<'_>, ty: &SfType) -> String {
    match (value, ty.kind) {
        (ValueRef::Null, _) => String::new(),
        (ValueRef::Text(t), Kind::TimestampTz) => {
            let text = String::from_utf8_lossy(t);
            match tz_parts(&text).and_then(|(nanos, offset)| {
                Some(
                    DateTime::from_timestamp_nanos(nanos)
                        .with_timezone(&chrono::FixedOffset::east_opt(offset * 60)?),
                )
            }) {
                Some(local) => local.format("%Y-%m-%d %H:%M:%S%.3f %z").to_string(),
                None => text.into_owned(),
            }
        }
        (ValueRef::Integer(i), Kind::Boolean) => (i != 0).to_string(),
        (ValueRef::Integer(i), Kind::Date) => {
            NaiveDate::from_num_days_from_ce_opt(i32::try_from(i + 719_163).unwrap_or(0))
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        }
        (ValueRef::Integer(i), k) if k.is_timestamp() => DateTime::from_timestamp_nanos(i)
            .naive_utc()
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string(),
        (ValueRef::Integer(i), Kind::Time) => (NaiveTime::MIN + chrono::Duration::nanoseconds(i))
            .format("%H:%M:%S")
            .to_string(),
        (ValueRef::Integer(i), _) => i.to_string(),
        (ValueRef::Real(r), _) => {
            let mut out = String::new();
            encode_real(r, ty, &mut out);
            out
        }
        (ValueRef::Text(t), _) => String::from_utf8_lossy(t).into_owned(),
        (ValueRef::Blob(b), _) => b.iter().map(|byte| format!("{byte:02X}")).collect(),
    }
}

/// Parses the timestamp forms Snowflake accepts by default: `2026-06-04`, `2026-06-04 10:00:00[.123]`,
/// the `T` form, an optional `Z` or `±HH:MM` offset (converted to UTC). Answers nanoseconds.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    parse_timestamp_offset(text).map(|(nanos, _)| nanos)
}

/// [`parse_timestamp`] that also answers the offset written in the text, in minutes (0 without).
fn parse_timestamp_offset(text: &str) -> Option<(i64, i32)> {
    let trimmed = text.trim();
    let zulu = trimmed
        .strip_suffix('Z')
        .map(|rest| format!("{} +00:00", rest.trim_end()));
    let t = zulu.as_deref().unwrap_or(trimmed);
    let with_offset = DateTime::parse_from_rfc3339(t).ok().or_else(|| {
        [
            "%Y-%m-%d %H:%M:%S%.f %:z",
            "%Y-%m-%d %H:%M:%S%.f%:z",
            "%Y-%m-%d %H:%M:%S%.f %z",
            "%Y-%m-%dT%H:%M:%S%.f %:z",
        ]
        .iter()
        .find_map(|format| DateTime::parse_from_str(t, format).ok())
    });
    if let Some(dt) = with_offset {
        return Some((
            dt.timestamp_nanos_opt()?,
            dt.offset().local_minus_utc() / 60,
        ));
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(t, format).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN))
    })?;
    Some((naive.and_utc().timestamp_nanos_opt()?, 0))
}

/// Offsets a bias so that the text of any instant sorts like the instant.
const TZ_BIAS: i128 = 1 << 63;

/// How a `TIMESTAMP_TZ` is stored: the biased instant in 20 digits, then the offset in minutes
/// (`+0420`); text order is time order, and the offset survives for the jsonv2 encoding.
pub fn tz_text(nanos: i64, offset_minutes: i32) -> String {
    format!(
        "{:020}{offset_minutes:+05}",
        (i128::from(nanos) + TZ_BIAS) as u64
    )
}

/// The instant (nanoseconds) and offset (minutes) of a stored `TIMESTAMP_TZ`.
pub fn tz_parts(text: &str) -> Option<(i64, i32)> {
    let biased: u64 = text.get(..20)?.parse().ok()?;
    let offset: i32 = text.get(20..)?.parse().ok()?;
    Some(((i128::from(biased) - TZ_BIAS) as i64, offset))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Snowflake's conversion error: `Numeric value 'abc' is not recognized`.
pub fn not_recognized(what: &str, value: &str) -> SqlError {
    SqlError::new(
        "100038",
        "22018",
        format!("{what} value '{value}' is not recognized"),
    )
}

/// Converts one request binding (§2.3) into a SQLite value and its Snowflake type.
pub fn binding_value(kind: &str, value: Option<&str>) -> Result<(Value, SfType), SqlError> {
    let kind_upper = kind.to_ascii_uppercase();
    let ty = match kind_upper.as_str() {
        "FIXED" => SfType::fixed(38, value.map_or(0, fraction_digits)),
        "REAL" => SfType::new(Kind::Real),
        "TEXT" => SfType::new(Kind::Text),
        "BOOLEAN" => SfType::new(Kind::Boolean),
        "DATE" => SfType::new(Kind::Date),
        "TIME" => SfType::new(Kind::Time),
        "TIMESTAMP_NTZ" => SfType::new(Kind::TimestampNtz),
        "TIMESTAMP_LTZ" => SfType::new(Kind::TimestampLtz),
        "TIMESTAMP_TZ" => SfType::new(Kind::TimestampTz),
        "BINARY" => SfType::new(Kind::Binary),
        _ => {
            return Err(SqlError::new(
                "002040",
                "42601",
                format!("SQL compilation error:\nUnsupported data type '{kind_upper}'."),
            ));
        }
    };
    let Some(v) = value else {
        return Ok((Value::Null, ty));
    };
    let bad = || {
        SqlError::new(
            "100037",
            "22018",
            format!("{kind_upper} value '{v}' is not recognized"),
        )
    };
    let int = |s: &str| s.trim().parse::<i64>().map_err(|_| bad());
    let stored = match ty.kind {
        Kind::Fixed => match v.trim().parse::<i64>() {
            Ok(i) => Value::Integer(i),
            Err(_) => Value::Real(v.trim().parse::<f64>().map_err(|_| bad())?),
        },
        Kind::Real => Value::Real(match v.trim() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            other => other.parse().map_err(|_| bad())?,
        }),
        Kind::Text => Value::Text(v.to_owned()),
        Kind::Boolean => match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Integer(1),
            "false" | "0" => Value::Integer(0),
            _ => return Err(bad()),
        },
        Kind::Date => Value::Integer(int(v)?.div_euclid(86_400_000)),
        Kind::TimestampTz => {
            let mut parts = v.split_whitespace();
            let nanos = int(parts.next().ok_or_else(bad)?)?;
            let offset = parts.next().map_or(Ok(1440), int)? - 1440;
            Value::Text(tz_text(nanos, i32::try_from(offset).map_err(|_| bad())?))
        }
        Kind::Binary => Value::Blob(decode_hex(v).ok_or_else(bad)?),
        _ => Value::Integer(int(v)?),
    };
    Ok((stored, ty))
}

fn fraction_digits(v: &str) -> u32 {
    v.split_once('.').map_or(0, |(_, f)| f.len() as u32).min(37)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_scale_digits() {
        let ty = SfType::new(Kind::TimestampNtz);
        let mut out = String::new();
        assert!(encode(
            ValueRef::Integer(1_780_548_544_065_000_000),
            &ty,
            &mut out
        ));
        assert_eq!(out, "1780548544.065000000");
        assert_eq!(show_time(1_780_573_702_603), "1780573702.603");
        assert!(encode(ValueRef::Integer(-1_500_000_000), &ty, &mut out));
        assert_eq!(out, "-1.500000000");
    }

    #[test]
    fn timestamp_tz_keeps_its_offset_and_sorts_by_instant() {
        let (stored, ty) = binding_value("TIMESTAMP_TZ", Some("1616173619000000000 960")).unwrap();
        let Value::Text(text) = &stored else {
            panic!("{stored:?}")
        };
        let mut out = String::new();
        assert!(encode(ValueRef::Text(text.as_bytes()), &ty, &mut out));
        assert_eq!(out, "1616173619.000000000 960");
        let earlier = tz_text(-5, 600);
        assert!(earlier < tz_text(3, -600) && tz_text(3, -600) < tz_text(4, 0));
        let converted = convert(
            ValueRef::Text(b"2026-06-04 11:49:04.065 +07:00"),
            &SfType::new(Kind::Text),
            &ty,
        )
        .unwrap();
        let Value::Text(converted) = converted else {
            panic!()
        };
        encode(ValueRef::Text(converted.as_bytes()), &ty, &mut out);
        assert_eq!(out, "1780548544.065000000 1860");
        let ntz = convert(
            ValueRef::Text(converted.as_bytes()),
            &ty,
            &SfType::new(Kind::TimestampNtz),
        )
        .unwrap();
        assert_eq!(
            ntz,
            Value::Integer(1_780_573_744_065_000_000),
            "NTZ keeps the wall clock"
        );
    }

    #[test]
    fn timestamps_parse_in_snowflakes_default_forms() {
        let at = Some(1_780_548_544_065_000_000);
        assert_eq!(parse_timestamp("2026-06-04 04:49:04.065"), at);
        assert_eq!(parse_timestamp("2026-06-04T04:49:04.065Z"), at);
        assert_eq!(parse_timestamp("2026-06-04 04:49:04.065 Z"), at);
        assert_eq!(parse_timestamp("2026-06-04T11:49:04.065+07:00"), at);
        assert_eq!(
            parse_timestamp("2026-06-04"),
            Some(1_780_531_200_000_000_000)
        );
        assert_eq!(parse_timestamp("June 4"), None);
    }

    #[test]
    fn fixed_with_scale_pads() {
        let mut out = String::new();
        encode(ValueRef::Real(12.5), &SfType::fixed(10, 4), &mut out);
        assert_eq!(out, "12.5000");
        encode(ValueRef::Integer(12), &SfType::fixed(10, 2), &mut out);
        assert_eq!(out, "12.00");
        encode(ValueRef::Real(-1.5), &SfType::fixed(10, 2), &mut out);
        assert_eq!(out, "-1.50");
        encode(ValueRef::Real(-0.001), &SfType::fixed(10, 2), &mut out);
        assert_eq!(out, "0.00");
        encode(ValueRef::Integer(-7), &SfType::fixed(38, 0), &mut out);
        assert_eq!(out, "-7");
        encode(ValueRef::Integer(0), &SfType::fixed(38, 0), &mut out);
        assert_eq!(out, "0");
        encode(ValueRef::Integer(i64::MIN), &SfType::fixed(38, 0), &mut out);
        assert_eq!(out, "-9223372036854775808");
        encode(
            ValueRef::Integer(45_296_000_000_000),
            &SfType::scaled(Kind::Time, 3),
            &mut out,
        );
        assert_eq!(out, "45296.000");
        encode(
            ValueRef::Blob(&[0xde, 0xad, 0x0f]),
            &SfType::new(Kind::Binary),
            &mut out,
        );
        assert_eq!(out, "DEAD0F");
        encode(ValueRef::Real(1e20), &SfType::fixed(38, 1), &mut out);
        assert_eq!(out, "100000000000000000000.0");
    }

    #[test]
    fn parses_types() {
        assert_eq!(SfType::parse("varchar(255)").unwrap(), SfType::text(255));
        assert_eq!(SfType::parse("NUMBER").unwrap(), SfType::fixed(38, 0));
        assert_eq!(SfType::parse("timestamp_ntz(3)").unwrap().scale, 3);
        assert_eq!(SfType::parse("double precision").unwrap().kind, Kind::Real);
        assert_eq!(SfType::parse("GEOGRAPHY").unwrap_err().code, "002040");
    }
}
