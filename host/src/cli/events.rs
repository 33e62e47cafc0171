//! `overseer events [--after N]`: the recent upgrade events of the running
//! host (upgrades, rejected builds, failed upgrades, rollbacks), one JSON
//! object per line.

use clap::Args;

use super::{ControlArg, explain};

/// Arguments of `overseer events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events numbered after N (each event carries its `seq`).
    #[arg(long, default_value_t = 0)]
    after: u64,
    #[command(flatten)]
    control: ControlArg,
}

/// Print the events, oldest first.
pub async fn execute(args: EventsArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let reply = client.events(args.after).await.map_err(explain)?;
    for event in &reply.events {
        println!("{event}");
    }
    Ok(())
}
