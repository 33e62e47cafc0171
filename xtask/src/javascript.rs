//! JavaScript plugins: `plugins/*_js/app.js`, built with componentize-qjs
//! (QuickJS, the engine behind jco's `--backend quickjs`) into components
//! of the `gen-server` world, beside the Rust builds.
//!
//! componentize-qjs comes from npm at a pinned version, into `target/`
//! (never installed globally). Each plugin is built from a copy of its
//! folder with the SDK as `node_modules/overseer`, which is where
//! componentize-qjs resolves `import … from "overseer"`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::toolchain::{Build, Language, newest_mtime, plugin_dirs, run_quiet, stale_builds};

/// The componentize-qjs release the JavaScript SDK is written against.
const COMPONENTIZE_QJS: &str = "componentize-qjs@0.4.5";

/// Builds of a JavaScript plugin with a variant name, each to
/// `<plugin>_<variant>.wasm`: the plugin's `variant.js` says which.
const VARIANTS: &[(&str, &str)] = &[("counter_js", "v3"), ("novsn_js", "bad")];

/// The JavaScript toolchain and the JavaScript plugins.
pub struct JavaScript;

impl Language for JavaScript {
    fn name(&self) -> &'static str {
        "JavaScript"
    }

    fn key(&self) -> &'static str {
        "js"
    }

    fn build(&self, root: &Path, out: &Path) -> Result<usize> {
        let plugins = plugin_dirs(root, "_js", "app.js")?;
        if plugins.is_empty() {
            return Ok(0);
        }
        let tool = install(root)?;
        let sdk = root.join("guest-sdk/js");
        let inputs_changed = newest_mtime(&[sdk.as_path(), &root.join("wit"), &tool])?;
        let stale = stale_builds(root, out, &plugins, VARIANTS, inputs_changed)?;
        for Build {
            plugin,
            variant,
            dir,
            name,
            wasm,
        } in &stale
        {
            let staged = root.join("target/polyglot/js-build").join(name);
            stage(dir, &sdk, &staged, *variant)?;
            // A plugin with a `wit/` of its own (a test fixture of another
            // world) is built against it, with ours as a dependency.
            let (wit, world) = match std::fs::read_to_string(dir.join("wit/world.txt")) {
                Ok(world) => {
                    let wit = staged.join("wit");
                    copy_dir(&root.join("wit"), &wit.join("deps/overseer"))?;
                    (wit, world.trim().to_owned())
                }
                Err(_) => (root.join("wit"), "gen-server".to_owned()),
            };
            eprintln!("building {} (JavaScript)", wasm.display());
            run_quiet(
                Command::new(&tool)
                    .current_dir(root)
                    .arg("--wit")
                    .arg(&wit)
                    .args(["-n", &world, "--sync"])
                    .arg("--js")
                    .arg(staged.join("app.js"))
                    .arg("--module-root")
                    .arg(&staged)
                    .arg("-o")
                    .arg(wasm),
            )
            .with_context(|| format!("building plugins/{plugin}"))?;
        }
        Ok(stale.len())
    }
}

/// A fresh copy of plugin folder `dir` in `staged`, with the SDK as
/// `node_modules/overseer` and, for a variant, `variant.js` saying so.
fn stage(dir: &Path, sdk: &Path, staged: &Path, variant: Option<&str>) -> Result<()> {
    if staged.exists() {
        std::fs::remove_dir_all(staged)
            .with_context(|| format!("cannot clear {}", staged.display()))?;
    }
    copy_dir(dir, staged)?;
    copy_dir(sdk, &staged.join("node_modules/overseer"))?;
    if let Some(variant) = variant {
        std::fs::write(
            staged.join("variant.js"),
            format!("export const VARIANT = {variant:?};\n"),
        )?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_name() == "node_modules" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// componentize-qjs in `target/polyglot/js`, installed if missing.
fn install(root: &Path) -> Result<PathBuf> {
    let prefix = root.join("target/polyglot/js");
    let tool = prefix.join("node_modules/.bin/componentize-qjs");
    let stamp = prefix.join("installed.txt");
    if tool.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == COMPONENTIZE_QJS) {
        return Ok(tool);
    }
    std::fs::create_dir_all(&prefix)
        .with_context(|| format!("cannot create {}", prefix.display()))?;
    std::fs::write(prefix.join("package.json"), "{\"private\": true}\n")?;
    eprintln!("installing {COMPONENTIZE_QJS} in {}", prefix.display());
    run_quiet(
        Command::new("npm")
            .current_dir(&prefix)
            .args(["install", "--no-audit", "--no-fund", "--save-exact"])
            .arg(COMPONENTIZE_QJS),
    )
    .context("npm install (is npm installed?)")?;
    if !tool.is_file() {
        bail!(
            "npm installed {COMPONENTIZE_QJS} but {} is missing",
            tool.display()
        );
    }
    std::fs::write(&stamp, COMPONENTIZE_QJS)?;
    Ok(tool)
}
