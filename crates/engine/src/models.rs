//! The records of the eight built-in syncs, with Nango's field names, types and optionality.
//!
//! `Option` fields are left out of the JSON when `None` (Nango's `undefined`); the only field written as
//! `null` is `Table.rows`/`Table.bytes`, whose keys Nango always sends. Each model's JSON Schema is
//! generated from its type ([`Model::model_schema`]) and compiled once into its [`Validator`]
//! ([`Model::validator`]).
//!
//! The fields of the flat models are declared in byte order of their names, so serialising a record
//! directly yields its canonical JSON ([`crate::canonical`]) with no intermediate tree: the cheap path
//! of [`Model::canonical_json`]. Key order has no meaning in JSON (Nango itself serves records from
//! PostgreSQL `jsonb`, which reorders keys).

use std::{fmt, sync::OnceLock};

use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings, json_schema};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value, value::RawValue};

use crate::{canonical, validator::Validator};

/// A record type that a sync saves.
pub trait Model: Serialize + JsonSchema {
    /// The model name (`Database`, `Column`, …) as it appears in the records API and webhooks.
    const NAME: &'static str;

    /// The record id (see [`crate::ids`]).
    fn id(&self) -> &str;

    /// The model's JSON Schema (draft 2020-12), generated from the type.
    fn model_schema() -> Value {
        schema_for::<Self>()
    }

    /// The model's compiled validator, built on first use.
    fn validator() -> &'static Validator;

    /// The record's canonical JSON; `payload` is the record as a JSON value.
    fn canonical_json(&self, payload: &Value) -> Box<RawValue> {
        canonical::to_raw(payload)
    }
}

/// Generates the draft 2020-12 JSON Schema describing how `T` serialises.
///
/// Optional fields are described by their value type alone (a field that is absent is fine, one that
/// is `null` is not), as Nango's zod `.optional()` models are.
pub fn schema_for<T: JsonSchema + ?Sized>() -> Value {
    let mut schema = SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    strip_null_from_optional(&mut schema);
    schema
}

/// Removes `"null"` from the types of properties that are not `required` (schemars describes every
/// `Option<T>` as `T | null`; ours are skipped when `None`, never written as `null`).
fn strip_null_from_optional(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let required: Vec<String> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            if !required.contains(name)
                && let Some(Value::Array(types)) = property.get_mut("type")
            {
                types.retain(|t| t != "null");
                if let [single] = types.as_slice() {
                    let single = single.clone();
                    property["type"] = single;
                }
            }
            strip_null_from_optional(property);
        }
    }
}

/// A number as JavaScript's `Number()` produces it: Nango's numeric fields hold these.
///
/// Serialises as a JSON integer when it is a whole number that `f64` holds exactly (|n| ≤ 2^53), as
/// `JSON.stringify` would print it; otherwise as a float. Non-finite values (`NaN`, which `Number()`
/// gives for text that is not a number) serialise as `null`, like `JSON.stringify`.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub struct JsNumber(pub f64);

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

impl JsNumber {
    /// JavaScript's `Number(text)`: surrounding whitespace ignored, `""` is 0, `0x`/`0o`/`0b` prefixes
    /// and `Infinity` accepted, anything else that is not a decimal literal is `NaN`.
    pub fn parse(text: &str) -> Self {
        let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if text.is_empty() {
            return Self(0.0);
        }
        let radix = |prefix: &str, radix: u32| {
            let digits = text
                .strip_prefix(prefix)
                .or_else(|| text.strip_prefix(&prefix.to_uppercase()))?;
            // Big hex values lose precision like JavaScript's do; u128 covers any realistic SHOW value.
            u128::from_str_radix(digits, radix).ok().map(|n| n as f64)
        };
        if let Some(value) = radix("0x", 16)
            .or_else(|| radix("0o", 8))
            .or_else(|| radix("0b", 2))
        {
            return Self(value);
        }
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        let value = if unsigned == "Infinity" {
            Some(f64::INFINITY)
        } else if is_decimal_literal(unsigned) {
            unsigned.parse::<f64>().ok()
        } else {
            None
        };
        match value {
            Some(v) if text.starts_with('-') => Self(-v),
            Some(v) => Self(v),
            None => Self(f64::NAN),
        }
    }

    /// `Some` unless the value is `NaN` or infinite.
    pub fn finite(self) -> Option<Self> {
        self.0.is_finite().then_some(self)
    }
}

