//! OTP's application controller: the applications of one host, each with
//! its own tree and env, started after those it depends on and stopped
//! before them, and what the host does when one's root supervisor gives
//! up (its [`AppType`]).

mod checks;
mod error;
mod lifecycle;
mod order;

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, watch};
use tokio::task::AbortHandle;

pub use self::error::ControllerError;
use super::app::Application;
use super::app_type::AppType;
use super::manifest::Manifest;
use super::node::Node;
use crate::process::Event;
use crate::supervisor::SupervisorRef;

/// The applications of a host. Cheap to clone; every clone is the same
/// controller. Starts and stops are made one at a time.
#[derive(Clone)]
pub struct Applications {
    inner: Arc<Inner>,
}

struct Inner {
    node: Node,
    /// Application names in start order.
    order: Vec<String>,
    slots: Mutex<BTreeMap<String, Slot>>,
    /// Set when an application whose type takes the host stops on its
    /// own: why, in one line.
    host_down: watch::Sender<Option<String>>,
    me: Weak<Inner>,
}

/// One application: its manifest and, while it runs, its tree.
struct Slot {
    manifest: Manifest,
    running: Option<Running>,
    /// Counts starts, so that a late exit of a tree already replaced is
    /// not taken for the new one's.
    generation: u64,
}

struct Running {
    root: SupervisorRef,
    /// The task waiting for the root to give up.
    watcher: AbortHandle,
}

/// One application as `overseer apps` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatus {
    /// Its name.
    pub name: String,
    /// `running` or `stopped`.
    pub status: String,
    /// permanent, transient or temporary.
    #[serde(rename = "type")]
    pub app_type: AppType,
    /// The applications it depends on.
    pub depends_on: Vec<String>,
    /// Its live processes, supervisors included.
    pub processes: usize,
    /// Its manifest.
    pub manifest: String,
}

impl Applications {
    /// Start `manifests`' applications on `node`, each after those it
    /// depends on (otherwise in the order given). If one does not start,
    /// those started are stopped again, newest first.
    ///
    /// # Errors
    ///
    /// [`ControllerError`]: a name given twice, a dependency missing or
    /// in a circle, manifests that disagree on what a host has once, or
    /// an application that did not start.
    pub async fn start(
        node: &Node,
        manifests: Vec<Manifest>,
    ) -> Result<Applications, ControllerError> {
        checks::agree(&manifests)?;
        let order: Vec<String> = order::start_order(&manifests)?
            .into_iter()
            .map(|i| manifests[i].name.clone())
            .collect();
        let slots = manifests
            .into_iter()
            .map(|manifest| {
                let slot = Slot {
                    manifest,
                    running: None,
                    generation: 0,
                };
                (slot.manifest.name.clone(), slot)
            })
            .collect();
        let (host_down, _) = watch::channel(None);
        let apps = Applications {
            inner: Arc::new_cyclic(|me| Inner {
                node: node.clone(),
                order: order.clone(),
                slots: Mutex::new(slots),
                host_down,
                me: me.clone(),
            }),
        };
        let mut slots = apps.inner.slots.lock().await;
        for (i, name) in order.iter().enumerate() {
            if let Err(err) = apps.start_one(&mut slots, name).await {
                for started in order[..i].iter().rev() {
                    apps.stop_one(&mut slots, started).await;
                }
                return Err(err);
            }
        }
        drop(slots);
        Ok(apps)
    }

    /// The host the applications run on.
    pub fn node(&self) -> &Node {
        &self.inner.node
    }

    /// The applications' names, in start order.
    pub fn names(&self) -> &[String] {
        &self.inner.order
    }

    /// Every application, in start order.
    pub async fn list(&self) -> Vec<AppStatus> {
        let slots = self.inner.slots.lock().await;
        self.inner
            .order
            .iter()
            .filter_map(|name| slots.get(name))
            .map(|slot| AppStatus {
                name: slot.manifest.name.clone(),
                status: if slot.running.is_some() {
                    "running"
                } else {
                    "stopped"
                }
                .to_string(),
                app_type: slot.manifest.app_type,
                depends_on: slot.manifest.depends_on.clone(),
                processes: self
                    .inner
                    .node
                    .processes()
                    .count_of_application(&slot.manifest.name),
                manifest: slot.manifest.path.display().to_string(),
            })
            .collect()
    }

    /// The root supervisor of `app`, while it runs.
    pub async fn root_of(&self, app: &str) -> Option<SupervisorRef> {
        let slots = self.inner.slots.lock().await;
        slots.get(app)?.running.as_ref().map(|r| r.root.clone())
    }

