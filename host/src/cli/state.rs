//! `overseer state TARGET`: a process's state, through its get-state.

use std::time::Duration;

use clap::Args;
use overseer::control::api::DEFAULT_TIMEOUT_MS;

use super::{ControlArg, explain};

/// Arguments of `overseer state`.
#[derive(Debug, Args)]
pub struct StateArgs {
    /// A registered name, or a pid (all digits).
    target: String,
    #[command(flatten)]
    control: ControlArg,
}

/// Print the state, as one line of JSON.
pub async fn execute(args: StateArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let state = client
        .state(&args.target, Duration::from_millis(DEFAULT_TIMEOUT_MS))
        .await
        .map_err(explain)?;
    println!("{state}");
    Ok(())
}
