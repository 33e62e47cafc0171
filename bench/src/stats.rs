//! Percentiles of timed samples, and the host's RSS.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};

/// Nearest-rank percentiles of `samples`, in µs, as the BEAM peer reports
/// them (`ceil(p × n)`-th smallest).
pub fn stats(mut samples: Vec<Duration>) -> Value {
    samples.sort();
    let n = samples.len();
    let pick = |p: f64| {
        if n == 0 {
            return 0.0;
        }
        let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
        samples[rank - 1].as_nanos() as f64 / 1000.0
    };
    json!({
        "n": n,
        "median_us": pick(0.5),
        "p90_us": pick(0.9),
        "p99_us": pick(0.99),
        "max_us": pick(1.0),
    })
}

/// Milliseconds, as a float.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The resident set size of this process, in bytes.
pub fn rss_bytes() -> Result<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").context("reading /proc/self/statm")?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow!("bad statm"))?
        .parse()?;
    Ok(pages * 4096)
}

/// This process's private memory (resident pages no other mapping
/// shares), from `/proc/self/smaps_rollup`: unlike the RSS, a
/// copy-on-write image mapped by many instances counts once, not once per
/// instance.
pub fn private_bytes() -> Result<u64> {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup")
        .context("reading /proc/self/smaps_rollup")?;
    let mut kib = 0;
    for line in rollup.lines() {
        if let Some(rest) = line
            .strip_prefix("Private_Clean:")
            .or_else(|| line.strip_prefix("Private_Dirty:"))
        {
            kib += rest.trim().trim_end_matches("kB").trim().parse::<u64>()?;
        }
    }
    Ok(kib * 1024)
}
