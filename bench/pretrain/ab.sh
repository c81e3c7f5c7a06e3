#!/usr/bin/env bash
# Before/after of a change to bertc's training step on this machine: the demo recipe (BERT-tiny shape, seq 64,
# batch 64, dynamic padding, dropout 0, 20 % masked, default threads — scripts/demo-pipeline.sh's pre-training)
# run alternately with another build's implementation library (A) and this build's (B), ROUNDS times, so that
# both sides see the same host noise (a 2-core VM drifts by ±10-20 % over minutes). Prints every round, the
# median of the per-round ratios B / A and each side's best, with the CPU and the GEMM kernels.
#   bench/pretrain/ab.sh BUILD_DIR A_IMPL_LIBRARY [ROUNDS (8)] [STEPS (200)]
# A_IMPL_LIBRARY: libbertc-impl.so.* of the other build (e.g. copied from BUILD_DIR/src/api before the change);
# the front library loads it through BERTC_IMPL_LIBRARY.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: $0 BUILD_DIR A_IMPL_LIBRARY [ROUNDS] [STEPS]}
a_impl=${2:?usage: $0 BUILD_DIR A_IMPL_LIBRARY [ROUNDS] [STEPS]}
rounds=${3:-8} steps=${4:-200}
pre="$build/bench/pretrain/bench_pretrain"
bertc="$build/src/cli/bertc"
[[ -x $pre && -x $bertc ]] || { echo "ab.sh: build bench_pretrain and bertc in $build first" >&2; exit 1; }
[[ -f $a_impl ]] || { echo "ab.sh: no implementation library at $a_impl" >&2; exit 1; }
brown=""
for c in "$root/../shared/data/brown" "$root/data/brown"; do [[ -z $brown && -f $c/train.txt ]] && brown=$c; done
[[ -n $brown ]] || { echo "ab.sh: Brown corpus not found (scripts/fetch-corpus.sh)" >&2; exit 1; }
work=${WORK:-/tmp/bertc-ab}
mkdir -p "$work"
tok="$work/tokenizer"
[[ -f $tok/tokenizer.json ]] || "$bertc" tokenizer train --files "$brown/train.txt" --vocab-size 8000 --min-frequency 2 \
  --special-tokens '[PAD]' '[UNK]' '[CLS]' '[SEP]' '[MASK]' '<S>' '<T>' --out "$tok" > /dev/null
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
for side in A B; do
  env $([[ $side == A ]] && echo "BERTC_IMPL_LIBRARY=$a_impl") "$bertc" version --verbose |
    grep -E '^(bertc|blas.kernel|gemm)' | paste -sd' ' - | sed "s/^/# $side: /"
done
run() {  # [ENV=...] -> samples/s; a failed run fails the script
  local out
  out=$(env "$@" "$pre" throughput tokenizer="$tok/tokenizer.json" train="$brown/train.txt" hidden=128 layers=2 heads=2 \
        seq=64 batch=64 steps="$steps" warmup=5 threads=0 mode=defaults dropout=0 mlm=0.2) || {
    echo "ab.sh: bench_pretrain failed ($*)" >&2; exit 1; }
  sed -n 's/.*"samples_per_s":\([0-9.]*\).*/\1/p' <<< "$out" | tail -1
}
: > "$work/rounds"
for r in $(seq "$rounds"); do
  a=$(run BERTC_IMPL_LIBRARY="$a_impl") b=$(run BERTC_AB_SIDE=B)
  [[ -n $a && -n $b ]] || { echo "ab.sh: no samples/s in round $r" >&2; exit 1; }
  echo "$a $b" >> "$work/rounds"
  printf 'round %d: A %8.1f  B %8.1f sentences/s  B/A %.3f\n' "$r" "$a" "$b" "$(python3 -c "print($b / $a)")"
done
python3 - "$work/rounds" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
ratios = [b / a for a, b in rows]
print(f"median B/A {statistics.median(ratios):.3f} (range {min(ratios):.3f}-{max(ratios):.3f}, {len(rows)} rounds); "
      f"best A {max(a for a, _ in rows):.1f}, best B {max(b for _, b in rows):.1f} sentences/s "
      f"(14,000 steps x 64 sentences: {14000 * 64 / max(b for _, b in rows) / 60:.1f} min at B's best)")
PY
