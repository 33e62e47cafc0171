//! The GenServer loop: one message at a time, timeouts, stop and crash.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::activity::Callback;
use super::mailbox::{Envelope, Inbox};
use super::process_host::ProcessHost;
use super::table::{Processes, Shared};
use super::{CallError, Event, ExitReason};
use crate::runtime::bindings::server::{CallResult, CastResult};
use crate::runtime::bindings::types::{Down, ExitSignal, Info, Timeout};
use crate::runtime::coarse_clock;
use crate::runtime::{Casts, Crash, CrashCause, Instance};
use crate::sandbox::QuotaExceeded;

/// Longest message text quoted in a crash report.
const MESSAGE_QUOTE_BYTES: usize = 1024;

/// A live GenServer: its instance, its mailbox, and the timeout the last
/// callback asked for.
pub(crate) struct Server {
    pub(crate) processes: Processes,
    pub(crate) shared: Arc<Shared>,
    pub(crate) instance: Instance,
    pub(crate) mailbox: Inbox,
    pub(crate) timeout: Option<Instant>,
}

/// How handling one message ended.
pub(crate) enum Step {
    Continue,
    Exit(ExitReason),
}

impl Server {
    /// Turn a GenServer timeout into a deadline.
    pub(crate) fn deadline(timeout: Timeout) -> Option<Instant> {
        match timeout {
            Timeout::Infinity => None,
            Timeout::AfterMs(ms) => Some(Instant::now() + Duration::from_millis(u64::from(ms))),
        }
    }

    /// Serve until the process exits; returns why.
    pub(crate) async fn run(mut self) -> ExitReason {
        loop {
            let envelope = match self.timeout {
                None => self.mailbox.recv().await,
                Some(at) => tokio::select! {
                    biased;
                    envelope = self.mailbox.recv() => envelope,
                    () = tokio::time::sleep_until(at) => None,
                },
            };
            let step = match envelope {
                Some(envelope) => {
                    let (callback, message) = callback_of(&envelope);
                    self.shared.activity.begin(callback, message);
                    // A precise clock reading costs tens of ns on a VM:
                    // only when metrics want call durations.
                    let timed = (callback == Callback::HandleCall && self.processes.times_calls())
                        .then(std::time::Instant::now);
                    let step = self.handle(envelope).await;
                    self.ended(timed);
                    step
                }
                None => {
                    self.timeout = None;
                    self.shared.activity.begin(Callback::HandleInfo, None);
                    let step = self.info(Info::Timeout, || "timeout".to_string()).await;
                    self.ended(None);
                    step
                }
            };
            if let Step::Exit(reason) = step {
                self.host().fail_callers(CallError::Exited(reason.clone()));
                return reason;
            }
        }
    }

    /// A message was handled: the memory now, for `info`, and for a call
    /// whose time metrics want (`timed`: when it began), its duration.
    fn ended(&self, timed: Option<std::time::Instant>) {
        if let Some(began) = timed {
            self.shared
                .activity
                .time_call(coarse_clock::nanos(began.elapsed()));
        }
        self.shared.activity.end(self.instance.memory_bytes());
    }

    fn host(&mut self) -> &mut ProcessHost {
        self.instance
            .host_mut::<ProcessHost>()
            .expect("a process instance is always built with a ProcessHost")
    }

