//! The host side of an instance that is not a process (yet).

use super::host::{
    Caller, ChildByIdOp, GuestCallError, GuestTarget, HostCalls, LogLevel, PendingCall,
    PendingSupervisor, Timeout,
};
use crate::sandbox::QuotaExceeded;

/// The host side of an instance that is not (yet) a process: the vsn probe,
/// and a fresh instance waiting for a code change, which gets the process's
/// own host side only when the change runs.
pub(crate) struct Detached;

impl HostCalls for Detached {
    fn self_pid(&mut self) -> u64 {
        0
    }
    fn send_after(&mut self, _msg: Vec<u8>, _ms: u32) -> Result<u64, QuotaExceeded> {
        Ok(0)
    }
    fn cancel_timer(&mut self, _timer: u64) -> bool {
        false
    }
    fn reply(&mut self, _to: Caller, _msg: Vec<u8>) -> Result<(), QuotaExceeded> {
        Ok(())
    }
    fn trap_exit(&mut self, _enabled: bool) {}
    fn log(&mut self, _level: LogLevel, _msg: String) {}
    fn config(&mut self, _key: String) -> Option<Vec<u8>> {
        None
    }
    fn whereis(&mut self, _name: String) -> Option<u64> {
        None
    }
    fn send(&mut self, _to: GuestTarget, _msg: Vec<u8>) -> Result<(), GuestCallError> {
        Err(GuestCallError::Noproc)
    }
    fn cast(&mut self, _to: GuestTarget, _msg: Vec<u8>) -> Result<(), GuestCallError> {
        Err(GuestCallError::Noproc)
    }
    fn call(&mut self, _to: GuestTarget, _request: Vec<u8>, _timeout: Timeout) -> PendingCall {
        Box::pin(async { Err(GuestCallError::Noproc) })
    }
    fn monitor(&mut self, _pid: u64) -> Result<u64, QuotaExceeded> {
        Ok(0)
    }
    fn demonitor(&mut self, _monitor: u64) -> bool {
        false
    }
    fn link(&mut self, _pid: u64) -> Result<(), GuestCallError> {
        Err(GuestCallError::Noproc)
    }
    fn unlink(&mut self, _pid: u64) {}
    fn register(&mut self, _name: String) -> Result<(), String> {
        Err("not a process".into())
    }
    fn unregister(&mut self, _name: String) -> bool {
        false
    }
    fn registry_register(&mut self, _r: String, _k: String, _v: Vec<u8>) -> Result<(), String> {
        Err("not a process".into())
    }
    fn registry_unregister(&mut self, _r: String, _k: String) {}
    fn registry_lookup(&mut self, _r: String, _k: String) -> Vec<(u64, Vec<u8>)> {
        Vec::new()
    }
    fn registry_dispatch(&mut self, _r: String, _k: String, _m: Vec<u8>) -> u32 {
        0
    }
    fn registry_count(&mut self, _r: String) -> u32 {
        0
    }
    fn registry_meta(&mut self, _r: String, _k: String) -> Option<Vec<u8>> {
        None
    }
    fn registry_put_meta(&mut self, _r: String, _k: String, _v: Vec<u8>) {}
    fn pool_checkout(&mut self, _p: String, _b: bool, _t: u32) -> PendingSupervisor<u64> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn pool_checkin(&mut self, _p: String, _w: u64) {}
    fn pool_transaction(&mut self, _p: String, _r: Vec<u8>, _t: u32) -> PendingSupervisor<Vec<u8>> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn task_start_child(
        &mut self,
        _s: GuestTarget,
        _p: String,
        _i: Vec<u8>,
    ) -> PendingSupervisor<u64> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn task_async(
        &mut self,
        _s: GuestTarget,
        _p: String,
        _i: Vec<u8>,
        _l: bool,
    ) -> PendingSupervisor<u64> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn task_await(&mut self, _t: u64, _ms: u32) -> PendingSupervisor<Vec<u8>> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn start_child(&mut self, _sup: GuestTarget, _spec: Vec<u8>) -> PendingSupervisor<Option<u64>> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn terminate_child(&mut self, _sup: GuestTarget, _child: u64) -> PendingSupervisor<()> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn child_by_id(
        &mut self,
        _sup: GuestTarget,
        _op: ChildByIdOp,
        _id: String,
    ) -> PendingSupervisor<Option<u64>> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn which_children(&mut self, _sup: GuestTarget) -> PendingSupervisor<Vec<u8>> {
        Box::pin(async { Err("not a process".into()) })
    }
    fn count_children(&mut self, _sup: GuestTarget) -> PendingSupervisor<Vec<u8>> {
        Box::pin(async { Err("not a process".into()) })
    }
}
