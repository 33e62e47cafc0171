//! Hot code swap: a new build of a plugin, and every process of it moved
//! to the new code with its state, at a message boundary.
//!
//! - [`Reloader`]: `reload(plugin)` reads the plugin's file, compiles it off
//!   the runtime threads (or takes it from the compile cache), checks it
//!   against the gen-server world, changes code in one process first (the
//!   canary: if its `code-change` fails, nothing changes), then makes the
//!   build current and changes the rest concurrently. It also follows
//!   probation rollbacks, moving the live processes of a failed build back.
//! - `reload_all`: several plugins as one release ([`ReleaseReport`]):
//!   every build checked, every canary changed, then the rest; any
//!   failure changes nothing, and a rollback takes the whole release back.
//! - [`Watcher`]: watches the plugin folder and calls `reload` when a
//!   build's content changes.
//! - [`HotSwap`]: both, for one application, as its manifest asks.

mod hot_swap;
mod release;
mod reloader;
mod watcher;

pub use hot_swap::HotSwap;
pub use release::ReleaseReport;
pub use reloader::{ReloadError, Reloaded, Reloader, UpgradePolicy, UpgradeReport};
pub use watcher::{DEFAULT_DEBOUNCE, WatchError, Watcher};
