#!/usr/bin/env bash
# CI for the Python binding (no GPU): Debian's torch and pytest, the TypeScript CLI built, then the
# tests on the CPU target with /usr/bin/python3. Exits non-zero on any failure, including "no tests".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
py=/usr/bin/python3

log() { printf '[python ci] %s\n' "$*" >&2; }

if ! "$py" -c 'import torch, pytest' 2>/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    log "python3-torch / python3-pytest missing and not root: install them (apt-get install python3-torch python3-pytest)"
    exit 1
  fi
  log "installing python3-torch python3-pytest"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  timeout 900 apt-get install -y -qq --no-install-recommends python3-torch python3-pytest >/dev/null
fi
"$py" -c 'import torch, pytest; print("torch", torch.__version__, "pytest", pytest.__version__)'

main_js="$repo/dist/cli/main.js"
if [ ! -f "$main_js" ] || [ -n "$(find "$repo/src" "$repo/templates" -newer "$main_js" -print -quit)" ]; then
  log "building the TypeScript CLI"
  (cd "$repo" && timeout 300 npm run build --silent)
fi

cd "$here"
status=0
# -p no:cacheprovider: nothing written into the checkout; the kernel cache is a temp dir (conftest.py).
timeout 1200 "$py" -m pytest -q -p no:cacheprovider -ra tests "$@" || status=$?
if [ "$status" -eq 5 ]; then
  log "pytest collected no tests"
  exit 1
fi
exit "$status"
