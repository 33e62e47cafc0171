//! Looking inside a running host from the command line: `overseer info`
//! on an idle and on a busy process, and `overseer crashes`.

use serde_json::Value;

use overseer_tests::cli_host::{Host, failure, poll_until, stdout};
use overseer_tests::worker;

fn info(host: &Host, target: &str) -> Value {
    serde_json::from_str(&stdout(&host.client(&["info", target, "--json"]))).unwrap()
}

#[test]
fn info_tells_what_a_process_is_doing_and_what_it_has_done() {
    let host = Host::start(&format!(
        "{}{}",
        worker("counter", "counter", ""),
        worker("faulty", "faulty", "limits = { cpu_ms = 4000 }"),
    ));
    for _ in 0..3 {
        stdout(&host.client(&["call", "counter", "\"increment\""]));
    }
    stdout(&host.client(&["cast", "counter", "\"increment\""]));
    poll_until("the cast is handled", || {
        info(&host, "counter")["casts"] == 1
    });

    let counter = info(&host, "counter");
    assert_eq!(counter["plugin"], "counter", "{counter}");
    assert_eq!(counter["status"], "waiting", "{counter}");
    assert_eq!(counter["calls"], 3, "{counter}");
    assert_eq!(counter["infos"], 0, "{counter}");
    assert_eq!(counter["restarts"], 0, "{counter}");
    assert_eq!(counter["last_crash"], Value::Null, "{counter}");
    assert_eq!(counter["mailbox"]["messages"], 0, "{counter}");
    assert!(counter["memory_bytes"].as_u64().unwrap() > 0, "{counter}");
    assert!(
        counter["memory_bytes"].as_u64() <= counter["memory_limit_bytes"].as_u64(),
        "{counter}"
    );
    assert_eq!(counter["registered"]["items"][0], "counter", "{counter}");
    assert!(
        counter["parent"].is_u64(),
        "a supervisor's child: {counter}"
    );
    // The same process by pid, as text.
    let pid = counter["pid"].to_string();
    let text = stdout(&host.client(&["info", &pid]));
    assert!(text.contains("plugin        counter@"), "{text}");
    assert!(
        text.contains("handled       3 calls, 1 casts, 0 infos"),
        "{text}"
    );

    // A process busy in a long callback answers `info` all the same.
    let before = info(&host, "faulty")["pid"].clone();
    let socket = host.socket.clone();
    let busy = std::thread::spawn(move || {
        std::process::Command::new(overseer_tests::cli_host::overseer_bin())
            .args([
                "call",
                "faulty",
                r#"{"crash":"loop"}"#,
                "--timeout",
                "20000",
            ])
            .env("OVERSEER_CONTROL", socket)
            .output()
            .unwrap()
    });
    poll_until("faulty is seen running the loop", || {
        let now = info(&host, "faulty");
        now["pid"] == before && now["status"] == "running"
    });
    let running = info(&host, "faulty");
    assert_eq!(running["callback"], "handle_call", "{running}");
    assert_eq!(running["message"], r#"{"crash":"loop"}"#, "{running}");
    assert_eq!(running["calls"], 1, "{running}");

    // It runs past its deadline, crashes and is restarted: its successor
    // shows the restart and the crash.
    let call = busy.join().unwrap();
    assert!(!call.status.success(), "the looping call fails");
    poll_until("faulty is restarted", || {
        let now = info(&host, "faulty");
        now["pid"] != before && now["restarts"] == 1
    });
    let restarted = info(&host, "faulty");
    assert_eq!(restarted["last_crash"]["pid"], before, "{restarted}");
    let reason = restarted["last_crash"]["reason"].to_string();
    assert!(reason.contains("deadline"), "{restarted}");

    let text = stdout(&host.client(&["crashes", "--plugin", "faulty"]));
    assert!(
        text.contains(r#"while handling: call {"crash":"loop"}"#),
        "{text}"
    );
    assert!(text.contains("deadline"), "{text}");
    let lines = stdout(&host.client(&["crashes", "--json", "--plugin", "counter"]));
    assert_eq!(lines, "", "no crash of counter");

    let (code, err) = failure(&host.client(&["info", "nosuch"]));
    assert_eq!(code, 1);
    assert_eq!(err, "overseer: no such process: 'nosuch'");
}

#[test]
fn events_are_kept_filtered_and_followed_as_they_happen() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::Instant;

    let host = Host::start(&format!(
        "{}{}",
        worker("counter", "counter", ""),
        worker("faulty", "faulty", ""),
    ));
    let mut follower = Command::new(overseer_tests::cli_host::overseer_bin())
        .args([
            "events",
            "--follow",
            "--kind",
            "crash,restart",
            "--plugin",
            "faulty",
        ])
        .env("OVERSEER_CONTROL", &host.socket)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = mpsc::channel::<Value>();
    let stdout_of_follower = follower.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout_of_follower).lines() {
            let Ok(line) = line else { return };
            let _ = lines_tx.send(serde_json::from_str(&line).unwrap());
        }
    });
    // The follower is connected once the host counts it; until then a
    // crash could come before it and only be in the kept events (which it
    // prints too, so either way it sees it).
    stdout(&host.client(&["call", "counter", "\"increment\""]));
    let _ = host.client(&["call", "faulty", r#"{"crash":"trap"}"#]);
    let deadline = Instant::now() + overseer_tests::WAIT;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = lines
            .recv_timeout(left)
            .expect("the crash and the restart are followed");
        seen.push(event);
    }
    assert_eq!(seen[0]["event"], "crash_report", "{seen:?}");
    assert_eq!(seen[0]["plugin"], "faulty", "{seen:?}");
    assert!(seen[0]["seq"].is_u64(), "{seen:?}");
    assert_eq!(seen[1]["event"], "child_restarted", "{seen:?}");
    assert_eq!(seen[1]["old_pid"], seen[0]["pid"], "{seen:?}");

    // The kept events, filtered, without following.
    let kept = stdout(&host.client(&["events", "--kind", "start", "--plugin", "counter"]));
    let kept: Vec<Value> = kept
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["event"], "process_started");
    let all = stdout(&host.client(&["events"]));
    for kind in [
        "supervisor_started",
        "process_exited",
        "crash_report",
        "child_restarted",
    ] {
        assert!(
            all.contains(&format!("\"event\":\"{kind}\"")),
            "{kind} in {all}"
        );
    }
    let (code, err) = failure(&host.client(&["events", "--kind", "crashes"]));
    assert_eq!(code, 1);
    assert!(
        err.starts_with("overseer: unknown event kind 'crashes': use one of start, exit, crash"),
        "{err}"
    );

    // The stream ends when the host stops.
    stdout(&host.client(&["stop"]));
    let deadline = Instant::now() + overseer_tests::WAIT;
    let status = loop {
        if let Some(status) = follower.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the follower ends with the host");
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn json_logs_are_one_object_per_line_and_a_crash_report_is_one_of_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        overseer_tests::manifest_text(&worker("faulty", "faulty", "")),
    )
    .unwrap();
    let log = dir.path().join("run.log");
    let stderr = std::fs::File::create(&log).unwrap();
    let mut host = Host::start_with(
        dir,
        &["--log-format", "json"],
        std::process::Stdio::from(stderr),
    );
    let _ = host.client(&["call", "faulty", r#"{"crash":"panic"}"#]);
    let lines = || -> Vec<Value> {
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
            })
            .collect()
    };
    // The socket is up (so the crash can happen) a moment before `run`
    // logs that it is running: wait for both lines.
    poll_until("the crash report and the start line are logged", || {
        let all = lines();
        all.iter().any(|l| l["message"] == "crash report")
            && all.iter().any(|l| {
                l["message"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("overseer: running")
            })
    });
    let all = lines();
    let report = all.iter().find(|l| l["message"] == "crash report").unwrap();
    assert_eq!(report["level"], "ERROR", "{report}");
    assert_eq!(report["plugin"], "faulty", "{report}");
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("asked to panic"),
        "{report}"
    );
    assert!(
        report["backtrace"]
            .as_str()
            .unwrap()
            .contains("faulty::crash"),
        "{report}"
    );
    assert_eq!(report["handling"], r#"call {"crash":"panic"}"#, "{report}");
    assert!(
        all.iter().any(|l| l["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("overseer: running")),
        "the start line is an event too"
    );
    stdout(&host.client(&["stop"]));
    assert!(host.wait().success());
    lines(); // every line, to the last, is JSON
}

#[test]
fn top_ranks_a_process_stuck_in_a_callback_first() {
    let host = Host::start(&format!(
        "{}{}",
        worker("counter", "counter", ""),
        worker("faulty", "faulty", "limits = { cpu_ms = 4000 }"),
    ));
    let socket = host.socket.clone();
    let busy = std::thread::spawn(move || {
        std::process::Command::new(overseer_tests::cli_host::overseer_bin())
            .args([
                "call",
                "faulty",
                r#"{"crash":"loop"}"#,
                "--timeout",
                "20000",
            ])
            .env("OVERSEER_CONTROL", socket)
            .output()
            .unwrap()
    });
    poll_until("faulty is seen running the loop", || {
        info(&host, "faulty")["status"] == "running"
    });
    let table = stdout(&host.client(&["top", "--by", "cpu", "--limit", "1"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("overseer top — 2 processes, by Cpu"),
        "{table}"
    );
    assert!(lines[1].starts_with("PID"), "{table}");
    let first: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(first[1], "faulty", "{table}");
    let cpu: f64 = first[3].parse().unwrap();
    assert!(cpu > 50.0, "a spinning callback is busy: {table}");
    assert_eq!(lines.len(), 4, "one row and the crash line: {table}");

    let by_memory = stdout(&host.client(&["top", "--once", "--by", "memory"]));
    assert!(by_memory.contains("counter@"), "{by_memory}");
    assert!(by_memory.contains("faulty@"), "{by_memory}");

    busy.join().unwrap();
    poll_until("the loop's crash is counted", || {
        stdout(&host.client(&["top", "--once", "--limit", "1"]))
            .contains("crashes among the last 100 reports: faulty 1")
    });
}

#[test]
fn info_lists_monitors_both_ways_and_links() {
    let host = Host::start(&format!(
        "{}{}",
        worker("counter", "counter", ""),
        worker("messenger", "messenger", ""),
    ));
    let counter = info(&host, "counter")["pid"].as_u64().unwrap();
    let messenger = info(&host, "messenger")["pid"].as_u64().unwrap();
    let monitor =
        stdout(&host.client(&["call", "messenger", &format!(r#"{{"monitor": {counter}}}"#)]));
    stdout(&host.client(&["call", "messenger", &format!(r#"{{"link": {counter}}}"#)]));
    let watcher = info(&host, "messenger");
    assert_eq!(
        watcher["monitors"]["items"],
        serde_json::json!([counter]),
        "{watcher}"
    );
    assert_eq!(
        watcher["links"]["items"],
        serde_json::json!([counter]),
        "{watcher}"
    );
    let watched = info(&host, "counter");
    assert_eq!(
        watched["monitored_by"]["items"],
        serde_json::json!([messenger]),
        "{watched}"
    );
    assert_eq!(
        watched["links"]["items"],
        serde_json::json!([messenger]),
        "{watched}"
    );

    let removed = stdout(&host.client(&[
        "call",
        "messenger",
        &format!(r#"{{"demonitor": {}}}"#, monitor.trim()),
    ]));
    assert_eq!(removed, "true\n");
    assert_eq!(info(&host, "messenger")["monitors"]["total"], 0);
    assert_eq!(info(&host, "counter")["monitored_by"]["total"], 0);
}
