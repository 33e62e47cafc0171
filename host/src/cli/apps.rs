//! `overseer apps`: the host's applications; `overseer app start|stop|
//! restart NAME`: one of them, with those it depends on (started first)
//! or those depending on it (stopped first), saying so.

use clap::{Args, Subcommand};
use overseer::control::api::{AppChangeReply, route};

use super::{ControlArg, explain};

/// Arguments of `overseer apps`.
#[derive(Debug, Args)]
pub struct AppsArgs {
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// Arguments of `overseer app`.
#[derive(Debug, Args)]
pub struct AppArgs {
    #[command(subcommand)]
    action: AppAction,
    /// Print what was done as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// What `overseer app` does.
#[derive(Debug, Subcommand)]
enum AppAction {
    /// Start a stopped application, after those it depends on.
    Start {
        /// The application.
        name: String,
    },
    /// Stop an application, after those that depend on it.
    Stop {
        /// The application.
        name: String,
    },
    /// Stop an application (and those depending on it), then start them
    /// again.
    Restart {
        /// The application.
        name: String,
    },
}

/// One line per application: name, status, type, dependencies,
/// processes.
pub async fn list(args: AppsArgs) -> anyhow::Result<()> {
    let apps = args.control.client()?.apps().await.map_err(explain)?;
    if args.json {
        println!("{}", serde_json::to_string(&apps)?);
        return Ok(());
    }
    let width = apps.iter().map(|a| a.name.len()).max().unwrap_or(0);
    for app in apps {
        let depends = if app.depends_on.is_empty() {
            String::new()
        } else {
            format!("  depends on {}", app.depends_on.join(", "))
        };
        println!(
            "{:width$}  {:8}  {:9}  {:>6} processes{depends}",
            app.name,
            app.status,
            app.app_type.as_str(),
            app.processes,
        );
    }
    Ok(())
}

/// Start, stop or restart; say what was stopped and started, in order.
pub async fn change(args: AppArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let (route, name) = match &args.action {
        AppAction::Start { name } => (route::APP_START, name),
        AppAction::Stop { name } => (route::APP_STOP, name),
        AppAction::Restart { name } => (route::APP_RESTART, name),
    };
    let reply = client.app(route, name).await.map_err(explain)?;
    if args.json {
        println!("{}", serde_json::to_string(&reply)?);
        return Ok(());
    }
    print_change(name, &reply);
    Ok(())
}

/// What was done, in order: `stopped web first (it depends on shop), then
/// shop`.
fn print_change(name: &str, reply: &AppChangeReply) {
    let others = |apps: &[String]| {
        apps.iter()
            .filter(|app| *app != name)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !reply.stopped.is_empty() {
        match others(&reply.stopped) {
            first if first.is_empty() => println!("stopped {name}"),
            first => println!("stopped {first} first (depending on {name}), then {name}"),
        }
    }
    if !reply.started.is_empty() {
        match others(&reply.started) {
            more if more.is_empty() => println!("started {name}"),
            first if reply.stopped.is_empty() => {
                println!("started {first} first ({name} depends on it), then {name}")
            }
            then => println!("started {name}, then {then} (depending on {name})"),
        }
    }
}
