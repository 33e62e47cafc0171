//! Several applications on one host, through the command line: each with
//! its own tree and env, started after those it depends on whatever the
//! order given, listed by `overseer apps`, started, stopped and restarted
//! with their dependencies (`overseer app`), and the host following each
//! one's type when its root supervisor gives up. Cycles and missing
//! dependencies are one line at start.

use std::io::Read;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use overseer_tests::build;
use overseer_tests::cli_host::{Host, failure, overseer_bin, poll_until, stdout};

/// Application `name`'s manifest: `[app]` lines `app`, its env's
/// greeting, one faulty worker `worker` (registered under that name) and
/// the root's `max_restarts`.
fn manifest(name: &str, app: &str, worker: &str, max_restarts: u32) -> String {
    format!(
        r#"[app]
name = "{name}"
plugins = "plugins"
{app}

[app.env]
greeting = "from {name}"

[app.upgrade]
watch = false

[plugin.faulty]
env = ["greeting"]

[supervisor]
max_restarts = {max_restarts}
[[supervisor.children]]
id = "{worker}"
plugin = "faulty"
name = "{worker}"
"#
    )
}

/// A folder with the plugins and `files` (name, text) in it.
fn folder(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::copy(build("faulty"), plugins.join("faulty.wasm")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// base; shop depends on base; web (temporary, gives up at the first
/// crash) depends on shop. Given in reverse: web first.
fn three_apps() -> Host {
    let dir = folder(&[
        (
            "app.toml",
            manifest(
                "web",
                "depends_on = [\"shop\"]\ntype = \"temporary\"",
                "wf",
                0,
            ),
        ),
        (
            "shop.toml",
            manifest(
                "shop",
                "depends_on = [\"base\"]\n[[app.pools]]\nname = \"shop_pool\"\nplugin = \"faulty\"\nsize = 2",
                "sf",
                0,
            ),
        ),
        ("base.toml", manifest("base", "", "bf", 3)),
    ]);
    let shop = dir.path().join("shop.toml").display().to_string();
    let base = dir.path().join("base.toml").display().to_string();
    Host::start_with(dir, &[&shop, &base], Stdio::null())
}

fn apps(host: &Host) -> Vec<(String, String)> {
    let list: Value = serde_json::from_str(&stdout(&host.client(&["apps", "--json"]))).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn running(names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|n| {
            let (name, status) = n.split_once('=').unwrap();
            (name.to_string(), status.to_string())
        })
        .collect()
}

#[test]
fn applications_start_in_dependency_order_each_with_its_own_env() {
    let host = three_apps();
    assert_eq!(
        apps(&host),
        running(&["base=running", "shop=running", "web=running"])
    );
    let events = stdout(&host.client(&["events", "--kind", "application_started"]));
    let started: Vec<String> = events
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["app"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(started, ["base", "shop", "web"], "dependencies first");
    let text = stdout(&host.client(&["apps"]));
    assert!(
        text.lines().any(|l| l.starts_with("web ")
            && l.contains("running")
            && l.contains("temporary")
            && l.ends_with("depends on shop")),
        "{text}"
    );

    // Each application's processes read its own env, and hear its changes.
    assert_eq!(
        host.call("bf", json!({"config": "greeting"})),
        json!("from base")
    );
    assert_eq!(
        host.call("sf", json!({"config": "greeting"})),
        json!("from shop")
    );
    let (code, err) = failure(&host.client(&["config"]));
    assert_eq!(code, 1);
    assert!(
        err.ends_with("name the application: this host runs base, shop, web"),
        "{err}"
    );
    let shop = stdout(&host.client(&["config", "shop"]));
    assert!(shop.contains("greeting = \"from shop\""), "{shop}");
    stdout(&host.client(&["config", "set", "shop", "greeting", "hi"]));
    assert_eq!(host.call("sf", json!({"config": "greeting"})), json!("hi"));
    assert_eq!(
        host.call("bf", json!({"config": "greeting"})),
        json!("from base")
    );
    assert_eq!(host.call("bf", json!("config_changes")), json!([]));
    assert_eq!(
        host.call("sf", json!("config_changes")),
        json!([{"changed": {"greeting": "hi"}, "removed": []}])
    );

    // The tree: each application's root under one node, or one of them.
    let tree: Value = serde_json::from_str(&stdout(&host.client(&["tree", "--json"]))).unwrap();
    let roots: Vec<&str> = tree["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        (tree["id"].as_str(), roots),
        (Some("overseer"), vec!["base", "shop", "web"])
    );
    let shop_tree: Value =
        serde_json::from_str(&stdout(&host.client(&["tree", "--app", "shop", "--json"]))).unwrap();
    assert_eq!(shop_tree["id"], "root");
    assert_eq!(shop_tree["children"][0]["id"], "shop_pool", "pools first");
    assert_eq!(shop_tree["children"][1]["id"], "sf");
}

#[test]
fn app_stop_start_and_restart_follow_the_dependencies() {
    let host = three_apps();
    let out = stdout(&host.client(&["app", "stop", "shop"]));
    assert_eq!(out, "stopped web first (depending on shop), then shop\n");
    assert_eq!(
        apps(&host),
        running(&["base=running", "shop=stopped", "web=stopped"])
    );
    let (_, err) = failure(&host.client(&["call", "sf", "\"ping\""]));
    assert!(err.contains("no such process"), "{err}");

    let out = stdout(&host.client(&["app", "start", "web"]));
    assert_eq!(out, "started shop first (web depends on it), then web\n");
    assert_eq!(host.call("wf", json!("ping")), json!("pong"));

    let sf = host.call("sf", json!("ping"));
    assert_eq!(sf, json!("pong"));
    let out = stdout(&host.client(&["app", "restart", "shop"]));
    assert_eq!(
        out,
        "stopped web first (depending on shop), then shop\nstarted shop, then web (depending on shop)\n"
    );
    assert_eq!(
        apps(&host),
        running(&["base=running", "shop=running", "web=running"])
    );
    // The application's pool came back with it.
    assert_eq!(host.call("pool:shop_pool", json!("ping")), json!("pong"));

    let (code, err) = failure(&host.client(&["app", "stop", "nope"]));
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "overseer: no application 'nope' (this host has: base, shop, web)"
        )
    );
    let (code, err) = failure(&host.client(&["app", "start", "base"]));
    assert_eq!(
        (code, err.as_str()),
        (1, "overseer: application 'base' is already running")
    );
}

#[test]
fn a_temporary_application_stops_alone_and_a_permanent_one_takes_the_host() {
    let mut host = three_apps();
    // web is temporary: its root gives up at the first crash, and only web
    // stops.
    let _ = host.client(&["cast", "wf", &json!({"crash": "trap"}).to_string()]);
    poll_until("web stops", || {
        apps(&host) == running(&["base=running", "shop=running", "web=stopped"])
    });
    let events = stdout(&host.client(&["events", "--kind", "application_stopped"]));
    assert!(
        events.contains("\"app\":\"web\"") && events.contains("\"takes_the_host\":false"),
        "{events}"
    );
    assert_eq!(host.call("sf", json!("ping")), json!("pong"));

    // shop is permanent: when its root gives up, the host stops the
    // others and exits with an error.
    let _ = host.client(&["cast", "sf", &json!({"crash": "trap"}).to_string()]);
    let status = host.wait();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn a_permanent_application_giving_up_is_one_line_and_exit_1() {
    let dir = folder(&[("app.toml", manifest("solo", "", "w", 0))]);
    let mut host = Host::start_with(dir, &[], Stdio::piped());
    let _ = host.client(&["cast", "w", &json!({"crash": "trap"}).to_string()]);
    assert_eq!(host.wait().code(), Some(1));
    let mut err = String::new();
    host.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains("application 'solo' stopped: its root supervisor gave up after too many restarts (reason: shutdown); it is permanent, so the host stops"),
        "{err}"
    );
}

#[test]
fn cycles_and_missing_dependencies_are_one_line_at_start() {
    let run = |files: &[(&str, String)]| {
        let dir = folder(files);
        let paths: Vec<_> = files.iter().map(|(n, _)| dir.path().join(n)).collect();
        let out = Command::new(overseer_bin())
            .arg("run")
            .args(&paths)
            .env_remove("OVERSEER_CONTROL")
            .env("RUST_LOG", "off")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let (code, err) = failure(&out);
        (code, err, dir)
    };
    let (code, err, _dir) = run(&[
        ("a.toml", manifest("a", "depends_on = [\"b\"]", "x", 3)),
        ("b.toml", manifest("b", "depends_on = [\"c\"]", "y", 3)),
        ("c.toml", manifest("c", "depends_on = [\"a\"]", "z", 3)),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.ends_with("the applications depend on each other in a circle: a -> b -> c -> a"),
        "{err}"
    );
    let (code, err, dir) = run(&[("a.toml", manifest("a", "depends_on = [\"zzz\"]", "x", 3))]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!(
            "overseer: {}: app.depends_on: no application 'zzz' is given (given: a)",
            dir.path().join("a.toml").display()
        )
    );
    let (code, err, _dir) = run(&[("a.toml", manifest("a", "depends_on = [\"a\"]", "x", 3))]);
    assert_eq!(code, 1);
    assert!(
        err.ends_with("a.toml:4: app.depends_on[0]: an application cannot depend on itself"),
        "{err}"
    );
    let (code, err, _dir) = run(&[
        ("a.toml", manifest("a", "", "x", 3)),
        ("b.toml", manifest("a", "", "y", 3)),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("b.toml: application 'a' is already given by "),
        "{err}"
    );
    let failing = manifest("b", "depends_on = [\"a\"]", "y", 3).replace(
        "name = \"y\"\n",
        "name = \"y\"\nargs = { fail_init = true }\n",
    );
    let (code, err, _dir) = run(&[("a.toml", manifest("a", "", "x", 3)), ("b.toml", failing)]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("overseer: application 'b' did not start: failed to start child 'y': ")
            && err.ends_with("init failed on purpose"),
        "{err}"
    );
}
