//! Why applications did not start, or a start or stop was refused.

use super::super::app::AppError;

/// What the application controller refused or could not do: one line.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// Two manifests name the same application.
    #[error("{second}: application '{name}' is already given by {first}")]
    Duplicate {
        /// The application.
        name: String,
        /// The manifest that names it first.
        first: String,
        /// The one that names it again.
        second: String,
    },
    /// An application depends on one that is not given.
    #[error("{file}: app.depends_on: no application '{missing}' is given (given: {given})")]
    MissingDependency {
        /// The manifest of the application that depends on it.
        file: String,
        /// The application missing.
        missing: String,
        /// The applications given.
        given: String,
    },
    /// Applications depend on each other in a circle.
    #[error("the applications depend on each other in a circle: {0}")]
    Cycle(String),
    /// The manifests disagree on something the host has once.
    #[error("{second}: {what} differs from {first}'s: the applications of one host share it")]
    Mismatch {
        /// What (`the plugin folder ([app] plugins)`).
        what: String,
        /// The first manifest.
        first: String,
        /// The one that differs.
        second: String,
    },
    /// An application did not start.
    #[error("application '{name}' did not start: {}", why_not_started(source))]
    Start {
        /// The application.
        name: String,
        /// Why.
        source: AppError,
    },
    /// No application of that name is known here.
    #[error("no application '{name}' (this host has: {known})")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The applications it has.
        known: String,
    },
    /// It runs already (OTP's `already_started`).
    #[error("application '{0}' is already running")]
    AlreadyRunning(String),
    /// It does not run (OTP's `not_started`).
    #[error("application '{0}' is not running")]
    NotRunning(String),
}

/// Why an application did not start, without saying again that it did not.
fn why_not_started(err: &AppError) -> String {
    match err {
        AppError::Start(start) => start.to_string(),
        other => other.to_string(),
    }
}
