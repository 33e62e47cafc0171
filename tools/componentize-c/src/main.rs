//! `overseer-componentize-c`: what a C plugin needs besides clang, with
//! the crates wasm-tools and wit-bindgen are made of (no CLI to install).
//!
//! - `bindings WIT_DIR WORLD OUT_DIR`: the world's C bindings (`WORLD.h`,
//!   `WORLD.c` and `WORLD_component_type.o`), from wit-bindgen's C
//!   generator.
//! - `component CORE.wasm OUT.wasm`: a core module built by clang for
//!   wasm32-wasi (preview1) made a component, its WASI preview1 imports
//!   adapted to preview2 by the adapter that matches the host's wasmtime.

use std::path::Path;

use anyhow::{Context, Result, bail};
use wit_bindgen_core::wit_parser::Resolve;
use wit_component::ComponentEncoder;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["bindings", wit, world, out] => bindings(Path::new(wit), world, Path::new(out)),
        ["component", core, out] => component(Path::new(core), Path::new(out)),
        _ => bail!(
            "usage: overseer-componentize-c bindings WIT_DIR WORLD OUT_DIR | component CORE.wasm OUT.wasm"
        ),
    }
}

fn bindings(wit: &Path, world: &str, out: &Path) -> Result<()> {
    let mut resolve = Resolve::default();
    let (package, _) = resolve
        .push_path(wit)
        .with_context(|| format!("reading the WIT in {}", wit.display()))?;
    let world = resolve
        .select_world(&[package], Some(world))
        .with_context(|| format!("no world {world} in {}", wit.display()))?;
    let mut files = wit_bindgen_core::Files::default();
    wit_bindgen_c::Opts::default()
        .build()
        .generate(&mut resolve, world, &mut files)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for (name, contents) in files.iter() {
        std::fs::write(out.join(name), contents)
            .with_context(|| format!("writing {name} in {}", out.display()))?;
    }
    Ok(())
}

fn component(core: &Path, out: &Path) -> Result<()> {
    let module = std::fs::read(core).with_context(|| format!("reading {}", core.display()))?;
    let component = ComponentEncoder::default()
        .module(&module)?
        .adapter(
            wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )?
        .validate(true)
        .encode()
        .with_context(|| format!("making {} a component", core.display()))?;
    std::fs::write(out, component).with_context(|| format!("writing {}", out.display()))
}
