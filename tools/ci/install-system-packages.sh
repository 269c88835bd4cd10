#!/usr/bin/env bash
# System packages the tests need on a fresh Debian bookworm machine (run as root; idempotent):
# - Mesa 25 lavapipe (a CPU Vulkan driver) from bookworm-backports, so the `webgpu` package (Dawn) finds a real
#   WebGPU adapter in Node; stock bookworm Mesa 22 is unusable for compute (see DESIGN.md section 10);
# - Debian's Chromium, for the browser tests (WebGPU through SwiftShader) driven by playwright-core;
# - Debian's libonnx-testdata (ONNX 1.12's backend node tests, /usr/share/libonnx-testdata/data/node), which
#   @grace/onnx runs through its importer and the IR on every backend;
# - Debian's PostgreSQL 15 (server binaries and the `postgres` system user), so the server's replication tests
#   start throw-away clusters (they run initdb/pg_ctl as that user, on a free loopback port).
set -euo pipefail

if [ "$(id -u)" != "0" ]; then
  echo "install-system-packages: not root; skipping (tests needing a GPU adapter or a browser will say so)" >&2
  exit 0
fi

need=()
dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed" || need+=(chromium)
dpkg-query -W -f='${Status}' libonnx-testdata 2>/dev/null | grep -q "install ok installed" || need+=(libonnx-testdata)
dpkg-query -W -f='${Status}' postgresql-15 2>/dev/null | grep -q "install ok installed" || need+=(postgresql-15)
mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
case "$mesa_version" in
  25.*) ;;
  *) need+=(mesa) ;;
esac
[ ${#need[@]} -eq 0 ] && { echo "install-system-packages: chromium, libonnx-testdata, postgresql-15 and Mesa $mesa_version already installed"; exit 0; }

backports=/etc/apt/sources.list.d/bookworm-backports.sources
if [ ! -f "$backports" ]; then
  # Same mirror as the machine's own Debian entries.
  mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n 1 | awk '{print $2}')
  mirror=${mirror:-http://deb.debian.org/debian}
  cat > "$backports" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
for package in "${need[@]}"; do
  case "$package" in
    mesa) apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null ;;
    chromium) apt-get install -y -qq chromium >/dev/null ;;
    libonnx-testdata) apt-get install -y -qq libonnx-testdata >/dev/null ;;
    postgresql-15) apt-get install -y -qq postgresql-15 >/dev/null ;;
  esac
done
echo "install-system-packages: installed ${need[*]}"