    async fn handle(&mut self, envelope: Envelope) -> Step {
        if !matches!(
            envelope,
            Envelope::GetState(_) | Envelope::CodeChange(_) | Envelope::ConfigChange(_)
        ) {
            // Any message but a system one cancels the timeout.
            self.timeout = None;
        }
        match envelope {
            Envelope::Call {
                request,
                reply,
                from,
            } => self.call(request, reply, from).await,
            Envelope::Casts(run) => match self.mailbox.open(&run) {
                Some(casts) => self.casts(casts).await,
                None => Step::Continue,
            },
            Envelope::Info(msg) => {
                let text = describe("info", &msg);
                self.info(Info::Message(msg), || text).await
            }
            Envelope::Timer { timer, msg } => {
                if !self.host().timer_fired(timer) {
                    return Step::Continue; // cancelled after it was sent
                }
                let text = describe("info", &msg);
                self.info(Info::Message(msg), || text).await
            }
            Envelope::Exit { from, reason } => {
                if self.shared.parent == Some(from) {
                    // The parent's exit signal ends a trapping process, after
                    // its terminate.
                    self.terminate(&reason).await;
                    return Step::Exit(reason);
                }
                let signal = Info::Exit(ExitSignal {
                    from: from.0,
                    reason: reason.to_wit(),
                });
                self.info(signal, || format!("exit signal from {from}: {reason}"))
                    .await
            }
            Envelope::GetState(reply) => match self.instance.get_state().await {
                Ok(state) => {
                    let _ = reply.send(Ok(state));
                    Step::Continue
                }
                Err(crash) => self.crashed(crash, Some("get-state".into())),
            },
            Envelope::Down {
                monitor,
                pid,
                reason,
            } => {
                self.host().monitor_fired(monitor);
                let down = Info::Down(Down {
                    monitor,
                    pid: pid.0,
                    reason: reason.to_wit(),
                });
                self.info(down, || format!("down from {pid}: {reason}"))
                    .await
            }
            Envelope::CodeChange(change) => self.change_code(change).await,
            Envelope::ConfigChange(change) => self.config_change(&change).await,
        }
    }

    async fn call(
        &mut self,
        request: Vec<u8>,
        reply: super::mailbox::ReplySender,
        caller: Option<super::Pid>,
    ) -> Step {
        let from = self.host().begin_call(reply, caller);
        match self.instance.handle_call(&request, from).await {
            Ok(CallResult::Reply((payload, timeout))) => {
                if let Err(over) = self.host().check_reply(payload.len()) {
                    return self.crashed(quota_crash(over), Some(describe("call", &request)));
                }
                if let Some(reply) = self.host().take_current() {
                    let _ = reply.send(Ok(payload));
                }
                self.timeout = Self::deadline(timeout);
                Step::Continue
            }
            Ok(CallResult::Noreply(timeout)) => {
                self.host().defer_current();
                self.timeout = Self::deadline(timeout);
                Step::Continue
            }
            Ok(CallResult::Stop((reason, payload))) => {
                let reason = ExitReason::from_wit(reason);
                if let Some(Err(over)) = payload.as_ref().map(|p| self.host().check_reply(p.len()))
                {
                    return self.crashed(quota_crash(over), Some(describe("call", &request)));
                }
                // OTP: terminate runs first, then the reply is sent.
                let reply = self.host().take_current();
                self.terminate(&reason).await;
                if let Some(reply) = reply {
                    let _ = reply.send(match payload {
                        Some(payload) => Ok(payload),
                        None => Err(CallError::Exited(reason.clone())),
                    });
                }
                self.report_stop(&reason, Some(describe("call", &request)));
                Step::Exit(reason)
            }
            Err(crash) => self.crashed(crash, Some(describe("call", &request))),
        }
    }

    /// The casts of one envelope, in order: in one guest entry if the
    /// build takes batches, else one `handle-cast` each.
    async fn casts(&mut self, casts: Casts) -> Step {
        if let Some(first) = casts.message(0) {
            self.shared.activity.quote(first);
        }
        let casts = match casts.into_single() {
            Ok(msg) => return self.cast(&msg).await,
            Err(casts) => casts,
        };
        if !self.instance.takes_batches() {
            for (index, msg) in casts.messages().enumerate() {
                if index > 0 {
                    self.shared.activity.next_cast(msg);
                }
                if let Step::Exit(reason) = self.cast(&msg.to_vec()).await {
                    return Step::Exit(reason);
                }
            }
            return Step::Continue;
        }
        let casts = Arc::new(casts);
        self.shared.activity.cast_batch();
        self.host().batch = Some(casts.clone());
        let result = self.instance.handle_casts(&casts).await;
        self.host().batch = None;
        match result {
            Ok(result) => self.after_cast(result).await,
            Err((crash, index)) => {
                let msg = casts.message(index).map(|msg| describe("cast", msg));
                self.crashed(crash, msg)
            }
        }
    }

