//! What a process is doing and what it has done, readable by anyone at any
//! time without asking the process: `overseer info` must answer for a
//! process that is busy in a long callback.
//!
//! Only the process's own task writes, so nothing here takes a lock or a
//! locked read-modify-write on the message path: counters are a load and a
//! store, the quoted message is a sequence lock over plain atomic words.
//! Time is read from the kernel's coarse clock (a few ns from the vDSO,
//! against tens of ns for a precise reading on a VM), which ticks every
//! few ms: one callback's length is off by up to a tick, but as a callback
//! starts anywhere between two ticks, the sum over many is right on
//! average. Only call durations for metrics take precise readings. A
//! reader may see a count one message behind.

use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;

use super::counts::{BUCKETS, CALL_BUCKETS_NS, Counts};
use crate::runtime::coarse_clock::now_ns as coarse_now_ns;

/// The longest part of a message kept for `info` to show.
pub(crate) const QUOTED_BYTES: usize = 256;
const QUOTED_WORDS: usize = QUOTED_BYTES / 8;

/// Which callback a process is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Callback {
    /// `init`.
    Init,
    /// `handle-call`.
    HandleCall,
    /// `handle-cast`.
    HandleCast,
    /// `handle-info` (messages, timers, exits, downs, timeouts).
    HandleInfo,
    /// `get-state`, for `state` or `sys:get_state`.
    GetState,
    /// A code change: `get-state` on the old build, `code-change` on the
    /// new.
    CodeChange,
    /// `terminate`.
    Terminate,
    /// `config-change`, after the application env changed.
    ConfigChange,
}

impl Callback {
    const ALL: [Callback; 8] = [
        Callback::Init,
        Callback::HandleCall,
        Callback::HandleCast,
        Callback::HandleInfo,
        Callback::GetState,
        Callback::CodeChange,
        Callback::Terminate,
        Callback::ConfigChange,
    ];

    fn code(self) -> u8 {
        self as u8 + 1
    }

    fn from_code(code: u8) -> Option<Callback> {
        Callback::ALL
            .get(usize::from(code).checked_sub(1)?)
            .copied()
    }
}

/// Call durations of one process, by bucket.
#[derive(Debug, Default)]
struct CallTimes {
    buckets: [Count; BUCKETS],
    sum_ns: Count,
}

/// One counter written by one task only.
#[derive(Debug, Default)]
struct Count(AtomicU64);

