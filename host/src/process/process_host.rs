//! The host side of one process: the state its guest's imports use, and
//! the checks every import makes (grants, quotas) before it does anything.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::guest_log::LogGate;
use super::mailbox::{Mailbox, ReplySender};
use super::services::{GuestServices, NoServices};
use super::table::{Processes, Shared};
use super::{CallError, Event, Pid, ProcessRef, Target, TaskOutcome};
use crate::runtime::{Caller, Casts, GuestCallError, GuestTarget, PluginError, plugin_name_of};
use crate::sandbox::{Capability, Denied, QuotaExceeded, Quotas};

/// The process-side state a guest reaches through its imports: timers,
/// calls awaiting a reply, monitors, tasks, its log budget.
pub(crate) struct ProcessHost {
    pub(super) processes: Processes,
    pub(super) shared: Arc<Shared>,
    pub(super) mailbox: Mailbox,
    pub(super) timers: HashMap<u64, AbortHandle>,
    pub(super) next_timer: u64,
    /// The call being handled right now: answered by the reply of
    /// `handle-call`, or moved to `deferred` on `noreply`.
    current: Option<(u64, ReplySender)>,
    pub(super) deferred: HashMap<u64, ReplySender>,
    next_tag: u64,
    /// The monitors this process holds: reference → monitored pid.
    pub(super) monitoring: HashMap<u64, Pid>,
    /// Tasks this process started with `task-async`: pid → its outcome.
    pub(super) awaiting: Arc<std::sync::Mutex<HashMap<u64, oneshot::Receiver<TaskOutcome>>>>,
    pub(super) log: LogGate,
    /// The casts of the batch being handled, to quote the one running.
    pub(super) batch: Option<Arc<Casts>>,
}

impl ProcessHost {
    pub(crate) fn new(processes: Processes, shared: Arc<Shared>, mailbox: Mailbox) -> Self {
        ProcessHost {
            processes,
            shared,
            mailbox,
            timers: HashMap::new(),
            next_timer: 0,
            current: None,
            deferred: HashMap::new(),
            next_tag: 0,
            monitoring: HashMap::new(),
            awaiting: Arc::default(),
            log: LogGate::new(Instant::now()),
            batch: None,
        }
    }

    /// Make `reply` the call being handled; returns its caller handle.
    pub(crate) fn begin_call(&mut self, reply: ReplySender, from: Option<Pid>) -> Caller {
        self.next_tag += 1;
        self.current = Some((self.next_tag, reply));
        Caller {
            pid: from.map(|p| p.0),
            tag: self.next_tag,
        }
    }

    /// The call being handled, if the guest has not answered it already.
    pub(crate) fn take_current(&mut self) -> Option<ReplySender> {
        self.current.take().map(|(_, reply)| reply)
    }

    /// The caller `to` names, the current one or a deferred one.
    pub(super) fn take_caller(&mut self, to: &Caller) -> Option<ReplySender> {
        match &self.current {
            Some((tag, _)) if *tag == to.tag => self.current.take().map(|(_, r)| r),
            _ => self.deferred.remove(&to.tag),
        }
    }

    /// `handle-call` returned noreply: keep the caller for a later `reply`.
    pub(crate) fn defer_current(&mut self) {
        if let Some((tag, reply)) = self.current.take() {
            self.deferred.insert(tag, reply);
        }
    }

    /// A `send-after` timer fired: true if it was still live.
    pub(crate) fn timer_fired(&mut self, timer: u64) -> bool {
        self.timers.remove(&timer).is_some()
    }

    /// A monitor's down message arrived: the monitor is spent.
    pub(crate) fn monitor_fired(&mut self, monitor: u64) {
        self.monitoring.remove(&monitor);
    }

    /// The process is exiting: tell every waiting caller why.
    pub(crate) fn fail_callers(&mut self, error: CallError) {
        let current = self.current.take().map(|(_, reply)| reply);
        for reply in current
            .into_iter()
            .chain(self.deferred.drain().map(|(_, r)| r))
        {
            let _ = reply.send(Err(error.clone()));
        }
    }

    /// A reply of `bytes`, unless that is over the reply quota (then the
    /// process crashes with it).
    pub(crate) fn check_reply(&self, bytes: usize) -> Result<(), QuotaExceeded> {
        let limit = self.quotas().reply_bytes;
        if bytes > limit {
            return Err(self.over(QuotaExceeded::size("reply_bytes", limit, bytes)));
        }
        Ok(())
    }

    pub(super) fn quotas(&self) -> &Quotas {
        &self.shared.policy.quotas
    }

    /// `quota` went over: reported once per plugin and quota.
    pub(super) fn over(&self, quota: QuotaExceeded) -> QuotaExceeded {
        self.processes.report_quota(&self.shared, &quota);
        quota
    }

    /// Whether `held` more of something bounded by `quota` at `limit`
    /// leaves room for one more.
    pub(super) fn room(
        &self,
        quota: &'static str,
        limit: usize,
        held: usize,
    ) -> Result<(), QuotaExceeded> {
        if held >= limit {
            return Err(self.over(QuotaExceeded::new(quota, limit)));
        }
        Ok(())
    }

    /// A message of `bytes` from this process, unless over its quota.
    pub(super) fn check_message(&self, bytes: usize) -> Result<(), GuestCallError> {
        let limit = self.quotas().message_bytes;
        if bytes > limit {
            let over = self.over(QuotaExceeded::size("message_bytes", limit, bytes));
            return Err(GuestCallError::Refused(over.to_string()));
        }
        Ok(())
    }

