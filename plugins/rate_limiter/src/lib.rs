//! `rate_limiter`: the seed's exercise 3, at most N requests per period.
//!
//! Protocol (JSON):
//! - init args `{"max_requests": N, "period_ms": P}`; P defaults to 60000.
//! - call `"check"` → `"ok"` (and counts the request) or `"rate_limited"`.
//! - the count resets every P ms: the process sends itself `"reset"` with
//!   `send_after` and reschedules it each time.
//! - get-state → `{"max_requests": N, "period_ms": P, "count": C}`.

use overseer_guest::{
    CallResult, Caller, CastResult, GenServer, IgnoredAny, Info, Init, send_after,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct RateLimiter {
    max_requests: u64,
    period_ms: u32,
    count: u64,
}

#[derive(Deserialize)]
struct Args {
    max_requests: u64,
    #[serde(default = "one_minute")]
    period_ms: u32,
}

fn one_minute() -> u32 {
    60_000
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Call {
    Check,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Reply {
    Ok,
    RateLimited,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Msg {
    Reset,
}

fn schedule_reset(period_ms: u32) {
    send_after(&Msg::Reset, period_ms);
}

impl GenServer for RateLimiter {
    const VSN: &'static str = "1.0.0";
    type Args = Args;
    type Call = Call;
    type Reply = Reply;
    type Cast = IgnoredAny;
    type Info = Msg;

    fn init(
        Args {
            max_requests,
            period_ms,
        }: Args,
    ) -> Init<Self> {
        schedule_reset(period_ms);
        Init::ok(RateLimiter {
            max_requests,
            period_ms,
            count: 0,
        })
    }

    fn handle_call(&mut self, Call::Check: Call, _from: Caller) -> CallResult<Reply> {
        if self.count < self.max_requests {
            self.count += 1;
            CallResult::reply(Reply::Ok)
        } else {
            CallResult::reply(Reply::RateLimited)
        }
    }

    fn handle_info(&mut self, msg: Info<Msg>) -> CastResult {
        if let Info::Message(Msg::Reset) = msg {
            schedule_reset(self.period_ms);
            self.count = 0;
        }
        CastResult::noreply()
    }
}

overseer_guest::export!(RateLimiter);
