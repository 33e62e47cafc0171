//! The host side of one process: what its guest's imports do.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::mailbox::{Envelope, Mailbox, ReplySender};
use super::node::{Node, Shared};
use super::{CallError, Event, Pid, SupervisorHandle, Target, TaskOutcome};
use crate::runtime::{
    Caller, GuestCallError, GuestTarget, HostCalls, LogLevel, PendingCall, PendingSupervisor,
    Timeout,
};

/// The process-side state a guest reaches through its imports: timers,
/// calls awaiting a reply, the trap-exit flag.
pub(crate) struct ProcessHost {
    node: Node,
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
    pub(crate) fn new(node: Node, shared: Arc<Shared>, mailbox: Mailbox) -> Self {
        ProcessHost {
            node,
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
        self.node.events().publish(Event::GuestLog {
            pid: self.shared.pid,
            id: self.shared.id.clone(),
            level,
            message: msg,
        });
    }

    fn config(&mut self, key: String) -> Option<Vec<u8>> {
        self.node.env_value(&key)
    }

    fn whereis(&mut self, name: String) -> Option<u64> {
        self.node.whereis(&Target::Name(name)).map(|pid| pid.0)
    }

    fn send(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError> {
        self.node.send(&target(to), msg).map_err(guest_error)
    }

    fn cast(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError> {
        self.node.cast(&target(to), msg).map_err(guest_error)
    }

    fn call(&mut self, to: GuestTarget, request: Vec<u8>, timeout: Timeout) -> PendingCall {
        let me = self.shared.pid;
        let callee = self.node.lookup(&target(to));
        Box::pin(async move {
            let callee = callee.map_err(guest_error)?;
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
        let monitor = self.node.monitor(self.shared.pid, Pid(pid));
        self.monitoring.insert(monitor, Pid(pid));
        monitor
    }

    fn demonitor(&mut self, monitor: u64) -> bool {
        self.monitoring
            .remove(&monitor)
            .is_some_and(|target| self.node.demonitor(target, monitor))
    }

    fn link(&mut self, pid: u64) -> Result<(), GuestCallError> {
        self.node
            .link(self.shared.pid, Pid(pid))
            .map_err(guest_error)
    }

    fn unlink(&mut self, pid: u64) {
        self.node.unlink(self.shared.pid, Pid(pid));
    }

    fn register(&mut self, name: String) -> Result<(), String> {
        self.node
            .register(self.shared.pid, &name)
            .map_err(|err| err.to_string())
    }

    fn unregister(&mut self, name: String) -> bool {
        self.node.unregister(self.shared.pid, &name)
    }

    fn registry_register(
        &mut self,
        registry: String,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), String> {
        let value = serde_json::from_slice(&value).unwrap_or(serde_json::Value::Null);
        self.node
            .registry_register(&registry, &key, self.shared.pid, value)
            .map_err(|e| e.to_string())
    }

    fn registry_unregister(&mut self, registry: String, key: String) {
        self.node
            .registry_unregister(&registry, &key, self.shared.pid);
    }

    fn registry_lookup(&mut self, registry: String, key: String) -> Vec<(u64, Vec<u8>)> {
        self.node
            .registry(&registry)
            .map(|r| r.lookup(&key))
            .unwrap_or_default()
            .into_iter()
            .map(|(pid, value)| (pid.0, value.to_string().into_bytes()))
            .collect()
    }

    fn registry_dispatch(&mut self, registry: String, key: String, msg: Vec<u8>) -> u32 {
        self.node
            .registry_dispatch(&registry, &key, &msg)
            .unwrap_or(0) as u32
    }

    fn registry_count(&mut self, registry: String) -> u32 {
        self.node
            .registry(&registry)
            .map(|r| r.count())
            .unwrap_or(0) as u32
    }

    fn registry_meta(&mut self, registry: String, key: String) -> Option<Vec<u8>> {
        let value = self.node.registry(&registry).ok()?.meta(&key)?;
        Some(value.to_string().into_bytes())
    }

    fn registry_put_meta(&mut self, registry: String, key: String, value: Vec<u8>) {
        if let Ok(reg) = self.node.registry(&registry) {
            let value = serde_json::from_slice(&value).unwrap_or(serde_json::Value::Null);
            reg.put_meta(&key, value);
        }
    }

    fn pool_checkout(
        &mut self,
        pool: String,
        block: bool,
        timeout_ms: u32,
    ) -> PendingSupervisor<u64> {
        let pool = self.node.pool(&pool);
        let me = self.shared.pid;
        Box::pin(async move {
            let timeout = Duration::from_millis(u64::from(timeout_ms));
            let worker = pool
                .map_err(|e| e.to_string())?
                .checkout(Some(me), block, timeout)
                .await
                .map_err(|e| e.to_string())?;
            Ok(worker.0)
        })
    }

    fn pool_checkin(&mut self, pool: String, worker: u64) {
        if let Ok(pool) = self.node.pool(&pool) {
            pool.checkin(Pid(worker));
        }
    }

    fn pool_transaction(
        &mut self,
        pool: String,
        request: Vec<u8>,
        timeout_ms: u32,
    ) -> PendingSupervisor<Vec<u8>> {
        let pool = self.node.pool(&pool);
        let node = self.node.clone();
        let me = self.shared.pid;
        Box::pin(async move {
            let timeout = Duration::from_millis(u64::from(timeout_ms));
            pool.map_err(|e| e.to_string())?
                .transaction(&node, Some(me), request, timeout)
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
        let handle = self.supervisor(sup);
        let node = self.node.clone();
        Box::pin(async move {
            let handle = handle?;
            let plugin = node.task_plugin(&plugin).await.map_err(|e| e.to_string())?;
            Ok(handle.start_task(plugin, input, None, None).await?.0)
        })
    }

    fn task_async(
        &mut self,
        sup: GuestTarget,
        plugin: String,
        input: Vec<u8>,
        link: bool,
    ) -> PendingSupervisor<u64> {
        let handle = self.supervisor(sup);
        let node = self.node.clone();
        let me = self.shared.pid;
        let awaiting = self.awaiting.clone();
        Box::pin(async move {
            let handle = handle?;
            let plugin = node.task_plugin(&plugin).await.map_err(|e| e.to_string())?;
            let (result, outcome) = oneshot::channel();
            // Elixir's async: caller and task are linked.
            let link = link.then_some(me);
            let pid = handle.start_task(plugin, input, Some(result), link).await?;
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
        let handle = self.supervisor(sup);
        Box::pin(async move {
            let spec = serde_json::from_slice(&spec)
                .map_err(|e| format!("invalid child spec: not JSON: {e}"))?;
            let pid = handle?.start_child(spec).await?;
            Ok(pid.map(|p| p.0))
        })
    }

    fn terminate_child(&mut self, sup: GuestTarget, child: u64) -> PendingSupervisor<()> {
        let handle = self.supervisor(sup);
        Box::pin(async move { handle?.terminate_child(Pid(child)).await })
    }

    fn which_children(&mut self, sup: GuestTarget) -> PendingSupervisor<Vec<u8>> {
        let handle = self.supervisor(sup);
        Box::pin(async move { Ok(handle?.which_children().await?.to_string().into_bytes()) })
    }

    fn count_children(&mut self, sup: GuestTarget) -> PendingSupervisor<Vec<u8>> {
        let handle = self.supervisor(sup);
        Box::pin(async move { Ok(handle?.count_children().await?.to_string().into_bytes()) })
    }
}

impl ProcessHost {
    fn supervisor(&self, sup: GuestTarget) -> Result<Arc<dyn SupervisorHandle>, String> {
        let sup = target(sup);
        self.node
            .supervisor(&sup)
            .map_err(|_| format!("no such supervisor: {sup}"))
    }
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
