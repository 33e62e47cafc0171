//! Bad input, generated: thousands of broken components (truncated,
//! flipped, random, and random valid code from wasm-smith) to load and to
//! reload, random manifests to the parser, random JSON to every control
//! route. The host never panics, every error is one line, and the running
//! plugin keeps serving.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arbitrary::Unstructured;
use overseer::application::parse_manifest;
use overseer::runtime::{HostConfig, PluginVersion, Runtime};
use overseer_tests::build;
use overseer_tests::hostile::{http, serve_control, stage};
use serde_json::{Value, json};

/// A small, seeded generator: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn up_to(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max);
        self.bytes(n)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Counts panics in the host's threads from now on (a failing assertion
/// in a test's own thread is not the host's).
fn count_panics() -> Arc<AtomicUsize> {
    const TESTS: &[&str] = &[
        "broken_builds_are_refused_in_one_line_and_change_nothing",
        "random_manifests_get_one_line_and_never_a_panic",
        "random_json_to_every_route_gets_one_line",
    ];
    let panics = Arc::new(AtomicUsize::new(0));
    let seen = panics.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        if !thread.name().is_some_and(|name| TESTS.contains(&name)) {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        previous(info);
    }));
    panics
}

fn one_line(error: &str) {
    assert!(!error.is_empty(), "an empty error");
    assert!(
        !error.contains('\n'),
        "an error of more than one line: {error}"
    );
}

