//! Query result columns as the engine writes them into records: the typed JSON of a cell
//! (`row_values: "typed"`) and the JSON Schema of a column in a custom sync's model.
//!
//! Decoding a jsonv2 string is the Snowflake client's ([`snowgate_snowflake::Value`]); what is
//! the engine's own is the JSON each decoded value becomes in `row_data`, which depends on the
//! column (its precision and scale), never on the value, so that one JSON Schema describes every
//! value of a column:
//!
//! * `fixed` with scale 0 and precision at most 15 → a JSON integer; any other `fixed` and
//!   `decfloat` → the exact decimal text as Snowflake sent it;
//! * `real` → a JSON number, and the non-finite ones as the strings `"NaN"`, `"Infinity"` and
//!   `"-Infinity"` (JavaScript's spelling, which `Number()` reads back and Snowflake's `REAL`
//!   bindings accept; the client's own [`snowgate_snowflake::Value::to_json`] keeps Rust's
//!   `inf`, which a JavaScript reader takes for NaN);
//! * `date`/`time`/`timestamp_*` → ISO 8601 text with exactly `scale` fraction digits (`Z` for
//!   `timestamp_ltz`, the offset for `timestamp_tz`, none for `timestamp_ntz`);
//! * `variant`/`object`/`array`/`vector` → their JSON; `boolean` → a JSON boolean; everything
//!   else → the text as sent.

use chrono::Timelike;
use serde_json::{Value as Json, json};
use snowgate_snowflake::{ColumnType, DecodeError, Value};

/// A result column: its `rowType` name, type, precision, scale and nullability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultColumn {
    /// `rowType[].name`, exactly as returned.
    pub name: String,
    /// `rowType[].type`.
    pub kind: ColumnType,
    /// `rowType[].precision` (digits of `fixed`; 38 when absent).
    pub precision: Option<u32>,
    /// `rowType[].scale` (fraction digits of `fixed`, `time` and `timestamp_*`; 0 when absent).
    pub scale: Option<u32>,
    /// `rowType[].nullable`.
    pub nullable: bool,
}

impl ResultColumn {
    /// The engine's view of a column of the client's result metadata.
    pub fn from_row_type(column: &snowgate_snowflake::Column) -> Self {
        Self {
            name: column.name.clone(),
            kind: column.kind(),
            precision: column.precision.and_then(|p| u32::try_from(p).ok()),
            scale: column.scale.and_then(|s| u32::try_from(s).ok()),
            nullable: column.nullable,
        }
    }

    fn scale_digits(&self) -> u32 {
        self.scale.unwrap_or(0)
    }

    /// Whether typed values of this column are JSON integers (exact in every JSON reader) rather
    /// than decimal text.
    fn is_small_integer(&self) -> bool {
        self.kind == ColumnType::Fixed
            && self.scale_digits() == 0
            && self.precision.unwrap_or(38) <= 15
    }

