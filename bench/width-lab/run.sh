#!/usr/bin/env bash
# On the GPU machine (nvcc, no Node): builds the lab (the library's sources in gen/, made beforehand
# where Node is by `npm run build && node bench/width-lab/gen.mjs`, and lab_kernels.cu once per dtype
# and window), runs compute-sanitizer memcheck (every kernel) and racecheck (the lab's) over small
# shapes, then checks and times every case and summarizes. Writes five files under $OUT (default
# /tmp/width-lab-out): width-lab.json (every case and kernel: ms, GB/s, % of copy, the check),
# width-lab.log (the raw output), summary.txt (ratios to the aligned library), build.txt (ptxas
# registers and spills per design, then the build logs), sanitizer.txt.
# Env: WL_GROUPS ("f32:3 f16:7 ..."), WL_WIDTHS, WL_CASE_TIMEOUT (s a case, default 40),
# WL_SKIP_BUILD (1: reuse build/ from a previous run), WL_SANITIZE (0: skip the sanitizer passes),
# WL_MEMCHECK_LIMIT / WL_RACECHECK_LIMIT (s, default 75 / 45), WL_BUDGET (s from the start, default
# 255: a timing group that would start later is skipped and says so), WL_JOBS (parallel compiles,
# default the cores), WL_ROUND1 (1: build round 1's designs too).
set -uo pipefail
cd "$(dirname "$0")"
out=${OUT:-/tmp/width-lab-out}
budget=${WL_BUDGET:-255}
mkdir -p "$out" build
t0=$(date +%s)
elapsed() { echo $(( $(date +%s) - t0 )); }
over() { (( $(elapsed) > budget )); }
[[ -f gen/lib_f32_k3.cu ]] || { echo "gen/ is missing: run node bench/width-lab/gen.mjs where Node is, and carry bench/width-lab/gen"; exit 2; }
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)

