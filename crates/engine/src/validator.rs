//! A model's compiled JSON Schema ([`Validator`]) and the field errors of a record that breaks it
//! ([`InvalidRecord`]).
//!
//! A [`Validator`] is compiled once per model (built-in models: [`crate::models::Model::validator`];
//! custom syncs: from the schema derived from their result). A valid record costs one `is_valid` walk;
//! only an invalid one pays for collecting errors. Error messages name the record id and the JSON path
//! of each bad field but never the bad value, so they can be logged and shown without leaking record
//! content. This module is below [`crate::models`] and [`crate::validation`], which both use it.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// How many field errors one [`InvalidRecord`] keeps, and how many examples [`Skipped`] keeps.
pub(crate) const MAX_EXAMPLES: usize = 10;

/// A model's compiled JSON Schema.
pub struct Validator {
    model: String,
    compiled: jsonschema::Validator,
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// A JSON Schema that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("the JSON Schema of model {model} is invalid: {message}")]
pub struct SchemaError {
    /// The model.
    pub model: String,
    /// What is wrong with the schema.
    pub message: String,
}

impl Validator {
    /// Compiles `schema` for `model`.
    pub fn new(model: &str, schema: &Value) -> Result<Self, SchemaError> {
        let compiled = jsonschema::validator_for(schema).map_err(|error| SchemaError {
            model: model.to_owned(),
            message: error.masked().to_string(),
        })?;
        Ok(Self {
            model: model.to_owned(),
            compiled,
        })
    }

    /// The model this validator checks.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Checks one record; `id` only labels the error.
    pub fn check(&self, id: &str, record: &Value) -> Result<(), InvalidRecord> {
        if self.compiled.is_valid(record) {
            return Ok(());
        }
        let fields = self
            .compiled
            .iter_errors(record)
            .take(MAX_EXAMPLES)
            .map(|error| FieldError {
                path: error.instance_path().to_string(),
                message: error.masked().to_string(),
            })
            .collect();
        Err(InvalidRecord {
            model: self.model.clone(),
            id: id.to_owned(),
            fields,
        })
    }
}

/// One field of a record that breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON pointer to the field (`/row_data/AMOUNT`; `""` for the record itself).
    pub path: String,
    /// What is wrong, without the value.
    pub message: String,
}

/// A record that does not match its model's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("record {id:?} of model {model} does not match its schema: {}", describe(.fields))]
pub struct InvalidRecord {
    /// The model.
    pub model: String,
    /// The record id.
    pub id: String,
    /// The bad fields (at most ten).
    pub fields: Vec<FieldError>,
}

fn describe(fields: &[FieldError]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|field| {
            let path = if field.path.is_empty() {
                "(record)"
            } else {
                &field.path
            };
            format!("{path}: {}", field.message)
        })
        .collect();
    parts.join("; ")
}
