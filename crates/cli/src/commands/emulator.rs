//! `snowgate emulator`: a local Snowflake (SQL API v2 with key-pair JWT authentication) for
//! scripts, CI and first steps. Everything it does goes through `snowgate_emulator`'s library API.

use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use anyhow::{Context, bail};
use snowgate_emulator::{
    Account, AccountNames, Config, Emulator, GeneratedKey, account::GenerateSpec,
};

/// Arguments of `snowgate emulator` (boxed: they are many, and the command enum stays small).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    options: Box<Options>,
}

#[derive(Debug, clap::Args)]
struct Options {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8900")]
    listen: SocketAddr,
    /// The account in org-account form (`MYORG-MYACCOUNT`); JWTs may name it or the locator.
    #[arg(long, default_value = "SNOWGATE-EMULATOR")]
    account: String,
    /// The account locator, also accepted in JWTs.
    #[arg(long, default_value = "SG00001")]
    locator: String,
    /// A user and the file of its public key (`-----BEGIN PUBLIC KEY-----`); repeatable.
    /// Without any, a demo user with a fresh key pair is created.
    #[arg(long = "user", value_name = "NAME=PUBLIC_KEY_PEM_FILE")]
    users: Vec<String>,
    /// A seed file to load at start, SQL (`.sql`) or TOML (`.toml`); repeatable, in order.
    #[arg(long = "seed", value_name = "FILE")]
    seeds: Vec<PathBuf>,
    /// Generate a large deterministic account, e.g.
    /// `databases=20,schemas=50,tables=100,columns=20,users=100,roles=50,seed=42`.
    #[arg(long, value_name = "SPEC")]
    generate: Option<String>,
    /// Load the demo shop (DEMO_DB: customers, products, orders, views, roles).
    #[arg(long)]
    demo: bool,
    /// Serve HTTPS with a self-signed certificate (written next to the demo key).
    #[arg(long)]
    tls: bool,
    /// Where the demo user's key pair (and the TLS certificate) are written.
    #[arg(long, value_name = "DIR")]
    key_dir: Option<PathBuf>,
    /// Seconds a POST waits for its statement before answering 202 (Snowflake: 45).
    #[arg(long, default_value_t = 45)]
    sync_wait: u64,
    /// Target bytes of a result's first partition (later ones grow); small values force many.
    #[arg(long, default_value_t = 100_000)]
    partition_size: usize,
    /// The bearer token of the admin endpoints (default: random, printed at start).
    #[arg(long, env = "SNOWGATE_EMULATOR_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

/// The demo user created when no `--user` is given.
const DEMO_USER: &str = "DEMO";

pub async fn run(args: Args) -> anyhow::Result<()> {
    let args = *args.options;
    let Some((organization, account_name)) = args
        .account
        .to_uppercase()
        .split_once('-')
        .map(|(organization, account)| (organization.to_owned(), account.to_owned()))
    else {
        bail!(
            "--account {} is not in org-account form; write it as MYORG-MYACCOUNT",
            args.account
        );
    };
    let users = args
        .users
        .iter()
        .map(|spec| parse_user(spec))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let key_dir = args
        .key_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("snowgate-emulator"));

    let names = AccountNames {
        locator: args.locator.to_uppercase(),
        organization,
        account_name,
    };
    // The whole account is loaded before the port opens: a client that connects as soon as it
    // can must never see it empty or half-seeded.
    let account = Account::new(names.clone());
    if args.demo {
        account.load_demo().context("loading the demo account")?;
    }
    if let Some(spec) = &args.generate {
        let spec =
            GenerateSpec::from_str(spec).map_err(|e| anyhow::anyhow!("--generate {spec}: {e}"))?;
        let started = std::time::Instant::now();
        account.generate(&spec).context("generating the account")?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "account generated"
        );
    }
    // Users first, so that seeds can grant them roles.
    for (name, pem) in &users {
        account
            .add_user(name, pem)
            .with_context(|| format!("--user {name}"))?;
    }
    for seed in &args.seeds {
        account
            .load_seed_file(seed)
            .with_context(|| format!("loading seed {}", seed.display()))?;
    }
    let demo_key = if users.is_empty() {
        let key = GeneratedKey::generate()?;
        account.add_user(DEMO_USER, &key.public_key_pem)?;
        account.admin(&format!(
            "GRANT ROLE ACCOUNTADMIN TO USER {DEMO_USER}; ALTER USER {DEMO_USER} SET DEFAULT_ROLE = ACCOUNTADMIN"
        ))?;
        let private_key = write_demo_key(&key_dir, &key)?;
        Some((key, private_key))
    } else {
        None
    };

    let emulator = Emulator::serve(
        Config {
            listen: args.listen,
            account: names,
            partition_size: args.partition_size,
            sync_wait: Duration::from_secs(args.sync_wait),
            tls: args.tls,
            admin_token: args.admin_token.clone(),
            ..Config::default()
        },
        account,
    )
    .await?;
    let account = emulator.account();
    println!("Snowflake emulator ready on {}", emulator.url());
    println!(
        "account: {} (locator {})",
        emulator.account_identifier(),
        account.names().locator
    );
    println!("admin token: {}", emulator.admin_token());
    if let Some(certificate) = emulator.certificate() {
        std::fs::create_dir_all(&key_dir)?;
        let path = key_dir.join("emulator-cert.pem");
        std::fs::write(&path, &certificate.pem)?;
        println!(
            "TLS certificate: {} ({})",
            path.display(),
            certificate.sha256_fingerprint
        );
    }
    if let Some((key, private_key)) = demo_key {
        println!(
            "demo user: {DEMO_USER} (key fingerprint {})",
            key.fingerprint
        );
        println!("private key: {}", private_key.display());
        println!();
        println!("Connect with:");
        println!(
            "  snowgate sql --account {} --user {DEMO_USER} --private-key {} --base-url {} \"SHOW DATABASES\"",
            emulator.account_identifier(),
            private_key.display(),
            emulator.url()
        );
    }
    println!("Press Ctrl-C to stop.");

    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    emulator.shutdown().await;
    Ok(())
}

/// `NAME=PUBLIC_KEY_PEM_FILE` → the name and the file's text.
fn parse_user(spec: &str) -> anyhow::Result<(String, String)> {
    let Some((name, file)) = spec.split_once('=') else {
        bail!("--user {spec}: write it as NAME=PUBLIC_KEY_PEM_FILE");
    };
    let pem = std::fs::read_to_string(file)
        .with_context(|| format!("--user {name}: cannot read the public key file {file}"))?;
    Ok((name.to_owned(), pem))
}

/// Writes the demo key pair (private key readable by the owner only) and returns the private
/// key's path.
fn write_demo_key(dir: &std::path::Path, key: &GeneratedKey) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let private = dir.join("demo_rsa_key.p8");
    let public = dir.join("demo_rsa_key.pub");
    write_private(&private, &key.private_key_pem)?;
    std::fs::write(&public, &key.public_key_pem)
        .with_context(|| format!("writing {}", public.display()))?;
    Ok(private)
}

fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
