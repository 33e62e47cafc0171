//! What a process may reach beyond itself, checked where its guest's
//! request enters the host, against its plugin's grants.
//!
//! Always allowed: itself, and the processes it started through a guest
//! request (`start-child`, tasks), and theirs: its subtree. Anything else
//! needs a grant; a refusal is reported once per plugin and capability.

use std::sync::atomic::Ordering;

use super::events::Event;
use super::table::{Processes, Shared};
use super::{Pid, Target};
use crate::sandbox::{Capability, Denied, QuotaExceeded};

/// How far up a chain of owners a subtree check looks.
pub(super) const MAX_OWNER_DEPTH: usize = 64;

impl Processes {
    /// Whether `caller` may message `target`: itself, its subtree, a name it
    /// is granted, a key of a registry it is granted, or a pid that holds
    /// one of those.
    pub(super) fn permit_message(&self, caller: &Shared, target: &Target) -> Result<(), Denied> {
        let grants = &caller.policy.grants;
        if grants.trusted || grants.message.is_any() {
            return Ok(());
        }
        let allowed = match target {
            Target::Name(name) => grants.allows(Capability::Message, name),
            Target::Via { registry, .. } => {
                return self.permit(caller, Capability::Registry, registry);
            }
            Target::Pid(pid) => {
                *pid == caller.pid
                    || self.in_subtree(*pid, caller.pid)
                    || self.names().is_some_and(|names| {
                        names.held_by(*pid).iter().any(|held| match held {
                            Target::Name(name) => grants.allows(Capability::Message, name),
                            Target::Via { registry, .. } => {
                                grants.allows(Capability::Registry, registry)
                            }
                            Target::Pid(_) => false,
                        })
                    })
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(self.deny(caller, Capability::Message, target.to_string()))
        }
    }

    /// Whether `caller` may link to or monitor `target`: itself, its
    /// subtree, or anything with `link_outside`.
    pub(super) fn permit_watch(&self, caller: &Shared, target: Pid) -> Result<(), Denied> {
        let grants = &caller.policy.grants;
        if grants.allows(Capability::LinkOutside, "")
            || target == caller.pid
            || self.in_subtree(target, caller.pid)
        {
            Ok(())
        } else {
            Err(self.deny(caller, Capability::LinkOutside, format!("pid {target}")))
        }
    }

    /// Whether `caller` holds `capability` for `name`.
    pub(super) fn permit(
        &self,
        caller: &Shared,
        capability: Capability,
        name: &str,
    ) -> Result<(), Denied> {
        if caller.policy.grants.allows(capability, name) {
            Ok(())
        } else {
            Err(self.deny(caller, capability, format!("'{name}'")))
        }
    }

    /// Whether `caller` may manage the children of supervisor `sup`: a
    /// registered name it is granted (a supervisor by pid is judged by the
    /// name it runs under).
    pub(super) fn permit_supervisor(&self, caller: &Shared, sup: &Target) -> Result<(), Denied> {
        let grants = &caller.policy.grants;
        let name = match sup {
            Target::Name(name) => Some(name.clone()),
            Target::Pid(pid) => self.info(*pid).and_then(|info| info.name),
            Target::Via { .. } => None,
        };
        let allowed = grants.trusted
            || grants.supervisors.is_any()
            || name.is_some_and(|name| grants.allows(Capability::Supervisor, &name));
        if allowed {
            Ok(())
        } else {
            Err(self.deny(caller, Capability::Supervisor, sup.to_string()))
        }
    }

    /// Whether `caller` may stop `child` of `sup`: one it started itself
    /// (or in its subtree), or under a supervisor it is granted.
    pub(super) fn permit_terminate(
        &self,
        caller: &Shared,
        sup: &Target,
        child: Pid,
    ) -> Result<(), Denied> {
        if self.in_subtree(child, caller.pid) {
            return Ok(());
        }
        self.permit_supervisor(caller, sup)
    }

    /// Whether `pid` was started by `root`, or by a process `root` started,
    /// and so on.
    pub(crate) fn in_subtree(&self, pid: Pid, root: Pid) -> bool {
        let mut current = pid;
        for _ in 0..MAX_OWNER_DEPTH {
            let Some(owner) = self.shared_of(current).and_then(|s| s.owner) else {
                return false;
            };
            if owner == root {
                return true;
            }
            current = owner;
        }
        false
    }

    /// Whether `target` waits, through a chain of starts, on `caller`: a
    /// process in `init` whose supervisor is starting it (and that
    /// supervisor's, while it starts, and so on). Asking `target` anything
    /// then would wait for ever.
    pub(crate) fn waits_on(&self, caller: &Shared, target: Pid) -> bool {
        let mut link = (caller.starting.load(Ordering::Relaxed), caller.parent);
        for _ in 0..MAX_OWNER_DEPTH {
            let (true, Some(above)) = link else {
                return false;
            };
            if above == target {
                return true;
            }
            let Some(shared) = self.shared_of(above) else {
                return false;
            };
            link = (shared.starting.load(Ordering::Relaxed), shared.parent);
        }
        false
    }

    /// A refusal for `caller`: reported once per plugin and capability.
    fn deny(&self, caller: &Shared, capability: Capability, what: String) -> Denied {
        let denied = Denied {
            plugin: caller.plugin.clone(),
            capability,
            what,
        };
        let first = self
            .inner
            .denials
            .insert((caller.plugin.clone(), capability.key()), ())
            .is_none();
        if first {
            self.inner.events.publish(Event::CapabilityDenied {
                pid: caller.pid,
                plugin: caller.plugin.clone(),
                capability: capability.key(),
                message: denied.to_string(),
            });
        }
        denied
    }

    /// `caller` went over `quota`: reported once per plugin and quota.
    pub(super) fn report_quota(&self, caller: &Shared, quota: &QuotaExceeded) {
        let first = self
            .inner
            .denials
            .insert((caller.plugin.clone(), quota.quota), ())
            .is_none();
        if first {
            self.inner.events.publish(Event::QuotaExceeded {
                pid: caller.pid,
                plugin: caller.plugin.clone(),
                quota: quota.quota,
                message: quota.to_string(),
            });
        }
    }
}
