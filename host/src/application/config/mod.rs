//! An application's configuration, in layers: the manifest's `[app.env]`,
//! an environment's overlay (`[env.NAME]`), `OVERSEER_<APP>_<KEY>`
//! variables, then `--set KEY=VALUE`; secrets read from files; and, while
//! it runs, `overseer config set`. Each value remembers where it came from,
//! for `overseer config`.

mod effective;
mod layers;
mod merge;
mod secret;
mod source;
mod text_value;

pub use effective::{ConfigEntry, EffectiveConfig};
pub use layers::{ConfigDecl, ConfigError, ConfigLayers, EnvironmentDecl};
pub use source::ConfigSource;
pub use text_value::text_value;
