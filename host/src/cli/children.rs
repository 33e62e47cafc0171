//! `overseer start-child SUP JSON`, `terminate-child SUP PID|ID`,
//! `restart-child SUP ID`, `delete-child SUP ID`, `which-children SUP`,
//! `count-children SUP`: a supervisor's children, from the terminal (OTP's
//! supervisor API: a DynamicSupervisor's children by pid, a static
//! supervisor's by id).

use clap::Args;

use overseer::control::api::DEFAULT_CHILDREN_LIMIT;

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
    /// The child: its pid (all digits), or its id (a static supervisor's
    /// child, whose spec is kept for restart-child).
    child: String,
    #[command(flatten)]
    control: ControlArg,
}

/// Stop the child; prints nothing.
pub async fn terminate_child(args: TerminateChildArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    match args.child.parse::<u64>() {
        Ok(pid) => client.terminate_child(&args.supervisor, pid).await,
        Err(_) => {
            client
                .terminate_child_by_id(&args.supervisor, &args.child)
                .await
        }
    }
    .map_err(explain)
}

/// Arguments of `overseer restart-child` and `delete-child`.
#[derive(Debug, Args)]
pub struct ChildIdArgs {
    /// The supervisor: a registered name, or a pid (all digits).
    supervisor: String,
    /// The child's id.
    id: String,
    #[command(flatten)]
    control: ControlArg,
}

/// Start a stopped child again; print its pid (`ignored` if its start
/// returned ignore).
pub async fn restart_child(args: ChildIdArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    match client
        .restart_child(&args.supervisor, &args.id)
        .await
        .map_err(explain)?
    {
        Some(pid) => println!("{pid}"),
        None => println!("ignored"),
    }
    Ok(())
}

/// Forget a stopped child; prints nothing.
pub async fn delete_child(args: ChildIdArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    client
        .delete_child(&args.supervisor, &args.id)
        .await
        .map_err(explain)
}

/// Arguments of `overseer count-children`.
#[derive(Debug, Args)]
pub struct SupervisorArgs {
    /// The supervisor: a registered name, or a pid (all digits).
    supervisor: String,
    #[command(flatten)]
    control: ControlArg,
}

/// Arguments of `overseer which-children`.
#[derive(Debug, Args)]
pub struct WhichChildrenArgs {
    /// The supervisor: a registered name, or a pid (all digits).
    supervisor: String,
    /// Skip the first N children.
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: usize,
    /// List at most N children.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CHILDREN_LIMIT)]
    limit: usize,
    #[command(flatten)]
    control: ControlArg,
}

/// Print the children's counts as one line of JSON.
pub async fn count_children(args: SupervisorArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let answer = client
        .children(&args.supervisor, true)
        .await
        .map_err(explain)?;
    println!("{answer}");
    Ok(())
}

/// Print a page of the children as one line of JSON; when there are more,
/// say on stderr how to see them.
pub async fn which_children(args: WhichChildrenArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let answer = client
        .children_page(&args.supervisor, false, Some((args.offset, args.limit)))
        .await
        .map_err(explain)?;
    println!("{answer}");
    let shown = answer.as_array().map_or(0, Vec::len);
    if shown == args.limit && shown > 0 {
        let total = client
            .children(&args.supervisor, true)
            .await
            .map_err(explain)?
            .get("specs")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        let next = args.offset + shown;
        if total > next as u64 {
            eprintln!(
                "overseer: children {}–{next} of {total} shown; the next ones with --offset {next}",
                args.offset + 1
            );
        }
    }
    Ok(())
}
