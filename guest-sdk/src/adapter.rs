//! From the WIT `server` interface to a [`GenServer`]: decode payloads, keep
//! the state, encode what the callbacks decide.

use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::exports::overseer::plugin::server::Guest;
use crate::bindings::overseer::plugin::types as wit;
use crate::messaging::MonitorRef;
use crate::results::{CallResult, CastResult, ExitReason, Info, Init, wit_timeout};
use crate::server::GenServer;

/// Implements the exported `server` interface for the GenServer `T`;
/// [`export!`](crate::export) names it. Not meant to be used directly.
pub struct Adapter<T>(PhantomData<T>);

thread_local! {
    /// The process's state: `Some(T)` between a successful `init` (or
    /// `code-change`) and the instance's end. A wasm instance runs one
    /// callback at a time on one thread, so this is its only copy; a
    /// `thread_local` rather than a `static` keeps native test threads apart.
    static STATE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

fn put_state<T: 'static>(state: Option<T>) {
    STATE.with(|slot| *slot.borrow_mut() = state.map(|s| Box::new(s) as Box<dyn Any>));
}

/// Run `f` on the state, or return `None` when there is none of type `T`
/// (the host called a callback before `init` succeeded).
fn with_state<T: 'static, R>(f: impl FnOnce(&mut T) -> R) -> Option<R> {
    STATE.with(|slot| slot.borrow_mut().as_mut()?.downcast_mut::<T>().map(f))
}

/// Decode a JSON payload, or say why not and what it was.
fn decode<T: DeserializeOwned>(what: &str, payload: &[u8]) -> Result<T, ExitReason> {
    serde_json::from_slice(payload).map_err(|err| {
        ExitReason::Error(format!(
            "cannot decode {what}: {err} in {}",
            preview(payload)
        ))
    })
}

fn encode<T: Serialize + ?Sized>(what: &str, value: &T) -> Result<Vec<u8>, ExitReason> {
    serde_json::to_vec(value)
        .map_err(|err| ExitReason::Error(format!("cannot encode {what}: {err}")))
}

/// The payload as text for an exit reason, cut to a length a log line can
/// carry.
fn preview(payload: &[u8]) -> String {
    const MAX_CHARS: usize = 200;
    let text = String::from_utf8_lossy(payload);
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], payload.len()),
        None => text.into_owned(),
    }
}

fn no_state(callback: &str) -> ExitReason {
    ExitReason::Error(format!(
        "{callback} called before init succeeded: the process has no state"
    ))
}

fn cast_result(result: CastResult) -> wit::CastResult {
    match result {
        CastResult::NoReply { timeout } => wit::CastResult::Noreply(wit_timeout(timeout)),
        CastResult::Stop(reason) => wit::CastResult::Stop(reason.into()),
    }
}

fn call_result<R: Serialize>(result: CallResult<R>) -> wit::CallResult {
    let stop = |reason: ExitReason| wit::CallResult::Stop((reason.into(), None));
    match result {
        CallResult::Reply { reply, timeout } => match encode("reply", &reply) {
            Ok(reply) => wit::CallResult::Reply((reply, wit_timeout(timeout))),
            Err(reason) => stop(reason),
        },
        CallResult::NoReply { timeout } => wit::CallResult::Noreply(wit_timeout(timeout)),
        CallResult::Stop {
            reason,
            reply: None,
        } => stop(reason),
        CallResult::Stop {
            reason,
            reply: Some(reply),
        } => match encode("reply", &reply) {
            Ok(reply) => wit::CallResult::Stop((reason.into(), Some(reply))),
            Err(reason) => stop(reason),
        },
    }
}

/// From the first callback on, a panic ends the process through the host's
/// `panicked` import, with its message and where it happened: the host
/// ends the instance without a hardware trap (the `unreachable` an
/// aborting panic otherwise executes costs a hypervisor exit and a signal
/// on a VM), and the exit reason names the panic and its place.
///
/// Rust's own hook is not run: it would print the same to stderr, after
/// looking up `RUST_BACKTRACE` in the environment, through several WASI
/// calls that cost a quarter of a restart (measured: restart after a panic
/// 22.0–22.4 → 16.3–16.7 µs median).
#[cfg(target_arch = "wasm32")]
pub(crate) fn panics_through_the_host() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
            let reported = match info.location() {
                Some(at) => format!("{message} (at {at})"),
                None => message.to_owned(),
            };
            crate::bindings::overseer::plugin::host::panicked(&reported);
        }));
    });
}

