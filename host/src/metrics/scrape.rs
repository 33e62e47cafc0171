//! A scrape: what the processes of each plugin and vsn have done, what the
//! host holds, how full each supervisor's restart window is, and the
//! event-counted metrics, as OpenMetrics text.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use super::from_events::EventMetrics;
use super::monotonic::Monotonic;
use crate::application::Node;
use crate::process::{CALL_BUCKETS_NS, PluginCounts, Target};

/// How long a scrape waits for one supervisor's restart window.
const SUPERVISOR_WAIT: Duration = Duration::from_millis(200);

/// A host's metrics: counted from its events since [`Metrics::start`], and
/// summed from its processes at each [`scrape`](Metrics::scrape).
#[derive(Clone)]
pub struct Metrics {
    node: Node,
    events: EventMetrics,
    monotonic: Arc<Monotonic>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// One supervisor's restart window, as scraped.
#[derive(Debug)]
struct Window {
    supervisor: String,
    restarts: u32,
    max_restarts: u32,
}

/// Everything summed at one scrape.
#[derive(Debug)]
struct Snapshot {
    plugins: Vec<PluginCounts>,
    windows: Vec<Window>,
    live_processes: u64,
    supervisors: u64,
    slots: u64,
    slots_in_use: u64,
    cache: Option<(u64, u64)>,
}

impl Metrics {
    /// Start counting `node`'s events, and time its calls from now on.
    pub fn start(node: &Node) -> Metrics {
        node.processes().time_calls(true);
        Metrics {
            node: node.clone(),
            events: EventMetrics::follow(node.events()),
            monotonic: Arc::default(),
        }
    }

    /// The metrics now, as OpenMetrics text.
    pub async fn scrape(&self) -> String {
        let supervisors = self.node.processes().supervisors();
        let mut windows = Vec::new();
        for (pid, id) in &supervisors {
            let Some(sup) = self.node.supervisor(&Target::Pid(*pid)) else {
                continue;
            };
            if let Ok(Ok(fill)) = tokio::time::timeout(SUPERVISOR_WAIT, sup.intensity()).await {
                windows.push(Window {
                    supervisor: id.clone(),
                    restarts: fill.restarts,
                    max_restarts: fill.max_restarts,
                });
            }
        }
        let runtime = self.node.runtime();
        let slots_in_use = runtime
            .engine()
            .pooling_allocator_metrics()
            .map_or(0, |pool| pool.component_instances());
        let mut plugins = self.node.processes().plugin_counts();
        for p in &mut plugins {
            self.keep_monotonic(p);
        }
        let snapshot = Snapshot {
            plugins,
            windows,
            live_processes: self.node.live_processes() as u64,
            supervisors: supervisors.len() as u64,
            slots: u64::from(runtime.config().slots()),
            slots_in_use,
            cache: runtime.cache().map(|c| c.hits_and_misses()),
        };
        let mut registry = Registry::default();
        self.events.register(&mut registry);
        registry.register_collector(Box::new(snapshot));
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        text
    }

    fn keep_monotonic(&self, p: &mut PluginCounts) {
        let key = |metric: &str| format!("{metric}\u{0}{}\u{0}{}", p.plugin, p.vsn);
        let c = &mut p.counts;
        c.calls = self.monotonic.at_least(key("calls"), c.calls);
        c.casts = self.monotonic.at_least(key("casts"), c.casts);
        c.infos = self.monotonic.at_least(key("infos"), c.infos);
        c.busy_ns = self.monotonic.at_least(key("busy"), c.busy_ns);
        c.call_ns = self.monotonic.at_least(key("call_ns"), c.call_ns);
        for (i, bucket) in c.call_buckets.iter_mut().enumerate() {
            *bucket = self.monotonic.at_least(key(&format!("bucket{i}")), *bucket);
        }
    }
}

type Labels = Vec<(&'static str, String)>;

fn plugin_labels(p: &PluginCounts) -> Labels {
    vec![("plugin", p.plugin.clone()), ("vsn", p.vsn.clone())]
}

/// Encode one family: a descriptor, then each label set's value.
fn family<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric_type: MetricType,
    series: impl IntoIterator<Item = (Labels, M)>,
) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, metric_type)?;
    for (labels, value) in series {
        value.encode(metric.encode_family(&labels)?)?;
    }
    Ok(())
}

