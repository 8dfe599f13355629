#!/bin/sh
# WebGPU without a GPU: Mesa's lavapipe (a Vulkan driver on the CPU) for Dawn, the `webgpu`
# package behind `--device webgpu` in Node. Debian 12's lavapipe (Mesa 22.3) lacks
# shaderSampledImageArrayDynamicIndexing and shaderStorageImageArrayDynamicIndexing, which Dawn
# requires of every Vulkan adapter ("Vulkan shaderUniform*ArrayDynamicIndexing required"); Mesa 25
# from bookworm-backports has them. Its driver is unpacked into a cache folder — the system's Mesa
# (OpenGL, Chromium) is left as it is — with an ICD file naming it.
# Usage: sh scripts/lavapipe.sh [--print-env]
#   prints nothing and exits 0 when done; --print-env prints the two variables that select it:
#   VK_ICD_FILENAMES=…/lvp.json LD_LIBRARY_PATH=…   (test/webgpu.test.ts finds the folder itself)
set -eu

dir="${NONLIN_CACHE:-$HOME/.cache/nonlin}/lavapipe"
icd="$dir/lvp.json"
lib="$dir/root/usr/lib/x86_64-linux-gnu"
if [ "${1:-}" = "--fetch" ]; then
  # run by the lines below in a process of its own, so that set -e stops it at the first failure
  as_root="${AS_ROOT:-}"
  # the Vulkan loader and the driver's other libraries, from Debian 12 itself
  missing=""
  for package in libvulkan1 libllvm15 libelf1 libexpat1 libzstd1 libwayland-client0 \
    libx11-xcb1 libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 \
    libxcb-xfixes0 libxshmfence1; do
    dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
  done
  if [ -n "$missing" ]; then
    $as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq$missing >/dev/null
  fi
  sources="$dir/backports.list"
  mkdir -p "$dir/debs"
  echo "deb http://deb.debian.org/debian bookworm-backports main" >"$sources"
  apt_opts="-o APT::Sandbox::User=$(id -un) -o Dir::Etc::sourcelist=$sources -o Dir::Etc::sourceparts=- -o Dir::State::Lists=$dir/lists -o Debug::NoLocking=1"
  mkdir -p "$dir/lists/partial"
  apt-get $apt_opts update -qq
  # the driver, and the libdrm it was built against (newer than Debian 12's)
  (cd "$dir/debs" && apt-get $apt_opts download -qq \
    mesa-vulkan-drivers/bookworm-backports libdrm2/bookworm-backports \
    libdrm-amdgpu1/bookworm-backports 2>/dev/null)
  for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/root"; done
  printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s/libvulkan_lvp.so", "api_version": "1.3.0"}}\n' \
    "$lib" >"$icd.tmp"
  mv "$icd.tmp" "$icd"
  exit 0
fi
if [ ! -f "$icd" ]; then
  if ! command -v apt-get >/dev/null 2>&1 || [ "$(dpkg --print-architecture 2>/dev/null)" != amd64 ]; then
    echo "lavapipe.sh: needs Debian (apt-get) on amd64; skipped" >&2
    exit 0
  fi
  as_root=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root="sudo"; else
      echo "lavapipe.sh: needs root (apt-get) for the Vulkan loader; skipped" >&2
      exit 0
    fi
  fi
  # a network or mirror failure must not stop the tests: they say the WebGPU part is skipped
  if ! AS_ROOT="$as_root" sh "$0" --fetch; then
    echo "lavapipe.sh: could not fetch Mesa's lavapipe from bookworm-backports; the WebGPU tests will be skipped" >&2
    exit 0
  fi
fi
if [ "${1:-}" = "--print-env" ]; then
  echo "VK_ICD_FILENAMES=$icd LD_LIBRARY_PATH=$lib"
fi
