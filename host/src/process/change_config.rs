//! A change of the application env reaching every process, as OTP's
//! `config_change/3`: queued like a message, handled between messages,
//! each process told only of the keys it may read. (What a change carries
//! is in `config_change.rs`.)

use std::sync::Arc;

use super::Processes;
use super::config_change::ConfigChange;
use super::mailbox::Envelope;
use super::server::{Server, Step};
use crate::sandbox::Capability;

impl Processes {
    /// Tell every live GenServer whose plugin may read a key of `change`
    /// (tasks and supervisors have no `config-change`); returns how many
    /// were told. Each handles it after the messages already in its
    /// mailbox.
    pub fn config_changed(&self, change: ConfigChange) -> usize {
        let change = Arc::new(change);
        let keys: Vec<&str> = change
            .changed
            .iter()
            .map(|(key, _)| key.as_str())
            .chain(change.removed.iter().map(String::as_str))
            .collect();
        let mut told = 0;
        for entry in self.inner.entries.iter() {
            let Some(mailbox) = &entry.mailbox else {
                continue;
            };
            if entry.shared.version().is_none() {
                continue; // a task
            }
            let grants = &entry.shared.policy.grants;
            if !keys.iter().any(|key| grants.allows(Capability::Env, key)) {
                continue;
            }
            if mailbox.send(Envelope::ConfigChange(change.clone())) {
                told += 1;
            }
        }
        told
    }
}

impl Server {
    /// Run `config-change` with the part of `change` this process's plugin
    /// may read; nothing when that is nothing. A trap is a crash.
    pub(crate) async fn config_change(&mut self, change: &ConfigChange) -> Step {
        let grants = &self.shared.policy.grants;
        let changed: Vec<(String, Vec<u8>)> = change
            .changed
            .iter()
            .filter(|(key, _)| grants.allows(Capability::Env, key))
            .cloned()
            .collect();
        let removed: Vec<String> = change
            .removed
            .iter()
            .filter(|key| grants.allows(Capability::Env, key))
            .cloned()
            .collect();
        if changed.is_empty() && removed.is_empty() {
            return Step::Continue;
        }
        match self.instance.config_change(&changed, &removed).await {
            Ok(()) => Step::Continue,
            Err(crash) => {
                let keys: Vec<&str> = changed
                    .iter()
                    .map(|(key, _)| key.as_str())
                    .chain(removed.iter().map(String::as_str))
                    .collect();
                self.crashed(crash, Some(format!("config-change of {}", keys.join(", "))))
            }
        }
    }
}
