//! The host imports a guest may call, forwarded to whoever runs the process.
//!
//! The runtime knows nothing of pids, mailboxes or timers: it hands each
//! import to a [`HostCalls`] implementation, which the `process` module
//! provides. This keeps the dependency pointing one way.

use super::bindings::overseer::plugin::{host, types};
use super::instance::StoreData;

pub use types::{Caller, LogLevel};

/// What a process does when its guest calls a host import. One value per
/// process, owned by its Store.
pub trait HostCalls: Send + 'static {
    /// The calling process's pid.
    fn self_pid(&mut self) -> u64;
    /// Deliver `msg` to the process's `handle-info` after `ms` ms.
    fn send_after(&mut self, msg: Vec<u8>, ms: u32) -> u64;
    /// Cancel a `send_after` timer; true if it had not fired.
    fn cancel_timer(&mut self, timer: u64) -> bool;
    /// Answer a deferred call.
    fn reply(&mut self, to: Caller, msg: Vec<u8>);
    /// Set or clear trap-exit.
    fn trap_exit(&mut self, enabled: bool);
    /// A log line from the guest.
    fn log(&mut self, level: LogLevel, msg: String);
    /// The application env value under `key`, as JSON.
    fn config(&mut self, key: String) -> Option<Vec<u8>>;
}

impl types::Host for StoreData {}

impl host::Host for StoreData {
    fn self_pid(&mut self) -> u64 {
        self.host.self_pid()
    }

    fn send_after(&mut self, msg: Vec<u8>, ms: u32) -> u64 {
        self.host.send_after(msg, ms)
    }

    fn cancel_timer(&mut self, timer: u64) -> bool {
        self.host.cancel_timer(timer)
    }

    fn reply(&mut self, to: Caller, msg: Vec<u8>) {
        self.host.reply(to, msg)
    }

    fn trap_exit(&mut self, enabled: bool) {
        self.host.trap_exit(enabled)
    }

    fn log(&mut self, level: LogLevel, msg: String) {
        self.host.log(level, msg)
    }

    fn config(&mut self, key: String) -> Option<Vec<u8>> {
        self.host.config(key)
    }
}

/// The host side of an instance that is not (yet) a process: the vsn probe,
/// and a fresh instance waiting for a code change, which gets the process's
/// own host side only when the change runs.
pub(crate) struct Detached;

impl HostCalls for Detached {
    fn self_pid(&mut self) -> u64 {
        0
    }
    fn send_after(&mut self, _msg: Vec<u8>, _ms: u32) -> u64 {
        0
    }
    fn cancel_timer(&mut self, _timer: u64) -> bool {
        false
    }
    fn reply(&mut self, _to: Caller, _msg: Vec<u8>) {}
    fn trap_exit(&mut self, _enabled: bool) {}
    fn log(&mut self, _level: LogLevel, _msg: String) {}
    fn config(&mut self, _key: String) -> Option<Vec<u8>> {
        None
    }
}
