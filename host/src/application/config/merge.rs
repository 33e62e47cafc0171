//! Putting a value into a JSON tree, tables merged key by key, while
//! remembering which layer set each part.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::source::ConfigSource;

/// Which layer set each path (a list of keys): a value's source is that of
/// the longest recorded path leading to it.
pub(super) type Sources = BTreeMap<Vec<String>, ConfigSource>;

/// A path that runs through a value that is not a table, e.g. `db.pool`
/// when `db` is a string: the dotted path of that value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NotATable(pub(super) String);

/// Put `value` at `path` in `root`: a table over a table is merged key by
/// key (so an overlay's `db = { pool = 10 }` keeps the base's `db.host`),
/// anything else replaces what was there. Missing tables on the way are
/// made.
pub(super) fn put(
    root: &mut Map<String, Value>,
    path: &[String],
    value: Value,
    source: &ConfigSource,
    sources: &mut Sources,
) -> Result<(), NotATable> {
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut map = root;
    for (depth, key) in parents.iter().enumerate() {
        let entry = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        map = match entry {
            Value::Object(inner) => inner,
            _ => return Err(NotATable(path[..=depth].join("."))),
        };
    }
    merge_into(map, last, value, path.to_vec(), source, sources);
    Ok(())
}

fn merge_into(
    map: &mut Map<String, Value>,
    key: &str,
    value: Value,
    path: Vec<String>,
    source: &ConfigSource,
    sources: &mut Sources,
) {
    let value = match (map.get_mut(key), value) {
        (Some(Value::Object(existing)), Value::Object(new)) => {
            for (inner_key, inner_value) in new {
                let mut inner_path = path.clone();
                inner_path.push(inner_key.clone());
                merge_into(
                    existing,
                    &inner_key,
                    inner_value,
                    inner_path,
                    source,
                    sources,
                );
            }
            return;
        }
        (_, value) => value,
    };
    sources.retain(|recorded, _| !recorded.starts_with(&path));
    sources.insert(path, source.clone());
    map.insert(key.to_string(), value);
}

/// Remove the value at `path`; true if there was one.
pub(super) fn remove(
    root: &mut Map<String, Value>,
    path: &[String],
    sources: &mut Sources,
) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut map = root;
    for key in parents {
        map = match map.get_mut(key) {
            Some(Value::Object(inner)) => inner,
            _ => return false,
        };
    }
    sources.retain(|recorded, _| !recorded.starts_with(path));
    map.remove(last).is_some()
}

/// The source of the value at `path`: that of the longest recorded path
/// leading to it.
pub(super) fn source_of<'a>(sources: &'a Sources, path: &[String]) -> Option<&'a ConfigSource> {
    (1..=path.len())
        .rev()
        .find_map(|len| sources.get(&path[..len]))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn path(dotted: &str) -> Vec<String> {
        dotted.split('.').map(String::from).collect()
    }

    #[test]
    fn tables_merge_and_sources_follow_the_leaves() {
        let mut root = Map::new();
        let mut sources = Sources::new();
        let base = ConfigSource::Set;
        let overlay = ConfigSource::Changed;
        put(
            &mut root,
            &path("db"),
            json!({"host": "h", "pool": 1}),
            &base,
            &mut sources,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        put(
            &mut root,
            &path("db"),
            json!({"pool": 10}),
            &overlay,
            &mut sources,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            Value::Object(root.clone()),
            json!({"db": {"host": "h", "pool": 10}})
        );
        assert_eq!(source_of(&sources, &path("db.host")), Some(&base));
        assert_eq!(source_of(&sources, &path("db.pool")), Some(&overlay));
        assert_eq!(
            put(&mut root, &path("db.host.x"), json!(1), &base, &mut sources),
            Err(NotATable("db.host".into()))
        );
        assert!(remove(&mut root, &path("db.pool"), &mut sources));
        assert_eq!(Value::Object(root), json!({"db": {"host": "h"}}));
    }
}
