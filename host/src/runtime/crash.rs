//! Why a guest crashed: a wasmtime error turned into a reason people can read.

use std::fmt;
use std::time::Duration;

use wasmtime::{Trap, WasmBacktrace};

use super::frame_names::readable_name;
use crate::sandbox::{DeadlineExceeded, MemoryLimitExceeded, QuotaExceeded};

/// A guest crash: the cause, the guest's call stack when it happened, and the
/// tail of what it printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Crash {
    /// What went wrong.
    pub cause: CrashCause,
    /// Guest function names, innermost first (empty when unknown).
    pub backtrace: Vec<String>,
    /// The last few KiB of the guest's stdout and stderr.
    pub output: String,
}

/// What ended a guest. Its `Display` is the exit reason a supervisor, a log
/// and a test see, e.g. `panic: faulty: asked to panic`.
#[derive(Debug, Clone, PartialEq)]
pub enum CrashCause {
    /// A WebAssembly trap (unreachable, out-of-bounds access, bad cast, ...).
    Trap(String),
    /// The guest panicked (a Rust panic aborts through `unreachable`; its
    /// message is read from the guest's stderr).
    Panic(String),
    /// The guest's language raised an exception nothing caught (a Python
    /// or JavaScript guest): its type and message, read from the traceback
    /// the guest printed, which stays in the crash report's output.
    Exception(String),
    /// A callback ran past its CPU deadline.
    CpuDeadline(Duration),
    /// The guest tried to grow its memory past its limit.
    MemoryLimit {
        /// The limit, in bytes.
        limit_bytes: u64,
        /// What the guest asked for, in bytes.
        requested_bytes: u64,
    },
    /// The guest's call stack overflowed.
    StackOverflow,
    /// The guest went over one of its plugin's quotas where it has no
    /// error to be told (a timer, a monitor, a reply).
    Quota(QuotaExceeded),
    /// The host could not run the guest (instantiation failed, a host import
    /// failed).
    Host(String),
}

impl fmt::Display for CrashCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CrashCause::Trap(what) => write!(f, "trap: {what}"),
            CrashCause::Panic(message) => write!(f, "panic: {message}"),
            CrashCause::Exception(what) => write!(f, "exception: {what}"),
            CrashCause::CpuDeadline(deadline) => write!(
                f,
                "cpu deadline: callback ran past its {} ms deadline",
                deadline.as_millis()
            ),
            CrashCause::MemoryLimit {
                limit_bytes,
                requested_bytes,
            } => write!(
                f,
                "memory limit: guest tried to grow its memory to {requested_bytes} bytes, limit {limit_bytes} bytes"
            ),
            CrashCause::StackOverflow => write!(f, "stack overflow: guest call stack exhausted"),
            CrashCause::Quota(quota) => quota.fmt(f),
            CrashCause::Host(what) => write!(f, "host error: {what}"),
        }
    }
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.cause.fmt(f)
    }
}

