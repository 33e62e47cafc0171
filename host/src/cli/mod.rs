//! The `overseer` command line: what the user typed, and what they see
//! when it fails.
//!
//! One file per subcommand, each with its arguments and an `execute`.
//! `run` hosts an application (and watches its plugin folder for new
//! builds); every other subcommand is a client of a
//! running host's control socket ([`overseer::control`]).
//!
//! # Errors and exit status
//!
//! A subcommand returns its failure; `main` prints it, as one line on
//! stderr prefixed `overseer: `, and nothing else prints errors.
//!
//! | status | meaning |
//! | --- | --- |
//! | 0 | success |
//! | 1 | a runtime failure: no such process, a timeout, a crash, no host on the socket, a manifest or plugin that does not load, a root supervisor that gave up |
//! | 2 | a usage error: unknown flag, missing argument, JSON that does not parse (nothing was sent) |

mod apply;
mod apps;
mod call;
mod cast;
mod children;
mod config;
mod crashes;
mod events;
mod info;
mod new;
mod reload;
mod run;
mod send;
mod state;
mod stop;
mod task;
mod top;
mod tree;
mod versions;

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use overseer::control::{self, ClientError};
use serde_json::Value;

/// Exit status of a runtime failure.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status of a usage error.
pub const EXIT_USAGE: u8 = 2;

/// OTP for WebAssembly: supervised GenServer components with restart
/// semantics.
#[derive(Debug, Parser)]
#[command(name = "overseer", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start an application, log its events and serve its control socket
    /// until SIGINT, SIGTERM or `overseer stop`.
    Run(run::RunArgs),
    /// Call a process and print its reply (JSON) on stdout.
    Call(call::CallArgs),
    /// Cast a message to a process (no reply).
    Cast(cast::CastArgs),
    /// Send a plain message to a process, for its handle-info.
    Send(send::SendArgs),
    /// Print a process's state (its get-state), as JSON.
    State(state::StateArgs),
    /// Print the supervision tree.
    Tree(tree::TreeArgs),
    /// Shut the running host down gracefully, and wait until it is gone.
    Stop(stop::StopArgs),
    /// Upgrade a plugin's processes to the build in its file (or --file),
    /// through code-change, as the watcher does when a build is dropped in.
    Reload(reload::ReloadArgs),
    /// List each plugin's loaded builds and which processes run which.
    Versions(versions::VersionsArgs),
    /// Print recent upgrade events (upgrades, rejected builds, failures,
    /// rollbacks), one JSON object per line.
    Events(events::EventsArgs),
    /// Print what a process is doing and what it has cost: status, the
    /// message being handled, mailbox, memory, counters, links, names,
    /// restarts, last crash.
    Info(info::InfoArgs),
    /// Show the busiest processes by CPU, memory, mailbox or message rate,
    /// refreshed every second (--once: print one table).
    Top(top::TopArgs),
    /// Print recent crash reports whole (reason, guest backtrace, the
    /// message, the guest's last output).
    Crashes(crashes::CrashesArgs),
    /// Print an application's effective configuration and where each
    /// value came from; `config set|unset APP KEY …` changes it while the
    /// host runs, and tells its processes (config-change).
    Config(config::ConfigArgs),
    /// Bring the running host to an edited manifest without restarting it:
    /// children added, removed or changed, supervisor flags, env, new
    /// plugin builds. Prints the plan first; --dry-run prints only the
    /// plan. A failed step undoes the steps before it.
    Apply(apply::ApplyArgs),
    /// List the host's applications: status, type, dependencies,
    /// processes.
    Apps(apps::AppsArgs),
    /// Start, stop or restart one application: those it depends on start
    /// first, those depending on it stop first (and the command says so).
    App(apps::AppArgs),
    /// Run a task (a component of the task world) and print its result.
    Task(task::TaskArgs),
    /// Start a child under a supervisor from a JSON child spec; print its
    /// pid.
    StartChild(children::StartChildArgs),
    /// Stop a supervisor's child: by pid, or by id (a static supervisor
    /// keeps the spec, for restart-child).
    TerminateChild(children::TerminateChildArgs),
    /// Start a static supervisor's stopped child again; print its pid.
    RestartChild(children::ChildIdArgs),
    /// Forget a static supervisor's stopped child.
    DeleteChild(children::ChildIdArgs),
    /// Print a supervisor's children as JSON (the first 1000 unless
    /// --offset/--limit say otherwise).
    WhichChildren(children::WhichChildrenArgs),
    /// Print a supervisor's child counts as JSON.
    CountChildren(children::SupervisorArgs),
    /// Create a plugin folder to start from (a counter), in Rust, Python
    /// or JavaScript, with its build script.
    New(new::NewArgs),
}

