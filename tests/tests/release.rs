//! Several plugins upgraded as one release (`reload --all`): every build
//! checked first, one canary per plugin, then the rest; a failed canary
//! puts back the canaries already changed, and a rollback of one plugin on
//! probation takes the whole release back. Through the library, and once
//! through the command line.

use std::process::Stdio;

use overseer::process::{Event, Target};
use overseer_tests::cli_host::{Host, failure, stdout};
use overseer_tests::{PluginDir, TestApp, build};
use serde_json::{Value, json};

fn child(id: &str, plugin: &str) -> String {
    format!("[[supervisor.children]]\nid = \"{id}\"\nplugin = \"{plugin}.wasm\"\nname = \"{id}\"\n")
}

fn vsn_of(app: &TestApp, name: &str) -> String {
    app.node
        .whereis(&Target::Name(name.into()))
        .and_then(|pid| app.node.processes().info(pid))
        .map(|info| info.vsn)
        .unwrap_or_default()
}

fn bytes(plugin: &str) -> Vec<u8> {
    std::fs::read(build(plugin)).unwrap()
}

/// A folder with `alpha` (faulty) and `zeta` (counter) under other names,
/// so that alpha's canary runs before zeta's.
fn two_plugins() -> PluginDir {
    let dir = PluginDir::with(&[]);
    std::fs::copy(build("faulty"), dir.file("alpha")).unwrap();
    std::fs::copy(build("counter"), dir.file("zeta")).unwrap();
    dir
}

