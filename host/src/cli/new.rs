//! `overseer new NAME --lang rust|python|js`: a plugin folder to start
//! from: a counter in that language, the WIT it is built against, the SDK
//! (Python and JavaScript: copied in; Rust: a path to this checkout's
//! crate), a build script and a README of three lines.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::Usage;

/// The languages a plugin can be scaffolded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Rust, with the overseer-guest crate (wasm32-wasip2).
    Rust,
    /// Python, with componentize-py.
    Python,
    /// JavaScript, with componentize-qjs (QuickJS).
    Js,
}

/// Arguments of `overseer new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's name, which is also its folder's and its build's
    /// (`NAME.wasm`): letters, digits, `_` and `-`.
    name: String,
    /// The language to write it in.
    #[arg(long, value_enum, default_value = "rust")]
    lang: Lang,
    /// Where to create the folder [default: the current folder].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The overseer-guest crate a Rust plugin depends on [default: the one
    /// in the checkout this binary was built from].
    #[arg(long, value_name = "DIR")]
    sdk: Option<PathBuf>,
}

/// The WIT every plugin is built against.
const WIT: &str = include_str!("../../../wit/overseer.wit");

/// The Python SDK, copied in as the package `overseer`.
const PYTHON_SDK: &[(&str, &str)] = &[
    (
        "__init__.py",
        include_str!("../../../guest-sdk/python/overseer/__init__.py"),
    ),
    (
        "host.py",
        include_str!("../../../guest-sdk/python/overseer/host.py"),
    ),
    (
        "log.py",
        include_str!("../../../guest-sdk/python/overseer/log.py"),
    ),
    (
        "results.py",
        include_str!("../../../guest-sdk/python/overseer/results.py"),
    ),
    (
        "server.py",
        include_str!("../../../guest-sdk/python/overseer/server.py"),
    ),
];

/// The JavaScript SDK, copied in as `node_modules/overseer`.
const JS_SDK: &[(&str, &str)] = &[
    (
        "package.json",
        include_str!("../../../guest-sdk/js/package.json"),
    ),
    ("index.js", include_str!("../../../guest-sdk/js/index.js")),
    ("host.js", include_str!("../../../guest-sdk/js/host.js")),
    (
        "results.js",
        include_str!("../../../guest-sdk/js/results.js"),
    ),
    ("server.js", include_str!("../../../guest-sdk/js/server.js")),
    ("utf8.js", include_str!("../../../guest-sdk/js/utf8.js")),
];

/// Create the plugin folder, and say how to build it.
pub async fn execute(args: NewArgs) -> anyhow::Result<()> {
    let name = &args.name;
    if name.is_empty()
        || !name.starts_with(|c: char| c.is_ascii_alphabetic())
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Usage(format!(
            "'{name}' is not a plugin name: a letter, then letters, digits, '_' and '-'"
        ))
        .into());
    }
    let folder = args.dir.unwrap_or_default().join(name);
    if folder.exists() {
        return Err(Usage(format!("{} exists already", folder.display())).into());
    }
    let files = files(&args.lang, name, args.sdk)?;
    for (path, text) in &files {
        let path = folder.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    make_executable(&folder.join("build.sh"))?;
    println!(
        "created {} ({} files): build it with {}/build.sh",
        folder.display(),
        files.len(),
        folder.display()
    );
    Ok(())
}

/// Every file of the new folder: its path inside it and its text.
fn files(lang: &Lang, name: &str, sdk: Option<PathBuf>) -> anyhow::Result<Vec<(String, String)>> {
    let fill = |template: &str| template.replace("{{name}}", name);
    let mut files = Vec::new();
    match lang {
        Lang::Rust => {
            let sdk = match sdk {
                Some(sdk) => sdk,
                None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-sdk"),
            };
            let sdk = std::fs::canonicalize(&sdk).map_err(|err| {
                Usage(format!(
                    "the Rust SDK is not at {}: {err}; name its folder with --sdk",
                    sdk.display()
                ))
            })?;
            let sdk = sdk.display().to_string();
            let crate_name = name.replace('-', "_");
            let fill = |template: &str| {
                fill(template)
                    .replace("{{sdk}}", &sdk)
                    .replace("{{crate}}", &crate_name)
            };
            files.push((
                "Cargo.toml".into(),
                fill(include_str!("../../templates/rust/Cargo.toml")),
            ));
            files.push((
                "src/lib.rs".into(),
                fill(include_str!("../../templates/rust/lib.rs")),
            ));
            files.push((
                "build.sh".into(),
                fill(include_str!("../../templates/rust/build.sh")),
            ));
            files.push((
                "README.md".into(),
                fill(include_str!("../../templates/rust/README.md")),
            ));
        }
        Lang::Python => {
            files.push((
                "app.py".into(),
                fill(include_str!("../../templates/python/app.py")),
            ));
            files.push((
                "build.sh".into(),
                fill(include_str!("../../templates/python/build.sh")),
            ));
            files.push((
                "README.md".into(),
                fill(include_str!("../../templates/python/README.md")),
            ));
            files.push(("wit/overseer.wit".into(), WIT.into()));
            for (file, text) in PYTHON_SDK {
                files.push((format!("overseer/{file}"), (*text).into()));
            }
        }
        Lang::Js => {
            files.push((
                "app.js".into(),
                fill(include_str!("../../templates/js/app.js")),
            ));
            files.push((
                "build.sh".into(),
                fill(include_str!("../../templates/js/build.sh")),
            ));
            files.push((
                "README.md".into(),
                fill(include_str!("../../templates/js/README.md")),
            ));
            files.push(("wit/overseer.wit".into(), WIT.into()));
            for (file, text) in JS_SDK {
                files.push((format!("node_modules/overseer/{file}"), (*text).into()));
            }
        }
    }
    Ok(files)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}
