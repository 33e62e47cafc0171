//! A change of the application env reaching every process, as OTP's
//! `config_change/3`: queued like a message, handled between messages,
//! each process told only of the keys it may read. (What a change carries
//! is in `config_change.rs`.)

use std::sync::Arc;

use super::Processes;
use super::config_change::ConfigChange;
use super::mailbox::Envelope;
use super::server::{Server, Step};
use crate::sandbox::{Capability, Grants};

impl Processes {
    /// Tell every live GenServer whose plugin may read a key of `change`
    /// (tasks and supervisors have no `config-change`), of the keys it may
    /// read; returns how many were told. Each handles it after the
    /// messages already in its mailbox.
    pub fn config_changed(&self, app: &str, change: ConfigChange) -> usize {
        let whole = Arc::new(change);
        let mut told = 0;
        for entry in self.inner.entries.iter() {
            let Some(mailbox) = &entry.mailbox else {
                continue;
            };
            if entry.shared.version().is_none() {
                continue; // a task
            }
            if entry.shared.group.as_deref() != Some(app) {
                continue;
            }
            let Some(visible) = visible_part(&whole, &entry.shared.policy.grants) else {
                continue;
            };
            if mailbox.send(Envelope::ConfigChange(visible)) {
                told += 1;
            }
        }
        told
    }
}

/// The part of `change` a plugin holding `grants` may read: the change
/// itself when that is every key, none when it is no key.
fn visible_part(change: &Arc<ConfigChange>, grants: &Grants) -> Option<Arc<ConfigChange>> {
    let may_read = |key: &str| grants.allows(Capability::Env, key);
    if change.keys().all(may_read) {
        return Some(change.clone());
    }
    let part = ConfigChange {
        changed: change
            .changed
            .iter()
            .filter(|(key, _)| may_read(key))
            .cloned()
            .collect(),
        removed: change
            .removed
            .iter()
            .filter(|key| may_read(key))
            .cloned()
            .collect(),
    };
    let empty = part.changed.is_empty() && part.removed.is_empty();
    (!empty).then(|| Arc::new(part))
}

impl Server {
    /// Run `config-change` with `change`, already cut to what this
    /// process's plugin may read. A trap is a crash.
    pub(crate) async fn config_change(&mut self, change: &ConfigChange) -> Step {
        match self
            .instance
            .config_change(&change.changed, &change.removed)
            .await
        {
            Ok(()) => Step::Continue,
            Err(crash) => {
                let keys: Vec<&str> = change.keys().collect();
                self.crashed(crash, Some(format!("config-change of {}", keys.join(", "))))
            }
        }
    }
}
