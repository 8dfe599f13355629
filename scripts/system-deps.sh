#!/bin/sh
# The system programs the test suite uses for real — Chromium (HTML reports in a real browser),
# redis-server (the BullMQ executor, started by the tests on a free loopback port), openssl
# (its TLS certificates) and Debian's Python with torch and numpy (the torch engine:
# python3-torch, python3-numpy; checked by importing them in /usr/bin/python3, or in
# $SYSTEM_DEPS_PYTHON) — installed from Debian's packages when missing. `npm test` runs this
# first (package.json "pretest"), and so does .ci/run: a newcomer types `npm test` and nothing else.
# Usage: sh scripts/system-deps.sh [--dry-run]   (--dry-run: say what would be installed)
set -eu

missing=""
for program in chromium redis-server openssl; do
  command -v "$program" >/dev/null 2>&1 || missing="$missing $program"
done
"${SYSTEM_DEPS_PYTHON:-/usr/bin/python3}" -c 'import torch, numpy' >/dev/null 2>&1 ||
  missing="$missing python3-torch python3-numpy"
# Debian's torch computes with whichever BLAS provides libblas.so.3; the reference BLAS made its
# float32 matmul 17x slower than OpenBLAS here (docs/benchmarks.md)
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  missing="$missing libopenblas0-pthread"
fi
[ -z "$missing" ] && exit 0

install="apt-get install -y$missing"
if [ "${1:-}" = "--dry-run" ]; then
  echo "would install:$missing ($install)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: the tests need$missing; install them with your system's package manager (on Debian: $install)" >&2
  exit 2
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root="sudo"
else
  echo "error: the tests need$missing; install them as root: sudo $install" >&2
  exit 2
fi
echo "installing what the tests use:$missing (Debian packages)" >&2
$as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq$missing >/dev/null
