#!/bin/sh
# `npm run pack [-- <folder>]`: build every publishable package (dist/*.js + .d.ts) and `npm pack`
# each into one folder (default: packs/), to install outside the repository before they are
# published: `npm install <folder>/*.tgz` (docs/install.md). @nexus/testkit stays private.
set -eu
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:-packs}" && cd "${1:-packs}" && pwd)
# NEXUS_PACK_NO_BUILD=1: dist/ was just built by the caller (the new-user test builds it under a lock).
[ "${NEXUS_PACK_NO_BUILD:-}" = 1 ] || npm run build
for pkg in protocol framework runtime gateway contracts circuits cli; do
  npm pack --silent --workspace "$pkg" --pack-destination "$out" >/dev/null
done
ls "$out"/*.tgz
