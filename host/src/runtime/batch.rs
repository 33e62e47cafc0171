//! Casts handled several to a guest entry: the optional `batch` export
//! (`handle-casts`) and where a running batch stands.
//!
//! Entering a guest costs far more than a cast costs in it, so a run of
//! casts waiting in a mailbox goes in at once. Each message still gets a
//! CPU deadline of its own: the guest says when it moves on to the next
//! (`host.cast-done`), and the host counts, so a guest cannot restart the
//! deadline more often than the batch has messages.

use wasmtime::component::{Component, ComponentExportIndex};

/// The `batch` interface a plugin build may export.
const BATCH_INTERFACE: &str = "overseer:plugin/batch@0.1.0";

/// Most messages in one batch. Each batch costs a guest entry and a
/// mailbox envelope (about a microsecond); at 64 that was a tenth of a
/// small cast's cost, at 256 it is a fortieth (`callgrind`: 2,415 → 2,302
/// instructions a cast). The bytes bound below is what limits what a batch
/// adds to the guest's memory.
pub const MAX_BATCH_LEN: usize = 256;

/// Most message bytes in one batch: what a batch may add to the guest's
/// memory at once, over what one message at a time would.
pub const MAX_BATCH_BYTES: usize = 16 * 1024;

/// Where a build's `handle-casts` is, if it has one.
pub(crate) fn find_handle_casts(component: &Component) -> Option<ComponentExportIndex> {
    let interface = component.get_export_index(None, BATCH_INTERFACE)?;
    component.get_export_index(Some(&interface), "handle-casts")
}

/// A batch of casts as the guest gets it: the messages one after another
/// in one buffer, and where each ends in it.
#[derive(Debug, Default)]
pub struct Casts {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl Casts {
    /// A batch of `first` alone, its buffer taken as it is.
    pub fn from_vec(first: Vec<u8>) -> Self {
        let end = u32::try_from(first.len()).unwrap_or(u32::MAX);
        Casts {
            bytes: first,
            ends: vec![end],
        }
    }

    /// Its one message, if it holds one and only one; else itself.
    ///
    /// # Errors
    ///
    /// The batch itself, when it does not hold exactly one message.
    pub fn into_single(self) -> Result<Vec<u8>, Casts> {
        if self.ends.len() == 1 {
            Ok(self.bytes)
        } else {
            Err(self)
        }
    }

    /// Its messages, in order.
    pub fn messages(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(|index| self.message(index))
    }

    /// Whether `msg` still fits, within [`MAX_BATCH_LEN`] and
    /// [`MAX_BATCH_BYTES`].
    pub fn fits(&self, msg: &[u8]) -> bool {
        self.ends.len() < MAX_BATCH_LEN && self.bytes.len() + msg.len() <= MAX_BATCH_BYTES
    }

    /// Add `msg` at the end. (Callers check [`fits`](Self::fits) first, so
    /// that the buffer stays far below 4 GiB.)
    pub fn push(&mut self, msg: &[u8]) {
        self.bytes.extend_from_slice(msg);
        self.ends
            .push(u32::try_from(self.bytes.len()).unwrap_or(u32::MAX));
    }

    /// How many messages it holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Message `index`.
    pub fn message(&self, index: usize) -> Option<&[u8]> {
        let start = match index.checked_sub(1) {
            Some(before) => *self.ends.get(before)? as usize,
            None => 0,
        };
        let end = *self.ends.get(index)? as usize;
        self.bytes.get(start..end)
    }

    /// The buffer and the ends, as `handle-casts` takes them.
    pub(crate) fn parts(&self) -> (&[u8], &[u32]) {
        (&self.bytes, &self.ends)
    }
}

/// The running batch: how many messages it holds and which one the guest
/// handles. Outside a batch both are 0 and `cast-done` does nothing.
///
/// A message's CPU deadline starts at the first epoch tick after it began
/// (the tick's callback sees `moved`), not at a clock read of its own: a
/// clock read costs as much as the rest of a small cast on a VM, and the
/// deadline is only checked at ticks anyway. A message may so run up to
/// one tick past its deadline, on top of the tick the check may take.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CastBatch {
    len: usize,
    index: usize,
    moved: bool,
}

impl CastBatch {
    /// A batch of `len` messages, at its first.
    pub(crate) fn new(len: usize) -> Self {
        CastBatch {
            len,
            index: 0,
            moved: false,
        }
    }

    /// The guest is done with a message: the index of the next, or `None`
    /// when it was the last (or there is no batch).
    pub(crate) fn advance(&mut self) -> Option<usize> {
        if self.index + 1 < self.len {
            self.index += 1;
            self.moved = true;
            Some(self.index)
        } else {
            None
        }
    }

    /// Whether a new message began since the last look.
    pub(crate) fn take_moved(&mut self) -> bool {
        std::mem::take(&mut self.moved)
    }

    /// The message being handled.
    pub(crate) fn index(&self) -> usize {
        self.index
    }
}

#[cfg(test)]
mod tests {
    use super::{CastBatch, Casts, MAX_BATCH_BYTES, MAX_BATCH_LEN};

    #[test]
    fn a_batch_holds_its_messages_in_order() {
        let mut casts = Casts::from_vec(b"one".to_vec());
        casts.push(b"");
        casts.push(b"three");
        assert_eq!(casts.len(), 3);
        assert_eq!(casts.message(0), Some(&b"one"[..]));
        assert_eq!(casts.message(1), Some(&b""[..]));
        assert_eq!(casts.message(2), Some(&b"three"[..]));
        assert_eq!(casts.message(3), None);
        assert_eq!(casts.parts(), (&b"onethree"[..], &[3, 3, 8][..]));
        let all: Vec<&[u8]> = casts.messages().collect();
        assert_eq!(all, [&b"one"[..], b"", b"three"]);
        assert!(casts.into_single().is_err(), "three messages");
        let one = Casts::from_vec(b"solo".to_vec());
        assert_eq!(one.message(0), Some(&b"solo"[..]));
        assert_eq!(one.into_single().ok(), Some(b"solo".to_vec()));
    }

    #[test]
    fn a_batch_is_bounded_in_messages_and_bytes() {
        let mut casts = Casts::from_vec(vec![0; MAX_BATCH_BYTES - 10]);
        assert!(casts.fits(&[0; 10]));
        assert!(!casts.fits(&[0; 11]));
        let mut many = Casts::from_vec(b"x".to_vec());
        while many.fits(b"x") {
            many.push(b"x");
        }
        assert_eq!(many.len(), MAX_BATCH_LEN);
        casts.push(&[0; 10]);
        assert!(!casts.fits(b"x"), "full to the byte");
    }

    #[test]
    fn a_batch_advances_once_per_message_after_the_first() {
        let mut batch = CastBatch::new(3);
        assert!(!batch.take_moved());
        assert_eq!(batch.advance(), Some(1));
        assert_eq!(batch.advance(), Some(2));
        assert!(batch.take_moved(), "a new message began");
        assert!(!batch.take_moved(), "seen once");
        assert_eq!(batch.advance(), None, "no message after the last");
        assert_eq!(batch.advance(), None);
        assert_eq!(batch.index(), 2);
    }

    #[test]
    fn outside_a_batch_nothing_advances() {
        let mut batch = CastBatch::default();
        assert_eq!(batch.advance(), None);
        assert_eq!(batch.index(), 0);
        assert!(!batch.take_moved());
    }
}
