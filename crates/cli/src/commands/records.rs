//! `snowgate records`: prints a connection's records of one model in change order — one line per
//! record, or NDJSON with `--json`, each record as the records API serves it (`id` and
//! `_nango_metadata` included).

use std::io::{BufWriter, Write};

use snowgate_store::{Cursor, ModelKey, RecordQuery, Store};

use super::{connections::find, data_dir::DataArgs};

/// Arguments of `snowgate records`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The connection id.
    #[arg(long)]
    connection: String,
    /// The model (`Table`, `Column`, `QueryResult`, a custom sync's model…).
    #[arg(long)]
    model: String,
    /// The variant (default `base`).
    #[arg(long)]
    variant: Option<String>,
    /// Print NDJSON, each record with its `_nango_metadata`.
    #[arg(long)]
    json: bool,
    /// Include deleted records.
    #[arg(long)]
    deleted: bool,
    #[command(flatten)]
    data: DataArgs,
}

/// `_nango_metadata` timestamps: microseconds and `+00:00`.
fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let engine = args.data.open().await?;
    let connection = find(&engine, &args.connection).await?;
    let model = ModelKey::new(&args.model, args.variant.as_deref());
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut cursor: Option<Cursor> = None;
    let mut printed = 0_u64;
    loop {
        let page = engine
            .store()
            .list_records(&RecordQuery {
                connection: connection.id,
                model: &model,
                cursor,
                modified_after: None,
                filter: Default::default(),
                ids: &[],
                limit: 1_000,
            })
            .await?;
        for record in &page.records {
            if record.deleted_at.is_some() && !args.deleted {
                continue;
            }
            if args.json {
                let mut line = Vec::new();
                snowgate_server::write_record(&mut line, record)?;
                line.push(b'\n');
                out.write_all(&line)?;
            } else {
                let payload = record.payload.as_ref().map_or("(pruned)", |p| p.get());
                writeln!(
                    out,
                    "{}\t{}\t{}\t{payload}",
                    record.external_id,
                    record.last_action.as_str(),
                    time(record.last_modified_at)
                )?;
            }
            printed += 1;
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    out.flush()?;
    if printed == 0 && !args.json {
        eprintln!(
            "No {} records for connection {} (the model names are Database, Schema, Table, Column, View, Role, User, QueryResult, and your custom syncs' models).",
            model, args.connection
        );
    }
    Ok(())
}