/// Natively (the crate's own tests) there is no host to end the process.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn panics_through_the_host() {}

impl<T: GenServer> Adapter<T> {
    /// One cast, from `handle-cast` or a batch of them.
    pub(crate) fn cast(msg: &[u8]) -> wit::CastResult {
        let msg = match decode::<T::Cast>("cast", msg) {
            Ok(msg) => msg,
            Err(reason) => return wit::CastResult::Stop(reason.into()),
        };
        let result = with_state(|state: &mut T| state.handle_cast(msg));
        cast_result(result.unwrap_or_else(|| CastResult::stop(no_state("handle_cast"))))
    }
}

impl<T: GenServer> Guest for Adapter<T> {
    fn vsn() -> String {
        panics_through_the_host();
        T::VSN.to_owned()
    }

    fn init(args: wit::Payload) -> wit::InitResult {
        panics_through_the_host();
        // An empty payload is taken as "no args", like `null`.
        let args: &[u8] = if args.is_empty() { b"null" } else { &args };
        let args = match decode::<T::Args>("init args", args) {
            Ok(args) => args,
            Err(reason) => return wit::InitResult::Stop(reason.into()),
        };
        match T::init(args) {
            Init::Ok { state, timeout } => {
                put_state(Some(state));
                wit::InitResult::Ok(wit_timeout(timeout))
            }
            Init::Ignore => {
                put_state::<T>(None);
                wit::InitResult::Ignore
            }
            Init::Stop(reason) => {
                put_state::<T>(None);
                wit::InitResult::Stop(reason.into())
            }
        }
    }

    fn handle_call(request: wit::Payload, from: wit::Caller) -> wit::CallResult {
        panics_through_the_host();
        let stop = |reason: ExitReason| wit::CallResult::Stop((reason.into(), None));
        let request = match decode::<T::Call>("call", &request) {
            Ok(request) => request,
            Err(reason) => return stop(reason),
        };
        match with_state(|state: &mut T| state.handle_call(request, from.into())) {
            Some(result) => call_result(result),
            None => stop(no_state("handle_call")),
        }
    }

    fn handle_cast(msg: wit::Payload) -> wit::CastResult {
        panics_through_the_host();
        Self::cast(&msg)
    }

    fn handle_info(msg: wit::Info) -> wit::CastResult {
        panics_through_the_host();
        let msg = match msg {
            wit::Info::Message(payload) => match decode::<T::Info>("info", &payload) {
                Ok(msg) => Info::Message(msg),
                Err(reason) => return wit::CastResult::Stop(reason.into()),
            },
            wit::Info::Timeout => Info::Timeout,
            wit::Info::Down(down) => Info::Down {
                monitor: MonitorRef(down.monitor),
                pid: down.pid,
                reason: down.reason.into(),
            },
            wit::Info::Exit(exit) => Info::Exit {
                from: exit.from,
                reason: exit.reason.into(),
            },
        };
        let result = with_state(|state: &mut T| state.handle_info(msg));
        cast_result(result.unwrap_or_else(|| CastResult::stop(no_state("handle_info"))))
    }

    fn terminate(reason: wit::ExitReason) {
        panics_through_the_host();
        // Without a state there is nothing to clean up.
        let _ = with_state(|state: &mut T| state.terminate(reason.into()));
    }

    /// # Panics
    ///
    /// If the state cannot be encoded as JSON (a map with non-string keys, a
    /// failing `Serialize` impl): a bug in the plugin, and `get-state` has no
    /// error to return, so the message goes to stderr and the instance traps.
    fn get_state() -> wit::Payload {
        panics_through_the_host();
        let encoded = with_state(|state: &mut T| encode("state", state));
        match encoded {
            None => b"null".to_vec(),
            Some(Ok(state)) => state,
            Some(Err(reason)) => panic!("overseer_guest: get-state: {reason}"),
        }
    }

    fn code_change(
        from: wit::VsnChange,
        old_state: wit::Payload,
        extra: wit::Payload,
    ) -> Result<(), String> {
        panics_through_the_host();
        let state = T::code_change(&from.into(), &old_state, &extra)?;
        put_state(Some(state));
        Ok(())
    }

    fn config_change(changed: Vec<(String, wit::Payload)>, removed: Vec<String>) {
        panics_through_the_host();
        let changed = changed
            .into_iter()
            .map(|(key, value)| {
                let value = serde_json::from_slice(&value).unwrap_or_else(|_| {
                    serde_json::Value::String(String::from_utf8_lossy(&value).into_owned())
                });
                (key, value)
            })
            .collect();
        // Before init succeeded there is no state to tell.
        let _ = with_state(|state: &mut T| state.config_change(changed, removed));
    }
}

