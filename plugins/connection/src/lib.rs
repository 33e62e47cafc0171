//! `connection`: the seed's `MyApp.Connection`, a stand-in for a database
//! connection, for exercise 4 (a connection pool) and exercise 5.
//!
//! Protocol (JSON):
//! - init args `{"host": H, "port": P}` (defaults "localhost", 5432).
//! - call `{"query": SQL}` → `{"conn": <its pid>, "query": SQL, "n": <how
//!   many queries this connection has served>}`.
//! - call `"info"` → `{"conn": pid, "host": H, "port": P, "queries": N}`.
//! - get-state → `{"host", "port", "queries"}`.

use overseer_guest::serde_json::{Value, json};
use overseer_guest::{CallResult, Caller, GenServer, IgnoredAny, Init, self_pid};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Connection {
    host: String,
    port: u16,
    queries: u64,
}

#[derive(Deserialize)]
struct Args {
    #[serde(default = "localhost")]
    host: String,
    #[serde(default = "postgres_port")]
    port: u16,
}

fn localhost() -> String {
    "localhost".into()
}

fn postgres_port() -> u16 {
    5432
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Call {
    Query(String),
    Info,
}

impl GenServer for Connection {
    const VSN: &'static str = "1.0.0";
    type Args = Option<Args>;
    type Call = Call;
    type Reply = Value;
    type Cast = IgnoredAny;
    type Info = IgnoredAny;

    fn init(args: Option<Args>) -> Init<Self> {
        let (host, port) = args.map_or((localhost(), postgres_port()), |a| (a.host, a.port));
        Init::ok(Connection {
            host,
            port,
            queries: 0,
        })
    }

    fn handle_call(&mut self, request: Call, _from: Caller) -> CallResult<Value> {
        match request {
            Call::Query(sql) => {
                self.queries += 1;
                CallResult::reply(json!({"conn": self_pid(), "query": sql, "n": self.queries}))
            }
            Call::Info => CallResult::reply(json!({
                "conn": self_pid(),
                "host": self.host,
                "port": self.port,
                "queries": self.queries,
            })),
        }
    }
}

overseer_guest::export!(Connection);
