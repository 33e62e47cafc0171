//! Which pid (or pids) answers to this name, and when is the name freed?
//!
//! - **Registered names** (OTP's `register/2`): one name, one live process.
//!   A child spec's `name`, or a guest's `register`.
//! - **Registries** (Elixir's `Registry`): named tables of keys. A
//!   [`Keys::Unique`] registry maps a key to one live process, and its keys
//!   serve as names (`via:REG/KEY`, a child spec's `via`); a
//!   [`Keys::Duplicate`] one maps a key to any number (pub/sub, with
//!   `dispatch`). Every entry carries a value; a registry has metadata.
//!
//! Everything a process holds is released when it exits, before its
//! supervisor is told, so a restarted child takes its name again. A name
//! whose holder has exited but is not released yet does not count as
//! taken.

mod naming;
mod table;

pub use naming::{Naming, RegistryError};
pub use table::{Keys, Registry};
