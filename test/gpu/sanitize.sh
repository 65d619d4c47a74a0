#!/usr/bin/env bash
# compute-sanitizer over the matrix in sanitize-matrix.ts: memcheck, racecheck, initcheck, synccheck.
# Any sanitizer report or wrong output fails the run. Usage: test/gpu/sanitize.sh [OUTDIR]
set -euo pipefail
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
export DWCONV_JIT_CACHE_DIR="${DWCONV_JIT_CACHE_DIR:-$(mktemp -d)/cache}"
matrix=(node --import tsx test/gpu/sanitize-matrix.ts)
# Negative control: memcheck must catch a known out-of-bounds write, or a clean run below means nothing.
nvcc -arch=native -o "$out/control" test/gpu/sanitizer-control.cu
if compute-sanitizer --tool memcheck --error-exitcode 99 --log-file "$out/control.log" "$out/control"; then
  echo "control: memcheck missed a known out-of-bounds write; see $out/control.log"
  exit 1
fi
echo "control: memcheck caught the known out-of-bounds write ($(grep -c 'Invalid __global__ write' "$out/control.log") report)"
"${matrix[@]}" --compile-only
status=0
for tool in memcheck racecheck initcheck synccheck; do
  extra=()
  [[ $tool == memcheck ]] && extra=(--leak-check full)
  if compute-sanitizer --tool "$tool" "${extra[@]}" --error-exitcode 99 --log-file "$out/$tool.log" \
      "${matrix[@]}" --json "$out/$tool.json"; then
    echo "$tool: clean ($(tail -n 1 "$out/$tool.log"))"
  else
    echo "$tool: FAILED (exit $?), see $out/$tool.log"
    status=1
  fi
done
exit $status