/// Digits with at most one `.` and an optional exponent: JavaScript's StrUnsignedDecimalLiteral
/// (Rust's float parser also takes `inf`, `nan` and friends, which `Number()` does not).
fn is_decimal_literal(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

impl fmt::Debug for JsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for JsNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.0;
        if !value.is_finite() {
            serializer.serialize_none()
        } else if value.fract() == 0.0 && value.abs() <= MAX_SAFE_INTEGER {
            // `as` is exact here: the value is whole and within ±2^53.
            serializer.serialize_i64(value as i64)
        } else {
            serializer.serialize_f64(value)
        }
    }
}

impl<'de> serde::Deserialize<'de> for JsNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(Self)
    }
}

impl JsonSchema for JsNumber {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "number".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
        json_schema!({"type": "number"})
    }
}

macro_rules! model {
    ($type:ty, $name:literal) => {
        model!($type, $name, {});
    };
    // A model without nested objects whose fields are declared in byte order: serialising it
    // directly is canonical (checked by `flat_models_serialise_canonically`).
    ($type:ty, $name:literal, flat) => {
        model!($type, $name, {
            fn canonical_json(&self, _: &Value) -> Box<RawValue> {
                serde_json::value::to_raw_value(self).expect("models serialise to JSON")
            }
        });
    };
    ($type:ty, $name:literal, { $($canonical:tt)* }) => {
        impl Model for $type {
            const NAME: &'static str = $name;

            fn id(&self) -> &str {
                &self.id
            }

            fn validator() -> &'static Validator {
                static VALIDATOR: OnceLock<Validator> = OnceLock::new();
                VALIDATOR.get_or_init(|| {
                    Validator::new($name, &Self::model_schema())
                        .expect("generated model schemas are valid")
                })
            }

            $($canonical)*
        }
    };
}

/// A database (`SHOW DATABASES`). `""` values are kept; only NULL is omitted.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Database {
    /// The comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Creation time, epoch seconds as Snowflake sends them (`"1780573702.603"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_on: Option<String>,
    /// The database name.
    pub id: String,
    /// `STANDARD`, `APPLICATION`, `IMPORTED DATABASE`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The database name.
    pub name: String,
    /// The owning role (`""` for system databases).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}
model!(Database, "Database", flat);

/// A schema (`SHOW SCHEMAS IN DATABASE`). `""` values are omitted.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Schema {
    /// The comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Creation time, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_on: Option<String>,
    /// The database name.
    pub database_name: String,
    /// `DATABASE/SCHEMA`.
    pub id: String,
    /// The schema name.
    pub name: String,
    /// Time Travel retention in days, as text (`"1"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_time: Option<String>,
    /// The owning role (SHOW's `owner`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_owner: Option<String>,
}
model!(Schema, "Schema", flat);

/// A table (`SHOW TABLES IN SCHEMA`). `""` values are omitted; `rows` and `bytes` are always present.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Table {
    /// Size in bytes, `null` when Snowflake reports none.
    pub bytes: Option<JsNumber>,
    /// `"ON"` or `"OFF"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_tracking: Option<String>,
    /// The database name.
    pub database_name: String,
    /// `DATABASE/SCHEMA/TABLE`.
    pub id: String,
    /// `"Y"` or `"N"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_external: Option<String>,
    /// `"Y"` or `"N"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_iceberg: Option<String>,
    /// The table name.
    pub name: String,
    /// The owning role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Row count, `null` when Snowflake reports none.
    pub rows: Option<JsNumber>,
    /// The schema name.
    pub schema_name: String,
}
model!(Table, "Table", flat);

/// A table column (`SHOW COLUMNS`). `""` values are omitted.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Column {
    /// e.g. `IDENTITY START 1 INCREMENT 1 NOORDER`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoincrement: Option<String>,
    /// The column name.
    pub column_name: String,
    /// The comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The raw `data_type` JSON text, e.g. `{"type":"FIXED","precision":38,"scale":0,"nullable":false}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// `byteLength` of `data_type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type_byte_length: Option<JsNumber>,
    /// `length` of `data_type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type_length: Option<JsNumber>,
    /// `precision` of `data_type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type_precision: Option<JsNumber>,
    /// `scale` of `data_type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type_scale: Option<JsNumber>,
    /// `type` of `data_type` (`FIXED`, `TEXT`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type_type: Option<String>,
    /// The database name.
    pub database_name: String,
    /// The default expression (SHOW's `default`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// The expression of a virtual column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// `DATABASE.SCHEMA.TABLE.COLUMN`.
    pub id: String,
    /// `COLUMN`, `VIRTUAL_COLUMN`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `nullable` of `data_type` (not SHOW's `null?` column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nullable: Option<bool>,
    /// 1-based position of the column in its table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordinal_position: Option<u32>,
    /// The schema name.
    pub schema_name: String,
    /// The table name.
    pub table_name: String,
}
model!(Column, "Column", flat);

