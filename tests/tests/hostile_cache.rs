//! The hostile suite, the compile cache: its entries are native code the
//! host runs, so it loads only what it wrote itself. A tampered or foreign
//! entry is discarded and the build compiled again; a cache folder or key
//! open to other users is not used at all.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use overseer::runtime::{Compiled, HostConfig, PluginVersion, Runtime};
use overseer_tests::build;

fn runtime(cache: &Path) -> Runtime {
    Runtime::new(HostConfig {
        max_processes: 4,
        spare_slots: 4,
        cache_dir: Some(cache.to_path_buf()),
        ..HostConfig::default()
    })
    .expect("engine")
}

async fn load(cache: &Path) -> Compiled {
    PluginVersion::load(&runtime(cache), &build("counter"))
        .await
        .expect("the build loads")
        .compiled()
}

/// The cache's one entry.
fn entry(cache: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(cache)
        .expect("list the cache")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("there").permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_entry_is_discarded_and_compiled_again() {
    let base = tempfile::tempdir().expect("a folder");
    let cache = base.path().join("cache");
    assert_eq!(load(&cache).await, Compiled::Fresh);
    assert_eq!(mode(&cache), 0o700, "the folder is the host's alone");
    assert_eq!(mode(&cache.join("key")), 0o600, "so is the key");
    let entry = entry(&cache);
    assert_eq!(mode(&entry), 0o600);
    assert_eq!(load(&cache).await, Compiled::Cached);

    // Attack 6: one byte of native code changed.
    let mut bytes = std::fs::read(&entry).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&entry, &bytes).expect("tampered");
    assert_eq!(load(&cache).await, Compiled::Fresh, "discarded");
    assert_eq!(load(&cache).await, Compiled::Cached, "and written again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_another_cache_wrote_is_not_trusted() {
    let base = tempfile::tempdir().expect("a folder");
    let ours = base.path().join("ours");
    let theirs = base.path().join("theirs");
    assert_eq!(load(&theirs).await, Compiled::Fresh);
    assert_eq!(load(&ours).await, Compiled::Fresh);
    // Someone with their own key puts their entry where ours was.
    let foreign = entry(&theirs);
    let mine = entry(&ours);
    std::fs::copy(&foreign, &mine).expect("replaced");
    assert_eq!(load(&ours).await, Compiled::Fresh, "not under our key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_open_to_others_is_not_used() {
    let base = tempfile::tempdir().expect("a folder");
    let cache = base.path().join("cache");
    assert_eq!(load(&cache).await, Compiled::Fresh);
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    assert_eq!(
        load(&cache).await,
        Compiled::Fresh,
        "a group/world-writable folder"
    );
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    assert_eq!(load(&cache).await, Compiled::Cached);
    let key = cache.join("key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert_eq!(load(&cache).await, Compiled::Fresh, "a key others can read");
}
