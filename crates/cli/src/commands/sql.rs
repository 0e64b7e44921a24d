//! `snowgate sql`: runs one statement through the SQL API v2 and prints the result as it
//! streams in, partition by partition, as an aligned table, JSON or CSV.

use std::{
    io::{BufWriter, Write},
    time::Duration,
};

use snowgate_snowflake::{Client, Columns, Partition, Row, Statement, Value};
use url::Url;

use super::key_input::Connection;

/// Arguments of `snowgate sql`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    connection: Connection,
    // Boxed: the arguments would otherwise dwarf the other subcommands' in `Command`.
    #[command(flatten)]
    context: Box<Context>,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Cancel the statement if it runs longer than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    timeout: u64,
    /// The SQL statement.
    sql: String,
}

/// Where and as whom the statement runs.
#[derive(Debug, clap::Args)]
struct Context {
    /// Send requests here instead of the account's URL (PrivateLink, a proxy, the emulator).
    #[arg(long, value_name = "URL")]
    base_url: Option<Url>,
    /// The role to use (default: the user's default role).
    #[arg(long)]
    role: Option<String>,
    /// The warehouse to use (SHOW commands need none).
    #[arg(long)]
    warehouse: Option<String>,
    /// The current database.
    #[arg(long)]
    database: Option<String>,
    /// The current schema.
    #[arg(long)]
    schema: Option<String>,
}

type Setter = fn(Statement, String) -> Statement;

impl Context {
    fn apply(&self, statement: Statement) -> Statement {
        let set = |statement: Statement, value: &Option<String>, setter: Setter| match value {
            Some(value) => setter(statement, value.clone()),
            None => statement,
        };
        let statement = set(statement, &self.role, Statement::role);
        let statement = set(statement, &self.warehouse, Statement::warehouse);
        let statement = set(statement, &self.database, Statement::database);
        set(statement, &self.schema, Statement::schema)
    }
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns; long cells are shortened (use json or csv for exact values).
    Table,
    /// A JSON array of objects, one row per line: numbers that a double holds exactly as numbers,
    /// other numbers as exact strings, dates and times as ISO 8601, VARIANTs as JSON.
    Json,
    /// CSV with a header row; NULL is an empty field.
    Csv,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let context = &args.context;
    let client = args.connection.client(|config| match &context.base_url {
        Some(url) => config.base_url(url.clone()),
        None => config,
    })?;
    let statement = context.apply(
        Statement::new(args.sql.clone())
            .timeout(Duration::from_secs(args.timeout))
            .wait_timeout(Duration::from_secs(args.timeout)),
    );
    let mut out = BufWriter::new(std::io::stdout());
    let rows = print(&client, &statement, args.format, &mut out).await?;
    out.flush()?;
    eprintln!("({rows} rows, {} requests)", client.request_count());
    Ok(())
}

