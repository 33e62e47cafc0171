//! C plugins: `plugins/*_c/*.c`, written against the bindings that
//! wit-bindgen's C generator makes from `wit/overseer.wit` (no SDK), built
//! with clang for wasm32-wasi (Debian's clang, lld and wasi-libc), then
//! made components with the WASI preview1 adapter of the host's wasmtime.
//! The bindings and the component step are `tools/componentize-c`, built
//! from crates here: no CLI to install.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::toolchain::{Language, newest_mtime, run_quiet, up_to_date};

/// The C toolchain and the C plugins.
pub struct C;

impl Language for C {
    fn name(&self) -> &'static str {
        "C"
    }

    fn key(&self) -> &'static str {
        "c"
    }

    fn build(&self, root: &Path, out: &Path) -> Result<usize> {
        let plugins = plugins(root)?;
        if plugins.is_empty() {
            return Ok(0);
        }
        check_clang()?;
        let tool = build_tool(root)?;
        let inputs_changed = newest_mtime(&[&root.join("wit"), &tool])?;
        let mut built = 0;
        for (plugin, sources) in &plugins {
            let dir = root.join("plugins").join(plugin);
            let wasm = out.join(format!("{plugin}.wasm"));
            if up_to_date(&wasm, &dir, inputs_changed)? {
                continue;
            }
            let work = root.join("target/polyglot/c-build").join(plugin);
            std::fs::create_dir_all(&work)
                .with_context(|| format!("cannot create {}", work.display()))?;
            eprintln!("building {} (C)", wasm.display());
            run_quiet(
                Command::new(&tool)
                    .arg("bindings")
                    .arg(root.join("wit"))
                    .arg("gen-server")
                    .arg(&work),
            )?;
            let core = work.join("core.wasm");
            run_quiet(
                Command::new(clang())
                    .args([
                        "--target=wasm32-wasi",
                        "-mexec-model=reactor",
                        "-O2",
                        "-Wall",
                    ])
                    .arg("-I")
                    .arg(&work)
                    .args(sources)
                    .arg(work.join("gen_server.c"))
                    .arg(work.join("gen_server_component_type.o"))
                    .arg("-o")
                    .arg(&core),
            )
            .with_context(|| format!("compiling plugins/{plugin}"))?;
            run_quiet(Command::new(&tool).arg("component").arg(&core).arg(&wasm))?;
            built += 1;
        }
        Ok(built)
    }
}

fn clang() -> String {
    std::env::var("CLANG").unwrap_or_else(|_| "clang".into())
}

/// clang can build for wasm32-wasi: it runs and wasi-libc is there.
fn check_clang() -> Result<()> {
    let out = Command::new(clang())
        .args(["--target=wasm32-wasi", "-print-file-name=libc.a"])
        .output()
        .context("clang is not installed (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)")?;
    let libc = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || !Path::new(&libc).is_file() {
        bail!("wasi-libc is not installed for clang (apt-get install wasi-libc)");
    }
    Ok(())
}

/// `tools/componentize-c`, built in the shared target folder.
fn build_tool(root: &Path) -> Result<PathBuf> {
    run_quiet(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args(["build", "--quiet", "-p", "overseer-componentize-c"]),
    )?;
    Ok(root.join("target/debug/overseer-componentize-c"))
}

/// The C plugin folders, `plugins/*_c`, and their `.c` files.
fn plugins(root: &Path) -> Result<Vec<(String, Vec<PathBuf>)>> {
    let mut found = Vec::new();
    let dir = root.join("plugins");
    for entry in
        std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?
    {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with("_c") {
            continue;
        }
        let mut sources: Vec<PathBuf> = std::fs::read_dir(entry.path())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "c"))
            .collect();
        sources.sort();
        if !sources.is_empty() {
            found.push((name, sources));
        }
    }
    found.sort();
    Ok(found)
}
