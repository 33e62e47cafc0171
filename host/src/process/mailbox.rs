//! What a process's mailbox carries, and how much of it may wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use super::cast_run::{CastRun, SendOrder};
use super::code_change::CodeChange;
use super::config_change::ConfigChange;
use super::{CallError, ExitReason, Pid};
use crate::runtime::Casts;
use crate::sandbox::{QuotaExceeded, Quotas};

/// Where a call's answer goes: the reply, or why there is none.
pub type ReplySender = oneshot::Sender<Result<Vec<u8>, CallError>>;

/// One message in a process's mailbox. Handled strictly in arrival order,
/// one at a time.
#[derive(Debug)]
pub enum Envelope {
    /// A call: `handle-call`, answered through `reply`.
    Call {
        /// The request payload.
        request: Vec<u8>,
        /// Where the reply goes.
        reply: ReplySender,
        /// The calling process, if a process calls.
        from: Option<Pid>,
    },
    /// Casts: `handle-cast` for each, in order. Casts posted one after
    /// another with nothing between them share one envelope, which takes
    /// more until the process opens it (see [`Mailbox::post_cast`]).
    Casts(Arc<CastRun>),
    /// A plain message: `handle-info` as `info.message`.
    Info(Vec<u8>),
    /// A `send-after` timer fired; delivered as `info.message` unless it
    /// was cancelled meanwhile.
    Timer {
        /// The timer reference.
        timer: u64,
        /// The message it carries.
        msg: Vec<u8>,
    },
    /// An exit signal to a process that traps exits.
    Exit {
        /// Who sent it.
        from: Pid,
        /// Its reason.
        reason: ExitReason,
    },
    /// A system request for the state (`sys:get_state`); it does not cancel
    /// a pending timeout.
    GetState(ReplySender),
    /// A process this one monitors has exited: `handle-info` as
    /// `info.down`.
    Down {
        /// The monitor's reference.
        monitor: u64,
        /// The process that exited.
        pid: Pid,
        /// Why.
        reason: ExitReason,
    },
    /// A system request to change code (OTP's suspend, change_code,
    /// resume); it does not cancel a pending timeout.
    CodeChange(Box<CodeChange>),
    /// The application env changed: `config-change`. A system message: it
    /// does not cancel a pending timeout.
    ConfigChange(Arc<ConfigChange>),
}

impl Envelope {
    /// The bytes a message from another process holds in the mailbox; None
    /// for what the host itself queues (timers, exits, downs, system
    /// requests), which other quotas bound.
    fn weight(&self) -> Option<u64> {
        match self {
            Envelope::Call { request, .. } => Some(request.len() as u64),
            Envelope::Info(msg) => Some(msg.len() as u64),
            _ => None,
        }
    }
}

/// Messages are counted in the top bits of a word, their bytes in the
/// rest: senders add to one word, the receiver alone to another, and what
/// is held is the difference (wrapping, so the counts may run on for
/// ever). The receiver never waits on a lock-prefixed instruction, and the
/// two words sit on separate cache lines.
const COUNT_SHIFT: u32 = 40;
/// The most bytes a mailbox quota may allow (1 TiB).
pub(crate) const MAX_MAILBOX_BYTES: usize = (1 << COUNT_SHIFT) - 1;
/// The most messages a mailbox quota may allow.
pub(crate) const MAX_MAILBOX_LEN: usize = (1 << (64 - COUNT_SHIFT)) - 1;

/// One counter on a cache line of its own.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Line(AtomicU64);

/// How full one mailbox is, against its quotas.
#[derive(Debug)]
struct Gauge {
    /// Messages (top bits) and bytes (low bits) ever queued.
    sent: Line,
    /// Messages and bytes ever taken out, written by the receiver only.
    received: Line,
    max_len: u64,
    max_bytes: u64,
}

/// One message of `bytes`, as the gauge counts it.
fn weight_of(bytes: u64) -> u64 {
    (1 << COUNT_SHIFT) + bytes.min(MAX_MAILBOX_BYTES as u64)
}

impl Gauge {
    fn new(quotas: &Quotas) -> Self {
        Gauge {
            sent: Line::default(),
            received: Line::default(),
            max_len: quotas.mailbox_len.min(MAX_MAILBOX_LEN) as u64,
            max_bytes: quotas.mailbox_bytes.min(MAX_MAILBOX_BYTES) as u64,
        }
    }

    /// Messages and bytes held now, packed as they are counted.
    fn held(&self) -> u64 {
        let received = self.received.0.load(Ordering::Relaxed);
        self.sent.0.load(Ordering::Relaxed).wrapping_sub(received)
    }

