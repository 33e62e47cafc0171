#!/bin/sh
# Build {{name}}.wasm here with componentize-py 0.25.1
# (pip install componentize-py==0.25.1, or set COMPONENTIZE_PY).
set -e
cd "$(dirname "$0")"
"${COMPONENTIZE_PY:-componentize-py}" -q -d wit -w gen-server componentize app -p . -o {{name}}.wasm
