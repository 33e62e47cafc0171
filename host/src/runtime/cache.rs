//! Compiled plugins on disk, keyed by content hash and engine settings, so
//! that a host restart or a rollback to a build seen before does not compile
//! again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use std::io::{Read, Write};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::sandbox::{NotPrivate, create_new_private, open_no_follow, private_dir, private_key};

/// The SHA-256 of a plugin build, in hex: its identity.
pub fn content_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A folder of precompiled components (`.cwasm`), written only by this
/// host. Entries are named by the build's content hash and a hash of the
/// engine's compilation settings: another wasmtime or another configuration
/// never reads an entry it did not write.
///
/// An entry is native code the host will run, so the cache trusts nothing
/// it did not write itself: the folder is this user's and 0700 (refused
/// otherwise), and every entry carries an HMAC-SHA256 of its bytes under a
/// key in the folder that only this user can read. An entry that fails the
/// check is discarded and the build compiled again, with one warning.
#[derive(Clone)]
pub struct CompileCache {
    dir: PathBuf,
    key: [u8; KEY_BYTES],
    /// Builds read back, and builds compiled, since the host started.
    outcomes: Arc<[AtomicU64; 2]>,
}

impl std::fmt::Debug for CompileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileCache")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Bytes of the cache's key, and of each entry's tag.
const KEY_BYTES: usize = 32;

type Tag = Hmac<Sha256>;

/// Where a compiled component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compiled {
    /// Compiled from the WebAssembly bytes now.
    Fresh,
    /// Read back from the compile cache.
    Cached,
}

impl CompileCache {
    /// The cache in `dir`: made private (0700) if new, with its key.
    ///
    /// # Errors
    ///
    /// [`NotPrivate`] if the folder or its key is another user's, or open
    /// to others: such a cache is not used.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, NotPrivate> {
        let dir = dir.into();
        private_dir(&dir)?;
        let key = private_key::<KEY_BYTES>(&dir.join("key"))?;
        Ok(CompileCache {
            dir,
            key,
            outcomes: Arc::default(),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Builds read back from the cache since the host started (hits), and
    /// builds compiled (misses).
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.outcomes[0].load(Ordering::Relaxed),
            self.outcomes[1].load(Ordering::Relaxed),
        )
    }

    fn entry(&self, engine: &Engine, hash: &str) -> PathBuf {
        let mut settings = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut settings);
        self.dir
            .join(format!("{hash}-{:016x}.cwasm", settings.finish()))
    }

    fn tag(&self) -> Tag {
        <Tag as Mac>::new_from_slice(&self.key).expect("HMAC takes a key of any length")
    }

    /// The component for `bytes` (whose content hash is `hash`): from the
    /// cache when an entry exists, carries this host's tag, and wasmtime
    /// accepts it; else compiled and then stored. Blocking: call it from a
    /// blocking thread.
    ///
    /// A cache that cannot be read or written only costs a compile; it is
    /// logged, never an error.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        hash: &str,
    ) -> wasmtime::Result<(Component, Compiled)> {
        let entry = self.entry(engine, hash);
        if let Some(serialized) = self.read_checked(&entry) {
            // SAFETY: the bytes carry an HMAC under a key only this user can
            // read, in a folder only this user can write: this host wrote
            // them, with this engine's settings (named in the entry);
            // wasmtime checks the header and the settings again.
            match unsafe { Component::deserialize(engine, &serialized) } {
                Ok(component) => {
                    self.outcomes[0].fetch_add(1, Ordering::Relaxed);
                    return Ok((component, Compiled::Cached));
                }
                Err(err) => {
                    tracing::warn!(entry = %entry.display(), "compile cache entry refused, compiling again: {err:#}");
                    let _ = std::fs::remove_file(&entry);
                }
            }
        }
        self.outcomes[1].fetch_add(1, Ordering::Relaxed);
        let component = Component::new(engine, bytes)?;
        self.store(&entry, &component);
        Ok((component, Compiled::Fresh))
    }

    /// The entry's compiled bytes, if it exists and its tag is this
    /// host's. One that fails the check is removed, with a warning.
    fn read_checked(&self, entry: &Path) -> Option<Vec<u8>> {
        // Read into memory rather than mapping the file: a mapping of an
        // entry that someone truncates later would fault the host.
        let mut file = open_no_follow(entry).ok()?;
        let mut contents = Vec::new();
        file.read_to_end(&mut contents).ok()?;
        let checked = contents.len() > KEY_BYTES && {
            let (tag, body) = contents.split_at(KEY_BYTES);
            let mut mac = self.tag();
            mac.update(body);
            mac.verify_slice(tag).is_ok()
        };
        if !checked {
            tracing::warn!(entry = %entry.display(), "compile cache entry failed its check (not written by this host): discarded, compiling again");
            let _ = std::fs::remove_file(entry);
            return None;
        }
        contents.drain(..KEY_BYTES);
        Some(contents)
    }

    fn store(&self, entry: &Path, component: &Component) {
        let written = (|| -> std::io::Result<()> {
            let serialized = component.serialize().map_err(std::io::Error::other)?;
            let mut mac = self.tag();
            mac.update(&serialized);
            let tag = mac.finalize().into_bytes();
            // Write aside, then rename: a reader never sees half an entry.
            // Created anew, never through a link that someone left there.
            let mut suffix = [0u8; 8];
            getrandom::fill(&mut suffix).map_err(std::io::Error::other)?;
            let partial = entry.with_extension(format!("partial-{}", hex(&suffix)));
            let mut file = create_new_private(&partial)?;
            let result = file
                .write_all(&tag)
                .and_then(|()| file.write_all(&serialized))
                .and_then(|()| std::fs::rename(&partial, entry));
            if result.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            result
        })();
        if let Err(err) = written {
            tracing::warn!(dir = %self.dir.display(), "cannot write the compile cache: {err}");
        }
    }
}
