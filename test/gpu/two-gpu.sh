#!/usr/bin/env bash
# Several GPUs of one machine, in one command: every step bounded by a timeout, all output under $OUT.
# Meant for a machine with two GPUs; on one GPU it runs what that allows and says what it skipped.
#
#   build    npm run build (the CLI for the steps below)                          build.log
#   doctor   dwconv-jit doctor --json: every GPU listed                           doctor.json, doctor.log
#   cli      compile --device 1 on cuda:1 (one GPU: --device 0, and --device 1    cli-*.json, cli.log
#            refused with exit 2)
#   bench    bench/multi-gpu.ts: the reference problem split over two GPUs by     multi-gpu.json, bench.log
#            batch from one process against one GPU
#   devices  test/gpu/multi-device.test.ts (device 0 current): the refusal of     devices.json, devices.log
#            another device's tensors, both devices at once (skip below 2 GPUs)
#   suite    the whole GPU group with DWCONV_JIT_TEST_DEVICE=1 (one GPU: on       suite.json, suite.log
#            device 0, saying so)
#   summary.txt  one line per step: exit status, seconds, limit
#
# Usage (device machine): source .device/setup.sh && bash test/gpu/two-gpu.sh [STEP...]
# Default: every step, in the order above (the longest last, so a cut-off loses the least). The whole
# run keeps within TWO_GPU_LIMIT seconds (default 570, under a 600 s command limit): each step gets
# at most its own limit and what is left; a step with under 20 s left is skipped, saying so.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
# shellcheck source=run-limited.sh
source "$here/run-limited.sh"
out="${OUT:-$PWD/two-gpu-out}"
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
total="${TWO_GPU_LIMIT:-570}"
started=$SECONDS

# One kernel cache for every step (each process takes the key's lock: a kernel compiles once).
cache_root="$(mktemp -d /tmp/dwconv-two-gpu.XXXXXX)" && chmod 700 "$cache_root"
export DWCONV_JIT_CACHE_DIR="$cache_root/cache"
# Plain logs: no terminal colour codes in the files under $OUT.
export NO_COLOR=1 FORCE_COLOR=0
cli=(node "$repo/dist/cli/main.js")

say() { printf '[two-gpu] %s\n' "$*" | tee -a "$summary" >&2; }

# step NAME MAX_SECONDS CMD...: runs CMD with its output in NAME.log, within MAX_SECONDS and the time left.
step() {
  local name=$1 max=$2; shift 2
  local left=$((total - (SECONDS - started)))
  local limit=$((max < left ? max : left))
  if [ "$limit" -lt 20 ]; then
    say "$name: skipped, ${left} s left of ${total} s"
    return 125
  fi
  local t0=$SECONDS
  run_limited "$limit" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  say "$name: exit $rc after $((SECONDS - t0)) s (limit $limit s)$([ "$rc" -eq 143 ] || [ "$rc" -eq 137 ] && echo ': stopped at its limit')"
  return $rc
}

gpu_count() {
  node -e 'try { const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(String(r.gpus.length)); } catch { process.stdout.write("0"); }' "$out/doctor.json"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(build doctor cli bench devices suite)
wants() { local s; for s in "${steps[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
for s in "${steps[@]}"; do
  case "$s" in build | doctor | cli | bench | devices | suite) ;; *) echo "unknown step: $s (steps: build doctor cli bench devices suite)" >&2; exit 2 ;; esac
done

{
  echo "== machine"
  nvidia-smi -L 2>&1
  echo "node $(node --version 2>&1); $(nvcc --version 2>&1 | tail -n 1)"
  echo "commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$out/machine.txt" 2>&1

if wants build || [ ! -f "$repo/dist/cli/main.js" ]; then
  step build 180 npm run build --silent
fi

# The device count comes from doctor (run whenever a later step needs it).
if wants doctor || wants cli || wants suite; then
  step doctor 60 bash -c '"$@" >"$0"' "$out/doctor.json" "${cli[@]}" doctor --json
fi
count=$(gpu_count)
say "CUDA devices: $count"

if wants cli; then
  if [ "$count" -eq 0 ]; then
    say "cli: skipped, no usable GPU (see doctor.json)"
  elif [ "$count" -ge 2 ]; then
    step cli 90 bash -c '"$@" >"$0"' "$out/cli-device1.json" "${cli[@]}" compile --spec-json '{"kernelSize":3}' --target cuda --device cuda:1 --json
  else
    say "cli: one GPU: compile --device 0, then --device 1 (must be refused, exit 2)"
    step cli 90 bash -c '"$@" >"$0"' "$out/cli-device0.json" "${cli[@]}" compile --spec-json '{"kernelSize":3}' --target cuda --device 0 --json
    run_limited 60 "${cli[@]}" compile --spec-json '{"kernelSize":3}' --target cuda --device 1 --json >"$out/cli-device1-refused.json" 2>>"$out/cli.log"
    say "cli: --device 1 on one GPU: exit $? (2 expected: refused as a usage error)"
  fi
fi

if wants bench; then
  step bench 200 node --import tsx bench/multi-gpu.ts --json "$out/multi-gpu.json"
fi

if wants devices; then
  step devices 200 npx vitest run --project gpu test/gpu/multi-device.test.ts --reporter=verbose --reporter=json --outputFile.json="$out/devices.json"
fi

if wants suite; then
  if [ "$count" -ge 2 ]; then
    step suite 540 env DWCONV_JIT_TEST_DEVICE=1 npx vitest run --project gpu --reporter=verbose --reporter=json --outputFile.json="$out/suite.json"
  else
    say "suite: this machine has $count CUDA device(s); DWCONV_JIT_TEST_DEVICE=1 needs 2: running the GPU group on device 0 instead"
    step suite 540 npx vitest run --project gpu --reporter=verbose --reporter=json --outputFile.json="$out/suite.json"
  fi
fi

say "done after $((SECONDS - started)) s; results in $out"
rm -rf "$cache_root"
