//! [`Stop`], the stop signal of one job (a sync run or an async action): a cancellation token and
//! the reason it was cancelled with.

use std::sync::{
    Arc,
    atomic::{AtomicU8, Ordering},
};

use tokio_util::sync::CancellationToken;

/// Why a job stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// The process is shutting down: the job goes back to the queue.
    Shutdown = 1,
    /// Someone cancelled the job.
    Cancelled = 2,
    /// Another worker took the job over.
    LeaseLost = 3,
}

/// The stop signal of one job.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    token: CancellationToken,
    reason: AtomicU8,
}

impl Stop {
    pub(crate) fn new(token: CancellationToken) -> Arc<Self> {
        Arc::new(Self {
            token,
            reason: AtomicU8::new(0),
        })
    }

    /// Asks the job to stop; the first reason given is kept.
    pub(crate) fn stop(&self, reason: StopReason) {
        let _ = self
            .reason
            .compare_exchange(0, reason as u8, Ordering::SeqCst, Ordering::SeqCst);
        self.token.cancel();
    }

    /// Completes when the job is asked to stop.
    pub(crate) async fn cancelled(&self) {
        self.token.cancelled().await;
    }

    /// Why the job was asked to stop; `None` while it was not.
    pub(crate) fn reason(&self) -> Option<StopReason> {
        if !self.token.is_cancelled() {
            return None;
        }
        Some(match self.reason.load(Ordering::SeqCst) {
            2 => StopReason::Cancelled,
            3 => StopReason::LeaseLost,
            _ => StopReason::Shutdown,
        })
    }
}
