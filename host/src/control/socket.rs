//! The control socket: bound once per host, refused while another host
//! answers on it, replaced when stale, removed when the host stops.

use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};

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
    /// The socket's folder could not be created.
    #[error("cannot create {}: {source}", path.display())]
    CreateFolder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
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
    /// Bind `path`, mode 0600, creating its folder (mode 0700) if needed.
    /// A socket file nobody answers on is stale (its host died without
    /// cleaning up) and is replaced.
    ///
    /// # Errors
    ///
    /// [`BindError`]: another host answers on `path`, the path is not a
    /// socket, or the file system refused.
    pub async fn bind(path: &Path) -> Result<ControlSocket, BindError> {
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(folder)
                .map_err(|source| BindError::CreateFolder {
                    path: folder.to_path_buf(),
                    source,
                })?;
        }
        remove_stale(path).await?;
        let bind_error = |source| BindError::Bind {
            path: path.to_path_buf(),
            source,
        };
        let listener = UnixListener::bind(path).map_err(bind_error)?;
        // From here on the file is ours: the guard removes it on any error.
        let file = SocketFile::new(path).map_err(|source| {
            let _ = std::fs::remove_file(path);
            bind_error(source)
        })?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(bind_error)?;
        Ok(ControlSocket { listener, file })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.file.path
    }
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
