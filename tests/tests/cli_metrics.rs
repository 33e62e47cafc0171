//! `overseer run --metrics ADDR`: a Prometheus scrape over real TCP whose
//! numbers move as calls, crashes, restarts and upgrades happen.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use overseer_tests::cli_host::{Host, poll_until, stdout};
use overseer_tests::{build, manifest_text, worker};

/// `GET /metrics` on `address`: the status line and the body.
fn scrape(address: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: overseer\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    (head.to_string(), body.to_string())
}

/// The value of the sample named exactly `series` (with its labels).
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().unwrap())
}

#[test]
fn metrics_move_with_calls_crashes_restarts_and_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        manifest_text(&format!(
            "{}{}",
            worker("counter", "counter", ""),
            worker("faulty", "faulty", "")
        )),
    )
    .unwrap();
    let log = dir.path().join("run.log");
    let stderr = std::fs::File::create(&log).unwrap();
    let host = Host::start_with(dir, &["--metrics", "127.0.0.1:0"], Stdio::from(stderr));
    poll_until("run prints the metrics address", || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("metrics on http://")
    });
    let text = std::fs::read_to_string(&log).unwrap();
    let address = text
        .split_once("metrics on http://")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap()
        .to_string();

    let (head, body) = scrape(&address);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("application/openmetrics-text"), "{head}");
    let counter = r#"{plugin="counter",vsn="1.0.0"}"#;
    assert_eq!(
        sample(&body, &format!("overseer_processes{counter}")),
        Some(1.0)
    );
    assert_eq!(
        sample(&body, &format!("overseer_calls_total{counter}")),
        Some(0.0)
    );
    assert_eq!(
        sample(&body, "overseer_host_processes"),
        Some(2.0),
        "{body}"
    );
    assert!(
        sample(&body, "overseer_pool_slots_in_use").unwrap() >= 2.0,
        "{body}"
    );

    for _ in 0..5 {
        stdout(&host.client(&["call", "counter", "\"increment\""]));
    }
    stdout(&host.client(&["cast", "counter", "\"increment\""]));
    poll_until("the cast is counted", || {
        sample(
            &scrape(&address).1,
            &format!("overseer_casts_total{counter}"),
        ) == Some(1.0)
    });
    let (_, body) = scrape(&address);
    assert_eq!(
        sample(&body, &format!("overseer_calls_total{counter}")),
        Some(5.0)
    );
    assert_eq!(
        sample(
            &body,
            &format!("overseer_call_duration_seconds_count{counter}")
        ),
        Some(5.0),
        "{body}"
    );
    assert!(
        sample(&body, &format!("overseer_process_memory_bytes{counter}")).unwrap() > 0.0,
        "{body}"
    );

    // A crash: counted by kind, its restart by supervisor, the crashed
    // process's call folded into its plugin's count.
    let _ = host.client(&["call", "faulty", r#"{"crash":"trap"}"#]);
    let faulty = r#"{plugin="faulty",vsn="1.0.0"}"#;
    poll_until("the crash and the restart are counted", || {
        let body = scrape(&address).1;
        sample(
            &body,
            r#"overseer_crashes_total{plugin="faulty",vsn="1.0.0",kind="trap"}"#,
        ) == Some(1.0)
            && sample(
                &body,
                r#"overseer_restarts_total{supervisor="root",plugin="faulty"}"#,
            ) == Some(1.0)
    });
    let (_, body) = scrape(&address);
    assert_eq!(
        sample(&body, &format!("overseer_calls_total{faulty}")),
        Some(1.0)
    );
    assert_eq!(
        sample(&body, &format!("overseer_processes{faulty}")),
        Some(1.0)
    );
    assert!(
        sample(
            &body,
            r#"overseer_supervisor_restart_window{supervisor="root"}"#
        )
        .unwrap()
            > 0.0,
        "{body}"
    );

    // An upgrade: counted, and calls after it count under the new vsn while
    // the old vsn's count stays.
    let v2 = build("counter_v2");
    stdout(&host.client(&["reload", "counter", "--file", &v2.display().to_string()]));
    stdout(&host.client(&["call", "counter", "\"increment\""]));
    let (_, body) = scrape(&address);
    assert_eq!(
        sample(&body, &format!("overseer_calls_total{counter}")),
        Some(5.0)
    );
    assert_eq!(
        sample(
            &body,
            r#"overseer_calls_total{plugin="counter",vsn="2.0.0"}"#
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, &format!("overseer_processes{counter}")),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &body,
            r#"overseer_upgrades_total{plugin="counter",outcome="upgraded"}"#
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(
            &body,
            r#"overseer_code_change_pause_seconds_count{plugin="counter",vsn="2.0.0"}"#
        ),
        Some(1.0),
        "{body}"
    );
    // Labels name plugins, vsns, supervisors and kinds, never processes.
    assert!(!body.contains("pid="), "{body}");

    // A bad address is one line, and nothing starts.
    let out = std::process::Command::new(overseer_tests::cli_host::overseer_bin())
        .args(["run", "/nonexistent.toml", "--metrics", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
}
