//! Sealed secrets: credentials and secret settings at rest, key checks and master-key rotation.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use snowgate_store::{MasterKey, SecretJson, Store, StoreError, setting};

use crate::support::{Ctx, connection, store_tests};

store_tests!(
    credentials_are_sealed_at_rest,
    secret_settings,
    rotation_reseals_everything,
    wrong_master_key_is_refused,
    sealed_values_are_bound_to_their_row,
);

const PRIVATE_KEY: &str =
    "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";

async fn credentials_are_sealed_at_rest(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let conn = connection(store, "c1").await?;
    let credentials = json!({"type": "JWT", "userName": "MYUSER", "privateKey": PRIVATE_KEY});
    store
        .set_credentials(conn.id, &SecretJson::new(&credentials))
        .await?;
    assert_eq!(
        store.credentials(conn.id).await?.unwrap().expose_value(),
        credentials
    );

    let sealed = ctx.raw_bytes("SELECT credentials FROM connections").await?;
    assert_eq!(sealed.len(), 1);
    let needle = b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw";
    assert!(
        !sealed[0].windows(needle.len()).any(|w| w == needle),
        "plaintext in the column"
    );
    if store.backend() == "sqlite" {
        store.close().await;
        for file in ["snowgate.db", "snowgate.db-wal"] {
            let Ok(bytes) = std::fs::read(ctx.data_dir().join(file)) else {
                continue;
            };
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "plaintext in {file}"
            );
            assert!(
                !bytes.windows(6).any(|w| w == b"MYUSER"),
                "user name in {file}"
            );
        }
    }
    assert_eq!(
        format!("{:?}", SecretJson::new(&credentials)),
        "SecretJson([REDACTED])"
    );
    assert!(
        !format!("{:?}", ctx.master_key()).contains(ctx.master_key().to_base64().expose_secret())
    );
    Ok(())
}

async fn secret_settings(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    assert_eq!(store.setting(setting::WEBHOOK_PRIMARY_URL).await?, None);
    store
        .set_setting(
            setting::WEBHOOK_PRIMARY_URL,
            Some("https://app.example/hooks"),
        )
        .await?;
    assert_eq!(
        store
            .setting(setting::WEBHOOK_PRIMARY_URL)
            .await?
            .as_deref(),
        Some("https://app.example/hooks")
    );
    store
        .set_setting(setting::WEBHOOK_PRIMARY_URL, None)
        .await?;
    assert_eq!(store.setting(setting::WEBHOOK_PRIMARY_URL).await?, None);
    assert!(setting::toggle_default(setting::ON_SYNC_ERROR));
    assert!(!setting::toggle_default(setting::ON_CONNECTION_DELETION));

    let first = store
        .secret_setting_or_insert(setting::SECRET_API_KEY, SecretString::from("key-one"))
        .await?;
    let second = store
        .secret_setting_or_insert(setting::SECRET_API_KEY, SecretString::from("key-two"))
        .await?;
    assert_eq!(first.expose_secret(), "key-one");
    assert_eq!(
        second.expose_secret(),
        "key-one",
        "the first stored key wins"
    );
    store
        .set_secret_setting(setting::WEBHOOK_SIGNING_KEY, &SecretString::from("sign-me"))
        .await?;
    assert_eq!(
        store
            .secret_setting(setting::WEBHOOK_SIGNING_KEY)
            .await?
            .unwrap()
            .expose_secret(),
        "sign-me"
    );
    let sealed = ctx
        .raw_bytes("SELECT sealed FROM settings WHERE sealed IS NOT NULL")
        .await?;
    assert!(
        sealed
            .iter()
            .all(|bytes| !bytes.windows(7).any(|w| w == b"sign-me"))
    );
    Ok(())
}

