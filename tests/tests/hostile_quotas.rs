//! The hostile suite, quotas: a plugin that floods, hoards or shouts is
//! stopped at its quota; it alone pays (an error, or its own crash naming
//! the quota), and its neighbours never notice.

use overseer::process::{Event, ExitReason, Pid};
use overseer_tests::hostile::{assert_contained, attack, stage};
use overseer_tests::json_sup;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_flood_stops_at_the_quota_for_the_sender() {
    let app = stage("", "", "").await;
    let mut counted = 0;
    let me = attack(&app, json!("pid")).await.expect("pid");
    // Attack 3: 4 MiB sent to itself, again and again.
    let huge = attack(
        &app,
        json!({"flood": {"to": me, "n": 1000, "bytes": 4 << 20}}),
    )
    .await
    .expect("the attacker answers");
    assert_eq!(huge["sent"], json!(0), "{huge}");
    let error = huge["error"].as_str().expect("refused");
    assert!(
        error.contains("quota: message_bytes: 4194306 bytes, at most 1048576 allowed"),
        "{error}"
    );
    // 1 MB at a time: the 64 MiB mailbox is full after 67.
    let flood = attack(
        &app,
        json!({"flood": {"to": me, "n": 1000, "bytes": 1_000_000}}),
    )
    .await
    .expect("the attacker answers");
    assert_eq!(flood["sent"], json!(67), "{flood}");
    let error = flood["error"].as_str().expect("refused");
    assert!(error.starts_with("mailbox full: "), "{error}");
    assert!(error.contains("quota: mailbox_bytes"), "{error}");
    // Small messages: the length quota.
    let many = attack(&app, json!({"flood": {"to": me, "n": 20_000, "bytes": 1}}))
        .await
        .expect("the attacker answers");
    assert_eq!(many["sent"], json!(10_000), "{many}");
    assert!(
        many["error"]
            .as_str()
            .is_some_and(|e| e.contains("quota: mailbox_len: at most 10000 at once")),
        "{many}"
    );
    // A full mailbox refuses the host's call too; it drains, and the
    // attacker carries on.
    app.eventually("the attacker's mailbox drains", async || {
        attack(&app, json!("ping")).await == Ok(json!("pong"))
    })
    .await;
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_reply_crashes_the_one_replying() {
    let mut app = stage("", "", "").await;
    let mut counted = 0;
    let h = app.pid("h");
    let reply = attack(&app, json!({"reply_mb": 9})).await;
    let error = reply.expect_err("no 9 MiB reply arrives");
    assert!(error.contains("quota: reply_bytes"), "{error}");
    let reason = app.wait_exit(h).await;
    assert_eq!(
        reason,
        format!(
            "quota: reply_bytes: {} bytes, at most {} allowed",
            (9 << 20) + 2,
            8 << 20
        )
    );
    app.wait_restart("h").await;
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timer_and_monitor_bombs_crash_the_bomber() {
    let mut app = stage("", "", "").await;
    let mut counted = 0;
    let h = app.pid("h");
    assert_eq!(attack(&app, json!({"timers": 1000})).await, Ok(json!(1000)));
    assert!(attack(&app, json!({"timers": 1})).await.is_err());
    assert_eq!(reported(&mut app).await, "timers");
    assert_eq!(
        app.wait_exit(h).await,
        "quota: timers: at most 1000 at once"
    );
    let h = app.wait_restart("h").await;
    assert_contained(&app, &mut counted).await;

    let bomb = json!({"monitors": {"pid": h.0, "n": 5000}});
    assert!(attack(&app, bomb).await.is_err());
    assert_eq!(reported(&mut app).await, "monitors");
    assert_eq!(
        app.wait_exit(h).await,
        "quota: monitors: at most 1000 at once"
    );
    app.wait_restart("h").await;
    assert_contained(&app, &mut counted).await;
}

/// The next quota the attacker was reported over.
async fn reported(app: &mut overseer_tests::TestApp) -> &'static str {
    app.wait_for("a quota report", |e| match e {
        Event::QuotaExceeded { plugin, quota, .. } if plugin == "hostile" => Some(*quota),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawn_bomb_stops_at_the_children_quota() {
    let app = stage(
        "supervisors = [\"jobs\"]\n[plugin.hostile.quotas]\nchildren = 5\nlinks = 2\nnames = 3\n",
        "",
        "",
    )
    .await;
    let mut counted = 0;
    let spec = json!({"id": "bomb", "plugin": "hostile.wasm", "restart": "temporary"});
    let bomb = attack(
        &app,
        json!({"spawn": {"sup": "jobs", "spec": spec, "n": 100}}),
    )
    .await
    .expect("the attacker answers");
    assert_eq!(bomb["started"], json!(5), "{bomb}");
    assert_eq!(bomb["error"], json!("quota: children: at most 5 at once"));
    // Its children are its own: it may link to them, up to its links quota.
    let children = json_sup(&app.node, "jobs")
        .which_children()
        .await
        .expect("jobs runs");
    let pids: Vec<u64> = children
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["pid"].as_u64())
        .collect();
    assert_eq!(pids.len(), 5);
    assert_eq!(
        attack(&app, json!({"link": pids[0]})).await,
        Ok(json!({"ok": "ok"}))
    );
    assert_eq!(
        attack(&app, json!({"link": pids[1]})).await,
        Ok(json!({"ok": "ok"}))
    );
    assert_eq!(
        attack(&app, json!({"link": pids[2]})).await,
        Ok(json!({"error": "quota: links: at most 2 at once"}))
    );
    // One of them gone, it may start one more.
    app.node.kill(Pid(pids[4]), ExitReason::Killed);
    app.eventually("the child is counted out", async || {
        attack(&app, json!({"start_child": {"sup": "jobs", "spec": spec}}))
            .await
            .is_ok_and(|r| r.get("ok").is_some())
    })
    .await;
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_flood_is_escaped_cut_and_rate_limited() {
    let mut app = stage("", "", "").await;
    let mut counted = 0;
    let h = app.pid("h");
    assert_eq!(
        attack(&app, json!({"log": {"n": 10_000, "bytes": 100}})).await,
        Ok(json!(10_000))
    );
    assert_eq!(
        attack(&app, json!({"log": {"n": 1, "bytes": 10_000}})).await,
        Ok(json!(1))
    );
    // What was printed: escaped, and at most a second's worth.
    let mut printed = 0;
    let mut lines = 0;
    while let Ok(event) = app.events.try_recv() {
        if let Event::GuestLog { pid, message, .. } = &*event
            && *pid == h
        {
            assert!(!message.contains('\n'), "a forged line: {message}");
            assert!(message.contains("\\nERROR forged line"), "{message}");
            assert!(message.len() <= 4096 + 32, "{} bytes", message.len());
            printed += message.len();
            lines += 1;
        }
    }
    assert!(lines > 0 && lines < 10_000, "{lines} lines printed");
    assert!(printed <= 2 * 64 * 1024, "{printed} bytes printed");
    // The next second says how many were dropped.
    let deadline = std::time::Instant::now() + overseer_tests::WAIT;
    loop {
        let _ = attack(&app, json!({"log": {"n": 1, "bytes": 1}})).await;
        let mut said = false;
        while let Ok(event) = app.events.try_recv() {
            said |= matches!(&*event, Event::GuestLog { pid, message, .. }
                if *pid == h && message.contains("log lines dropped (quota: log_bytes_per_s: 65536)"));
        }
        if said {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no word of the dropped lines"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_contained(&app, &mut counted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitors_die_with_the_process_that_held_them() {
    let mut app = stage("link_outside = true", "", "").await;
    let mut counted = 0;
    let c = app.pid("c");
    let h = app.pid("h");
    let monitored_by = |app: &overseer_tests::TestApp| {
        app.node
            .processes()
            .info(c)
            .map_or(0, |info| info.monitored_by)
    };
    let bomb = json!({"monitors": {"pid": c.0, "n": 1000}});
    assert_eq!(attack(&app, bomb).await, Ok(json!(1000)));
    assert_eq!(monitored_by(&app), 1000);
    // The bomber crashes (a timer too many): its monitors go with it.
    assert!(attack(&app, json!({"timers": 1001})).await.is_err());
    app.wait_exit(h).await;
    app.eventually("c is watched by nobody", async || monitored_by(&app) == 0)
        .await;
    assert_contained(&app, &mut counted).await;
}
