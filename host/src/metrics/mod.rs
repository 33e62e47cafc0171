//! Prometheus metrics for a running host: `overseer run --metrics ADDR`
//! serves `GET /metrics` in the text exposition format.
//!
//! Nothing is counted per message beyond what `info` already keeps: each
//! process counts its own calls, casts, infos and busy time, and with
//! metrics on times its calls (one precise clock reading per call); a
//! scrape sums them by plugin and vsn with the tallies of processes gone. Crashes, restarts, code changes and
//! upgrades are counted from the event bus, which never drops an event for
//! a follower. Labels are plugins, vsns, supervisors and crash kinds, never
//! pids: their number stays bounded however many processes run.
//!
//! - [`Metrics`]: what is counted, and the scrape.
//! - [`serve_metrics`]: the HTTP listener.

mod from_events;
mod monotonic;
mod scrape;
mod server;

pub use scrape::Metrics;
pub use server::{MetricsServer, serve_metrics};
