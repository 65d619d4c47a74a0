#!/usr/bin/env bash
# The Python binding on a GPU machine in one command (~150 s): the pytest suite (CUDA tests included),
# then bench_module.py --quick. Writes two files under $OUT (or ./gpu-check-out):
#   python-tests.log   the machine (python, torch, CUDA, node, compilers), the CLI's check, pytest -ra --tb=short
#   bench.json         bench_module.py's JSON (its progress lines go to python-tests.log)
# Installs nothing: pytest must be importable (on a machine without it, put carried wheels on
# PYTHONPATH first); the CLI is DWCONV_JIT_CLI, else <repo>/dist/cli/main.js (built with
# `npm run build` here when missing and the TypeScript compiler is at hand).
# Usage: bash python/bench/gpu_check.sh [extra pytest arguments]
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py_dir="$(cd "$here/.." && pwd)"
repo="$(cd "$py_dir/.." && pwd)"
out="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$out"
log="$out/python-tests.log"
bench_json="$out/bench.json"
py="${PYTHON:-python3}"
: >"$log"

say() { printf '[gpu check] %s\n' "$*" | tee -a "$log" >&2; }
started=$SECONDS

{
  echo "== machine"
  "$py" -c 'import sys, torch; print("python", sys.version.split()[0], sys.executable); print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available()); print("device", torch.cuda.get_device_name() if torch.cuda.is_available() else "none", torch.cuda.get_device_capability() if torch.cuda.is_available() else "")' 2>&1
  echo "node $(node --version 2>&1)"
  echo "g++ $(g++ -dumpfullversion 2>&1)"
  nvcc --version 2>&1 | tail -n 1
  grep -m1 'model name' /proc/cpuinfo
} >>"$log" 2>&1

export PYTHONUNBUFFERED=1
# One kernel cache for the compile check, every pytest worker and the bench (the CLI locks entries:
# each kernel compiles once).
cache_root="$(mktemp -d /tmp/dwconv-gpu-cache.XXXXXX)" && chmod 700 "$cache_root"
export DWCONV_JIT_TEST_CACHE_DIR="$cache_root/cache" DWCONV_JIT_CACHE_DIR="$cache_root/cache"
if [ -z "${DWCONV_JIT_CLI:-}" ]; then
  main_js="$repo/dist/cli/main.js"
  if [ ! -f "$main_js" ] && [ -x "$repo/node_modules/.bin/tsc" ]; then
    say "building the CLI (dist/ is not in the working tree)"
    (cd "$repo" && timeout 120 npm run build --silent) >>"$log" 2>&1 || say "npm run build failed"
  fi
  [ -f "$main_js" ] && export DWCONV_JIT_CLI="$main_js"
fi
say "CLI: ${DWCONV_JIT_CLI:-none found (JIT compiles will fail: carry dist/ or set DWCONV_JIT_CLI)}"
if [ -n "${DWCONV_JIT_CLI:-}" ]; then
  # One CPU and one CUDA compile outside pytest, so a toolchain problem shows its whole message.
  cli=("$DWCONV_JIT_CLI")
  case "$DWCONV_JIT_CLI" in *.js) cli=(node "$DWCONV_JIT_CLI") ;; esac
  for target in cpu cuda; do
    echo "== compile check: $target" >>"$log"
    timeout 60 "${cli[@]}" compile --spec-json '{"kernelSize":3,"padding":1}' --target "$target" --json --cache-dir "$DWCONV_JIT_CACHE_DIR" >>"$log" 2>&1 \
      || say "compile check on $target failed (status $?): see the log"
    echo >>"$log"
  done
fi

if "$py" -c 'import pytest' 2>/dev/null; then
  parallel=()
  # Kernel compiles dominate (nvcc: seconds each): spread them when pytest-xdist is there.
  if "$py" -c 'import xdist' 2>/dev/null; then parallel=(-n 8); fi
  say "pytest ${parallel[*]:-}(limit 110 s)"
  echo "== pytest" >>"$log"
  # SIGINT first: pytest then still prints its -ra summary of what ran (a kill would lose it).
  (cd "$py_dir" && timeout -s INT -k 10 110 "$py" -m pytest -q -p no:cacheprovider -ra --tb=short "${parallel[@]}" tests "$@") >>"$log" 2>&1
  status=$?
  [ "$status" -eq 124 ] || [ "$status" -eq 2 ] && say "pytest stopped (status $status: 124 or 2 is the 110 s limit or an interrupt; its summary is in the log)"
  say "pytest exit status $status"
else
  say "pytest is not importable by $py: put the carried wheels on PYTHONPATH (skipping the tests)"
fi

left=$((150 - (SECONDS - started)))
[ "$left" -lt 30 ] && left=30
say "bench_module.py --quick (limit ${left} s)"
echo "== bench_module.py --quick (stderr)" >>"$log"
timeout -k 5 "$left" "$py" "$here/bench_module.py" --quick >"$bench_json" 2>>"$log"
say "bench exit status $? after $((SECONDS - started)) s in all"
rm -rf "$cache_root"
