//! Rust bindings for the `overseer:plugin/gen-server` world (`wit/`).
//!
//! Exports are called asynchronously so that a long callback yields to other
//! processes at every epoch tick. Host imports are synchronous, but for
//! `call` and the supervisor ones, which wait for another task without
//! blocking a thread.

wasmtime::component::bindgen!({
    world: "gen-server",
    path: "../wit",
    imports: {
        "overseer:plugin/host.send-after": trappable,
        "overseer:plugin/host.reply": trappable,
        "overseer:plugin/host.monitor": trappable,
        "overseer:plugin/host.panicked": trappable,
        "overseer:plugin/host.call": async,
        "overseer:plugin/host.start-child": async,
        "overseer:plugin/host.terminate-child": async,
        "overseer:plugin/host.terminate-child-by-id": async,
        "overseer:plugin/host.restart-child": async,
        "overseer:plugin/host.delete-child": async,
        "overseer:plugin/host.which-children": async,
        "overseer:plugin/host.count-children": async,
        "overseer:plugin/host.pool-checkout": async,
        "overseer:plugin/host.pool-transaction": async,
        "overseer:plugin/host.task-start-child": async,
        "overseer:plugin/host.task-async": async,
        "overseer:plugin/host.task-await": async,
    },
    exports: { default: async },
});

pub use self::exports::overseer::plugin::server;
pub use self::overseer::plugin::types;
