//! `{{name}}`: a counter to start from. Call "increment", "get" or
//! {"add": N}; cast "increment"; init args {"initial_value": N}.

use overseer_guest::{CallResult, Caller, CastResult, ExitReason, GenServer, IgnoredAny, Init, log};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct State {
    value: i64,
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
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Cast {
    Increment,
}

impl GenServer for State {
    const VSN: &'static str = "0.1.0";
    type Args = Option<Args>;
    type Call = Call;
    type Reply = i64;
    type Cast = Cast;
    type Info = IgnoredAny;

    fn init(args: Option<Args>) -> Init<Self> {
        Init::ok(State {
            value: args.map_or(0, |a| a.initial_value),
        })
    }

    fn handle_call(&mut self, request: Call, _from: Caller) -> CallResult<i64> {
        match request {
            Call::Increment => self.value += 1,
            Call::Get => {}
            Call::Add(n) => self.value += n,
        }
        CallResult::reply(self.value)
    }

    fn handle_cast(&mut self, Cast::Increment: Cast) -> CastResult {
        self.value += 1;
        CastResult::noreply()
    }

    fn terminate(&mut self, reason: ExitReason) {
        log::info(format!("terminate: {reason}"));
    }
}

overseer_guest::export!(State);
