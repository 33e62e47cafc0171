//! `overseer cast TARGET JSON`: a GenServer cast from the terminal.

use clap::Args;

use super::{ControlArg, explain, parse_json};

/// Arguments of `overseer cast`.
#[derive(Debug, Args)]
pub struct CastArgs {
    /// A registered name, or a pid (all digits).
    target: String,
    /// The message, as JSON: e.g. '"increment"'.
    #[arg(value_name = "JSON", allow_negative_numbers = true)]
    msg: String,
    #[command(flatten)]
    control: ControlArg,
}

/// Cast the message; prints nothing on success.
pub async fn execute(args: CastArgs) -> anyhow::Result<()> {
    let msg = parse_json("the message", &args.msg)?;
    let client = args.control.client()?;
    client.cast(&args.target, msg).await.map_err(explain)
}
