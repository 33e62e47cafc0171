//! `overseer events [--after N] [--kind K,…] [--plugin P] [--follow]`: the
//! host's recent events (starts, exits, crash reports, restarts,
//! intensity give-ups, upgrades, refusals, guest logs), one JSON object per
//! line; with `--follow`, then every new one as it happens.

use std::io::Write;

use clap::Args;
use overseer::control::api::EventsQuery;

use super::{ControlArg, explain};

/// Arguments of `overseer events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events numbered after N (each event carries its `seq`).
    #[arg(long, default_value_t = 0)]
    after: u64,
    /// Only these kinds, comma-separated: start, exit, crash, restart,
    /// intensity, upgrade, denied, log, or an event's own kind (such as
    /// child_start_failed).
    #[arg(long, value_name = "KINDS")]
    kind: Option<String>,
    /// Only events that name this plugin.
    #[arg(long)]
    plugin: Option<String>,
    /// Keep printing new events as they happen, until the host stops (or
    /// Ctrl-C).
    #[arg(long)]
    follow: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// Print the events, oldest first.
pub async fn execute(args: EventsArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let query = EventsQuery {
        after: args.after,
        kind: args.kind,
        plugin: args.plugin,
    };
    if args.follow {
        let mut stdout = std::io::stdout().lock();
        // A reader that went away (`| head`) ends the command.
        client
            .follow_events(&query, |event| {
                writeln!(stdout, "{event}")
                    .and_then(|()| stdout.flush())
                    .is_ok()
            })
            .await
            .map_err(explain)?;
        return Ok(());
    }
    let reply = client.events(&query).await.map_err(explain)?;
    for event in &reply.events {
        println!("{event}");
    }
    Ok(())
}