    /// The typed JSON of one non-NULL cell (see the module documentation). The error names the
    /// column and its type, never the value.
    pub fn render(&self, raw: &str) -> Result<Json, DecodeError> {
        let decoded = match self.kind {
            ColumnType::Fixed if self.is_small_integer() => {
                return Value::decode(&self.name, self.kind, Some(raw))
                    .ok()
                    .and_then(|value| match value {
                        Value::Number(number) => number.to_i64(),
                        _ => None,
                    })
                    .map(Json::from)
                    .ok_or_else(|| DecodeError {
                        column: self.name.clone(),
                        type_name: self.kind.name(),
                        expected: "an integer",
                    });
            }
            ColumnType::Real
            | ColumnType::Boolean
            | ColumnType::Date
            | ColumnType::Time
            | ColumnType::TimestampNtz
            | ColumnType::TimestampLtz
            | ColumnType::TimestampTz
            | ColumnType::Variant
            | ColumnType::Object
            | ColumnType::Array
            | ColumnType::Vector => Value::decode(&self.name, self.kind, Some(raw))?,
            _ => return Ok(Json::String(raw.to_owned())),
        };
        const DATE_TIME: &str = "%Y-%m-%dT%H:%M:%S";
        let (clock, nanos, zone) = match decoded {
            Value::Real(real) if real.is_nan() => return Ok(json!("NaN")),
            Value::Real(real) if real.is_infinite() => {
                return Ok(json!(if real > 0.0 { "Infinity" } else { "-Infinity" }));
            }
            Value::Date(date) => return Ok(Json::String(date.format("%Y-%m-%d").to_string())),
            Value::Time(time) => (time.format("%H:%M:%S"), time.nanosecond(), String::new()),
            Value::TimestampNtz(at) => (at.format(DATE_TIME), at.nanosecond(), String::new()),
            Value::TimestampLtz(at) => (
                at.naive_utc().format(DATE_TIME),
                at.nanosecond(),
                "Z".to_owned(),
            ),
            Value::TimestampTz(at) => (
                at.naive_local().format(DATE_TIME),
                at.nanosecond(),
                at.format("%:z").to_string(),
            ),
            other => return Ok(other.to_json()),
        };
        let fraction = fraction(nanos, self.scale_digits());
        Ok(Json::String(format!("{clock}{fraction}{zone}")))
    }

    /// The JSON Schema of this column's values in `row_data`: raw values are strings, typed values
    /// follow [`ResultColumn::render`].
    pub fn json_schema(&self, typed: bool) -> Json {
        let mut schema = if !typed {
            json!({"type": "string"})
        } else {
            match self.kind {
                ColumnType::Fixed if self.is_small_integer() => json!({"type": "integer"}),
                ColumnType::Real => json!({"type": ["number", "string"]}),
                ColumnType::Boolean => json!({"type": "boolean"}),
                ColumnType::Variant => json!({}),
                ColumnType::Object => json!({"type": "object"}),
                ColumnType::Array => json!({"type": "array"}),
                ColumnType::Vector => json!({"type": "array", "items": {"type": "number"}}),
                _ => json!({"type": "string"}),
            }
        };
        if self.nullable
            && let Some(kind) = schema.get("type").cloned()
        {
            let mut kinds = match kind {
                Json::Array(kinds) => kinds,
                single => vec![single],
            };
            kinds.push(json!("null"));
            schema["type"] = Json::Array(kinds);
        }
        schema
    }
}

