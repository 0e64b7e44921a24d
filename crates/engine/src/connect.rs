//! Key-pair connections: reading the posted credentials, checking them against Snowflake,
//! storing them (key normalised to unencrypted PKCS#8, sealed at rest by the store), building a
//! connection's Snowflake client, and re-signing its JWT.
//!
//! Stored credentials keep Nango's shape so that `GET /connections/{id}` answers what Nango
//! answers: `{"type": "JWT", "accountIdentifier", "userName", "privateKey", "token",
//! "expires_at"}` plus any other posted key (Nango spreads the whole body in). The passphrase of
//! an encrypted key is used once to read it and never stored.
//!
//! Where requests go: `connection_config.base_url` when set (a PrivateLink host, a proxy, the
//! emulator), else `https://<connection_config.subdomain>.snowflakecomputing.com` (Nango's
//! template), else the account identifier's own host.

use std::{collections::BTreeMap, sync::Arc};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use snowgate_snowflake::{AccountIdentifier, Client, ClientConfig, PrivateKey};
use snowgate_store::{Connection, ConnectionPk, NewConnection, SecretJson, Store};
use url::Url;
use uuid::Uuid;

use crate::{
    error::{ConnectError, EngineError},
    notify,
    runtime::Runtime,
    sync_control::{self, BASE_VARIANT},
    webhooks::{AuthOperation, WebhookUrl},
};

/// The provider of Snowgate's integrations.
pub const PROVIDER: &str = "snowflake-jwt";
/// A stored token is re-signed when it expires within this margin (Nango's default buffer).
const REFRESH_MARGIN: chrono::Duration = chrono::Duration::minutes(15);

const ACCOUNT: &str = "accountIdentifier";
const USER: &str = "userName";
const KEY: &str = "privateKey";
const PASSPHRASE: &str = "privateKeyPassphrase";

/// A request to create (or overwrite) a key-pair connection.
#[derive(Debug, Clone)]
pub struct CreateConnection {
    /// The integration (provider config key); it must exist.
    pub integration: String,
    /// The connection id; `None` generates a UUID.
    pub connection_id: Option<String>,
    /// Non-secret configuration: `subdomain` (Nango's host part, `<subdomain>.snowflakecomputing.com`)
    /// and `base_url` (Snowgate's override of the whole base URL, e.g. a PrivateLink host or the
    /// emulator).
    pub connection_config: Value,
    /// The credentials as posted: `accountIdentifier`, `userName`, `privateKey` (PKCS#8 plain or
    /// encrypted, or PKCS#1, with literal `\n` accepted), `privateKeyPassphrase` for encrypted keys.
    /// Other keys are kept, as Nango spreads the whole body in.
    pub credentials: SecretJson,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The end user profile of a connect session.
    pub end_user: Option<Value>,
    /// Replaces the environment's webhook URLs for this connection.
    pub webhook_url_override: Option<WebhookUrl>,
    /// Metadata of a new connection (`None`: `{}`); an existing connection keeps its metadata.
    pub metadata: Option<Value>,
    /// A reconnect: the connection must exist, and keeps its id.
    pub reconnect: bool,
}

/// A created or overwritten connection.
#[derive(Debug, Clone)]
pub struct CreatedConnection {
    /// The connection as stored.
    pub connection: Connection,
    /// `true` if it is new (auth webhook `creation`), `false` if it was overwritten (`override`).
    pub created: bool,
}

const TOKEN: &str = "token";
const EXPIRES_AT: &str = "expires_at";

/// Credentials as stored, read back.
pub(crate) struct StoredCredentials {
    document: Map<String, Value>,
    account: AccountIdentifier,
    user: String,
    key: Arc<PrivateKey>,
}

