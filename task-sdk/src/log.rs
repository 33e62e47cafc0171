//! Lines in the host's log, tagged with the task's process.
//!
//! `overseer_task::log::info("started")`, or with formatting
//! `log::info(format!("{n} words"))`. Prefer these to `println!`: the host
//! decides where they go and how much of them to keep.

use crate::bindings::overseer::plugin::{host, types};

/// How severe a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Step-by-step detail.
    Trace,
    /// Useful when debugging.
    Debug,
    /// Normal events worth a line.
    Info,
    /// Something looks wrong, but the task carries on.
    Warn,
    /// Something failed.
    Error,
}

/// Write `msg` to the host's log at `level`.
pub fn log(level: Level, msg: impl AsRef<str>) {
    let level = match level {
        Level::Trace => types::LogLevel::Trace,
        Level::Debug => types::LogLevel::Debug,
        Level::Info => types::LogLevel::Info,
        Level::Warn => types::LogLevel::Warn,
        Level::Error => types::LogLevel::Error,
    };
    host::log(level, msg.as_ref());
}

/// Write `msg` to the host's log at [`Level::Trace`].
pub fn trace(msg: impl AsRef<str>) {
    log(Level::Trace, msg);
}

/// Write `msg` to the host's log at [`Level::Debug`].
pub fn debug(msg: impl AsRef<str>) {
    log(Level::Debug, msg);
}

/// Write `msg` to the host's log at [`Level::Info`].
pub fn info(msg: impl AsRef<str>) {
    log(Level::Info, msg);
}

/// Write `msg` to the host's log at [`Level::Warn`].
pub fn warn(msg: impl AsRef<str>) {
    log(Level::Warn, msg);
}

/// Write `msg` to the host's log at [`Level::Error`].
pub fn error(msg: impl AsRef<str>) {
    log(Level::Error, msg);
}
