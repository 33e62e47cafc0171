//! What a supervisor reads, in the order it reads it: its children's exits
//! first, then requests, then the restarts it queued for itself.

use tokio::sync::mpsc;

use super::handle::Request;
use super::shutdown::Exits;
use crate::process::ExitNotice;

/// The next thing for a supervisor to handle.
pub(super) enum Next<R> {
    /// A child exited.
    Exit(ExitNotice),
    /// Someone asks something of the supervisor.
    Request(Request),
    /// A restart it queued for itself after a failed start (OTP's
    /// `try_again_restart`): `R` names the child.
    Retry(R),
}

/// A supervisor's inbox. Exits come first, so that a burst of requests
/// cannot hold up a restart; requests come before queued retries, so that
/// between two attempts of a failing restart the supervisor still answers
/// (OTP's retries go through the mailbox for the same reason).
pub(super) struct Inbox<R> {
    pub(super) exits: Exits,
    requests: mpsc::UnboundedReceiver<Request>,
    retry_tx: mpsc::UnboundedSender<R>,
    retry_rx: mpsc::UnboundedReceiver<R>,
}

impl<R> Inbox<R> {
    pub(super) fn new(requests: mpsc::UnboundedReceiver<Request>) -> Self {
        let (retry_tx, retry_rx) = mpsc::unbounded_channel();
        Inbox {
            exits: Exits::new(),
            requests,
            retry_tx,
            retry_rx,
        }
    }

    /// Queue a retry of child `which`, behind the requests waiting now.
    pub(super) fn retry_later(&self, which: R) {
        // The receiver lives as long as the inbox.
        let _ = self.retry_tx.send(which);
    }

    /// The next thing to handle; None once nobody can ask anything any
    /// more (every handle dropped).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: what is not returned stays queued.
    pub(super) async fn next(&mut self) -> Option<Next<R>> {
        if let Some(notice) = self.exits.stashed() {
            return Some(Next::Exit(notice));
        }
        tokio::select! {
            biased;
            Some(notice) = self.exits.recv() => Some(Next::Exit(notice)),
            Some(request) = self.requests.recv() => Some(Next::Request(request)),
            Some(which) = self.retry_rx.recv() => Some(Next::Retry(which)),
            else => None,
        }
    }
}
