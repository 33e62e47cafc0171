//! The metrics counted from events: crashes by kind, restarts, code
//! changes and their pause, upgrade outcomes, supervisors giving up.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::process::{Event, EventBus, ExitReason};
use crate::runtime::CrashCause;

type Labels = Vec<(&'static str, String)>;

/// Buckets of the code-change pause histogram, in seconds (10 µs to 1 s).
const PAUSE_BUCKETS: [f64; 10] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.001, 0.01, 0.1, 0.5, 1.0,
];

/// The event-counted metrics.
#[derive(Debug, Clone)]
pub(super) struct EventMetrics {
    crashes: Family<Labels, Counter>,
    restarts: Family<Labels, Counter>,
    code_changes: Family<Labels, Counter>,
    pauses: Family<Labels, Histogram, fn() -> Histogram>,
    upgrades: Family<Labels, Counter>,
    gave_up: Family<Labels, Counter>,
}

fn pause_histogram() -> Histogram {
    Histogram::new(PAUSE_BUCKETS)
}

impl EventMetrics {
    /// Count `bus`'s events from now on, on a task that ends when the bus
    /// is gone.
    pub(super) fn follow(bus: &EventBus) -> EventMetrics {
        let metrics = EventMetrics {
            crashes: Family::default(),
            restarts: Family::default(),
            code_changes: Family::default(),
            pauses: Family::new_with_constructor(pause_histogram),
            upgrades: Family::default(),
            gave_up: Family::default(),
        };
        let mut events = bus.follow(counted);
        let counting = metrics.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                counting.count(&event);
            }
        });
        metrics
    }

    fn count(&self, event: &Event) {
        match event {
            Event::CrashReport {
                plugin,
                vsn,
                reason,
                ..
            } => {
                let labels = vec![
                    ("plugin", plugin.clone()),
                    ("vsn", vsn.clone()),
                    ("kind", crash_kind(reason).to_string()),
                ];
                self.crashes.get_or_create(&labels).inc();
            }
            Event::ChildRestarted {
                supervisor, plugin, ..
            } => {
                let labels = vec![
                    ("supervisor", supervisor.clone()),
                    ("plugin", plugin.clone()),
                ];
                self.restarts.get_or_create(&labels).inc();
            }
            Event::ProcessCodeChanged {
                plugin,
                to,
                pause_us,
                ..
            } => {
                let labels = vec![("plugin", plugin.clone()), ("vsn", to.clone())];
                self.code_changes.get_or_create(&labels).inc();
                self.pauses
                    .get_or_create(&labels)
                    .observe(*pause_us as f64 / 1e6);
            }
            Event::Upgraded { plugin, .. } => self.upgrade(plugin, "upgraded"),
            Event::UpgradeRejected { plugin, .. } => self.upgrade(plugin, "rejected"),
            Event::UpgradeFailed { plugin, .. } => self.upgrade(plugin, "failed"),
            Event::RolledBack { plugin, .. } => self.upgrade(plugin, "rolled_back"),
            Event::RestartIntensityReached { supervisor, .. } => {
                let labels = vec![("supervisor", supervisor.clone())];
                self.gave_up.get_or_create(&labels).inc();
            }
            _ => {}
        }
    }

    fn upgrade(&self, plugin: &str, outcome: &str) {
        let labels = vec![
            ("plugin", plugin.to_string()),
            ("outcome", outcome.to_string()),
        ];
        self.upgrades.get_or_create(&labels).inc();
    }

    /// Put them in `registry`.
    pub(super) fn register(&self, registry: &mut Registry) {
        registry.register(
            "overseer_crashes",
            "Processes that crashed, by plugin, vsn and kind (trap, panic, deadline, memory, stack, quota, error, killed)",
            self.crashes.clone(),
        );
        registry.register(
            "overseer_restarts",
            "Children restarted, by supervisor and plugin",
            self.restarts.clone(),
        );
        registry.register(
            "overseer_code_changes",
            "Processes that changed code, by plugin and the vsn they moved to",
            self.code_changes.clone(),
        );
        registry.register(
            "overseer_code_change_pause_seconds",
            "How long each process's mailbox waited while it changed code",
            self.pauses.clone(),
        );
        registry.register(
            "overseer_upgrades",
            "Upgrades of a plugin, by outcome (upgraded, rejected, failed, rolled_back)",
            self.upgrades.clone(),
        );
        registry.register(
            "overseer_supervisor_gave_up",
            "Supervisors that reached their restart intensity and shut down",
            self.gave_up.clone(),
        );
    }
}

fn counted(event: &Event) -> bool {
    matches!(
        event,
        Event::CrashReport { .. }
            | Event::ChildRestarted { .. }
            | Event::ProcessCodeChanged { .. }
            | Event::Upgraded { .. }
            | Event::UpgradeRejected { .. }
            | Event::UpgradeFailed { .. }
            | Event::RolledBack { .. }
            | Event::RestartIntensityReached { .. }
    )
}

/// A crash reason as a label: a handful of values, never the message.
fn crash_kind(reason: &ExitReason) -> &'static str {
    match reason {
        ExitReason::Crash(cause) => match cause {
            CrashCause::Trap(_) | CrashCause::Exception(_) => "trap",
            CrashCause::Panic(_) => "panic",
            CrashCause::CpuDeadline(_) => "deadline",
            CrashCause::MemoryLimit { .. } => "memory",
            CrashCause::StackOverflow => "stack",
            CrashCause::Quota(_) => "quota",
            CrashCause::Host(_) => "host",
        },
        ExitReason::Killed => "killed",
        ExitReason::Error(_) => "error",
        ExitReason::Normal | ExitReason::Shutdown | ExitReason::ShutdownWith(_) => "stop",
    }
}
