//! Private keys and their passphrases on the command line, shared by `jwt` and `sql`, and the
//! connection arguments those two take.
//!
//! A passphrase never comes from an argument (it would show in `ps` and shell history): it comes
//! from `PRIVATE_KEY_PASSPHRASE`, as with Snowflake's own CLI, or from a prompt on the terminal.

use std::{path::PathBuf, sync::Arc};

use anyhow::Context as _;
use snowgate_snowflake::{
    AccountIdentifier, Client, ClientConfig, KeyError, PrivateKey, SecretString,
};

/// The environment variable holding a private key's passphrase.
pub const PASSPHRASE_VARIABLE: &str = "PRIVATE_KEY_PASSPHRASE";

/// Who to connect as.
#[derive(Debug, clap::Args)]
pub struct Connection {
    /// The account identifier, e.g. myorg-myaccount or xy12345.us-east-2.aws (a URL works too).
    #[arg(long, env = "SNOWFLAKE_ACCOUNT")]
    pub account: String,
    /// The user's login name.
    #[arg(long, env = "SNOWFLAKE_USER")]
    pub user: String,
    /// The private key file (PKCS#8, encrypted PKCS#8 or PKCS#1 PEM). An encrypted key's
    /// passphrase comes from PRIVATE_KEY_PASSPHRASE or a prompt.
    #[arg(long, value_name = "FILE", env = "SNOWFLAKE_PRIVATE_KEY_PATH")]
    pub private_key: PathBuf,
}

impl Connection {
    /// The account, the user and the key, checked.
    pub fn load(&self) -> anyhow::Result<(AccountIdentifier, Arc<PrivateKey>)> {
        let account = AccountIdentifier::parse(&self.account)?;
        let key = read_private_key(&self.private_key)?;
        Ok((account, Arc::new(key)))
    }

    /// A client for this connection, adjusted by `configure`.
    pub fn client(
        &self,
        configure: impl FnOnce(ClientConfig) -> ClientConfig,
    ) -> anyhow::Result<Client> {
        let (account, key) = self.load()?;
        Ok(Client::new(configure(ClientConfig::new(
            account,
            self.user.clone(),
            key,
        )))?)
    }
}

/// Reads a private key file, asking for the passphrase if the key is encrypted and
/// `PRIVATE_KEY_PASSPHRASE` is not set.
pub fn read_private_key(path: &std::path::Path) -> anyhow::Result<PrivateKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the private key file {}", path.display()))?;
    let from_environment = std::env::var(PASSPHRASE_VARIABLE)
        .ok()
        .map(SecretString::from);
    let key = match PrivateKey::from_pem(&text, from_environment.as_ref()) {
        Err(KeyError::PassphraseRequired) => {
            let passphrase = prompt(&format!("Passphrase for {}: ", path.display()))?;
            PrivateKey::from_pem(&text, Some(&passphrase))
        }
        other => other,
    };
    key.with_context(|| format!("cannot use the private key in {}", path.display()))
}

/// A new passphrase: `PRIVATE_KEY_PASSPHRASE`, or typed twice at the terminal.
pub fn new_passphrase() -> anyhow::Result<SecretString> {
    if let Ok(passphrase) = std::env::var(PASSPHRASE_VARIABLE) {
        anyhow::ensure!(
            !passphrase.is_empty(),
            "{PASSPHRASE_VARIABLE} is set but empty: set it to the passphrase to encrypt the key with"
        );
        return Ok(SecretString::from(passphrase));
    }
    let first = prompt("Passphrase for the new private key: ")?;
    let second = prompt("The same passphrase again: ")?;
    use snowgate_snowflake::ExposeSecret as _;
    anyhow::ensure!(
        first.expose_secret() == second.expose_secret(),
        "the two passphrases differ; run the command again"
    );
    anyhow::ensure!(
        !first.expose_secret().is_empty(),
        "an empty passphrase encrypts nothing; leave out --encrypt for an unencrypted key"
    );
    Ok(first)
}

fn prompt(text: &str) -> anyhow::Result<SecretString> {
    rpassword::prompt_password(text)
        .map(SecretString::from)
        .with_context(|| {
            format!(
                "cannot ask for the passphrase (no terminal?): set {PASSPHRASE_VARIABLE} instead"
            )
        })
}
