//! `wordcount`: a task (Elixir's `Task`) that counts words, and can also
//! sleep, fail or crash on request, for the task supervisor's tests.
//!
//! Protocol (JSON), one input, one output:
//! - `{"text": S}` → `{"words": N}`, the number of whitespace-separated
//!   words in S.
//! - `{"sleep_ms": N}` → sleeps N ms (`std::thread::sleep`, which WASI p2
//!   turns into a wait on the host's clock), then `{"slept": N}`.
//! - `{"fail": MSG}` → fails with `MSG`.
//! - `{"crash": true}` → traps (wasm `unreachable`).
//! - anything else (`{"crash": false}` included) → fails with
//!   `cannot decode the input: …`.
//!
//! Logs (info) one line per run, naming what it was asked to do.

use std::time::Duration;

use overseer_task::{Task, log};
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Input {
    Text(String),
    SleepMs(u64),
    Fail(String),
    Crash(Yes),
}

/// `true`, and only `true`: `{"crash": false}` is not a request to crash,
/// so it does not decode.
struct Yes;

impl<'de> Deserialize<'de> for Yes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if bool::deserialize(deserializer)? {
            Ok(Yes)
        } else {
            Err(serde::de::Error::custom("crash must be true"))
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Output {
    Words(usize),
    Slept(u64),
}

struct WordCount;

impl Task for WordCount {
    type Input = Input;
    type Output = Output;

    fn run(input: Input) -> Result<Output, String> {
        match input {
            Input::Text(text) => {
                let words = text.split_whitespace().count();
                log::info(format!("{words} words"));
                Ok(Output::Words(words))
            }
            Input::SleepMs(ms) => {
                log::info(format!("sleeping {ms} ms"));
                std::thread::sleep(Duration::from_millis(ms));
                Ok(Output::Slept(ms))
            }
            Input::Fail(reason) => {
                log::info(format!("failing: {reason}"));
                Err(reason)
            }
            Input::Crash(Yes) => {
                log::info("crashing");
                trap()
            }
        }
    }
}

/// Trap: wasm `unreachable`. Off wasm32 (only for `cargo clippy` and
/// `cargo check` on the host target) a panic stands in.
fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    panic!("wordcount: trap");
}

overseer_task::export!(WordCount);
