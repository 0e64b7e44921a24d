//! `snowgate jwt`: prints a key-pair JWT, e.g. for
//! `curl -H "Authorization: Bearer $(snowgate jwt …)" -H "X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT"`.

use std::time::Duration;

use snowgate_snowflake::{ExposeSecret as _, TokenSource};

use super::key_input::Connection;

/// Arguments of `snowgate jwt`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    connection: Connection,
    /// How long the token is valid, in minutes (2 to 59).
    #[arg(long, default_value_t = 59, value_parser = clap::value_parser!(u64).range(2..=59))]
    minutes: u64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let (account, key) = args.connection.load()?;
    let tokens = TokenSource::new(key, &account, &args.connection.user)?
        .with_lifetime(Duration::from_secs(args.minutes * 60));
    let token = tokens.token()?;
    // The claims go to stderr so that stdout holds only the token.
    eprintln!(
        "iss={} sub={} valid for {} minutes; send it to {}",
        tokens.issuer(),
        tokens.subject(),
        args.minutes,
        account.base_url()
    );
    println!("{}", token.expose_secret());
    Ok(())
}
