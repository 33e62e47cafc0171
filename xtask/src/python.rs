//! Python plugins: `plugins/*_py/app.py`, built with componentize-py into
//! components of the `gen-server` world, beside the Rust builds.
//!
//! componentize-py comes from PyPI at a pinned version, into a virtualenv
//! under `target/` (never installed globally). A plugin is rebuilt only when
//! its sources, the SDK or the WIT changed: a build takes 6–8 s.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::toolchain::{Build, Language, newest_mtime, plugin_dirs, run_quiet, stale_builds};

/// The componentize-py release the Python SDK is written against
/// (`../shared/POLYGLOT-NOTES.md`).
const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";

/// Builds of a Python plugin with a variant name, each to
/// `<plugin>_<variant>.wasm`: the plugin reads `_variant.VARIANT`.
const VARIANTS: &[(&str, &str)] = &[("counter_py", "v2")];

/// The Python toolchain and the Python plugins.
pub struct Python;

impl Language for Python {
    fn name(&self) -> &'static str {
        "Python"
    }

    fn key(&self) -> &'static str {
        "python"
    }

    fn build(&self, root: &Path, out: &Path) -> Result<usize> {
        let plugins = plugin_dirs(root, "_py", "app.py")?;
        if plugins.is_empty() {
            return Ok(0);
        }
        let tool = install(root)?;
        let sdk = root.join("guest-sdk/python");
        let inputs_changed = newest_mtime(&[sdk.as_path(), &root.join("wit"), &tool])?;
        let stale = stale_builds(root, out, &plugins, VARIANTS, inputs_changed)?;
        for Build {
            plugin,
            variant,
            dir,
            wasm,
            ..
        } in &stale
        {
            let mut cmd = Command::new(&tool);
            cmd.current_dir(root).args([
                "-q",
                "-d",
                "wit",
                "-w",
                "gen-server",
                "componentize",
                "app",
            ]);
            if let Some(variant) = *variant {
                let aside = root
                    .join("target/polyglot/variants")
                    .join(format!("{plugin}_{variant}"));
                std::fs::create_dir_all(&aside)
                    .with_context(|| format!("cannot create {}", aside.display()))?;
                std::fs::write(
                    aside.join("_variant.py"),
                    format!("VARIANT = {variant:?}\n"),
                )?;
                cmd.arg("-p").arg(&aside);
            }
            cmd.arg("-p")
                .arg(dir)
                .arg("-p")
                .arg(&sdk)
                .arg("-o")
                .arg(wasm);
            eprintln!("building {} (Python)", wasm.display());
            run_quiet(&mut cmd).with_context(|| format!("building plugins/{plugin}"))?;
        }
        Ok(stale.len())
    }
}

/// componentize-py in `target/polyglot/python`, installed if missing.
fn install(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/polyglot/python");
    let tool = venv.join("bin/componentize-py");
    let stamp = venv.join("installed.txt");
    if tool.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == COMPONENTIZE_PY) {
        return Ok(tool);
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    eprintln!("installing {COMPONENTIZE_PY} in {}", venv.display());
    run_quiet(Command::new(&python).arg("-m").arg("venv").arg(&venv))
        .with_context(|| format!("{python} -m venv (is python3-venv installed?)"))?;
    run_quiet(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(COMPONENTIZE_PY),
    )
    .with_context(|| format!("pip install {COMPONENTIZE_PY}"))?;
    if !tool.is_file() {
        bail!(
            "pip installed {COMPONENTIZE_PY} but {} is missing",
            tool.display()
        );
    }
    std::fs::write(&stamp, COMPONENTIZE_PY)?;
    Ok(tool)
}
