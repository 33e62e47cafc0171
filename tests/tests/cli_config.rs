//! Configuration through the command line: `run --env` overlays,
//! `OVERSEER_<APP>_<KEY>` variables and `--set` in that precedence, secrets
//! from files, `overseer config` naming each value's source, and `config
//! set|unset` reaching the processes through `config-change`, a trap in it
//! being a crash like any other. Bad layers are one line each, and nothing
//! starts.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use overseer_tests::cli_host::{Host, failure, overseer_bin, poll_until, stdout};
use overseer_tests::plugins_dir;

/// A manifest for app `shop` with a base env, a `prod` overlay and a
/// secret, and one `faulty` worker that may read everything but `hidden`.
fn manifest() -> String {
    format!(
        r#"[app]
name = "shop"
plugins = {plugins:?}

[app.env]
greeting = "hello"
limit = 3
db = {{ host = "localhost", pool = 2 }}
password = {{ file = "secrets/db" }}
hidden = "not for faulty"

[env.prod]
limit = 50
db = {{ pool = 20 }}

[app.upgrade]
watch = false

[plugin.faulty]
env = ["greeting", "limit", "db", "password", "crash", "fresh"]

[supervisor]
max_restarts = 10
[[supervisor.children]]
id = "faulty"
plugin = "faulty.wasm"
name = "faulty"
"#,
        plugins = plugins_dir().display().to_string()
    )
}

fn app_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.toml"), manifest()).unwrap();
    std::fs::create_dir(dir.path().join("secrets")).unwrap();
    std::fs::write(dir.path().join("secrets/db"), "s3cret\n").unwrap();
    dir
}

