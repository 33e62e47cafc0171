//! `overseer apply`: a running host brought to an edited manifest through
//! the command line. Children removed, replaced, updated in place and
//! added (nested ones too), supervisor flags, env changes told to the
//! processes, a new plugin build upgraded; `--dry-run` changes nothing; a
//! failing step undoes the steps before it; changes apply does not make,
//! and bad manifests, are one line each and change nothing.

use std::path::Path;

use serde_json::{Value, json};

use overseer_tests::build;
use overseer_tests::cli_host::{Host, failure, poll_until, stdout};

/// A manifest of app `shop`: `[app.env]` of `env`, then `[supervisor]`
/// of `supervisor`. Plugins in the folder `plugins` beside it.
fn manifest(env: &str, supervisor: &str) -> String {
    format!(
        r#"[app]
name = "shop"
plugins = "plugins"

[app.env]
{env}

[app.upgrade]
watch = false

[plugin.faulty]
env = ["greeting", "limit", "fresh"]

[supervisor]
{supervisor}"#
    )
}

const ENV_V1: &str = "greeting = \"hello\"\nlimit = 3";

/// Version 1: a, b, c and a nested supervisor `inner` with x; the root
/// gives up after one restart in 5 s.
const TREE_V1: &str = r#"max_restarts = 1
[[supervisor.children]]
id = "a"
plugin = "faulty"
name = "a"
[[supervisor.children]]
id = "b"
plugin = "counter"
name = "b"
[[supervisor.children]]
id = "c"
plugin = "faulty"
name = "c"
args = { terminate_ms = 0 }
[[supervisor.children]]
id = "inner"
type = "supervisor"
[[supervisor.children.children]]
id = "x"
plugin = "counter"
name = "x"
"#;

/// Version 2: b removed, a transient with a new shutdown, d added after
/// a, c's args changed, y added to inner, max_restarts 10.
const TREE_V2: &str = r#"max_restarts = 10
[[supervisor.children]]
id = "a"
plugin = "faulty"
name = "a"
restart = "transient"
shutdown = 100
[[supervisor.children]]
id = "d"
plugin = "counter"
name = "d"
[[supervisor.children]]
id = "c"
plugin = "faulty"
name = "c"
args = { terminate_ms = 1 }
[[supervisor.children]]
id = "inner"
type = "supervisor"
[[supervisor.children.children]]
id = "x"
plugin = "counter"
name = "x"
[[supervisor.children.children]]
id = "y"
plugin = "counter"
name = "y"
"#;

fn host(env: &str, tree: &str) -> Host {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    for plugin in ["counter", "faulty"] {
        std::fs::copy(build(plugin), plugins.join(format!("{plugin}.wasm"))).unwrap();
    }
    std::fs::write(dir.path().join("app.toml"), manifest(env, tree)).unwrap();
    Host::start_in(dir)
}

