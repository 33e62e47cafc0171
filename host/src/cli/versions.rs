//! `overseer versions [--json]`: each plugin's loaded builds, and which
//! processes run which.

use clap::Args;

use super::{ControlArg, explain};

/// Arguments of `overseer versions`.
#[derive(Debug, Args)]
pub struct VersionsArgs {
    /// Print the listing as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// One line per build: plugin, vsn, hash, `*` for the current one, and its
/// processes.
pub async fn execute(args: VersionsArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let plugins = client.versions().await.map_err(explain)?;
    if args.json {
        println!("{}", serde_json::to_string(&plugins)?);
        return Ok(());
    }
    for plugin in &plugins {
        println!("{} ({})", plugin.plugin, plugin.file);
        for version in &plugin.versions {
            let pids: Vec<String> = version.processes.iter().map(u64::to_string).collect();
            println!(
                "  {} {:<10} {}  {} processes{}{}",
                if version.current { "*" } else { " " },
                version.vsn,
                version.hash,
                pids.len(),
                if pids.is_empty() { "" } else { ": " },
                pids.join(" "),
            );
        }
    }
    Ok(())
}
