//! What a process's mailbox carries, and how much of it may wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use super::code_change::CodeChange;
use super::config_change::ConfigChange;
use super::{CallError, ExitReason, Pid};
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
    /// A cast: `handle-cast`.
    Cast(Vec<u8>),
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
            Envelope::Cast(msg) | Envelope::Info(msg) => Some(msg.len() as u64),
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
    /// Queue `envelope`.
    pub(crate) fn post(&self, envelope: Envelope) -> Result<(), Undelivered> {
        let weight = envelope.weight();
        if let Some(bytes) = weight {
            self.gauge.take(bytes).map_err(Undelivered::Full)?;
        }
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
        self.sender.send(envelope).is_ok()
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

    /// The next message if one is waiting, without waiting.
    pub(crate) fn try_recv(&mut self) -> Option<Envelope> {
        let envelope = self.receiver.try_recv().ok()?;
        if let Some(bytes) = envelope.weight() {
            self.gauge.release(bytes);
        }
        Some(envelope)
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

    #[tokio::test]
    async fn a_full_mailbox_refuses_and_frees_as_it_is_read() {
        let (mailbox, mut inbox) = mailbox(&quotas(2, 1 << 20));
        mailbox.post(Envelope::Cast(vec![1])).expect("first");
        mailbox.post(Envelope::Info(vec![2])).expect("second");
        let Err(Undelivered::Full(over)) = mailbox.post(Envelope::Cast(vec![3])) else {
            panic!("a third message fits in a mailbox of two");
        };
        assert_eq!(over.to_string(), "quota: mailbox_len: at most 2 at once");
        // What the host sends is not counted.
        assert!(mailbox.send(Envelope::Timer {
            timer: 1,
            msg: vec![]
        }));
        assert!(matches!(inbox.recv().await, Some(Envelope::Cast(_))));
        mailbox.post(Envelope::Cast(vec![3])).expect("room again");
    }

    #[tokio::test]
    async fn bytes_are_counted_too() {
        let (mailbox, mut inbox) = mailbox(&quotas(100, 10));
        mailbox.post(Envelope::Cast(vec![0; 6])).expect("six bytes");
        let Err(Undelivered::Full(over)) = mailbox.post(Envelope::Cast(vec![0; 6])) else {
            panic!("twelve bytes fit in ten");
        };
        assert_eq!(over.quota, "mailbox_bytes");
        inbox.recv().await.expect("the first");
        mailbox
            .post(Envelope::Cast(vec![0; 10]))
            .expect("ten bytes fit");
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
            mailbox.post(Envelope::Cast(vec![round; 40])).expect("one");
            mailbox.post(Envelope::Cast(vec![round; 40])).expect("two");
            assert!(mailbox.post(Envelope::Cast(vec![round])).is_err());
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
            mailbox.post(Envelope::Cast(vec![1])),
            Err(Undelivered::Closed)
        ));
        assert_eq!(mailbox.gauge.held(), 0);
    }
}