    /// Room for one more name or registry key.
    pub(super) fn room_for_a_name(&self) -> Result<(), String> {
        let held = self
            .processes
            .names()
            .map_or(0, |names| names.held_by(self.shared.pid).len());
        self.room("names", self.quotas().names, held)
            .map_err(|e| e.to_string())
    }

    /// Room for one more child or task started by this process, in its
    /// own subtree and in those of the owners above it.
    pub(super) fn room_for_a_child(&self) -> Result<(), String> {
        self.shared
            .room_for_a_child()
            .map_err(|limit| self.over(QuotaExceeded::new("children", limit)).to_string())
    }

    /// A log line from the guest, escaped, cut and rate-limited.
    pub(super) fn log_line(&mut self, level: &'static str, message: &str) {
        let admitted = self
            .log
            .admit(message, &self.shared.policy.quotas, Instant::now());
        let events = self.processes.events();
        if admitted.dropped_before > 0 {
            events.publish(Event::GuestLog {
                pid: self.shared.pid,
                id: self.shared.id.clone(),
                level: "warn",
                message: format!(
                    "{} log lines dropped (quota: log_bytes_per_s: {})",
                    admitted.dropped_before,
                    self.quotas().log_bytes_per_s
                ),
            });
        }
        if let Some(line) = admitted.line {
            events.publish(Event::GuestLog {
                pid: self.shared.pid,
                id: self.shared.id.clone(),
                level,
                message: line,
            });
        }
    }

    /// The host's guest services, or the error a guest gets without them.
    pub(super) fn services(&self) -> Result<Arc<dyn GuestServices>, String> {
        self.processes
            .services()
            .ok_or_else(|| NoServices("services").to_string())
    }

    /// The services, if this process holds `capability` for `name`.
    pub(super) fn granted(
        &self,
        capability: Capability,
        name: &str,
    ) -> Result<Arc<dyn GuestServices>, String> {
        self.processes
            .permit(&self.shared, capability, name)
            .map_err(|e| e.to_string())?;
        self.services()
    }

    /// The services, if this process may manage `sup`'s children.
    pub(super) fn supervisor_services(
        &self,
        sup: &Target,
    ) -> Result<Arc<dyn GuestServices>, String> {
        self.processes
            .permit_supervisor(&self.shared, sup)
            .map_err(|e| e.to_string())?;
        self.not_waited_on_by(sup)?;
        self.services()
    }

    /// An error if `sup` is waiting for this process to start: asking it
    /// anything now would wait for ever.
    pub(super) fn not_waited_on_by(&self, sup: &Target) -> Result<(), String> {
        match self.processes.whereis(sup) {
            Some(pid) if self.processes.waits_on(&self.shared, pid) => Err(format!(
                "deadlock: {sup} is starting this process and answers nothing until its init returns"
            )),
            _ => Ok(()),
        }
    }

    /// The services, if this process may run task `plugin` under `sup`
    /// with an input of `input_bytes`.
    pub(super) fn task_services(
        &self,
        sup: &Target,
        plugin: &str,
        input_bytes: usize,
    ) -> Result<Arc<dyn GuestServices>, String> {
        // `x` and `x.wasm` are one plugin, and one grant.
        let name = plugin_name_of(plugin)
            .ok_or_else(|| PluginError::BadName(plugin.into()).to_string())?;
        self.processes
            .permit(&self.shared, Capability::Task, name)
            .map_err(|e| e.to_string())?;
        self.room_for_a_child()?;
        self.check_message(input_bytes).map_err(|e| e.to_string())?;
        self.supervisor_services(sup)
    }

    /// A handle on `to`, if this process may message it.
    pub(super) fn to(&self, to: GuestTarget) -> Result<ProcessRef, GuestCallError> {
        let to = target(to);
        self.processes
            .permit_message(&self.shared, &to)
            .map_err(refused)?;
        self.processes.lookup(&to).map_err(guest_error)
    }
}

impl Drop for ProcessHost {
    fn drop(&mut self) {
        for timer in self.timers.values() {
            timer.abort();
        }
        // Its monitors die with it: a long-lived target (a supervisor)
        // would otherwise keep every monitor a crashed watcher took.
        for (monitor, target) in self.monitoring.drain() {
            self.processes.demonitor(target, monitor);
        }
    }
}

/// A refusal, as the guest reads it.
pub(super) fn refused(denied: Denied) -> GuestCallError {
    GuestCallError::Refused(denied.to_string())
}

/// A target as the process floor names it.
pub(super) fn target(to: GuestTarget) -> Target {
    match to {
        GuestTarget::Pid(pid) => Target::Pid(Pid(pid)),
        GuestTarget::Name(name) => Target::Name(name),
        GuestTarget::Via((registry, key)) => Target::Via { registry, key },
    }
}

/// A call error, as the guest reads it.
pub(super) fn guest_error(err: CallError) -> GuestCallError {
    match err {
        CallError::NoProc(_) | CallError::NotAServer(_) => GuestCallError::Noproc,
        CallError::Timeout(_) => GuestCallError::Timeout,
        CallError::Exited(reason) => GuestCallError::Exited(reason.to_wit()),
        CallError::MailboxFull(..) | CallError::TooLarge(_) => {
            GuestCallError::Refused(err.to_string())
        }
    }
}
