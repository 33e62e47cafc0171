//! What kind of event an [`Event`] is, by the name it carries in JSON,
//! and which plugin it concerns: what a follower filters on.

use super::Event;

impl Event {
    /// Its kind, as its JSON names it under `event` (`crash_report`,
    /// `child_restarted`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ProcessStarted { .. } => "process_started",
            Event::ProcessExited { .. } => "process_exited",
            Event::CrashReport { .. } => "crash_report",
            Event::GuestLog { .. } => "guest_log",
            Event::CapabilityDenied { .. } => "capability_denied",
            Event::QuotaExceeded { .. } => "quota_exceeded",
            Event::SupervisorStarted { .. } => "supervisor_started",
            Event::SupervisorExited { .. } => "supervisor_exited",
            Event::ChildRestarted { .. } => "child_restarted",
            Event::ChildStartFailed { .. } => "child_start_failed",
            Event::RestartIntensityReached { .. } => "restart_intensity_reached",
            Event::UpgradeRejected { .. } => "upgrade_rejected",
            Event::UpgradeFailed { .. } => "upgrade_failed",
            Event::ProcessCodeChanged { .. } => "process_code_changed",
            Event::ProcessCodeChangeFailed { .. } => "process_code_change_failed",
            Event::Upgraded { .. } => "upgraded",
            Event::RolledBack { .. } => "rolled_back",
            Event::PluginLoaded { .. } => "plugin_loaded",
            Event::Released { .. } => "released",
            Event::ReleaseAbandoned { .. } => "release_abandoned",
            Event::ReleaseRolledBack { .. } => "release_rolled_back",
            Event::ApplicationStarted { .. } => "application_started",
            Event::ApplicationStopped { .. } => "application_stopped",
            Event::Applied { .. } => "applied",
            Event::ApplyUndone { .. } => "apply_undone",
        }
    }

    /// The plugin it concerns, if it names one.
    pub fn plugin(&self) -> Option<&str> {
        match self {
            Event::ProcessStarted { plugin, .. }
            | Event::ProcessExited { plugin, .. }
            | Event::CrashReport { plugin, .. }
            | Event::CapabilityDenied { plugin, .. }
            | Event::QuotaExceeded { plugin, .. }
            | Event::ChildRestarted { plugin, .. }
            | Event::UpgradeRejected { plugin, .. }
            | Event::UpgradeFailed { plugin, .. }
            | Event::ProcessCodeChanged { plugin, .. }
            | Event::ProcessCodeChangeFailed { plugin, .. }
            | Event::Upgraded { plugin, .. }
            | Event::RolledBack { plugin, .. }
            | Event::PluginLoaded { plugin, .. }
            | Event::ReleaseAbandoned { plugin, .. }
            | Event::ReleaseRolledBack { plugin, .. } => Some(plugin),
            Event::GuestLog { .. }
            | Event::SupervisorStarted { .. }
            | Event::SupervisorExited { .. }
            | Event::ChildStartFailed { .. }
            | Event::RestartIntensityReached { .. }
            | Event::Released { .. }
            | Event::ApplicationStarted { .. }
            | Event::ApplicationStopped { .. }
            | Event::Applied { .. }
            | Event::ApplyUndone { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Pid;

    #[test]
    fn the_kind_is_the_json_tag() {
        let event = Event::SupervisorStarted {
            pid: Pid(1),
            id: "root".into(),
        };
        let json = serde_json::to_value(&event).expect("json");
        assert_eq!(json["event"], event.kind());
    }
}
