//! Shared helpers for Overseer's end-to-end tests: a real host on real
//! compiled plugins, and ways to wait for what happens in it.
//!
//! The plugins must be built first (`cargo xtask test` does it): they are
//! read from `target/wasm32-wasip2/release/`.

pub mod cli_host;
pub mod hostile;
pub mod languages;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use overseer::application::{Application, Node, parse_manifest};
use overseer::process::{CallError, Event, Pid, Target};
use overseer::reload::{HotSwap, Reloader};
use overseer::runtime::{HostConfig, Runtime};
use overseer::supervisor::ChildInfo;
use tokio::sync::broadcast;

/// How long any test waits for an event before it fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Where the compiled plugins are.
pub fn plugins_dir() -> PathBuf {
    let dir = workspace_root().join("target/wasm32-wasip2/release");
    for plugin in ["counter", "faulty", "rate_limiter", "session"] {
        let path = dir.join(format!("{plugin}.wasm"));
        assert!(
            path.exists(),
            "{} is missing: build the plugins first with `cargo xtask test` (or `cargo xtask build-plugins`)",
            path.display()
        );
    }
    dir
}

/// A host with a small process pool, as tests run several hosts at once.
pub fn node() -> Node {
    node_for(64)
}

/// A host for up to `max_processes` processes.
pub fn node_for(max_processes: u32) -> Node {
    let config = HostConfig {
        max_processes,
        spare_slots: 64,
        ..HostConfig::default()
    };
    Node::new(Runtime::new(config).expect("the engine starts"))
}

/// A compiled plugin build in the shared build folder, e.g. `counter_v2`.
pub fn build(name: &str) -> PathBuf {
    let path = workspace_root()
        .join("target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: build the plugins first with `cargo xtask build-plugins`",
        path.display()
    );
    path
}

/// A plugin folder of a test's own, for tests that drop new builds in
/// place: starts with copies of the named builds.
pub struct PluginDir {
    dir: tempfile::TempDir,
}

