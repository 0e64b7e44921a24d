//! SHOW commands past Snowflake's 10,000-row limit.
//!
//! `SHOW DATABASES|SCHEMAS|TABLES|VIEWS|USERS|…` fail above 10,000 rows without `LIMIT`.
//! [`ShowPages`] runs the command as `… LIMIT 10000`, then `… LIMIT 10000 FROM '<last name>'`
//! until a page comes back short, dropping the boundary row when a page repeats it (whether
//! `FROM` includes its row is not documented clearly; reference §6.11). Rows stream partition by
//! partition, as from [`crate::ResultSet`].
//!
//! Paging follows the `name` column (configurable), so the command's rows must be ordered by it:
//! scope SHOW to one container (`SHOW TABLES IN SCHEMA "DB"."S"`, `SHOW SCHEMAS IN DATABASE
//! "DB"`); account-wide listings of schema objects are ordered by database and schema first.
//! SHOW COLUMNS silently stops at 10,000 rows and cannot be paged this way: page by table.

use futures::{Stream, stream};

use crate::{
    Error,
    client::Client,
    result::{Partition, ResultSet},
    statement::{Statement, quote_literal},
};

/// The largest page Snowflake allows.
pub const MAX_PAGE: usize = 10_000;

/// The partitions of a SHOW command, paged past 10,000 rows.
#[derive(Debug)]
pub struct ShowPages {
    client: Client,
    statement: Statement,
    page_size: usize,
    cursor_column: String,
    cursor: Option<String>,
    current: Option<ResultSet>,
    page_rows: usize,
    page_last: Option<String>,
    first_of_page: bool,
    done: bool,
}

impl ShowPages {
    /// Pages `statement`, a SHOW command without `LIMIT`.
    pub fn new(client: &Client, statement: Statement) -> Self {
        Self {
            client: client.clone(),
            statement,
            page_size: MAX_PAGE,
            cursor_column: "name".to_owned(),
            cursor: None,
            current: None,
            page_rows: 0,
            page_last: None,
            first_of_page: true,
            done: false,
        }
    }

    /// Rows per page, 1 to 10,000 (default 10,000).
    pub fn page_size(mut self, rows: usize) -> Self {
        self.page_size = rows.clamp(1, MAX_PAGE);
        self
    }

    /// The column whose value is the paging cursor (default `name`).
    pub fn cursor_column(mut self, column: impl Into<String>) -> Self {
        self.cursor_column = column.into();
        self
    }

    /// The next partition of rows; `None` after the last page.
    pub async fn next_partition(&mut self) -> Option<Result<Partition, Error>> {
        let outcome = self.advance().await;
        if matches!(outcome, Some(Err(_))) {
            self.done = true;
            self.current = None;
        }
        outcome
    }

    /// The partitions as a stream.
    pub fn into_stream(self) -> impl Stream<Item = Result<Partition, Error>> + Send {
        stream::unfold(self, |mut pages| async move {
            let partition = pages.next_partition().await?;
            Some((partition, pages))
        })
    }

    async fn advance(&mut self) -> Option<Result<Partition, Error>> {
        loop {
            if self.current.is_none() {
                if self.done {
                    return None;
                }
                match self.start_page().await {
                    Ok(result) => self.current = Some(result),
                    Err(error) => return Some(Err(error)),
                }
            }
            let current = self.current.as_mut()?;
            let Some(partition) = current.next_partition().await else {
                if let Err(error) = self.finish_page() {
                    return Some(Err(error));
                }
                continue;
            };
            let mut partition = match partition {
                Ok(partition) => partition,
                Err(error) => return Some(Err(error)),
            };
            let column = match partition.columns().index_of(&self.cursor_column) {
                Some(column) => column,
                None => {
                    return Some(Err(Error::Config(format!(
                        "the SHOW output has no column {:?} to page by",
                        self.cursor_column
                    ))));
                }
            };
            self.page_rows += partition.len();
            if let Some(last) = partition.len().checked_sub(1) {
                self.page_last = partition.data().cell(last, column).map(str::to_owned);
            }
            if std::mem::take(&mut self.first_of_page)
                && self.cursor.is_some()
                && partition.data().cell(0, column) == self.cursor.as_deref()
            {
                partition.data_mut().remove_first_row();
            }
            if !partition.is_empty() {
                return Some(Ok(partition));
            }
        }
    }

    async fn start_page(&mut self) -> Result<ResultSet, Error> {
        if self.cursor.is_none()
            && self
                .statement
                .sql()
                .to_ascii_uppercase()
                .contains(" LIMIT ")
        {
            return Err(Error::Config(
                "give the SHOW command without LIMIT: the pager adds LIMIT … FROM itself".into(),
            ));
        }
        let base = self.statement.sql().trim().trim_end_matches(';');
        let sql = match &self.cursor {
            Some(cursor) => format!(
                "{base} LIMIT {} FROM {}",
                self.page_size,
                quote_literal(cursor)
            ),
            None => format!("{base} LIMIT {}", self.page_size),
        };
        self.page_rows = 0;
        self.page_last = None;
        self.first_of_page = true;
        self.client.query(&self.statement.with_sql(sql)).await
    }

    /// After a page: stop if it was short, else continue after its last name.
    fn finish_page(&mut self) -> Result<(), Error> {
        self.current = None;
        if self.page_rows < self.page_size {
            self.done = true;
            return Ok(());
        }
        let last = self.page_last.take();
        if last.is_none() || last == self.cursor {
            return Err(Error::Protocol(format!(
                "SHOW paging made no progress past {:?}",
                self.cursor.as_deref().unwrap_or_default()
            )));
        }
        self.cursor = last;
        Ok(())
    }
}