/// A broken build: `good` truncated, flipped, or replaced, or random code.
fn broken_build(rng: &mut Rng, good: &[u8], i: usize) -> Vec<u8> {
    match i % 5 {
        0 => good[..rng.below(good.len())].to_vec(),
        1 => {
            let mut bytes = good.to_vec();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(bytes.len());
                bytes[at] ^= 1 << rng.below(8);
            }
            bytes
        }
        2 => {
            let n = rng.below(4096);
            let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
            bytes.extend(rng.bytes(n));
            bytes
        }
        3 => rng.up_to(512),
        _ => {
            // Random valid code in a component that exports nothing.
            let seed = rng.bytes(4096);
            let config = wasm_smith::Config {
                max_funcs: 20,
                max_instructions: 50,
                ..wasm_smith::Config::default()
            };
            let module = wasm_smith::Module::new(config, &mut Unstructured::new(&seed))
                .map(|m| m.to_bytes())
                .unwrap_or_default();
            let mut component = wasm_encoder::ComponentBuilder::default();
            component.core_module_raw(None, &module);
            component.finish()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_builds_are_refused_in_one_line_and_change_nothing() {
    let panics = count_panics();
    let runtime = Runtime::new(HostConfig {
        max_processes: 16,
        spare_slots: 16,
        ..HostConfig::default()
    })
    .expect("the engine starts");
    let good = std::fs::read(build("counter")).expect("the counter build");
    let dir = tempfile::tempdir().expect("a folder");
    let mut rng = Rng(7);
    let mut refused = 0;
    for i in 0..2000 {
        let bytes = broken_build(&mut rng, &good, i);
        let path = dir.path().join(format!("broken{}.wasm", i % 8));
        std::fs::write(&path, &bytes).expect("written");
        match PluginVersion::load(&runtime, &path).await {
            Ok(_) => {} // a flip in a custom section, say
            Err(err) => {
                one_line(&err.to_string());
                refused += 1;
            }
        }
    }
    assert!(refused > 1900, "only {refused} of 2000 refused");

    // Reloads of the running counter: each refused, the counter serves on
    // with its state.
    let plugins = overseer_tests::PluginDir::with(&["counter"]);
    let app = plugins
        .start(
            "watch = false",
            &overseer_tests::worker("c", "counter", ""),
            64,
        )
        .await;
    let mut value = 0;
    for i in 0..300 {
        let bytes = good[..rng.below(good.len())].to_vec();
        let path = dir.path().join("reload.wasm");
        std::fs::write(&path, &bytes).expect("written");
        if let Err(err) = app.reloader().reload("counter", Some(&path)).await {
            one_line(&err.to_string());
        }
        if i % 30 == 0 {
            value += 1;
            assert_eq!(app.call("c", json!("increment")).await, Ok(json!(value)));
        }
    }
    assert_eq!(app.call("c", json!("get")).await, Ok(json!(value)));
    assert_eq!(panics.load(Ordering::SeqCst), 0, "the host panicked");
}

/// A manifest line, mutated.
fn mutate_line(rng: &mut Rng, line: &str) -> String {
    const SNIPPETS: &[&str] = &[
        "\"",
        "[",
        "]",
        "{",
        "}",
        "=",
        "-1",
        "18446744073709551616",
        "\"../x.wasm\"",
        "true",
        "[[supervisor.children]]",
        "[plugin.x.wasi]",
        "type = \"pool\"",
        "\u{0}",
        "é",
        "#",
        "restart = \"sometimes\"",
        "limits = { cpu_ms = 18446744073709551615 }",
        "\n",
    ];
    match rng.below(4) {
        0 => String::new(),
        1 => format!("{line}{}", rng.pick(SNIPPETS)),
        2 => rng.pick(SNIPPETS).to_string(),
        _ => {
            let cut = rng.below(line.len() + 1);
            line.get(..cut).unwrap_or(line).to_string()
        }
    }
}

#[test]
fn random_manifests_get_one_line_and_never_a_panic() {
    let panics = count_panics();
    let examples = std::fs::read_dir(overseer_tests::workspace_root().join("examples"))
        .expect("the examples")
        .map(|e| e.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .map(|path| std::fs::read_to_string(path).expect("read"))
        .collect::<Vec<_>>();
    let mut rng = Rng(11);
    let mut errors = 0;
    for i in 0..5000 {
        let base = rng.pick(&examples);
        let text: String = if i % 10 == 0 {
            String::from_utf8_lossy(&rng.up_to(2000)).into_owned()
        } else {
            base.lines()
                .map(|line| {
                    if rng.below(8) == 0 {
                        mutate_line(&mut rng, line)
                    } else {
                        line.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        if let Err(err) = parse_manifest(Path::new("random.toml"), &text) {
            one_line(&err.to_string());
            errors += 1;
        }
    }
    assert!(errors > 2500, "only {errors} of 5000 refused");
    assert_eq!(panics.load(Ordering::SeqCst), 0, "the parser panicked");
}

/// A random JSON value, often shaped like a request.
fn random_json(rng: &mut Rng, depth: usize) -> Value {
    const KEYS: &[&str] = &[
        "target",
        "request",
        "msg",
        "timeout_ms",
        "plugin",
        "file",
        "input",
        "supervisor",
        "spec",
        "pid",
        "id",
        "restart",
        "shutdown",
        "limits",
        "cpu_ms",
        "memory_mb",
        "name",
        "type",
        "children",
        "args",
        "via",
        "registry",
        "key",
    ];
    const STRINGS: &[&str] = &[
        "h",
        "jobs",
        "tasks",
        "nobody",
        "",
        "../x",
        "/etc/passwd",
        "counter",
        "wordcount",
        "hostile.wasm",
        "permanent",
        "brutal_kill",
        "dynamic_supervisor",
        "0",
        "é\u{0}",
    ];
    match rng.below(if depth > 3 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!(rng.below(100_000)),
        4 => json!(rng.pick(STRINGS)),
        5 => Value::Array(
            (0..rng.below(4))
                .map(|_| random_json(rng, depth + 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.below(6))
                .map(|_| (rng.pick(KEYS).to_string(), random_json(rng, depth + 1)))
                .collect(),
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_json_to_every_route_gets_one_line() {
    let panics = count_panics();
    let app = stage(
        "supervisors = [\"jobs\", \"tasks\"]\ntasks = [\"*\"]",
        "",
        "",
    )
    .await;
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("control.sock");
    let server = serve_control(&app, &path).await;
    const ROUTES: &[(&str, &str)] = &[
        ("POST", "/call"),
        ("POST", "/cast"),
        ("POST", "/send"),
        ("POST", "/state"),
        ("GET", "/tree"),
        ("POST", "/stop"),
        ("POST", "/reload"),
        ("GET", "/versions"),
        ("GET", "/events?after=x"),
        ("POST", "/task"),
        ("POST", "/start_child"),
        ("POST", "/terminate_child"),
        ("POST", "/which_children"),
        ("POST", "/count_children"),
        ("POST", "/info"),
        ("GET", "/crashes?last=x"),
        ("GET", "/crashes?plugin=%00"),
        ("GET", "/events?kind=crash,%FF"),
        // Streams with a query that does not parse: refused at once.
        ("GET", "/events/stream?after=x"),
        ("GET", "/events/stream?kind=nosuch"),
        ("POST", "/no_such_route"),
    ];
    let mut rng = Rng(13);
    for i in 0..3000 {
        let (method, route) = *rng.pick(ROUTES);
        let body = if i % 7 == 0 {
            rng.up_to(300)
        } else {
            random_json(&mut rng, 0).to_string().into_bytes()
        };
        let (status, reply) = http(&path, method, route, &body).await;
        assert_ne!(
            status,
            0,
            "{method} {route} {}: no answer",
            String::from_utf8_lossy(&body)
        );
        assert!(
            status < 500 || status == 502 || status == 503 || status == 504,
            "{status} {reply}"
        );
        if status >= 400 && !reply.is_empty() {
            let error: Value = serde_json::from_str(&reply)
                .unwrap_or_else(|_| panic!("{method} {route}: not JSON: {reply}"));
            one_line(error["error"].as_str().unwrap_or_else(|| panic!("{reply}")));
        }
    }
    assert_eq!(app.call("c", json!("increment")).await, Ok(json!(1)));
    assert_eq!(panics.load(Ordering::SeqCst), 0, "the host panicked");
    server.shutdown().await;
}
