#!/bin/sh
# Build {{name}}.wasm here with componentize-qjs 0.4.5
# (npm install componentize-qjs@0.4.5, or set COMPONENTIZE_QJS).
set -e
cd "$(dirname "$0")"
${COMPONENTIZE_QJS:-npx componentize-qjs} --wit wit -n gen-server --sync --js app.js --module-root . -o {{name}}.wasm
