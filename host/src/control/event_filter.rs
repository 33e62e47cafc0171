//! Which events a reader wants: by kind (a group such as `crash` or
//! `restart`, or an exact kind such as `child_start_failed`), and by
//! plugin.

use crate::process::Event;

/// The groups of kinds `--kind` accepts, and the kinds each stands for.
pub const KIND_GROUPS: &[(&str, &[&str])] = &[
    ("start", &["process_started", "supervisor_started"]),
    ("exit", &["process_exited", "supervisor_exited"]),
    ("crash", &["crash_report"]),
    ("restart", &["child_restarted", "child_start_failed"]),
    ("intensity", &["restart_intensity_reached"]),
    (
        "upgrade",
        &[
            "upgrade_rejected",
            "upgrade_failed",
            "process_code_changed",
            "process_code_change_failed",
            "upgraded",
            "rolled_back",
            "plugin_loaded",
            "released",
            "release_abandoned",
            "release_rolled_back",
            "applied",
            "apply_undone",
        ],
    ),
    (
        "application",
        &["application_started", "application_stopped"],
    ),
    ("denied", &["capability_denied", "quota_exceeded"]),
    ("log", &["guest_log"]),
];

/// A reader's filter. The default passes every event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// The kinds wanted; None for all.
    kinds: Option<Vec<&'static str>>,
    /// The plugin wanted; None for all (events that name no plugin pass
    /// only without one).
    plugin: Option<String>,
}

impl EventFilter {
    /// A filter from a comma-separated list of kinds or groups (none or
    /// empty: all), and a plugin.
    ///
    /// # Errors
    ///
    /// A one-line message naming the unknown kind and listing the groups.
    pub fn parse(kinds: Option<&str>, plugin: Option<&str>) -> Result<EventFilter, String> {
        let mut wanted = Vec::new();
        for name in kinds.unwrap_or_default().split(',').map(str::trim) {
            if name.is_empty() {
                continue;
            }
            match KIND_GROUPS
                .iter()
                .find(|(group, _)| *group == name)
                .map(|(_, kinds)| *kinds)
            {
                Some(kinds) => wanted.extend_from_slice(kinds),
                None => match KIND_GROUPS
                    .iter()
                    .flat_map(|(_, kinds)| kinds.iter())
                    .find(|kind| **kind == name)
                {
                    Some(kind) => wanted.push(kind),
                    None => {
                        let groups: Vec<&str> = KIND_GROUPS.iter().map(|(g, _)| *g).collect();
                        return Err(format!(
                            "unknown event kind '{name}': use one of {} or an event's own kind (such as child_start_failed)",
                            groups.join(", ")
                        ));
                    }
                },
            }
        }
        Ok(EventFilter {
            kinds: (!wanted.is_empty()).then_some(wanted),
            plugin: plugin.filter(|p| !p.is_empty()).map(str::to_string),
        })
    }

    /// Whether `event` passes.
    pub fn matches(&self, event: &Event) -> bool {
        let kind_ok = self
            .kinds
            .as_ref()
            .is_none_or(|kinds| kinds.contains(&event.kind()));
        let plugin_ok = self
            .plugin
            .as_deref()
            .is_none_or(|wanted| event.plugin() == Some(wanted));
        kind_ok && plugin_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::{ExitReason, Pid};

    fn exited(plugin: &str) -> Event {
        Event::ProcessExited {
            pid: Pid(2),
            id: "w".into(),
            plugin: plugin.into(),
            reason: ExitReason::Normal,
        }
    }

    #[test]
    fn groups_and_kinds_and_plugins() {
        let all = EventFilter::parse(None, None).expect("no filter");
        assert!(all.matches(&exited("a")));
        let exits = EventFilter::parse(Some("crash, exit"), Some("a")).expect("groups");
        assert!(exits.matches(&exited("a")));
        assert!(!exits.matches(&exited("b")));
        let exact = EventFilter::parse(Some("child_start_failed"), None).expect("a kind");
        assert!(!exact.matches(&exited("a")));
        let sup = Event::SupervisorStarted {
            pid: Pid(1),
            id: "root".into(),
        };
        assert!(
            EventFilter::parse(Some("start"), None)
                .expect("start")
                .matches(&sup)
        );
        assert!(
            !EventFilter::parse(Some("start"), Some("a"))
                .expect("start")
                .matches(&sup)
        );
    }

    #[test]
    fn an_unknown_kind_is_one_line() {
        let err = EventFilter::parse(Some("crash,crashes"), None).expect_err("unknown");
        assert!(
            err.starts_with("unknown event kind 'crashes': use one of start, exit, crash"),
            "{err}"
        );
        assert!(!err.contains('\n'));
    }
}