#[test]
fn layers_apply_in_order_and_config_names_each_source() {
    let host = Host::start_with_env(
        app_dir(),
        &[
            "--env",
            "prod",
            "--set",
            "greeting=bonjour",
            "--set",
            "db.user=ada",
        ],
        &[
            ("OVERSEER_SHOP_DB__POOL", "30"),
            ("OVERSEER_SHOP_GREETING", "ignored: --set wins"),
            ("OVERSEER_OTHER_LIMIT", "1"),
        ],
        Stdio::null(),
    );
    assert_eq!(
        host.call("faulty", json!({"config": "greeting"})),
        json!("bonjour")
    );
    assert_eq!(host.call("faulty", json!({"config": "limit"})), json!(50));
    assert_eq!(
        host.call("faulty", json!({"config": "db"})),
        json!({"host": "localhost", "pool": 30, "user": "ada"})
    );
    assert_eq!(
        host.call("faulty", json!({"config": "password"})),
        json!("s3cret")
    );

    let text = stdout(&host.client(&["config"]));
    let line = |key: &str| -> String {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
            .to_string()
    };
    assert!(text.starts_with("# shop (environment prod)\n"), "{text}");
    assert!(line("db.host").ends_with("app.toml:8 [app.env]"), "{text}");
    assert!(line("limit").contains("= 50 "), "{text}");
    assert!(line("limit").ends_with("app.toml:13 [env.prod]"), "{text}");
    assert!(
        line("db.pool").ends_with("# $OVERSEER_SHOP_DB__POOL"),
        "{text}"
    );
    assert!(line("greeting").ends_with("# --set"), "{text}");
    assert!(line("db.user").ends_with("# --set"), "{text}");
    assert!(
        line("password").starts_with("password = \"<secret>\""),
        "the secret is not shown: {text}"
    );
    assert!(
        line("password").contains("# secret file secrets/db, named at /")
            && line("password").ends_with("/app.toml:9 [app.env]"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");

    let json: Value =
        serde_json::from_str(&stdout(&host.client(&["config", "shop", "--json"]))).unwrap();
    assert_eq!(json["app"], "shop");
    assert_eq!(json["environment"], "prod");
    let pool = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "db.pool")
        .cloned()
        .unwrap();
    assert_eq!(pool["value"], 30);
    assert_eq!(pool["source"], "$OVERSEER_SHOP_DB__POOL");

    let (code, err) = failure(&host.client(&["config", "nope"]));
    assert_eq!(code, 1);
    assert_eq!(err, "overseer: no application 'nope' (running: shop)");
}

#[test]
fn config_set_and_unset_reach_the_processes() {
    let host = Host::start_in(app_dir());
    let out = stdout(&host.client(&["config", "set", "shop", "greeting", "hi there"]));
    assert_eq!(out, "shop: set greeting; 1 process told of 'greeting'\n");
    let out = stdout(&host.client(&["config", "set", "shop", "db.pool", "7"]));
    assert_eq!(out, "shop: set db.pool; 1 process told of 'db'\n");
    let out = stdout(&host.client(&["config", "set", "shop", "hidden", "still hidden"]));
    assert_eq!(
        out, "shop: set hidden; 0 processes told of 'hidden'\n",
        "faulty may not read it"
    );
    let out = stdout(&host.client(&["config", "unset", "shop", "limit"]));
    assert_eq!(out, "shop: unset limit; 1 process told of 'limit'\n");
    assert_eq!(
        host.call("faulty", json!("config_changes")),
        json!([
            {"changed": {"greeting": "hi there"}, "removed": []},
            {"changed": {"db": {"host": "localhost", "pool": 7}}, "removed": []},
            {"changed": {}, "removed": ["limit"]},
        ])
    );
    assert_eq!(
        host.call("faulty", json!({"config": "greeting"})),
        json!("hi there")
    );
    let text = stdout(&host.client(&["config"]));
    assert!(
        text.lines()
            .any(|l| l.starts_with("db.pool = 7 ") && l.ends_with("# overseer config set")),
        "{text}"
    );
    assert!(!text.contains("\nlimit = "), "{text}");

    for (args, expected) in [
        (
            vec!["config", "set", "nope", "a", "1"],
            "overseer: no application 'nope' (running: shop)",
        ),
        (
            vec!["config", "unset", "shop", "nothing"],
            "overseer: application 'shop' has no config key 'nothing'",
        ),
        (
            vec!["config", "set", "shop", "greeting.x", "1"],
            "overseer: config set greeting.x: greeting is not a table, so it has no keys",
        ),
    ] {
        let (code, err) = failure(&host.client(&args));
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(err, expected, "{args:?}");
    }

    // A trap in config-change is a crash: reported, restarted.
    let before = stdout(&host.client(&["info", "faulty", "--json"]));
    let before: Value = serde_json::from_str(&before).unwrap();
    stdout(&host.client(&["config", "set", "shop", "crash", "panic"]));
    poll_until("the crash is reported", || {
        let crashes = stdout(&host.client(&["crashes", "--plugin", "faulty", "--json"]));
        crashes.contains("config-change of crash")
    });
    poll_until("faulty is restarted", || {
        let out = host.client(&["info", "faulty", "--json"]);
        out.status.success()
            && serde_json::from_slice::<Value>(&out.stdout).unwrap()["pid"] != before["pid"]
    });
    stdout(&host.client(&["config", "unset", "shop", "crash"]));
    assert_eq!(host.call("faulty", json!("ping")), json!("pong"));
}

#[test]
fn bad_layers_are_one_line_and_nothing_starts() {
    let run = |dir: &tempfile::TempDir, options: &[&str]| {
        let out = Command::new(overseer_bin())
            .arg("run")
            .arg(dir.path().join("app.toml"))
            .args(options)
            .env_remove("OVERSEER_CONTROL")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{options:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        let last = err.lines().last().unwrap_or_default().to_string();
        assert!(
            !dir.path().join(".overseer/control.sock").exists(),
            "{options:?}"
        );
        last
    };
    let dir = app_dir();
    let manifest = dir.path().join("app.toml").display().to_string();
    assert_eq!(
        run(&dir, &["--env", "staging"]),
        format!("overseer: --env staging: {manifest} has no [env.staging] section (it has: prod)")
    );
    assert_eq!(
        run(&dir, &["--set", "greeting"]),
        "overseer: --set 'greeting': expected KEY=VALUE (KEY may be a dotted path, e.g. db.pool=10)"
    );
    assert_eq!(
        run(&dir, &["--set", "limit.max=1"]),
        "overseer: --set limit.max=1: limit is not a table, so it has no keys"
    );
    std::fs::remove_file(dir.path().join("secrets/db")).unwrap();
    let err = run(&dir, &[]);
    assert!(
        err.starts_with(&format!(
            "overseer: {manifest}:9: app.env.password: cannot read secret file secrets/db: "
        )),
        "{err}"
    );
}
