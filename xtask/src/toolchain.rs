//! Plugins in languages other than Rust: each language's toolchain is
//! installed at a pinned version under `target/polyglot/` and builds that
//! language's plugins into `target/wasm32-wasip2/release/`.
//!
//! A language whose toolchain cannot be installed here is skipped with one
//! line saying why, and `target/polyglot/<language>.skipped` holds the
//! reason, so that the tests of that language say they were skipped instead
//! of failing on a missing file. With `OVERSEER_ALL_LANGUAGES=1` (CI) a
//! skip is an error.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

/// One guest language.
pub trait Language {
    /// As people say it: "Python".
    fn name(&self) -> &'static str;
    /// As files say it: "python".
    fn key(&self) -> &'static str;
    /// Install the toolchain if needed and build every plugin of the
    /// language that changed; how many were built.
    fn build(&self, root: &Path, out: &Path) -> Result<usize>;
}

/// Build every language's plugins, skipping (or, under
/// `OVERSEER_ALL_LANGUAGES`, failing on) a language that cannot build.
pub fn build_all(root: &Path, out: &Path, languages: &[&dyn Language]) -> Result<()> {
    let required = std::env::var_os("OVERSEER_ALL_LANGUAGES").is_some_and(|v| v == "1");
    let markers = root.join("target/polyglot");
    std::fs::create_dir_all(&markers)
        .with_context(|| format!("cannot create {}", markers.display()))?;
    for language in languages {
        let marker = markers.join(format!("{}.skipped", language.key()));
        match language.build(root, out) {
            Ok(_) => {
                let _ = std::fs::remove_file(&marker);
            }
            Err(err) if !required => {
                let why = format!("{err:#}");
                eprintln!(
                    "skipping {} plugins: {why} (their tests are skipped too)",
                    language.name()
                );
                std::fs::write(&marker, &why)
                    .with_context(|| format!("cannot write {}", marker.display()))?;
            }
            Err(err) => return Err(err.context(format!("{} plugins", language.name()))),
        }
    }
    Ok(())
}

/// The newest modification time of the files under `paths` (folders are
/// walked; `__pycache__` and `node_modules` are not).
pub fn newest_mtime(paths: &[&Path]) -> Result<SystemTime> {
    let mut newest = SystemTime::UNIX_EPOCH;
    let mut stack: Vec<_> = paths.iter().map(|p| p.to_path_buf()).collect();
    while let Some(path) = stack.pop() {
        let meta =
            std::fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                let entry = entry?;
                let name = entry.file_name();
                if name != "__pycache__" && name != "node_modules" {
                    stack.push(entry.path());
                }
            }
        } else {
            newest = newest.max(meta.modified()?);
        }
    }
    Ok(newest)
}

/// The plugin folders `plugins/*<suffix>` that hold `entry` (`app.py`,
/// `app.js`), sorted.
pub fn plugin_dirs(root: &Path, suffix: &str, entry: &str) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let dir = root.join("plugins");
    for item in std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let item = item?;
        let name = item.file_name().to_string_lossy().into_owned();
        if name.ends_with(suffix) && item.path().join(entry).is_file() {
            found.push(name);
        }
    }
    found.sort();
    Ok(found)
}

/// True when the build `wasm` is newer than every file under `sources` and
/// than `inputs_changed` (the SDK, the WIT, the tool).
pub fn up_to_date(wasm: &Path, sources: &Path, inputs_changed: SystemTime) -> Result<bool> {
    let newest = newest_mtime(&[sources])?.max(inputs_changed);
    Ok(std::fs::metadata(wasm)
        .and_then(|m| m.modified())
        .is_ok_and(|built_at| built_at > newest))
}

/// One build to make: plugin folder `plugin`, perhaps as a variant, to
/// `wasm`.
pub struct Build<'a> {
    /// The plugin folder's name.
    pub plugin: &'a str,
    /// The variant, for a build named `<plugin>_<variant>`.
    pub variant: Option<&'a str>,
    /// The plugin folder.
    pub dir: PathBuf,
    /// The build's name: `<plugin>` or `<plugin>_<variant>`.
    pub name: String,
    /// Where the build goes.
    pub wasm: PathBuf,
}

/// The builds of `plugins` and of `variants` (plugin, variant) that are
/// older than their folder or than `inputs_changed`.
pub fn stale_builds<'a>(
    root: &Path,
    out: &Path,
    plugins: &'a [String],
    variants: &'a [(&'a str, &'a str)],
    inputs_changed: SystemTime,
) -> Result<Vec<Build<'a>>> {
    let all = plugins
        .iter()
        .map(|p| (p.as_str(), None))
        .chain(variants.iter().map(|(p, v)| (*p, Some(*v))));
    let mut stale = Vec::new();
    for (plugin, variant) in all {
        let name = match variant {
            Some(variant) => format!("{plugin}_{variant}"),
            None => plugin.to_owned(),
        };
        let build = Build {
            plugin,
            variant,
            dir: root.join("plugins").join(plugin),
            wasm: out.join(format!("{name}.wasm")),
            name,
        };
        if !up_to_date(&build.wasm, &build.dir, inputs_changed)? {
            stale.push(build);
        }
    }
    Ok(stale)
}

/// Run `cmd`, showing its output only if it fails.
pub fn run_quiet(cmd: &mut Command) -> Result<()> {
    let output = cmd
        .output()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let last = stderr
            .lines()
            .chain(stdout.lines())
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("");
        eprintln!("{stdout}{stderr}");
        bail!("{:?} failed ({}): {last}", cmd.get_program(), output.status);
    }
    Ok(())
}
