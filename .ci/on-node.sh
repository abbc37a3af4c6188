#!/usr/bin/env bash
# Usage: .ci/on-node.sh <major> <command> [args...]     e.g. .ci/on-node.sh 24 npm test
# Runs a command with Node <major> (from .ci/node.sh) first on PATH and better-sqlite3 fitted to it, then
# fits better-sqlite3 back to the node that was on PATH before, so `npm test` / `npm start` keep working.
set -euo pipefail
major=${1:?usage: .ci/on-node.sh <major> <command> [args...]}
shift
ci=$(cd "$(dirname "$0")" && pwd)
dir=$("$ci/node.sh" "$major")
"$ci/native.sh" --save-only # the current build, if it fits the outer node, so switching back is a copy
inner="$dir/bin:$PATH"
echo "node $(env PATH="$inner" node -v)"
rc=0
env PATH="$inner" "$ci/native.sh" && env PATH="$inner" "$@" || rc=$?
"$ci/native.sh"
exit "$rc"