# ---- Build: 13 translation units, WL_JOBS (default: the cores) at a time, each bounded.
flags=(-arch=sm_90 -O3 -std=c++17 -Xptxas -v)
[[ "${WL_ROUND1:-0}" == 1 ]] && flags+=(-DWL_ROUND1)
jobs_max=${WL_JOBS:-$(nproc)}
slot() { while (( $(jobs -r | wc -l) >= jobs_max )); do sleep 0.2; done; }
if [[ "${WL_SKIP_BUILD:-0}" != 1 ]]; then
rm -f build/*.o
for dt in f32 f16 bf16; do
  for k in 3 7; do
    slot; { timeout 240 nvcc "${flags[@]}" -DDT=$dt -DKS=$k -c lab_kernels.cu -o build/lab_${dt}_k$k.o > build/lab_${dt}_k$k.log 2>&1 || echo "build failed: lab_${dt}_k$k (build/lab_${dt}_k$k.log)"; } &
    slot; { timeout 240 nvcc "${flags[@]}" -c gen/lib_${dt}_k$k.cu -o build/lib_${dt}_k$k.o > build/lib_${dt}_k$k.log 2>&1 || echo "build failed: lib_${dt}_k$k"; } &
  done
done
slot; { timeout 240 nvcc -arch=sm_90 -O3 -std=c++17 -c main.cu -o build/main.o > build/main.log 2>&1 || echo "build failed: main"; } &
wait
if ! nvcc -arch=sm_90 build/*.o -o build/width_lab > build/link.log 2>&1; then
  grep -h -B2 -A3 -i "error\|terminated" build/*.log | head -40
  for f in build/*.log; do echo "==== $f"; cat "$f"; done > "$out/build.txt"
  exit 1
fi
# ptxas figures per design: the mangled Cfg's last three arguments are the loader, the store mode
# and the register bound (round 2); the library's kernels by name.
regs() {
  awk '
    /Compiling entry function/ {
      name = $0; gsub(/.*function .|. for .sm_.*/, "", name); label = name
      if (name ~ /wl25ring2/) {
        n = 0; s = name
        while (match(s, /Li-?[0-9]+E/)) { v[++n] = substr(s, RSTART + 2, RLENGTH - 3); s = substr(s, RSTART + RLENGTH) }
        label = (v[n - 2] == 0 ? "nar" : "cpa") "_" (v[n - 1] == 0 ? "nat" : v[n - 1] == 1 ? "co" : "pr") " (bound " v[n] ")"
      } else if (name ~ /wl8ring_any/) label = "round1:" substr(name, 1, 60)
      else { sub(/.*_nchw_/, "", label); label = "library " label }
    }
    /bytes spill stores/ { spill = $5 }
    /Used [0-9]+ registers/ { match($0, /Used [0-9]+/); r = substr($0, RSTART + 5, RLENGTH - 5); sm = ""; if (match($0, /[0-9]+ bytes smem/)) sm = substr($0, RSTART, RLENGTH)
      printf "# %-11s %-22s %3d registers, %3d bytes spilled, %s\n", FILENAME, label, r, spill, sm }' "$@" | sed 's|build/||; s|\.log||'
}
{ echo "# built in $(elapsed) s"; regs build/lab_*.log; regs build/lib_*.log | grep -E "ring|tiled_4_1|direct" ; } | tee "$out/build.txt.head"
{ cat "$out/build.txt.head"; echo; for f in build/*.log; do echo "==== $f"; cat "$f"; done; } > "$out/build.txt"
rm -f "$out/build.txt.head"
fi

groups=${WL_GROUPS:-"f32:3 f16:3 f32:7 bf16:3 f16:7 bf16:7"}

# ---- compute-sanitizer over small shapes (N = 1, C = 3, H = 41; each kernel's check, no timing):
# W = 509 (a part-filled strip, odd rows), 513 and 2050 (tail blocks), 600 (a part-empty strip),
# 1030; odd W ends a 16-bit tensor inside a word. memcheck: every kernel, every group; racecheck
# (shared-memory hazards: the ring's barriers, cp.async, the staging rows): the lab's designs.
san="$out/sanitizer.txt"
: > "$san"
if [[ "${WL_SANITIZE:-1}" == 1 && -x "$sanitizer" ]]; then
  all=$(echo $groups | tr ' ' ',')
  t=${WL_MEMCHECK_LIMIT:-75}
  timeout $t "$sanitizer" --tool memcheck --error-exitcode 99 --print-limit 5 build/width_lab "$all" --small --quick 509 513 600 1030 2050 > "$out/san.part" 2>&1
  echo "memcheck $all (limit $t s): exit $?, $(grep -c 'check ok' "$out/san.part") checks ok, $(grep -c 'FAILED' "$out/san.part") failed; $(grep 'ERROR SUMMARY' "$out/san.part" | tail -1)" | tee -a "$san"
  grep -E 'Invalid|FAILED|TIMEOUT|rror|mismatch' "$out/san.part" | grep -v 'ERROR SUMMARY: 0' | head -12 >> "$san"
  # The first report whole (kernel, thread, address and how far past its allocation) and the case it hit.
  grep -m 1 -A 14 'Invalid' "$out/san.part" >> "$san"
  grep '^# \|^[a-z0-9]* *k[37] W=' "$out/san.part" | tail -2 >> "$san"
  rg=$(echo ${WL_RACECHECK_GROUPS:-"f32:7 f16:3 bf16:7"} | tr ' ' ',')
  t=${WL_RACECHECK_LIMIT:-45}
  timeout $t "$sanitizer" --tool racecheck --error-exitcode 99 --racecheck-report hazard --print-limit 5 build/width_lab "$rg" --small --quick --lab-only 509 600 > "$out/san.part" 2>&1
  echo "racecheck $rg (limit $t s): exit $?, $(grep -c 'check ok' "$out/san.part") checks ok, $(grep -c 'FAILED' "$out/san.part") failed; $(grep 'RACECHECK SUMMARY\|ERROR SUMMARY' "$out/san.part" | tail -1)" | tee -a "$san"
  grep -E 'hazard|Race|FAILED|TIMEOUT|rror|mismatch' "$out/san.part" | grep -v 'SUMMARY: 0' | head -12 >> "$san"
  rm -f "$out/san.part"
else
  echo "sanitizer passes skipped (WL_SANITIZE=${WL_SANITIZE:-1}, $sanitizer)" | tee -a "$san"
fi
echo "# sanitizer passes done at $(elapsed) s"

# ---- Check and time every case (groups in order of interest: those past the budget are skipped).
widths=${WL_WIDTHS:-"509 510 511 512 513 514 515 516 1023 1024 1025 1026 2047 2048 2049 2050"}
log="$out/width-lab.log"
: > "$log"
for g in $groups; do
  dt=${g%%:*}; k=${g##*:}
  if over; then echo "SKIPPED $dt k$k: past the ${budget} s budget at $(elapsed) s" | tee -a "$log"; continue; fi
  todo=($widths)
  while ((${#todo[@]})); do
    build/width_lab "$dt" "$k" "${todo[@]}" > "$out/part.txt" 2>&1
    rc=$?
    tee -a "$log" < "$out/part.txt" | grep -v '^ROW\|^JSON'
    done_n=$(grep -c '^JSON' "$out/part.txt")
    ((rc == 0)) && break
    echo "CASEFAIL $dt k$k W=${todo[$done_n]} exit $rc" | tee -a "$log"
    todo=("${todo[@]:$((done_n + 1))}")
  done
done
rm -f "$out/part.txt"
echo "# timings done at $(elapsed) s" | tee -a "$log"

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
      if (f[10] != "ok") bad[key " " f[6]]++;  # a failed check at any width, aligned or not
      if (f[5] == 1) continue;
      n = split(al[key], a, " "); best = -1; bd = 1e9;
      for (j = 1; j <= n; j++) { d = a[j] - f[4]; if (d < 0) d = -d; if (d < bd) { bd = d; best = a[j] } }
      if (best < 0) continue;
      r = f[8] / bw[key " " best]; k2 = key " " f[6];
      printf "%-10s %-11s W=%-5d vs W=%-5d ratio %.3f %s\n", key, f[6], f[4], best, r, f[10];
      if (!(k2 in worst) || r < worst[k2]) { worst[k2] = r; at[k2] = f[4] }
    }
    print "";
    for (k2 in worst) printf "WORST %-22s %.3f at W=%d%s\n", k2, worst[k2], at[k2], (k2 in bad) ? "  CHECK FAILED x" bad[k2] : "";
  }' > "$out/summary.txt"
# The aligned widths: each kernel's share of the copy beside the library's (what the designs cost
# where there is nothing to shift).
grep '^ROW' "$log" | awk -F'\t' '$5 == 1 { printf "ALIGNED %-4s k%s W=%-5d %-11s %6.1f%% of copy %s\n", $2, $3, $4, $6, $9, $10 }' >> "$out/summary.txt"
grep -E '^WORST|^$' "$out/summary.txt" | sort

if [[ -n "${OUT:-}" ]]; then
  { printf '{"device":"%s","cases":[' "$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
    grep '^JSON' "$log" | sed 's/^JSON //' | paste -sd, -
    printf '],"summary":['
    grep '^WORST' "$out/summary.txt" | awk '{printf "%s{\"case\":\"%s %s %s\",\"worstRatio\":%s,\"atW\":%s,\"checkFailed\":%s}", (NR > 1 ? "," : ""), $2, $3, $4, $5, substr($7, 3), ($8 == "CHECK") ? "true" : "false"}'
    printf ']}\n'; } > "$OUT/width-lab.json"
  echo "# wrote $OUT/width-lab.json"
fi

echo "# total $(elapsed) s" | tee -a "$log"