impl StoredCredentials {
    fn read(connection: ConnectionPk, secret: &SecretJson) -> Result<Self, EngineError> {
        let unusable = |reason: String| EngineError::Credentials { connection, reason };
        let Value::Object(document) = secret.expose_value() else {
            return Err(unusable("they are not a JSON object".into()));
        };
        let text = |field: &str| {
            document
                .get(field)
                .and_then(Value::as_str)
                .filter(|value| !value.trim().is_empty())
                .map(str::to_owned)
                .ok_or_else(|| unusable(format!("{field} is missing")))
        };
        let account = AccountIdentifier::parse(&text(ACCOUNT)?)
            .map_err(|error| unusable(error.to_string()))?;
        let user = text(USER)?;
        let key =
            PrivateKey::from_pem(&text(KEY)?, None).map_err(|error| unusable(error.to_string()))?;
        Ok(Self {
            document,
            account,
            user,
            key: Arc::new(key),
        })
    }
}

/// The base URL of a connection's SQL API (see the module documentation).
pub(crate) fn base_url(config: &Value, account: &AccountIdentifier) -> Result<Url, ConnectError> {
    if let Some(base) = config
        .get("base_url")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        let url = Url::parse(base).map_err(|error| ConnectError::Config {
            key: "base_url",
            problem: format!("{base:?} is not a URL ({error}); write e.g. https://xy12345.us-east-1.privatelink.snowflakecomputing.com"),
        })?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(ConnectError::Config {
                key: "base_url",
                problem: format!("{base:?} must be an http(s) URL with a host"),
            });
        }
        return Ok(url);
    }
    if let Some(subdomain) = config
        .get("subdomain")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        let valid = subdomain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !valid {
            return Err(ConnectError::Config {
                key: "subdomain",
                problem: format!(
                    "{subdomain:?} is not a Snowflake host part; write the part before .snowflakecomputing.com, e.g. MYORG-MYACCOUNT"
                ),
            });
        }
        let url = format!(
            "https://{}.snowflakecomputing.com",
            subdomain.to_ascii_lowercase()
        );
        return Url::parse(&url).map_err(|error| ConnectError::Config {
            key: "subdomain",
            problem: format!("{subdomain:?} does not make a valid host ({error})"),
        });
    }
    Ok(account.base_url())
}

fn build_client(
    rt: &Runtime,
    account: AccountIdentifier,
    user: &str,
    key: Arc<PrivateKey>,
    base_url: Url,
) -> Result<Client, snowgate_snowflake::Error> {
    Client::new(
        ClientConfig::new(account, user, key)
            .base_url(base_url)
            .http_client(rt.http().clone()),
    )
}

/// A new Snowflake client for a stored connection (its own request counter).
pub(crate) async fn client_for(
    rt: &Runtime,
    connection: &Connection,
) -> Result<Client, EngineError> {
    let secret = rt
        .store()
        .credentials(connection.id)
        .await?
        .ok_or_else(|| EngineError::Credentials {
            connection: connection.id,
            reason: "none are stored".into(),
        })?;
    let credentials = StoredCredentials::read(connection.id, &secret)?;
    let url = base_url(&connection.connection_config, &credentials.account).map_err(|error| {
        EngineError::Credentials {
            connection: connection.id,
            reason: error.to_string(),
        }
    })?;
    Ok(build_client(
        rt,
        credentials.account,
        &credentials.user,
        credentials.key,
        url,
    )?)
}

/// The connection's Snowflake client, cached and rebuilt when the connection changes (the
/// proxy, actions and credential checks share it; a sync run builds its own, to count its calls).
pub(crate) async fn client(rt: &Runtime, pk: ConnectionPk) -> Result<Client, EngineError> {
    let stored = rt
        .store()
        .connection_by_pk(pk)
        .await?
        .ok_or(EngineError::UnknownConnection(pk))?;
    if let Some((updated_at, client)) = rt.clients().get(&pk)
        && *updated_at == stored.updated_at
    {
        return Ok(client.clone());
    }
    let client = client_for(rt, &stored).await?;
    rt.clients().insert(pk, (stored.updated_at, client.clone()));
    Ok(client)
}