    /// Count a message of `bytes` in, unless that takes the mailbox past
    /// a quota.
    fn take(&self, bytes: u64) -> Result<(), QuotaExceeded> {
        let add = weight_of(bytes);
        let before = self.sent.0.fetch_add(add, Ordering::Relaxed);
        let held = before
            .wrapping_add(add)
            .wrapping_sub(self.received.0.load(Ordering::Relaxed));
        let len = held >> COUNT_SHIFT;
        let held_bytes = held & MAX_MAILBOX_BYTES as u64;
        let over = if len > self.max_len {
            Some(QuotaExceeded::new("mailbox_len", self.max_len as usize))
        } else if held_bytes > self.max_bytes {
            Some(QuotaExceeded::size(
                "mailbox_bytes",
                self.max_bytes as usize,
                held_bytes as usize,
            ))
        } else {
            None
        };
        match over {
            Some(over) => {
                self.untake(bytes);
                Err(over)
            }
            None => Ok(()),
        }
    }

    /// Give back what [`Gauge::take`] counted for a message not queued.
    fn untake(&self, bytes: u64) {
        self.sent.0.fetch_sub(weight_of(bytes), Ordering::Relaxed);
    }

    /// A message of `bytes` left the mailbox. Only the receiver calls it.
    fn release(&self, bytes: u64) {
        let received = self.received.0.load(Ordering::Relaxed);
        self.received
            .0
            .store(received.wrapping_add(weight_of(bytes)), Ordering::Relaxed);
    }
}

/// How full a mailbox is, against its quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MailboxFill {
    /// Messages waiting (calls, casts and plain messages from others).
    pub messages: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The `mailbox_len` quota.
    pub max_messages: u64,
    /// The `mailbox_bytes` quota.
    pub max_bytes: u64,
}

/// The sending side of a process's mailbox: messages from other processes
/// are counted against its quotas, the host's own are not.
#[derive(Debug, Clone)]
pub struct Mailbox {
    sender: mpsc::UnboundedSender<Envelope>,
    gauge: Arc<Gauge>,
    order: Arc<SendOrder>,
}

/// Why a message was not delivered.
#[derive(Debug)]
pub(crate) enum Undelivered {
    /// The process has exited.
    Closed,
    /// Its mailbox is at a quota.
    Full(QuotaExceeded),
}

impl Mailbox {
    /// Queue `envelope` (casts go through [`post_cast`](Self::post_cast)).
    pub(crate) fn post(&self, envelope: Envelope) -> Result<(), Undelivered> {
        let weight = envelope.weight();
        if let Some(bytes) = weight {
            self.gauge.take(bytes).map_err(Undelivered::Full)?;
        }
        self.order.other();
        self.sender.send(envelope).map_err(|_| {
            if let Some(bytes) = weight {
                self.gauge.untake(bytes);
            }
            Undelivered::Closed
        })
    }

    /// Queue what the host sends (a timer, an exit signal, a down): true
    /// if the process is still there to get it.
    /// Messages from other processes waiting in it, and their bytes
    /// (what the host itself queues is not counted), with its quotas.
    pub(crate) fn fill(&self) -> MailboxFill {
        let held = self.gauge.held();
        MailboxFill {
            messages: held >> COUNT_SHIFT,
            bytes: held & MAX_MAILBOX_BYTES as u64,
            max_messages: self.gauge.max_len,
            max_bytes: self.gauge.max_bytes,
        }
    }

    pub(crate) fn send(&self, envelope: Envelope) -> bool {
        self.order.other();
        self.sender.send(envelope).is_ok()
    }

    /// Queue the cast `msg`: with the casts queued right before it if the
    /// process has not taken them yet (see [`CastRun`]), else in an
    /// envelope of its own.
    pub(crate) fn post_cast(&self, msg: Vec<u8>) -> Result<(), Undelivered> {
        let bytes = msg.len() as u64;
        self.gauge.take(bytes).map_err(Undelivered::Full)?;
        let queued = !self.sender.is_closed()
            && self
                .order
                .cast(msg, |run| self.sender.send(Envelope::Casts(run)).is_ok());
        if queued {
            Ok(())
        } else {
            self.gauge.untake(bytes);
            Err(Undelivered::Closed)
        }
    }
}

/// The receiving side of a process's mailbox.
#[derive(Debug)]
pub(crate) struct Inbox {
    receiver: mpsc::UnboundedReceiver<Envelope>,
    gauge: Arc<Gauge>,
}

impl Inbox {
    /// The next message, or None once every sender is gone.
    pub(crate) async fn recv(&mut self) -> Option<Envelope> {
        let envelope = self.receiver.recv().await?;
        if let Some(bytes) = envelope.weight() {
            self.gauge.release(bytes);
        }
        Some(envelope)
    }

    /// Take the casts out of `run`: from now on they no longer count
    /// against the quotas, and later casts queue anew. None if taken already.
    pub(crate) fn open(&self, run: &CastRun) -> Option<Casts> {
        let casts = run.open()?;
        for msg in casts.messages() {
            self.gauge.release(msg.len() as u64);
        }
        Some(casts)
    }
}

