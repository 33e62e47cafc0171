//! `overseer run MANIFEST… [--control PATH]`: host one application per
//! manifest until told to stop.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use anyhow::anyhow;
use clap::Args;
use overseer::application::config::ConfigLayers;
use overseer::application::{Applications, Node, load_manifest};
use overseer::control::{self, ControlSocket};
use overseer::deploy::Deployment;
use overseer::metrics::{Metrics, serve_metrics};
use overseer::reload::HotSwap;
use overseer::runtime::{HostConfig, Runtime};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::Notify;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use super::ControlArg;

/// Arguments of `overseer run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The application manifests (TOML), one per application. They start
    /// after those they depend on (`[app] depends_on`), otherwise in the
    /// order given, and share the first one's plugin folder, `[host]` and
    /// control socket folder.
    #[arg(value_name = "MANIFEST", required = true)]
    manifests: Vec<PathBuf>,
    #[command(flatten)]
    control: ControlArg,
    /// Refuse to start a process when the memory limits of the live ones
    /// would add up to more than this many MiB (default: no budget).
    #[arg(long, value_name = "MIB")]
    memory_budget_mb: Option<u64>,
    /// The most processes alive at once (default: `[host] max_processes`
    /// in the manifest, else 10,000). Each costs four memory mappings of
    /// the kernel's `vm.max_map_count`; past what it allows the cap is
    /// lowered, with a warning that says what to raise.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_processes: Option<u32>,
    /// Run processes on N threads (default: one per core). On a VM, one
    /// thread saves the cross-thread wake-ups that a chain of dependent
    /// work (a call and its reply, a crash and its restart) pays between
    /// two, at the cost of using one core.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: Option<u16>,
    /// Serve Prometheus metrics at http://ADDR/metrics (e.g.
    /// 127.0.0.1:9090; port 0 picks a free one, printed at start).
    #[arg(long, value_name = "ADDR")]
    metrics: Option<std::net::SocketAddr>,
    /// Serve the web dashboard at http://ADDR/ (e.g. 127.0.0.1:8080; port 0
    /// picks a free one). Its address, with the token its requests need,
    /// is printed at start.
    #[arg(long, value_name = "ADDR")]
    dashboard: Option<std::net::SocketAddr>,
    /// How events are logged on stderr: `text` for people, or `json`, one
    /// object per line for machines (a crash report is one object, with its
    /// backtrace, message and guest output as fields).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Put the manifest's `[env.NAME]` overlay over `[app.env]`. Then
    /// `OVERSEER_<APP>_<KEY>` variables apply, then `--set`.
    #[arg(long = "env", value_name = "NAME")]
    environment: Option<String>,
    /// Set a config key, over the manifest, the overlay and the variables
    /// (repeatable; KEY may be a dotted path: db.pool=10). With several
    /// applications it sets the key of each; APP:KEY=VALUE sets APP's
    /// alone.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// The log formats of `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One aligned line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// Why the host is stopping.
