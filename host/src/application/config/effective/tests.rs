//! Layers in order, sources named, secrets read and hidden.

use std::path::PathBuf;

use serde_json::json;

use super::*;

fn decl() -> ConfigDecl {
    ConfigDecl {
        file: PathBuf::from("app.toml"),
        dir: PathBuf::from("."),
        base: vec![
            ("greeting".into(), json!("hi"), 5),
            ("limit".into(), json!(3), 6),
            ("db".into(), json!({"host": "localhost", "pool": 2}), 7),
            ("max-rate".into(), json!(10), 8),
        ],
        environments: [(
            "prod".to_string(),
            vec![
                ("limit".into(), json!(50), 12),
                ("db".into(), json!({"pool": 20}), 13),
            ],
        )]
        .into_iter()
        .collect(),
    }
}

fn build(layers: &ConfigLayers) -> EffectiveConfig {
    EffectiveConfig::build("my-app", &decl(), layers).unwrap_or_else(|e| panic!("{e}"))
}

fn entry(config: &EffectiveConfig, key: &str) -> ConfigEntry {
    config
        .entries()
        .into_iter()
        .find(|e| e.key == key)
        .unwrap_or_else(|| panic!("no {key}"))
}

#[test]
fn each_layer_wins_over_the_one_before() {
    let layers = ConfigLayers {
        environment: Some("prod".into()),
        variables: vec![
            ("OVERSEER_MY_APP_DB__POOL".into(), "30".into()),
            ("OVERSEER_MY_APP_GREETING".into(), "hello".into()),
            ("OVERSEER_MY_APP_MAX_RATE".into(), "12".into()),
            ("OVERSEER_OTHER_LIMIT".into(), "1".into()),
        ],
        sets: vec!["greeting=bonjour".into(), "db.user=ada".into()],
    };
    let config = build(&layers);
    assert_eq!(
        Value::Object(config.values().clone()),
        json!({
            "greeting": "bonjour",
            "limit": 50,
            "db": {"host": "localhost", "pool": 30, "user": "ada"},
            "max-rate": 12,
        })
    );
    let manifest = |line| ConfigSource::Manifest {
        file: "app.toml".into(),
        line,
    };
    assert_eq!(entry(&config, "db.host").source, Some(manifest(7)));
    assert_eq!(
        entry(&config, "limit").source,
        Some(ConfigSource::Overlay {
            environment: "prod".into(),
            file: "app.toml".into(),
            line: 12
        })
    );
    assert_eq!(
        entry(&config, "db.pool").source,
        Some(ConfigSource::Variable {
            name: "OVERSEER_MY_APP_DB__POOL".into()
        })
    );
    assert_eq!(entry(&config, "greeting").source, Some(ConfigSource::Set));
    assert_eq!(entry(&config, "greeting").value, json!("bonjour"));
    assert_eq!(config.environment(), Some("prod"));
}

#[test]
fn without_layers_the_manifest_stands() {
    let config = build(&ConfigLayers::default());
    assert_eq!(config.get("limit"), Some(&json!(3)));
    assert_eq!(
        config.get("db"),
        Some(&json!({"host": "localhost", "pool": 2}))
    );
}

#[test]
fn bad_layers_are_one_line_each() {
    let err = |layers: ConfigLayers| {
        EffectiveConfig::build("my-app", &decl(), &layers)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(ConfigLayers {
            environment: Some("staging".into()),
            ..ConfigLayers::default()
        }),
        "--env staging: app.toml has no [env.staging] section (it has: prod)"
    );
    assert_eq!(
        err(ConfigLayers {
            sets: vec!["nokey".into()],
            ..ConfigLayers::default()
        }),
        "--set 'nokey': expected KEY=VALUE (KEY may be a dotted path, e.g. db.pool=10)"
    );
    assert_eq!(
        err(ConfigLayers {
            sets: vec!["greeting.x=1".into()],
            ..ConfigLayers::default()
        }),
        "--set greeting.x=1: greeting is not a table, so it has no keys"
    );
    assert_eq!(
        err(ConfigLayers {
            variables: vec![("OVERSEER_MY_APP_".into(), "1".into())],
            ..ConfigLayers::default()
        }),
        "$OVERSEER_MY_APP_: no key after the application's prefix"
    );
}

#[test]
fn secrets_come_from_files_and_are_not_shown() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(dir.path().join("secrets")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("secrets/db"), "s3cret\n").unwrap_or_else(|e| panic!("{e}"));
    let mut decl = decl();
    decl.dir = dir.path().to_path_buf();
    decl.base
        .push(("password".into(), json!({"file": "secrets/db"}), 9));
    let config = EffectiveConfig::build("my-app", &decl, &ConfigLayers::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.get("password"), Some(&json!("s3cret")));
    let shown = entry(&config, "password");
    assert_eq!(shown.value, json!("<secret>"));
    assert_eq!(shown.secret_file.as_deref(), Some("secrets/db"));

    decl.base
        .push(("token".into(), json!({"file": "secrets/missing"}), 10));
    let err = EffectiveConfig::build("my-app", &decl, &ConfigLayers::default())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("app.toml:10 [app.env]: token: cannot read secret file secrets/missing: "),
        "{err}"
    );
}

#[test]
fn a_change_at_run_time_is_named_and_can_be_undone() {
    let config = build(&ConfigLayers::default());
    let (changed, top) = config
        .with_value("db.pool", "9")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(top, "db");
    assert_eq!(
        changed.get("db"),
        Some(&json!({"host": "localhost", "pool": 9}))
    );
    assert_eq!(
        entry(&changed, "db.pool").source,
        Some(ConfigSource::Changed)
    );
    let (removed, top, gone) = changed
        .without("limit")
        .unwrap_or_else(|| panic!("no limit"));
    assert_eq!((top.as_str(), gone), ("limit", true));
    assert_eq!(removed.get("limit"), None);
    assert!(removed.without("nothing").is_none());
}

/// `apply` takes the keys the manifest changed, with their sources, and
/// leaves the others as they run (a `config set` kept).
#[test]
fn adopting_keys_takes_values_and_sources_and_keeps_the_rest() {
    let running = build(&ConfigLayers::default());
    let (running, _) = running.with_value("greeting", "hello").expect("set");
    let prod = build(&ConfigLayers {
        environment: Some("prod".into()),
        ..ConfigLayers::default()
    });
    let mut gone_decl = decl();
    gone_decl.base.retain(|(key, _, _)| key != "max-rate");
    let without =
        EffectiveConfig::build("my-app", &gone_decl, &ConfigLayers::default()).expect("builds");
    let base = build(&ConfigLayers::default());
    assert_eq!(base.differing_keys(&prod), ["db", "limit"]);
    assert_eq!(base.differing_keys(&without), ["max-rate"]);

    let adopted = running.adopt(&prod, &base.differing_keys(&prod));
    assert_eq!(adopted.get("limit"), Some(&json!(50)));
    assert_eq!(
        adopted.get("db"),
        Some(&json!({"host": "localhost", "pool": 20}))
    );
    assert_eq!(adopted.get("greeting"), Some(&json!("hello")), "kept");
    assert_eq!(
        entry(&adopted, "db.pool").source,
        entry(&prod, "db.pool").source,
        "the overlay's line"
    );
    let adopted = adopted.adopt(&without, &["max-rate".to_string()]);
    assert_eq!(adopted.get("max-rate"), None);
    assert!(adopted.entries().iter().all(|e| e.key != "max-rate"));
}
