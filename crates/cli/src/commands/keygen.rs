//! `snowgate keygen`: writes an RSA key pair and prints what to run in Snowflake to register it.

use std::{
    fs::OpenOptions,
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::Context as _;
use snowgate_snowflake::{ExposeSecret as _, PrivateKey, SecretString, quote_identifier};

use super::key_input::new_passphrase;

/// Arguments of `snowgate keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write: `<OUT>.p8` (private key) and `<OUT>.pub` (public key).
    #[arg(long, default_value = "rsa_key", value_name = "PATH")]
    out: PathBuf,
    /// Key size in bits: 2048, 3072 or 4096.
    #[arg(long, default_value_t = 2048)]
    bits: usize,
    /// Encrypt the private key (PKCS#8, AES-256); the passphrase comes from
    /// PRIVATE_KEY_PASSPHRASE or is asked for twice.
    #[arg(long)]
    encrypt: bool,
    /// The Snowflake user to print the ALTER USER statement for.
    #[arg(long)]
    user: Option<String>,
    /// Overwrite existing key files.
    #[arg(long)]
    force: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let passphrase = if args.encrypt {
        Some(new_passphrase()?)
    } else {
        None
    };
    let report = generate(&args, passphrase.as_ref())?;
    print!("{report}");
    Ok(())
}

/// Writes the key files (the private one encrypted with `passphrase` if given) and returns
/// what to tell the user.
fn generate(args: &Args, passphrase: Option<&SecretString>) -> anyhow::Result<String> {
    anyhow::ensure!(
        matches!(args.bits, 2048 | 3072 | 4096),
        "--bits must be 2048, 3072 or 4096 (Snowflake needs at least 2048)"
    );
    let private_path = with_suffix(&args.out, "p8");
    let public_path = with_suffix(&args.out, "pub");
    if !args.force {
        for path in [&private_path, &public_path] {
            anyhow::ensure!(
                !path.exists(),
                "{} exists; choose another --out or pass --force to replace it",
                path.display()
            );
        }
    }
    let key = PrivateKey::generate(args.bits)?;
    let private_pem = match passphrase {
        Some(passphrase) => key.to_encrypted_pkcs8_pem(passphrase)?,
        None => key.to_pkcs8_pem(),
    };
    write_file(&private_path, private_pem.expose_secret(), true)?;
    write_file(&public_path, &key.public_key_pem(), false)?;
    let user = args
        .user
        .as_deref()
        .map_or_else(|| "<USER>".to_owned(), user_identifier);
    Ok(format!(
        "Wrote {private} ({kind}; keep it secret) and {public} (public key).\n\
         Fingerprint: {fingerprint}\n\
         \n\
         Register the public key in Snowflake (needs a role that may alter the user):\n\
         \n\
         ALTER USER {user} SET RSA_PUBLIC_KEY='{public_key}';\n\
         \n\
         Then DESC USER {user} shows RSA_PUBLIC_KEY_FP = {fingerprint}.\n",
        private = private_path.display(),
        kind = if passphrase.is_some() {
            "private key, encrypted PKCS#8"
        } else {
            "private key, PKCS#8"
        },
        public = public_path.display(),
        fingerprint = key.fingerprint(),
        public_key = key.public_key_base64(),
    ))
}

/// `rsa_key` → `rsa_key.p8`, keeping any directory and dots in the name.
fn with_suffix(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// The user as ALTER USER names it: a plain name as Snowflake stores it (upper case), anything
/// else quoted exactly.
fn user_identifier(user: &str) -> String {
    let mut chars = user.chars();
    let plain = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        user.to_ascii_uppercase()
    } else {
        quote_identifier(user)
    }
}

fn write_file(path: &Path, contents: &str, private: bool) -> anyhow::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    if private {
        // `mode` applies only to new files; a replaced one keeps its old permissions otherwise.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    fn args(out: &Path) -> Args {
        Args {
            out: out.to_owned(),
            bits: 2048,
            encrypt: false,
            user: Some("alice".into()),
            force: false,
        }
    }

    /// The fingerprint as Snowflake's docs compute it, with openssl.
    fn openssl_fingerprint(public_pem: &Path) -> String {
        let output = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "openssl pkey -pubin -in '{}' -outform DER | openssl dgst -sha256 -binary | openssl enc -base64",
                public_pem.display()
            ))
            .output()
            .expect("openssl must be installed");
        assert!(output.status.success());
        format!(
            "SHA256:{}",
            String::from_utf8(output.stdout).unwrap().trim()
        )
    }

    #[test]
    fn writes_a_key_pair_and_the_statement_to_register_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("rsa_key");
        let report = generate(&args(&out), None).unwrap();
        let private = std::fs::read_to_string(dir.path().join("rsa_key.p8")).unwrap();
        let public = dir.path().join("rsa_key.pub");
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
        let key = PrivateKey::from_pem(&private, None).unwrap();
        assert_eq!(openssl_fingerprint(&public), key.fingerprint().as_str());
        assert!(
            report.contains(&format!("Fingerprint: {}", key.fingerprint())),
            "{report}"
        );
        assert!(
            report.contains(&format!(
                "ALTER USER ALICE SET RSA_PUBLIC_KEY='{}';",
                key.public_key_base64()
            )),
            "{report}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join("rsa_key.p8"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = generate(&args(&out), None).unwrap_err().to_string();
        assert!(again.contains("--force"), "{again}");
        generate(
            &Args {
                force: true,
                ..args(&out)
            },
            None,
        )
        .unwrap();
    }

    #[test]
    fn an_encrypted_key_needs_its_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let passphrase = SecretString::from("correct horse");
        let report = generate(&args(&dir.path().join("enc")), Some(&passphrase)).unwrap();
        assert!(report.contains("encrypted PKCS#8"), "{report}");
        let private = std::fs::read_to_string(dir.path().join("enc.p8")).unwrap();
        assert!(private.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assert!(PrivateKey::from_pem(&private, None).is_err());
        let key = PrivateKey::from_pem(&private, Some(&passphrase)).unwrap();
        assert_eq!(
            openssl_fingerprint(&dir.path().join("enc.pub")),
            key.fingerprint().as_str()
        );
    }

    #[test]
    fn refuses_small_keys_and_quotes_unusual_user_names() {
        let dir = tempfile::tempdir().unwrap();
        let error = generate(
            &Args {
                bits: 1024,
                ..args(&dir.path().join("k"))
            },
            None,
        )
        .unwrap_err();
        assert!(error.to_string().contains("2048"));
        assert_eq!(user_identifier("alice"), "ALICE");
        assert_eq!(
            user_identifier("alice@example.com"),
            "\"alice@example.com\""
        );
        assert_eq!(user_identifier("My \"User\""), "\"My \"\"User\"\"\"");
        assert_eq!(
            with_suffix(Path::new("keys/prod.v2"), "p8"),
            Path::new("keys/prod.v2.p8")
        );
    }
}
