//! `overseer reload PLUGIN [--file PATH]`: upgrade a plugin's processes to
//! the build in its file (or in PATH), as the watcher does.

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
    plugin: String,
    /// A build to put in place of the plugin's file, instead of reading the
    /// file again.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// Reload, and print what changed: `counter: 1.0.0 -> 2.0.0, 3 processes …`.
pub async fn execute(args: ReloadArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    // The host resolves the path: make it absolute here, where it was typed.
    let file = args
        .file
        .map(|f| std::path::absolute(&f).unwrap_or(f))
        .map(|f| f.display().to_string());
    let mut reloading = std::pin::pin!(client.reload(&args.plugin, file.as_deref()));
    // A new Python or JavaScript build compiles for seconds, once: say so.
    let reply = match tokio::time::timeout(SLOW, &mut reloading).await {
        Ok(reply) => reply,
        Err(_) => {
            eprintln!(
                "overseer: the host is compiling the new build of {} (seconds for Python or JavaScript, once: the compile cache keeps it)…",
                args.plugin
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
    Ok(())
}
