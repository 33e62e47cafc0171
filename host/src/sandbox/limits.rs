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

/// Enforces [`Limits::memory_bytes`] on one Store, over every linear
/// memory of the instance together (a component with several memories
/// shares one limit): a grow past it traps with [`MemoryLimitExceeded`]
/// rather than returning -1, so the crash names its cause.
#[derive(Debug, Clone, Copy)]
pub struct MemoryLimiter {
    limit_bytes: u64,
    /// Bytes of every memory of the Store together.
    total_bytes: u64,
    /// The last grow allowed, taken back if the grow then fails.
    last_growth: u64,
}

impl MemoryLimiter {
    /// A limiter for `limits`.
    pub fn new(limits: &Limits) -> Self {
        MemoryLimiter {
            limit_bytes: limits.memory_bytes,
            total_bytes: 0,
            last_growth: 0,
        }
    }

    /// Bytes of every memory of the Store together.
    pub fn in_use(&self) -> u64 {
        self.total_bytes
    }
}

/// Tables are small in every guest we know of; this bounds a runaway one.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;
/// Core instances one process may make: a Rust component makes three, a
/// Python or JavaScript one a few more.
const MAX_INSTANCES: usize = 32;
/// Linear memories one process may have.
const MAX_MEMORIES: usize = 8;
/// Tables one process may have.
const MAX_TABLES: usize = 32;

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = (desired as u64).saturating_sub(current as u64);
        let total = self.total_bytes.saturating_add(growth);
        if total > self.limit_bytes {
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                limit_bytes: self.limit_bytes,
                requested_bytes: total,
            }));
        }
        self.total_bytes = total;
        self.last_growth = growth;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        // The pool refused a grow this limiter allowed: the guest sees -1
        // and its memory did not grow.
        self.total_bytes = self.total_bytes.saturating_sub(self.last_growth);
        self.last_growth = 0;
        Ok(())
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
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

#[cfg(test)]
mod tests {
    use wasmtime::ResourceLimiter;

    use super::*;

    #[test]
    fn every_memory_counts_against_one_limit() {
        let mut limiter = MemoryLimiter::new(&Limits {
            memory_bytes: 100,
            ..Limits::default()
        });
        assert!(limiter.memory_growing(0, 60, None).is_ok(), "one memory");
        assert!(limiter.memory_growing(0, 30, None).is_ok(), "another");
        let err = limiter
            .memory_growing(30, 50, None)
            .expect_err("60 + 50 is over 100");
        let over = err.downcast_ref::<MemoryLimitExceeded>().expect("named");
        assert_eq!(over.requested_bytes, 110);
        assert!(limiter.memory_growing(60, 70, None).is_ok(), "60 + 10 + 30");
    }
}
