//! The command line round trip: `overseer run` in one process, the client
//! subcommands in others, talking over the control socket.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use overseer_tests::cli_host::{Host, failure, overseer_bin, poll_until, stdout};
use overseer_tests::{build, manifest_text, worker};

#[test]
fn round_trip_through_the_control_socket() {
    let mut host = Host::start(&format!(
        "{}{}",
        worker("counter", "counter", ""),
        worker("faulty", "faulty", "")
    ));
    let mode = std::fs::metadata(&host.socket)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the socket is private");

    assert_eq!(
        stdout(&host.client(&["call", "counter", "\"increment\""])),
        "1\n"
    );
    assert_eq!(
        stdout(&host.client(&["cast", "counter", "\"increment\""])),
        ""
    );
    assert_eq!(stdout(&host.client(&["send", "counter", "\"hello\""])), "");
    assert_eq!(
        stdout(&host.client(&["call", "counter", r#"{"add": 10}"#])),
        "12\n"
    );
    let state: serde_json::Value =
        serde_json::from_str(&stdout(&host.client(&["state", "counter"]))).unwrap();
    assert_eq!(state, serde_json::json!({"value": 12}));

    let tree: serde_json::Value =
        serde_json::from_str(&stdout(&host.client(&["tree", "--json"]))).unwrap();
    assert_eq!(tree["id"], "root");
    assert_eq!(tree["children"][0]["id"], "counter");
    assert_eq!(tree["children"][0]["plugin"], "counter");
    assert_eq!(tree["children"][0]["status"], "running");
    let pid = tree["children"][1]["pid"].as_u64().unwrap();
    assert_eq!(
        stdout(&host.client(&["call", &pid.to_string(), "\"ping\""])),
        "\"pong\"\n"
    );
    let human = stdout(&host.client(&["tree"]));
    assert!(
        human.contains("counter") && human.contains("faulty@1.0.0"),
        "{human}"
    );

    let (code, err) = failure(&host.client(&["call", "counter", "{bad"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("overseer: invalid JSON"), "{err}");
    let (code, err) = failure(&host.client(&["call", "nobody", "1"]));
    assert_eq!(
        (code, err.as_str()),
        (1, "overseer: no such process: 'nobody'")
    );
    let (code, err) = failure(&host.client(&[
        "call",
        "faulty",
        r#"{"sleep_ms": 3000}"#,
        "--timeout",
        "100",
    ]));
    assert_eq!(
        (code, err.as_str()),
        (1, "overseer: timed out after 100 ms")
    );
    let (code, err) = failure(&host.client(&["call", "faulty", r#"{"crash": "panic"}"#]));
    assert_eq!(code, 1);
    assert!(err.contains("panic: faulty: asked to panic"), "{err}");
    // The crashed child was restarted and answers again.
    poll_until("faulty answers again", || {
        host.client(&["call", "faulty", "\"ping\""])
            .status
            .success()
    });

    assert_eq!(stdout(&host.client(&["stop"])), "");
    assert!(host.wait().success(), "run exits 0 after stop");
    assert!(!host.socket.exists(), "the socket is removed");
}

#[test]
fn sigterm_shuts_the_tree_down_and_exits_zero() {
    let mut host = Host::start(&worker("counter", "counter", ""));
    assert_eq!(stdout(&host.client(&["call", "counter", "\"get\""])), "0\n");
    let status = Command::new("kill")
        .args(["-TERM", &host.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(host.wait().success());
    assert!(!host.socket.exists());
}

#[test]
fn run_refuses_a_bad_manifest_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("bad.toml");
    std::fs::write(
        &manifest,
        manifest_text(&worker("a", "counter", "restart = \"always\"")),
    )
    .unwrap();
    let out = Command::new(overseer_bin())
        .arg("run")
        .arg(&manifest)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    let last = err.lines().last().unwrap_or_default();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        last.starts_with(&format!("overseer: {}:", manifest.display()))
            && last.contains("supervisor.children[0].restart"),
        "{err}"
    );
}

#[test]
fn clients_without_a_host_say_so() {
    let out = Command::new(overseer_bin())
        .args(["tree"])
        .env("OVERSEER_CONTROL", Path::new("/nonexistent/control.sock"))
        .output()
        .unwrap();
    let (code, err) = failure(&out);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/control.sock"), "{err}");
}

#[test]
fn upgrades_through_the_cli_and_the_watched_folder() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::copy(build("counter"), plugins.join("counter.wasm")).unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        format!(
            "[app]\nname = \"hot\"\nplugins = \"plugins\"\n[supervisor]\n{}",
            worker("counter", "counter", "")
        ),
    )
    .unwrap();
    let host = Host::start_in(dir);
    assert_eq!(
        stdout(&host.client(&["call", "counter", "{\"add\": 5}"])),
        "5\n"
    );

    // By hand, from a build elsewhere.
    let v2 = build("counter_v2");
    let out = stdout(&host.client(&["reload", "counter", "--file", &v2.display().to_string()]));
    assert!(out.starts_with("counter: upgraded 1.0.0 -> 2.0.0"), "{out}");
    assert!(out.contains("1 processes changed code, 0 failed"), "{out}");
    assert_eq!(
        stdout(&host.client(&["call", "counter", "\"history\""])),
        "[]\n"
    );
    let tree = stdout(&host.client(&["tree", "--json"]));
    assert!(tree.contains("\"vsn\":\"2.0.0\""), "{tree}");
    let versions: serde_json::Value =
        serde_json::from_str(&stdout(&host.client(&["versions", "--json"]))).unwrap();
    let counter = &versions[0];
    assert_eq!(counter["plugin"], "counter");
    assert_eq!(counter["versions"][0]["vsn"], "1.0.0");
    assert_eq!(counter["versions"][0]["current"], false);
    assert_eq!(counter["versions"][1]["vsn"], "2.0.0");
    assert_eq!(counter["versions"][1]["current"], true);
    assert_eq!(
        counter["versions"][1]["processes"].as_array().map(Vec::len),
        Some(1)
    );

    // The folder still holds v1: reading it again goes back, as a downgrade.
    let out = stdout(&host.client(&["reload", "counter"]));
    assert!(
        out.starts_with("counter: downgraded 2.0.0 -> 1.0.0 (loaded)"),
        "{out}"
    );

    // Dropped in place: the watcher upgrades, and the event is on the API.
    let plugins = host.dir().join("plugins");
    let aside = plugins.join(".counter.wasm.new");
    std::fs::copy(&v2, &aside).unwrap();
    std::fs::rename(&aside, plugins.join("counter.wasm")).unwrap();
    poll_until("the watcher's upgrade shows in `overseer events`", || {
        let events = stdout(&host.client(&["events"]));
        events
            .lines()
            .filter(|l| l.contains("\"event\":\"upgraded\""))
            .count()
            == 3
    });
    assert_eq!(stdout(&host.client(&["call", "counter", "\"get\""])), "5\n");

    // Failures are one line.
    let (code, err) = failure(&host.client(&["reload", "nosuch"]));
    assert_eq!(
        (code, err.as_str()),
        (1, "overseer: no plugin named 'nosuch'")
    );
    let (code, err) = failure(&host.client(&["reload", "counter", "--file", "/nonexistent.wasm"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("/nonexistent.wasm: cannot read plugin"),
        "{err}"
    );
}

#[test]
fn dynamic_children_through_the_cli() {
    let host = Host::start(
        "[[supervisor.children]]\nid = \"workers\"\ntype = \"dynamic_supervisor\"\nname = \"workers\"\nmax_children = 1\n",
    );
    let pid = stdout(&host.client(&[
        "start-child",
        "workers",
        r#"{"plugin": "counter", "args": {"initial_value": 7}, "name": "c7"}"#,
    ]));
    let pid = pid.trim().to_string();
    assert!(pid.parse::<u64>().is_ok(), "{pid}");
    assert_eq!(stdout(&host.client(&["call", "c7", "\"get\""])), "7\n");
    let counts = stdout(&host.client(&["count-children", "workers"]));
    assert_eq!(
        counts.trim(),
        r#"{"active":1,"specs":1,"supervisors":0,"workers":1}"#
    );
    let children = stdout(&host.client(&["which-children", "workers"]));
    assert!(children.contains(&format!("\"pid\":{pid}")), "{children}");

    let (code, err) =
        failure(&host.client(&["start-child", "workers", r#"{"plugin": "counter"}"#]));
    assert_eq!(
        (code, err.as_str()),
        (1, "overseer: max_children reached (1)")
    );
    let (code, err) = failure(&host.client(&["start-child", "workers", "{not json"]));
    assert_eq!(code, 2, "{err}");
    let (code, err) = failure(&host.client(&[
        "start-child",
        "workers",
        r#"{"plugin": "counter", "limits": {"cpu_ms": "x"}}"#,
    ]));
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            r#"overseer: invalid child spec: limits.cpu_ms: invalid type: string "x", expected u64"#
        )
    );

    assert_eq!(
        stdout(&host.client(&["terminate-child", "workers", &pid])),
        ""
    );
    let (code, err) = failure(&host.client(&["terminate-child", "workers", &pid]));
    assert_eq!(
        (code, err),
        (1, format!("overseer: no such child: pid {pid}"))
    );
    let (code, err) = failure(&host.client(&["which-children", "nobody"]));
    assert_eq!(
        (code, err.as_str()),
        (1, "overseer: no such supervisor: 'nobody'")
    );
}

/// `tree` and `which-children` answer with a bounded part of a big tree,
/// and say what they left out.
#[test]
fn tree_and_which_children_are_bounded() {
    let host = Host::start(
        "[[supervisor.children]]\nid = \"workers\"\ntype = \"dynamic_supervisor\"\nname = \"workers\"\n",
    );
    for _ in 0..5 {
        stdout(&host.client(&["start-child", "workers", r#"{"plugin": "counter"}"#]));
    }
    let json = |args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&stdout(&host.client(args))).unwrap()
    };
    let whole = json(&["tree", "--json"]);
    assert_eq!(
        whole["children"][0]["children"].as_array().unwrap().len(),
        5
    );
    assert!(whole["children"][0].get("omitted").is_none(), "{whole}");
    let limited = json(&["tree", "--json", "--limit", "2"]);
    let workers = &limited["children"][0];
    assert_eq!(
        workers["children"].as_array().unwrap().len(),
        2,
        "{limited}"
    );
    assert_eq!(workers["omitted"], 3, "{limited}");
    let shallow = json(&["tree", "--json", "--depth", "1"]);
    assert!(
        shallow["children"][0].get("children").is_none(),
        "{shallow}"
    );
    assert_eq!(shallow["children"][0]["omitted"], 5, "{shallow}");
    let text = stdout(&host.client(&["tree", "--limit", "2"]));
    assert!(text.contains("… 3 more children"), "{text}");

    let out = host.client(&["which-children", "workers", "--limit", "2"]);
    let page: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(page.as_array().unwrap().len(), 2);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "overseer: children 1–2 of 5 shown; the next ones with --offset 2"
    );
    let out = host.client(&["which-children", "workers", "--offset", "4", "--limit", "2"]);
    let page: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert!(out.stderr.is_empty());
}

/// `[host] max_processes` in the manifest caps the live processes;
/// `--max-processes` overrides it.
#[test]
fn the_process_cap_comes_from_the_manifest_or_the_command_line() {
    let manifest = format!(
        "{}[host]\nmax_processes = 2\n",
        manifest_text(
            "[[supervisor.children]]\nid = \"workers\"\ntype = \"dynamic_supervisor\"\nname = \"workers\"\n"
        )
    );
    let start = |options: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.toml"), &manifest).unwrap();
        Host::start_with(dir, options, Stdio::null())
    };
    let counter = r#"{"plugin": "counter"}"#;
    for (options, cap) in [(&[][..], 2), (&["--max-processes", "3"][..], 3)] {
        let host = start(options);
        for _ in 0..cap {
            stdout(&host.client(&["start-child", "workers", counter]));
        }
        let (code, err) = failure(&host.client(&["start-child", "workers", counter]));
        assert_eq!(
            (code, err),
            (
                1,
                format!(
                    "overseer: failed to start child: too many processes: the host's cap of {cap} live processes is reached"
                )
            ),
            "{options:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        manifest.replace("max_processes = 2", "max_processes = 0"),
    )
    .unwrap();
    let out = Command::new(overseer_bin())
        .arg("run")
        .arg(dir.path().join("app.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.trim_end()
            .ends_with("host.max_processes: must be at least 1"),
        "{err}"
    );
}

/// `run --workers 1` hosts on one thread (calls, a crash and its restart
/// work as on several); `--workers 0` is a usage error.
#[test]
fn run_takes_its_worker_count_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        manifest_text(&worker("a", "faulty", "")),
    )
    .unwrap();
    let host = Host::start_with(dir, &["--workers", "1"], Stdio::null());
    assert_eq!(
        stdout(&host.client(&["call", "a", "\"ping\""])),
        "\"pong\"\n"
    );
    let before = stdout(&host.client(&["tree", "--json"]));
    let _ = host.client(&["cast", "a", r#"{"crash": "trap"}"#]);
    poll_until("a is restarted", || {
        let tree = stdout(&host.client(&["tree", "--json"]));
        tree != before && tree.contains("\"restarts\":1")
    });
    assert_eq!(
        stdout(&host.client(&["call", "a", "\"ping\""])),
        "\"pong\"\n"
    );

    let out = Command::new(overseer_bin())
        .args(["run", "app.toml", "--workers", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--workers"), "{err}");
}

/// Asked for more processes than `vm.max_map_count` allows, `run` lowers
/// the cap to what fits and says which sysctl to raise.
#[test]
fn run_lowers_a_cap_past_the_kernels_mapping_limit_and_says_so() {
    let Some(max) = overseer::runtime::capacity::max_map_count() else {
        eprintln!("skipped: this kernel has no vm.max_map_count");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        manifest_text(&worker("counter", "counter", "")),
    )
    .unwrap();
    // More than any vm.max_map_count (at most 2^31) has room for.
    let mut host = Host::start_with(dir, &["--max-processes", "4000000000"], Stdio::piped());
    assert_eq!(stdout(&host.client(&["call", "counter", "\"get\""])), "0\n");
    stdout(&host.client(&["stop"]));
    assert!(host.wait().success());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut host.child.stderr.take().unwrap(), &mut err).unwrap();
    let line = err
        .lines()
        .find(|l| l.contains("process cap lowered"))
        .unwrap_or_else(|| panic!("no warning: {err}"));
    assert!(
        line.contains(&format!("vm.max_map_count ({max})")),
        "{line}"
    );
    assert!(line.contains("not the 4000000000 asked for"), "{line}");
    assert!(line.contains("sysctl -w vm.max_map_count="), "{line}");
}

#[test]
fn a_pool_transaction_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let text = manifest_text(&worker("c", "counter", "")).replace(
        "[app.upgrade]",
        "[[app.pools]]\nname = \"conns\"\nplugin = \"counter.wasm\"\nsize = 1\nmax_overflow = 0\n[app.upgrade]",
    );
    std::fs::write(dir.path().join("app.toml"), text).unwrap();
    let host = Host::start_in(dir);
    assert_eq!(
        stdout(&host.client(&["call", "pool:conns", "\"increment\""])),
        "1\n"
    );
    assert_eq!(
        stdout(&host.client(&["call", "pool:conns", "\"increment\""])),
        "2\n"
    );
    let (code, err) = failure(&host.client(&["call", "pool:nope", "\"get\""]));
    assert_eq!((code, err.as_str()), (1, "overseer: no pool named 'nope'"));
}

#[test]
fn tasks_through_the_cli() {
    let host = Host::start(
        "[[supervisor.children]]\nid = \"tasks\"\ntype = \"task_supervisor\"\nname = \"tasks\"\n",
    );
    assert_eq!(
        stdout(&host.client(&["task", "wordcount", r#"{"text": "to be or not"}"#])),
        "{\"words\":4}\n"
    );
    assert_eq!(
        stdout(&host.client(&[
            "task",
            "wordcount",
            r#"{"text": "x"}"#,
            "--supervisor",
            "tasks"
        ])),
        "{\"words\":1}\n"
    );
    let (code, err) = failure(&host.client(&["task", "wordcount", r#"{"fail": "bad input"}"#]));
    assert_eq!(code, 1);
    assert!(
        err.starts_with("overseer: task ") && err.ends_with("failed: bad input"),
        "{err}"
    );
    let (code, err) = failure(&host.client(&[
        "task",
        "wordcount",
        r#"{"sleep_ms": 300}"#,
        "--timeout",
        "20",
    ]));
    assert_eq!(code, 1);
    assert!(
        err.contains("gave no result within 20 ms (it runs on)"),
        "{err}"
    );
    let (code, err) = failure(&host.client(&["task", "counter", "{}"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("not a component of the overseer:plugin/task world"),
        "{err}"
    );
}