impl Crash {
    /// Classify a wasmtime error from a guest call. `output` is the guest's
    /// output tail, read for a panic message.
    pub fn from_wasmtime(err: &wasmtime::Error, output: String) -> Crash {
        let cause = classify(err, &output);
        let backtrace = err
            .downcast_ref::<WasmBacktrace>()
            .map(|bt| {
                bt.frames()
                    .iter()
                    .map(|frame| match frame.func_name() {
                        Some(name) => readable_name(name),
                        None => format!("<wasm function {}>", frame.func_index()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Crash {
            cause,
            backtrace,
            output,
        }
    }

    /// A crash the host itself decided on, with no guest stack.
    pub fn host(what: impl Into<String>) -> Crash {
        Crash {
            cause: CrashCause::Host(what.into()),
            backtrace: Vec::new(),
            output: String::new(),
        }
    }
}

/// The most guest frames a crash report names: the innermost, where the
/// crash is. The engines capture no more (wasmtime's own default depth):
/// a guest that recurses until its stack overflows has thousands of
/// frames, and each one captured costs a lookup, a name and a longer log
/// line at every crash.
pub const BACKTRACE_FRAMES: usize = 20;

fn classify(err: &wasmtime::Error, output: &str) -> CrashCause {
    if let Some(panicked) = err.downcast_ref::<GuestPanicked>() {
        // What the language printed names the place too; the message
        // the guest passed is the fallback.
        return CrashCause::Panic(
            panic_message(output).unwrap_or_else(|| panicked.message.clone()),
        );
    }
    if let Some(limit) = err.downcast_ref::<MemoryLimitExceeded>() {
        return CrashCause::MemoryLimit {
            limit_bytes: limit.limit_bytes,
            requested_bytes: limit.requested_bytes,
        };
    }
    if let Some(quota) = err.downcast_ref::<QuotaExceeded>() {
        return CrashCause::Quota(quota.clone());
    }
    if let Some(deadline) = err.downcast_ref::<DeadlineExceeded>() {
        return CrashCause::CpuDeadline(deadline.deadline);
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::StackOverflow) => CrashCause::StackOverflow,
        Some(Trap::UnreachableCodeReached) => {
            // A language runtime written in Rust (componentize-py's) panics
            // after printing the exception: the exception is the cause.
            if let Some(exception) = python_exception(output).or_else(|| js_exception(output)) {
                CrashCause::Exception(exception)
            } else if let Some(message) = panic_message(output) {
                CrashCause::Panic(message)
            } else {
                CrashCause::Trap("wasm `unreachable` instruction executed".into())
            }
        }
        Some(trap) => CrashCause::Trap(trap.to_string()),
        None => CrashCause::Host(format!("{err:#}").lines().next().unwrap_or("").to_string()),
    }
}

/// A guest said it panicked (the `panicked` import): the error that ends
/// its callback, with no hardware trap.
#[derive(Debug)]
pub(crate) struct GuestPanicked {
    message: String,
}

impl GuestPanicked {
    /// Longest message kept, in bytes: the guest chooses it.
    const MAX_MESSAGE: usize = 1024;

    /// `message` on one line, as a panic read from the guest's output is
    /// ([`on_one_line`]), cut to [`Self::MAX_MESSAGE`] bytes at a
    /// character boundary.
    pub(crate) fn new(message: String) -> GuestPanicked {
        let mut message = if message.contains('\n') {
            on_one_line(message.lines())
        } else {
            message
        };
        message.truncate(message.floor_char_boundary(Self::MAX_MESSAGE));
        GuestPanicked { message }
    }
}

impl fmt::Display for GuestPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panic: {}", self.message)
    }
}

impl std::error::Error for GuestPanicked {}

/// Where the last `marker` in `output` begins. Most crashes print nothing
/// (a trap, a panic that went through `panicked`): those skip the search,
/// whose set-up alone cost about 500 instructions a marker, three markers
/// a trap (`callgrind`).
fn last(output: &str, marker: &str) -> Option<usize> {
    if output.len() < marker.len() {
        return None;
    }
    output.rfind(marker)
}

/// The message of the last Rust panic in `output`, if any.
///
/// Rust prints `thread '…' panicked at FILE:LINE:COL:\nMESSAGE\nnote: …`.
fn panic_message(output: &str) -> Option<String> {
    let start = last(output, "panicked at ")?;
    let rest = &output[start + "panicked at ".len()..];
    let (location, message) = rest.split_once(":\n")?;
    let message = on_one_line(
        message
            .lines()
            .take_while(|line| !line.starts_with("note: ")),
    );
    Some(format!("{message} (at {location})"))
}

/// A panic message's `lines` joined with spaces, trimmed: how a crash
/// reason carries a message on one line, however the guest reported it.
fn on_one_line<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    lines.collect::<Vec<_>>().join(" ").trim().to_owned()
}

/// The exception line (`RuntimeError: message`) of the last Python
/// traceback in `output`, if any.
///
/// Python prints `Traceback (most recent call last):`, indented frames,
/// then the exception's type and message unindented.
fn python_exception(output: &str) -> Option<String> {
    let start = last(output, "Traceback (most recent call last):")?;
    output[start..]
        .lines()
        .skip(1)
        .find(|line| !line.is_empty() && !line.starts_with(' '))
        .map(|line| line.trim().to_owned())
}

/// The message of the last JavaScript exception componentize-qjs's runtime
/// panicked on, if any.
///
/// It panics with `Exception(Exception { message: Some("…"), stack:
/// Some("…") })`, the strings escaped as Rust's `Debug` does; the JS SDK
/// puts the error's type at the front of its message.
fn js_exception(output: &str) -> Option<String> {
    const MARKER: &str = "Exception { message: Some(\"";
    let start = last(output, MARKER)? + MARKER.len();
    let mut message = String::new();
    let mut chars = output[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(message),
            '\\' => match chars.next()? {
                'n' => message.push(' '),
                't' => message.push(' '),
                other => message.push(other),
            },
            c => message.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_the_guest_reports_is_named_by_what_it_printed_else_its_message() {
        let panicked = wasmtime::Error::new(GuestPanicked::new("boom".into()));
        let printed = "thread '<unnamed>' panicked at src/lib.rs:10:5:\nboom\n";
        assert_eq!(
            classify(&panicked, printed),
            CrashCause::Panic("boom (at src/lib.rs:10:5)".into())
        );
        assert_eq!(classify(&panicked, ""), CrashCause::Panic("boom".into()));
        // What the SDK passes: the message and its place, on one line.
        let panicked =
            wasmtime::Error::new(GuestPanicked::new("two\nlines (at src/lib.rs:10:5)".into()));
        assert_eq!(
            classify(&panicked, ""),
            CrashCause::Panic("two lines (at src/lib.rs:10:5)".into())
        );
        // The guest chooses the message: it is cut, never split inside a
        // character.
        let long = GuestPanicked::new("é".repeat(1000));
        assert_eq!(long.message.len(), 1024);
        assert!(long.message.chars().all(|c| c == 'é'));
    }

    #[test]
    fn reads_a_javascript_exception() {
        let out = "thread '<unnamed>' (1) panicked at crates/runtime/src/interpreter.rs:51:31:\nFailed to call 'handleCall': Exception(Exception { message: Some(\"Error: asked \\\"to\\\" throw\"), stack: Some(\"    at handleCall (/app/app.js:18:35)\\n\") })\n";
        assert_eq!(
            js_exception(out).as_deref(),
            Some("Error: asked \"to\" throw")
        );
        assert_eq!(js_exception("Exception { message: None"), None);
    }

    #[test]
    fn reads_a_python_exception() {
        let out = "Traceback (most recent call last):\n  File \"/0/app.py\", line 31, in crash\n    raise RuntimeError(\"x\")\nRuntimeError: faulty: asked to panic\n\nthread '<unnamed>' (1) panicked at runtime/src/lib.rs:1280:25:\nPython function threw an unexpected exception\n";
        assert_eq!(
            python_exception(out).as_deref(),
            Some("RuntimeError: faulty: asked to panic")
        );
        assert_eq!(python_exception("no traceback here\n"), None);
    }

    #[test]
    fn reads_a_rust_panic_message() {
        let out = "\nthread '<unnamed>' panicked at src/lib.rs:10:5:\nfaulty: asked to panic\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            panic_message(out).as_deref(),
            Some("faulty: asked to panic (at src/lib.rs:10:5)")
        );
    }

    #[test]
    fn no_panic_without_the_marker() {
        assert_eq!(panic_message("hello\n"), None);
    }
}