/// A view (`SHOW VIEWS IN SCHEMA`). `""` values are kept; only NULL is omitted.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct View {
    /// `"ON"` or `"OFF"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_tracking: Option<String>,
    /// The comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The database name.
    pub database_name: String,
    /// `DATABASE.SCHEMA.VIEW`.
    pub id: String,
    /// The string `"true"` or `"false"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_materialized: Option<String>,
    /// The string `"true"` or `"false"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_secure: Option<String>,
    /// The view name.
    pub name: String,
    /// The owning role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The schema name.
    pub schema_name: String,
    /// The view's DDL (`""` for secure views the role does not own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}
model!(View, "View", flat);

/// A role (`SHOW ROLES`). `""` strings are omitted; a `""` count is 0.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Role {
    /// Number of users it is granted to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to_users: Option<JsNumber>,
    /// The comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Creation time, epoch seconds.
    pub created_on: String,
    /// Number of roles granted to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_roles: Option<JsNumber>,
    /// Number of roles it is granted to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_to_roles: Option<JsNumber>,
    /// The role name.
    pub id: String,
    /// Whether it is the session's current role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_current: Option<bool>,
    /// Whether it is the user's default role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    /// Whether the current role inherits it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_inherited: Option<bool>,
    /// The role name.
    pub name: String,
    /// The owning role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}
model!(Role, "Role", flat);

/// A user (`SHOW USERS`). No `name` or `created_on` field (the id is the name); `""` is kept.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct User {
    /// The default role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_role: Option<String>,
    /// The default warehouse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_warehouse: Option<String>,
    /// Whether the user is disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// The display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The first name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Whether the user has a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_password: Option<bool>,
    /// Whether the user has an RSA public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_rsa_public_key: Option<bool>,
    /// The user name.
    pub id: String,
    /// The last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Last successful login, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success_login: Option<String>,
    /// The login name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_name: Option<String>,
}
model!(User, "User", flat);