    /// The running applications' roots, in start order.
    pub async fn roots(&self) -> Vec<(String, Option<SupervisorRef>)> {
        let slots = self.inner.slots.lock().await;
        self.inner
            .order
            .iter()
            .map(|name| {
                let root = slots
                    .get(name)
                    .and_then(|slot| slot.running.as_ref())
                    .map(|r| r.root.clone());
                (name.clone(), root)
            })
            .collect()
    }

    /// The manifest `app` runs (or would start again) with.
    pub async fn manifest_of(&self, app: &str) -> Option<Manifest> {
        let slots = self.inner.slots.lock().await;
        slots.get(app).map(|slot| slot.manifest.clone())
    }

    /// From now on, `manifest` is what its application runs with
    /// (`overseer apply` made it so).
    pub async fn set_manifest(&self, manifest: Manifest) {
        let mut slots = self.inner.slots.lock().await;
        if let Some(slot) = slots.get_mut(&manifest.name) {
            slot.manifest = manifest;
        }
    }

    /// Wait until an application whose type takes the host down stops on
    /// its own; why, in one line.
    pub async fn host_must_stop(&self) -> String {
        let mut down = self.inner.host_down.subscribe();
        loop {
            if let Some(why) = down.borrow_and_update().clone() {
                return why;
            }
            if down.changed().await.is_err() {
                return "the application controller is gone".to_string();
            }
        }
    }

    /// Stop every running application, newest first.
    pub async fn stop_all(&self) {
        let mut slots = self.inner.slots.lock().await;
        for name in self.inner.order.iter().rev() {
            self.stop_one(&mut slots, name).await;
        }
    }

    /// Start `name`'s tree and watch its root.
    async fn start_one(
        &self,
        slots: &mut BTreeMap<String, Slot>,
        name: &str,
    ) -> Result<(), ControllerError> {
        let Some(slot) = slots.get_mut(name) else {
            return Err(self.unknown(name));
        };
        let mut app = Application::start(&self.inner.node, &slot.manifest)
            .await
            .map_err(|source| ControllerError::Start {
                name: name.to_string(),
                source,
            })?;
        slot.generation += 1;
        let generation = slot.generation;
        let root = app.root().clone();
        let me = self.inner.me.clone();
        let app_name = name.to_string();
        let watcher = tokio::spawn(async move {
            let reason = app
                .exited()
                .await
                .map_or_else(|| "unknown".to_string(), |n| n.reason.to_string());
            if let Some(inner) = me.upgrade() {
                Applications { inner }
                    .root_gave_up(&app_name, generation, reason)
                    .await;
            }
        })
        .abort_handle();
        slot.running = Some(Running { root, watcher });
        self.inner.node.events().publish(Event::ApplicationStarted {
            app: name.to_string(),
        });
        Ok(())
    }

    /// Stop `name`'s tree, if it runs: asked to, so the host stays.
    async fn stop_one(&self, slots: &mut BTreeMap<String, Slot>, name: &str) -> bool {
        let Some(running) = slots.get_mut(name).and_then(|slot| slot.running.take()) else {
            return false;
        };
        running.watcher.abort();
        let _ = running.root.shutdown().await;
        self.inner.node.events().publish(Event::ApplicationStopped {
            app: name.to_string(),
            reason: "stopped".to_string(),
            takes_the_host: false,
        });
        true
    }

    /// `name`'s root supervisor gave up: the application has stopped; the
    /// host goes down with it if its type says so.
    async fn root_gave_up(&self, name: &str, generation: u64, reason: String) {
        let mut slots = self.inner.slots.lock().await;
        let Some(slot) = slots.get_mut(name).filter(|s| s.generation == generation) else {
            return;
        };
        if slot.running.take().is_none() {
            return;
        }
        let app_type = slot.manifest.app_type;
        let takes_the_host = app_type.takes_the_host(reason == "normal");
        self.inner.node.events().publish(Event::ApplicationStopped {
            app: name.to_string(),
            reason: reason.clone(),
            takes_the_host,
        });
        if takes_the_host {
            let why = format!(
                "application '{name}' stopped: its root supervisor gave up after too many restarts (reason: {reason}); it is {}, so the host stops",
                app_type.as_str()
            );
            self.inner.host_down.send_replace(Some(why));
        }
    }

    fn unknown(&self, name: &str) -> ControllerError {
        ControllerError::Unknown {
            name: name.to_string(),
            known: self.inner.order.join(", "),
        }
    }
}
