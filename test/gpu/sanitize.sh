#!/usr/bin/env bash
# compute-sanitizer over the matrix in sanitize-matrix.ts: memcheck, racecheck, initcheck, synccheck.
# Any sanitizer report or wrong output fails the run. Usage: test/gpu/sanitize.sh [OUTDIR]
# Env: SANITIZE_TOOLS (default "memcheck racecheck initcheck synccheck"), SANITIZE_LIMIT (seconds a
# tool may run, default 1800; a tool past it fails and says so), SANITIZE_MATRIX_ARGS (extra arguments
# to the matrix, e.g. --pinned-only). The tools run at the same time, each
# in its own process with its own log: the matrix is compiled once beforehand, so each pass times
# kernels under its tool, and the slowest tool (racecheck) bounds the wall time rather than the sum.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/run-limited.sh"
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
export DWCONV_JIT_CACHE_DIR="${DWCONV_JIT_CACHE_DIR:-$(mktemp -d)/cache}"
tools=(${SANITIZE_TOOLS:-memcheck racecheck initcheck synccheck})
limit="${SANITIZE_LIMIT:-1800}"
matrix=(node --import tsx test/gpu/sanitize-matrix.ts ${SANITIZE_MATRIX_ARGS:-})
# Negative control: memcheck must catch a known out-of-bounds write, or a clean run below means nothing.
nvcc -arch=native -o "$out/control" test/gpu/sanitizer-control.cu
if compute-sanitizer --tool memcheck --error-exitcode 99 --log-file "$out/control.log" "$out/control"; then
  echo "control: memcheck missed a known out-of-bounds write; see $out/control.log"
  exit 1
fi
echo "control: memcheck caught the known out-of-bounds write ($(grep -c 'Invalid __global__ write' "$out/control.log") report)"
"${matrix[@]}" --compile-only
declare -A pid started
for tool in "${tools[@]}"; do
  extra=()
  [[ $tool == memcheck ]] && extra=(--leak-check full)
  started[$tool]=$(date +%s)
  run_limited "$limit" compute-sanitizer --tool "$tool" "${extra[@]}" --error-exitcode 99 --log-file "$out/$tool.log" \
    "${matrix[@]}" --json "$out/$tool.json" > "$out/$tool.stdout" 2>&1 &
  pid[$tool]=$!
done
status=0
for tool in "${tools[@]}"; do
  rc=0
  wait "${pid[$tool]}" || rc=$?
  took=$(( $(date +%s) - started[$tool] ))
  if (( rc == 0 )); then
    echo "$tool: clean in ${took}s ($(tail -n 1 "$out/$tool.log"); $(tail -n 1 "$out/$tool.stdout"))"
  elif (( rc == 143 || rc == 137 )); then
    echo "$tool: FAILED, stopped at the ${limit}s limit after ${took}s; see $out/$tool.log"
    status=1
  else
    echo "$tool: FAILED (exit $rc) in ${took}s, see $out/$tool.log and $out/$tool.stdout"
    status=1
  fi
done
exit $status
