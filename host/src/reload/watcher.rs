//! Watching the plugin folder: a build that changes is reloaded.
//!
//! Builds land in several ways: written in place (seen half-written, then
//! whole), renamed over the old file, deleted and created again, or
//! touched many times by one `cargo build`. The debouncer folds a burst of
//! events on one file into one, once the file has been quiet for a moment;
//! a build that still fails to load is reported and changes nothing, and
//! the write that completes it is another event. A file whose content hash
//! is unchanged is no upgrade.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc;

use super::Reloader;

/// How long a file must be quiet before its events count as one change.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(150);

/// The plugin folder could not be watched.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot watch the plugin folder: {message}", dir.display())]
pub struct WatchError {
    /// The folder.
    pub dir: PathBuf,
    /// Why.
    pub message: String,
}

/// A running watch on a plugin folder. Dropping it stops the watch.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    task: tokio::task::AbortHandle,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Watcher {
    /// Watch `dir` (not its subfolders): a changed `NAME.wasm` reloads
    /// plugin `NAME`; a new one is loaded as a new plugin. Call from within
    /// a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`WatchError`] if the folder cannot be watched (missing, no inotify
    /// watches left).
    pub fn start(reloader: Reloader, dir: &Path) -> Result<Watcher, WatchError> {
        Self::with_debounce(reloader, dir, DEFAULT_DEBOUNCE)
    }

    /// As [`start`](Self::start), with the quiet time that folds a burst.
    ///
    /// # Errors
    ///
    /// As for [`start`](Self::start).
    pub fn with_debounce(
        reloader: Reloader,
        dir: &Path,
        debounce: Duration,
    ) -> Result<Watcher, WatchError> {
        let error = |err: notify_debouncer_full::notify::Error| WatchError {
            dir: dir.to_path_buf(),
            message: err.to_string(),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            let _ = tx.send(result);
        })
        .map_err(error)?;
        debouncer
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(error)?;
        let task = tokio::spawn(serve(reloader, rx)).abort_handle();
        Ok(Watcher {
            _debouncer: debouncer,
            task,
        })
    }
}

async fn serve(reloader: Reloader, mut batches: mpsc::UnboundedReceiver<DebounceEventResult>) {
    while let Some(batch) = batches.recv().await {
        let events = match batch {
            Ok(events) => events,
            Err(errors) => {
                for err in errors {
                    tracing::warn!("plugin folder watch: {err}");
                }
                continue;
            }
        };
        let touched: BTreeSet<PathBuf> = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Create(_) | EventKind::Modify(_)))
            .flat_map(|e| e.paths.iter().cloned())
            .collect();
        for path in touched {
            changed(&reloader, &path).await;
        }
    }
}

async fn changed(reloader: &Reloader, path: &Path) {
    let Some(name) = Reloader::plugin_name(path) else {
        return;
    };
    // Gone again (the first half of a delete-then-create, or a rename
    // away): the event that brings the new file follows.
    if !path.exists() {
        return;
    }
    let outcome = if reloader.node().plugins().get(&name).is_some() {
        reloader.reload(&name, Some(path)).await.map(|_| ())
    } else {
        reloader
            .load_new(path)
            .await
            .map(|_| ())
            .map_err(Into::into)
    };
    // Failures are events already; the log line comes from there.
    if let Err(err) = outcome {
        tracing::debug!(file = %path.display(), "reload: {err}");
    }
}
