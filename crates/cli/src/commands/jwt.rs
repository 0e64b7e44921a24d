//! `snowgate jwt` (being built).

/// Arguments of `snowgate jwt`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("snowgate jwt is not built yet")
}
