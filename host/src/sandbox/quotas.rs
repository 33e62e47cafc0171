//! How much of the host one process may hold: messages queued for it, the
//! size of what it sends, timers, monitors, links, names, children, log
//! output. Each has a default and can be set per plugin
//! (`[plugin.NAME.quotas]`); each is enforced where the thing is taken.

use std::fmt;

use serde::Deserialize;

/// One process's quotas. The defaults are generous for a well-behaved
/// plugin and small enough that ten thousand misbehaving ones do not take
/// the host down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quotas {
    /// Messages waiting in its mailbox (calls, casts, plain messages); a
    /// send past it fails for the sender with `mailbox full`. Default
    /// 10,000.
    pub mailbox_len: usize,
    /// Bytes of those messages. Default 64 MiB.
    pub mailbox_bytes: usize,
    /// The largest message it may send (a call's request, a cast, a plain
    /// message, a dispatch). Default 1 MiB.
    pub message_bytes: usize,
    /// The largest reply it may give (a call's reply, a deferred reply):
    /// past it, it crashes. Default 8 MiB.
    pub reply_bytes: usize,
    /// Timers pending at once: past it, it crashes. Default 1,000.
    pub timers: usize,
    /// Monitors it holds at once: past it, it crashes. Default 1,000.
    pub monitors: usize,
    /// Links it holds at once: past it, `link` fails. Default 1,000.
    pub links: usize,
    /// Names and registry keys it holds at once: past it, registering
    /// fails. Default 100.
    pub names: usize,
    /// Processes it started (`start-child`, tasks) alive at once, with
    /// those they started, and so on (its whole subtree): past it,
    /// starting another fails. Default 1,000.
    pub children: usize,
    /// Bytes of log output per second; lines past it are dropped, and how
    /// many is said once the second is over. Default 64 KiB.
    pub log_bytes_per_s: usize,
    /// The longest log line kept; longer ones are cut. Default 4 KiB.
    pub log_line_bytes: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            mailbox_len: 10_000,
            mailbox_bytes: 64 << 20,
            message_bytes: 1 << 20,
            reply_bytes: 8 << 20,
            timers: 1_000,
            monitors: 1_000,
            links: 1_000,
            names: 100,
            children: 1_000,
            log_bytes_per_s: 64 << 10,
            log_line_bytes: 4 << 10,
        }
    }
}

/// A quota a process went over. Where it has no error to return (a timer,
/// a monitor, a reply), the process crashes with this as its reason:
/// `quota: timers: at most 1000 pending at once`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct QuotaExceeded {
    /// The quota, as `[plugin.NAME.quotas]` names it.
    pub quota: &'static str,
    /// Its limit.
    pub limit: usize,
    /// What was asked for, when it is a size.
    pub asked: Option<usize>,
}

impl QuotaExceeded {
    /// Over `quota`, whose limit is `limit`.
    pub fn new(quota: &'static str, limit: usize) -> Self {
        QuotaExceeded {
            quota,
            limit,
            asked: None,
        }
    }

    /// A size `asked` over `quota`'s `limit`.
    pub fn size(quota: &'static str, limit: usize, asked: usize) -> Self {
        QuotaExceeded {
            quota,
            limit,
            asked: Some(asked),
        }
    }
}

impl fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.asked {
            Some(asked) => write!(
                f,
                "quota: {}: {asked} bytes, at most {} allowed",
                self.quota, self.limit
            ),
            None => write!(f, "quota: {}: at most {} at once", self.quota, self.limit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_names_itself_and_its_limit() {
        assert_eq!(
            QuotaExceeded::new("timers", 1000).to_string(),
            "quota: timers: at most 1000 at once"
        );
        assert_eq!(
            QuotaExceeded::size("message_bytes", 1024, 4096).to_string(),
            "quota: message_bytes: 4096 bytes, at most 1024 allowed"
        );
    }

    #[test]
    fn quotas_parse_with_defaults_for_the_rest() {
        let quotas: Quotas = toml::from_str("timers = 5\nmailbox_len = 10\n").expect("parses");
        assert_eq!((quotas.timers, quotas.mailbox_len), (5, 10));
        assert_eq!(quotas.monitors, Quotas::default().monitors);
        assert!(toml::from_str::<Quotas>("timer = 5\n").is_err());
    }
}
