//! Overseer beside the BEAM, row by row: the same statistic measured the
//! same way (median with median, p99 with p99, the same key count for
//! lookups, the same child count for memory), and their ratio.

use serde_json::{Value, json};

/// One row: what is compared, both figures, and Overseer's over the
/// BEAM's. `better` says which way is good.
fn row(what: &str, unit: &str, better: &str, overseer: Option<f64>, beam: Option<f64>) -> Value {
    let ratio = match (overseer, beam) {
        (Some(o), Some(b)) if b != 0.0 => Some((o / b * 100.0).round() / 100.0),
        _ => None,
    };
    json!({
        "what": what,
        "unit": unit,
        "better": better,
        "overseer": overseer,
        "beam": beam,
        "overseer_to_beam": ratio,
    })
}

/// The first element of `list` whose fields match `pick`.
fn find(list: &Value, pick: impl Fn(&Value) -> bool) -> &Value {
    list.as_array()
        .and_then(|items| items.iter().find(|v| pick(v)))
        .unwrap_or(&Value::Null)
}

fn us(ns: &Value) -> Option<f64> {
    ns.as_f64().map(|ns| ns / 1000.0)
}

/// The rows for the sections in `ours`, with the BEAM's figures from
/// `beam` (the output of [`crate::beam::run`]) when it ran.
pub fn rows(ours: &Value, beam: &Value) -> Vec<Value> {
    let b = &beam["benches"];
    let mut rows = Vec::new();
    let call = &ours["call"];
    if !call.is_null() {
        let one = find(&b["genserver_call"]["results"]["configs"], |c| {
            c["clients"] == 1 && c["servers"] == 1
        });
        rows.push(row(
            "call round trip, one client, median",
            "µs",
            "lower",
            call["round_trip"]["median_us"].as_f64(),
            us(&one["latency"]["median_ns"]),
        ));
        rows.push(row(
            "call round trip, one client, p99",
            "µs",
            "lower",
            call["round_trip"]["p99_us"].as_f64(),
            us(&one["latency"]["p99_ns"]),
        ));
        rows.push(row(
            "calls per second, one client",
            "calls/s",
            "higher",
            call["calls_per_s_one_client"].as_f64(),
            one["calls_per_s"]["median"].as_f64(),
        ));
    }
    let cast = &ours["cast"];
    if !cast.is_null() {
        let one = find(&b["genserver_cast"]["results"]["configs"], |c| {
            c["clients"] == 1 && c["servers"] == 1
        });
        rows.push(row(
            "casts handled per second, one sender",
            "casts/s",
            "higher",
            cast["casts_per_s"].as_f64(),
            one["casts_per_s"]["median"].as_f64(),
        ));
    }
    let restart = &ours["restart"];
    if !restart.is_null() {
        let variants = &b["supervisor_restart"]["results"]["variants"];
        let long_lived = find(variants, |v| {
            v["variant"] == "call_raise" && v["fresh_sup_every"].is_null()
        });
        let fresh = find(variants, |v| {
            v["variant"] == "call_raise" && !v["fresh_sup_every"].is_null()
        });
        let ours = &restart["trap_to_replacement_answering"];
        rows.push(row(
            "restart: a wasm trap in a call (the BEAM: a raise) to the replacement answering, one supervisor, median",
            "µs",
            "lower",
            ours["median_us"].as_f64(),
            us(&long_lived["latency"]["median_ns"]),
        ));
        rows.push(row(
            "restart: a wasm trap in a call (the BEAM: a raise) to the replacement answering, one supervisor, p99",
            "µs",
            "lower",
            ours["p99_us"].as_f64(),
            us(&long_lived["latency"]["p99_ns"]),
        ));
        rows.push(row(
            "restart after a wasm trap, median; the BEAM with a fresh supervisor every 100 restarts",
            "µs",
            "lower",
            ours["median_us"].as_f64(),
            us(&fresh["latency"]["median_ns"]),
        ));
        rows.push(row(
            "restart after a Rust panic (the BEAM: a raise), median; the BEAM with a fresh supervisor every 100 restarts",
            "µs",
            "lower",
            restart["after_a_panic"]["trap_to_replacement_answering"]["median_us"].as_f64(),
            us(&fresh["latency"]["median_ns"]),
        ));
        rows.push(row(
            "restarts per second after wasm traps, one supervisor",
            "restarts/s",
            "higher",
            restart["restarts_per_s"].as_f64(),
            long_lived["restarts_per_s"].as_f64(),
        ));
        rows.push(row(
            "restarts per second after Rust panics (the BEAM: raises), one supervisor",
            "restarts/s",
            "higher",
            restart["after_a_panic"]["restarts_per_s"].as_f64(),
            long_lived["restarts_per_s"].as_f64(),
        ));
    }
    let dynamic = &ours["dynamic"];
    if !dynamic.is_null() {
        let dynsup = &b["dynsup_start_child"]["results"];
        let sup = &dynamic["dynamic_supervisor"];
        rows.push(row(
            "DynamicSupervisor start_child per second (same child count)",
            "starts/s",
            "higher",
            sup["starts_per_s"].as_f64(),
            dynsup["start_child_per_s"].as_f64(),
        ));
        rows.push(row(
            "memory per live child (Overseer: RSS; BEAM: erlang:memory total; same child count)",
            "bytes",
            "lower",
            sup["rss_per_child_bytes"].as_f64(),
            dynsup["memory_total_delta_per_child_bytes"].as_f64(),
        ));
        let registry = &b["registry"]["results"];
        let calls = &registry["call_pid_vs_via"];
        rows.push(row(
            "process to process call (wasm → wasm; BEAM: call by pid), median",
            "µs",
            "lower",
            dynamic["wasm_to_wasm"]["wasm_to_wasm_median_us"].as_f64(),
            us(&calls["pid"]["latency"]["median_ns"]),
        ));
        let lookup = find(&registry["ops"], |o| o["op"] == "lookup");
        rows.push(row(
            "registry lookup, each key once (same key count), median",
            "µs",
            "lower",
            dynamic["registry"]["lookup"]["median_us"].as_f64(),
            us(&lookup["latency"]["median_ns"]),
        ));
        rows.push(row(
            "call by via name, median",
            "µs",
            "lower",
            dynamic["registry"]["via_name_call"]["median_us"].as_f64(),
            us(&calls["via"]["latency"]["median_ns"]),
        ));
    }
    let upgrade = &ours["upgrade"];
    if !upgrade.is_null() {
        let rolling = find(&b["hot_code_swap"]["results"]["scenarios"], |s| {
            s["mode"] == "rolling" && s["clients"] == 0
        });
        let thousand = find(&upgrade["by_processes"], |u| u["processes"] == 1000);
        rows.push(row(
            "hot swap of 1,000 processes: pause per process, median",
            "µs",
            "lower",
            thousand["pause"]["median_us"].as_f64(),
            us(&rolling["per_process_pause"]["median_ns"]),
        ));
        rows.push(row(
            "hot swap of 1,000 processes: pause per process, p99",
            "µs",
            "lower",
            thousand["pause"]["p99_us"].as_f64(),
            us(&rolling["per_process_pause"]["p99_ns"]),
        ));
        rows.push(row(
            "hot swap of 1,000 processes: the whole round, median",
            "ms",
            "lower",
            thousand["upgrade_all_ms_median"].as_f64(),
            rolling["round_total_ms"]["median"].as_f64(),
        ));
    }
    rows.extend(floor_rows(&ours["floor"], b));
    rows
}

