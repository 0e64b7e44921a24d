//! The body of `POST /api/v2/statements` (reference §2.2) and the session it opens.

use std::collections::BTreeMap;

use crate::exec::{Bindings, CancelFlag, Session, UserAuth};

/// The request body as Snowflake accepts it; unknown fields (`resultSetMetaData`, …) are ignored.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct StatementRequest {
    pub statement: Option<String>,
    /// Seconds; absent means the account default, `0` the maximum.
    pub timeout: Option<u64>,
    pub database: Option<String>,
    pub schema: Option<String>,
    pub warehouse: Option<String>,
    pub role: Option<String>,
    #[serde(default)]
    pub bindings: Bindings,
    #[serde(default)]
    pub parameters: BTreeMap<String, serde_json::Value>,
}

/// The largest statement timeout, also what `timeout: 0` means (7 days).
pub(crate) const MAX_TIMEOUT_SECONDS: u64 = 604_800;

impl StatementRequest {
    /// `MULTI_STATEMENT_COUNT` from `parameters`, in any case, as a string or a number; `1` when
    /// absent. `None` when present but not a count.
    pub fn statement_count(&self) -> Option<u64> {
        let value = self
            .parameters
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("MULTI_STATEMENT_COUNT"))
            .map(|(_, value)| value);
        match value {
            None => Some(1),
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            Some(_) => None,
        }
    }

    /// The statement's timeout in seconds, if it has one shorter than the maximum.
    pub fn timeout_seconds(&self) -> Option<u64> {
        match self.timeout {
            Some(0) | None => None,
            Some(seconds) => Some(seconds.min(MAX_TIMEOUT_SECONDS)),
        }
    }

    /// The session the statement runs in: the body's context, else the user's defaults.
    /// `role` has already been checked against the user's grants.
    pub fn session(&self, user: &UserAuth, role: String, cancel: CancelFlag) -> Session {
        let (default_database, default_schema) = match user.default_namespace.as_deref() {
            Some(namespace) => match namespace.split_once('.') {
                Some((database, schema)) => (Some(database), Some(schema)),
                None => (Some(namespace), None),
            },
            None => (None, None),
        };
        let database = self.database.as_deref().or(default_database);
        let schema = match (&self.schema, &self.database) {
            (Some(schema), _) => Some(schema.as_str()),
            (None, None) => default_schema,
            // Another database than the default one: its schema is not the default's.
            (None, Some(_)) => None,
        };
        let parameters = self
            .parameters
            .iter()
            .filter(|(key, _)| !key.eq_ignore_ascii_case("MULTI_STATEMENT_COUNT"))
            .map(|(key, value)| {
                let value = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (key.to_uppercase(), value)
            })
            .collect();
        Session {
            user: user.name.clone(),
            role,
            database: database.map(str::to_owned),
            schema: schema.map(str::to_owned),
            warehouse: self
                .warehouse
                .clone()
                .or_else(|| user.default_warehouse.clone()),
            parameters,
            cancel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> StatementRequest {
        serde_json::from_str(body).expect("valid body")
    }

    #[test]
    fn the_statement_count_is_read_in_any_case_and_type() {
        assert_eq!(parse(r#"{"statement":"x"}"#).statement_count(), Some(1));
        for body in [
            r#"{"parameters":{"MULTI_STATEMENT_COUNT":"2"}}"#,
            r#"{"parameters":{"multi_statement_count":2}}"#,
        ] {
            assert_eq!(parse(body).statement_count(), Some(2));
        }
        assert_eq!(
            parse(r#"{"parameters":{"multi_statement_count":"two"}}"#).statement_count(),
            None
        );
    }

    #[test]
    fn the_session_falls_back_to_the_users_defaults() {
        let user = UserAuth {
            name: "ALICE".to_owned(),
            login_name: "ALICE".to_owned(),
            disabled: false,
            rsa_public_key: None,
            rsa_public_key_2: None,
            default_role: None,
            default_warehouse: Some("WH".to_owned()),
            default_namespace: Some("DB.SCH".to_owned()),
        };
        let session = parse(r#"{"parameters":{"timezone":"UTC"}}"#).session(
            &user,
            "PUBLIC".to_owned(),
            CancelFlag::default(),
        );
        assert_eq!(session.database.as_deref(), Some("DB"));
        assert_eq!(session.schema.as_deref(), Some("SCH"));
        assert_eq!(session.warehouse.as_deref(), Some("WH"));
        assert_eq!(
            session.parameters.get("TIMEZONE").map(String::as_str),
            Some("UTC")
        );

        let other = parse(r#"{"database":"OTHER"}"#).session(
            &user,
            "PUBLIC".to_owned(),
            CancelFlag::default(),
        );
        assert_eq!(other.database.as_deref(), Some("OTHER"));
        assert_eq!(other.schema, None);
    }
}
