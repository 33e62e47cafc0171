//! Bad input gets one clear line that names the problem: a malformed
//! manifest, a plugin file that is missing or not a gen-server component,
//! an unknown target.

use std::path::Path;
use std::time::Duration;

use overseer::application::parse_manifest;
use overseer::process::{CallError, Target};
use overseer_tests::{manifest_text, node, plugins_dir, try_start, worker};

#[test]
fn a_bad_manifest_names_file_line_and_field() {
    let text = manifest_text(&worker("a", "counter", "restart = \"always\""));
    let err = parse_manifest(Path::new("shop.toml"), &text)
        .unwrap_err()
        .to_string();
    let line = text.lines().position(|l| l.contains("always")).unwrap() + 1;
    assert!(
        err.starts_with(&format!(
            "shop.toml:{line}: supervisor.children[0].restart: "
        )),
        "{err}"
    );
    assert!(err.contains("always") && err.contains("permanent"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn an_unknown_field_is_named() {
    let text = manifest_text(&worker("a", "counter", "restrat = \"permanent\""));
    let err = parse_manifest(Path::new("shop.toml"), &text)
        .unwrap_err()
        .to_string();
    assert!(err.contains("restrat"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

async fn plugin_error(file: &str, bytes: Option<&[u8]>) -> String {
    let dir = tempfile::tempdir().unwrap();
    if let Some(bytes) = bytes {
        std::fs::write(dir.path().join(file), bytes).unwrap();
    }
    let text = format!(
        "[app]\nname = \"t\"\nplugins = {:?}\n[supervisor]\n{}",
        dir.path().display().to_string(),
        worker("a", file.trim_end_matches(".wasm"), "")
    );
    let manifest = parse_manifest(Path::new("t.toml"), &text).unwrap();
    let err = overseer::application::Application::start(&node(), &manifest)
        .await
        .err()
        .expect("the start fails")
        .to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&dir.path().join(file).display().to_string()),
        "names the file: {err}"
    );
    err
}

#[tokio::test]
async fn a_missing_plugin_file() {
    let err = plugin_error("nope.wasm", None).await;
    assert!(
        err.contains("cannot read plugin") && err.contains("No such file"),
        "{err}"
    );
}

#[tokio::test]
async fn random_bytes() {
    let err = plugin_error("junk.wasm", Some(b"this is not wasm at all")).await;
    assert!(err.contains("not a WebAssembly file"), "{err}");
}

#[tokio::test]
async fn a_core_module() {
    let err = plugin_error("core.wasm", Some(b"\0asm\x01\0\0\0")).await;
    assert!(
        err.contains("a core WebAssembly module, not a component"),
        "{err}"
    );
}

#[tokio::test]
async fn a_truncated_component() {
    let good = std::fs::read(plugins_dir().join("counter.wasm")).unwrap();
    let err = plugin_error("cut.wasm", Some(&good[..good.len() / 2])).await;
    assert!(err.contains("invalid component"), "{err}");
}

#[tokio::test]
async fn a_component_of_another_world() {
    // The smallest valid component: it exports nothing.
    let err = plugin_error("empty.wasm", Some(b"\0asm\x0d\0\x01\0")).await;
    assert!(
        err.contains("not a component of the overseer:plugin/gen-server world"),
        "{err}"
    );
}

#[tokio::test]
async fn unknown_targets() {
    let t = try_start(&worker("a", "counter", "")).await.unwrap();
    let by_name = t
        .node
        .call(
            &Target::Name("nobody".into()),
            b"1".to_vec(),
            Duration::from_secs(1),
        )
        .await;
    assert_eq!(
        by_name,
        Err(CallError::NoProc(Target::Name("nobody".into())))
    );
    assert_eq!(
        by_name.unwrap_err().to_string(),
        "no such process: 'nobody'"
    );
    let by_pid = t
        .node
        .cast(&Target::Pid(overseer::process::Pid(999_999)), b"1".to_vec());
    assert_eq!(
        by_pid.unwrap_err().to_string(),
        "no such process: pid 999999"
    );
    let supervisor = t.app.root().pid();
    let err = t
        .node
        .send(&Target::Pid(supervisor), b"1".to_vec())
        .unwrap_err();
    assert!(matches!(err, CallError::NotAServer(_)), "{err}");
}

#[tokio::test]
async fn a_memory_limit_over_the_hosts_is_refused() {
    let err = try_start(&worker("a", "counter", "limits = { memory_mb = 4096 }"))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("child 'a'") && err.contains("exceeds the host's maximum"),
        "{err}"
    );
}
