//! SHOW statements as streams of partitions, and the adapter that lets the mappers read the
//! client's rows.

use futures::{StreamExt, TryStreamExt, stream::BoxStream};
use snowgate_snowflake::{Client, Error, Partition, Row, ShowPages, Statement};

use crate::row::ShowRow;

impl ShowRow for Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        Row::get(self, column)
    }
}

/// The partitions of `statement`, paged with `LIMIT 10000 FROM '<last name>'` when `paged` (the
/// statement fails above 10,000 rows otherwise), streamed partition by partition.
pub(crate) fn show(
    client: &Client,
    statement: &str,
    paged: bool,
) -> BoxStream<'static, Result<Partition, Error>> {
    show_statement(client, Statement::new(statement), paged)
}

/// [`show`] for a statement with its own context (database, role…).
pub(crate) fn show_statement(
    client: &Client,
    statement: Statement,
    paged: bool,
) -> BoxStream<'static, Result<Partition, Error>> {
    if paged {
        ShowPages::new(client, statement).into_stream().boxed()
    } else {
        let client = client.clone();
        futures::stream::once(async move { client.query(&statement).await })
            .map_ok(|result| result.into_stream())
            .try_flatten()
            .boxed()
    }
}
