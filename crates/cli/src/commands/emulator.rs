//! `snowgate emulator` (being built).

/// Arguments of `snowgate emulator`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("snowgate emulator is not built yet")
}
