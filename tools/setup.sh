#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, then the workspace's dependencies:
#   bash tools/setup.sh [--with-system-packages] [pnpm install flags, e.g. --frozen-lockfile]
# - pnpm 12.4.2 (pinned in package.json), through npm;
# - with --with-system-packages (root only): Mesa's lavapipe and Chromium for the WebGPU and browser tests, and
#   ONNX's node tests (libonnx-testdata) for @grace/onnx, and PostgreSQL 15 for the server's replication tests;
# - native addons (better-sqlite3) build against the installed Node headers: node-gyp cannot download them here,
#   and pnpm does not read npm's `nodedir` setting, so it is passed in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm_version="12.4.2"
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$pnpm_version" ]; then
  echo "setup: installing pnpm@$pnpm_version"
  npm install --global "pnpm@$pnpm_version"
fi

install_flags=()
for argument in "$@"; do
  case "$argument" in
    --with-system-packages) bash tools/ci/install-system-packages.sh ;;
    *) install_flags+=("$argument") ;;
  esac
done

if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

echo "setup: node $(node --version), pnpm $(pnpm --version)"
pnpm install "${install_flags[@]}"