/// wasmtime alone beside the BEAM: where a row's ratio is over a target,
/// no host built on wasmtime meets that target on this machine.
fn floor_rows(floor: &Value, b: &Value) -> Vec<Value> {
    if floor.is_null() {
        return Vec::new();
    }
    let one = find(&b["genserver_call"]["results"]["configs"], |c| {
        c["clients"] == 1 && c["servers"] == 1
    });
    let fresh = find(&b["supervisor_restart"]["results"]["variants"], |v| {
        v["variant"] == "call_raise" && !v["fresh_sup_every"].is_null()
    });
    let dynsup = &b["dynsup_start_child"]["results"];
    let rolling = find(&b["hot_code_swap"]["results"]["scenarios"], |s| {
        s["mode"] == "rolling" && s["clients"] == 0
    });
    let restart =
        |kind: &str| floor[kind]["crash_to_fresh_instance_answering"]["median_us"].as_f64();
    vec![
        row(
            "wasmtime alone: starts per second (Store, instantiate, init; BEAM: start_child)",
            "starts/s",
            "higher",
            floor["starts"]["starts_per_s"].as_f64(),
            dynsup["start_child_per_s"].as_f64(),
        ),
        row(
            "wasmtime alone: memory per live instance (RSS; BEAM: erlang:memory total per child)",
            "bytes",
            "lower",
            floor["starts"]["rss_per_instance_bytes"].as_f64(),
            dynsup["memory_total_delta_per_child_bytes"].as_f64(),
        ),
        row(
            "wasmtime alone: a trap in a call to a fresh instance answering, median; the BEAM with a fresh supervisor",
            "µs",
            "lower",
            restart("restart"),
            us(&fresh["latency"]["median_ns"]),
        ),
        row(
            "wasmtime alone: a Rust panic in a call to a fresh instance answering, median; the BEAM with a fresh supervisor",
            "µs",
            "lower",
            restart("restart_after_a_panic"),
            us(&fresh["latency"]["median_ns"]),
        ),
        row(
            "wasmtime alone: call through a channel to a task that owns the instance, median",
            "µs",
            "lower",
            floor["call"]["round_trip"]["median_us"].as_f64(),
            us(&one["latency"]["median_ns"]),
        ),
        row(
            "wasmtime alone: calls per second, one client",
            "calls/s",
            "higher",
            floor["call"]["calls_per_s_one_client"].as_f64(),
            one["calls_per_s"]["median"].as_f64(),
        ),
        row(
            "wasmtime alone: process to process call (the messenger calls a counter through its call import; BEAM: call by pid), median",
            "µs",
            "lower",
            floor["wasm_to_wasm"]["wasm_to_wasm_median_us"].as_f64(),
            us(&b["registry"]["results"]["call_pid_vs_via"]["pid"]["latency"]["median_ns"]),
        ),
        row(
            "wasmtime alone: 1,000 instances moved to a new build one after another (instantiate, get-state, code-change); the BEAM's rolling round",
            "ms",
            "lower",
            floor["swap"]["round_ms"].as_f64(),
            rolling["round_total_ms"]["median"].as_f64(),
        ),
    ]
}

