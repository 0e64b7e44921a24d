//! Statement handles: what each submitted statement is doing, and its result once finished.
//!
//! A [`Statement`] moves once from running to succeeded, failed (which includes cancelled) or
//! timed out; whichever of the worker, a cancel or the timeout gets there first wins. The
//! [`Statements`] store keeps them by handle and by `(user, requestId)` for `retry=true`. It
//! forgets a statement [`crate::Config::result_ttl`] after it finished, and drops the oldest
//! finished results when their bytes pass [`crate::Config::result_memory_budget`], so a client
//! that never fetches cannot grow memory without bound. A forgotten handle answers like an
//! unknown one.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use tokio::sync::watch;

use crate::{
    exec::{CancelFlag, SqlError},
    results::ResultSet,
};

/// Where a statement is.
#[derive(Debug, Clone)]
pub(crate) enum State {
    Running,
    Succeeded(Arc<ResultSet>),
    /// Failed, or cancelled (`000604`).
    Failed(SqlError),
    /// Stopped by its `timeout`, in seconds.
    TimedOut(u64),
}

impl State {
    pub fn is_running(&self) -> bool {
        matches!(self, State::Running)
    }
}

/// One submitted statement.
#[derive(Debug)]
pub(crate) struct Statement {
    pub handle: String,
    pub user: String,
    /// Epoch milliseconds.
    pub created_on: i64,
    pub cancel: CancelFlag,
    state: watch::Sender<State>,
}

impl Statement {
    pub fn state(&self) -> State {
        self.state.borrow().clone()
    }

    /// Waits until the statement is no longer running, at most `wait`; returns its state then.
    pub async fn wait(&self, wait: Duration) -> State {
        let mut receiver = self.state.subscribe();
        let finished = receiver.wait_for(|state| !state.is_running());
        match tokio::time::timeout(wait, finished).await {
            Ok(Ok(state)) => state.clone(),
            _ => self.state(),
        }
    }

    /// Moves a running statement to `state`, handing it to `record` before any waiter wakes (so
    /// whoever sees the end also sees it recorded); false when it had already finished.
    fn finish(&self, state: State, record: impl FnOnce(&State)) -> bool {
        self.state.send_if_modified(|current| {
            if current.is_running() {
                record(&state);
                *current = state;
                true
            } else {
                false
            }
        })
    }

    /// Cancels a running statement (its worker stops at the next check of the flag).
    pub fn cancel(&self, record: impl FnOnce(&State)) {
        if self.finish(State::Failed(SqlError::cancelled()), record) {
            self.cancel.cancel();
        }
    }

    /// Stops a running statement that reached its timeout.
    pub fn time_out(&self, seconds: u64, record: impl FnOnce(&State)) {
        if self.finish(State::TimedOut(seconds), record) {
            self.cancel.cancel();
        }
    }
}

/// A new statement handle in Snowflake's form, e.g. `01c4d3e8-0001-e79d-0000-001cd6c3d2a9`.
pub(crate) fn new_handle() -> String {
    format!(
        "01{:06x}-0001-{:04x}-0000-{:012x}",
        fastrand::u32(..1 << 24),
        fastrand::u16(..),
        fastrand::u64(..1 << 48)
    )
}

/// All statements the emulator knows.
#[derive(Debug)]
pub(crate) struct Statements {
    inner: Mutex<Inner>,
    ttl: Duration,
    budget: usize,
}

#[derive(Debug, Default)]
struct Inner {
    by_handle: HashMap<String, Entry>,
    by_request: HashMap<(String, String), String>,
    /// Finished statements, oldest first, for eviction.
    finished: VecDeque<String>,
    bytes: usize,
}

#[derive(Debug)]
struct Entry {
    statement: Arc<Statement>,
    request: Option<(String, String)>,
    /// Set when the statement finished.
    expires: Option<Instant>,
    bytes: usize,
}

impl Statements {
    pub fn new(ttl: Duration, budget: usize) -> Self {
        Self {
            inner: Mutex::default(),
            ttl,
            budget,
        }
    }

    /// Registers a new running statement of `user`, under `request_id` when the client sent one.
    pub fn start(&self, user: &str, request_id: Option<&str>) -> Arc<Statement> {
        let statement = Arc::new(Statement {
            handle: new_handle(),
            user: user.to_owned(),
            created_on: chrono::Utc::now().timestamp_millis(),
            cancel: CancelFlag::default(),
            state: watch::Sender::new(State::Running),
        });
        let request = request_id.map(|id| (user.to_owned(), id.to_owned()));
        let mut inner = self.lock();
        if let Some(key) = &request {
            inner
                .by_request
                .insert(key.clone(), statement.handle.clone());
        }
        inner.by_handle.insert(
            statement.handle.clone(),
            Entry {
                statement: Arc::clone(&statement),
                request,
                expires: None,
                bytes: 0,
            },
        );
        statement
    }