/// `.` and the first `scale` digits of the nanoseconds (nothing for scale 0).
fn fraction(nanos: u32, scale: u32) -> String {
    if scale == 0 {
        return String::new();
    }
    let digits = format!("{:09}", nanos % 1_000_000_000);
    format!(".{}", &digits[..scale.min(9) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(type_name: &str, precision: Option<u32>, scale: Option<u32>) -> ResultColumn {
        ResultColumn {
            name: "C".into(),
            kind: ColumnType::from_name(type_name),
            precision,
            scale,
            nullable: false,
        }
    }

    fn render(type_name: &str, scale: u32, raw: &str) -> Json {
        column(type_name, None, Some(scale)).render(raw).unwrap()
    }

    #[test]
    fn renders_typed_values() {
        let fixed = |precision, scale, raw| {
            column("fixed", Some(precision), Some(scale))
                .render(raw)
                .unwrap()
        };
        assert_eq!(fixed(9, 0, "-42"), json!(-42));
        assert_eq!(
            fixed(38, 0, "12345678901234567890123456789012345678"),
            json!("12345678901234567890123456789012345678")
        );
        assert_eq!(fixed(10, 4, "12.5000"), json!("12.5000"));
        assert_eq!(render("decfloat", 0, "1.5E+40"), json!("1.5E+40"));
        assert_eq!(render("real", 0, "1.5"), json!(1.5));
        assert_eq!(render("boolean", 0, "true"), json!(true));
        assert_eq!(render("date", 0, "20735"), json!("2026-10-09"));
        assert_eq!(render("date", 0, "-25567"), json!("1900-01-01"));
        assert_eq!(
            render("time", 9, "45296.123456789"),
            json!("12:34:56.123456789")
        );
        assert_eq!(render("time", 0, "45296.5"), json!("12:34:56"));
        assert_eq!(
            render("timestamp_ntz", 9, "1791549296.123456789"),
            json!("2026-10-09T12:34:56.123456789")
        );
        assert_eq!(
            render("timestamp_ltz", 3, "1780573702.603"),
            json!("2026-06-04T11:48:22.603Z")
        );
        assert_eq!(
            render("timestamp_tz", 9, "1791524096.123456789 1860"),
            json!("2026-10-09T12:34:56.123456789+07:00")
        );
        assert_eq!(
            render("timestamp_tz", 0, "1616173619 960"),
            json!("2021-03-19T09:06:59-08:00")
        );
        assert_eq!(
            render("timestamp_ntz", 1, "-0.5"),
            json!("1969-12-31T23:59:59.5")
        );
        assert_eq!(render("variant", 0, "{\n  \"a\": 1\n}"), json!({"a": 1}));
        assert_eq!(
            render("array", 0, "[\n  1,\n  \"undefined\",\n  undefined\n]"),
            json!([1, "undefined", null])
        );
        assert_eq!(
            render("vector", 0, "[1.000000,2.500000]"),
            json!([1.0, 2.5])
        );
        assert_eq!(render("binary", 0, "DEADBEEF"), json!("DEADBEEF"));
        assert_eq!(render("geography_v9", 0, "anything"), json!("anything"));
    }

    /// Where the engine's copy of decoding and the client's disagreed, the typed JSON of a record
    /// keeps the engine's rule: it follows the column, never the value.
    #[test]
    fn the_json_of_a_column_does_not_depend_on_the_value() {
        // Snowflake sends the non-finite floats as `NaN`, `inf` and `-inf` (reference §2.6); the
        // record spells them as JavaScript does, as the JSON Schema's `string` alternative allows.
        assert_eq!(render("real", 0, "NaN"), json!("NaN"));
        assert_eq!(render("real", 0, "inf"), json!("Infinity"));
        assert_eq!(render("real", 0, "-inf"), json!("-Infinity"));
        // NUMBER(38, 0) may exceed what a double holds: always text, even for a small value
        // (the client's `to_json` would give 42 here and text for a larger value).
        let wide = column("fixed", Some(38), Some(0));
        assert_eq!(wide.render("42").unwrap(), json!("42"));
        assert_eq!(wide.json_schema(true), json!({"type": "string"}));
        // NUMBER(10, 2) is text with its scale, even when the value is whole.
        assert_eq!(
            column("fixed", Some(10), Some(2)).render("12.00").unwrap(),
            json!("12.00")
        );
        // Fractions have the column's scale in digits (recorded CREATED_AT of query-results).
        assert_eq!(
            render("timestamp_ntz", 9, "1780548544.065000000"),
            json!("2026-06-04T04:49:04.065000000")
        );
    }

    #[test]
    fn decoding_errors_do_not_carry_the_value() {
        let error = column("date", None, None)
            .render("secret-value")
            .unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
        assert!(column("fixed", Some(5), Some(0)).render("1.5").is_err());
        assert!(column("time", None, Some(0)).render("90000").is_err());
        assert!(column("variant", None, None).render("{").is_err());
    }

    #[test]
    fn column_schemas() {
        let nullable = |mut column: ResultColumn| {
            column.nullable = true;
            column
        };
        assert_eq!(
            nullable(column("text", None, None)).json_schema(false),
            json!({"type": ["string", "null"]})
        );
        assert_eq!(
            column("fixed", Some(38), Some(0)).json_schema(false),
            json!({"type": "string"})
        );
        assert_eq!(
            column("fixed", Some(9), Some(0)).json_schema(true),
            json!({"type": "integer"})
        );
        assert_eq!(
            nullable(column("real", None, None)).json_schema(true),
            json!({"type": ["number", "string", "null"]})
        );
        assert_eq!(
            nullable(column("variant", None, None)).json_schema(true),
            json!({})
        );
    }
}