/// `rows` as a Markdown table, as the README shows them.
pub fn markdown(rows: &[Value]) -> String {
    let mut out = String::from(
        "| what | Overseer | Erlang/OTP, same run | Overseer ÷ OTP |\n| --- | --- | --- | --- |\n",
    );
    for row in rows {
        let unit = row["unit"].as_str().unwrap_or("");
        let ratio = match row["overseer_to_beam"].as_f64() {
            Some(r) => format!("{r} ({} is better)", row["better"].as_str().unwrap_or("")),
            None => "—".into(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {ratio} |\n",
            row["what"].as_str().unwrap_or(""),
            figure(row["overseer"].as_f64(), unit),
            figure(row["beam"].as_f64(), unit),
        ));
    }
    out
}

/// A figure for people: rates in k or M, bytes in KB, times in µs or ms.
fn figure(value: Option<f64>, unit: &str) -> String {
    let Some(x) = value else {
        return "null".into();
    };
    match unit {
        "bytes" => format!("{:.1} KB", x / 1000.0),
        "ms" => format!("{x:.1} ms"),
        "µs" if x < 10.0 => format!("{x:.2} µs"),
        "µs" => format!("{x:.0} µs"),
        _ if x >= 1e6 => format!("{:.2} M", x / 1e6),
        _ => format!("{:.0} k", x / 1000.0),
    }
}
