//! The numbers `top` ranks processes by, read from every live process at
//! once: what each has cost so far, without asking any of them.

use serde::{Deserialize, Serialize};

use super::Pid;
use super::table::Processes;

/// One live process's costs at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessSample {
    /// Its pid.
    pub pid: Pid,
    /// Its child id.
    pub id: String,
    /// Its plugin.
    pub plugin: String,
    /// The vsn it runs.
    pub vsn: String,
    /// Compute time in callbacks so far, in nanoseconds, the running
    /// callback's time so far included (a process stuck in one long
    /// callback is busy).
    pub busy_ns: u64,
    /// Calls, casts and infos handled so far.
    pub messages: u64,
    /// Linear memory, in bytes.
    pub memory_bytes: u64,
    /// Messages waiting in its mailbox.
    pub mailbox: u64,
}

impl Processes {
    /// A sample of every live GenServer (not supervisors, not tasks).
    pub fn samples(&self) -> Vec<ProcessSample> {
        self.inner
            .entries
            .iter()
            .filter(|e| !e.shared.plugin.is_empty() && e.shared.slot.is_some())
            .filter_map(|e| {
                let mailbox = e.mailbox.as_ref()?.fill().messages;
                let report = e.shared.activity.report();
                Some(ProcessSample {
                    pid: *e.key(),
                    id: e.shared.id.clone(),
                    plugin: e.shared.plugin.clone(),
                    vsn: e.shared.vsn(),
                    busy_ns: report
                        .busy_us
                        .saturating_add(report.callback_us)
                        .saturating_mul(1000),
                    messages: report.calls + report.casts + report.infos,
                    memory_bytes: report.memory_bytes,
                    mailbox,
                })
            })
            .collect()
    }
}
