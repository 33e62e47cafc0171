//! `counter_v2`: version 2.0.0 of `counter`, the hot-upgrade example. Copy
//! `counter_v2.wasm` over `counter.wasm` while the counter runs: the host
//! swaps the code and `code_change` carries the value over.
//!
//! Protocol (JSON), v1's unchanged plus `"history"` and `"undo"`:
//! - init args `{"initial_value": N}`; the value starts at 0 when the key is
//!   absent or the args are `null`.
//! - call `"increment"` → the new value; call `"get"` → the value;
//!   call `{"add": N}` → the new value.
//! - call `"history"` → the previous values, oldest first (`[N, …]`);
//!   call `"undo"` → puts back the newest previous value and replies it (the
//!   value unchanged when the history is empty).
//! - cast `"increment"`.
//! - every increment or add first pushes the value to the history, which
//!   keeps the last 10; undo pops it.
//! - get-state → `{"value": N, "history": [N, …]}`.
//! - code_change logs (info) `code_change from <from>` and takes v1's
//!   `{"value": N}` (empty history) or a v2 state; without an integer
//!   `"value"` it fails and the old version keeps serving.
//! - terminate logs (info) `terminate: <reason>`.

use overseer_guest::serde_json::{self, Value};
use overseer_guest::{
    CallResult, Caller, CastResult, ExitReason, GenServer, IgnoredAny, Init, VsnChange, log,
};
use serde::{Deserialize, Serialize};

/// How many previous values the history keeps.
const HISTORY_LEN: usize = 10;

#[derive(Serialize, Deserialize)]
struct Counter {
    value: i64,
    history: Vec<i64>,
}

impl Counter {
    /// Set a new value, remembering the current one.
    fn set(&mut self, value: i64) {
        self.history.push(self.value);
        self.trim();
        self.value = value;
    }

    fn trim(&mut self) {
        let excess = self.history.len().saturating_sub(HISTORY_LEN);
        self.history.drain(..excess);
    }
}

#[derive(Deserialize)]
struct Args {
    #[serde(default)]
    initial_value: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Call {
    Increment,
    Get,
    Add(i64),
    History,
    Undo,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Cast {
    Increment,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Reply {
    Value(i64),
    History(Vec<i64>),
}

impl GenServer for Counter {
    const VSN: &'static str = "2.0.0";
    type Args = Option<Args>;
    type Call = Call;
    type Reply = Reply;
    type Cast = Cast;
    type Info = IgnoredAny;

    fn init(args: Option<Args>) -> Init<Self> {
        let initial_value = args.map_or(0, |args| args.initial_value);
        Init::ok(Counter {
            value: initial_value,
            history: Vec::new(),
        })
    }

    fn handle_call(&mut self, request: Call, _from: Caller) -> CallResult<Reply> {
        match request {
            Call::Increment => self.set(self.value + 1),
            Call::Get => {}
            Call::Add(n) => self.set(self.value + n),
            Call::History => return CallResult::reply(Reply::History(self.history.clone())),
            Call::Undo => {
                if let Some(previous) = self.history.pop() {
                    self.value = previous;
                }
            }
        }
        CallResult::reply(Reply::Value(self.value))
    }

    fn handle_cast(&mut self, Cast::Increment: Cast) -> CastResult {
        self.set(self.value + 1);
        CastResult::noreply()
    }

    fn terminate(&mut self, reason: ExitReason) {
        log::info(format!("terminate: {reason}"));
    }

    /// v1's state is `{"value": N}`: keep the value, start with no history.
    /// A v2 state (a reload of this version) keeps its history too.
    fn code_change(from: &VsnChange, old_state: &[u8], _extra: &[u8]) -> Result<Self, String> {
        log::info(format!("code_change from {from}"));
        let old: Value = serde_json::from_slice(old_state)
            .map_err(|err| format!("counter_v2: the state of version {from} is not JSON: {err}"))?;
        let value = old.get("value").and_then(Value::as_i64).ok_or_else(|| {
            format!("counter_v2: the state of version {from} has no integer \"value\": {old}")
        })?;
        let history = match old.get("history") {
            None => Vec::new(),
            Some(history) => serde_json::from_value(history.clone()).map_err(|err| {
                format!(
                    "counter_v2: the \"history\" of version {from} is not a list of integers: {err}"
                )
            })?,
        };
        let mut counter = Counter { value, history };
        counter.trim();
        Ok(counter)
    }
}

overseer_guest::export!(Counter);