/// One row of a `query-results` query.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct QueryResult {
    /// The id column's value (several id columns: see [`crate::ids::composite_id`]).
    pub id: String,
    /// Column name → value: the raw jsonv2 string or `null` (typed mode: the decoded JSON value).
    pub row_data: Map<String, Value>,
}
model!(QueryResult, "QueryResult");

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn number_follows_javascript() {
        let cases: &[(&str, Option<f64>)] = &[
            ("1", Some(1.0)),
            ("", Some(0.0)),
            ("  42 ", Some(42.0)),
            ("-1.5e3", Some(-1500.0)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("+7", Some(7.0)),
            ("0x1F", Some(31.0)),
            ("0b101", Some(5.0)),
            ("Infinity", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("inf", None),
            ("NaN", None),
            ("1_000", None),
            ("12abc", None),
            (".", None),
            ("1e", None),
            ("--1", None),
        ];
        for (text, expected) in cases {
            let parsed = JsNumber::parse(text).0;
            match expected {
                Some(value) => assert_eq!(parsed, *value, "Number({text:?})"),
                None => assert!(parsed.is_nan(), "Number({text:?}) = {parsed}"),
            }
        }
    }

    #[test]
    fn number_serialises_like_json_stringify() {
        let json = |n: f64| serde_json::to_string(&JsNumber(n)).unwrap();
        assert_eq!(json(1536.0), "1536");
        assert_eq!(json(-0.0), "0");
        assert_eq!(json(1.5), "1.5");
        assert_eq!(json(f64::NAN), "null");
        assert_eq!(json(9_007_199_254_740_992.0), "9007199254740992");
        // Beyond 2^53 JavaScript would print 12345678901234567000: the same number.
        let big: f64 = serde_json::from_str(&json(12_345_678_901_234_567_890.0)).unwrap();
        assert_eq!(big, 12_345_678_901_234_567_890.0);
    }

    #[test]
    fn schemas_describe_optional_fields_without_null() {
        let schema = Database::model_schema();
        assert_eq!(schema["properties"]["owner"]["type"], "string");
        assert_eq!(schema["required"], json!(["id", "name"]));
        let table = Table::model_schema();
        assert_eq!(
            table["properties"]["rows"]["type"],
            json!(["number", "null"])
        );
        assert!(
            table["required"]
                .as_array()
                .unwrap()
                .contains(&json!("rows"))
        );
        let column = Column::model_schema();
        assert_eq!(column["properties"]["nullable"]["type"], "boolean");
        assert_eq!(column["properties"]["data_type_scale"]["type"], "number");
        let result = QueryResult::model_schema();
        assert_eq!(result["properties"]["row_data"]["type"], "object");
    }

    /// Every field set, so that every key takes part in the order.
    fn full_records() -> Vec<(Value, Box<RawValue>)> {
        fn pair<M: Model>(record: M) -> (Value, Box<RawValue>) {
            let value = serde_json::to_value(&record).unwrap();
            let json = record.canonical_json(&value);
            (value, json)
        }
        let text = || Some("x".to_owned());
        let number = || Some(JsNumber(1.0));
        vec![
            pair(Database {
                id: "D".into(),
                name: "D".into(),
                created_on: text(),
                kind: text(),
                owner: text(),
                comment: text(),
            }),
            pair(Schema {
                id: "D/S".into(),
                database_name: "D".into(),
                name: "S".into(),
                created_on: text(),
                schema_owner: text(),
                comment: text(),
                retention_time: text(),
            }),
            pair(Table {
                id: "D/S/T".into(),
                name: "T".into(),
                database_name: "D".into(),
                schema_name: "S".into(),
                rows: number(),
                bytes: number(),
                is_external: text(),
                is_iceberg: text(),
                change_tracking: text(),
                owner: text(),
            }),
            pair(Column {
                id: "D.S.T.C".into(),
                database_name: "D".into(),
                schema_name: "S".into(),
                table_name: "T".into(),
                column_name: "C".into(),
                ordinal_position: Some(1),
                data_type: text(),
                data_type_type: text(),
                data_type_precision: number(),
                data_type_scale: number(),
                data_type_byte_length: number(),
                data_type_length: number(),
                nullable: Some(true),
                default_value: text(),
                kind: text(),
                expression: text(),
                comment: text(),
                autoincrement: text(),
            }),
            pair(View {
                id: "D.S.V".into(),
                name: "V".into(),
                database_name: "D".into(),
                schema_name: "S".into(),
                text: text(),
                is_secure: text(),
                is_materialized: text(),
                change_tracking: text(),
                owner: text(),
                comment: text(),
            }),
            pair(Role {
                id: "R".into(),
                name: "R".into(),
                is_default: Some(true),
                is_current: Some(false),
                is_inherited: Some(true),
                assigned_to_users: number(),
                granted_to_roles: number(),
                granted_roles: number(),
                created_on: "1".into(),
                owner: text(),
                comment: text(),
            }),
            pair(User {
                id: "U".into(),
                login_name: text(),
                email: text(),
                first_name: text(),
                last_name: text(),
                display_name: text(),
                default_role: text(),
                default_warehouse: text(),
                disabled: Some(false),
                has_password: Some(true),
                has_rsa_public_key: Some(true),
                last_success_login: text(),
            }),
            pair(QueryResult {
                id: "1".into(),
                row_data: serde_json::from_str(r#"{"Z": "1", "A": null, "M": "x"}"#).unwrap(),
            }),
        ]
    }

    #[test]
    fn flat_models_serialise_canonically() {
        for (value, json) in full_records() {
            assert_eq!(json.get().as_bytes(), canonical::to_vec(&value), "{value}");
        }
    }

    #[test]
    fn optional_fields_are_skipped_when_none() {
        let user = User {
            id: "ALICE".into(),
            login_name: Some(String::new()),
            email: None,
            first_name: None,
            last_name: None,
            display_name: None,
            default_role: None,
            default_warehouse: None,
            disabled: Some(false),
            has_password: None,
            has_rsa_public_key: None,
            last_success_login: None,
        };
        assert_eq!(
            serde_json::to_value(&user).unwrap(),
            json!({"id": "ALICE", "login_name": "", "disabled": false})
        );
    }
}
