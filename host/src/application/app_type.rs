//! An application's type: what the host does when the application's root
//! supervisor gives up, as OTP's application controller does by the type
//! an application was started with.

use serde::{Deserialize, Serialize};

/// `[app] type`. OTP's `application:start/2` types; here the default is
/// `permanent`, so that a host running one application stops when it
/// does, as `overseer run` always has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppType {
    /// When it stops, every other application stops and the host exits
    /// with an error.
    #[default]
    Permanent,
    /// When it stops with reason `normal`, it alone stops; with any other
    /// reason (a root that gave up exits with `shutdown`), as permanent.
    Transient,
    /// When it stops, it alone stops, and the host says so.
    Temporary,
}

impl AppType {
    /// Whether the host goes down when this application stops with
    /// `reason_is_normal`.
    pub fn takes_the_host(self, reason_is_normal: bool) -> bool {
        match self {
            AppType::Permanent => true,
            AppType::Transient => !reason_is_normal,
            AppType::Temporary => false,
        }
    }

    /// Its manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AppType::Permanent => "permanent",
            AppType::Transient => "transient",
            AppType::Temporary => "temporary",
        }
    }
}