    /// One cast, `handle-cast(msg)`.
    async fn cast(&mut self, msg: &Vec<u8>) -> Step {
        match self.instance.handle_cast(msg).await {
            Ok(result) => self.after_cast(result).await,
            Err(crash) => self.crashed(crash, Some(describe("cast", msg))),
        }
    }

    async fn info(&mut self, info: Info, text: impl FnOnce() -> String) -> Step {
        match self.instance.handle_info(&info).await {
            Ok(result) => self.after_cast(result).await,
            Err(crash) => self.crashed(crash, Some(text())),
        }
    }

    async fn after_cast(&mut self, result: CastResult) -> Step {
        match result {
            CastResult::Noreply(timeout) => {
                self.timeout = Self::deadline(timeout);
                Step::Continue
            }
            CastResult::Stop(reason) => {
                let reason = ExitReason::from_wit(reason);
                self.terminate(&reason).await;
                self.report_stop(&reason, None);
                Step::Exit(reason)
            }
        }
    }

    /// Run the guest's `terminate`. A crash in it is reported, but the exit
    /// reason stays the one that caused the stop.
    async fn terminate(&mut self, reason: &ExitReason) {
        if let Err(crash) = self.instance.terminate(&reason.to_wit()).await {
            self.report_crash(
                &ExitReason::Crash(crash.cause.clone()),
                crash,
                Some("terminate".into()),
            );
        }
    }

    pub(crate) fn crashed(&mut self, crash: Crash, message: Option<String>) -> Step {
        let reason = ExitReason::Crash(crash.cause.clone());
        self.report_crash(&reason, crash, message);
        self.processes.note_crash(&self.shared, &reason.to_string());
        Step::Exit(reason)
    }

    /// A guest-chosen stop with an abnormal reason is reported like a crash,
    /// without a stack.
    fn report_stop(&self, reason: &ExitReason, message: Option<String>) {
        if !reason.is_normal() {
            self.report_crash(reason, Crash::host(reason.to_string()), message);
            self.processes.note_crash(&self.shared, &reason.to_string());
        }
    }

    /// Publish a crash report; it takes the crash's backtrace and output.
    fn report_crash(&self, reason: &ExitReason, crash: Crash, message: Option<String>) {
        self.processes.events().publish(Event::CrashReport {
            pid: self.shared.pid,
            id: self.shared.id.clone(),
            plugin: self.shared.plugin.clone(),
            vsn: self.shared.vsn(),
            reason: reason.clone(),
            backtrace: crash.backtrace,
            message,
            output: crash.output,
        });
    }
}

/// The callback an envelope runs, and the message it hands the guest.
fn callback_of(envelope: &Envelope) -> (Callback, Option<&[u8]>) {
    match envelope {
        Envelope::Call { request, .. } => (Callback::HandleCall, Some(request)),
        // Its casts are quoted once taken out.
        Envelope::Casts(_) => (Callback::HandleCast, None),
        Envelope::Info(msg) | Envelope::Timer { msg, .. } => (Callback::HandleInfo, Some(msg)),
        Envelope::Exit { .. } | Envelope::Down { .. } => (Callback::HandleInfo, None),
        Envelope::GetState(_) => (Callback::GetState, None),
        Envelope::CodeChange(_) => (Callback::CodeChange, None),
        Envelope::ConfigChange(_) => (Callback::ConfigChange, None),
    }
}

/// A crash for going over `quota` where the guest had no error to read.
fn quota_crash(quota: QuotaExceeded) -> Crash {
    Crash {
        cause: CrashCause::Quota(quota),
        backtrace: Vec::new(),
        output: String::new(),
    }
}

/// `call "increment"`: a message for a crash report, cut to a sane length.
pub(crate) fn describe(kind: &str, payload: &[u8]) -> String {
    let text = String::from_utf8_lossy(payload);
    if text.len() <= MESSAGE_QUOTE_BYTES {
        return format!("{kind} {text}");
    }
    let end = text.floor_char_boundary(MESSAGE_QUOTE_BYTES);
    format!("{kind} {}… ({} bytes)", &text[..end], payload.len())
}