#[cfg(test)]
mod tests {
    //! The adapter's decoding and encoding, run natively: none of these
    //! paths calls a host import.

    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::results::Caller;

    #[derive(Serialize, Deserialize)]
    struct Counter {
        value: i64,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Call {
        Get,
        Add(i64),
        StopWith(String),
        Later,
    }

    #[derive(Deserialize)]
    struct Args {
        #[serde(default)]
        initial_value: i64,
    }

    impl GenServer for Counter {
        const VSN: &'static str = "9.9.9";
        type Args = Option<Args>;
        type Call = Call;
        type Reply = i64;
        type Cast = i64;
        type Info = String;

        fn init(args: Option<Args>) -> Init<Self> {
            match args {
                Some(Args { initial_value: -1 }) => Init::ignore(),
                Some(Args { initial_value: -2 }) => Init::stop(ExitReason::error("no")),
                args => Init::ok(Counter {
                    value: args.map_or(0, |a| a.initial_value),
                })
                .with_timeout(7),
            }
        }

        fn handle_call(&mut self, request: Call, _from: Caller) -> CallResult<i64> {
            match request {
                Call::Get => CallResult::reply(self.value),
                Call::Add(n) => {
                    self.value += n;
                    CallResult::reply(self.value).with_timeout(5)
                }
                Call::StopWith(why) => {
                    CallResult::stop_with_reply(ExitReason::shutdown_with(why), self.value)
                }
                Call::Later => CallResult::noreply(),
            }
        }

        fn handle_cast(&mut self, n: i64) -> CastResult {
            self.value += n;
            CastResult::noreply()
        }

        fn handle_info(&mut self, msg: Info<String>) -> CastResult {
            match msg {
                Info::Timeout => CastResult::stop(ExitReason::Normal),
                _ => CastResult::noreply().with_timeout(3),
            }
        }
    }

    type A = Adapter<Counter>;

    fn caller() -> wit::Caller {
        wit::Caller {
            pid: Some(1),
            tag: 2,
        }
    }

    fn state() -> String {
        String::from_utf8(A::get_state()).unwrap()
    }

    fn error_reason(result: wit::CallResult) -> String {
        match result {
            wit::CallResult::Stop((wit::ExitReason::Error(reason), None)) => reason,
            other => panic!("expected a stop with an error, got {other:?}"),
        }
    }

