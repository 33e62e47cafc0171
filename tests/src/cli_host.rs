//! `overseer run` in a child process and its client subcommands in
//! others, for the tests that go through the command line.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::{WAIT, manifest_text, workspace_root};

/// The `overseer` binary `cargo build -p overseer` made.
pub fn overseer_bin() -> PathBuf {
    let bin = workspace_root().join("target/debug/overseer");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p overseer` (cargo xtask test does)",
        bin.display()
    );
    bin
}

/// A running `overseer run`, stopped (or killed) when dropped.
pub struct Host {
    /// The `overseer run` process.
    pub child: Child,
    /// Its control socket.
    pub socket: PathBuf,
    dir: tempfile::TempDir,
}

impl Host {
    /// `overseer run` on a test manifest whose `[supervisor]` section is
    /// `supervisor`.
    pub fn start(supervisor: &str) -> Host {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.toml"), manifest_text(supervisor)).unwrap();
        Self::start_in(dir)
    }

    /// `overseer run` on the `app.toml` already written in `dir`.
    pub fn start_in(dir: tempfile::TempDir) -> Host {
        Self::start_with(dir, &[], Stdio::null())
    }

    /// [`start_in`](Self::start_in) with more options for `run`, and its
    /// stderr sent to `stderr`.
    pub fn start_with(dir: tempfile::TempDir, options: &[&str], stderr: Stdio) -> Host {
        Self::start_with_env(dir, options, &[], stderr)
    }

    /// [`start_with`](Self::start_with), with environment variables set
    /// for `overseer run`.
    pub fn start_with_env(
        dir: tempfile::TempDir,
        options: &[&str],
        env: &[(&str, &str)],
        stderr: Stdio,
    ) -> Host {
        let manifest = dir.path().join("app.toml");
        let child = Command::new(overseer_bin())
            .arg("run")
            .arg(&manifest)
            .args(options)
            .envs(env.iter().copied())
            .env_remove("OVERSEER_CONTROL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let socket = dir.path().join(".overseer/control.sock");
        let host = Host { child, socket, dir };
        poll_until("the control socket appears", || host.socket.exists());
        host
    }

    /// The host's folder: its `app.toml`, and whatever the test put beside
    /// it (a `plugins` folder).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Run `overseer ARGS` against this host; its output.
    pub fn client(&self, args: &[&str]) -> Output {
        Command::new(overseer_bin())
            .args(args)
            .env("OVERSEER_CONTROL", &self.socket)
            .output()
            .unwrap()
    }

    /// `overseer call TARGET REQUEST` against this host, which must
    /// succeed; the reply as JSON.
    pub fn call(&self, target: &str, request: serde_json::Value) -> serde_json::Value {
        let out = stdout(&self.client(&["call", target, &request.to_string()]));
        serde_json::from_str(&out).unwrap()
    }

    /// Wait (up to [`WAIT`]) for `overseer run` to exit; its status.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "overseer run did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Poll `check` every 10 ms until it holds; fail after [`WAIT`].
pub fn poll_until(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The stdout of a command that must have succeeded.
pub fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The one line of stderr of a failed command, and its exit code.
pub fn failure(out: &Output) -> (i32, String) {
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err:?}");
    (out.status.code().unwrap_or(-1), err.trim_end().to_string())
}
