//! What a process's mailbox carries, and how much of it may wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use super::code_change::CodeChange;
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

/// Messages in a mailbox are counted in the top bits of one word, their
/// bytes in the rest: one atomic add per send and per receive.
const COUNT_SHIFT: u32 = 40;
/// The most bytes a mailbox quota may allow (1 TiB).
pub(crate) const MAX_MAILBOX_BYTES: usize = (1 << COUNT_SHIFT) - 1;
/// The most messages a mailbox quota may allow.
pub(crate) const MAX_MAILBOX_LEN: usize = (1 << (64 - COUNT_SHIFT)) - 1;

/// How full one mailbox is, against its quotas.
#[derive(Debug)]
struct Gauge {
    /// Messages waiting (top bits) and their bytes (low bits).
    held: AtomicU64,
    max_len: u64,
    max_bytes: u64,
}

impl Gauge {
    fn new(quotas: &Quotas) -> Self {
        Gauge {
            held: AtomicU64::new(0),
            max_len: quotas.mailbox_len.min(MAX_MAILBOX_LEN) as u64,
            max_bytes: quotas.mailbox_bytes.min(MAX_MAILBOX_BYTES) as u64,
        }
    }

    /// Count a message of `bytes` in, unless that takes the mailbox past
    /// a quota.
    fn take(&self, bytes: u64) -> Result<(), QuotaExceeded> {
        let bytes = bytes.min(MAX_MAILBOX_BYTES as u64);
        let add = (1 << COUNT_SHIFT) + bytes;
        let before = self.held.fetch_add(add, Ordering::Relaxed);
        let len = (before >> COUNT_SHIFT) + 1;
        let held = (before & MAX_MAILBOX_BYTES as u64) + bytes;
        let over = if len > self.max_len {
            Some(QuotaExceeded::new("mailbox_len", self.max_len as usize))
        } else if held > self.max_bytes {
            Some(QuotaExceeded::size(
                "mailbox_bytes",
                self.max_bytes as usize,
                held as usize,
            ))
        } else {
            None
        };
        match over {
            Some(over) => {
                self.held.fetch_sub(add, Ordering::Relaxed);
                Err(over)
            }
            None => Ok(()),
        }
    }

    /// A message of `bytes` left the mailbox.
    fn release(&self, bytes: u64) {
        let bytes = bytes.min(MAX_MAILBOX_BYTES as u64);
        self.held
            .fetch_sub((1 << COUNT_SHIFT) + bytes, Ordering::Relaxed);
    }
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
                self.gauge.release(bytes);
            }
            Undelivered::Closed
        })
    }

    /// Queue what the host sends (a timer, an exit signal, a down): true
    /// if the process is still there to get it.
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
    async fn a_closed_mailbox_gives_its_count_back() {
        let (mailbox, inbox) = mailbox(&quotas(1, 100));
        drop(inbox);
        assert!(matches!(
            mailbox.post(Envelope::Cast(vec![1])),
            Err(Undelivered::Closed)
        ));
        assert_eq!(mailbox.gauge.held.load(Ordering::Relaxed), 0);
    }
}
