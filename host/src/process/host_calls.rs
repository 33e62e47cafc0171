//! The host side of one process: what its guest's imports do.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::mailbox::{Envelope, Mailbox, ReplySender};
use super::services::{GuestServices, NoServices};
use super::table::{Processes, Shared};
use super::{CallError, Event, NameError, Pid, ProcessRef, Target, TaskOutcome};
use crate::runtime::{
    Caller, GuestCallError, GuestTarget, HostCalls, LogLevel, PendingCall, PendingSupervisor,
    Timeout,
};
use crate::sandbox::{Capability, Denied};

/// The process-side state a guest reaches through its imports: timers,
/// calls awaiting a reply, the trap-exit flag.
pub(crate) struct ProcessHost {
    processes: Processes,
    shared: Arc<Shared>,
    mailbox: Mailbox,
    timers: HashMap<u64, AbortHandle>,
    next_timer: u64,
    /// The call being handled right now: answered by the reply of
    /// `handle-call`, or moved to `deferred` on `noreply`.
    current: Option<(u64, ReplySender)>,
    deferred: HashMap<u64, ReplySender>,
    next_tag: u64,
    /// The monitors this process holds: reference → monitored pid.
    monitoring: HashMap<u64, Pid>,
    /// Tasks this process started with `task-async`: pid → its outcome.
    awaiting: Arc<std::sync::Mutex<HashMap<u64, oneshot::Receiver<TaskOutcome>>>>,
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
}

impl Drop for ProcessHost {
    fn drop(&mut self) {
        for timer in self.timers.values() {
            timer.abort();
        }
    }
}

impl HostCalls for ProcessHost {
    fn self_pid(&mut self) -> u64 {
        self.shared.pid.0
    }

