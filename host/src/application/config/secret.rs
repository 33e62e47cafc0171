//! Secrets kept out of the manifest: a value written `{ file = "PATH" }`
//! is the content of that file (relative to the manifest's folder), read
//! once at start.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The most a secret file may hold: a key or a password, not a data set.
const MAX_SECRET_BYTES: u64 = 1 << 20;

/// A secret that could not be read: the path of the value and why.
#[derive(Debug)]
pub(super) struct SecretError {
    /// The value's keys.
    pub(super) path: Vec<String>,
    /// The file named.
    pub(super) file: String,
    /// Why it could not be read.
    pub(super) message: String,
}

/// The file a value names as its secret, if it is a secret reference: a
/// table whose only key is `file`, a string.
fn secret_file(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get("file")?.as_str(),
        _ => None,
    }
}

/// Replace every secret reference under `root` by its file's content
/// (UTF-8, a trailing newline dropped); returns which paths were secrets
/// and the file each came from.
pub(super) fn resolve_secrets(
    root: &mut Map<String, Value>,
    dir: &Path,
) -> Result<BTreeMap<Vec<String>, String>, SecretError> {
    let mut found = BTreeMap::new();
    let mut path = Vec::new();
    resolve_in(root, dir, &mut path, &mut found)?;
    Ok(found)
}

fn resolve_in(
    map: &mut Map<String, Value>,
    dir: &Path,
    path: &mut Vec<String>,
    found: &mut BTreeMap<Vec<String>, String>,
) -> Result<(), SecretError> {
    for (key, value) in map.iter_mut() {
        path.push(key.clone());
        if let Some(file) = secret_file(value).map(str::to_string) {
            let content = read_secret(&dir.join(&file)).map_err(|message| SecretError {
                path: path.clone(),
                file: file.clone(),
                message,
            })?;
            *value = Value::String(content);
            found.insert(path.clone(), file);
        } else if let Value::Object(inner) = value {
            resolve_in(inner, dir, path, found)?;
        }
        path.pop();
    }
    Ok(())
}

fn read_secret(file: &PathBuf) -> Result<String, String> {
    let opened = std::fs::File::open(file).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    opened
        .take(MAX_SECRET_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(format!("over {MAX_SECRET_BYTES} bytes"));
    }
    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    Ok(text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text)
        .to_string())
}
