#!/usr/bin/env bash
# On the GPU machine: builds every gen/NAME.cu with nvcc against main.cu and times it on the shape that
# cases.txt gives NAME (lines: NAME N C H W COUT BYTES_PER_ELEMENT [f32|f16|bf16]: with a dtype, signed values of it). Writes $OUT/lab/times.txt; with
# NCU="NAME ..." also an ncu report and the SASS of those. No Node needed there.
set -uo pipefail
cd "$(dirname "$0")" && mkdir -p "$OUT/lab"
for f in gen/*.cu; do
  n=$(basename "$f" .cu)
  sym=$(grep -o 'extern "C" int dwconv_cuda_[a-z0-9_]*' "$f" | head -1 | sed 's/extern "C" int //')
  (nvcc -O3 -arch=sm_90 -std=c++17 --diag-suppress=177 -DSYM="$sym" -include "$f" main.cu -o "gen/bin_$n" 2> "$OUT/lab/$n.build" || echo "$n: build failed") &
done
wait
while read -r n shape; do [[ -x gen/bin_$n ]] && { timeout "${LAB_TIMEOUT:-60}" "gen/bin_$n" $shape "$n" || echo "$n: exit $? (124: over ${LAB_TIMEOUT:-60} s)"; }; done < cases.txt | tee "$OUT/lab/times.txt"
for n in ${NCU:-}; do
  cuobjdump -sass "gen/bin_$n" > "$OUT/lab/$n.sass" 2>&1
  ncu --kernel-name regex:dwconv_cuda --launch-count 1 --launch-skip 3 --section SpeedOfLight --section WarpStateStats --section Occupancy --section MemoryWorkloadAnalysis \
    --section LaunchStats --section InstructionStats ${NCU_METRICS:+--metrics $NCU_METRICS} "gen/bin_$n" $(grep "^$n " cases.txt | cut -d' ' -f2-) "$n" > "$OUT/lab/$n.ncu" 2>&1
done
