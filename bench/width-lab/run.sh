#!/usr/bin/env bash
# On the GPU machine (nvcc, no Node): builds the lab (the library's sources in gen/, made here
# beforehand by `node bench/width-lab/gen.mjs`, and lab_kernels.cu once per dtype and window), runs
# every case, prints a table and a summary, writes $OUT/width-lab.json (and the raw log) when OUT
# is set. Env: WL_GROUPS ("f32:3 f16:7 ..."), WL_WIDTHS, WL_CASE_TIMEOUT (s a case, default 40),
# WL_SANITIZE (1: a compute-sanitizer memcheck pass over small shapes after the timings; default 1)
# over WL_SANITIZE_GROUPS (default "f32:7 f16:3 bf16:7").
set -uo pipefail
cd "$(dirname "$0")"
out=${OUT:-/tmp/width-lab-out}
mkdir -p "$out" build
[[ -f gen/lib_f32_k3.cu ]] || { echo "gen/ is missing: run node bench/width-lab/gen.mjs where Node is, and carry bench/width-lab/gen"; exit 2; }
flags=(-arch=sm_90 -O3 -std=c++17 -Xptxas -v)
t0=$(date +%s)
for dt in f32 f16 bf16; do
  for k in 3 7; do
    nvcc "${flags[@]}" -DDT=$dt -DKS=$k -c lab_kernels.cu -o build/lab_${dt}_k$k.o > build/lab_${dt}_k$k.log 2>&1 || echo "build failed: lab_${dt}_k$k (build/lab_${dt}_k$k.log)" &
    nvcc "${flags[@]}" -c gen/lib_${dt}_k$k.cu -o build/lib_${dt}_k$k.o > build/lib_${dt}_k$k.log 2>&1 || echo "build failed: lib_${dt}_k$k" &
  done
done
nvcc -arch=sm_90 -O3 -std=c++17 -c main.cu -o build/main.o > build/main.log 2>&1 || echo "build failed: main" &
wait
nvcc -arch=sm_90 build/*.o -o build/width_lab || { cat build/*.log | grep -i error | head -20; exit 1; }
echo "# built in $(( $(date +%s) - t0 )) s"
for f in build/lab_*.log; do echo "# $(basename "$f" .log): $(grep -E 'Used [0-9]+ registers' "$f" | sed -E 's/.*Used ([0-9]+) registers.*/\1/' | tr '\n' ' ')registers; spills: $(grep -oE '[0-9]+ bytes spill stores' "$f" | cut -d' ' -f1 | tr '\n' ' ')"; done

mkdir -p "$out/build-logs" && cp build/*.log "$out/build-logs/"

groups=${WL_GROUPS:-"f32:3 f16:3 bf16:3 f32:7 f16:7 bf16:7"}
widths=${WL_WIDTHS:-"509 510 511 512 513 514 515 516 1023 1024 1025 1026 2047 2048 2049 2050"}
log="$out/width-lab.log"
: > "$log"
for g in $groups; do
  dt=${g%%:*}; k=${g##*:}
  todo=($widths)
  while ((${#todo[@]})); do
    build/width_lab "$dt" "$k" "${todo[@]}" > "$out/part.txt" 2>&1
    rc=$?
    cat "$out/part.txt" | tee -a "$log" | grep -v '^ROW\|^JSON'
    done_n=$(grep -c '^JSON' "$out/part.txt")
    ((rc == 0)) && break
    echo "CASEFAIL $dt k$k W=${todo[$done_n]} exit $rc" | tee -a "$log"
    todo=("${todo[@]:$((done_n + 1))}")
  done
done
rm -f "$out/part.txt"

# Summary: each kernel's bandwidth at each unaligned width over the library's at the nearest aligned
# width of the same dtype and window (the issue's target: >= 0.95), and the worst per kernel.
echo
echo "# ratio = GB/s / library GB/s at the nearest aligned width (target >= 0.95); worst per dtype, window and kernel"
grep '^ROW' "$log" | awk -F'\t' '
  { key = $2 " k" $3; if ($5 == 1 && $6 == "library") { al[key] = al[key] " " $4; bw[key " " $4] = $8 }
    rows[NR] = $0 }
  END {
    for (i = 1; i <= NR; i++) {
      split(rows[i], f, "\t"); key = f[2] " k" f[3];
      if (f[5] == 1) continue;
      n = split(al[key], a, " "); best = -1; bd = 1e9;
      for (j = 1; j <= n; j++) { d = a[j] - f[4]; if (d < 0) d = -d; if (d < bd) { bd = d; best = a[j] } }
      if (best < 0) continue;
      r = f[8] / bw[key " " best]; k2 = key " " f[6];
      printf "%-10s %-11s W=%-5d vs W=%-5d ratio %.3f %s\n", key, f[6], f[4], best, r, f[10];
      if (!(k2 in worst) || r < worst[k2]) { worst[k2] = r; at[k2] = f[4] }
      if (f[10] != "ok") bad[k2]++;
    }
    print "";
    for (k2 in worst) printf "WORST %-22s %.3f at W=%d%s\n", k2, worst[k2], at[k2], (k2 in bad) ? "  CHECK FAILED x" bad[k2] : "";
  }' | tee "$out/summary.txt" | grep -E '^WORST|^$' | sort

if [[ -n "${OUT:-}" ]]; then
  { printf '{"device":"%s","cases":[' "$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
    grep '^JSON' "$log" | sed 's/^JSON //' | paste -sd, -
    printf '],"summary":['
    grep '^WORST' "$out/summary.txt" | awk '{printf "%s{\"case\":\"%s %s %s\",\"worstRatio\":%s,\"atW\":%s,\"checkFailed\":%s}", (NR > 1 ? "," : ""), $2, $3, $4, $5, substr($7, 3), ($8 == "CHECK") ? "true" : "false"}'
    printf ']}\n'; } > "$OUT/width-lab.json"
  echo "# wrote $OUT/width-lab.json"
fi

# compute-sanitizer memcheck over small shapes (every kernel's check run, no timing).
if [[ "${WL_SANITIZE:-1}" == 1 ]] && command -v compute-sanitizer > /dev/null; then
  echo "# compute-sanitizer memcheck, N=1 C=3 H=41"
  for g in ${WL_SANITIZE_GROUPS:-"f32:7 f16:3 bf16:7"}; do
    timeout 60 compute-sanitizer --tool memcheck --print-limit 5 build/width_lab "${g%%:*}" "${g##*:}" --small --quick 509 513 2050 2>&1 \
      | grep -E 'ERROR SUMMARY|Invalid|FAILED|TIMEOUT|error' | sed "s/^/$g: /" | head -8
  done | tee -a "$log"
fi
echo "# total $(( $(date +%s) - t0 )) s"
