//! `overseer info TARGET [--json]`: what `Process.info` tells of a process
//! (what it runs, what it is doing, its mailbox, memory, counters, links,
//! names, restarts and last crash), read without asking the process.

use clap::Args;
use serde_json::Value;

use super::{ControlArg, explain};

/// Arguments of `overseer info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// A registered name, `via:REGISTRY/KEY`, or a pid (all digits).
    target: String,
    /// Print the host's JSON, as one line.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// Print the process's facts, one `key: value` per line.
pub async fn execute(args: InfoArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let info = client.info(&args.target).await.map_err(explain)?;
    if args.json {
        println!("{info}");
    } else {
        print!("{}", render(&info));
    }
    Ok(())
}

/// The lines of the text view, in `Process.info`'s spirit: identity, what
/// it does now, what it holds, what it has done, who watches it.
fn render(info: &Value) -> String {
    let field = |key: &str| info.get(key).unwrap_or(&Value::Null);
    let text = |key: &str| plain(field(key));
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut line = |key: &str, value: String| lines.push((key.to_string(), value));
    line("pid", text("pid"));
    line("id", text("id"));
    if !field("name").is_null() {
        line("name", text("name"));
    }
    if !text("plugin").is_empty() {
        line("plugin", format!("{}@{}", text("plugin"), text("vsn")));
    }
    line("supervisor", text("parent"));
    line("status", text("status"));
    if !field("callback").is_null() {
        line(
            "callback",
            format!("{} for {} µs", text("callback"), text("callback_us")),
        );
    }
    if !field("message").is_null() {
        line("message", text("message"));
    }
    if let Some(mailbox) = field("mailbox").as_object() {
        let get = |k: &str| mailbox.get(k).map(plain).unwrap_or_default();
        line(
            "mailbox",
            format!(
                "{} messages, {} bytes (quotas {} messages, {} bytes)",
                get("messages"),
                get("bytes"),
                get("max_messages"),
                get("max_bytes")
            ),
        );
    }
    if !text("plugin").is_empty() {
        line(
            "memory",
            format!(
                "{} bytes of {}",
                text("memory_bytes"),
                text("memory_limit_bytes")
            ),
        );
        let batches = match field("cast_batches").as_u64() {
            Some(0) | None => String::new(),
            Some(1) => " (1 batch)".to_string(),
            Some(n) => format!(" ({n} batches)"),
        };
        line(
            "handled",
            format!(
                "{} calls, {} casts{batches}, {} infos",
                text("calls"),
                text("casts"),
                text("infos")
            ),
        );
        line("busy", format!("{} µs in callbacks", text("busy_us")));
    }
    line("uptime", format!("{} ms", text("uptime_ms")));
    line("restarts", text("restarts"));
    line("trap_exit", text("trap_exit"));
    line("links", listed(field("links")));
    line("monitors", listed(field("monitors")));
    line("monitored_by", listed(field("monitored_by")));
    line("registered", listed(field("registered")));
    if let Some(crash) = field("last_crash").as_object() {
        let get = |k: &str| crash.get(k).map(plain).unwrap_or_default();
        line(
            "last_crash",
            format!("pid {}: {}", get("pid"), get("reason")),
        );
    }
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    lines
        .iter()
        .map(|(key, value)| format!("{key:<width$}  {value}\n"))
        .collect()
}

/// A JSON value as a person reads it: strings unquoted, null as `-`.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `{items, total}` as `a, b, c (and N more)`.
fn listed(value: &Value) -> String {
    let items: Vec<String> = value
        .get("items")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(plain).collect())
        .unwrap_or_default();
    let total = value.get("total").and_then(Value::as_u64).unwrap_or(0);
    if items.is_empty() {
        return "-".into();
    }
    let more = total.saturating_sub(items.len() as u64);
    let mut text = items.join(", ");
    if more > 0 {
        text.push_str(&format!(" (and {more} more)"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_busy_process() {
        let info = serde_json::json!({
            "pid": 7, "id": "counter", "name": "counter", "plugin": "counter",
            "vsn": "2", "parent": 3, "status": "running",
            "callback": "handle_call", "callback_us": 1500, "message": "\"get\"",
            "mailbox": {"messages": 2, "bytes": 10, "max_messages": 10000, "max_bytes": 1048576},
            "memory_bytes": 65536, "memory_limit_bytes": 16777216,
            "calls": 5, "casts": 1, "infos": 0, "busy_us": 2000, "uptime_ms": 10,
            "restarts": 1, "trap_exit": false,
            "links": {"items": [3], "total": 1},
            "monitored_by": {"items": [], "total": 0},
            "registered": {"items": ["counter", "via:reg/a"], "total": 102},
            "last_crash": {"pid": 5, "reason": "crash: wasm trap: unreachable"}
        });
        let text = render(&info);
        for expected in [
            "plugin        counter@2\n",
            "callback      handle_call for 1500 µs\n",
            "message       \"get\"\n",
            "mailbox       2 messages, 10 bytes (quotas 10000 messages, 1048576 bytes)\n",
            "registered    counter, via:reg/a (and 100 more)\n",
            "monitored_by  -\n",
            "last_crash    pid 5: crash: wasm trap: unreachable\n",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
    }
}
