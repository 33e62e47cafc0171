// The build variant: null here; `cargo xtask build-plugins` writes
// `VARIANT = "v3"` in a copy of this folder for counter_js_v3.wasm.
export const VARIANT = null;
