//! Casts that follow one another in a mailbox, kept in one envelope.
//!
//! A cast posted right after another, with nothing queued between them,
//! joins the other's envelope instead of queuing one of its own, as long as
//! the process has not opened it and it has room (a batch's bounds). The
//! process then takes them all at once, and a build that takes batches gets
//! them in one guest entry. Order is kept: a cast joins only the envelope
//! queued last; anything queued since closes it to newcomers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::runtime::Casts;

/// One envelope's casts, until the process opens it.
#[derive(Debug)]
pub struct CastRun(Mutex<Option<Casts>>);

impl CastRun {
    fn new(first: Vec<u8>) -> Self {
        CastRun(Mutex::new(Some(Casts::from_vec(first))))
    }

    /// Add `msg` if the envelope is still closed and has room.
    fn join(&self, msg: &[u8]) -> bool {
        let mut casts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match casts.as_mut() {
            Some(casts) if casts.fits(msg) => {
                casts.push(msg);
                true
            }
            _ => false,
        }
    }

    /// Take the casts out (once): later casts queue an envelope of their own.
    pub(crate) fn open(&self) -> Option<Casts> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// What a mailbox's senders share to keep order: how many envelopes were
/// queued, and the cast envelope queued last with that count.
#[derive(Debug, Default)]
pub(crate) struct SendOrder {
    queued: AtomicU64,
    tail: Mutex<Option<(u64, Arc<CastRun>)>>,
}

impl SendOrder {
    /// An envelope other than casts is about to be queued: no cast may join
    /// an envelope queued before it.
    pub(crate) fn other(&self) {
        self.queued.fetch_add(1, Ordering::SeqCst);
    }

    /// Queue `msg` with `queue`: in the cast envelope queued last if it may
    /// join it, else in a new one handed to `queue`. False if `queue` fails
    /// (the process is gone).
    pub(crate) fn cast(&self, msg: Vec<u8>, queue: impl FnOnce(Arc<CastRun>) -> bool) -> bool {
        let mut tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, run)) = tail.as_ref()
            && *at == self.queued.load(Ordering::SeqCst)
            && run.join(&msg)
        {
            return true;
        }
        let run = Arc::new(CastRun::new(msg));
        let at = self.queued.fetch_add(1, Ordering::SeqCst) + 1;
        if !queue(run.clone()) {
            return false;
        }
        *tail = Some((at, run));
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{CastRun, SendOrder};

    /// A queue that records what it was given.
    fn queue_into(queued: &mut Vec<Arc<CastRun>>) -> impl FnOnce(Arc<CastRun>) -> bool + '_ {
        move |run| {
            queued.push(run);
            true
        }
    }

    fn messages(run: &CastRun) -> Vec<Vec<u8>> {
        run.open()
            .map(|casts| casts.messages().map(<[u8]>::to_vec).collect())
            .unwrap_or_default()
    }

    #[test]
    fn casts_one_after_another_share_an_envelope() {
        let order = SendOrder::default();
        let mut queued = Vec::new();
        for msg in [b"a", b"b", b"c"] {
            assert!(order.cast(msg.to_vec(), queue_into(&mut queued)));
        }
        assert_eq!(queued.len(), 1);
        assert_eq!(messages(&queued[0]), [b"a", b"b", b"c"]);
    }

    #[test]
    fn anything_queued_between_closes_the_envelope() {
        let order = SendOrder::default();
        let mut queued = Vec::new();
        assert!(order.cast(b"a".to_vec(), queue_into(&mut queued)));
        order.other();
        assert!(order.cast(b"b".to_vec(), queue_into(&mut queued)));
        assert_eq!(
            queued.len(),
            2,
            "b may not go before what was queued after a"
        );
        assert_eq!(messages(&queued[0]), [b"a"]);
        assert_eq!(messages(&queued[1]), [b"b"]);
    }

    #[test]
    fn an_opened_envelope_takes_no_more() {
        let order = SendOrder::default();
        let mut queued = Vec::new();
        assert!(order.cast(b"a".to_vec(), queue_into(&mut queued)));
        assert_eq!(messages(&queued[0]), [b"a"]);
        assert!(order.cast(b"b".to_vec(), queue_into(&mut queued)));
        assert_eq!(queued.len(), 2);
        assert_eq!(messages(&queued[1]), [b"b"]);
    }

    #[test]
    fn a_full_envelope_takes_no_more() {
        let order = SendOrder::default();
        let mut queued = Vec::new();
        for _ in 0..crate::runtime::MAX_BATCH_LEN + 1 {
            assert!(order.cast(b"x".to_vec(), queue_into(&mut queued)));
        }
        assert_eq!(queued.len(), 2);
        assert_eq!(messages(&queued[1]).len(), 1);
        let big = vec![0; crate::runtime::MAX_BATCH_BYTES];
        assert!(order.cast(big, queue_into(&mut queued)));
        assert!(order.cast(b"y".to_vec(), queue_into(&mut queued)));
        assert_eq!(queued.len(), 4, "a message as big as a batch goes alone");
    }

    #[test]
    fn a_failed_queue_leaves_no_envelope_to_join() {
        let order = SendOrder::default();
        assert!(!order.cast(b"a".to_vec(), |_| false));
        let mut queued = Vec::new();
        assert!(order.cast(b"b".to_vec(), queue_into(&mut queued)));
        assert_eq!(queued.len(), 1);
        assert_eq!(messages(&queued[0]), [b"b"]);
    }
}
