//! What the user wants running, in what order, with what config.
//!
//! A manifest (TOML) names the application, its plugin folder, its env
//! (`[app.env]`, read by guests through the `config` import), its
//! registries and pools, and its supervision tree. [`load_manifest`]
//! validates it; [`Application::start`] loads each plugin once and starts
//! the tree on a [`Node`], the host put together from every floor below.
//!
//! A child spec is one type, [`ChildSpecConfig`], whether it comes from a
//! manifest or from `start-child` (JSON): the same keys, defaults, rules
//! and error paths.

mod app;
mod app_type;
mod child_spec;
pub mod config;
mod controller;
mod env;
mod located;
mod manifest;
mod node;
mod reconfigure;
mod services;
mod specs;
mod start;

pub use app::{AppError, Application};
pub use app_type::AppType;
pub use child_spec::{
    ChildDecl, ChildKind, ChildSpecConfig, DynamicDecl, LimitsConfig, SpecError, SupervisorDecl,
    WorkerDecl, child_spec_from_json,
};
pub use controller::{AppStatus, Applications, ControllerError};
pub use env::AppEnv;
pub use located::Located;
pub use manifest::{
    HostDecl, Manifest, ManifestError, PoolDecl, UpgradeDecl, load_manifest, parse_manifest,
};
pub use node::{Node, StartChildError, TaskStartError};
pub use reconfigure::{ConfigChanged, ConfigEdit};
pub use start::{ArgsError, ChildSpecError, TaskStart, WorkerStart};