    /// Records how a statement ended (unless a cancel or timeout got there first) and starts
    /// its time to live; then enforces the memory budget.
    pub fn finish(&self, statement: &Statement, state: State, record: impl FnOnce(&State)) {
        let bytes = match &state {
            State::Succeeded(result) => result.size(),
            _ => 0,
        };
        statement.finish(state, record);
        let mut inner = self.lock();
        let Some(entry) = inner.by_handle.get_mut(&statement.handle) else {
            return;
        };
        if entry.expires.is_some() {
            return;
        }
        entry.expires = Some(Instant::now() + self.ttl);
        if !matches!(statement.state(), State::Succeeded(_)) {
            entry.bytes = 0;
        } else {
            entry.bytes = bytes;
        }
        let bytes = entry.bytes;
        inner.bytes += bytes;
        inner.finished.push_back(statement.handle.clone());
        // Keep the newest result even when it alone is over the budget.
        while inner.bytes > self.budget && inner.finished.len() > 1 {
            if let Some(oldest) = inner.finished.pop_front() {
                inner.remove(&oldest);
            }
        }
    }

    /// The statement behind `handle` if `user` may see it and it has not expired.
    pub fn get(&self, handle: &str, user: &str) -> Option<Arc<Statement>> {
        let mut inner = self.lock();
        let entry = inner.by_handle.get(handle)?;
        if entry.expires.is_some_and(|at| at <= Instant::now()) {
            inner.remove(handle);
            return None;
        }
        (entry.statement.user == user).then(|| Arc::clone(&entry.statement))
    }

    /// The statement earlier submitted by `user` with `request_id`.
    pub fn by_request(&self, user: &str, request_id: &str) -> Option<Arc<Statement>> {
        let handle = self
            .lock()
            .by_request
            .get(&(user.to_owned(), request_id.to_owned()))
            .cloned()?;
        self.get(&handle, user)
    }

    /// Forgets every statement whose time to live is over.
    pub fn sweep(&self) {
        let now = Instant::now();
        let mut inner = self.lock();
        let expired: Vec<String> = inner
            .by_handle
            .iter()
            .filter(|(_, entry)| entry.expires.is_some_and(|at| at <= now))
            .map(|(handle, _)| handle.clone())
            .collect();
        for handle in expired {
            inner.remove(&handle);
        }
    }

    /// Bytes of results kept now.
    pub fn kept_bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn remove(&mut self, handle: &str) {
        if let Some(entry) = self.by_handle.remove(handle) {
            self.bytes -= entry.bytes;
            if let Some(request) = entry.request
                && self.by_request.get(&request).is_some_and(|h| h == handle)
            {
                self.by_request.remove(&request);
            }
            if entry.expires.is_some() {
                self.finished.retain(|h| h != handle);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::PartitionSink;

    fn result_of(bytes: usize) -> State {
        let mut sink = PartitionSink::new(1 << 20, false);
        let cell = "x".repeat(bytes);
        crate::exec::RowSink::row(&mut sink, &[Some(&cell)]);
        State::Succeeded(Arc::new(sink.finish(None)))
    }

    #[test]
    fn handles_look_like_snowflakes() {
        let handle = new_handle();
        let parts: Vec<usize> = handle.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(handle.starts_with("01"));
    }

    #[test]
    fn the_memory_budget_drops_the_oldest_finished_results() {
        let store = Statements::new(Duration::from_secs(60), 2500);
        let first = store.start("A", Some("r1"));
        let second = store.start("A", None);
        let running = store.start("A", None);
        store.finish(&first, result_of(1000), |_| {});
        store.finish(&second, result_of(1000), |_| {});
        assert!(store.get(&first.handle, "A").is_some());
        let third = store.start("A", None);
        store.finish(&third, result_of(1000), |_| {});
        assert!(store.get(&first.handle, "A").is_none(), "oldest evicted");
        assert!(store.by_request("A", "r1").is_none());
        assert!(store.get(&second.handle, "A").is_some());
        assert!(store.get(&running.handle, "A").is_some(), "running kept");
        assert!(store.kept_bytes() <= 2500);
        assert!(
            store.get(&second.handle, "B").is_none(),
            "other users see nothing"
        );
    }

    #[test]
    fn finished_statements_expire_and_cancel_wins_over_a_late_result() {
        let store = Statements::new(Duration::from_millis(0), 1 << 20);
        let statement = store.start("A", None);
        let mut recorded = Vec::new();
        statement.cancel(|state| recorded.push(state.clone()));
        assert!(statement.cancel.is_cancelled());
        store.finish(&statement, result_of(10), |state| {
            recorded.push(state.clone())
        });
        assert_eq!(recorded.len(), 1, "only the end that won is recorded");
        assert!(matches!(statement.state(), State::Failed(e) if e.code == "000604"));
        store.sweep();
        assert!(store.get(&statement.handle, "A").is_none());
    }
}
