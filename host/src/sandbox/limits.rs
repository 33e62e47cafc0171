//! Per-process resource limits and the store limiter that enforces them.

use std::fmt;
use std::time::Duration;

/// Resource limits of one process. Set per child in the manifest (`limits`),
/// defaulted by [`Limits::default`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest linear memory the guest may grow to, in bytes.
    /// Default 64 MiB. Cannot exceed the host's pool slot size
    /// (`HostConfig::max_memory_bytes`).
    pub memory_bytes: u64,
    /// The longest one callback may run before it is interrupted and the
    /// process crashes. Default 5 s.
    pub cpu_deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            cpu_deadline: Duration::from_secs(5),
        }
    }
}

/// The error a guest's `memory.grow` past its limit traps with.
#[derive(Debug, Clone, Copy)]
pub struct MemoryLimitExceeded {
    /// The configured limit, in bytes.
    pub limit_bytes: u64,
    /// The size the guest asked to grow to, in bytes.
    pub requested_bytes: u64,
}

impl fmt::Display for MemoryLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "memory limit: guest tried to grow its memory to {} bytes, limit {} bytes",
            self.requested_bytes, self.limit_bytes
        )
    }
}

impl std::error::Error for MemoryLimitExceeded {}

/// The error a callback that ran past its CPU deadline is interrupted with.
#[derive(Debug, Clone, Copy)]
pub struct DeadlineExceeded {
    /// The deadline that was exceeded.
    pub deadline: Duration,
}

impl fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cpu deadline: callback ran past its {} ms deadline",
            self.deadline.as_millis()
        )
    }
}

impl std::error::Error for DeadlineExceeded {}

/// Enforces [`Limits::memory_bytes`] on one Store: a grow past the limit
/// traps with [`MemoryLimitExceeded`] rather than returning -1, so the crash
/// names its cause.
#[derive(Debug, Clone, Copy)]
pub struct MemoryLimiter {
    limit_bytes: u64,
}

impl MemoryLimiter {
    /// A limiter for `limits`.
    pub fn new(limits: &Limits) -> Self {
        MemoryLimiter {
            limit_bytes: limits.memory_bytes,
        }
    }
}

/// Tables are small in every guest we know of; this bounds a runaway one.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.limit_bytes {
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                limit_bytes: self.limit_bytes,
                requested_bytes: desired as u64,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
