//! `overseer run` with a Python plugin: the first run compiles it (seconds)
//! and says so on the terminal; the second finds it in the compile cache
//! and says nothing of compiling.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use overseer_tests::languages::PYTHON;
use overseer_tests::{build, workspace_root};

/// A cold compile of a Python component takes seconds, more on a busy
/// machine.
const COLD_START: Duration = Duration::from_secs(180);

fn overseer(args: &[&str], socket: &Path) -> std::process::Output {
    Command::new(workspace_root().join("target/debug/overseer"))
        .args(args)
        .env("OVERSEER_CONTROL", socket)
        .output()
        .expect("overseer runs")
}

/// Run the host until `counter_py` answers, stop it; its stderr.
fn run_once(dir: &Path) -> String {
    let log = dir.join("run.log");
    let socket = dir.join(".overseer/control.sock");
    let mut child = Command::new(workspace_root().join("target/debug/overseer"))
        .arg("run")
        .arg(dir.join("app.toml"))
        .env_remove("OVERSEER_CONTROL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("a log file"))
        .spawn()
        .expect("overseer run starts");
    let deadline = Instant::now() + COLD_START;
    loop {
        let out = overseer(&["call", "py", "\"increment\""], &socket);
        if out.status.success() {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
            break;
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!(
                "overseer run exited ({status}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the Python plugin never answered"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(overseer(&["stop"], &socket).status.success());
    child.wait().expect("overseer run exits");
    std::fs::read_to_string(&log).expect("the log")
}

#[test]
fn a_slow_compile_says_so_once_and_the_cache_serves_the_next_run() {
    if let Some(why) = PYTHON.skipped() {
        eprintln!("skipped: Python plugins were not built: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir(dir.path().join("plugins")).expect("plugins folder");
    std::fs::copy(
        build("counter_py"),
        dir.path().join("plugins/counter_py.wasm"),
    )
    .expect("copy the build");
    std::fs::write(
        dir.path().join("app.toml"),
        "[app]\nname = \"py\"\nplugins = \"plugins\"\n[[supervisor.children]]\nid = \"py\"\nplugin = \"counter_py\"\nname = \"py\"\n",
    )
    .expect("the manifest");

    let cold = run_once(dir.path());
    assert!(
        cold.lines()
            .any(|l| l.contains("compiling") && l.contains("counter_py.wasm")),
        "the first run says it compiles: {cold}"
    );
    assert!(
        cold.lines()
            .any(|l| l.contains("compiled") && l.contains("counter_py.wasm")),
        "{cold}"
    );
    let warm = run_once(dir.path());
    assert!(
        !warm.contains("compiling"),
        "the second run reads the cache: {warm}"
    );
}
