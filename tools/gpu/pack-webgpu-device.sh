#!/usr/bin/env bash
# Packs `pnpm bench webgpu-device` for a lent x86-64 GPU machine that has no Node and no network:
#   bash tools/gpu/pack-webgpu-device.sh [DEST]          (default DEST: .gpu, which git ignores locally)
# DEST then holds, in the repository's layout so that the bundle finds its anchor script (about 35 MB):
#   run-webgpu-device.sh                     what the GPU machine runs (a copy of tools/gpu/run-webgpu-device.sh)
#   apps/bench/dist/webgpu-device-cli.mjs    the command and the packages it uses, one file (esbuild)
#   tools/anchors/torch-lookup-anchor.py     the PyTorch anchors (CUDA and one CPU thread), and the line
#   tools/anchors/search_anchor_protocol.py  protocol they speak
#   node_modules/webgpu/                     the webgpu package with only Dawn's linux-x64 addon, xz-compressed
#   node.xz                                  this machine's Node binary, xz-compressed
#   debs/                                    the Vulkan loader and GL dispatch libraries (apt-get download), for
#                                            machines whose image has the GPU driver but no loader
# Run it on x86-64 Linux (the Node binary travels as is).
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=$(realpath -m "${1:-.gpu}")
[ "$(uname -m)" = x86_64 ] || { echo "pack: needs x86-64 Linux (the Node binary travels)" >&2; exit 1; }

pnpm turbo run build --filter=@grace/bench... --output-logs=errors-only
rm -rf "$dest"
mkdir -p "$dest/apps/bench/dist" "$dest/tools/anchors" "$dest/node_modules/webgpu/dist/linux-x64" "$dest/debs"
apps/bench/node_modules/.bin/esbuild apps/bench/src/webgpu-device-cli.ts --bundle --platform=node --format=esm \
  --target=node20 --external:webgpu --log-level=warning --outfile="$dest/apps/bench/dist/webgpu-device-cli.mjs"
cp tools/anchors/torch-lookup-anchor.py tools/anchors/search_anchor_protocol.py "$dest/tools/anchors/"
cp tools/gpu/run-webgpu-device.sh "$dest/"

webgpu=$(realpath apps/bench/node_modules/webgpu)
cp "$webgpu/package.json" "$webgpu/index.js" "$dest/node_modules/webgpu/"
xz -T0 -6 -c "$webgpu/dist/linux-x64/dawn.node" >"$dest/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
xz -T0 -6 -c "$(realpath "$(command -v node)")" >"$dest/node.xz"

(cd "$dest/debs" && apt-get -o APT::Sandbox::User=root download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
du -sh "$dest"
