//! The control socket: bound once per host, refused while another host
//! answers on it, replaced when stale, removed when the host stops.

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};

use crate::sandbox::{NotPrivate, private_dir};

/// The control socket could not be bound. Each variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// A host answers on the socket already.
    #[error("another overseer is already running on {}", path.display())]
    AlreadyRunning {
        /// The socket.
        path: PathBuf,
    },
    /// The path is taken by something that is not a socket; it is left
    /// alone rather than deleted.
    #[error("{} exists and is not a socket", path.display())]
    NotASocket {
        /// The path.
        path: PathBuf,
    },
    /// The socket's folder could not be created, or is not the host's
    /// alone (another user owns it, or may write in it).
    #[error("control socket folder {0}")]
    Folder(NotPrivate),
    /// A stale socket could not be removed.
    #[error("cannot remove the stale control socket {}: {source}", path.display())]
    RemoveStale {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `bind` or the chmod after it failed.
    #[error("cannot bind the control socket {}: {source}", path.display())]
    Bind {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// A bound control socket, not yet served. Its file is removed when it is
/// dropped (or, once served, when the [`ControlServer`](super::ControlServer) is).
pub struct ControlSocket {
    pub(super) listener: UnixListener,
    pub(super) file: SocketFile,
}

impl ControlSocket {
    /// Bind `path`, mode 0600, creating its folder (mode 0700) if needed;
    /// an existing folder must be this user's and closed to others.
    /// A socket file nobody answers on is stale (its host died without
    /// cleaning up) and is replaced.
    ///
    /// # Errors
    ///
    /// [`BindError`]: another host answers on `path`, the path is not a
    /// socket, or the file system refused.
    pub async fn bind(path: &Path) -> Result<ControlSocket, BindError> {
        let folder = path
            .parent()
            .filter(|f| !f.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        private_dir(folder).map_err(BindError::Folder)?;
        remove_stale(path).await?;
        let bind_error = |source| BindError::Bind {
            path: path.to_path_buf(),
            source,
        };
        let listener = bind_private(path).map_err(bind_error)?;
        // From here on the file is ours: the guard removes it on any error.
        let file = SocketFile::new(path).map_err(|source| {
            let _ = std::fs::remove_file(path);
            bind_error(source)
        })?;
        Ok(ControlSocket { listener, file })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

/// Bind `path` so that the socket is 0600 from the moment it has that
/// name: bound under a random name beside it, made 0600, then renamed into
/// place. (The umask would do it too, but it is the whole process's.)
fn bind_private(path: &Path) -> io::Result<UnixListener> {
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(io::Error::other)?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let aside = path.with_file_name(format!(".{name}.{suffix}"));
    let listener = UnixListener::bind(&aside)?;
    let placed = std::fs::set_permissions(&aside, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| std::fs::rename(&aside, path));
    if let Err(err) = placed {
        let _ = std::fs::remove_file(&aside);
        return Err(err);
    }
    Ok(listener)
}

/// Remove a socket file that no host answers on; refuse one that a host
/// does, and anything that is not a socket.
async fn remove_stale(path: &Path) -> Result<(), BindError> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(BindError::NotASocket {
            path: path.to_path_buf(),
        });
    }
    if UnixStream::connect(path).await.is_ok() {
        return Err(BindError::AlreadyRunning {
            path: path.to_path_buf(),
        });
    }
    std::fs::remove_file(path).map_err(|source| BindError::RemoveStale {
        path: path.to_path_buf(),
        source,
    })
}

/// Removes the socket file when dropped, unless another host has replaced
/// it since (same path, different inode): that socket is not ours.
pub(super) struct SocketFile {
    pub(super) path: PathBuf,
    inode: (u64, u64),
}

impl SocketFile {
    fn new(path: &Path) -> io::Result<Self> {
        let meta = std::fs::symlink_metadata(path)?;
        Ok(SocketFile {
            path: path.to_path_buf(),
            inode: (meta.dev(), meta.ino()),
        })
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let ours = std::fs::symlink_metadata(&self.path)
            .is_ok_and(|meta| (meta.dev(), meta.ino()) == self.inode);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
