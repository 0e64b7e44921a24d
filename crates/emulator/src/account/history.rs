//! The account's query history: every statement the SQL API ran, newest last, bounded.
//!
//! The HTTP side records a statement when it gets a handle ([`QueryHistory::start`]) and when it
//! ends ([`QueryHistory::finish`]); a `retry=true` request answered from an earlier statement is
//! counted on that statement ([`QueryHistory::retried`]) and never recorded as an execution. So
//! [`HistoryEntry::executions`] proves how often the statement submitted under one `requestId`
//! really ran: 1 however often a client retried, 2 when a resubmission ran it again. Only the
//! last [`QueryHistory::limit`] statements are kept; the counts of a `requestId` live as long as
//! one of its statements does. SQL reads the history through `INFORMATION_SCHEMA.QUERY_HISTORY()`
//! (see `query`); admin statements and seeds never appear in it.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Mutex, MutexGuard},
};

use chrono::{DateTime, Utc};

use crate::exec::{Session, SqlError};

/// How many statements a history keeps unless told otherwise.
pub const DEFAULT_HISTORY_LIMIT: usize = 10_000;

/// One statement the SQL API ran (or is running), as `GET /emulator/admin/history` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryEntry {
    /// The statement handle (`QUERY_ID`).
    pub query_id: String,
    /// The `requestId` the client sent with the POST; `None` when it sent none, and for the
    /// statements of a multi-statement request (the request's own entry carries it).
    pub request_id: Option<String>,
    /// How many times a statement submitted under this `requestId` (by this user) was
    /// executed, this one included; 1 for a statement without a `requestId`.
    pub executions: u32,
    /// How many `retry=true` requests were answered from this statement without running it
    /// again.
    pub retries: u32,
    /// The handle of the multi-statement request this statement belongs to.
    pub parent_query_id: Option<String>,
    pub query_text: String,
    /// Snowflake's `QUERY_TYPE`: `SELECT`, `INSERT`, `CREATE_TABLE`, `MULTI_STATEMENT`, …
    pub query_type: String,
    pub database_name: Option<String>,
    pub schema_name: Option<String>,
    pub user_name: String,
    pub role_name: String,
    pub warehouse_name: Option<String>,
    pub query_tag: String,
    /// `RUNNING`, `SUCCESS` or `FAILED_WITH_ERROR` (cancelled and timed-out statements too).
    pub execution_status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    /// Rows of the result, or rows inserted, updated and deleted by DML.
    pub rows_produced: Option<u64>,
}

/// What a statement is when it starts, for [`QueryHistory::start`].
#[derive(Debug, Clone, Copy)]
pub struct StartedStatement<'a> {
    pub handle: &'a str,
    pub request_id: Option<&'a str>,
    pub parent: Option<&'a str>,
    pub sql: &'a str,
    /// `MULTI_STATEMENT` for the parent of a multi-statement request; else derived from `sql`.
    pub multi_statement: bool,
}

/// The bounded history of one account. Shared (`&self`; locking inside).
#[derive(Debug)]
pub struct QueryHistory {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    limit: usize,
    entries: VecDeque<HistoryEntry>,
    /// `(user, requestId)` → (executions, kept entries that carry it).
    requests: HashMap<(String, String), (u32, usize)>,
}

impl Default for QueryHistory {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                limit: DEFAULT_HISTORY_LIMIT,
                entries: VecDeque::new(),
                requests: HashMap::new(),
            }),
        }
    }
}

impl QueryHistory {
    /// The most statements kept.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Keeps at most `limit` statements from now on (at least 1), dropping the oldest beyond it.
    pub fn set_limit(&self, limit: usize) {
        let mut inner = self.lock();
        inner.limit = limit.max(1);
        inner.trim();
    }

    /// The kept statements, oldest first, with their `requestId`'s execution counts as they are
    /// now.
    pub fn entries(&self) -> Vec<HistoryEntry> {
        let inner = self.lock();
        inner
            .entries
            .iter()
            .map(|entry| {
                let mut entry = entry.clone();
                if let Some(request_id) = &entry.request_id
                    && let Some((executions, _)) = inner
                        .requests
                        .get(&(entry.user_name.clone(), request_id.clone()))
                {
                    entry.executions = *executions;
                }
                entry
            })
            .collect()
    }

