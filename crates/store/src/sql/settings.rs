//! Environment settings, plain and sealed, the master key check and the master key's rotation.

use secrecy::{ExposeSecret, SecretString};

use super::Backend;
use crate::{
    dialect::{Dialect, KEY_CHECK_SETTING, credentials_context, setting_context},
    error::{Result, StoreError},
    rows::now,
    secret::{Cipher, MasterKey},
    store::RotationReport,
};

const KEY_CHECK_PLAINTEXT: &[u8] = b"snowgate master key check";

/// Fails unless the configured master key opens the database's key check (written
/// on first start).
pub(crate) async fn verify_master_key(store: &Backend) -> Result<()> {
    let cipher = store.cipher();
    let context = setting_context(KEY_CHECK_SETTING);
    let stored: Option<Vec<u8>> = sqlx::query_scalar("SELECT sealed FROM settings WHERE key = $1")
        .bind(KEY_CHECK_SETTING)
        .fetch_optional(store.reader())
        .await?
        .flatten();
    match stored {
        Some(sealed) => cipher.open(&sealed, &context).map(drop),
        None => {
            sqlx::query(
                "INSERT INTO settings (key, sealed, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(KEY_CHECK_SETTING)
            .bind(cipher.seal(KEY_CHECK_PLAINTEXT, &context))
            .bind(now())
            .execute(store.writer())
            .await?;
            Ok(())
        }
    }
}

pub(crate) async fn rotate_master_key(store: &Backend, next: MasterKey) -> Result<RotationReport> {
    let rotated = store.cipher().rotated(&next);
    let key_id = rotated.current_key_id();
    let mut tx = store.begin_write().await?;
    let mut resealed = 0;
    let connections: Vec<(i64, String, String, Vec<u8>)> = sqlx::query_as(
        "SELECT id, integration_key, connection_id, credentials FROM connections \
         WHERE credentials IS NOT NULL",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (id, integration_key, connection_id, sealed) in connections {
        if Cipher::key_id_of(&sealed) == Some(key_id) {
            continue;
        }
        let context = credentials_context(&integration_key, &connection_id);
        let plaintext = rotated.open(&sealed, &context)?;
        sqlx::query("UPDATE connections SET credentials = $1 WHERE id = $2")
            .bind(rotated.seal(plaintext.expose_secret(), &context))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        resealed += 1;
    }
    let settings: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT key, sealed FROM settings WHERE sealed IS NOT NULL")
            .fetch_all(&mut *tx)
            .await?;
    for (key, sealed) in settings {
        if Cipher::key_id_of(&sealed) == Some(key_id) {
            continue;
        }
        let context = setting_context(&key);
        let plaintext = rotated.open(&sealed, &context)?;
        sqlx::query("UPDATE settings SET sealed = $1 WHERE key = $2")
            .bind(rotated.seal(plaintext.expose_secret(), &context))
            .bind(&key)
            .execute(&mut *tx)
            .await?;
        resealed += 1;
    }
    tx.commit().await?;
    store.replace_cipher(rotated);
    tracing::info!(key_id = %key_id, resealed, "re-sealed secrets under a new master key");
    Ok(RotationReport { resealed, key_id })
}

pub(crate) async fn setting(store: &Backend, key: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(store.reader())
            .await?
            .flatten(),
    )
}

pub(crate) async fn set_setting(store: &Backend, key: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(value) => sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             sealed = NULL, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(now()),
        None => sqlx::query("DELETE FROM settings WHERE key = $1").bind(key),
    }
    .execute(store.writer())
    .await?;
    Ok(())
}

pub(crate) async fn secret_setting(store: &Backend, key: &str) -> Result<Option<SecretString>> {
    let sealed: Option<Vec<u8>> = sqlx::query_scalar("SELECT sealed FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(store.reader())
        .await?
        .flatten();
    sealed
        .map(|sealed| store.cipher().open_string(&sealed, &setting_context(key)))
        .transpose()
}

pub(crate) async fn set_secret_setting(
    store: &Backend,
    key: &str,
    value: &SecretString,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, sealed, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET sealed = excluded.sealed, value = NULL, \
         updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(store.cipher().seal_string(value, &setting_context(key)))
    .bind(now())
    .execute(store.writer())
    .await?;
    Ok(())
}

pub(crate) async fn secret_setting_or_insert(
    store: &Backend,
    key: &str,
    candidate: SecretString,
) -> Result<SecretString> {
    sqlx::query(
        "INSERT INTO settings (key, sealed, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(
        store
            .cipher()
            .seal_string(&candidate, &setting_context(key)),
    )
    .bind(now())
    .execute(store.writer())
    .await?;
    secret_setting(store, key)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "secret setting",
            key: key.to_owned(),
        })
}
