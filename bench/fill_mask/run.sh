#!/usr/bin/env bash
# Fill-mask benchmark: bertc (C API) vs Hugging Face pipeline('fill-mask') on the same model files,
# in the same run: single-query latency p50/p95 with 1 and 2 intra-op threads, and batch throughput,
# for a small config and a BERT-base-sized config (random init, saved once by HF).
#
#   bench/fill_mask/run.sh [build_dir] [work_dir]
# env: ITERS (default 40), BATCH (default 32), REPEATS (default 2), PY (default /opt/bertc-ref/bin/python)
# Each cell runs bertc and HF alternately REPEATS times and keeps each side's best run (lowest
# latency, highest throughput), which filters out bursts of load from other processes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-$root/build}"
work="${2:-${TMPDIR:-/tmp}/bertc-bench-fill-mask}"
py="${PY:-/opt/bertc-ref/bin/python}"
iters="${ITERS:-40}"
batch="${BATCH:-32}"
repeats="${REPEATS:-2}"
bin="$build/bench/fill_mask/bench_fill_mask"
[ -x "$bin" ] || { echo "build $bin first (ninja -C $build bench_fill_mask)" >&2; exit 1; }
mkdir -p "$work"
"$py" "$here/make_models.py" "$root/tests/fixtures" "$work"

# Best of several JSON results: min p50/p95, max batch_qps.
best() {
  "$py" -c 'import json,sys
r=[json.loads(a) for a in sys.argv[1:]]
print(json.dumps({"p50_ms": min(x["p50_ms"] for x in r), "p95_ms": min(x["p95_ms"] for x in r),
                  "batch_qps": max(x["batch_qps"] for x in r), "cpu_p50_ms": min(x["cpu_p50_ms"] for x in r)}))' "$@"
}
field() { "$py" -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
printf '%-6s %-3s | %-21s | %-21s | %-21s | %-21s\n' config thr "p50 ms bertc/HF (x)" "p95 ms bertc/HF (x)" \
  "batch q/s bertc/HF (x)" "cpu p50 ms bertc/HF (x)"
for cfg in small base; do
  for thr in 1 2; do
    ours_runs=(); hf_runs=()
    for ((i = 0; i < repeats; i++)); do
      ours_runs+=("$(OMP_NUM_THREADS=$thr "$bin" "$work/$cfg" "$work/$cfg" "$thr" "$iters" "$batch" "$here/queries.txt")")
      hf_runs+=("$(OMP_NUM_THREADS=$thr "$py" "$here/hf_fill_mask.py" "$work/$cfg" "$thr" "$iters" "$batch" "$here/queries.txt")")
    done
    ours=$(best "${ours_runs[@]}"); hf=$(best "${hf_runs[@]}")
    row=""
    for k in p50_ms p95_ms batch_qps cpu_p50_ms; do
      a=$(field "$ours" $k); b=$(field "$hf" $k)
      r=$("$py" -c "print(f'{$a/$b:.2f}')")
      row+=$(printf '%8.2f/%-8.2f(%s) | ' "$a" "$b" "$r")
    done
    printf '%-6s %-3s | %s\n' "$cfg" "$thr" "$row"
  done
done
echo "best of $repeats alternating runs per side, $iters single queries each."
echo "(x) = bertc/HF: below 1 is faster for latency, above 1 is faster for throughput. Batch = $batch queries, top_k 5."
echo "cpu p50 = median process CPU time per single query (all threads): unlike wall time, not inflated when"
echo "other processes take the cores; at 1 thread it is the work itself. load: $(cut -d' ' -f1-3 /proc/loadavg)"