/// Encode one value without labels.
fn single<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: M,
) -> Result<(), std::fmt::Error> {
    let metric_type = value.metric_type();
    value.encode(encoder.encode_descriptor(name, help, None, metric_type)?)
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let e = &mut encoder;
        let per_plugin = |f: fn(&PluginCounts) -> u64| {
            self.plugins
                .iter()
                .map(move |p| (plugin_labels(p), f(p)))
                .collect::<Vec<_>>()
        };
        family(
            e,
            "overseer_processes",
            "Live processes, by plugin and vsn",
            MetricType::Gauge,
            per_plugin(|p| p.live)
                .into_iter()
                .map(|(l, v)| (l, gauge(v))),
        )?;
        family(
            e,
            "overseer_process_memory_bytes",
            "Linear memory of live processes, by plugin and vsn",
            MetricType::Gauge,
            per_plugin(|p| p.memory_bytes)
                .into_iter()
                .map(|(l, v)| (l, gauge(v))),
        )?;
        for (name, help, f) in [
            (
                "overseer_calls",
                "Calls handled, by plugin and vsn",
                (|p: &PluginCounts| p.counts.calls) as fn(&PluginCounts) -> u64,
            ),
            ("overseer_casts", "Casts handled, by plugin and vsn", |p| {
                p.counts.casts
            }),
            (
                "overseer_infos",
                "Messages, timers, exit signals and downs handled, by plugin and vsn",
                |p| p.counts.infos,
            ),
        ] {
            family(
                e,
                name,
                help,
                MetricType::Counter,
                per_plugin(f)
                    .into_iter()
                    .map(|(l, v)| (l, ConstCounter::new(v))),
            )?;
        }
        family(
            e,
            "overseer_busy_seconds",
            "Time spent in callbacks, by plugin and vsn",
            MetricType::Counter,
            self.plugins.iter().map(|p| {
                (
                    plugin_labels(p),
                    ConstCounter::new(p.counts.busy_ns as f64 / 1e9),
                )
            }),
        )?;
        {
            let mut metric = e.encode_descriptor(
                "overseer_call_duration_seconds",
                "Calls, from the message taken out of the mailbox to the reply, by plugin and vsn",
                None,
                MetricType::Histogram,
            )?;
            for p in &self.plugins {
                let labels = plugin_labels(p);
                // Counts per bucket: the encoder makes them cumulative.
                let buckets: Vec<(f64, u64)> = p
                    .counts
                    .call_buckets
                    .iter()
                    .enumerate()
                    .map(|(i, count)| {
                        let bound = CALL_BUCKETS_NS
                            .get(i)
                            .map_or(f64::INFINITY, |ns| *ns as f64 / 1e9);
                        (bound, *count)
                    })
                    .collect();
                metric
                    .encode_family(&labels)?
                    .encode_histogram::<NoLabelSet>(
                        p.counts.call_ns as f64 / 1e9,
                        p.counts.call_buckets.iter().sum(),
                        &buckets,
                        None,
                    )?;
            }
        }
        family(
            e,
            "overseer_supervisor_restart_window",
            "Restarts within a supervisor's max_seconds window, as a share of its max_restarts (1 is the last restart it allows)",
            MetricType::Gauge,
            self.windows.iter().map(|w| {
                let fill = if w.max_restarts == 0 {
                    f64::from(w.restarts)
                } else {
                    f64::from(w.restarts) / f64::from(w.max_restarts)
                };
                (
                    vec![("supervisor", w.supervisor.clone())],
                    ConstGauge::new(fill),
                )
            }),
        )?;
        single(
            e,
            "overseer_host_processes",
            "Live GenServers and tasks on the host",
            gauge(self.live_processes),
        )?;
        single(
            e,
            "overseer_host_supervisors",
            "Live supervisors and pools on the host",
            gauge(self.supervisors),
        )?;
        single(
            e,
            "overseer_host_linear_memory_bytes",
            "Linear memory of all live processes",
            gauge(self.plugins.iter().map(|p| p.memory_bytes).sum()),
        )?;
        single(
            e,
            "overseer_pool_slots",
            "Instance slots of the pooling allocator (small builds)",
            gauge(self.slots),
        )?;
        single(
            e,
            "overseer_pool_slots_in_use",
            "Instance slots holding a live component instance",
            gauge(self.slots_in_use),
        )?;
        if let Some((hits, misses)) = self.cache {
            single(
                e,
                "overseer_compile_cache_hits",
                "Builds read back from the compile cache",
                ConstCounter::new(hits),
            )?;
            single(
                e,
                "overseer_compile_cache_misses",
                "Builds compiled (not in the compile cache)",
                ConstCounter::new(misses),
            )?;
        }
        Ok(())
    }
}

fn gauge(value: u64) -> ConstGauge<i64> {
    ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX))
}
