//! `overseer apply MANIFEST [--dry-run]`: bring the running host to an
//! edited manifest without restarting it, printing the plan first.

use std::path::PathBuf;

use clap::Args;
use overseer::control;

use super::{ControlArg, explain};

/// Arguments of `overseer apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The edited manifest (TOML). The host reads it, with the `--env`,
    /// `--set` and variables it was run with.
    #[arg(value_name = "MANIFEST")]
    manifest: PathBuf,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// Plan, apply unless `--dry-run`, and print each step:
/// `plan for 'shop': 3 steps`, one line each, then `applied`.
pub async fn execute(args: ApplyArgs) -> anyhow::Result<()> {
    let manifest = std::path::absolute(&args.manifest).unwrap_or(args.manifest);
    // By default the host run from this manifest's folder, as `run` puts
    // its socket there.
    let socket = args.control.path().unwrap_or_else(|| {
        control::default_socket(manifest.parent().unwrap_or(std::path::Path::new("")))
    });
    let client = control::Client::new(&socket).map_err(explain)?;
    let mut printed = None;
    if !args.dry_run && !args.json {
        // The plan first, then the change.
        let plan = client
            .apply(&manifest.display().to_string(), true)
            .await
            .map_err(explain)?;
        print_plan(&plan.app, &plan.plan);
        if plan.plan.is_empty() {
            return Ok(());
        }
        printed = Some(plan.plan);
    }
    let applied = client
        .apply(&manifest.display().to_string(), args.dry_run)
        .await
        .map_err(explain)?;
    if args.json {
        println!("{}", serde_json::to_string(&applied)?);
        return Ok(());
    }
    if args.dry_run {
        print_plan(&applied.app, &applied.plan);
        if !applied.plan.is_empty() {
            println!("dry run: nothing changed");
        }
        return Ok(());
    }
    if printed.as_ref().is_some_and(|plan| *plan != applied.plan) {
        println!("the host changed meanwhile; the plan applied:");
        print_plan(&applied.app, &applied.plan);
    }
    let mut done = format!("applied: {} step(s)", applied.plan.len());
    if applied.told > 0 {
        done.push_str(&format!(
            ", {} process(es) told of the config change",
            applied.told
        ));
    }
    if let Some(release) = &applied.release {
        done.push_str(&format!(", plugins upgraded as {release}"));
    }
    println!("{done}");
    Ok(())
}

fn print_plan(app: &str, plan: &[String]) {
    if plan.is_empty() {
        println!("'{app}' already runs this manifest: nothing to do");
        return;
    }
    println!("plan for '{app}': {} step(s)", plan.len());
    for (i, step) in plan.iter().enumerate() {
        println!("  {}. {step}", i + 1);
    }
}