/// `exp` of a JWT, read from its payload (no verification: we signed it).
fn expiry(token: &SecretString) -> Option<DateTime<Utc>> {
    let payload = token.expose_secret().split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    DateTime::from_timestamp(claims.get("exp")?.as_i64()?, 0)
}

fn text_field<'a>(
    document: &'a Map<String, Value>,
    field: &'static str,
    hint: &'static str,
) -> Result<&'a str, ConnectError> {
    document
        .get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or(ConnectError::MissingCredential { field, hint })
}

/// Creates or overwrites a connection (the facade's `create_jwt_connection`).
pub(crate) async fn create(
    rt: &Runtime,
    request: CreateConnection,
) -> Result<CreatedConnection, ConnectError> {
    let store = rt.store();
    if store.integration(&request.integration).await?.is_none() {
        return Err(ConnectError::UnknownIntegration(request.integration));
    }
    let connection_id = request
        .connection_id
        .clone()
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    if request.reconnect
        && store
            .connection(&request.integration, &connection_id)
            .await?
            .is_none()
    {
        return Err(ConnectError::ReconnectTargetMissing(connection_id));
    }

    let Value::Object(mut document) = request.credentials.expose_value() else {
        return Err(ConnectError::MissingCredential {
            field: ACCOUNT,
            hint: "post a JSON object with accountIdentifier, userName and privateKey",
        });
    };
    let account = AccountIdentifier::parse(text_field(
        &document,
        ACCOUNT,
        "the account identifier, e.g. MYORG-MYACCOUNT",
    )?)?;
    let user = text_field(&document, USER, "the Snowflake user's login name")?.to_owned();
    let passphrase = document
        .get(PASSPHRASE)
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .map(|p| SecretString::from(p.to_owned()));
    let key = PrivateKey::from_pem(
        text_field(
            &document,
            KEY,
            "the private key, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----",
        )?,
        passphrase.as_ref(),
    )?;
    let config = match &request.connection_config {
        Value::Null => Value::Object(Map::new()),
        other => other.clone(),
    };
    let url = base_url(&config, &account)?;
    let key = Arc::new(key);
    let client =
        build_client(rt, account, &user, key.clone(), url).map_err(ConnectError::CheckFailed)?;
    client
        .check_credentials()
        .await
        .map_err(ConnectError::CheckFailed)?;
    let token = client.bearer_token().map_err(ConnectError::CheckFailed)?;

    document.remove(PASSPHRASE);
    document.insert("type".into(), Value::String("JWT".into()));
    document.insert(
        KEY.into(),
        Value::String(key.to_pkcs8_pem().expose_secret().to_owned()),
    );
    document.insert(
        TOKEN.into(),
        Value::String(token.expose_secret().to_owned()),
    );
    if let Some(expires_at) = expiry(&token) {
        document.insert(
            EXPIRES_AT.into(),
            Value::String(notify::timestamp(expires_at)),
        );
    }
    let (connection, created) = store
        .upsert_connection(&NewConnection {
            integration_key: request.integration.clone(),
            connection_id,
            connection_config: config,
            metadata: Some(
                request
                    .metadata
                    .unwrap_or_else(|| Value::Object(Map::new())),
            ),
            tags: request.tags,
            end_user: request.end_user,
            webhook_url_override: request.webhook_url_override.map(String::from),
            credentials: SecretJson::new(&Value::Object(document)),
        })
        .await?;
    store.mark_fetched(connection.id, Utc::now()).await?;
    for definition in rt.configured_syncs() {
        sync_control::ensure_sync(rt, connection.id, definition, BASE_VARIANT).await?;
    }
    let operation = if created {
        AuthOperation::Creation
    } else {
        AuthOperation::Override
    };
    let webhooks = notify::auth(rt, &connection, operation, None).await?;
    store.enqueue_deliveries(&webhooks).await?;
    rt.clients().remove(&connection.id);
    tracing::info!(connection.id = %connection.connection_id, integration = %connection.integration_key, ?operation, "connection saved");
    Ok(CreatedConnection {
        connection,
        created,
    })
}

