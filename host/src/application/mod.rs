//! What the user wants running, in what order, with what config.
//!
//! A manifest (TOML) names the application, its plugin folder, its env
//! (`[app.env]`, read by guests through the `config` import) and its
//! supervision tree. [`load_manifest`] validates it; [`Application::start`]
//! loads each plugin once and starts the tree.

mod app;
mod manifest;

pub use app::{AppError, Application};
pub use manifest::{
    ChildDecl, ChildKind, Manifest, ManifestError, SupervisorDecl, WorkerDecl, load_manifest,
    parse_manifest,
};
