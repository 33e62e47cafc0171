//! A host and an application for one bench section.

use std::path::Path;

use anyhow::Result;
use overseer::application::{Application, Node, parse_manifest};
use overseer::runtime::{HostConfig, Runtime};

/// A host for up to `max_processes` processes.
pub fn node(max_processes: u32) -> Result<Node> {
    Ok(Node::new(Runtime::new(HostConfig {
        max_processes,
        ..HostConfig::default()
    })?))
}

/// An application on `node` from the plugins in `plugins`: `app_extra` goes
/// in `[app]`, `children` under a root with room for a billion restarts a
/// second (restarts are what some sections measure).
pub async fn app(
    node: &Node,
    plugins: &Path,
    app_extra: &str,
    children: &str,
) -> Result<Application> {
    let text = format!(
        "[app]\nname = \"bench\"\nplugins = {:?}\n{app_extra}[app.upgrade]\nwatch = false\n[supervisor]\nmax_restarts = 1000000000\nmax_seconds = 1\n{children}",
        plugins.display().to_string()
    );
    let manifest = parse_manifest(Path::new("bench.toml"), &text)?;
    Ok(Application::start(node, &manifest).await?)
}

/// `[[supervisor.children]]` for a worker registered as `id`.
pub fn worker(id: &str, plugin: &str, extra: &str) -> String {
    format!(
        "[[supervisor.children]]\nid = \"{id}\"\nplugin = \"{plugin}.wasm\"\nname = \"{id}\"\n{extra}\n"
    )
}
