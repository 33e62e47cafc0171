//! Folders and files only the host's user may touch: the compile cache
//! (native code the host runs) and the control socket's folder. Created
//! 0700 / 0600; an existing one is refused if another user owns it or
//! others may write it, since whoever can write there controls the host.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why a folder or file is not private to the host.
#[derive(Debug, thiserror::Error)]
pub enum NotPrivate {
    /// It could not be created, opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another user owns it.
    #[error("{path}: owned by uid {owner}, not by this host's uid {host}")]
    Owner {
        /// The folder or file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The host's effective uid.
        host: u32,
    },
    /// Others may write (or, for a key, read) it.
    #[error("{path}: mode {mode:o} lets other users {what} it (chmod {fix:o})")]
    Mode {
        /// The folder or file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// What others may do.
        what: &'static str,
        /// The mode to set.
        fix: u32,
    },
    /// A key file of the wrong size.
    #[error("{path}: a key is {expected} bytes, this file has {found}")]
    KeySize {
        /// The key file.
        path: PathBuf,
        /// Its size.
        found: u64,
        /// The size of a key.
        expected: usize,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> NotPrivate + '_ {
    move |source| NotPrivate::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The host process's effective uid.
pub fn host_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Make `dir` (and its parents) if missing, the last one 0700; then check
/// that this user owns it and nobody else may write in it.
///
/// # Errors
///
/// [`NotPrivate`]: it cannot be made, or is not private.
pub fn private_dir(dir: &Path) -> Result<(), NotPrivate> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(io(dir)(err)),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(io(dir))?;
    if !meta.is_dir() {
        return Err(io(dir)(std::io::Error::other("not a folder (a link?)")));
    }
    check_owner_and_mode(dir, &meta, 0o022, "write in", 0o700)
}

fn check_owner_and_mode(
    path: &Path,
    meta: &std::fs::Metadata,
    forbidden: u32,
    what: &'static str,
    fix: u32,
) -> Result<(), NotPrivate> {
    let host = host_uid();
    if meta.uid() != host {
        return Err(NotPrivate::Owner {
            path: path.to_path_buf(),
            owner: meta.uid(),
            host,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & forbidden != 0 {
        return Err(NotPrivate::Mode {
            path: path.to_path_buf(),
            mode,
            what,
            fix,
        });
    }
    Ok(())
}

/// Open `path` for reading without following a link at its last step.
pub fn open_no_follow(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Create `path` for writing, 0600, failing if anything (a file, a link)
/// is there already.
pub fn create_new_private(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// The key of `N` random bytes in `path`: made (0600) if missing; an
/// existing one must be this user's and readable by nobody else.
///
/// # Errors
///
/// [`NotPrivate`].
pub fn private_key<const N: usize>(path: &Path) -> Result<[u8; N], NotPrivate> {
    let mut key = [0u8; N];
    match create_new_private(path) {
        Ok(mut file) => {
            getrandom::fill(&mut key).map_err(|e| io(path)(std::io::Error::other(e)))?;
            file.write_all(&key).map_err(io(path))?;
            file.sync_all().map_err(io(path))?;
            return Ok(key);
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(io(path)(err)),
    }
    let mut file = open_no_follow(path).map_err(io(path))?;
    let meta = file.metadata().map_err(io(path))?;
    check_owner_and_mode(path, &meta, 0o077, "read or write", 0o600)?;
    if meta.len() != N as u64 {
        return Err(NotPrivate::KeySize {
            path: path.to_path_buf(),
            found: meta.len(),
            expected: N,
        });
    }
    file.read_exact(&mut key).map_err(io(path))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_new_folder_is_private_and_an_open_one_is_refused() {
        let base = tempfile::tempdir().expect("a folder");
        let dir = base.path().join("a/cache");
        private_dir(&dir).expect("made");
        let mode = std::fs::metadata(&dir).expect("there").mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let err = private_dir(&dir).expect_err("world-writable");
        assert!(
            err.to_string()
                .contains("mode 777 lets other users write in it"),
            "{err}"
        );
    }

    #[test]
    fn a_key_is_made_once_and_must_stay_secret() {
        let base = tempfile::tempdir().expect("a folder");
        let path = base.path().join("key");
        let key: [u8; 32] = private_key(&path).expect("made");
        assert_eq!(private_key::<32>(&path).expect("read"), key);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(private_key::<32>(&path).is_err(), "readable by others");
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&path, &link).expect("a link");
        assert!(create_new_private(&link).is_err(), "never through a link");
        assert!(open_no_follow(&link).is_err(), "never through a link");
    }
}
