//! Taking top-level keys from another configuration (`overseer apply`):
//! what the manifest changed replaces what runs, and the keys it did not
//! change keep their values, even ones set at run time.

use super::EffectiveConfig;

impl EffectiveConfig {
    /// The top-level keys whose value differs between this configuration
    /// and `other` (present in one only, or different), in key order.
    pub fn differing_keys(&self, other: &EffectiveConfig) -> Vec<String> {
        let mut keys: Vec<String> = self
            .values
            .keys()
            .chain(other.values.keys())
            .filter(|key| self.values.get(*key) != other.values.get(*key))
            .cloned()
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// This configuration with each of `keys` (top-level) as `from` has
    /// it, value, sources and secrets alike: gone where `from` has no such
    /// key.
    pub fn adopt(&self, from: &EffectiveConfig, keys: &[String]) -> EffectiveConfig {
        let mut adopted = self.clone();
        for key in keys {
            let under = |path: &Vec<String>| path.first() == Some(key);
            adopted.sources.retain(|path, _| !under(path));
            adopted.secrets.retain(|path, _| !under(path));
            match from.values.get(key) {
                Some(value) => {
                    adopted.values.insert(key.clone(), value.clone());
                    adopted.sources.extend(
                        from.sources
                            .iter()
                            .filter(|(path, _)| under(path))
                            .map(|(path, source)| (path.clone(), source.clone())),
                    );
                    adopted.secrets.extend(
                        from.secrets
                            .iter()
                            .filter(|(path, _)| under(path))
                            .map(|(path, file)| (path.clone(), file.clone())),
                    );
                }
                None => {
                    adopted.values.remove(key);
                }
            }
        }
        adopted
    }
}