impl PluginDir {
    /// A folder holding `NAME.wasm` for each name, copied from the build
    /// folder.
    pub fn with(plugins: &[&str]) -> PluginDir {
        let dir = tempfile::tempdir().expect("a temporary folder");
        for plugin in plugins {
            std::fs::copy(build(plugin), dir.path().join(format!("{plugin}.wasm")))
                .expect("copy a plugin");
        }
        PluginDir { dir }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The file of plugin `plugin` in it.
    pub fn file(&self, plugin: &str) -> PathBuf {
        self.dir.path().join(format!("{plugin}.wasm"))
    }

    /// Put `bytes` in place of `plugin`'s file as a deployment tool does:
    /// written aside, then renamed over it.
    pub fn rename_over(&self, plugin: &str, bytes: &[u8]) {
        let aside = self.dir.path().join(format!(".{plugin}.wasm.partial"));
        std::fs::write(&aside, bytes).expect("write the new build aside");
        std::fs::rename(&aside, self.file(plugin)).expect("rename it over the old one");
    }

    /// Start an application on this folder: `upgrade` is the body of
    /// `[app.upgrade]`, `supervisor` that of `[supervisor]`.
    pub async fn start(&self, upgrade: &str, supervisor: &str, max_processes: u32) -> TestApp {
        let node = node_for(max_processes);
        let events = node.events().subscribe();
        let text = format!(
            "[app]\nname = \"hot\"\nplugins = {:?}\n[app.upgrade]\n{upgrade}\n\n[supervisor]\n{supervisor}",
            self.path().display().to_string()
        );
        let manifest = parse_manifest(Path::new("hot.toml"), &text)
            .unwrap_or_else(|e| panic!("the manifest parses: {e}"));
        let app = Application::start(&node, &manifest)
            .await
            .unwrap_or_else(|e| panic!("the application should start: {e}"));
        TestApp::new(node, app, &manifest, events)
    }
}

/// A running test application and a subscription to its events, taken
/// before it started, so that no event is missed.
pub struct TestApp {
    /// The host.
    pub node: Node,
    /// The application.
    pub app: Application,
    /// Its hot code swap, as its `[app.upgrade]` asks.
    pub hot: HotSwap,
    /// Every event since before the start.
    pub events: broadcast::Receiver<Arc<Event>>,
}

/// The grants the test plugins need: `messenger`, the suite's driver,
/// reaches everything; the circuit breaker calls the service it guards;
/// `faulty` reads two env keys (and not `secret`).
/// Their ports to other languages have the same grants.
pub const GRANTS: &str = "[plugin.messenger]\ntrusted = true\n[plugin.messenger_py]\ntrusted = true\n[plugin.messenger_js]\ntrusted = true\n[plugin.circuit_breaker]\nmessage = \"*\"\n[plugin.faulty]\nenv = [\"greeting\", \"limits\"]\n[plugin.faulty_py]\nenv = [\"greeting\", \"limits\"]\n[plugin.faulty_js]\nenv = [\"greeting\", \"limits\"]\n";

/// The manifest text for a root supervisor with `supervisor` (its flags and
/// children as TOML under `[supervisor]`), with the plugins folder set and
/// the test plugins' [`GRANTS`]. The shared build folder is not watched:
/// tests that upgrade use a [`PluginDir`] of their own.
pub fn manifest_text(supervisor: &str) -> String {
    format!(
        "[app]\nname = \"test\"\nplugins = {:?}\n[app.env]\ngreeting = \"hello\"\nlimits = {{ rps = 10 }}\nsecret = \"hunter2\"\n[app.upgrade]\nwatch = false\n\n{GRANTS}[supervisor]\n{supervisor}",
        plugins_dir().display().to_string()
    )
}

/// Start an application whose `[supervisor]` section is `supervisor`.
pub async fn start(supervisor: &str) -> TestApp {
    try_start(supervisor)
        .await
        .unwrap_or_else(|e| panic!("the application should start: {e}"))
}

/// Start an application, or return its start error.
pub async fn try_start(supervisor: &str) -> Result<TestApp, overseer::application::AppError> {
    let node = node();
    let events = node.events().subscribe();
    let manifest = parse_manifest(Path::new("test.toml"), &manifest_text(supervisor))?;
    let app = Application::start(&node, &manifest).await?;
    Ok(TestApp::new(node, app, &manifest, events))
}

impl TestApp {
    /// A started application on `node`, with the hot code swap its
    /// manifest asks for, and the events since before it started.
    pub fn new(
        node: Node,
        app: Application,
        manifest: &overseer::application::Manifest,
        events: broadcast::Receiver<Arc<Event>>,
    ) -> TestApp {
        let hot = HotSwap::start(&node, manifest)
            .unwrap_or_else(|e| panic!("the plugin folder should be watched: {e}"));
        TestApp {
            node,
            app,
            hot,
            events,
        }
    }

    /// What upgrades the application's plugins.
    pub fn reloader(&self) -> &Reloader {
        self.hot.reloader()
    }

