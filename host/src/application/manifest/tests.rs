//! The manifest's parsing and checks, line and field in every error.

use super::*;
use crate::application::ChildKind;
use crate::supervisor::Shutdown;

fn parse(text: &str) -> Result<Manifest, ManifestError> {
    parse_manifest(Path::new("app.toml"), text)
}

const HEAD: &str = "[app]\nname = \"t\"\n[supervisor]\n";

#[test]
fn a_bad_restart_names_line_and_field() {
    let text = format!(
        "{HEAD}[[supervisor.children]]\nid = \"a\"\nplugin = \"a.wasm\"\nrestart = \"always\"\n"
    );
    let err = parse(&text).unwrap_err();
    assert_eq!(err.line, 7, "{err}");
    assert_eq!(err.field, "supervisor.children[0].restart");
    assert!(
        err.to_string()
            .starts_with("app.toml:7: supervisor.children[0].restart: "),
        "{err}"
    );
    assert!(err.message.contains("always"), "{err}");
}

#[test]
fn upgrade_settings_default_and_parse() {
    let defaults = parse(HEAD).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(defaults.upgrade, UpgradeDecl::default());
    let text = "[app]\nname = \"t\"\n[app.upgrade]\nwatch = false\nprobation_crashes = 1\nprobation_ms = 500\n[supervisor]\n";
    let manifest = parse(text).unwrap_or_else(|e| panic!("{e}"));
    assert!(!manifest.upgrade.watch);
    assert_eq!(
        manifest.upgrade.probation,
        Some(ProbationPolicy {
            max_crashes: 1,
            window: Duration::from_millis(500)
        })
    );
    let off = "[app]\nname = \"t\"\n[app.upgrade]\nprobation = false\n[supervisor]\n";
    assert_eq!(parse(off).map(|m| m.upgrade.probation), Ok(None));
}