async fn rotation_reseals_everything(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let conn = connection(store, "c1").await?;
    store
        .set_secret_setting(setting::WEBHOOK_SIGNING_KEY, &SecretString::from("sign-me"))
        .await?;
    let next = MasterKey::generate();
    let next_id = next.id();
    let next_copy = MasterKey::from_base64(next.to_base64().expose_secret())?;
    let report = store.rotate_master_key(next).await?;
    // connection credentials, signing key, key check
    assert_eq!(report.resealed, 3);
    assert_eq!(report.key_id, next_id);
    assert!(store.credentials(conn.id).await?.is_some());
    assert_eq!(
        store
            .rotate_master_key(MasterKey::from_base64(
                next_copy.to_base64().expose_secret()
            )?)
            .await?
            .resealed,
        0
    );

    let only_new = ctx.reopen(next_copy, Vec::new()).await?;
    let credentials = only_new.credentials(conn.id).await?.unwrap().expose_value();
    assert!(credentials["privateKey"].as_str().unwrap().ends_with("c1"));
    assert_eq!(
        only_new
            .secret_setting(setting::WEBHOOK_SIGNING_KEY)
            .await?
            .unwrap()
            .expose_secret(),
        "sign-me"
    );
    only_new.close().await;
    match ctx.reopen(ctx.master_key(), Vec::new()).await {
        Err(StoreError::UnknownMasterKey { key_id }) => assert_eq!(key_id, next_id.to_string()),
        other => panic!("the old key must no longer open the database: {other:?}"),
    }
    Ok(())
}

async fn wrong_master_key_is_refused(ctx: Ctx) -> anyhow::Result<()> {
    let error = ctx
        .reopen(MasterKey::generate(), Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::UnknownMasterKey { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("SNOWGATE_ENCRYPTION_KEY"));
    // The old key as a previous key opens it.
    let store = ctx
        .reopen(MasterKey::generate(), vec![ctx.master_key()])
        .await?;
    store.close().await;
    assert!(
        MasterKey::from_base64("c2hvcnQ=")
            .unwrap_err()
            .to_string()
            .contains("32")
    );
    Ok(())
}

async fn sealed_values_are_bound_to_their_row(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let a = connection(store, "a").await?;
    connection(store, "b").await?;
    // Copy b's sealed credentials over a's: opening them as a's must fail.
    let sealed = ctx
        .raw_bytes("SELECT credentials FROM connections WHERE connection_id = 'b'")
        .await?
        .remove(0);
    let cipher = snowgate_store::Cipher::new(&ctx.master_key(), &[]);
    assert!(cipher.open(&sealed, "connection:snowflake-jwt\0b").is_ok());
    assert!(matches!(
        cipher.open(&sealed, "connection:snowflake-jwt\0a"),
        Err(StoreError::Tampered { .. })
    ));
    let mut flipped = sealed.clone();
    *flipped.last_mut().unwrap() ^= 1;
    assert!(matches!(
        cipher.open(&flipped, "connection:snowflake-jwt\0b"),
        Err(StoreError::Tampered { .. })
    ));
    assert!(store.credentials(a.id).await?.is_some());
    Ok(())
}

/// Without `SNOWGATE_ENCRYPTION_KEY` the embedded store generates `master.key` once (private to
/// its owner); processes starting together agree on one key, and later starts reuse it.
#[tokio::test]
async fn generated_master_key_is_created_once() -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir()?;
    let generate =
        |dir: std::path::PathBuf| std::thread::spawn(move || MasterKey::load_or_create(&dir));
    let (first, second) = (
        generate(dir.path().to_owned()),
        generate(dir.path().to_owned()),
    );
    let (first, second) = (first.join().unwrap()?, second.join().unwrap()?);
    assert_eq!(first.id(), second.id(), "one key wins");
    let path = dir.path().join(snowgate_store::secret::MASTER_KEY_FILE);
    assert_eq!(
        std::fs::metadata(&path)?.permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::read_dir(dir.path())?.count(),
        1,
        "no staging files left"
    );

    let store = snowgate_store::connect(snowgate_store::StoreConfig::new(dir.path())).await?;
    let connection = connection(&store, "c1").await?;
    store.close().await;
    let again = snowgate_store::connect(snowgate_store::StoreConfig::new(dir.path())).await?;
    assert!(
        again.credentials(connection.id).await?.is_some(),
        "the file's key opens the database"
    );
    assert_eq!(MasterKey::load_or_create(dir.path())?.id(), first.id());
    Ok(())
}
