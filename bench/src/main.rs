//! `cargo xtask bench`: the hot paths measured on real plugins, as JSON,
//! each beside the BEAM's figure measured in the same run
//! (`../shared/peers/beam/`), and their ratio.
//!
//! ```text
//! cargo xtask bench [--quick] [--only call|cast|restart|upgrade|dynamic|processes|floor|scale|polyglot|metrics]
//!                   [--no-beam] [--markdown] [--workers N] [--swap N]
//! ```
//!
//! `--workers N` runs Overseer's sections on N tokio workers (default 2,
//! this machine's cores): on a VM, one worker saves the cross-thread
//! wake-ups a chain of dependent work pays between two.
//!
//! `--swap N` upgrades N processes in the `upgrade` section (rounds
//! without a client, and one round under calls) instead of the plan's
//! sizes: `--only upgrade --swap 100000` is the 100,000-process round
//! (`--only floor --swap 100000`: wasmtime alone moving as many).
//!
//! `--markdown` prints the comparison as the README's table instead of
//! JSON.
//!
//! `floor` measures wasmtime alone with the same builds (no Overseer
//! around it): the least a start, a live instance, a restart and a call
//! cost on this machine, beside the BEAM's.
//!
//! Overseer's sections run first, then the BEAM's (one at a time, so that
//! neither competes with the other for the two cores).

mod beam;
mod compare;
mod dynamic;
mod floor;
mod host;
mod messages;
mod pick;
mod polyglot;
mod processes;
mod restart;
mod scale;
mod stats;
mod upgrade;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::{Value, json};

/// The allocator the `overseer` binary uses (see host/src/main.rs), so
/// that the bench measures what a user runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SECTIONS: &[&str] = &[
    "call",
    "cast",
    "restart",
    "upgrade",
    "dynamic",
    "processes",
    "floor",
    "scale",
    "polyglot",
    "metrics",
];

