#!/usr/bin/env bash
# The field app's benchmark: what installing it downloads, and one phone sending an outbox of
# 1,000 records (100 with a photo) through the app itself, in headless Chromium, against a demo
# server on loopback (SQLite). Figures in docs/BENCHMARKS.md.
# usage: XASO_BIN=target/release/xaso scripts/bench/field.sh   (RECORDS=… PHOTOS=… to vary)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${XASO_BIN:-target/release/xaso}
dir=$(mktemp -d)
port=${PORT:-8631}
"$bin" demo --listen 127.0.0.1:$port --data-dir "$dir/data" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 1; done
(cd tests/browser && XASO_BASE_URL=http://127.0.0.1:$port node bench-field.mjs)
