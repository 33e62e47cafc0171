//! Rust bindings for the `overseer:plugin/gen-server` world (`wit/`).
//!
//! Exports are called asynchronously so that a long callback yields to other
//! processes at every epoch tick. Host imports are synchronous, but for
//! `call`, which waits for another process's reply without blocking a
//! thread.

wasmtime::component::bindgen!({
    world: "gen-server",
    path: "../wit",
    imports: { "overseer:plugin/host.call": async },
    exports: { default: async },
});

pub use self::exports::overseer::plugin::server;
pub use self::overseer::plugin::types;
