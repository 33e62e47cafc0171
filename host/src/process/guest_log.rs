//! A guest's log lines, made safe to print: control characters escaped (no
//! forged lines), long lines cut, and output per second bounded.

use std::time::{Duration, Instant};

use crate::sandbox::Quotas;

/// One process's log budget for the current second.
#[derive(Debug)]
pub(super) struct LogGate {
    window_start: Instant,
    spent: usize,
    dropped: usize,
}

/// What to do with one log line.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Admitted {
    /// The line to print, escaped and cut; None if it was dropped.
    pub(super) line: Option<String>,
    /// Lines dropped in the second that just ended, to be said once.
    pub(super) dropped_before: usize,
}

impl LogGate {
    /// A budget whose first second starts at `now`.
    pub(super) fn new(now: Instant) -> Self {
        LogGate {
            window_start: now,
            spent: 0,
            dropped: 0,
        }
    }

    /// Admit `message` at `now` under `quotas`.
    pub(super) fn admit(&mut self, message: &str, quotas: &Quotas, now: Instant) -> Admitted {
        let mut dropped_before = 0;
        if now.duration_since(self.window_start) >= Duration::from_secs(1) {
            dropped_before = std::mem::take(&mut self.dropped);
            self.window_start = now;
            self.spent = 0;
        }
        let line = escape(message, quotas.log_line_bytes);
        if self.spent + line.len() > quotas.log_bytes_per_s {
            self.dropped += 1;
            return Admitted {
                line: None,
                dropped_before,
            };
        }
        self.spent += line.len();
        Admitted {
            line: Some(line),
            dropped_before,
        }
    }
}

/// `message` on one line: control characters escaped as Rust writes them
/// (`\n`, `\u{1b}`), cut to at most `max_bytes` of input with a note of how
/// long it was.
pub(super) fn escape(message: &str, max_bytes: usize) -> String {
    let cut = message.floor_char_boundary(max_bytes);
    let mut line = String::with_capacity(cut + 16);
    for c in message[..cut].chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    if cut < message.len() {
        line.push_str(&format!("… ({} bytes)", message.len()));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newline_cannot_forge_a_line() {
        assert_eq!(
            escape("ok\nERROR forged\r\u{1b}[31m", 100),
            "ok\\nERROR forged\\r\\u{1b}[31m"
        );
    }

    #[test]
    fn a_long_line_is_cut_on_a_char_boundary() {
        assert_eq!(escape("ééé", 3), "é… (6 bytes)");
    }

    #[test]
    fn past_the_rate_lines_are_dropped_and_counted_once() {
        let quotas = Quotas {
            log_bytes_per_s: 10,
            ..Quotas::default()
        };
        let start = Instant::now();
        let mut gate = LogGate::new(start);
        assert!(gate.admit("12345678", &quotas, start).line.is_some());
        assert!(gate.admit("abc", &quotas, start).line.is_none());
        assert!(gate.admit("abc", &quotas, start).line.is_none());
        let next = gate.admit("abc", &quotas, start + Duration::from_secs(1));
        assert_eq!(
            next,
            Admitted {
                line: Some("abc".into()),
                dropped_before: 2
            }
        );
    }
}