fn supervisor() -> String {
    format!(
        "max_restarts = 20\n{}{}{}{}",
        child("a1", "alpha"),
        child("a2", "alpha"),
        child("z1", "zeta"),
        child("z2", "zeta")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_upgrades_every_changed_plugin() {
    let dir = two_plugins();
    let mut app = dir.start("watch = false", &supervisor(), 16).await;
    app.call("z1", json!({"add": 5})).await.unwrap();
    dir.rename_over("alpha", &bytes("faulty_v2"));
    dir.rename_over("zeta", &bytes("counter_v2"));
    let report = app.reloader().reload_all(None).await.unwrap();
    let release = report.release.clone().unwrap();
    assert!(release.starts_with("release-"), "{release}");
    let moved: Vec<(String, String, usize)> = report
        .upgraded
        .iter()
        .map(|r| (r.plugin.clone(), r.to.clone(), r.changed.len()))
        .collect();
    assert_eq!(
        moved,
        [
            ("alpha".into(), "1.1.0".into(), 2),
            ("zeta".into(), "2.0.0".into(), 2)
        ]
    );
    for (name, vsn) in [
        ("a1", "1.1.0"),
        ("a2", "1.1.0"),
        ("z1", "2.0.0"),
        ("z2", "2.0.0"),
    ] {
        assert_eq!(vsn_of(&app, name), vsn, "{name}");
    }
    assert_eq!(app.state("z1").await["value"], json!(5), "state carried");
    let named = app
        .wait_for("the release event", |e| match e {
            Event::Released { release, plugins } => Some((release.clone(), plugins.clone())),
            _ => None,
        })
        .await;
    assert_eq!(named.0, release);
    assert_eq!(named.1, ["alpha 1.0.0 -> 1.1.0", "zeta 1.0.0 -> 2.0.0"]);

    let again = app.reloader().reload_all(None).await.unwrap();
    assert_eq!(again.release, None);
    assert_eq!(again.unchanged, ["alpha", "zeta"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_canary_changes_nothing_anywhere() {
    let dir = two_plugins();
    let mut app = dir.start("watch = false", &supervisor(), 16).await;
    app.call("a1", json!("ping")).await.unwrap();
    app.call("z1", json!({"add": 3})).await.unwrap();
    dir.rename_over("alpha", &bytes("faulty_v2"));
    dir.rename_over("zeta", &bytes("counter_bad_change_error"));
    let err = app
        .reloader()
        .reload_all(None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("zeta: upgrade from 1.0.0 to 9.9.9-bad abandoned"),
        "{err}"
    );
    // alpha's canary had changed: it went back, with its state.
    for name in ["a1", "a2", "z1", "z2"] {
        assert_eq!(vsn_of(&app, name), "1.0.0", "{name}");
    }
    assert_eq!(app.state("a1").await, json!({"pings": 1}));
    assert_eq!(app.state("z1").await, json!({"value": 3}));
    for plugin in ["alpha", "zeta"] {
        let slot = app.node.plugins().get(plugin).unwrap();
        assert_eq!(slot.current().vsn(), "1.0.0", "{plugin} stays current");
    }
    let (plugin, reason) = app
        .wait_for("the abandoned release", |e| match e {
            Event::ReleaseAbandoned { plugin, reason, .. } => {
                Some((plugin.clone(), reason.clone()))
            }
            _ => None,
        })
        .await;
    assert_eq!(plugin, "zeta");
    assert!(
        reason.contains("refusing to take over the state"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_on_probation_takes_the_whole_release_back() {
    let dir = two_plugins();
    let mut app = dir
        .start(
            "watch = false\nprobation_crashes = 2\nprobation_ms = 60000",
            &supervisor(),
            16,
        )
        .await;
    app.call("a1", json!("ping")).await.unwrap();
    dir.rename_over("alpha", &bytes("faulty_v2"));
    dir.rename_over("zeta", &bytes("counter_bad_init_trap"));
    let report = app.reloader().reload_all(None).await.unwrap();
    let release = report.release.unwrap();
    assert_eq!(vsn_of(&app, "z1"), "9.9.9-bad");
    assert_eq!(vsn_of(&app, "a1"), "1.1.0");

    // z1 stops; each restart of the bad build traps in init: zeta rolls
    // back, and alpha with it.
    let _ = app.call("z1", json!("no such call")).await;
    let (named, cause, others) = app
        .wait_for("the release rollback", |e| match e {
            Event::ReleaseRolledBack {
                release,
                plugin,
                plugins,
            } => Some((release.clone(), plugin.clone(), plugins.clone())),
            _ => None,
        })
        .await;
    assert_eq!((named.as_str(), cause.as_str()), (release.as_str(), "zeta"));
    assert_eq!(others, ["alpha"]);
    app.eventually("every process runs 1.0.0 again", async || {
        ["a1", "a2", "z1", "z2"]
            .iter()
            .all(|name| vsn_of(&app, name) == "1.0.0")
    })
    .await;
    assert_eq!(
        app.state("a1").await,
        json!({"pings": 1}),
        "state carried back"
    );
    assert_eq!(
        app.node.plugins().get("alpha").unwrap().current().vsn(),
        "1.0.0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_folder_upgrades_the_plugins_it_holds() {
    let dir = two_plugins();
    let app = dir.start("watch = false", &supervisor(), 16).await;
    let release = tempfile::tempdir().unwrap();
    std::fs::copy(build("faulty_v2"), release.path().join("alpha.wasm")).unwrap();
    std::fs::write(release.path().join("notes.txt"), "not a build").unwrap();
    let report = app
        .reloader()
        .reload_all(Some(release.path()))
        .await
        .unwrap();
    assert!(report.release.is_some());
    let upgraded: Vec<&str> = report.upgraded.iter().map(|r| r.plugin.as_str()).collect();
    assert_eq!(upgraded, ["alpha"]);
    assert_eq!(report.unchanged, ["zeta"]);
    assert_eq!(vsn_of(&app, "a1"), "1.1.0");
    assert_eq!(vsn_of(&app, "z1"), "1.0.0");

    // A build named after no plugin: nothing changes.
    std::fs::copy(build("counter_v2"), release.path().join("zeta.wasm")).unwrap();
    std::fs::copy(build("counter_v2"), release.path().join("nobody.wasm")).unwrap();
    let err = app
        .reloader()
        .reload_all(Some(release.path()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("release folder ") && err.ends_with("nobody.wasm names no running plugin"),
        "{err}"
    );
    assert_eq!(vsn_of(&app, "z1"), "1.0.0");
}

#[test]
fn reload_all_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::copy(build("faulty"), plugins.join("alpha.wasm")).unwrap();
    std::fs::copy(build("counter"), plugins.join("zeta.wasm")).unwrap();
    std::fs::write(
        dir.path().join("app.toml"),
        format!(
            "[app]\nname = \"rel\"\n[app.upgrade]\nwatch = false\n[supervisor]\n{}",
            supervisor()
        ),
    )
    .unwrap();
    let host = Host::start_with(dir, &[], Stdio::null());
    let plugins = host.dir().join("plugins");
    assert_eq!(
        stdout(&host.client(&["reload", "--all"])),
        "nothing to upgrade: every plugin runs the build in its file\nunchanged: alpha, zeta\n"
    );
    std::fs::write(plugins.join("zeta.wasm"), bytes("counter_bad_change_error")).unwrap();
    let (code, err) = failure(&host.client(&["reload", "--all"]));
    assert_eq!(code, 1);
    assert!(
        err.starts_with("overseer: zeta: upgrade from 1.0.0 to 9.9.9-bad abandoned"),
        "{err}"
    );
    std::fs::write(plugins.join("zeta.wasm"), bytes("counter_v2")).unwrap();
    std::fs::write(plugins.join("alpha.wasm"), bytes("faulty_v2")).unwrap();
    let out = stdout(&host.client(&["reload", "--all"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("release-")
            && lines[0].ends_with(": 2 plugins upgraded as one release"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("alpha: upgraded 1.0.0 -> 1.1.0"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("zeta: upgraded 1.0.0 -> 2.0.0"),
        "{out}"
    );
    let events = stdout(&host.client(&["events", "--kind", "released"]));
    let json: Value = serde_json::from_str(events.lines().last().unwrap()).unwrap();
    assert_eq!(json["event"], "released");
    assert!(
        lines[0].starts_with(json["release"].as_str().unwrap()),
        "{json}"
    );
    let usage = host.client(&["reload", "--all", "zeta"]);
    assert_eq!(usage.status.code(), Some(2), "a plugin and --all conflict");
    let usage = host.client(&["reload", "zeta", "--from", "/tmp"]);
    assert_eq!(usage.status.code(), Some(2), "--from needs --all");

    // Builds from a release folder: the plugin folder is left alone.
    let release = tempfile::tempdir().unwrap();
    std::fs::write(release.path().join("zeta.wasm"), bytes("counter")).unwrap();
    let from = release.path().display().to_string();
    let out = stdout(&host.client(&["reload", "--all", "--from", &from]));
    assert!(out.contains("\nzeta: downgraded 2.0.0 -> 1.0.0"), "{out}");
    assert!(out.ends_with("unchanged: alpha\n"), "{out}");
    assert_eq!(
        std::fs::read(plugins.join("zeta.wasm")).unwrap(),
        bytes("counter_v2"),
        "the plugin folder is not touched"
    );
}
