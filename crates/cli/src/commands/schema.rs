//! `snowgate schema`: the JSON Schemas of the built-in models, the actions and the webhook
//! payloads, or (`--typescript`) TypeScript declarations of them, for apps' end-to-end types.
//! With `--config`, the custom actions of that file too. Custom syncs' models (derived from their
//! result's columns) are served by a running server at `GET /schemas`.

use std::path::PathBuf;

use anyhow::Context as _;
use snowgate_engine::catalog::SYNCS;
use snowgate_server::{config::Config, schema};

/// Arguments of `snowgate schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write TypeScript declarations instead of JSON Schema.
    #[arg(long)]
    typescript: bool,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Include the custom actions of this configuration file (as `serve --config` reads it).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let engine = match &args.config {
        Some(path) => {
            Config::load(Some(path))
                .map_err(|error| anyhow::anyhow!("{error}"))?
                .engine
        }
        None => Default::default(),
    };
    let document = schema::document(
        SYNCS.iter().map(|sync| (sync.model, (sync.model_schema)())),
        &snowgate_engine::action_listing(&engine),
    );
    let text = if args.typescript {
        schema::typescript(&document)
    } else {
        serde_json::to_string_pretty(&document)? + "\n"
    };
    match args.out {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}
