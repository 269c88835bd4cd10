#!/usr/bin/env bash
# Runs the packed `webgpu-device` benchmark (see pack-webgpu-device.sh) on a GPU machine:
#   bash tools/gpu/run-webgpu-device.sh [webgpu-device options, e.g. --runs 5]   (reads the pack $GRACE_GPU_PACK,
#   default .gpu; the pack's own copy, bash .gpu/run-webgpu-device.sh, reads the folder it sits in)
# It unpacks Node and Dawn to $GRACE_GPU_WORK (default /tmp/grace-webgpu-device), brings the Vulkan loader when
# the machine has none, points Vulkan at the NVIDIA driver when one is mounted, prints what it found, then runs the
# benchmark with python3's torch as the anchors and writes $OUT/webgpu-device.json (and .md) and $OUT/log.
# The adapter must name $GRACE_EXPECT_ADAPTER (default nvidia) or the run stops at once: a figure measured on
# a software driver by mistake would be read as a GPU figure. GRACE_EXPECT_ADAPTER=llvmpipe rehearses on lavapipe.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -f "$here/node.xz" ]; then pack=$here; else pack=$(realpath "${GRACE_GPU_PACK:-.gpu}"); fi
[ -f "$pack/node.xz" ] || { echo "run: no pack at $pack (make one with tools/gpu/pack-webgpu-device.sh)" >&2; exit 1; }
work=${GRACE_GPU_WORK:-/tmp/grace-webgpu-device}
out=${OUT:-$work/out}
mkdir -p "$work" "$out"

# NVIDIA's Vulkan driver needs the loader and glvnd's dispatch library (libGLdispatch) beside it.
if ! ldconfig -p | grep -q 'libvulkan\.so\.1' || ! ldconfig -p | grep -q 'libGLdispatch\.so\.0'; then
  echo "run: no Vulkan loader or GL dispatch here; unpacking $(ls "$pack"/debs | tr '\n' ' ')"
  for deb in "$pack"/debs/*.deb; do dpkg -x "$deb" /; done
  ldconfig
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES=$nvidia_icd; fi

rm -rf "$work/apps" "$work/tools" "$work/node_modules"
cp -r "$pack/apps" "$pack/tools" "$pack/node_modules" "$work/"
xz -dc "$pack/node.xz" >"$work/node" && chmod +x "$work/node"
addon=$work/node_modules/webgpu/dist/linux-x64/dawn.node
xz -dc "$addon.xz" >"$addon" && rm "$addon.xz"

{
  echo "machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}; $(ldconfig -p | grep -cE 'libvulkan\.so\.1|libGLdispatch\.so\.0') of 2 loader libraries"
  echo "node $("$work/node" --version); $(python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tail -1)"
} 2>&1 | tee "$out/log"

set +e
"$work/node" "$work/apps/bench/dist/webgpu-device-cli.mjs" --expect-adapter "${GRACE_EXPECT_ADAPTER:-nvidia}" \
  --out "$out/webgpu-device.json" "$@" 2>&1 | tee -a "$out/log"
status=${PIPESTATUS[0]}
echo "run: webgpu-device exited with $status" | tee -a "$out/log"
exit "$status"
