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

/// The RSS after the allocator has handed back to the kernel what was
/// freed: what live memory holds, whatever ran before (mimalloc keeps
/// freed memory a while, and returns it when it next allocates, so that
/// memory an earlier section or a compile freed would otherwise leave
/// during a measurement and hide what it adds).
pub fn collected_rss() -> Result<u64> {
    unsafe extern "C" {
        /// mimalloc's `mi_collect`: free what can be freed now, and with
        /// `force`, return it to the operating system.
        fn mi_collect(force: bool);
    }
    // SAFETY: mimalloc is this binary's global allocator, so its library
    // is linked; `mi_collect` takes no pointers and may run at any time.
    unsafe { mi_collect(true) };
    rss_bytes()
}

/// [`collected_rss`] once it holds still: a section that ran before may
/// still be ending its host in the background and handing its pool back
/// to the kernel. Read every 50 ms until six readings in a row (300 ms)
/// are within 1 MiB of each other, or five seconds have passed.
pub async fn settled_rss() -> Result<u64> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut readings = vec![collected_rss()?];
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        readings.push(collected_rss()?);
        let last = &readings[readings.len().saturating_sub(6)..];
        let (low, high) = last
            .iter()
            .fold((u64::MAX, 0), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        if last.len() == 6 && high - low < 1 << 20 {
            break;
        }
    }
    Ok(readings[readings.len() - 1])
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