    fn send_after(&mut self, msg: Vec<u8>, ms: u32) -> u64 {
        self.next_timer += 1;
        let timer = self.next_timer;
        let mailbox = self.mailbox.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
            let _ = mailbox.send(Envelope::Timer { timer, msg });
        });
        self.timers.insert(timer, task.abort_handle());
        timer
    }

    fn cancel_timer(&mut self, timer: u64) -> bool {
        match self.timers.remove(&timer) {
            Some(task) => {
                task.abort();
                true
            }
            None => false,
        }
    }

    fn reply(&mut self, to: Caller, msg: Vec<u8>) {
        let reply = match &self.current {
            Some((tag, _)) if *tag == to.tag => self.current.take().map(|(_, r)| r),
            _ => self.deferred.remove(&to.tag),
        };
        // A caller that gave up has dropped its receiver: the reply is lost,
        // as a late reply in OTP is.
        if let Some(reply) = reply {
            let _ = reply.send(Ok(msg));
        }
    }

    fn trap_exit(&mut self, enabled: bool) {
        self.shared.trap_exit.store(enabled, Ordering::Relaxed);
    }

    fn log(&mut self, level: LogLevel, msg: String) {
        let level = match level {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        self.processes.events().publish(Event::GuestLog {
            pid: self.shared.pid,
            id: self.shared.id.clone(),
            level,
            message: msg,
        });
    }

    fn config(&mut self, key: String) -> Option<Vec<u8>> {
        self.processes
            .permit(&self.shared, Capability::Env, &key)
            .ok()?;
        self.services().ok()?.config(&key)
    }

    fn whereis(&mut self, name: String) -> Option<u64> {
        let name = Target::Name(name);
        self.processes.permit_message(&self.shared, &name).ok()?;
        self.processes.whereis(&name).map(|pid| pid.0)
    }

    fn send(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError> {
        self.to(to)?.send(msg).map_err(guest_error)
    }

    fn cast(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError> {
        self.to(to)?.cast(msg).map_err(guest_error)
    }

    fn call(&mut self, to: GuestTarget, request: Vec<u8>, timeout: Timeout) -> PendingCall {
        let me = self.shared.pid;
        let callee = self.to(to);
        Box::pin(async move {
            let callee = callee?;
            if callee.pid() == me {
                return Err(GuestCallError::CallingSelf);
            }
            let timeout = match timeout {
                Timeout::Infinity => None,
                Timeout::AfterMs(ms) => Some(Duration::from_millis(u64::from(ms))),
            };
            callee
                .call_from(Some(me), request, timeout)
                .await
                .map_err(guest_error)
        })
    }

    fn monitor(&mut self, pid: u64) -> u64 {
        if let Err(denied) = self.processes.permit_watch(&self.shared, Pid(pid)) {
            // A monitor has no error to return: the refusal arrives as its
            // down message, as a monitor of a process that is gone does.
            return self
                .processes
                .refused_monitor(self.shared.pid, Pid(pid), denied.to_string());
        }
        let monitor = self.processes.monitor(self.shared.pid, Pid(pid));
        self.monitoring.insert(monitor, Pid(pid));
        monitor
    }

    fn demonitor(&mut self, monitor: u64) -> bool {
        self.monitoring
            .remove(&monitor)
            .is_some_and(|target| self.processes.demonitor(target, monitor))
    }

    fn link(&mut self, pid: u64) -> Result<(), GuestCallError> {
        self.processes
            .permit_watch(&self.shared, Pid(pid))
            .map_err(refused)?;
        self.processes
            .link(self.shared.pid, Pid(pid))
            .map_err(guest_error)
    }

    fn unlink(&mut self, pid: u64) {
        self.processes.unlink(self.shared.pid, Pid(pid));
    }

    fn register(&mut self, name: String) -> Result<(), String> {
        self.processes
            .permit(&self.shared, Capability::Register, &name)
            .map_err(|e| e.to_string())?;
        let names = self.processes.names().ok_or("this host has no names")?;
        if !self.processes.is_alive(self.shared.pid) {
            return Err(NameError::NoProc(self.shared.pid).to_string());
        }
        names
            .register_name(self.shared.pid, &name)
            .map_err(|err| err.to_string())
    }

    fn unregister(&mut self, name: String) -> bool {
        self.processes
            .names()
            .is_some_and(|names| names.unregister_name(self.shared.pid, &name))
    }

    fn registry_register(
        &mut self,
        registry: String,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), String> {
        self.processes
            .permit(&self.shared, Capability::Registry, &registry)
            .map_err(|e| e.to_string())?;
        self.services()?
            .registry_register(self.shared.pid, &registry, &key, value)
            .map_err(|e| e.to_string())
    }

    fn registry_unregister(&mut self, registry: String, key: String) {
        if let Ok(services) = self.services() {
            services.registry_unregister(self.shared.pid, &registry, &key);
        }
    }

    fn registry_lookup(&mut self, registry: String, key: String) -> Vec<(u64, Vec<u8>)> {
        let Ok(services) = self.granted(Capability::Registry, &registry) else {
            return Vec::new();
        };
        services
            .registry_lookup(&registry, &key)
            .into_iter()
            .map(|(pid, value)| (pid.0, value))
            .collect()
    }

    fn registry_dispatch(&mut self, registry: String, key: String, msg: Vec<u8>) -> u32 {
        self.granted(Capability::Registry, &registry)
            .map_or(0, |s| s.registry_dispatch(&registry, &key, &msg)) as u32
    }

    fn registry_count(&mut self, registry: String) -> u32 {
        self.granted(Capability::Registry, &registry)
            .map_or(0, |s| s.registry_count(&registry)) as u32
    }

    fn registry_meta(&mut self, registry: String, key: String) -> Option<Vec<u8>> {
        self.granted(Capability::Registry, &registry)
            .ok()?
            .registry_meta(&registry, &key)
    }

    fn registry_put_meta(&mut self, registry: String, key: String, value: Vec<u8>) {
        if let Ok(services) = self.granted(Capability::Registry, &registry) {
            services.registry_put_meta(&registry, &key, value);
        }
    }

    fn pool_checkout(
        &mut self,
        pool: String,
        block: bool,
        timeout_ms: u32,
    ) -> PendingSupervisor<u64> {
        let services = self.granted(Capability::Pool, &pool);
        let me = self.shared.pid;
        Box::pin(async move {
            let timeout = Duration::from_millis(u64::from(timeout_ms));
            let worker = services?
                .pool_checkout(me, &pool, block, timeout)
                .await
                .map_err(|e| e.to_string())?;
            Ok(worker.0)
        })
    }

    fn pool_checkin(&mut self, pool: String, worker: u64) {
        if let Ok(services) = self.granted(Capability::Pool, &pool) {
            services.pool_checkin(&pool, Pid(worker));
        }
    }

    fn pool_transaction(
        &mut self,
        pool: String,
        request: Vec<u8>,
        timeout_ms: u32,
    ) -> PendingSupervisor<Vec<u8>> {
        let services = self.granted(Capability::Pool, &pool);
        let me = self.shared.pid;
        Box::pin(async move {
            let timeout = Duration::from_millis(u64::from(timeout_ms));
            services?
                .pool_transaction(me, &pool, request, timeout)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn task_start_child(
        &mut self,
        sup: GuestTarget,
        plugin: String,
        input: Vec<u8>,
    ) -> PendingSupervisor<u64> {
        let sup = target(sup);
        let services = self.task_services(&sup, &plugin);
        let me = self.shared.pid;
        Box::pin(async move {
            let pid = services?
                .start_task(me, sup, &plugin, input, None, None)
                .await
                .map_err(|e| e.to_string())?;
            Ok(pid.0)
        })
    }

    fn task_async(
        &mut self,
        sup: GuestTarget,
        plugin: String,
        input: Vec<u8>,
        link: bool,
    ) -> PendingSupervisor<u64> {
        let sup = target(sup);
        let services = self.task_services(&sup, &plugin);
        let me = self.shared.pid;
        let awaiting = self.awaiting.clone();
        Box::pin(async move {
            let (result, outcome) = oneshot::channel();
            // Elixir's async: caller and task are linked.
            let link = link.then_some(me);
            let pid = services?
                .start_task(me, sup, &plugin, input, Some(result), link)
                .await
                .map_err(|e| e.to_string())?;
            awaiting
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(pid.0, outcome);
            Ok(pid.0)
        })
    }

    fn task_await(&mut self, task: u64, timeout_ms: u32) -> PendingSupervisor<Vec<u8>> {
        let awaiting = self.awaiting.clone();
        Box::pin(async move {
            let outcome = awaiting
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&task);
            let Some(mut outcome) = outcome else {
                return Err("unknown task".into());
            };
            let timeout = Duration::from_millis(u64::from(timeout_ms));
            match tokio::time::timeout(timeout, &mut outcome).await {
                Ok(Ok(Ok(output))) => Ok(output),
                Ok(Ok(Err(reason))) => Err(format!("exited: {reason}")),
                Ok(Err(_)) => Err("exited: killed".into()),
                Err(_) => {
                    // The task runs on; it may be awaited again.
                    awaiting
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(task, outcome);
                    Err("timeout".into())
                }
            }
        })
    }

    fn start_child(&mut self, sup: GuestTarget, spec: Vec<u8>) -> PendingSupervisor<Option<u64>> {
        let sup = target(sup);
        let services = self.supervisor_services(&sup);
        let me = self.shared.pid;
        Box::pin(async move {
            let pid = services?
                .start_child(me, sup, spec)
                .await
                .map_err(|e| e.to_string())?;
            Ok(pid.map(|p| p.0))
        })
    }

    fn terminate_child(&mut self, sup: GuestTarget, child: u64) -> PendingSupervisor<()> {
        let sup = target(sup);
        let services = self
            .processes
            .permit_terminate(&self.shared, &sup, Pid(child))
            .map_err(|e| e.to_string())
            .and_then(|()| self.services());
        Box::pin(async move {
            services?
                .terminate_child(sup, Pid(child))
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn which_children(&mut self, sup: GuestTarget) -> PendingSupervisor<Vec<u8>> {
        let sup = target(sup);
        let services = self.supervisor_services(&sup);
        Box::pin(async move {
            services?
                .which_children(sup)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn count_children(&mut self, sup: GuestTarget) -> PendingSupervisor<Vec<u8>> {
        let sup = target(sup);
        let services = self.supervisor_services(&sup);
        Box::pin(async move {
            services?
                .count_children(sup)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

impl ProcessHost {
    /// The host's guest services, or the error a guest gets without them.
    fn services(&self) -> Result<Arc<dyn GuestServices>, String> {
        self.processes
            .services()
            .ok_or_else(|| NoServices("services").to_string())
    }

    /// The services, if this process holds `capability` for `name`.
    fn granted(
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
    fn supervisor_services(&self, sup: &Target) -> Result<Arc<dyn GuestServices>, String> {
        self.processes
            .permit_supervisor(&self.shared, sup)
            .map_err(|e| e.to_string())?;
        self.services()
    }

    /// The services, if this process may run task `plugin` under `sup`.
    fn task_services(&self, sup: &Target, plugin: &str) -> Result<Arc<dyn GuestServices>, String> {
        self.processes
            .permit(&self.shared, Capability::Task, plugin)
            .map_err(|e| e.to_string())?;
        self.supervisor_services(sup)
    }

    /// A handle on `to`, if this process may message it.
    fn to(&self, to: GuestTarget) -> Result<ProcessRef, GuestCallError> {
        let to = target(to);
        self.processes
            .permit_message(&self.shared, &to)
            .map_err(refused)?;
        self.processes.lookup(&to).map_err(guest_error)
    }
}

/// A refusal, as the guest reads it.
fn refused(denied: Denied) -> GuestCallError {
    GuestCallError::Refused(denied.to_string())
}

fn target(to: GuestTarget) -> Target {
    match to {
        GuestTarget::Pid(pid) => Target::Pid(Pid(pid)),
        GuestTarget::Name(name) => Target::Name(name),
        GuestTarget::Via((registry, key)) => Target::Via { registry, key },
    }
}

fn guest_error(err: CallError) -> GuestCallError {
    match err {
        CallError::NoProc(_) | CallError::NotAServer(_) => GuestCallError::Noproc,
        CallError::Timeout(_) => GuestCallError::Timeout,
        CallError::Exited(reason) => GuestCallError::Exited(reason.to_wit()),
    }
}