/// Deletes a connection and enqueues its `deletion` webhook (when enabled).
pub(crate) async fn delete(rt: &Runtime, pk: ConnectionPk) -> Result<bool, EngineError> {
    let store = rt.store();
    let Some(connection) = store.connection_by_pk(pk).await? else {
        return Ok(false);
    };
    let webhooks = notify::auth(rt, &connection, AuthOperation::Deletion, None).await?;
    let deleted = store
        .delete_connection(
            &connection.integration_key,
            &connection.connection_id,
            &webhooks,
        )
        .await?;
    rt.clients().remove(&pk);
    Ok(deleted)
}

/// Re-signs the stored JWT when it expires within [`REFRESH_MARGIN`] (or when forced) and returns
/// the credentials.
pub(crate) async fn refresh_token(
    rt: &Runtime,
    pk: ConnectionPk,
    force: bool,
) -> Result<SecretJson, EngineError> {
    let store = rt.store();
    let secret = store
        .credentials(pk)
        .await?
        .ok_or(EngineError::UnknownConnection(pk))?;
    let mut credentials = StoredCredentials::read(pk, &secret)?;
    let stored_expiry = credentials
        .document
        .get(EXPIRES_AT)
        .and_then(Value::as_str)
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.to_utc());
    let now = Utc::now();
    let fresh = stored_expiry.is_some_and(|expiry| expiry - now > REFRESH_MARGIN);
    if force || !fresh {
        let client = client(rt, pk).await?;
        let mut token = client.bearer_token()?;
        if force || expiry(&token).is_none_or(|expiry| expiry - now <= REFRESH_MARGIN) {
            token = client.tokens().renew()?;
        }
        credentials.document.insert(
            TOKEN.into(),
            Value::String(token.expose_secret().to_owned()),
        );
        if let Some(expires_at) = expiry(&token) {
            credentials.document.insert(
                EXPIRES_AT.into(),
                Value::String(notify::timestamp(expires_at)),
            );
        }
        let updated = SecretJson::new(&Value::Object(credentials.document));
        store.set_credentials(pk, &updated).await?;
        store.mark_fetched(pk, now).await?;
        return Ok(updated);
    }
    store.mark_fetched(pk, now).await?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn base_url_prefers_the_override_then_the_subdomain_then_the_account() {
        let account = AccountIdentifier::parse("myorg-myaccount").unwrap();
        assert_eq!(
            base_url(&json!({"base_url": "http://127.0.0.1:9000"}), &account)
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9000/"
        );
        assert_eq!(
            base_url(&json!({"subdomain": "KXOPMLU-RE00572"}), &account)
                .unwrap()
                .as_str(),
            "https://kxopmlu-re00572.snowflakecomputing.com/"
        );
        assert_eq!(
            base_url(&json!({}), &account).unwrap().as_str(),
            "https://myorg-myaccount.snowflakecomputing.com/"
        );
        let error = base_url(&json!({"subdomain": "evil.com/x?"}), &account).unwrap_err();
        assert!(error.to_string().contains("subdomain"), "{error}");
        let error = base_url(&json!({"base_url": "ftp://host"}), &account).unwrap_err();
        assert!(error.to_string().contains("http(s)"), "{error}");
    }

    #[test]
    fn reads_the_expiry_of_a_token() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"iss":"A.B.SHA256:x","exp":1780000000}"#);
        let token = SecretString::from(format!("e30.{payload}.sig"));
        assert_eq!(expiry(&token).unwrap().timestamp(), 1_780_000_000);
        assert_eq!(expiry(&SecretString::from("garbage".to_owned())), None);
    }
}