    /// Records that a statement started executing in `session`.
    pub fn start(&self, statement: StartedStatement<'_>, session: &Session) {
        let query_type = if statement.multi_statement {
            "MULTI_STATEMENT".to_owned()
        } else {
            super::lexer::query_type(statement.sql)
        };
        let entry = HistoryEntry {
            query_id: statement.handle.to_owned(),
            request_id: statement.request_id.map(str::to_owned),
            executions: 1,
            retries: 0,
            parent_query_id: statement.parent.map(str::to_owned),
            query_text: statement.sql.to_owned(),
            query_type,
            database_name: session.database.clone(),
            schema_name: session.schema.clone(),
            user_name: session.user.clone(),
            role_name: session.role.clone(),
            warehouse_name: session.warehouse.clone(),
            query_tag: session
                .parameters
                .get("QUERY_TAG")
                .cloned()
                .unwrap_or_default(),
            execution_status: "RUNNING".to_owned(),
            error_code: None,
            error_message: None,
            start_time: Utc::now(),
            end_time: None,
            rows_produced: None,
        };
        let mut inner = self.lock();
        if let Some(request_id) = &entry.request_id {
            let counts = inner
                .requests
                .entry((entry.user_name.clone(), request_id.clone()))
                .or_default();
            counts.0 += 1;
            counts.1 += 1;
        }
        inner.entries.push_back(entry);
        inner.trim();
    }

    /// Records how the statement `handle` ended: `Ok(rows produced)` or its error.
    pub fn finish(&self, handle: &str, outcome: Result<u64, &SqlError>) {
        let mut inner = self.lock();
        let Some(entry) = inner
            .entries
            .iter_mut()
            .rev()
            .find(|entry| entry.query_id == handle)
        else {
            return;
        };
        entry.end_time = Some(Utc::now());
        match outcome {
            Ok(rows) => {
                entry.execution_status = "SUCCESS".to_owned();
                entry.rows_produced = Some(rows);
            }
            Err(error) => {
                entry.execution_status = "FAILED_WITH_ERROR".to_owned();
                entry.error_code = Some(error.code.clone());
                entry.error_message = Some(error.message.clone());
            }
        }
    }

    /// Counts a `retry=true` request answered from the statement `handle` without running it.
    pub fn retried(&self, handle: &str) {
        let mut inner = self.lock();
        if let Some(entry) = inner
            .entries
            .iter_mut()
            .rev()
            .find(|entry| entry.query_id == handle)
        {
            entry.retries += 1;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn trim(&mut self) {
        while self.entries.len() > self.limit {
            let Some(oldest) = self.entries.pop_front() else {
                break;
            };
            if let Some(request_id) = oldest.request_id {
                let key = (oldest.user_name, request_id);
                if let Some(counts) = self.requests.get_mut(&key) {
                    counts.1 -= 1;
                    if counts.1 == 0 {
                        self.requests.remove(&key);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(user: &str) -> Session {
        Session {
            user: user.to_owned(),
            role: "PUBLIC".to_owned(),
            database: None,
            schema: None,
            warehouse: None,
            parameters: Default::default(),
            cancel: Default::default(),
        }
    }

    fn started<'a>(handle: &'a str, request_id: Option<&'a str>) -> StartedStatement<'a> {
        StartedStatement {
            handle,
            request_id,
            parent: None,
            sql: "INSERT INTO T VALUES (1)",
            multi_statement: false,
        }
    }

    #[test]
    fn executions_count_per_user_and_request_and_outlive_older_entries() {
        let history = QueryHistory::default();
        history.set_limit(3);
        history.start(started("h1", Some("r")), &session("A"));
        history.start(started("h2", Some("r")), &session("B"));
        history.start(started("h3", Some("r")), &session("A"));
        history.retried("h3");
        history.finish("h3", Ok(1));
        let entries = history.entries();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].executions, 2, "A ran request r twice");
        assert_eq!(entries[1].executions, 1, "B's r is another request");
        assert_eq!(entries[2].retries, 1);
        assert_eq!(entries[2].execution_status, "SUCCESS");
        assert_eq!(entries[2].query_type, "INSERT");

        history.start(started("h4", None), &session("A"));
        let entries = history.entries();
        assert_eq!(entries[0].query_id, "h2", "the oldest was dropped");
        assert_eq!(entries[1].executions, 2, "the count outlives h1");
        history.set_limit(1);
        history.start(started("h5", Some("r")), &session("A"));
        assert_eq!(
            history.entries()[0].executions,
            1,
            "forgotten once no kept entry carries it"
        );
    }
}
