//! Run-time validation of records against their model's JSON Schema, and what a sync does with a
//! record that fails.
//!
//! A record is checked by its model's [`Validator`] (see [`crate::validator`]) as it is prepared
//! for the store ([`PreparedRecord`]).
//!
//! A [`RecordProblem`] (a row that cannot be mapped, or a record that does not validate) is handled by
//! the sync's [`ValidationPolicy`]: fail the run (default) or skip the record, counted in [`Skipped`]
//! and logged.

use serde::{Deserialize, Serialize};
use serde_json::{Value, value::RawValue};

use crate::{
    canonical::{self, ContentHash},
    mapping::MapError,
    models::Model,
    validator::{InvalidRecord, MAX_EXAMPLES, Validator},
};

/// A record ready for the store: id, JSON payload (as a value and as canonical JSON text) and
/// content hash.
#[derive(Debug, Clone)]
pub struct PreparedRecord {
    /// The record id (the store's external id).
    pub id: String,
    /// The record as a JSON value (what was validated).
    pub payload: Value,
    /// The same record as canonical JSON text: store this, no need to serialise `payload` again.
    pub json: Box<RawValue>,
    /// SHA-256 of `json`.
    pub hash: ContentHash,
}

impl PartialEq for PreparedRecord {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.hash == other.hash && self.json.get() == other.json.get()
    }
}

impl PreparedRecord {
    /// Serialises, validates and hashes a built-in model's record.
    pub fn from_model<M: Model>(record: &M) -> Result<Self, InvalidRecord> {
        let payload = serde_json::to_value(record).expect("models serialise to JSON");
        M::validator().check(record.id(), &payload)?;
        let json = record.canonical_json(&payload);
        Ok(Self::finish(record.id().to_owned(), payload, json))
    }

    /// Validates and hashes a record built as JSON (custom syncs).
    pub fn from_value(
        id: String,
        payload: Value,
        validator: &Validator,
    ) -> Result<Self, InvalidRecord> {
        validator.check(&id, &payload)?;
        let json = canonical::to_raw(&payload);
        Ok(Self::finish(id, payload, json))
    }

    fn finish(id: String, payload: Value, json: Box<RawValue>) -> Self {
        let hash = ContentHash::of_bytes(json.get().as_bytes());
        Self {
            id,
            payload,
            json,
            hash,
        }
    }
}

/// Why a row did not become a record.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordProblem {
    /// The row could not be mapped to the model.
    #[error(transparent)]
    Unmappable(#[from] MapError),
    /// The record does not match the model's schema.
    #[error(transparent)]
    Invalid(#[from] InvalidRecord),
}

/// What a sync does with a row that does not become a valid record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidationPolicy {
    /// Fail the run; nothing is deleted (the default).
    #[default]
    FailRun,
    /// Leave the record out, count it and log it; the run goes on.
    SkipRecord,
}

/// Records a run left out under [`ValidationPolicy::SkipRecord`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Skipped {
    /// How many records were skipped.
    pub count: u64,
    /// The first few problems, for the run's report.
    pub examples: Vec<RecordProblem>,
}

impl ValidationPolicy {
    /// Applies the policy: a good record passes, a problem either fails the run (`Err`) or is counted
    /// in `skipped` and logged (`Ok(None)`).
    pub fn apply(
        self,
        outcome: Result<PreparedRecord, RecordProblem>,
        skipped: &mut Skipped,
    ) -> Result<Option<PreparedRecord>, RecordProblem> {
        match (outcome, self) {
            (Ok(record), _) => Ok(Some(record)),
            (Err(problem), Self::FailRun) => Err(problem),
            (Err(problem), Self::SkipRecord) => {
                tracing::warn!(reason = %problem, "record skipped");
                skipped.count += 1;
                if skipped.examples.len() < MAX_EXAMPLES {
                    skipped.examples.push(problem);
                }
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::models::{Database, QueryResult};

    fn database() -> Database {
        Database {
            id: "DB".into(),
            name: "DB".into(),
            created_on: Some("1780573702.603".into()),
            kind: None,
            owner: Some(String::new()),
            comment: None,
        }
    }

    #[test]
    fn valid_model_record_is_prepared_with_its_hash() {
        let record = PreparedRecord::from_model(&database()).unwrap();
        assert_eq!(record.id, "DB");
        assert_eq!(
            record.payload,
            json!({"id": "DB", "name": "DB", "created_on": "1780573702.603", "owner": ""})
        );
        assert_eq!(record.hash, canonical::content_hash(&record.payload));
        assert_eq!(
            record.json.get().as_bytes(),
            canonical::to_vec(&record.payload)
        );
    }

    #[test]
    fn invalid_record_names_id_and_path_but_not_the_value() {
        let validator = Database::validator();
        let bad = json!({"id": "DB", "name": "DB", "owner": 42, "comment": "secret-ish text"});
        let error = validator.check("DB", &bad).unwrap_err();
        assert_eq!(error.id, "DB");
        assert_eq!(error.fields.len(), 1);
        assert_eq!(error.fields[0].path, "/owner");
        let message = error.to_string();
        assert!(
            message.contains("record \"DB\" of model Database"),
            "{message}"
        );
        assert!(message.contains("/owner"), "{message}");
        assert!(
            !message.contains("42"),
            "the value must not leak: {message}"
        );

        let missing = validator.check("X", &json!({"id": "X"})).unwrap_err();
        assert!(missing.to_string().contains("(record)"), "{missing}");
    }

    #[test]
    fn null_is_not_accepted_for_an_optional_field() {
        let bad = json!({"id": "DB", "name": "DB", "owner": null});
        assert!(Database::validator().check("DB", &bad).is_err());
    }

    #[test]
    fn custom_validator_checks_dynamic_records() {
        let schema = json!({"type": "object", "properties": {"row_data": {"type": "object",
            "properties": {"AMOUNT": {"type": "integer"}}}}});
        let validator = Validator::new("Order", &schema).unwrap();
        let error = PreparedRecord::from_value(
            "7".into(),
            json!({"id": "7", "row_data": {"AMOUNT": "x"}}),
            &validator,
        )
        .unwrap_err();
        assert_eq!(error.fields[0].path, "/row_data/AMOUNT");
        assert!(Validator::new("Broken", &json!({"type": 12})).is_err());
        let query = QueryResult {
            id: "1".into(),
            row_data: serde_json::Map::new(),
        };
        assert!(PreparedRecord::from_model(&query).is_ok());
    }

    #[test]
    fn policy_fails_or_skips_and_counts() {
        let problem = || {
            RecordProblem::Invalid(InvalidRecord {
                model: "Database".into(),
                id: "X".into(),
                fields: vec![],
            })
        };
        let mut skipped = Skipped::default();
        assert!(
            ValidationPolicy::FailRun
                .apply(Err(problem()), &mut skipped)
                .is_err()
        );
        assert_eq!(skipped.count, 0);
        for _ in 0..12 {
            assert_eq!(
                ValidationPolicy::SkipRecord.apply(Err(problem()), &mut skipped),
                Ok(None)
            );
        }
        assert_eq!(skipped.count, 12);
        assert_eq!(skipped.examples.len(), MAX_EXAMPLES);
        let good = PreparedRecord::from_model(&database()).unwrap();
        assert_eq!(
            ValidationPolicy::default().apply(Ok(good.clone()), &mut skipped),
            Ok(Some(good))
        );
    }
}
