//! What a change of the application env carries to a process. (How a
//! process handles it is in `change_config.rs`.)

/// What changed in an application's env: the top-level keys added or
/// changed, with their new values (JSON bytes), and the keys removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigChange {
    /// (key, new value as JSON).
    pub changed: Vec<(String, Vec<u8>)>,
    /// Keys that are gone.
    pub removed: Vec<String>,
}

impl ConfigChange {
    /// Every key it names, changed ones first.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.changed
            .iter()
            .map(|(key, _)| key.as_str())
            .chain(self.removed.iter().map(String::as_str))
    }
}
