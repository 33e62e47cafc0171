//! The BEAM, measured in the same run: the Erlang/OTP benchmarks in
//! `../shared/peers/beam/` (or `$OVERSEER_BEAM_DIR`), run with `elixir` at
//! the sizes Overseer's sections used. Without `elixir` on the PATH their
//! figures are null, and the report says how to install it: a remembered
//! figure is never printed in their place.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Map, Value, json};

/// How to get the BEAM on this machine (Debian's packages).
pub const INSTALL: &str = "apt-get install -y erlang-nox elixir";

/// The sizes each BEAM benchmark is run at: the same counts as Overseer's
/// sections.
pub struct Sizes {
    /// Calls per rep and timed calls (bench_call: CALLS, LAT_CALLS).
    pub calls: usize,
    /// Casts per rep (bench_cast: CASTS).
    pub casts: usize,
    /// Crashes per variant (bench_restart: ITERS).
    pub restarts: usize,
    /// Children started (bench_dynsup: N).
    pub children: usize,
    /// Keys looked up, and calls by via and by pid (bench_registry: KEYS,
    /// CALLS).
    pub keys: usize,
    /// Calls by via name and by pid.
    pub key_calls: usize,
    /// Processes upgraded per round, and rounds (bench_hotswap: PROCS,
    /// ROUNDS).
    pub swap: (usize, usize),
}

/// Where the BEAM benchmarks are.
pub fn dir(root: &Path) -> PathBuf {
    match std::env::var_os("OVERSEER_BEAM_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("../shared/peers/beam"),
    }
}

/// Run the BEAM benchmarks for `sections`; one object per benchmark, by
/// its name (`genserver_call`…), or why there are none.
pub fn run(dir: &Path, sections: &[&str], sizes: &Sizes) -> Value {
    let version = match Command::new("elixir").arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("; "),
        _ => {
            return json!({
                "available": false,
                "why": "elixir is not on the PATH",
                "install": INSTALL,
            });
        }
    };
    if !dir.join("lib/bench.exs").exists() {
        return json!({
            "available": false,
            "why": format!("no BEAM benchmarks in {}", dir.display()),
            "install": "set OVERSEER_BEAM_DIR to the folder of bench_*.exs",
        });
    }
    let mut benches = Map::new();
    let mut failed = Map::new();
    for (beside, script, env) in scripts(sizes) {
        if !beside.iter().any(|section| sections.contains(section)) {
            continue;
        }
        eprintln!("bench: the BEAM's {script} …");
        match run_one(dir, script, &env) {
            Ok((name, result)) => {
                benches.insert(name, result);
            }
            Err(why) => {
                failed.insert(script.to_string(), Value::String(why));
            }
        }
    }
    json!({
        "available": true,
        "elixir": version,
        "dir": dir.display().to_string(),
        "benches": benches,
        "failed": failed,
    })
}

/// A BEAM benchmark: the sections it stands beside, its script, and the
/// environment that sizes it.
type Script = (
    &'static [&'static str],
    &'static str,
    Vec<(&'static str, String)>,
);

/// Every BEAM benchmark, sized as `s` says.
fn scripts(s: &Sizes) -> Vec<Script> {
    vec![
        (
            &["call", "floor"],
            "bench_call.exs",
            vec![
                ("CALLS", s.calls.to_string()),
                ("LAT_CALLS", s.calls.to_string()),
            ],
        ),
        (
            &["cast"],
            "bench_cast.exs",
            vec![("CASTS", s.casts.to_string())],
        ),
        (
            &["restart", "floor"],
            "bench_restart.exs",
            vec![("ITERS", s.restarts.to_string())],
        ),
        (
            &["dynamic", "floor"],
            "bench_dynsup.exs",
            vec![("N", s.children.to_string())],
        ),
        (
            &["dynamic", "floor"],
            "bench_registry.exs",
            vec![
                ("KEYS", s.keys.to_string()),
                ("CALLS", s.key_calls.to_string()),
            ],
        ),
        (
            &["upgrade", "floor"],
            "bench_hotswap.exs",
            vec![
                ("PROCS", s.swap.0.to_string()),
                ("ROUNDS", s.swap.1.to_string()),
            ],
        ),
    ]
}

/// Run one script; its one JSON line, by the bench name it gives.
fn run_one(dir: &Path, script: &str, env: &[(&str, String)]) -> Result<(String, Value), String> {
    let out = Command::new("elixir")
        .arg(script)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run elixir {script}: {e}"))?;
    if !out.status.success() {
        return Err(format!("elixir {script} failed with {}", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| format!("elixir {script} printed no JSON"))?;
    let value: Value =
        serde_json::from_str(line).map_err(|e| format!("elixir {script}: bad JSON: {e}"))?;
    let name = value["bench"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| script.to_string());
    Ok((name, value))
}
