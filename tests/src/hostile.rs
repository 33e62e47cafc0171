//! The hostile-plugin suite's stage: an attacker `h` (the `hostile`
//! plugin), a healthy counter `c` beside it, and what the suite checks
//! after every attack: the counter still answers, nothing but the attacker
//! restarted, and the host's memory stayed bounded.

use std::path::Path;

use overseer::application::{Application, parse_manifest};
use serde_json::{Value, json};

use crate::languages::cached_node;
use crate::{TestApp, plugins_dir, worker};

/// The most the test process's resident memory may reach while an attack
/// runs (every attack without its bound would take gigabytes).
pub const RSS_BOUND_BYTES: u64 = 1 << 30;

/// An application with the attacker `h` (its child spec's extra lines
/// `h_extra`), whose plugin section is `[plugin.hostile]` + `grants`, the
/// counter `c`, a DynamicSupervisor `jobs`, a Task.Supervisor `tasks`, and
/// `more` children.
pub async fn stage(grants: &str, h_extra: &str, more: &str) -> TestApp {
    stage_with("hostile", grants, h_extra, more).await
}

/// As [`stage`], with the attacker running `plugin` (a port of `hostile`
/// to another language), whose grants are `[plugin.<plugin>]` + `grants`.
pub async fn stage_with(plugin: &str, grants: &str, h_extra: &str, more: &str) -> TestApp {
    let text = format!(
        "[app]\nname = \"hostile\"\nplugins = {:?}\n[app.env]\nopen = 1\nsecret = \"hunter2\"\n\
         [app.upgrade]\nwatch = false\n\
         [plugin.{plugin}]\n{grants}\n\
         [supervisor]\nmax_restarts = 1000\nmax_seconds = 1\n{}{}\
         [[supervisor.children]]\nid = \"jobs\"\ntype = \"dynamic_supervisor\"\nname = \"jobs\"\n\
         [[supervisor.children]]\nid = \"tasks\"\ntype = \"task_supervisor\"\nname = \"tasks\"\n{more}",
        plugins_dir().display().to_string(),
        worker("c", "counter", ""),
        worker("h", plugin, h_extra),
    );
    // Compiled builds are cached: a Python attacker compiles in seconds.
    let node = cached_node();
    let events = node.events().subscribe();
    let manifest =
        parse_manifest(Path::new("hostile.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
    let app = Application::start(&node, &manifest)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    TestApp::new(node, app, &manifest, events)
}

/// Ask the attacker `h` to run `attack`; its reply, or the call's error.
pub async fn attack(app: &TestApp, attack: Value) -> Result<Value, String> {
    app.call("h", attack).await.map_err(|e| e.to_string())
}

/// What every attack must leave true: the counter answers (and counts on
/// from where it was), no child but the attacker was restarted, and the
/// test process's memory stayed under [`RSS_BOUND_BYTES`].
pub async fn assert_contained(app: &TestApp, counted: &mut i64) {
    *counted += 1;
    assert_eq!(
        app.call("c", json!("increment")).await,
        Ok(json!(*counted)),
        "the healthy counter answers, with its state"
    );
    let children = app
        .app
        .root()
        .which_children()
        .await
        .expect("the root runs");
    for child in children.iter().filter(|c| c.id != "h") {
        assert_eq!(
            child.restarts, 0,
            "{} was restarted: {children:?}",
            child.id
        );
    }
    let rss = resident_bytes();
    assert!(rss < RSS_BOUND_BYTES, "resident memory {rss} bytes");
}

/// The test process's resident memory, from `/proc/self/status`.
pub fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The control API of `app`, served on `socket` (whose folder must be the
/// host's alone).
pub async fn serve_control(app: &TestApp, socket: &Path) -> overseer::control::ControlServer {
    let bound = overseer::control::ControlSocket::bind(socket)
        .await
        .unwrap_or_else(|e| panic!("the control socket binds: {e}"));
    overseer::control::serve(
        bound,
        app.app.root().clone(),
        app.reloader().clone(),
        None,
        std::sync::Arc::new(tokio::sync::Notify::new()),
        overseer::control::EventLog::start(&app.node),
    )
}

/// `method path` with `body` over the control socket at `socket`, one
/// request per connection; the status (0 if the connection was dropped)
/// and the body.
pub async fn http(socket: &Path, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::UnixStream::connect(socket).await else {
        return (0, String::new());
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: overseer\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    // The server may answer (413) before reading all of a huge body.
    let _ = stream.write_all(body).await;
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = reply.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}