#[test]
fn pools_registries_and_dynamic_supervisors_parse() {
    let text = "[app]\nname = \"t\"\n[[app.registries]]\nname = \"r\"\nkeys = \"duplicate\"\n[[app.pools]]\nname = \"db\"\nplugin = \"c.wasm\"\nsize = 2\nstrategy = \"fifo\"\n[supervisor]\n[[supervisor.children]]\nid = \"d\"\ntype = \"dynamic_supervisor\"\nname = \"d\"\nmax_children = 4\nextra_args = { a = 1 }\n[[supervisor.children]]\nid = \"t\"\ntype = \"task_supervisor\"\n[[supervisor.children]]\nid = \"w\"\nplugin = \"c.wasm\"\nvia = { registry = \"r\", key = \"k\" }\n";
    let manifest = parse(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        manifest.registries,
        vec![("r".to_string(), Keys::Duplicate)]
    );
    assert_eq!(manifest.pools.len(), 1);
    assert_eq!(
        (manifest.pools[0].size, manifest.pools[0].max_overflow),
        (2, 10)
    );
    assert_eq!(manifest.pools[0].strategy, PoolStrategy::Fifo);
    let ChildKind::Dynamic(d) = &manifest.root.children[0].kind else {
        panic!("d is a dynamic supervisor")
    };
    assert_eq!(d.max_children, Some(4));
    assert_eq!(d.extra_args.as_deref(), Some(&br#"{"a":1}"#[..]));
    assert_eq!(d.name.as_deref(), Some("d"));
    let ChildKind::Worker(w) = &manifest.root.children[2].kind else {
        panic!("w is a worker")
    };
    assert_eq!(w.via.as_ref().map(|v| v.key.as_str()), Some("k"));
}

#[test]
fn misplaced_supervisor_keys_are_refused() {
    let dynamic_children = format!(
        "{HEAD}[[supervisor.children]]\nid = \"d\"\ntype = \"dynamic_supervisor\"\nstrategy = \"one_for_all\"\n"
    );
    let err = parse(&dynamic_children).unwrap_err();
    assert!(
        err.message.contains("a dynamic supervisor has no strategy"),
        "{err}"
    );
    let static_max = format!(
        "{HEAD}[[supervisor.children]]\nid = \"s\"\ntype = \"supervisor\"\nmax_children = 2\n"
    );
    let err = parse(&static_max).unwrap_err();
    assert!(
        err.message.contains("max_children and extra_args are for"),
        "{err}"
    );
    let bad_pool = "[app]\nname = \"t\"\n[[app.pools]]\nname = \"p\"\nplugin = \"c.wasm\"\nstrategy = \"random\"\n[supervisor]\n";
    let err = parse(bad_pool).unwrap_err();
    assert_eq!(
        (err.line, err.field.as_str()),
        (6, "app.pools[0].strategy"),
        "{err}"
    );
}

#[test]
fn an_unknown_upgrade_key_names_line_and_field() {
    let text = "[app]\nname = \"t\"\n[app.upgrade]\nwatched = true\n[supervisor]\n";
    let err = parse(text).unwrap_err();
    assert_eq!(
        (err.line, err.field.as_str()),
        (4, "app.upgrade.watched"),
        "{err}"
    );
}

#[test]
fn a_duplicate_id_is_refused() {
    let text = format!(
        "{HEAD}[[supervisor.children]]\nid = \"a\"\nplugin = \"a.wasm\"\n[[supervisor.children]]\nid = \"a\"\nplugin = \"b.wasm\"\n"
    );
    let err = parse(&text).unwrap_err();
    assert_eq!(err.field, "supervisor.children[1].id");
    assert_eq!(err.line, 7, "{err}");
}

#[test]
fn a_worker_needs_a_plugin() {
    let text = format!("{HEAD}[[supervisor.children]]\nid = \"a\"\n");
    let err = parse(&text).unwrap_err();
    assert_eq!(err.field, "supervisor.children[0].plugin");
}

#[test]
fn nested_supervisors_and_defaults() {
    let text = format!(
        "{HEAD}strategy = \"rest_for_one\"\n[[supervisor.children]]\nid = \"db\"\ntype = \"supervisor\"\nchildren = [{{ id = \"c1\", plugin = \"c.wasm\", shutdown = \"brutal_kill\" }}]\n"
    );
    let m = parse(&text).unwrap();
    assert_eq!(m.root.flags.strategy, Strategy::RestForOne);
    assert_eq!(m.root.flags.max_restarts, 3);
    let ChildKind::Supervisor(db) = &m.root.children[0].kind else {
        panic!("not a supervisor")
    };
    assert_eq!(m.root.children[0].shutdown, Shutdown::Infinity);
    assert_eq!(db.children[0].shutdown, Shutdown::BrutalKill);
}

#[test]
fn plugin_grants_parse_and_are_checked() {
    let text = format!(
        "[app]\nname = \"t\"\n[plugin.messenger]\nmessage = [\"c1\", \"session-*\"]\nlink_outside = true\n[plugin.faulty]\ntrusted = true\n{}",
        &HEAD[HEAD.find("[supervisor]").unwrap_or(0)..]
    );
    let manifest = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let messenger = &manifest.policies["messenger"].grants;
    assert!(messenger.message.allows("session-9") && !messenger.message.allows("c2"));
    assert!(messenger.link_outside && !messenger.trusted);
    assert!(manifest.policies["faulty"].grants.trusted);
    let bad_key = "[app]\nname = \"t\"\n[plugin.m]\nmesage = [\"x\"]\n[supervisor]\n";
    let err = parse(bad_key).unwrap_err();
    assert_eq!(
        (err.line, err.field.as_str()),
        (4, "plugin.m.mesage"),
        "{err}"
    );
    let bad_name = "[app]\nname = \"t\"\n[plugin.\"../x\"]\ntrusted = true\n[supervisor]\n";
    let err = parse(bad_name).unwrap_err();
    assert!(err.message.contains("letters, digits"), "{err}");
    let bad_pattern = "[app]\nname = \"t\"\n[plugin.m]\nmessage = [\"a*b\"]\n[supervisor]\n";
    let err = parse(bad_pattern).unwrap_err();
    assert!(err.message.contains("not a name pattern"), "{err}");
}

#[test]
fn wasi_grants_and_quotas_parse_and_are_checked() {
    let dir = std::env::temp_dir();
    let text = format!(
        "[app]\nname = \"t\"\n[plugin.m.quotas]\ntimers = 5\n[plugin.m.wasi]\n\
         dirs = [{{ host = {:?}, guest = \"/tmp\", write = true }}]\nenv = {{ A = \"1\" }}\n\
         allowed_outbound_hosts = [\"tcp://127.0.0.1:80\", \"udp://[::1]:*\"]\n[supervisor]\n",
        dir.display().to_string()
    );
    let manifest = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let policy = &manifest.policies["m"];
    assert_eq!(policy.quotas.timers, 5);
    assert_eq!(policy.wasi.dirs[0].guest, "/tmp");
    assert!(policy.wasi.dirs[0].write);
    assert_eq!(policy.wasi.env["A"], "1");
    assert_eq!(policy.wasi.outbound.len(), 2);
    let cases = [
        (
            "[plugin.m.wasi]\nallowed_outbound_hosts = [\"example.com:80\"]\n",
            "plugin.m.wasi.allowed_outbound_hosts[0]",
            "is not an outbound address",
        ),
        (
            "[plugin.m.wasi]\ndirs = [{ host = \"/no/such/folder\", guest = \"/d\" }]\n",
            "plugin.m.wasi.dirs[0].host",
            "is not a folder",
        ),
        (
            "[plugin.m.wasi]\ndirs = [{ host = \"/\", guest = \"d\" }]\n",
            "plugin.m.wasi.dirs[0].guest",
            "must be an absolute path",
        ),
        (
            "[plugin.m.quotas]\ntimer = 5\n",
            "plugin.m.quotas.timer",
            "unknown field",
        ),
    ];
    for (section, field, message) in cases {
        let text = format!("[app]\nname = \"t\"\n{section}[supervisor]\n");
        let err = parse(&text).unwrap_err();
        assert_eq!(err.field, field, "{err}");
        assert!(err.message.contains(message), "{err}");
        assert!(err.line > 0, "{err}");
    }
}

#[test]
fn syntax_errors_name_the_line() {
    let err = parse("[app]\nname = \n").unwrap_err();
    assert_eq!(err.line, 2, "{err}");
}

#[test]
fn env_overlays_parse_with_their_lines() {
    let text = format!(
        "[app]\nname = \"t\"\n[app.env]\nlimit = 3\n[env.prod]\nlimit = 50\n[env.dev]\nlimit = 1\n{}",
        &HEAD[HEAD.find("[supervisor]").unwrap_or(0)..]
    );
    let mut manifest = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(manifest.env.get("limit"), Some(&serde_json::json!(3)));
    let names: Vec<&String> = manifest.config.environments.keys().collect();
    assert_eq!(names, ["dev", "prod"]);
    manifest
        .configure(&ConfigLayers {
            environment: Some("prod".into()),
            ..ConfigLayers::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(manifest.env.get("limit"), Some(&serde_json::json!(50)));
    let entry = manifest.env.entries().remove(0);
    assert_eq!(
        entry.source.map(|s| s.to_string()).as_deref(),
        Some("app.toml:6 [env.prod]")
    );
}

#[test]
fn a_bad_environment_name_or_secret_names_its_line() {
    let text = format!(
        "[app]\nname = \"t\"\n[env.\"pr od\"]\nx = 1\n{}",
        &HEAD[HEAD.find("[supervisor]").unwrap_or(0)..]
    );
    let err = parse(&text).unwrap_err();
    assert_eq!(err.field, "env.pr od", "{err}");
    assert_eq!(err.line, 3, "{err}");
    let text = format!(
        "[app]\nname = \"t\"\n[app.env]\nkey = {{ file = \"no/such/secret\" }}\n{}",
        &HEAD[HEAD.find("[supervisor]").unwrap_or(0)..]
    );
    let err = parse(&text).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (4, "app.env.key"), "{err}");
    assert!(
        err.message
            .starts_with("cannot read secret file no/such/secret: "),
        "{err}"
    );
}
