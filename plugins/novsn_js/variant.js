// The build variant: null here; "bad" for novsn_js_bad.wasm.
export const VARIANT = null;