impl Command {
    /// Run the subcommand.
    pub async fn execute(self) -> anyhow::Result<()> {
        match self {
            Command::Run(args) => run::execute(args).await,
            Command::Call(args) => call::execute(args).await,
            Command::Cast(args) => cast::execute(args).await,
            Command::Send(args) => send::execute(args).await,
            Command::State(args) => state::execute(args).await,
            Command::Tree(args) => tree::execute(args).await,
            Command::Stop(args) => stop::execute(args).await,
            Command::Reload(args) => reload::execute(args).await,
            Command::Versions(args) => versions::execute(args).await,
            Command::Events(args) => events::execute(args).await,
            Command::Info(args) => info::execute(args).await,
            Command::Crashes(args) => crashes::execute(args).await,
            Command::Top(args) => top::execute(args).await,
            Command::Config(args) => config::execute(args).await,
            Command::Apply(args) => apply::execute(args).await,
            Command::Apps(args) => apps::list(args).await,
            Command::App(args) => apps::change(args).await,
            Command::Task(args) => task::execute(args).await,
            Command::StartChild(args) => children::start_child(args).await,
            Command::TerminateChild(args) => children::terminate_child(args).await,
            Command::RestartChild(args) => children::restart_child(args).await,
            Command::DeleteChild(args) => children::delete_child(args).await,
            Command::WhichChildren(args) => children::which_children(args).await,
            Command::CountChildren(args) => children::count_children(args).await,
            Command::New(args) => new::execute(args).await,
        }
    }
}

/// `--control PATH`: which host to talk to (or, for `run`, where to
/// listen).
#[derive(Debug, Args)]
pub struct ControlArg {
    /// The control socket [default: .overseer/control.sock, beside the
    /// manifest for `run`, in the current folder otherwise]
    // OsString, not PathBuf: clap's PathBuf parser rejects an empty value,
    // and an empty OVERSEER_CONTROL should mean "not set".
    #[arg(long, value_name = "PATH", env = "OVERSEER_CONTROL", value_parser = clap::value_parser!(OsString))]
    control: Option<OsString>,
}

impl ControlArg {
    /// The path given, if any (an empty `OVERSEER_CONTROL` counts as none).
    pub fn path(&self) -> Option<PathBuf> {
        self.control
            .clone()
            .filter(|path| !path.is_empty())
            .map(PathBuf::from)
    }

    /// A client of the socket given, or of the default one in the current
    /// folder.
    pub fn client(&self) -> anyhow::Result<control::Client> {
        let path = self
            .path()
            .unwrap_or_else(|| PathBuf::from(control::SOCKET_RELATIVE_PATH));
        control::Client::new(&path).map_err(explain)
    }
}

/// A client failure, with a hint where the user can act on one.
pub fn explain(err: ClientError) -> anyhow::Error {
    match err {
        ClientError::NoSocket { .. } => anyhow::anyhow!(
            "{err}: is `overseer run` running here? Name its socket with --control PATH or OVERSEER_CONTROL"
        ),
        other => other.into(),
    }
}

/// Bad input from the user, found before anything was sent: exit status 2.
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Parse a JSON argument; `what` names it in the error ("the request").
pub fn parse_json(what: &str, text: &str) -> anyhow::Result<Value> {
    serde_json::from_str(text)
        .map_err(|err| Usage(format!("invalid JSON for {what}: {err}")).into())
}

/// The exit status for a failure.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.is::<Usage>() {
        EXIT_USAGE
    } else {
        EXIT_FAILURE
    }
}

/// A clap error as one line: its message and context, without the usage
/// block (`--help` shows that), e.g. `the following required arguments
/// were not provided: <JSON>; try '--help'`.
pub fn clap_error_line(err: &clap::Error) -> String {
    if err.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let names: Vec<String> = <Cli as clap::CommandFactory>::command()
            .get_subcommands()
            .map(|sub| sub.get_name().to_string())
            .filter(|name| name != "help")
            .collect();
        return format!(
            "a subcommand is required: {}; try '--help'",
            names.join(", ")
        );
    }
    let text = err.to_string();
    let mut line = String::new();
    let lines = text
        .split("\n\n")
        .filter(|block| !block.trim_start().starts_with("Usage:"))
        .flat_map(str::lines)
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"));
    for part in lines {
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part.strip_prefix("error: ").unwrap_or(part));
    }
    line.push_str("; try '--help'");
    line
}