/// A new mailbox, bounded by `quotas`.
pub(crate) fn mailbox(quotas: &Quotas) -> (Mailbox, Inbox) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let gauge = Arc::new(Gauge::new(quotas));
    (
        Mailbox {
            sender,
            gauge: gauge.clone(),
            order: Arc::default(),
        },
        Inbox { receiver, gauge },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotas(len: usize, bytes: usize) -> Quotas {
        Quotas {
            mailbox_len: len,
            mailbox_bytes: bytes,
            ..Quotas::default()
        }
    }

    fn info(msg: Vec<u8>) -> Envelope {
        Envelope::Info(msg)
    }

    /// The casts of the next envelope, which must be casts.
    async fn next_casts(inbox: &mut Inbox) -> Vec<Vec<u8>> {
        let Some(Envelope::Casts(run)) = inbox.recv().await else {
            panic!("the next envelope holds casts");
        };
        let casts = inbox.open(&run).expect("not opened before");
        casts.messages().map(<[u8]>::to_vec).collect()
    }

    #[tokio::test]
    async fn a_full_mailbox_refuses_and_frees_as_it_is_read() {
        let (mailbox, mut inbox) = mailbox(&quotas(2, 1 << 20));
        mailbox.post(info(vec![1])).expect("first");
        mailbox.post_cast(vec![2]).expect("second");
        let Err(Undelivered::Full(over)) = mailbox.post_cast(vec![3]) else {
            panic!("a third message fits in a mailbox of two");
        };
        assert_eq!(over.to_string(), "quota: mailbox_len: at most 2 at once");
        // What the host sends is not counted.
        assert!(mailbox.send(Envelope::Timer {
            timer: 1,
            msg: vec![]
        }));
        assert!(matches!(inbox.recv().await, Some(Envelope::Info(_))));
        mailbox.post(info(vec![3])).expect("room again");
    }

    #[tokio::test]
    async fn bytes_are_counted_too() {
        let (mailbox, mut inbox) = mailbox(&quotas(100, 10));
        mailbox.post(info(vec![0; 6])).expect("six bytes");
        let Err(Undelivered::Full(over)) = mailbox.post_cast(vec![0; 6]) else {
            panic!("twelve bytes fit in ten");
        };
        assert_eq!(over.quota, "mailbox_bytes");
        inbox.recv().await.expect("the first");
        mailbox.post_cast(vec![0; 10]).expect("ten bytes fit");
    }

    #[tokio::test]
    async fn casts_in_one_envelope_count_one_by_one_until_opened() {
        let (mailbox, mut inbox) = mailbox(&quotas(3, 100));
        for n in 0..3 {
            mailbox.post_cast(vec![n; 10]).expect("room");
        }
        assert!(
            mailbox.post_cast(vec![3]).is_err(),
            "three casts fill three places"
        );
        assert_eq!(mailbox.fill().messages, 3);
        assert_eq!(mailbox.fill().bytes, 30);
        assert_eq!(
            next_casts(&mut inbox).await,
            [vec![0; 10], vec![1; 10], vec![2; 10]]
        );
        assert_eq!(mailbox.gauge.held(), 0, "opened, they no longer count");
    }

    #[tokio::test]
    async fn casts_and_other_messages_keep_their_order() {
        let (mailbox, mut inbox) = mailbox(&quotas(100, 1000));
        mailbox.post_cast(b"a".to_vec()).expect("a");
        mailbox.post_cast(b"b".to_vec()).expect("b");
        mailbox.post(info(b"i".to_vec())).expect("i");
        mailbox.post_cast(b"c".to_vec()).expect("c");
        assert!(mailbox.send(Envelope::Timer {
            timer: 1,
            msg: vec![]
        }));
        mailbox.post_cast(b"d".to_vec()).expect("d");
        assert_eq!(next_casts(&mut inbox).await, [b"a", b"b"]);
        assert!(matches!(inbox.recv().await, Some(Envelope::Info(m)) if m == b"i"));
        assert_eq!(next_casts(&mut inbox).await, [b"c"]);
        assert!(matches!(inbox.recv().await, Some(Envelope::Timer { .. })));
        assert_eq!(next_casts(&mut inbox).await, [b"d"]);
    }

    #[tokio::test]
    async fn the_counts_may_wrap() {
        let (mailbox, mut inbox) = mailbox(&quotas(2, 100));
        let near_the_end = u64::MAX - (1 << COUNT_SHIFT);
        mailbox.gauge.sent.0.store(near_the_end, Ordering::Relaxed);
        mailbox
            .gauge
            .received
            .0
            .store(near_the_end, Ordering::Relaxed);
        for round in 0..5u8 {
            mailbox.post(info(vec![round; 40])).expect("one");
            mailbox.post(info(vec![round; 40])).expect("two");
            assert!(mailbox.post_cast(vec![round]).is_err());
            inbox.recv().await.expect("one back");
            inbox.recv().await.expect("two back");
            assert_eq!(mailbox.gauge.held(), 0);
        }
    }

    #[tokio::test]
    async fn a_closed_mailbox_gives_its_count_back() {
        let (mailbox, inbox) = mailbox(&quotas(1, 100));
        drop(inbox);
        assert!(matches!(
            mailbox.post(info(vec![1])),
            Err(Undelivered::Closed)
        ));
        assert!(matches!(
            mailbox.post_cast(vec![1]),
            Err(Undelivered::Closed)
        ));
        assert_eq!(mailbox.gauge.held(), 0);
    }
}
