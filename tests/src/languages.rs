//! The guest languages the behaviour suite runs over, and whether each one's
//! builds are here (`cargo xtask build-plugins` skips a language whose
//! toolchain cannot be installed, and says why in
//! `target/polyglot/<key>.skipped`).

use std::path::Path;

use overseer::application::{Application, Node, parse_manifest};
use overseer::runtime::{HostConfig, Runtime};

use crate::{TestApp, manifest_text, workspace_root};

/// One guest language and what the suite expects of it.
#[derive(Debug)]
pub struct Language {
    /// As a failure names it: "Python".
    pub name: &'static str,
    /// As the build markers name it: "python".
    pub key: &'static str,
    /// Appended to a plugin's name for this language's port: `counter_py`.
    pub suffix: &'static str,
    /// For each `faulty` crash kind, text its exit reason contains.
    pub crash_reasons: &'static [(&'static str, &'static str)],
}

/// Rust, the reference.
pub const RUST: Language = Language {
    name: "Rust",
    key: "rust",
    suffix: "",
    crash_reasons: &[
        ("trap", "trap: wasm `unreachable`"),
        ("panic", "panic: faulty: asked to panic"),
        ("div_zero", "divide by zero"),
        (
            "loop",
            "cpu deadline: callback ran past its 300 ms deadline",
        ),
        ("oom", "memory limit: "),
        ("stack", "stack overflow"),
    ],
};

/// Python, through componentize-py and `guest-sdk/python`.
pub const PYTHON: Language = Language {
    name: "Python",
    key: "python",
    suffix: "_py",
    crash_reasons: &[
        ("trap", "trap: wasm `unreachable`"),
        ("panic", "exception: RuntimeError: faulty: asked to panic"),
        ("div_zero", "exception: ZeroDivisionError"),
        (
            "loop",
            "cpu deadline: callback ran past its 300 ms deadline",
        ),
        ("oom", "memory limit: "),
        ("stack", "exception: RecursionError"),
    ],
};

/// JavaScript, through componentize-qjs (QuickJS) and `guest-sdk/js`.
pub const JAVASCRIPT: Language = Language {
    name: "JavaScript",
    key: "js",
    suffix: "_js",
    crash_reasons: &[
        ("trap", "exception: uncaught number: 42"),
        ("panic", "exception: Error: faulty: asked to panic"),
        ("div_zero", "exception: RangeError"),
        (
            "loop",
            "cpu deadline: callback ran past its 300 ms deadline",
        ),
        ("oom", "memory limit: "),
        // QuickJS recurses in C: the wasm stack overflows before its own
        // JS depth limit.
        ("stack", "stack overflow"),
    ],
};

/// C, against wit-bindgen's C bindings alone: only `counter_c` exists.
pub const C: Language = Language {
    name: "C",
    key: "c",
    suffix: "_c",
    crash_reasons: &[],
};

impl Language {
    /// This language's port of `plugin`: `counter` → `counter_py`.
    pub fn plugin(&self, plugin: &str) -> String {
        format!("{plugin}{}", self.suffix)
    }

    /// Why this language's builds are missing, if `cargo xtask
    /// build-plugins` skipped it; `None` when they must be here.
    pub fn skipped(&self) -> Option<String> {
        let marker = workspace_root().join(format!("target/polyglot/{}.skipped", self.key));
        std::fs::read_to_string(marker).ok()
    }

    /// What `crash` kind's exit reason contains in this language.
    pub fn crash_reason(&self, kind: &str) -> &'static str {
        self.crash_reasons
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, reason)| *reason)
            .unwrap_or_else(|| panic!("{}: no expected reason for crash kind {kind}", self.name))
    }

    /// Start an application whose `[supervisor]` is `supervisor` on a host
    /// that caches compiled builds (a Python or JS component takes seconds
    /// to compile), or `None`, said on stderr, when this language was
    /// skipped.
    pub async fn start(&self, supervisor: &str) -> Option<TestApp> {
        if let Some(why) = self.skipped() {
            eprintln!("{}: skipped, its plugins were not built: {why}", self.name);
            return None;
        }
        let node = cached_node();
        let events = node.events().subscribe();
        let manifest = parse_manifest(Path::new("test.toml"), &manifest_text(supervisor))
            .unwrap_or_else(|e| panic!("{}: the manifest parses: {e}", self.name));
        let app = Application::start(&node, &manifest)
            .await
            .unwrap_or_else(|e| panic!("{}: the application should start: {e}", self.name));
        Some(TestApp::new(node, app, &manifest, events))
    }
}

/// A host like [`crate::node`] whose compiled builds are cached in
/// `target/test-cache`, shared by every test.
pub fn cached_node() -> Node {
    let config = HostConfig {
        max_processes: 64,
        spare_slots: 64,
        cache_dir: Some(workspace_root().join("target/test-cache")),
        ..HostConfig::default()
    };
    Node::new(Runtime::new(config).expect("the engine starts"))
}
