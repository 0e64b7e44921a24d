//! `snowgate keygen` (being built).

/// Arguments of `snowgate keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("snowgate keygen is not built yet")
}
