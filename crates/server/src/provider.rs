//! Provider templates (what the Connect UI builds its form from) and the integration shape the
//! SDK and the Connect UI read. Snowgate knows one provider, `snowflake-jwt`: Nango's definition,
//! with the key field widened to the PEM forms Snowgate accepts (PKCS#1, encrypted PKCS#8 with an
//! optional passphrase).

use chrono::SecondsFormat;
use serde::Serialize;
use serde_json::{Map, Value};
use snowgate_store::Integration;
use utoipa::ToSchema;

/// The one provider Snowgate implements.
pub const SNOWFLAKE_JWT: &str = "snowflake-jwt";

const DEFINITION: &str = include_str!("../assets/snowflake-jwt.json");

/// The logo, served at [`logo_path`].
pub const LOGO_SVG: &str = include_str!("../assets/snowflake-jwt.svg");

/// Where a provider's logo is served.
pub fn logo_path(provider: &str) -> String {
    format!("/images/template-logos/{provider}.svg")
}

/// The provider definitions, as the API serves them.
#[derive(Debug)]
pub struct Providers {
    snowflake_jwt: Value,
}

impl Providers {
    /// The definitions, with logo URLs under `public_url`.
    pub fn new(public_url: &str) -> Self {
        let mut definition: Map<String, Value> =
            serde_json::from_str(DEFINITION).expect("the bundled provider definition is JSON");
        definition.insert("name".into(), SNOWFLAKE_JWT.into());
        definition.insert(
            "logo_url".into(),
            format!(
                "{}{}",
                public_url.trim_end_matches('/'),
                logo_path(SNOWFLAKE_JWT)
            )
            .into(),
        );
        Self {
            snowflake_jwt: Value::Object(definition),
        }
    }

    /// A provider by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        (name == SNOWFLAKE_JWT).then_some(&self.snowflake_jwt)
    }

    /// Providers whose name or display name contains `search` (case-insensitive); all without.
    pub fn search(&self, search: Option<&str>) -> Vec<&Value> {
        let needle = search.unwrap_or("").to_lowercase();
        [&self.snowflake_jwt]
            .into_iter()
            .filter(|provider| {
                ["name", "display_name"].iter().any(|key| {
                    provider[*key]
                        .as_str()
                        .is_some_and(|text| text.to_lowercase().contains(&needle))
                })
            })
            .collect()
    }

    /// A provider's display name.
    pub fn display_name(&self, name: &str) -> Option<&str> {
        self.get(name)?["display_name"].as_str()
    }
}

/// An integration as the API shows it (Nango's `ApiPublicIntegration`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicIntegration {
    /// The provider config key.
    pub unique_key: String,
    /// The provider template.
    pub provider: String,
    /// The display name; the provider's when none is set.
    pub display_name: String,
    /// The provider's logo.
    pub logo: String,
    /// Whether provider webhooks are forwarded (Snowflake sends none).
    pub forward_webhooks: bool,
    /// Creation time, ISO 8601 with `Z`.
    pub created_at: String,
    /// Last change, ISO 8601 with `Z`.
    pub updated_at: String,
    /// Where the provider would send webhooks (`include=webhook`); Snowflake sends none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<Option<String>>,
    /// The integration's app credentials (`include=credentials`); JWT integrations have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Option<Value>>,
}

impl PublicIntegration {
    /// The public form of `integration`.
    pub fn new(integration: &Integration, providers: &Providers, public_url: &str) -> Self {
        Self {
            unique_key: integration.unique_key.clone(),
            provider: integration.provider.clone(),
            display_name: integration
                .display_name
                .clone()
                .or_else(|| {
                    providers
                        .display_name(&integration.provider)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| integration.provider.clone()),
            logo: format!("{public_url}{}", logo_path(&integration.provider)),
            forward_webhooks: false,
            created_at: integration
                .created_at
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            updated_at: integration
                .updated_at
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            webhook_url: None,
            credentials: None,
        }
    }
}
