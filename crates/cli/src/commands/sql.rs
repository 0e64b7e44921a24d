//! `snowgate sql` (being built).

/// Arguments of `snowgate sql`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("snowgate sql is not built yet")
}
