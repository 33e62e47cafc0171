//! `cargo xtask …`: set-up, plugin builds, the demo, the tests, the bench.
//!
//! - `cargo xtask run`: build everything, then run the demo application in
//!   the foreground.
//! - `cargo xtask test`: build everything, then run every test.
//! - `cargo xtask bench`: print benchmark JSON, beside the BEAM measured in
//!   the same run (the `overseer-bench` crate).
//! - `cargo xtask build-plugins`: only build the plugins (wasm32-wasip2).
//!
//! One compiled copy of the dependencies serves `run`, `test` and `bench`:
//! all three build in the dev profile, whose dependencies are optimised
//! (see the workspace `Cargo.toml`). The bench only raises the optimisation
//! of the crates it measures, `overseer` and `overseer-bench`, on the
//! command line, so that wasmtime and the rest are not compiled a second
//! time in another profile.

mod c;
mod javascript;
mod python;
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The plugin crates under `plugins/`, built for wasm32-wasip2.
const PLUGINS: &[&str] = &[
    "circuit_breaker",
    "connection",
    "counter",
    "counter_v2",
    "faulty",
    "flaky",
    "hostile",
    "messenger",
    "rate_limiter",
    "session",
    "wordcount",
];

/// Builds of a plugin with one cargo feature on, each copied to
/// `<plugin>_<feature>.wasm`: the fixtures of the hot-upgrade tests.
const VARIANTS: &[(&str, &str)] = &[
    ("counter_bad", "change_error"),
    ("counter_bad", "change_trap"),
    ("counter_bad", "init_trap"),
    ("faulty", "v2"),
];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    match task {
        "build-plugins" => build_plugins(),
        "run" => run_demo(&args[1..]),
        "test" => test(&args[1..]),
        "bench" => bench(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n  run            build plugins and host, run examples/demo.toml\n  test           build plugins and host, run every test\n  bench          print benchmark figures as JSON, beside the BEAM's\n                 [--quick] [--only SECTION] [--no-beam] [--markdown] [--workers N]\n  build-plugins  build the plugins for wasm32-wasip2"
            );
            if task == "help" {
                Ok(())
            } else {
                bail!("unknown task '{task}'")
            }
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// Add the wasm32-wasip2 target if rustup does not have it yet.
fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to add the wasm32-wasip2 target")?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|t| t.trim() == "wasm32-wasip2")
    {
        run(Command::new("rustup").args(["target", "add", "wasm32-wasip2"]))?;
    }
    Ok(())
}

/// Build every plugin, Rust and the other languages; they land in
/// target/wasm32-wasip2/release/.
fn build_plugins() -> Result<()> {
    build_rust_plugins()?;
    let out = root().join("target/wasm32-wasip2/release");
    toolchain::build_all(
        &root(),
        &out,
        &[&python::Python, &javascript::JavaScript, &c::C],
    )
}

/// `cargo`, set up to build plugins small: link-time optimisation, one
/// codegen unit and `opt-level = "s"` for this build only (the host's
/// release profile stays as it is). Every live process holds its own copy
/// of its plugin's data segment: measured on `counter`, data 36.8 → 15.9 KB,
/// RSS per process 83.7 → 57.4 KB, starts 11.2 → 14.0 k/s, calls the same.
fn plugin_cargo() -> Command {
    let mut cmd = cargo();
    cmd.env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s");
    cmd
}

fn build_rust_plugins() -> Result<()> {
    ensure_wasm_target()?;
    let mut cmd = plugin_cargo();
    cmd.args(["build", "--release", "--target", "wasm32-wasip2"]);
    for plugin in PLUGINS {
        cmd.args(["-p", plugin]);
    }
    run(&mut cmd)?;

    // A feature build overwrites <plugin>.wasm: copy it aside, then put
    // the plain build back.
    let out = root().join("target/wasm32-wasip2/release");
    for (plugin, feature) in VARIANTS {
        let built = out.join(format!("{plugin}.wasm"));
        let plain = std::fs::read(&built).ok();
        run(plugin_cargo()
            .args(["build", "--release", "--target", "wasm32-wasip2"])
            .args(["-p", plugin, "--features", feature]))?;
        let copy = out.join(format!("{plugin}_{feature}.wasm"));
        std::fs::copy(&built, &copy)
            .with_context(|| format!("cannot copy {} to {}", built.display(), copy.display()))?;
        if let Some(plain) = plain {
            std::fs::write(&built, plain)
                .with_context(|| format!("cannot restore {}", built.display()))?;
        }
    }
    Ok(())
}

fn build_host() -> Result<()> {
    run(cargo().args(["build", "-p", "overseer"]))
}

fn run_demo(extra: &[String]) -> Result<()> {
    build_plugins()?;
    build_host()?;
    let root = root();
    let manifest = root.join("examples/demo.toml");
    let socket = root.join("examples/.overseer/control.sock");
    let overseer = root.join("target/debug/overseer");
    eprintln!(
        "\nRunning the demo. From a second terminal, in {}:\n\n  export OVERSEER_CONTROL={}\n  target/debug/overseer tree\n  target/debug/overseer call counter '\"increment\"'\n  target/debug/overseer call limiter '\"check\"'\n  target/debug/overseer call session '\"get_user\"'\n  target/debug/overseer state counter\n  target/debug/overseer stop\n\nPress Ctrl-C here to stop it.\n",
        root.display(),
        socket.display()
    );
    run(Command::new(overseer).arg("run").arg(manifest).args(extra))
}

/// The compile cache the tests share (`target/test-cache`) is emptied past
/// this size: each new build of a Python plugin adds tens of MB to it.
const TEST_CACHE_MAX_BYTES: u64 = 1 << 30;

fn test(extra: &[String]) -> Result<()> {
    build_plugins()?;
    build_host()?;
    let cache = root().join("target/test-cache");
    let size: u64 = std::fs::read_dir(&cache)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.metadata().ok())
        .map(|meta| meta.len())
        .sum();
    if size > TEST_CACHE_MAX_BYTES {
        eprintln!(
            "emptying {} ({} MB of compiled builds; the tests compile what they need again)",
            cache.display(),
            size >> 20
        );
        std::fs::remove_dir_all(&cache)
            .with_context(|| format!("cannot empty {}", cache.display()))?;
    }
    run(cargo()
        .args([
            "test",
            "--workspace",
            "--exclude",
            "xtask",
            "--exclude",
            "overseer-bench",
        ])
        .args(
            PLUGINS
                .iter()
                .chain(&["counter_bad"])
                .flat_map(|p| ["--exclude", p]),
        )
        .args(extra))
}

/// The crates the bench measures, optimised as a release build would be.
/// Everything they depend on is optimised already in the dev profile, and
/// shared with `run` and `test`.
const BENCH_OPTIMISED: &[&str] = &["overseer", "overseer-bench"];

fn bench(extra: &[String]) -> Result<()> {
    build_plugins()?;
    let mut cmd = cargo();
    cmd.args(["run", "--quiet", "-p", "overseer-bench"]);
    for package in BENCH_OPTIMISED {
        for (key, value) in [
            ("opt-level", "3"),
            ("codegen-units", "16"),
            ("debug-assertions", "false"),
            ("overflow-checks", "false"),
        ] {
            cmd.arg("--config")
                .arg(format!("profile.dev.package.\"{package}\".{key}={value}"));
        }
    }
    // Not incremental: as a release build, the measured crates are
    // optimised whole (our crates only; dependencies never are).
    run(cmd
        .arg("--")
        .args(extra)
        .env("CARGO_INCREMENTAL", "0")
        .env("RUST_LIB_BACKTRACE", "0"))
}
