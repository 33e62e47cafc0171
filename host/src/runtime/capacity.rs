//! How many processes the kernel lets one host hold.
//!
//! RAM is not what runs out first: every live process costs the host a few
//! memory mappings, and Linux caps mappings per process at
//! `vm.max_map_count` (65,530 by default). Past it every `mmap` fails,
//! the host's own allocations included. So the cap is computed before the
//! pool is made, and a start past it is refused with a line that names the
//! sysctl, never left to fail inside wasmtime.

use std::fmt;

/// Mappings each pool slot costs as soon as the pool exists, used or not:
/// its fiber stack and the stack's guard page (wasmtime's pooling
/// allocator protects every guard page up front).
pub const MAPS_PER_SLOT: u64 = 2;

/// Mappings each live process adds: its linear memory, made accessible
/// inside the slot's reservation, splits that reservation in two.
/// Measured: 2.000 per process from 1,000 to 250,000 processes.
pub const MAPS_PER_PROCESS: u64 = 2;

/// Mappings kept for the host's own use: its libraries, thread stacks,
/// allocator arenas, compiled code, and large builds (Python,
/// JavaScript), which are allocated on demand and cost about six each.
pub const HOST_MAPS: u64 = 4096;

/// The kernel's mapping limit leaves room for fewer processes than were
/// asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapLimit {
    /// `vm.max_map_count` when the host started.
    pub max_map_count: u64,
    /// How many live processes fit under it (the host's cap).
    pub processes: u32,
    /// How many were asked for (`--max-processes`, `[host]`, `HostConfig`).
    pub wanted: u32,
    /// The `vm.max_map_count` that `wanted` needs.
    pub needed: u64,
}

impl fmt::Display for MapLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the kernel's vm.max_map_count ({}) leaves room for {} live processes, not the {} asked for; raise it with `sysctl -w vm.max_map_count={}`",
            self.max_map_count, self.processes, self.wanted, self.needed
        )
    }
}

/// The `vm.max_map_count` that `processes` live processes need with
/// `spare` extra pool slots, beside what the host maps now (`in_use`).
pub fn maps_needed(processes: u32, spare: u32, in_use: u64) -> u64 {
    let slots = u64::from(processes) + u64::from(spare);
    slots * MAPS_PER_SLOT + u64::from(processes) * MAPS_PER_PROCESS + in_use + HOST_MAPS
}

/// Fit `wanted` processes (plus `spare` slots) under this machine's
/// `vm.max_map_count`: the cap to use, and the limit that lowered it, if
/// one did. Where the kernel does not say (not Linux), `wanted` stands.
pub fn fit(wanted: u32, spare: u32) -> (u32, Option<MapLimit>) {
    match (max_map_count(), maps_in_use()) {
        (Some(max), Some(in_use)) => fit_under(wanted, spare, max, in_use),
        _ => (wanted, None),
    }
}

/// [`fit`] for a given limit and mappings in use.
pub fn fit_under(
    wanted: u32,
    spare: u32,
    max_map_count: u64,
    in_use: u64,
) -> (u32, Option<MapLimit>) {
    let needed = maps_needed(wanted, spare, in_use);
    if needed <= max_map_count {
        return (wanted, None);
    }
    let room = max_map_count.saturating_sub(in_use + HOST_MAPS + u64::from(spare) * MAPS_PER_SLOT)
        / (MAPS_PER_SLOT + MAPS_PER_PROCESS);
    let processes = u32::try_from(room).unwrap_or(u32::MAX).min(wanted);
    let limit = MapLimit {
        max_map_count,
        processes,
        wanted,
        // Rounded up to a multiple of 65,536 so the advice reads well.
        needed: needed.div_ceil(1 << 16) << 16,
    };
    (processes, Some(limit))
}

/// `/proc/sys/vm/max_map_count`, if this kernel has one.
pub fn max_map_count() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// How many mappings this process has now.
pub fn maps_in_use() -> Option<u64> {
    let maps = std::fs::read("/proc/self/maps").ok()?;
    Some(maps.iter().filter(|&&b| b == b'\n').count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_that_fits_stands() {
        assert_eq!(fit_under(10_000, 256, 65_530, 500), (10_000, None));
    }

    #[test]
    fn a_cap_past_the_kernel_is_lowered_and_says_what_to_raise() {
        let (cap, limit) = fit_under(250_000, 256, 65_530, 500);
        let limit = limit.expect("limited");
        assert!(cap < 16_000 && cap > 14_000, "cap {cap}");
        assert_eq!(limit.processes, cap);
        assert!(maps_needed(cap, 256, 500) <= 65_530);
        assert!(maps_needed(cap + 1, 256, 500) > 65_530);
        assert!(limit.needed >= maps_needed(250_000, 256, 500));
        let line = limit.to_string();
        assert!(line.contains("vm.max_map_count (65530)"), "{line}");
        assert!(
            line.contains("sysctl -w vm.max_map_count=1048576"),
            "{line}"
        );
    }

    #[test]
    fn no_room_at_all_is_a_cap_of_zero() {
        let (cap, limit) = fit_under(100, 256, 1_000, 900);
        assert_eq!(cap, 0);
        assert!(limit.is_some());
    }
}