    #[test]
    fn init_decodes_args_null_and_empty() {
        assert!(matches!(
            A::init(br#"{"initial_value": 5}"#.to_vec()),
            wit::InitResult::Ok(wit::Timeout::AfterMs(7))
        ));
        assert_eq!(state(), r#"{"value":5}"#);
        assert!(matches!(A::init(b"null".to_vec()), wit::InitResult::Ok(_)));
        assert_eq!(state(), r#"{"value":0}"#);
        assert!(matches!(A::init(Vec::new()), wit::InitResult::Ok(_)));
        assert_eq!(state(), r#"{"value":0}"#);
    }

    #[test]
    fn init_ignore_stop_and_bad_args() {
        assert!(matches!(
            A::init(br#"{"initial_value": -1}"#.to_vec()),
            wit::InitResult::Ignore
        ));
        assert_eq!(state(), "null");
        assert!(matches!(
            A::init(br#"{"initial_value": -2}"#.to_vec()),
            wit::InitResult::Stop(wit::ExitReason::Error(r)) if r == "no"
        ));
        match A::init(br#"{"initial_value": "x"}"#.to_vec()) {
            wit::InitResult::Stop(wit::ExitReason::Error(reason)) => {
                assert!(
                    reason.starts_with("cannot decode init args: invalid type"),
                    "{reason}"
                );
                assert!(reason.ends_with(r#"in {"initial_value": "x"}"#), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn calls_reply_and_keep_the_state() {
        A::init(b"null".to_vec());
        assert!(matches!(
            A::handle_call(br#"{"add": 3}"#.to_vec(), caller()),
            wit::CallResult::Reply((r, wit::Timeout::AfterMs(5))) if r == b"3"
        ));
        assert!(matches!(
            A::handle_call(br#""get""#.to_vec(), caller()),
            wit::CallResult::Reply((r, wit::Timeout::Infinity)) if r == b"3"
        ));
        assert!(matches!(
            A::handle_call(br#""later""#.to_vec(), caller()),
            wit::CallResult::Noreply(wit::Timeout::Infinity)
        ));
        assert!(matches!(
            A::handle_call(br#"{"stop_with": "bye"}"#.to_vec(), caller()),
            wit::CallResult::Stop((wit::ExitReason::ShutdownWith(w), Some(r))) if w == "bye" && r == b"3"
        ));
        assert_eq!(state(), r#"{"value":3}"#);
    }

    #[test]
    fn undecodable_messages_stop_with_a_reason() {
        A::init(b"null".to_vec());
        let reason = error_reason(A::handle_call(br#""reset""#.to_vec(), caller()));
        assert!(
            reason.starts_with("cannot decode call: unknown variant `reset`"),
            "{reason}"
        );
        assert!(reason.ends_with(r#" in "reset""#), "{reason}");
        assert!(matches!(
            A::handle_cast(b"[1]".to_vec()),
            wit::CastResult::Stop(wit::ExitReason::Error(r)) if r.starts_with("cannot decode cast: ")
        ));
        assert!(matches!(
            A::handle_info(wit::Info::Message(b"\xff".to_vec())),
            wit::CastResult::Stop(wit::ExitReason::Error(r)) if r.starts_with("cannot decode info: ")
        ));
        let long = format!("\"{}\"", "é".repeat(500));
        let reason = error_reason(A::handle_call(long.into_bytes(), caller()));
        assert!(reason.ends_with("… (1002 bytes)"), "{reason}");
    }

    #[test]
    fn casts_and_infos() {
        A::init(b"null".to_vec());
        assert!(matches!(
            A::handle_cast(b"4".to_vec()),
            wit::CastResult::Noreply(wit::Timeout::Infinity)
        ));
        assert_eq!(state(), r#"{"value":4}"#);
        assert!(matches!(
            A::handle_info(wit::Info::Message(br#""hi""#.to_vec())),
            wit::CastResult::Noreply(wit::Timeout::AfterMs(3))
        ));
        let down = wit::Down {
            monitor: 9,
            pid: 4,
            reason: wit::ExitReason::Normal,
        };
        assert!(matches!(
            A::handle_info(wit::Info::Down(down)),
            wit::CastResult::Noreply(wit::Timeout::AfterMs(3))
        ));
        assert!(matches!(
            A::handle_info(wit::Info::Timeout),
            wit::CastResult::Stop(wit::ExitReason::Normal)
        ));
    }

    #[test]
    fn callbacks_before_init_stop() {
        put_state::<Counter>(None);
        let reason = error_reason(A::handle_call(br#""get""#.to_vec(), caller()));
        assert!(reason.contains("before init"), "{reason}");
        assert!(matches!(
            A::handle_cast(b"1".to_vec()),
            wit::CastResult::Stop(_)
        ));
        A::terminate(wit::ExitReason::Shutdown);
        assert_eq!(state(), "null");
    }

    #[test]
    fn code_change_takes_over_the_old_state() {
        assert_eq!(A::vsn(), "9.9.9");
        assert_eq!(
            A::code_change(
                wit::VsnChange::Upgrade("1.0.0".into()),
                br#"{"value": 41}"#.to_vec(),
                b"null".to_vec()
            ),
            Ok(())
        );
        assert_eq!(state(), r#"{"value":41}"#);
        let err = A::code_change(
            wit::VsnChange::Upgrade("1.0.0".into()),
            br#"{"count": 1}"#.to_vec(),
            b"null".to_vec(),
        )
        .unwrap_err();
        assert!(
            err.starts_with("cannot decode the state of version 1.0.0: missing field `value`"),
            "{err}"
        );
    }

    #[test]
    fn caller_round_trips_through_json() {
        let caller = Caller::from(caller());
        let json = serde_json::to_string(&caller).unwrap();
        assert_eq!(json, r#"{"pid":1,"tag":2}"#);
        assert_eq!(serde_json::from_str::<Caller>(&json).unwrap(), caller);
    }

    #[test]
    fn exit_reasons_display() {
        assert_eq!(ExitReason::Normal.to_string(), "normal");
        assert_eq!(ExitReason::Shutdown.to_string(), "shutdown");
        assert_eq!(ExitReason::shutdown_with("x").to_string(), "shutdown: x");
        assert_eq!(ExitReason::error("boom").to_string(), "boom");
    }
}
