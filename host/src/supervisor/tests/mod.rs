//! The supervisor state machines, driven with fake children: OTP's
//! `supervisor_SUITE` and Elixir's `dynamic_supervisor_test` scenarios
//! (`../shared/otp-semantics.md` §2), each in milliseconds.
//!
//! - `matrix`: every strategy × restart type × exit reason.
//! - `static_sup`: intensity and its window, escalation, failed restarts,
//!   start failures, ignore, child administration.
//! - `by_id`: children by id (terminate, restart, delete), OTP's answers.
//! - `spec_change`: a running supervisor's spec changed (`overseer apply`).
//! - `shutdown`: stop order, each shutdown kind, exit reasons kept.
//! - `dynamic`: Elixir's DynamicSupervisor, up to 100,000 children.
//! - `pool`: a pool's workers under restart intensity.

mod by_id;
mod dynamic;
mod fake;
mod matrix;
mod pool;
mod shutdown;
mod spec_change;
mod static_sup;
