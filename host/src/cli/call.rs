//! `overseer call TARGET JSON [--timeout MS]`: a GenServer call from the
//! terminal.

use std::time::Duration;

use clap::Args;
use overseer::control::api::DEFAULT_TIMEOUT_MS;

use super::{ControlArg, explain, parse_json};

/// Arguments of `overseer call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// A registered name, or a pid (all digits).
    target: String,
    /// The request, as JSON: e.g. '"increment"' or '{"add": 2}'.
    #[arg(value_name = "JSON", allow_negative_numbers = true)]
    request: String,
    /// How long to wait for the reply, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_TIMEOUT_MS)]
    timeout: u64,
    #[command(flatten)]
    control: ControlArg,
}

/// Call the process and print its reply, as one line of JSON.
pub async fn execute(args: CallArgs) -> anyhow::Result<()> {
    let request = parse_json("the request", &args.request)?;
    let client = args.control.client()?;
    let reply = client
        .call(&args.target, request, Duration::from_millis(args.timeout))
        .await
        .map_err(explain)?;
    println!("{reply}");
    Ok(())
}
