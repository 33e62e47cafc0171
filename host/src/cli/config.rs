//! `overseer config [APP]`: an application's effective configuration and
//! where each value came from; `overseer config set|unset APP KEY …`: a
//! change while it runs, which its processes hear through `config-change`.

use clap::{Args, Subcommand};
use overseer::control::api::ConfigReply;

use super::{ControlArg, explain};

/// Arguments of `overseer config`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ConfigArgs {
    #[command(subcommand)]
    action: Option<ConfigAction>,
    /// The application (default: the one running).
    app: Option<String>,
    /// Print the host's JSON, as one line.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// A change to the configuration of a running application.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Set KEY (a dotted path: db.pool) to VALUE: text over a string stays
    /// a string, other text that is JSON is read as JSON (5, true, [1,2]),
    /// anything else is a string. Every process of the application that
    /// may read the key gets config-change.
    Set {
        /// The application.
        app: String,
        /// The key.
        key: String,
        /// The value.
        value: String,
        #[command(flatten)]
        control: ControlArg,
    },
    /// Remove KEY; the processes that may read it get config-change with
    /// it among the removed keys (or changed, for a key inside a table).
    Unset {
        /// The application.
        app: String,
        /// The key.
        key: String,
        #[command(flatten)]
        control: ControlArg,
    },
}

/// Print the configuration, or change it.
pub async fn execute(args: ConfigArgs) -> anyhow::Result<()> {
    match args.action {
        Some(ConfigAction::Set {
            app,
            key,
            value,
            control,
        }) => {
            let changed = control
                .client()?
                .config_set(Some(&app), &key, &value)
                .await
                .map_err(explain)?;
            println!(
                "{}: set {key}; {} told of '{}'",
                changed.app,
                processes(changed.told),
                changed.key
            );
        }
        Some(ConfigAction::Unset { app, key, control }) => {
            let changed = control
                .client()?
                .config_unset(Some(&app), &key)
                .await
                .map_err(explain)?;
            println!(
                "{}: unset {key}; {} told of '{}'",
                changed.app,
                processes(changed.told),
                changed.key
            );
        }
        None => {
            let config = args
                .control
                .client()?
                .config(args.app.as_deref())
                .await
                .map_err(explain)?;
            if args.json {
                println!("{}", serde_json::to_string(&config)?);
            } else {
                print!("{}", render(&config));
            }
        }
    }
    Ok(())
}

fn processes(n: usize) -> String {
    match n {
        1 => "1 process".into(),
        n => format!("{n} processes"),
    }
}

/// `key = value   # source`, one line per value, the sources aligned.
fn render(config: &ConfigReply) -> String {
    let mut out = match &config.environment {
        Some(environment) => format!("# {} (environment {environment})\n", config.app),
        None => format!("# {}\n", config.app),
    };
    let lines: Vec<(String, String)> = config
        .entries
        .iter()
        .map(|entry| {
            let source = match &entry.secret_file {
                Some(file) => format!("secret file {file}, named at {}", entry.source),
                None => entry.source.clone(),
            };
            (format!("{} = {}", entry.key, entry.value), source)
        })
        .collect();
    let width = lines
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (line, source) in lines {
        out.push_str(&format!("{line:width$}  # {source}\n"));
    }
    out
}
