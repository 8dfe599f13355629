#!/bin/sh
# JAX for the JAX export checks: `nonlin export --to jax` and `nonlin act export --to jax` write
# Python for JAX, and test/export-jax.test.ts runs what they write in real JAX. Debian 12 has no
# JAX package, so it goes in a virtual environment in the cache folder, pinned (the checks compare
# against this version). Where pip has a local wheel folder (/opt/pypi/files on these machines: no
# PyPI here) it installs from it alone; elsewhere from pip's own index.
# Usage: sh scripts/jax-python.sh [--print-python]
#   exits 0 whether or not JAX could be installed (the checks then say they are skipped and why);
#   --print-python prints the environment's python when it has JAX.
set -eu

JAX_VERSION=0.10.2
dir="${NONLIN_CACHE:-$HOME/.cache/nonlin}/jax-venv-$JAX_VERSION"
python="$dir/bin/python"
if [ ! -f "$dir/ready" ]; then
  base="$(command -v python3 || true)"
  if [ -z "$base" ]; then
    echo "jax-python.sh: no python3 on PATH; the JAX export checks will be skipped" >&2
    exit 0
  fi
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  log="$dir.log"
  sources=""
  for wheels in /opt/pypi/files /opt/wheels; do
    [ -d "$wheels" ] && sources="$sources --find-links $wheels"
  done
  [ -n "$sources" ] && sources="--no-index$sources"
  # shellcheck disable=SC2086 # the find-links options are words
  if ! { "$base" -m venv "$dir" >"$log" 2>&1 &&
    "$python" -m pip install -q --disable-pip-version-check $sources \
      "jax==$JAX_VERSION" "jaxlib==$JAX_VERSION" >>"$log" 2>&1 &&
    "$python" -c "import jax.numpy" >>"$log" 2>&1; }; then
    echo "jax-python.sh: could not install jax $JAX_VERSION (see $log); the JAX export checks will be skipped" >&2
    rm -rf "$dir"
    exit 0
  fi
  touch "$dir/ready"
fi
if [ "${1:-}" = "--print-python" ]; then
  echo "$python"
fi
