//! `overseer crashes [--plugin P] [--last N] [--json]`: the host's recent
//! crash reports, whole: reason, guest backtrace, the message being
//! handled, and the guest's last output.

use clap::Args;
use overseer::control::api::DEFAULT_CRASHES;
use serde_json::Value;

use super::{ControlArg, explain};

/// Arguments of `overseer crashes`.
#[derive(Debug, Args)]
pub struct CrashesArgs {
    /// Only crashes of this plugin's processes.
    #[arg(long)]
    plugin: Option<String>,
    /// How many, the newest last.
    #[arg(long, default_value_t = DEFAULT_CRASHES)]
    last: usize,
    /// One JSON object per line instead of the text view.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    control: ControlArg,
}

/// Print the reports, oldest first.
pub async fn execute(args: CrashesArgs) -> anyhow::Result<()> {
    let client = args.control.client()?;
    let reply = client
        .crashes(args.plugin.as_deref(), args.last)
        .await
        .map_err(explain)?;
    for crash in &reply.crashes {
        if args.json {
            println!("{crash}");
        } else {
            print!("{}", render(crash));
        }
    }
    Ok(())
}

/// One report: a header line, then its parts indented.
fn render(crash: &Value) -> String {
    let text = |key: &str| match crash.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let mut out = format!(
        "#{} pid {} ({} of {}@{}): {}\n",
        text("seq"),
        text("pid"),
        text("id"),
        text("plugin"),
        text("vsn"),
        text("reason")
    );
    let message = text("message");
    if !message.is_empty() {
        out.push_str(&format!("  while handling: {message}\n"));
    }
    if let Some(frames) = crash.get("backtrace").and_then(Value::as_array) {
        if !frames.is_empty() {
            out.push_str("  backtrace (innermost first):\n");
        }
        for frame in frames {
            out.push_str(&format!("    {}\n", frame.as_str().unwrap_or_default()));
        }
    }
    let output = text("output");
    if !output.trim().is_empty() {
        out.push_str("  last output:\n");
        for line in output.lines() {
            out.push_str(&format!("    | {line}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_report_whole() {
        let crash = serde_json::json!({
            "seq": 4, "pid": 9, "id": "faulty", "plugin": "faulty", "vsn": "1",
            "reason": "crash: wasm trap: unreachable",
            "backtrace": ["faulty::boom", "faulty::handle_call"],
            "message": "call \"trap\"", "output": "about to fail\n"
        });
        assert_eq!(
            render(&crash),
            "#4 pid 9 (faulty of faulty@1): crash: wasm trap: unreachable\n  while handling: call \"trap\"\n  backtrace (innermost first):\n    faulty::boom\n    faulty::handle_call\n  last output:\n    | about to fail\n"
        );
    }
}
