//! Rust bindings for the `overseer:plugin/gen-server` world (`wit/`).
//!
//! Exports are called asynchronously so that a long callback yields to other
//! processes at every epoch tick; the host imports are synchronous because
//! none of them waits.

wasmtime::component::bindgen!({
    world: "gen-server",
    path: "../wit",
    exports: { default: async },
});

pub use self::exports::overseer::plugin::server;
pub use self::overseer::plugin::types;
