//! `overseer task PLUGIN JSON [--supervisor SUP] [--timeout MS]`: run a task
//! (a component of the `task` world) and print its result.

use std::time::Duration;

use clap::Args;
use overseer::control::api::DEFAULT_TIMEOUT_MS;

use super::{ControlArg, explain, parse_json};

/// Arguments of `overseer task`.
#[derive(Debug, Args)]
pub struct TaskArgs {
    /// The task's plugin: its file name in the plugin folder, without
    /// `.wasm`.
    plugin: String,
    /// The input, as JSON.
    #[arg(value_name = "JSON", allow_negative_numbers = true)]
    input: String,
    /// A task supervisor (name or pid) to run it under; without one it runs
    /// unsupervised.
    #[arg(long, value_name = "SUP")]
    supervisor: Option<String>,
    /// How long to wait for the result, in milliseconds (the task is not
    /// stopped when this runs out).
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_TIMEOUT_MS)]
    timeout: u64,
    #[command(flatten)]
    control: ControlArg,
}

/// Run the task and print its result as one line of JSON.
pub async fn execute(args: TaskArgs) -> anyhow::Result<()> {
    let input = parse_json("the input", &args.input)?;
    let client = args.control.client()?;
    let reply = client
        .task(
            &args.plugin,
            input,
            args.supervisor.as_deref(),
            Duration::from_millis(args.timeout),
        )
        .await
        .map_err(explain)?;
    println!("{}", reply.result);
    Ok(())
}
