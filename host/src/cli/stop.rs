//! `overseer stop`: a graceful shutdown of the running host.

use std::time::Duration;

use clap::Args;

use super::{ControlArg, explain};

/// How often `stop` checks whether the host is gone.
const POLL: Duration = Duration::from_millis(20);

/// Arguments of `overseer stop`.
#[derive(Debug, Args)]
pub struct StopArgs {
    #[command(flatten)]
    control: ControlArg,
}

/// Ask the host to stop, then wait until it no longer answers: the tree
/// has stopped and the socket is closed. Waiting makes `overseer stop &&
/// overseer run …` safe in scripts; it is as long as the tree's shutdown
/// (each child's `shutdown` timeout at most).
pub async fn execute(args: StopArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    client.stop().await.map_err(explain)?;
    while client.answers().await {
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}