/// Write `text` as the edited manifest `name` beside the running one.
fn edit(host: &Host, name: &str, text: &str) -> String {
    let path = host.dir().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The tree as (path of ids, pid, vsn) for every node, in start order.
fn tree(host: &Host) -> Vec<(String, Option<u64>, Option<String>)> {
    let tree: Value = serde_json::from_str(&stdout(&host.client(&["tree", "--json"]))).unwrap();
    let mut out = Vec::new();
    walk(&tree, "", &mut out);
    out
}

fn walk(node: &Value, prefix: &str, out: &mut Vec<(String, Option<u64>, Option<String>)>) {
    let path = format!("{prefix}{}", node["id"].as_str().unwrap());
    out.push((
        path.clone(),
        node["pid"].as_u64(),
        node["vsn"].as_str().map(str::to_string),
    ));
    for child in node["children"].as_array().into_iter().flatten() {
        walk(child, &format!("{path}/"), out);
    }
}

fn ids(host: &Host) -> Vec<String> {
    tree(host).into_iter().map(|(id, _, _)| id).collect()
}

fn pid_of(host: &Host, id: &str) -> Option<u64> {
    tree(host)
        .into_iter()
        .find(|(path, _, _)| path == id)
        .and_then(|(_, pid, _)| pid)
}

#[test]
fn apply_reconciles_the_tree_the_env_and_the_builds() {
    let host = host(ENV_V1, TREE_V1);
    let before = tree(&host);
    assert_eq!(
        ids(&host),
        [
            "root",
            "root/a",
            "root/b",
            "root/c",
            "root/inner",
            "root/inner/x"
        ]
    );
    std::fs::copy(build("counter_v2"), host.dir().join("plugins/counter.wasm")).unwrap();
    let edited = edit(
        &host,
        "app.v2.toml",
        &manifest("greeting = \"hello\"\nlimit = 5\nfresh = true", TREE_V2),
    );

    let plan = stdout(&host.client(&["apply", &edited, "--dry-run"]));
    let expected = [
        "plan for 'shop': 8 step(s)",
        "  1. config: set fresh, limit (config-change to the processes that may read them)",
        "  2. supervisor root: flags one_for_one 1/5s -> one_for_one 10/5s",
        "  3. stop worker 'b' of root (removed)",
        "  4. update 'a' of root in place: restart permanent -> transient shutdown 5000 -> 100",
        "  5. replace worker 'c' of root (args changed: stopped, then started anew)",
        "  6. start worker 'd' of root (after 'a')",
        "  7. start worker 'y' of root/inner (after 'x')",
        "  8. upgrade counter (new build in the plugin folder), as one release",
        "dry run: nothing changed",
    ];
    assert_eq!(plan.lines().collect::<Vec<_>>(), expected, "{plan}");
    assert_eq!(tree(&host), before, "a dry run changes nothing");
    assert_eq!(host.call("a", json!({"config": "limit"})), json!(3));

    let out = stdout(&host.client(&["apply", &edited]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..9],
        expected[..9],
        "the plan is printed first: {out}"
    );
    assert!(
        lines[9].starts_with("applied: 8 step(s), 2 process(es) told of the config change, plugins upgraded as release-"),
        "{out}"
    );
    assert_eq!(
        ids(&host),
        [
            "root",
            "root/a",
            "root/d",
            "root/c",
            "root/inner",
            "root/inner/x",
            "root/inner/y"
        ]
    );
    assert_eq!(
        pid_of(&host, "root/a"),
        before[1].1,
        "a was updated in place"
    );
    assert_ne!(pid_of(&host, "root/c"), before[3].1, "c was replaced");
    assert_eq!(
        pid_of(&host, "root/inner/x"),
        before[5].1,
        "x was left alone"
    );
    for (path, _, vsn) in tree(&host) {
        if ["root/d", "root/inner/x", "root/inner/y"].contains(&path.as_str()) {
            assert_eq!(vsn.as_deref(), Some("2.0.0"), "{path} runs the new build");
        }
    }
    let (_, err) = failure(&host.client(&["call", "b", "\"ping\""]));
    assert!(err.contains("no such process"), "{err}");
    // The env: what guests read, what config prints, and the change told.
    assert_eq!(host.call("a", json!({"config": "limit"})), json!(5));
    assert_eq!(
        host.call("a", json!("config_changes")),
        json!([{"changed": {"fresh": true, "limit": 5}, "removed": []}])
    );
    let config = stdout(&host.client(&["config"]));
    assert!(
        config
            .lines()
            .any(|l| l.starts_with("limit = 5 ") && l.ends_with("app.v2.toml:7 [app.env]")),
        "{config}"
    );
    // The new flags: two crashes within 5 s no longer stop the root.
    for _ in 0..2 {
        let c = pid_of(&host, "root/c");
        let _ = host.client(&["cast", "c", &json!({"crash": "trap"}).to_string()]);
        poll_until("c is restarted", || {
            pid_of(&host, "root/c").is_some_and(|pid| Some(pid) != c)
        });
    }
    assert_eq!(host.call("c", json!("ping")), json!("pong"));

    let events = stdout(&host.client(&["events", "--kind", "applied"]));
    assert_eq!(events.lines().count(), 1, "{events}");
    assert!(
        events.contains("stop worker 'b' of root (removed)"),
        "{events}"
    );

    let again = stdout(&host.client(&["apply", &edited]));
    assert_eq!(again, "'shop' already runs this manifest: nothing to do\n");
}

#[test]
fn a_failing_step_undoes_the_steps_before_it() {
    let host = host(ENV_V1, TREE_V1);
    let before = ids(&host);
    let b = pid_of(&host, "root/b");
    let failing = TREE_V1
        .replace("id = \"b\"", "id = \"b\"\nshutdown = 50")
        .replace("args = { terminate_ms = 0 }", "args = { terminate_ms = 2 }")
        + r#"[[supervisor.children]]
id = "z"
plugin = "faulty"
args = { fail_init = true }
"#;
    let failing = failing.replace(
        "[[supervisor.children]]\nid = \"a\"\nplugin = \"faulty\"\nname = \"a\"\n",
        "",
    );
    let edited = edit(
        &host,
        "bad.toml",
        &manifest("greeting = \"bye\"\nlimit = 3", &failing),
    );
    let out = host.client(&["apply", &edited]);
    let (code, err) = failure(&out);
    assert_eq!(code, 1);
    assert!(
        err.contains("start worker 'z' of root (after 'inner'): failed to start child")
            && err.contains("init failed on purpose")
            && err.ends_with("the 4 step(s) before it were undone: nothing was changed"),
        "{err}"
    );
    let plan = String::from_utf8(out.stdout).unwrap();
    assert!(plan.starts_with("plan for 'shop': 5 step(s)\n"), "{plan}");
    assert_eq!(ids(&host), before, "a is back in its place, z is gone");
    assert_eq!(pid_of(&host, "root/b"), b, "b's update was undone in place");
    assert_eq!(
        host.call("a", json!({"config": "greeting"})),
        json!("hello")
    );
    assert_eq!(
        host.call("c", json!("config_changes")),
        json!([{"changed": {"greeting": "hello"}, "removed": []}]),
        "c was replaced back (a fresh process), then told the env is back"
    );
    let config = stdout(&host.client(&["config"]));
    assert!(
        config
            .lines()
            .any(|l| l.starts_with("greeting = \"hello\"") && l.ends_with("app.toml:6 [app.env]")),
        "the env is back, source and all: {config}"
    );

    // The last step, a release, fails at its canary: the child added
    // before it is stopped again.
    std::fs::copy(
        build("counter_bad_change_trap"),
        host.dir().join("plugins/counter.wasm"),
    )
    .unwrap();
    let with_y = TREE_V1.replace(
        "id = \"x\"\nplugin = \"counter\"\nname = \"x\"\n",
        "id = \"x\"\nplugin = \"counter\"\nname = \"x\"\n[[supervisor.children.children]]\nid = \"y\"\nplugin = \"faulty\"\n",
    );
    let edited = edit(&host, "bad_build.toml", &manifest(ENV_V1, &with_y));
    let (code, err) = failure(&host.client(&["apply", &edited]));
    assert_eq!(code, 1);
    assert!(
        err.contains("upgrade counter (new build in the plugin folder), as one release: ")
            && err.contains("code-change crashed")
            && err.ends_with("the 1 step(s) before it were undone: nothing was changed"),
        "{err}"
    );
    assert_eq!(ids(&host), before, "y is gone again");
    for (path, _, vsn) in tree(&host) {
        if path == "root/b" {
            assert_eq!(vsn.as_deref(), Some("1.0.0"), "b runs the old build");
        }
    }
    let events = stdout(&host.client(&["events", "--kind", "apply_undone"]));
    assert_eq!(events.lines().count(), 2, "{events}");
    assert!(
        events.contains("\"step\":\"start worker 'z' of root (after 'inner')\""),
        "{events}"
    );
}

#[test]
fn changes_apply_does_not_make_and_bad_manifests_change_nothing() {
    let host = host(ENV_V1, TREE_V1);
    let before = tree(&host);
    let refused = |name: &str, text: &str, expected: &str| {
        let edited = edit(&host, name, text);
        let (code, err) = failure(&host.client(&["apply", &edited]));
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(expected), "{name}: {err}");
    };
    refused(
        "policy.toml",
        &manifest(ENV_V1, TREE_V1).replace("\"limit\", \"fresh\"", "\"limit\""),
        "apply cannot change [plugin.faulty] of a running host; nothing was changed",
    );
    refused(
        "renamed.toml",
        &manifest(ENV_V1, TREE_V1).replace("name = \"shop\"", "name = \"other\""),
        "no application 'other' on this host (it has: shop); nothing was changed",
    );
    let reordered = TREE_V1.replacen(
        "id = \"a\"\nplugin = \"faulty\"\nname = \"a\"",
        "id = \"b\"\nplugin = \"counter\"\nname = \"b\"",
        1,
    );
    let reordered = reordered.replacen(
        "id = \"b\"\nplugin = \"counter\"\nname = \"b\"\n[[supervisor.children]]\nid = \"c\"",
        "id = \"a\"\nplugin = \"faulty\"\nname = \"a\"\n[[supervisor.children]]\nid = \"c\"",
        1,
    );
    refused(
        "reordered.toml",
        &manifest(ENV_V1, &reordered),
        "the order of the children of root (a, b, c, inner to b, a, c, inner)",
    );
    refused(
        "malformed.toml",
        &manifest(
            ENV_V1,
            &TREE_V1.replace("id = \"c\"", "id = \"c\"\nrestart = \"always\""),
        ),
        "malformed.toml:27: supervisor.children[2].restart: unknown variant `always`",
    );
    refused(
        "missing.toml",
        &manifest(
            ENV_V1,
            &format!("{TREE_V1}[[supervisor.children]]\nid = \"n\"\nplugin = \"nope\"\n"),
        ),
        "plugin 'nope': ",
    );
    let (code, err) = failure(&host.client(&["apply", "/no/such/app.toml"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("/no/such/app.toml: cannot read manifest"),
        "{err}"
    );
    assert_eq!(tree(&host), before, "nothing changed");
    assert!(Path::new(&host.dir().join("app.toml")).exists());
}
