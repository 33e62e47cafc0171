//! Fake children: start functions and controls that do what a test script
//! says, and a log of everything that happened to them, in order. No wasm,
//! no processes: a child is a pid and a channel to its supervisor.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::process::{ExitNotice, ExitReason, ExitSender, Pid, Processes};
use crate::supervisor::{
    BoxFuture, ChildControl, ChildSpec, ChildStatus, Clock, RunningChild, StartChild,
    StartChildError, StartContext, Started, Supervision, SupervisorRef,
};

/// How a fake child's start ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnStart {
    /// It runs.
    Ok,
    /// Its start fails.
    Fail,
    /// It returns ignore.
    Ignore,
}

/// What a fake child does with a shutdown signal.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum OnShutdown {
    /// Exits with `shutdown` at once (a process that does not trap exits).
    Obey,
    /// Exits with `shutdown` after this long (a `terminate` that takes
    /// time).
    Slow(Duration),
    /// Never exits by itself: only a kill ends it.
    Hang,
    /// Exits with this reason (a `terminate` that chose its own).
    ExitWith(ExitReason),
}

/// Something that happened to a fake child.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Note {
    Started(&'static str, Pid),
    /// Its start was tried and failed.
    StartFailed(&'static str),
    Signalled(&'static str, Pid),
    Killed(&'static str, Pid),
    Exited(&'static str, Pid, ExitReason),
}

#[derive(Debug, Clone, Copy)]
struct Live {
    id: &'static str,
}

/// The scripts, the live children and the log of one test.
pub(super) struct Fakes {
    pub(super) supervision: Supervision,
    pub(super) clock: Clock,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    log: Vec<Note>,
    live: HashMap<Pid, (Live, ExitSender)>,
    /// Where each child, live or gone, reported its exit.
    senders: HashMap<Pid, ExitSender>,
    starts: HashMap<&'static str, VecDeque<OnStart>>,
    shutdowns: HashMap<&'static str, OnShutdown>,
    /// Extra args each start of an id was given.
    extra: HashMap<&'static str, Vec<Option<Vec<u8>>>>,
}

#[derive(Debug)]
struct FakeStartError(&'static str);

impl fmt::Display for FakeStartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} refused to start", self.0)
    }
}

impl std::error::Error for FakeStartError {}

impl Fakes {
    /// A fresh table of processes (no wasm engine), a manual clock, and
    /// no children yet.
    pub(super) fn new() -> Arc<Fakes> {
        let clock = Clock::manual();
        let processes = Processes::new(1 << 20, u64::MAX);
        Arc::new(Fakes {
            supervision: Supervision::with_clock(processes, clock.clone()),
            clock,
            state: Mutex::default(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A start function for child `id`.
    pub(super) fn start(self: &Arc<Self>, id: &'static str) -> Arc<dyn StartChild> {
        Arc::new(FakeStart {
            fakes: self.clone(),
            id,
        })
    }

    /// A permanent worker `id` with a 1 s shutdown.
    pub(super) fn worker(self: &Arc<Self>, id: &'static str) -> ChildSpec {
        ChildSpec::worker(id, self.start(id))
            .shutdown(crate::supervisor::Shutdown::Timeout(Duration::from_secs(1)))
    }

    /// The next starts of `id` end as `outcomes` say, in order; after them,
    /// `Ok`.
    pub(super) fn script(&self, id: &'static str, outcomes: &[OnStart]) {
        self.state()
            .starts
            .entry(id)
            .or_default()
            .extend(outcomes.iter().copied());
    }

    /// Every start of `id` from now on fails.
    pub(super) fn always_fail(&self, id: &'static str) {
        self.state()
            .starts
            .insert(id, std::iter::repeat_n(OnStart::Fail, 1 << 16).collect());
    }

    /// What `id` does with a shutdown signal (default: obey).
    pub(super) fn on_shutdown(&self, id: &'static str, what: OnShutdown) {
        self.state().shutdowns.insert(id, what);
    }

    /// The log so far.
    pub(super) fn log(&self) -> Vec<Note> {
        self.state().log.clone()
    }

    /// Forget the log so far.
    pub(super) fn clear_log(&self) {
        self.state().log.clear();
    }

    /// The pid child `id` runs as now, if it runs.
    pub(super) fn pid(&self, id: &str) -> Option<Pid> {
        let state = self.state();
        let mut pids: Vec<Pid> = state
            .live
            .iter()
            .filter(|(_, (live, _))| live.id == id)
            .map(|(pid, _)| *pid)
            .collect();
        pids.sort();
        pids.last().copied()
    }

    /// How many fake children are alive.
    pub(super) fn alive(&self) -> usize {
        self.state().live.len()
    }

    /// How many times `id` was started (successfully or not).
    pub(super) fn starts_of(&self, id: &str) -> usize {
        self.state()
            .log
            .iter()
            .filter(|n| matches!(n, Note::Started(i, _) | Note::StartFailed(i) if *i == id))
            .count()
    }

    /// The extra args each start of `id` was given.
    pub(super) fn extra_of(&self, id: &str) -> Vec<Option<Vec<u8>>> {
        self.state().extra.get(id).cloned().unwrap_or_default()
    }

    /// Child `pid` exits with `reason`, on its own.
    pub(super) fn exit(&self, pid: Pid, reason: ExitReason) {
        let mut state = self.state();
        let Some((live, to)) = state.live.remove(&pid) else {
            return;
        };
        state.log.push(Note::Exited(live.id, pid, reason.clone()));
        drop(state);
        let _ = to.send(ExitNotice { pid, reason });
    }

    /// Send an exit notice for `pid`, live or not (a late duplicate).
    pub(super) fn notice(&self, pid: Pid, reason: ExitReason) {
        if let Some(to) = self.state().senders.get(&pid) {
            let _ = to.send(ExitNotice { pid, reason });
        }
    }

    /// Child `id` (its current pid) exits with `reason`.
    pub(super) fn crash(&self, id: &str, reason: ExitReason) -> Pid {
        let pid = self
            .pid(id)
            .unwrap_or_else(|| panic!("{id} is not running"));
        self.exit(pid, reason);
        pid
    }
}

struct FakeStart {
    fakes: Arc<Fakes>,
    id: &'static str,
}

impl StartChild for FakeStart {
    fn start(&self, ctx: StartContext) -> BoxFuture<'static, Result<Started, StartChildError>> {
        let fakes = self.fakes.clone();
        let id = self.id;
        Box::pin(async move {
            let mut state = fakes.state();
            state
                .extra
                .entry(id)
                .or_default()
                .push(ctx.extra_args.as_deref().map(<[u8]>::to_vec));
            let outcome = state
                .starts
                .get_mut(id)
                .and_then(VecDeque::pop_front)
                .unwrap_or(OnStart::Ok);
            match outcome {
                OnStart::Fail => {
                    state.log.push(Note::StartFailed(id));
                    Err(StartChildError::other(FakeStartError(id)))
                }
                OnStart::Ignore => Ok(Started::Ignore),
                OnStart::Ok => {
                    let pid = fakes.supervision.processes().alloc_pid();
                    state.senders.insert(pid, ctx.exits.clone());
                    state.live.insert(pid, (Live { id }, ctx.exits));
                    state.log.push(Note::Started(id, pid));
                    drop(state);
                    Ok(Started::Running(RunningChild {
                        pid,
                        control: Arc::new(FakeControl {
                            fakes: fakes.clone(),
                            id,
                            pid,
                        }),
                    }))
                }
            }
        })
    }
}

struct FakeControl {
    fakes: Arc<Fakes>,
    id: &'static str,
    pid: Pid,
}

impl ChildControl for FakeControl {
    fn shutdown(&self, _from: Pid) {
        let mut state = self.fakes.state();
        if !state.live.contains_key(&self.pid) {
            return;
        }
        state.log.push(Note::Signalled(self.id, self.pid));
        let what = state
            .shutdowns
            .get(self.id)
            .cloned()
            .unwrap_or(OnShutdown::Obey);
        drop(state);
        match what {
            OnShutdown::Obey => self.fakes.exit(self.pid, ExitReason::Shutdown),
            OnShutdown::ExitWith(reason) => self.fakes.exit(self.pid, reason),
            OnShutdown::Hang => {}
            OnShutdown::Slow(after) => {
                let fakes = self.fakes.clone();
                let pid = self.pid;
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    fakes.exit(pid, ExitReason::Shutdown);
                });
            }
        }
    }

    fn kill(&self) {
        let mut state = self.fakes.state();
        if !state.live.contains_key(&self.pid) {
            return;
        }
        state.log.push(Note::Killed(self.id, self.pid));
        drop(state);
        self.fakes.exit(self.pid, ExitReason::Killed);
    }
}

/// How many requests a test makes, at most, for a supervisor to work
/// through the restarts it queued for itself (each request lets at least
/// one through).
const SETTLE_ROUNDS: usize = 1000;

/// A started supervisor under test, and where its exit is reported.
pub(super) struct Sup {
    pub(super) sup: SupervisorRef,
    pub(super) exits: mpsc::UnboundedReceiver<ExitNotice>,
}

impl Sup {
    /// Its children as (id, pid, status), in its order, once every exit
    /// sent before now has been handled (a supervisor reads exits before
    /// requests, so a request is a barrier).
    pub(super) async fn children(&self) -> Vec<(String, Option<Pid>, ChildStatus)> {
        self.sup
            .which_children()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|c| (c.id, c.pid, c.status))
            .collect()
    }

    /// `[specs, active, supervisors, workers]`, as OTP's tests write it.
    pub(super) async fn counts(&self) -> [usize; 4] {
        let c = self
            .sup
            .count_children()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        [c.specs, c.active, c.supervisors, c.workers]
    }

    /// Whether the supervisor has exited, and why, once it has handled
    /// everything sent to it before now and tried every restart it had
    /// queued for itself.
    pub(super) async fn exit_reason(&mut self) -> Option<ExitReason> {
        // A request answered means every earlier exit was handled; between
        // two requests a supervisor tries one queued restart. One that is
        // gone answers no request.
        for _ in 0..SETTLE_ROUNDS {
            if self.sup.count_children().await.is_err() {
                let waited = tokio::time::timeout(Duration::from_secs(5), self.exits.recv()).await;
                return waited.ok().flatten().map(|n| n.reason);
            }
        }
        None
    }

    /// Its children once no restart is pending (or after many rounds: a
    /// child whose restarts always fail stays restarting).
    pub(super) async fn settled(&self) -> Vec<(String, Option<Pid>, ChildStatus)> {
        let mut children = self.children().await;
        for _ in 0..SETTLE_ROUNDS {
            if children.iter().all(|c| c.2 != ChildStatus::Restarting) {
                break;
            }
            children = self.children().await;
        }
        children
    }
}

impl Fakes {
    /// Start a supervisor of `children` with `strategy` and intensity
    /// `max_restarts` in `max_seconds`.
    pub(super) async fn sup(
        &self,
        strategy: crate::supervisor::Strategy,
        (max_restarts, max_seconds): (u32, u32),
        children: Vec<ChildSpec>,
    ) -> Sup {
        self.try_sup(strategy, (max_restarts, max_seconds), children)
            .await
            .unwrap_or_else(|e| panic!("the supervisor starts: {e}"))
    }

    /// Start a supervisor, or return why it did not start.
    pub(super) async fn try_sup(
        &self,
        strategy: crate::supervisor::Strategy,
        (max_restarts, max_seconds): (u32, u32),
        children: Vec<ChildSpec>,
    ) -> Result<Sup, crate::supervisor::StartError> {
        let spec = crate::supervisor::SupervisorSpec {
            id: "sup".into(),
            name: None,
            flags: crate::supervisor::SupervisorFlags {
                strategy,
                max_restarts,
                max_seconds,
            },
            children,
        };
        let (tx, exits) = mpsc::unbounded_channel();
        let (sup, _abort) = self.supervision.start(&spec, Some(tx)).await?;
        Ok(Sup { sup, exits })
    }
}
