//! Compiled plugins on disk, keyed by content hash and engine settings, so
//! that a host restart or a rollback to a build seen before does not compile
//! again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

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
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

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
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CompileCache { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry(&self, engine: &Engine, hash: &str) -> PathBuf {
        let mut settings = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut settings);
        self.dir
            .join(format!("{hash}-{:016x}.cwasm", settings.finish()))
    }

    /// The component for `bytes` (whose content hash is `hash`): from the
    /// cache when an entry exists and wasmtime accepts it, else compiled and
    /// then stored. Blocking: call it from a blocking thread.
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
        // Read into memory rather than mapping the file: a mapping of an
        // entry that someone truncates later would fault the host.
        if let Ok(serialized) = std::fs::read(&entry) {
            // SAFETY: the cache folder holds only what `store` below wrote,
            // with this engine's settings in the name; wasmtime checks the
            // header and the settings again and refuses a mismatch.
            match unsafe { Component::deserialize(engine, &serialized) } {
                Ok(component) => return Ok((component, Compiled::Cached)),
                Err(err) => {
                    tracing::warn!(entry = %entry.display(), "compile cache entry refused, compiling again: {err:#}");
                    let _ = std::fs::remove_file(&entry);
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        self.store(&entry, &component);
        Ok((component, Compiled::Fresh))
    }

    fn store(&self, entry: &Path, component: &Component) {
        let written = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let serialized = component.serialize().map_err(std::io::Error::other)?;
            // Write aside, then rename: a reader never sees half an entry.
            let partial = entry.with_extension(format!("partial-{}", std::process::id()));
            std::fs::write(&partial, serialized)?;
            std::fs::rename(&partial, entry)
        })();
        if let Err(err) = written {
            tracing::warn!(dir = %self.dir.display(), "cannot write the compile cache: {err}");
        }
    }
}
