//! `session`: the seed's `MyApp.Session`, a user session that expires when
//! idle.
//!
//! Protocol (JSON):
//! - init args `{"user_id": U, "idle_ms": T}` (U a string; T defaults to
//!   60000); init returns ok with timeout T.
//! - call `"get_user"` → U, with timeout T again.
//! - any cast and any plain message restart the timeout (noreply with T).
//! - when T ms pass without a message, the process logs (info)
//!   `session expired` and stops with reason normal.
//! - get-state → `{"user_id": U, "idle_ms": T}`.

use overseer_guest::{
    CallResult, Caller, CastResult, ExitReason, GenServer, IgnoredAny, Info, Init, log,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Session {
    user_id: String,
    #[serde(default = "one_minute")]
    idle_ms: u32,
}

fn one_minute() -> u32 {
    60_000
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Call {
    GetUser,
}

impl GenServer for Session {
    const VSN: &'static str = "1.0.0";
    type Args = Session;
    type Call = Call;
    type Reply = String;
    type Cast = IgnoredAny;
    type Info = IgnoredAny;

    fn init(session: Session) -> Init<Self> {
        let idle_ms = session.idle_ms;
        Init::ok(session).with_timeout(idle_ms)
    }

    fn handle_call(&mut self, Call::GetUser: Call, _from: Caller) -> CallResult<String> {
        CallResult::reply(self.user_id.clone()).with_timeout(self.idle_ms)
    }

    fn handle_cast(&mut self, _msg: IgnoredAny) -> CastResult {
        CastResult::noreply().with_timeout(self.idle_ms)
    }

    fn handle_info(&mut self, msg: Info<IgnoredAny>) -> CastResult {
        match msg {
            Info::Timeout => {
                log::info("session expired");
                CastResult::stop(ExitReason::Normal)
            }
            _ => CastResult::noreply().with_timeout(self.idle_ms),
        }
    }
}

overseer_guest::export!(Session);
