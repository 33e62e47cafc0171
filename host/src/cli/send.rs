//! `overseer send TARGET JSON`: a plain message, delivered to the
//! process's handle-info.

use clap::Args;

use super::{ControlArg, explain, parse_json};

/// Arguments of `overseer send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// A registered name, or a pid (all digits).
    target: String,
    /// The message, as JSON.
    #[arg(value_name = "JSON", allow_negative_numbers = true)]
    msg: String,
    #[command(flatten)]
    control: ControlArg,
}

/// Send the message; prints nothing on success.
pub async fn execute(args: SendArgs) -> anyhow::Result<()> {
    let msg = parse_json("the message", &args.msg)?;
    let client = args.control.client()?;
    client.send(&args.target, msg).await.map_err(explain)
}