impl Count {
    fn add(&self, n: u64) {
        let now = self.0.load(Ordering::Relaxed);
        self.0.store(now.wrapping_add(n), Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The start of the message being handled, written by one task and read
/// by any: a sequence lock whose count is odd while a write is under way.
#[derive(Debug, Default)]
struct Quote {
    seq: AtomicU64,
    len: AtomicUsize,
    words: [AtomicU64; QUOTED_WORDS],
}

impl Quote {
    fn write(&self, message: &[u8]) {
        let message = &message[..message.len().min(QUOTED_BYTES)];
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        for (word, chunk) in self.words.iter().zip(message.chunks(8)) {
            let mut bytes = [0u8; 8];
            bytes[..chunk.len()].copy_from_slice(chunk);
            word.store(u64::from_ne_bytes(bytes), Ordering::Relaxed);
        }
        self.len.store(message.len(), Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// The quote, or None if it kept changing while read (the process is
    /// going through messages faster than it can be read).
    fn read(&self) -> Option<Vec<u8>> {
        for _ in 0..8 {
            let before = self.seq.load(Ordering::Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let len = self.len.load(Ordering::Relaxed).min(QUOTED_BYTES);
            let mut bytes = Vec::with_capacity(len.next_multiple_of(8));
            for word in &self.words[..len.div_ceil(8)] {
                bytes.extend_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
            }
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == before {
                bytes.truncate(len);
                return Some(bytes);
            }
        }
        None
    }
}

/// A process's live activity and its counters.
#[derive(Debug)]
pub(crate) struct Activity {
    /// When it was born, on the coarse clock.
    born_ns: u64,
    /// The callback running (its code), or 0 while the process waits.
    doing: AtomicU8,
    /// When it began, on the coarse clock.
    since_ns: AtomicU64,
    calls: Count,
    casts: Count,
    cast_batches: Count,
    infos: Count,
    busy_ns: Count,
    /// Bytes of linear memory, as of the end of the last callback.
    memory_bytes: AtomicU64,
    message: Quote,
    /// Call durations, once call timing is on and a call was timed.
    call_times: OnceLock<Box<CallTimes>>,
    /// What was already reported (under an earlier vsn): the process's
    /// plugin totals take its counts once. None until first reported.
    reported: Mutex<Option<Box<Counts>>>,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            born_ns: coarse_now_ns(),
            doing: AtomicU8::new(0),
            since_ns: AtomicU64::new(0),
            calls: Count::default(),
            casts: Count::default(),
            cast_batches: Count::default(),
            infos: Count::default(),
            busy_ns: Count::default(),
            memory_bytes: AtomicU64::new(0),
            message: Quote::default(),
            call_times: OnceLock::new(),
            reported: Mutex::default(),
        }
    }
}

/// The activity as `info` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityReport {
    /// The callback running, if any.
    pub callback: Option<Callback>,
    /// For how long it has run, in microseconds.
    pub callback_us: u64,
    /// The message it handles (its first 256 bytes, lossy UTF-8), if the
    /// callback handles one.
    pub message: Option<String>,
    /// Calls handled (or being handled).
    pub calls: u64,
    /// Casts handled.
    pub casts: u64,
    /// Batches of casts handled in one guest entry each (builds that take
    /// them: the Rust SDK's).
    pub cast_batches: u64,
    /// Messages, timers, exit signals and downs handled.
    pub infos: u64,
    /// Time spent in callbacks, in microseconds (host calls they waited on
    /// included), each callback measured on the coarse clock: off by up to
    /// a tick (a few ms) for one callback, right on average over many.
    /// The running callback is not counted until it returns.
    pub busy_us: u64,
    /// Linear memory in use, in bytes, as of the last callback's end.
    pub memory_bytes: u64,
    /// How long the process has lived, in milliseconds.
    pub uptime_ms: u64,
}

impl Activity {
    /// `callback` begins, handling `message` if it handles one.
    pub(crate) fn begin(&self, callback: Callback, message: Option<&[u8]>) {
        match callback {
            Callback::HandleCall => self.calls.add(1),
            Callback::HandleCast => self.casts.add(1),
            Callback::HandleInfo => self.infos.add(1),
            _ => {}
        }
        self.message.write(message.unwrap_or_default());
        self.since_ns.store(coarse_now_ns(), Ordering::Relaxed);
        self.doing.store(callback.code(), Ordering::Release);
    }

    /// Quote `message` as the one being handled.
    pub(crate) fn quote(&self, message: &[u8]) {
        self.message.write(message);
    }

    /// A batch of casts begins (its first cast counted by
    /// [`begin`](Self::begin)).
    pub(crate) fn cast_batch(&self) {
        self.cast_batches.add(1);
    }

    /// A batch of casts moves on to `message`: one more cast, quoted as the
    /// one running; the callback's time goes on.
    pub(crate) fn next_cast(&self, message: &[u8]) {
        self.casts.add(1);
        self.message.write(message);
    }

    /// The running callback returned; the instance's memory is now
    /// `memory_bytes`.
    pub(crate) fn end(&self, memory_bytes: u64) {
        let since = self.since_ns.load(Ordering::Relaxed);
        self.busy_ns.add(coarse_now_ns().saturating_sub(since));
        self.memory_bytes.store(memory_bytes, Ordering::Relaxed);
        self.doing.store(0, Ordering::Release);
    }

    /// A call took `ns` nanoseconds (measured while call timing is on).
    pub(crate) fn time_call(&self, ns: u64) {
        let times = self.call_times.get_or_init(Box::default);
        let bucket = CALL_BUCKETS_NS
            .iter()
            .position(|bound| ns <= *bound)
            .unwrap_or(BUCKETS - 1);
        times.buckets[bucket].add(1);
        times.sum_ns.add(ns);
    }

    /// Linear memory in use, in bytes, as of the last callback's end.
    pub(crate) fn memory_bytes(&self) -> u64 {
        self.memory_bytes.load(Ordering::Relaxed)
    }

    /// Its counts since they were last [`reported`](Self::take_unreported).
    pub(crate) fn unreported(&self) -> Counts {
        let reported = self.reported.lock().unwrap_or_else(|p| p.into_inner());
        match reported.as_deref() {
            Some(reported) => self.counts().minus(reported),
            None => self.counts(),
        }
    }

    /// Its counts since they were last reported, marked reported now: for a
    /// code change (what came before counts under the old vsn) and an exit.
    pub(crate) fn take_unreported(&self) -> Counts {
        let mut reported = self.reported.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.counts();
        let delta = match reported.as_deref() {
            Some(reported) => now.minus(reported),
            None => now.clone(),
        };
        *reported = Some(Box::new(now));
        delta
    }

    fn counts(&self) -> Counts {
        let mut counts = Counts {
            calls: self.calls.get(),
            casts: self.casts.get(),
            infos: self.infos.get(),
            busy_ns: self.busy_ns.get(),
            ..Counts::default()
        };
        if let Some(times) = self.call_times.get() {
            for (count, bucket) in counts.call_buckets.iter_mut().zip(&times.buckets) {
                *count = bucket.get();
            }
            counts.call_ns = times.sum_ns.get();
        }
        counts
    }

    /// What it is doing now and what it has done.
    pub(crate) fn report(&self) -> ActivityReport {
        let callback = Callback::from_code(self.doing.load(Ordering::Acquire));
        let now = coarse_now_ns();
        let since = self.since_ns.load(Ordering::Relaxed);
        let running_ns = if callback.is_some() {
            now.saturating_sub(since)
        } else {
            0
        };
        let message = callback
            .filter(|c| {
                matches!(
                    c,
                    Callback::HandleCall | Callback::HandleCast | Callback::HandleInfo
                )
            })
            .and_then(|_| self.message.read())
            .map(|quoted| String::from_utf8_lossy(&quoted).into_owned());
        ActivityReport {
            callback,
            callback_us: running_ns / 1000,
            message,
            calls: self.calls.get(),
            casts: self.casts.get(),
            cast_batches: self.cast_batches.get(),
            infos: self.infos.get(),
            busy_us: self.busy_ns.get() / 1000,
            memory_bytes: self.memory_bytes.load(Ordering::Relaxed),
            uptime_ms: now.saturating_sub(self.born_ns) / 1_000_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_callbacks_and_quotes_the_message_being_handled() {
        let activity = Activity::default();
        activity.begin(Callback::HandleCall, Some(b"\"get\""));
        let busy = activity.report();
        assert_eq!(busy.callback, Some(Callback::HandleCall));
        assert_eq!(busy.message.as_deref(), Some("\"get\""));
        assert_eq!(busy.calls, 1);
        activity.end(65536);
        activity.begin(Callback::HandleCast, Some(&[b'x'; 5000]));
        activity.end(131072);
        let idle = activity.report();
        assert_eq!(idle.callback, None);
        assert_eq!(idle.message, None);
        assert_eq!((idle.calls, idle.casts, idle.infos), (1, 1, 0));
        assert_eq!(idle.memory_bytes, 131072);
        let quoted = activity.message.read().expect("no writer now");
        assert_eq!(quoted, vec![b'x'; QUOTED_BYTES], "a long message is cut");
        activity.begin(Callback::HandleInfo, Some(b"abc"));
        assert_eq!(activity.report().message.as_deref(), Some("abc"));
    }

    #[test]
    fn counts_are_reported_once() {
        let activity = Activity::default();
        activity.begin(Callback::HandleCall, None);
        activity.time_call(3_000);
        activity.end(0);
        let first = activity.take_unreported();
        assert_eq!(first.calls, 1);
        assert_eq!(first.call_buckets[2], 1, "3 µs falls in the 5 µs bucket");
        assert_eq!(first.call_ns, 3_000);
        activity.begin(Callback::HandleCast, None);
        activity.end(0);
        let second = activity.unreported();
        assert_eq!((second.calls, second.casts), (0, 1));
        activity.time_call(u64::MAX);
        assert_eq!(activity.unreported().call_buckets[BUCKETS - 1], 1);
    }

    #[test]
    fn every_callback_survives_its_code() {
        for callback in Callback::ALL {
            assert_eq!(Callback::from_code(callback.code()), Some(callback));
        }
        assert_eq!(Callback::from_code(0), None);
    }
}