/// The sizes of one run.
#[derive(Clone)]
struct Plan {
    calls: usize,
    casts: usize,
    restarts: usize,
    swap_sizes: Vec<usize>,
    swap_rounds: usize,
    swap_under_calls: usize,
    wasm_calls: usize,
    keys: usize,
    transactions: usize,
    children: usize,
    processes: usize,
    polyglot: polyglot::Sizes,
    floor: floor::Sizes,
    scale: Vec<usize>,
    metric_rounds: usize,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                calls: 10_000,
                casts: 100_000,
                restarts: 500,
                swap_sizes: vec![1_000],
                swap_rounds: 4,
                swap_under_calls: 1_000,
                wasm_calls: 1_000,
                keys: 10_000,
                transactions: 1_000,
                children: 10_000,
                processes: 2_000,
                scale: vec![1_000, 10_000],
                metric_rounds: 3,
                floor: floor::Sizes {
                    starts: 2_000,
                    restarts: 500,
                    calls: 10_000,
                    swaps: 1_000,
                    wasm_calls: 1_000,
                },
                polyglot: polyglot::Sizes {
                    calls: 2_000,
                    starts: 200,
                    restarts: 100,
                    live: 1_000,
                },
            }
        } else {
            Plan {
                calls: 100_000,
                casts: 1_000_000,
                restarts: 5_000,
                swap_sizes: vec![1_000, 10_000],
                swap_rounds: 10,
                swap_under_calls: 100_000,
                wasm_calls: 10_000,
                keys: 100_000,
                transactions: 10_000,
                children: 100_000,
                processes: 10_000,
                scale: vec![1_000, 10_000, 100_000, 250_000],
                metric_rounds: 5,
                floor: floor::Sizes {
                    starts: 10_000,
                    restarts: 5_000,
                    calls: 100_000,
                    swaps: 1_000,
                    wasm_calls: 10_000,
                },
                polyglot: polyglot::Sizes {
                    calls: 20_000,
                    starts: 1_000,
                    restarts: 1_000,
                    live: 1_000,
                },
            }
        }
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let with_beam = !args.iter().any(|a| a == "--no-beam");
    let markdown = args.iter().any(|a| a == "--markdown");
    let workers = count_flag(&args, "--workers", "threads")?.unwrap_or(2);
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    if let Some(only) = &only
        && !SECTIONS.contains(&only.as_str())
    {
        bail!("--only {only}: the sections are {}", SECTIONS.join(", "));
    }
    let sections: Vec<&str> = SECTIONS
        .iter()
        .copied()
        .filter(|s| only.as_deref().is_none_or(|o| o == *s))
        .collect();
    let mut plan = Plan::new(quick);
    if let Some(n) = count_flag(&args, "--swap", "processes")? {
        plan.swap_sizes = vec![n];
        plan.swap_under_calls = n;
        plan.floor.swaps = n;
    }
    let root = workspace_root();
    let plugins = root.join("target/wasm32-wasip2/release");
    let ours = measure(&plugins, &sections, plan.clone(), workers)?;
    let beam = if with_beam {
        beam::run(
            &beam::dir(&root),
            &sections,
            &beam::Sizes {
                calls: plan.calls,
                casts: plan.casts,
                restarts: plan.restarts,
                children: plan.children.min(dynamic::HOST_CAP),
                keys: plan.keys,
                key_calls: plan.wasm_calls,
                swap: (1_000, plan.swap_rounds),
            },
        )
    } else {
        json!({ "available": false, "why": "--no-beam", "install": beam::INSTALL })
    };
    let rows = compare::rows(&ours, &beam);
    if markdown {
        print!("{}", compare::markdown(&rows));
        return Ok(());
    }
    let report = json!({
        "comparison": rows,
        "overseer": ours,
        "beam": beam,
        "machine": {
            "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "loadavg": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
            "overseer_workers": workers,
        },
        "quick": quick,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// The number after `flag`, if the flag is there: `what` it counts, at
/// least 1.
fn count_flag(args: &[String], flag: &str, what: &str) -> Result<Option<usize>> {
    let Some(i) = args.iter().position(|a| a == flag) else {
        return Ok(None);
    };
    args.get(i + 1)
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("{flag} takes a number of {what}, at least 1"))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Overseer's sections, on a runtime of `workers` workers (two by default). Clients run in a task
/// on those workers, as processes do, not on the thread blocked in
/// `block_on`: otherwise every reply costs a cross-thread wake-up that no
/// process-to-process call pays.
fn measure(plugins: &Path, sections: &[&str], plan: Plan, workers: usize) -> Result<Value> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    let plugins = plugins.to_path_buf();
    let sections: Vec<String> = sections.iter().map(|s| s.to_string()).collect();
    rt.block_on(async move {
        tokio::spawn(async move {
            let mut ours = serde_json::Map::new();
            for section in &sections {
                eprintln!("bench: {section} …");
                let value = match section.as_str() {
                    "call" => messages::calls(&plugins, plan.calls).await?,
                    "cast" => messages::casts(&plugins, plan.casts).await?,
                    "restart" => restart::restarts(&plugins, plan.restarts).await?,
                    "upgrade" => {
                        upgrade::upgrades(
                            &plugins,
                            &plan.swap_sizes,
                            plan.swap_rounds,
                            plan.swap_under_calls,
                        )
                        .await?
                    }
                    "dynamic" => json!({
                        "wasm_to_wasm": dynamic::wasm_to_wasm(&plugins, plan.wasm_calls).await?,
                        "registry": dynamic::registry(&plugins, plan.keys, plan.wasm_calls).await?,
                        "pool": dynamic::pool(&plugins, plan.transactions).await?,
                        "dynamic_supervisor": dynamic::start_children(&plugins, plan.children).await?,
                    }),
                    "processes" => processes::start_and_memory(&plugins, plan.processes).await?,
                    "floor" => floor::floors(&plugins, &plan.floor).await?,
                    "polyglot" => polyglot::languages(&plugins, &plan.polyglot).await?,
                    "scale" => scale::curve(&plugins, &plan.scale).await?,
                    "metrics" => {
                        messages::metrics_cost(&plugins, plan.calls, plan.casts, plan.metric_rounds)
                            .await?
                    }
                    _ => Value::Null,
                };
                ours.insert(section.clone(), value);
            }
            Ok::<_, anyhow::Error>(Value::Object(ours))
        })
        .await?
    })
}
