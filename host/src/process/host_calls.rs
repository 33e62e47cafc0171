//! What a process's guest imports do: each checks the plugin's grants and
//! quotas where the request enters, then acts.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::oneshot;

use super::mailbox::Envelope;
use super::process_host::{ProcessHost, guest_error, refused, target};
use super::{NameError, Pid, Target};
use crate::runtime::{
    Caller, ChildByIdOp, GuestCallError, GuestTarget, HostCalls, LogLevel, PendingCall,
    PendingSupervisor, Timeout,
};
use crate::sandbox::{Capability, QuotaExceeded};

impl HostCalls for ProcessHost {
    fn next_cast(&mut self, index: usize) {
        if let Some(msg) = self.batch.as_ref().and_then(|batch| batch.message(index)) {
            self.shared.activity.next_cast(msg);
        }
    }

    fn self_pid(&mut self) -> u64 {
        self.shared.pid.0
    }

    fn send_after(&mut self, msg: Vec<u8>, ms: u32) -> Result<u64, QuotaExceeded> {
        self.room("timers", self.quotas().timers, self.timers.len())?;
        self.next_timer += 1;
        let timer = self.next_timer;
        let mailbox = self.mailbox.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
            mailbox.send(Envelope::Timer { timer, msg });
        });
        self.timers.insert(timer, task.abort_handle());
        Ok(timer)
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

    fn reply(&mut self, to: Caller, msg: Vec<u8>) -> Result<(), QuotaExceeded> {
        self.check_reply(msg.len())?;
        // A caller that gave up has dropped its receiver: the reply is lost,
        // as a late reply in OTP is.
        if let Some(reply) = self.take_caller(&to) {
            let _ = reply.send(Ok(msg));
        }
        Ok(())
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
        self.log_line(level, &msg);
    }

    fn config(&mut self, key: String) -> Option<Vec<u8>> {
        self.processes
            .permit(&self.shared, Capability::Env, &key)
            .ok()?;
        let app = self.shared.group.clone()?;
        self.services().ok()?.config(&app, &key)
    }

    fn whereis(&mut self, name: String) -> Option<u64> {
        let name = Target::Name(name);
        self.processes.permit_message(&self.shared, &name).ok()?;
        self.processes.whereis(&name).map(|pid| pid.0)
    }

    fn send(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError> {
        self.check_message(msg.len())?;
        self.to(to)?.send(msg).map_err(guest_error)
    }

    fn cast(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError> {
        self.check_message(msg.len())?;
        self.to(to)?.cast(msg).map_err(guest_error)
    }

    fn call(&mut self, to: GuestTarget, request: Vec<u8>, timeout: Timeout) -> PendingCall {
        let me = self.shared.pid;
        let callee = self.check_message(request.len()).and_then(|()| self.to(to));
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

    fn monitor(&mut self, pid: u64) -> Result<u64, QuotaExceeded> {
        self.room("monitors", self.quotas().monitors, self.monitoring.len())?;
        if let Err(denied) = self.processes.permit_watch(&self.shared, Pid(pid)) {
            // A monitor has no error to return: the refusal arrives as its
            // down message, as a monitor of a process that is gone does.
            return Ok(self.processes.refused_monitor(
                self.shared.pid,
                Pid(pid),
                denied.to_string(),
            ));
        }
        let monitor = self.processes.monitor(self.shared.pid, Pid(pid));
        self.monitoring.insert(monitor, Pid(pid));
        Ok(monitor)
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
        let links = self.shared.link_count();
        self.room("links", self.quotas().links, links)
            .map_err(|e| GuestCallError::Refused(e.to_string()))?;
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
        self.room_for_a_name()?;
        let names = self.processes.names().ok_or("this host has no names")?;
        if names.is_reserved(&name) {
            return Err(NameError::Reserved(name).to_string());
        }
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
        let services = self.granted(Capability::Registry, &registry)?;
        self.room_for_a_name()?;
        self.check_message(value.len())
            .map_err(|_| format!("registry value of {} bytes is too large", value.len()))?;
        services
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
        if self.check_message(msg.len()).is_err() {
            return 0;
        }
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
        if self.check_message(value.len()).is_err() {
            return;
        }
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
        let services = self.granted(Capability::Pool, &pool).and_then(|s| {
            self.not_waited_on_by(&Target::Name(pool.clone()))
                .map(|()| s)
        });
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
        let services = self.granted(Capability::Pool, &pool).and_then(|s| {
            self.check_message(request.len())
                .map(|()| s)
                .map_err(|e| e.to_string())
        });
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
        let services = self.task_services(&sup, &plugin, input.len());
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
        let services = self.task_services(&sup, &plugin, input.len());
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
        let services = self
            .supervisor_services(&sup)
            .and_then(|s| self.room_for_a_child().map(|()| s));
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
            .and_then(|()| self.not_waited_on_by(&sup))
            .and_then(|()| self.services());
        Box::pin(async move {
            services?
                .terminate_child(sup, Pid(child))
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn child_by_id(
        &mut self,
        sup: GuestTarget,
        op: ChildByIdOp,
        id: String,
    ) -> PendingSupervisor<Option<u64>> {
        let sup = target(sup);
        let services = self.supervisor_services(&sup);
        Box::pin(async move {
            let pid = services?
                .child_by_id(sup, op, id)
                .await
                .map_err(|e| e.to_string())?;
            Ok(pid.map(|p| p.0))
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
