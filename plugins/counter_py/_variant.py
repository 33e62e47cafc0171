# The build variant: None here; `cargo xtask build-plugins` puts
# `VARIANT = "v2"` ahead of this file on the path for counter_py_v2.wasm.
VARIANT = None
