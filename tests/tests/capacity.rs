//! The kernel's `vm.max_map_count` caps how many processes a host holds:
//! the host computes the cap before it builds its pool, and a start past
//! it is refused with one line naming the limit and the sysctl to raise.
//!
//! Alone in its file (its own test process): it fills this process's
//! mappings until a few hundred processes' worth are left, which would
//! starve any test running beside it.

use std::time::Duration;

use overseer::application::Node;
use overseer::process::{ProcessSpec, SpawnError, Spawned, Target};
use overseer::runtime::capacity::{self, HOST_MAPS, MAPS_PER_PROCESS, MAPS_PER_SLOT};
use overseer::runtime::{HostConfig, Plugin, PluginVersion, Runtime};
use overseer::sandbox::Limits;
use overseer_tests::build;

/// Mappings of this process's own, made by protecting every other page
/// of one reservation (adjacent pages with the same protection would merge
/// into one mapping). Unmapped on drop.
struct Occupied {
    base: *mut libc::c_void,
    len: usize,
}

impl Occupied {
    fn new(maps: u64) -> Occupied {
        let page = 4096;
        let len = (maps as usize) * page;
        // SAFETY: a fresh anonymous mapping, touched only through mprotect.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED, "mmap of {len} bytes");
        for i in (1..maps as usize).step_by(2) {
            // SAFETY: inside the mapping made above.
            let rc = unsafe {
                libc::mprotect(
                    base.cast::<u8>().add(i * page).cast(),
                    page,
                    libc::PROT_READ,
                )
            };
            assert_eq!(rc, 0, "mprotect page {i}");
        }
        Occupied { base, len }
    }
}

impl Drop for Occupied {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, not used after this.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_past_the_kernels_mapping_limit_is_refused_with_the_sysctl_to_raise() {
    let (Some(max), Some(in_use)) = (capacity::max_map_count(), capacity::maps_in_use()) else {
        eprintln!("skipped: this kernel has no vm.max_map_count");
        return;
    };
    // Leave room for `room` processes with `spare` spare slots.
    let (room, spare) = (300u64, 16u32);
    let wanted_in_use = max
        - HOST_MAPS
        - u64::from(spare) * MAPS_PER_SLOT
        - room * (MAPS_PER_SLOT + MAPS_PER_PROCESS);
    let _occupied = Occupied::new(wanted_in_use.saturating_sub(in_use));

    let runtime = Runtime::new(HostConfig {
        max_processes: 1_000_000,
        spare_slots: spare,
        ..HostConfig::default()
    })
    .expect("the engine starts with a lowered cap");
    let limit = runtime
        .map_limit()
        .expect("the kernel's limit lowered the cap");
    assert_eq!(limit.max_map_count, max);
    assert_eq!(limit.wanted, 1_000_000);
    let cap = runtime.config().max_processes;
    assert_eq!(limit.processes, cap);
    assert!((250..=room as u32).contains(&cap), "cap {cap}");

    let node = Node::new(runtime);
    let plugin = PluginVersion::load(node.runtime(), &build("counter"))
        .await
        .expect("counter loads");
    let spec = ProcessSpec {
        id: "counter".into(),
        plugin: Plugin::new(plugin),
        args: b"null".to_vec(),
        name: None,
        via: None,
        limits: Limits::default(),
        policy: Default::default(),
        owner: None,
    };
    let mut pids = Vec::new();
    for i in 0..cap {
        match node.processes().spawn(&spec, None, Vec::new()).await {
            Ok(Spawned::Started(pid)) => pids.push(pid),
            other => panic!("start {i} of {cap} (the kernel's room) failed: {other:?}"),
        }
    }
    // Every one of them answers: the mappings they need were there.
    for pid in &pids {
        node.call(
            &Target::Pid(*pid),
            b"\"get\"".to_vec(),
            Duration::from_secs(10),
        )
        .await
        .expect("a process under the cap answers");
    }
    let refused = match node.processes().spawn(&spec, None, Vec::new()).await {
        Err(err) => err,
        Ok(started) => panic!("a start past the cap of {cap} was let through: {started:?}"),
    };
    assert!(matches!(refused, SpawnError::MapLimit(_)), "{refused:?}");
    let line = refused.to_string();
    assert!(!line.contains('\n'), "{line}");
    assert!(
        line.contains(&format!("vm.max_map_count ({max})")),
        "{line}"
    );
    assert!(line.contains("sysctl -w vm.max_map_count="), "{line}");
    assert!(
        line.contains(&format!("room for {cap} live processes")),
        "{line}"
    );
}
