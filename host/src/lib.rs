//! Overseer: OTP for WebAssembly.
pub mod application;
pub mod control;
pub mod process;
pub mod runtime;
pub mod sandbox;
pub mod supervisor;
