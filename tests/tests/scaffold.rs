//! `overseer new NAME --lang rust|python|js`: the folder it creates builds
//! with its one script, and the build loads in a manifest and answers.

use std::path::Path;
use std::process::Command;

use overseer_tests::languages::{JAVASCRIPT, Language, PYTHON, RUST};
use overseer_tests::{PluginDir, workspace_root};
use serde_json::json;

/// Scaffold `name` in `lang`, build it, run it, call it.
async fn scaffold_build_and_run(lang: &Language, flag: &str) {
    if let Some(why) = lang.skipped() {
        eprintln!(
            "{}: skipped, its toolchain was not installed: {why}",
            lang.name
        );
        return;
    }
    let root = workspace_root();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let name = format!("hello_{flag}");
    let created = Command::new(root.join("target/debug/overseer"))
        .args(["new", &name, "--lang", flag, "--dir"])
        .arg(dir.path())
        .output()
        .expect("overseer new runs");
    assert!(
        created.status.success(),
        "{}: overseer new: {}",
        lang.name,
        String::from_utf8_lossy(&created.stderr)
    );
    let folder = dir.path().join(&name);
    let built = Command::new(folder.join("build.sh"))
        // The toolchains cargo xtask installed; a shared target folder for
        // the Rust build's dependencies.
        .env(
            "COMPONENTIZE_PY",
            root.join("target/polyglot/python/bin/componentize-py"),
        )
        .env(
            "COMPONENTIZE_QJS",
            root.join("target/polyglot/js/node_modules/.bin/componentize-qjs"),
        )
        .env("CARGO_TARGET_DIR", root.join("target/scaffold"))
        .output()
        .expect("build.sh runs");
    assert!(
        built.status.success(),
        "{}: build.sh: {}{}",
        lang.name,
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );
    let wasm = folder.join(format!("{name}.wasm"));
    assert!(
        wasm.is_file(),
        "{}: {} was built",
        lang.name,
        wasm.display()
    );
    for file in ["README.md", "build.sh"] {
        assert!(
            Path::new(&folder.join(file)).is_file(),
            "{}: {file}",
            lang.name
        );
    }

    let plugins = PluginDir::with(&[]);
    std::fs::copy(&wasm, plugins.file(&name)).expect("copy the build");
    let supervisor = format!(
        "[[supervisor.children]]\nid = \"hello\"\nplugin = \"{name}\"\nname = \"hello\"\nargs = {{ initial_value = 41 }}\n"
    );
    let app = plugins.start("watch = false", &supervisor, 8).await;
    assert_eq!(
        app.call("hello", json!("increment")).await,
        Ok(json!(42)),
        "{}",
        lang.name
    );
    assert_eq!(
        app.state("hello").await,
        json!({"value": 42}),
        "{}",
        lang.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_plugin_scaffolds_builds_and_runs() {
    scaffold_build_and_run(&RUST, "rust").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_plugin_scaffolds_builds_and_runs() {
    scaffold_build_and_run(&PYTHON, "python").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_plugin_scaffolds_builds_and_runs() {
    scaffold_build_and_run(&JAVASCRIPT, "js").await;
}