    /// Wait for the first event (from now on, or still unread) that
    /// `pick` maps to a value.
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&Event) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Ok(event)) => {
                    if let Some(found) = pick(&event) {
                        return found;
                    }
                }
                Ok(Err(broadcast::error::RecvError::Lagged(n))) => {
                    panic!("missed {n} events while waiting for {what}")
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => panic!("event bus closed"),
                Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
            }
        }
    }

    /// Wait for process `pid` to exit; returns its reason.
    pub async fn wait_exit(&mut self, pid: Pid) -> String {
        self.wait_for(&format!("pid {pid} to exit"), |e| match e {
            Event::ProcessExited { pid: p, reason, .. } if *p == pid => Some(reason.to_string()),
            _ => None,
        })
        .await
    }

    /// Wait for the next log line from process `pid`.
    pub async fn wait_log(&mut self, pid: Pid) -> String {
        self.wait_for(&format!("a log line from pid {pid}"), |e| match e {
            Event::GuestLog {
                pid: p, message, ..
            } if *p == pid => Some(message.clone()),
            _ => None,
        })
        .await
    }

    /// Wait for child `id` to be restarted; returns its new pid.
    pub async fn wait_restart(&mut self, id: &str) -> Pid {
        self.wait_for(&format!("child '{id}' to restart"), |e| match e {
            Event::ChildRestarted {
                id: child,
                new_pid: Some(pid),
                ..
            } if child == id => Some(*pid),
            _ => None,
        })
        .await
    }

    /// The live pid registered under `name`.
    pub fn pid(&self, name: &str) -> Pid {
        self.node
            .whereis(&Target::Name(name.into()))
            .unwrap_or_else(|| panic!("no process is registered as '{name}'"))
    }

    /// Call `target` with `request` (JSON), default 5 s timeout.
    pub async fn call(
        &self,
        target: impl Into<Target>,
        request: serde_json::Value,
    ) -> Result<serde_json::Value, CallError> {
        self.call_timeout(target, request, Duration::from_secs(5))
            .await
    }

    /// Call with a timeout.
    pub async fn call_timeout(
        &self,
        target: impl Into<Target>,
        request: serde_json::Value,
        timeout: Duration,
    ) -> Result<serde_json::Value, CallError> {
        let reply = self
            .node
            .call(&target.into(), request.to_string().into_bytes(), timeout)
            .await?;
        Ok(serde_json::from_slice(&reply).expect("the reply is JSON"))
    }

    /// The state of `target`, as JSON.
    pub async fn state(&self, target: impl Into<Target>) -> serde_json::Value {
        let state = self
            .node
            .get_state(&target.into(), Duration::from_secs(5))
            .await
            .expect("get-state answers");
        serde_json::from_slice(&state).expect("the state is JSON")
    }

    /// Poll the root's children until `check` holds on them; returns them.
    /// (A supervisor reacts to an exit right after the exit's event.)
    pub async fn children_when(
        &self,
        what: &str,
        check: impl Fn(&[ChildInfo]) -> bool,
    ) -> Vec<ChildInfo> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let children = self
                .app
                .root()
                .which_children()
                .await
                .expect("the root runs");
            if check(&children) {
                return children;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting until {what}: {children:?}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Poll `check` until it holds, or fail after [`WAIT`].
    pub async fn eventually(&self, what: &str, mut check: impl AsyncFnMut() -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !check().await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting until {what}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// `[[supervisor.children]]` for a worker.
pub fn worker(id: &str, plugin: &str, extra: &str) -> String {
    format!(
        "[[supervisor.children]]\nid = \"{id}\"\nplugin = \"{plugin}.wasm\"\nname = \"{id}\"\n{extra}\n"
    )
}

/// A supervisor as guests and the CLI reach it: child specs in JSON,
/// children listed as JSON, refusals as the one line a user reads.
pub struct JsonSup {
    node: Node,
    target: Target,
}

/// The supervisor registered as `name` on `node`, reached as guests do.
pub fn json_sup(node: &Node, name: &str) -> JsonSup {
    JsonSup {
        node: node.clone(),
        target: Target::Name(name.into()),
    }
}

impl JsonSup {
    fn sup(&self) -> Result<overseer::supervisor::SupervisorRef, String> {
        self.node
            .supervisor(&self.target)
            .ok_or_else(|| format!("no such supervisor: {}", self.target))
    }

    /// `start-child` with a JSON spec.
    pub async fn start_child(&self, spec: serde_json::Value) -> Result<Option<Pid>, String> {
        self.node
            .start_child(&self.target, spec.to_string().as_bytes(), None)
            .await
            .map_err(|e| e.to_string())
    }

    /// `terminate-child`.
    pub async fn terminate_child(&self, pid: Pid) -> Result<(), String> {
        self.sup()?
            .terminate_child(pid)
            .await
            .map_err(|e| e.to_string())
    }

    /// `which-children`: `[{"id", "pid", "type", "status", "restarts"}]`.
    pub async fn which_children(&self) -> Result<serde_json::Value, String> {
        let children = self
            .sup()?
            .which_children()
            .await
            .map_err(|e| e.to_string())?;
        Ok(children
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id,
                    "pid": c.pid.map(|p| p.0),
                    "type": c.child_type,
                    "status": c.status,
                    "restarts": c.restarts,
                })
            })
            .collect())
    }

    /// `count-children`: `{"specs", "active", "supervisors", "workers"}`.
    pub async fn count_children(&self) -> Result<serde_json::Value, String> {
        let count = self
            .sup()?
            .count_children()
            .await
            .map_err(|e| e.to_string())?;
        serde_json::to_value(count).map_err(|e| e.to_string())
    }
}
