//! `overseer reload PLUGIN [--file PATH]`: upgrade a plugin's processes to
//! the build in its file (or in PATH), as the watcher does; `overseer
//! reload --all`: every plugin whose file changed, as one release.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{ControlArg, explain};

/// How long a reload runs before the client says why it waits.
const SLOW: Duration = Duration::from_secs(1);

/// Arguments of `overseer reload`.
#[derive(Debug, Args)]
pub struct ReloadArgs {
    /// The plugin's name (its file name without `.wasm`).
    #[arg(required_unless_present = "all")]
    plugin: Option<String>,
    /// A build to put in place of the plugin's file, instead of reading the
    /// file again.
    #[arg(long, conflicts_with = "all")]
    file: Option<PathBuf>,
    /// Every plugin whose file holds another build, as one release: every
    /// build checked, then one canary per plugin, then the rest; any
    /// failure changes nothing, and a rollback of one plugin on probation
    /// takes the whole release back.
    #[arg(long, conflicts_with = "plugin")]
    all: bool,
    /// With --all: read the builds from this folder (NAME.wasm for plugin
    /// NAME) instead of the plugins' own files; a plugin with no file in
    /// it is left as it is.
    #[arg(long, value_name = "DIR", conflicts_with = "plugin")]
    from: Option<PathBuf>,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// Reload, and print what changed: `counter: 1.0.0 -> 2.0.0, 3 processes …`.
pub async fn execute(args: ReloadArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let Some(plugin) = args.plugin else {
        let from = for_the_host(args.from);
        return release(&client, from.as_deref(), args.json).await;
    };
    let file = for_the_host(args.file);
    let mut reloading = std::pin::pin!(client.reload(&plugin, file.as_deref()));
    // A new Python or JavaScript build compiles for seconds, once: say so.
    let reply = match tokio::time::timeout(SLOW, &mut reloading).await {
        Ok(reply) => reply,
        Err(_) => {
            eprintln!(
                "overseer: the host is compiling the new build of {plugin} (seconds for Python or JavaScript, once: the compile cache keeps it)…",
            );
            reloading.await
        }
    }
    .map_err(explain)?;
    if args.json {
        println!("{}", serde_json::to_string(&reply)?);
        return Ok(());
    }
    if reply.outcome == "unchanged" {
        println!("{}: unchanged ({} is running)", reply.plugin, reply.to);
        return Ok(());
    }
    print_upgrade(&reply);
    Ok(())
}

/// A path as the host must read it: the host resolves it from its own
/// folder, so it is made absolute here, where it was typed.
fn for_the_host(path: Option<PathBuf>) -> Option<String> {
    path.map(|p| std::path::absolute(&p).unwrap_or(p))
        .map(|p| p.display().to_string())
}

/// `reload --all`: the release, then each plugin's line.
async fn release(
    client: &overseer::control::Client,
    from: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let reply = client.release(from).await.map_err(explain)?;
    if json {
        println!("{}", serde_json::to_string(&reply)?);
        return Ok(());
    }
    match &reply.release {
        Some(name) => println!(
            "{name}: {} plugins upgraded as one release",
            reply.plugins.len()
        ),
        None => println!("nothing to upgrade: every plugin runs the build in its file"),
    }
    for plugin in &reply.plugins {
        print_upgrade(plugin);
    }
    if !reply.unchanged.is_empty() {
        println!("unchanged: {}", reply.unchanged.join(", "));
    }
    Ok(())
}

/// `counter: upgraded 1.0.0 -> 2.0.0 (compiled), N processes …`.
fn print_upgrade(reply: &overseer::control::api::ReloadReply) {
    let direction = if reply.downgrade {
        "downgraded"
    } else {
        "upgraded"
    };
    println!(
        "{}: {direction} {} -> {} ({}), {} processes changed code, {} failed; pause median {} µs, max {} µs; {} µs in all",
        reply.plugin,
        reply.from,
        reply.to,
        reply.compiled,
        reply.processes,
        reply.failed.len(),
        reply.pause_median_us,
        reply.pause_max_us,
        reply.elapsed_us,
    );
    for failed in &reply.failed {
        println!(
            "  pid {} stays on {}: {}",
            failed.pid, reply.from, failed.reason
        );
    }
}