enum StopCause {
    Signal(&'static str),
    Requested,
}

/// Start the applications, serve the control socket, and wait. On SIGINT,
/// SIGTERM or `overseer stop`: stop the applications in reverse order,
/// each tree in order, remove the socket, succeed. If the root supervisor
/// of a permanent (or transient) application gives up, stop the others
/// and fail.
pub async fn execute(args: RunArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    let layers = ConfigLayers::of_this_process(args.environment.clone(), args.sets.clone());
    let mut manifests = Vec::with_capacity(args.manifests.len());
    for path in &args.manifests {
        let mut manifest = load_manifest(path)?;
        manifest.configure(&layers.for_app(&manifest.name))?;
        manifests.push(manifest);
    }
    // The host's own settings are the first manifest's.
    let manifest = manifests[0].clone();
    let socket_path = args.control.path().unwrap_or_else(|| {
        control::default_socket(manifest.path.parent().unwrap_or(Path::new("")))
    });
    // Absolute, so that the path printed below works from any folder.
    let socket_path = std::path::absolute(&socket_path).unwrap_or(socket_path);
    // Listen for signals before anything starts, so that one received
    // while the tree starts stops it cleanly instead of killing the host.
    let mut signals = Signals::new()?;
    let socket = ControlSocket::bind(&socket_path).await?;
    let cache_dir = manifest
        .path
        .parent()
        .unwrap_or(Path::new(""))
        .join(".overseer/cache");
    let memory_budget_bytes = match args.memory_budget_mb {
        Some(mb) => Some(
            mb.checked_mul(1 << 20)
                .context("--memory-budget-mb: too large to count in bytes")?,
        ),
        None => None,
    };
    let defaults = HostConfig::default();
    let runtime = Runtime::new(HostConfig {
        cache_dir: Some(cache_dir),
        memory_budget_bytes,
        max_processes: args
            .max_processes
            .or(manifest.host.max_processes)
            .unwrap_or(defaults.max_processes),
        resident_budget_bytes: manifest
            .host
            .resident_budget_mb
            .map(|mb| mb.saturating_mul(1 << 20)),
        ..defaults
    })?;
    if let Some(limit) = runtime.map_limit() {
        tracing::warn!("process cap lowered to {}: {limit}", limit.processes);
    }
    let node = Node::new(runtime);
    let events = control::EventLog::start(&node);
    // Before the application, so that its start is counted and a bad
    // address stops nothing.
    let metrics = match args.metrics {
        Some(address) => Some(
            serve_metrics(address, Metrics::start(&node))
                .await
                .with_context(|| format!("cannot serve metrics on {address}"))?,
        ),
        None => None,
    };
    let apps = Applications::start(&node, manifests).await?;
    let hot_swap = match HotSwap::start(&node, &manifest) {
        Ok(hot_swap) => hot_swap,
        Err(err) => {
            apps.stop_all().await;
            return Err(err.into());
        }
    };
    let Some(first_root) = apps.root_of(&manifest.name).await else {
        return Err(anyhow!("application '{}' is not running", manifest.name));
    };
    let stop_requested = Arc::new(Notify::new());
    let deployment = Deployment::new(hot_swap.reloader().clone(), apps.clone(), layers);
    let server = control::serve(
        socket,
        first_root,
        hot_swap.reloader().clone(),
        Some(deployment),
        stop_requested.clone(),
        events,
    );
    let shown = socket_path.display();
    let processes = match node.live_processes() {
        1 => "1 process".to_string(),
        n => format!("{n} processes"),
    };
    let names = apps
        .names()
        .iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ");
    announce(
        args.log_format,
        &format!(
            "overseer: running {names} ({processes}); control socket {shown} — try: OVERSEER_CONTROL={shown} overseer tree",
        ),
    );
    let dashboard = match args.dashboard {
        Some(address) => match server.dashboard(address).await {
            Ok(dashboard) => Some(dashboard),
            Err(err) => {
                apps.stop_all().await;
                server.shutdown().await;
                return Err(anyhow!("cannot serve the dashboard on {address}: {err}"));
            }
        },
        None => None,
    };
    if let Some(dashboard) = &dashboard {
        announce(
            args.log_format,
            &format!("overseer: dashboard on {}", dashboard.url()),
        );
    }
    if let Some(metrics) = &metrics {
        announce(
            args.log_format,
            &format!("overseer: metrics on http://{}/metrics", metrics.address()),
        );
    }

    let cause = tokio::select! {
        name = signals.next() => StopCause::Signal(name),
        () = stop_requested.notified() => StopCause::Requested,
        why = apps.host_must_stop() => {
            // The others stop in order; the one that gave up is gone.
            apps.stop_all().await;
            server.shutdown().await;
            return Err(anyhow!(why));
        }
    };
    match cause {
        StopCause::Signal(name) => tracing::info!(apps = %names, "{name}: stopping"),
        StopCause::Requested => tracing::info!(apps = %names, "stop requested: stopping"),
    }
    tokio::select! {
        () = apps.stop_all() => {}
        name = signals.next() => {
            // The socket file is removed when `server` is dropped.
            return Err(anyhow!(
                "{name} while stopping {names}: exited without waiting for the trees",
            ));
        }
    }
    server.shutdown().await;
    tracing::info!(apps = %names, "stopped");
    Ok(())
}

/// Events to stderr; `RUST_LOG` filters, `info` by default. `RUST_LOG`
/// takes levels and per-target levels (`warn,overseer=debug`), without
/// the span and field filters of an `EnvFilter` (they would cost a regex
/// engine in every build).
fn init_logging(format: LogFormat) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let output = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    // Fails only if a subscriber is already set, which then logs for us.
    let _ = match format {
        LogFormat::Text => tracing_subscriber::registry()
            .with(output.with_ansi(std::io::stderr().is_terminal()))
            .with(filter)
            .try_init(),
        LogFormat::Json => tracing_subscriber::registry()
            .with(output.json().flatten_event(true).with_ansi(false))
            .with(filter)
            .try_init(),
    };
}

/// A line for the person who started the host: as is on stderr, or as a
/// log event when the log is JSON (every line of it an object).
fn announce(format: LogFormat, line: &str) {
    match format {
        LogFormat::Text => eprintln!("{line}"),
        LogFormat::Json => tracing::info!("{line}"),
    }
}

/// SIGINT and SIGTERM, as one stream.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Self> {
        let listen =
            |kind, name| signal(kind).map_err(|e| anyhow!("cannot listen for {name}: {e}"));
        Ok(Signals {
            interrupt: listen(SignalKind::interrupt(), "SIGINT")?,
            terminate: listen(SignalKind::terminate(), "SIGTERM")?,
        })
    }

    /// The name of the next signal received.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}
