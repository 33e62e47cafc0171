//! The guest's imports, as wasmtime's bindings call them on a Store: each
//! forwarded to the process's [`HostCalls`], and every import that waits
//! taken off the callback's CPU deadline.

use std::future::Future;
use std::time::Instant;

use super::bindings::overseer::plugin::{host, types};
use super::crash::GuestPanicked;
use super::host::{Caller, ChildByIdOp, GuestCallError, GuestTarget, LogLevel, Timeout};
use super::instance::StoreData;

impl types::Host for StoreData {}

impl host::Host for StoreData {
    fn self_pid(&mut self) -> u64 {
        self.host.self_pid()
    }

    fn send_after(&mut self, msg: Vec<u8>, ms: u32) -> wasmtime::Result<u64> {
        Ok(self.host.send_after(msg, ms)?)
    }

    fn cancel_timer(&mut self, timer: u64) -> bool {
        self.host.cancel_timer(timer)
    }

    fn reply(&mut self, to: Caller, msg: Vec<u8>) -> wasmtime::Result<()> {
        Ok(self.host.reply(to, msg)?)
    }

    fn trap_exit(&mut self, enabled: bool) {
        self.host.trap_exit(enabled)
    }

    fn log(&mut self, level: LogLevel, msg: String) {
        self.host.log(level, msg)
    }

    fn panicked(&mut self, message: String) -> wasmtime::Result<()> {
        Err(wasmtime::Error::new(GuestPanicked::new(message)))
    }

    fn cast_done(&mut self) {
        if let Some(index) = self.batch.advance() {
            self.host.next_cast(index);
        }
    }

    fn config(&mut self, key: String) -> Option<Vec<u8>> {
        self.host.config(key)
    }

    fn whereis(&mut self, name: String) -> Option<u64> {
        self.host.whereis(name)
    }

    fn send(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError> {
        self.host.send(to, msg)
    }

    fn cast(&mut self, to: GuestTarget, msg: Vec<u8>) -> Result<(), GuestCallError> {
        self.host.cast(to, msg)
    }

    async fn call(
        &mut self,
        to: GuestTarget,
        request: Vec<u8>,
        timeout: Timeout,
    ) -> Result<Vec<u8>, GuestCallError> {
        let waiting = self.host.call(to, request, timeout);
        self.wait(waiting).await
    }

    fn monitor(&mut self, pid: u64) -> wasmtime::Result<u64> {
        Ok(self.host.monitor(pid)?)
    }

    fn demonitor(&mut self, monitor: u64) -> bool {
        self.host.demonitor(monitor)
    }

    fn link(&mut self, pid: u64) -> Result<(), GuestCallError> {
        self.host.link(pid)
    }

    fn unlink(&mut self, pid: u64) {
        self.host.unlink(pid)
    }

    fn register(&mut self, name: String) -> Result<(), String> {
        self.host.register(name)
    }

    fn unregister(&mut self, name: String) -> bool {
        self.host.unregister(name)
    }

    fn registry_register(
        &mut self,
        registry: String,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), String> {
        self.host.registry_register(registry, key, value)
    }

    fn registry_unregister(&mut self, registry: String, key: String) {
        self.host.registry_unregister(registry, key)
    }

    fn registry_lookup(&mut self, registry: String, key: String) -> Vec<(u64, Vec<u8>)> {
        self.host.registry_lookup(registry, key)
    }

    fn registry_dispatch(&mut self, registry: String, key: String, msg: Vec<u8>) -> u32 {
        self.host.registry_dispatch(registry, key, msg)
    }

    fn registry_count(&mut self, registry: String) -> u32 {
        self.host.registry_count(registry)
    }

    fn registry_meta(&mut self, registry: String, key: String) -> Option<Vec<u8>> {
        self.host.registry_meta(registry, key)
    }

    fn registry_put_meta(&mut self, registry: String, key: String, value: Vec<u8>) {
        self.host.registry_put_meta(registry, key, value)
    }

    async fn pool_checkout(
        &mut self,
        pool: String,
        block: bool,
        timeout_ms: u32,
    ) -> Result<u64, String> {
        let waiting = self.host.pool_checkout(pool, block, timeout_ms);
        self.wait(waiting).await
    }

    fn pool_checkin(&mut self, pool: String, worker: u64) {
        self.host.pool_checkin(pool, worker)
    }

    async fn pool_transaction(
        &mut self,
        pool: String,
        request: Vec<u8>,
        timeout_ms: u32,
    ) -> Result<Vec<u8>, String> {
        let waiting = self.host.pool_transaction(pool, request, timeout_ms);
        self.wait(waiting).await
    }

    async fn task_start_child(
        &mut self,
        sup: GuestTarget,
        plugin: String,
        input: Vec<u8>,
    ) -> Result<u64, String> {
        let waiting = self.host.task_start_child(sup, plugin, input);
        self.wait(waiting).await
    }

    async fn task_async(
        &mut self,
        sup: GuestTarget,
        plugin: String,
        input: Vec<u8>,
        link: bool,
    ) -> Result<u64, String> {
        let waiting = self.host.task_async(sup, plugin, input, link);
        self.wait(waiting).await
    }

    async fn task_await(&mut self, task: u64, timeout_ms: u32) -> Result<Vec<u8>, String> {
        let waiting = self.host.task_await(task, timeout_ms);
        self.wait(waiting).await
    }

    async fn start_child(
        &mut self,
        sup: GuestTarget,
        spec: Vec<u8>,
    ) -> Result<Option<u64>, String> {
        let waiting = self.host.start_child(sup, spec);
        self.wait(waiting).await
    }

    async fn terminate_child(&mut self, sup: GuestTarget, child: u64) -> Result<(), String> {
        let waiting = self.host.terminate_child(sup, child);
        self.wait(waiting).await
    }

    async fn terminate_child_by_id(&mut self, sup: GuestTarget, id: String) -> Result<(), String> {
        let waiting = self.host.child_by_id(sup, ChildByIdOp::Terminate, id);
        self.wait(waiting).await.map(|_| ())
    }

    async fn restart_child(&mut self, sup: GuestTarget, id: String) -> Result<Option<u64>, String> {
        let waiting = self.host.child_by_id(sup, ChildByIdOp::Restart, id);
        self.wait(waiting).await
    }

    async fn delete_child(&mut self, sup: GuestTarget, id: String) -> Result<(), String> {
        let waiting = self.host.child_by_id(sup, ChildByIdOp::Delete, id);
        self.wait(waiting).await.map(|_| ())
    }

    async fn which_children(&mut self, sup: GuestTarget) -> Result<Vec<u8>, String> {
        let waiting = self.host.which_children(sup);
        self.wait(waiting).await
    }

    async fn count_children(&mut self, sup: GuestTarget) -> Result<Vec<u8>, String> {
        let waiting = self.host.count_children(sup);
        self.wait(waiting).await
    }
}

impl StoreData {
    /// Wait for another task on the guest's behalf (a reply, a supervisor,
    /// a pool): the wait is not this callback's CPU time.
    async fn wait<F: Future>(&mut self, waiting: F) -> F::Output {
        let started = Instant::now();
        self.pause_deadline();
        let outcome = waiting.await;
        self.exclude_from_deadline(started.elapsed());
        outcome
    }
}