/// Runs `statement` and writes its rows to `out` as they arrive; returns the number of rows.
pub async fn print(
    client: &Client,
    statement: &Statement,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<u64> {
    let mut result = client.query(statement).await?;
    let mut printer = Printer::new(format, result.columns(), out)?;
    let mut rows = 0;
    while let Some(partition) = result.next_partition().await {
        let partition = partition?;
        printer.partition(&partition)?;
        rows += partition.len() as u64;
    }
    printer.finish()?;
    Ok(rows)
}

/// The widest a table column gets; longer cells are shortened with `…`.
const MAX_WIDTH: usize = 60;

enum Printer<'w, W: Write> {
    Table {
        out: &'w mut W,
        names: Vec<String>,
        widths: Option<Vec<usize>>,
    },
    Json {
        out: &'w mut W,
        names: Vec<String>,
        first: bool,
    },
    Csv(Box<csv::Writer<&'w mut W>>),
}

impl<'w, W: Write> Printer<'w, W> {
    fn new(format: Format, columns: &Columns, out: &'w mut W) -> anyhow::Result<Self> {
        let names: Vec<String> = columns.names().map(str::to_owned).collect();
        Ok(match format {
            Format::Table => Self::Table {
                out,
                names,
                widths: None,
            },
            Format::Json => {
                out.write_all(b"[")?;
                Self::Json {
                    out,
                    names,
                    first: true,
                }
            }
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(&names)?;
                Self::Csv(Box::new(writer))
            }
        })
    }

    fn partition(&mut self, partition: &Partition) -> anyhow::Result<()> {
        match self {
            Self::Table { out, names, widths } => {
                // Widths come from the first partition, so rows print as they arrive.
                let widths = match widths {
                    Some(widths) => widths,
                    None => {
                        let measured = measure(names, partition)?;
                        write_table_row(out, names.iter().map(String::as_str), &measured)?;
                        let rule: Vec<String> =
                            measured.iter().map(|width| "-".repeat(*width)).collect();
                        writeln!(out, "{}", rule.join("-+-"))?;
                        widths.insert(measured)
                    }
                };
                for row in partition.rows() {
                    let cells = table_cells(&row)?;
                    write_table_row(out, cells.iter().map(String::as_str), widths)?;
                }
            }
            Self::Json { out, names, first } => {
                // Written by hand to keep the columns in their order.
                for row in partition.rows() {
                    out.write_all(if *first { b"\n{" } else { b",\n{" })?;
                    for (index, name) in names.iter().enumerate() {
                        if index > 0 {
                            out.write_all(b",")?;
                        }
                        serde_json::to_writer(&mut **out, name)?;
                        out.write_all(b":")?;
                        serde_json::to_writer(&mut **out, &row.value(index)?.to_json())?;
                    }
                    out.write_all(b"}")?;
                    *first = false;
                }
            }
            Self::Csv(writer) => {
                for row in partition.rows() {
                    let mut record = Vec::with_capacity(row.len());
                    for index in 0..row.len() {
                        record.push(match row.value(index)? {
                            Value::Null => String::new(),
                            value => value.to_string(),
                        });
                    }
                    writer.write_record(&record)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            // Every result has a partition 0, which printed the header.
            Self::Table { .. } => {}
            Self::Json { out, first, .. } => {
                out.write_all(if first { b"]\n" } else { b"\n]\n" })?;
            }
            Self::Csv(mut writer) => writer.flush()?,
        }
        Ok(())
    }
}

/// The column widths for a partition: the widest of the name and the cells, up to the maximum.
fn measure(names: &[String], partition: &Partition) -> anyhow::Result<Vec<usize>> {
    let mut widths: Vec<usize> = names
        .iter()
        .map(|name| name.chars().count().min(MAX_WIDTH))
        .collect();
    for row in partition.rows() {
        for (width, cell) in widths.iter_mut().zip(table_cells(&row)?) {
            *width = (*width).max(cell.chars().count());
        }
    }
    Ok(widths)
}

/// A row's cells as the table shows them: one line each, at most [`MAX_WIDTH`] characters.
fn table_cells(row: &Row<'_>) -> anyhow::Result<Vec<String>> {
    (0..row.len())
        .map(|index| {
            let text = row.value(index)?.to_string();
            let mut cell: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(MAX_WIDTH)
                .collect();
            if text.chars().count() > MAX_WIDTH {
                cell.pop();
                cell.push('…');
            }
            Ok(cell)
        })
        .collect()
}

fn write_table_row<'a>(
    out: &mut impl Write,
    cells: impl Iterator<Item = &'a str>,
    widths: &[usize],
) -> std::io::Result<()> {
    let padded: Vec<String> = cells
        .zip(widths)
        .map(|(cell, width)| format!("{cell:<width$}"))
        .collect();
    writeln!(out, "{}", padded.join(" | ").trim_end())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use snowgate_emulator::{Config, Emulator};
    use snowgate_snowflake::{AccountIdentifier, ClientConfig, PrivateKey};

    use super::*;

    async fn emulator_and_client() -> (Emulator, Client) {
        let emulator = Emulator::start(Config {
            sync_wait: Duration::from_millis(300),
            partition_size: 300,
            ..Config::default()
        })
        .await
        .unwrap();
        let key = Arc::new(PrivateKey::generate(2048).unwrap());
        emulator.add_user("ALICE", &key.public_key_pem()).unwrap();
        emulator
            .admin(
                "GRANT ROLE ACCOUNTADMIN TO USER ALICE; ALTER USER ALICE SET DEFAULT_ROLE = ACCOUNTADMIN; \
                 CREATE DATABASE D; CREATE TABLE D.PUBLIC.T (ID NUMBER(10,0), NAME VARCHAR, PRICE NUMBER(10,2), SEEN DATE)",
            )
            .unwrap();
        let account = AccountIdentifier::parse(&emulator.account_identifier()).unwrap();
        let client = Client::new(
            ClientConfig::new(account, "alice", key).base_url(emulator.url().parse().unwrap()),
        )
        .unwrap();
        (emulator, client)
    }

    async fn output(client: &Client, sql: &str, format: Format) -> (String, u64) {
        let mut out = Vec::new();
        let rows = print(
            client,
            &Statement::new(sql).warehouse("W"),
            format,
            &mut out,
        )
        .await
        .unwrap();
        (String::from_utf8(out).unwrap(), rows)
    }

    #[tokio::test]
    async fn prints_tables_json_and_csv() {
        let (emulator, client) = emulator_and_client().await;
        emulator
            .admin("INSERT INTO D.PUBLIC.T VALUES (1, 'plain', 12.50, '2026-10-09'), (2, 'with, comma \"and\" quotes\nand a line', NULL, NULL)")
            .unwrap();
        let sql = "SELECT * FROM D.PUBLIC.T ORDER BY ID";
        let (table, rows) = output(&client, sql, Format::Table).await;
        assert_eq!(rows, 2);
        assert_eq!(
            table,
            "ID | NAME                                | PRICE | SEEN\n\
             ---+-------------------------------------+-------+-----------\n\
             1  | plain                               | 12.50 | 2026-10-09\n\
             2  | with, comma \"and\" quotes and a line | NULL  | NULL\n"
        );
        let (json, _) = output(&client, sql, Format::Json).await;
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!([
                {"ID": 1, "NAME": "plain", "PRICE": "12.50", "SEEN": "2026-10-09"},
                {"ID": 2, "NAME": "with, comma \"and\" quotes\nand a line", "PRICE": null, "SEEN": null},
            ])
        );
        assert_eq!(json.lines().count(), 4, "one row per line: {json}");
        assert!(
            json.starts_with("[\n{\"ID\":1,\"NAME\":\"plain\",\"PRICE\""),
            "columns keep their order: {json}"
        );
        let (csv, _) = output(&client, sql, Format::Csv).await;
        assert_eq!(
            csv,
            "ID,NAME,PRICE,SEEN\n1,plain,12.50,2026-10-09\n2,\"with, comma \"\"and\"\" quotes\nand a line\",,\n"
        );
    }

    #[tokio::test]
    async fn empty_results_print_their_header() {
        let (_emulator, client) = emulator_and_client().await;
        let sql = "SELECT ID, NAME FROM D.PUBLIC.T";
        assert_eq!(
            output(&client, sql, Format::Table).await,
            ("ID | NAME\n---+-----\n".to_owned(), 0)
        );
        assert_eq!(
            output(&client, sql, Format::Json).await,
            ("[]\n".to_owned(), 0)
        );
        assert_eq!(
            output(&client, sql, Format::Csv).await,
            ("ID,NAME\n".to_owned(), 0)
        );
    }

    #[tokio::test]
    async fn results_of_many_partitions_print_every_row_in_order() {
        let (emulator, client) = emulator_and_client().await;
        let values: Vec<String> = (0..500)
            .map(|i| format!("({i}, 'name {i}', {i}.25, NULL)"))
            .collect();
        emulator
            .admin(&format!(
                "INSERT INTO D.PUBLIC.T VALUES {}",
                values.join(",")
            ))
            .unwrap();
        let (csv, rows) = output(
            &client,
            "SELECT ID, NAME FROM D.PUBLIC.T ORDER BY ID",
            Format::Csv,
        )
        .await;
        assert_eq!(rows, 500);
        assert!(
            client.request_count() > 2,
            "the result came in several partitions"
        );
        let expected: Vec<String> = std::iter::once("ID,NAME".to_owned())
            .chain((0..500).map(|i| format!("{i},name {i}")))
            .collect();
        assert_eq!(csv.lines().collect::<Vec<_>>(), expected);
        let (table, _) = output(
            &client,
            "SELECT ID, NAME FROM D.PUBLIC.T ORDER BY ID",
            Format::Table,
        )
        .await;
        assert_eq!(table.lines().count(), 502);
        assert_eq!(table.lines().last().unwrap(), "499 | name 499");
    }

    #[tokio::test]
    async fn long_cells_are_shortened_in_tables_only() {
        let (_emulator, client) = emulator_and_client().await;
        let long = "x".repeat(100);
        let sql = format!("SELECT '{long}' AS LONG");
        let (table, _) = output(&client, &sql, Format::Table).await;
        let shortened = format!("{}…", "x".repeat(MAX_WIDTH - 1));
        assert_eq!(table.lines().nth(2), Some(shortened.as_str()));
        let (csv, _) = output(&client, &sql, Format::Csv).await;
        assert_eq!(csv, format!("LONG\n{long}\n"));
    }
}
