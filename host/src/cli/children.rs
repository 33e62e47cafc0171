//! `overseer start-child SUP JSON`, `terminate-child SUP PID`,
//! `which-children SUP`, `count-children SUP`: a supervisor's children, from
//! the terminal (DynamicSupervisor's API).

use clap::Args;

use super::{ControlArg, explain, parse_json};

/// Arguments of `overseer start-child`.
#[derive(Debug, Args)]
pub struct StartChildArgs {
    /// The supervisor: a registered name, or a pid (all digits).
    supervisor: String,
    /// The child spec, as JSON: e.g. '{"plugin": "counter", "args":
    /// {"initial_value": 5}, "name": "c5"}'.
    #[arg(value_name = "JSON")]
    spec: String,
    #[command(flatten)]
    control: ControlArg,
}

/// Start the child and print its pid (`ignored` if its init returned
/// ignore).
pub async fn start_child(args: StartChildArgs) -> anyhow::Result<()> {
    let spec = parse_json("the child spec", &args.spec)?;
    let client = args.control.client()?;
    match client
        .start_child(&args.supervisor, spec)
        .await
        .map_err(explain)?
    {
        Some(pid) => println!("{pid}"),
        None => println!("ignored"),
    }
    Ok(())
}

/// Arguments of `overseer terminate-child`.
#[derive(Debug, Args)]
pub struct TerminateChildArgs {
    /// The supervisor: a registered name, or a pid (all digits).
    supervisor: String,
    /// The child's pid.
    pid: u64,
    #[command(flatten)]
    control: ControlArg,
}

/// Stop the child; prints nothing.
pub async fn terminate_child(args: TerminateChildArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    client
        .terminate_child(&args.supervisor, args.pid)
        .await
        .map_err(explain)
}

/// Arguments of `overseer which-children` and `count-children`.
#[derive(Debug, Args)]
pub struct SupervisorArgs {
    /// The supervisor: a registered name, or a pid (all digits).
    supervisor: String,
    #[command(flatten)]
    control: ControlArg,
}

/// Print the children (or their counts) as one line of JSON.
pub async fn children(args: SupervisorArgs, counts: bool) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let answer = client
        .children(&args.supervisor, counts)
        .await
        .map_err(explain)?;
    println!("{answer}");
    Ok(())
}
