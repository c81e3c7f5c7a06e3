#!/usr/bin/env bash
# bertc vs Hugging Face tokenizers (PyPI binding from the reference venv), same machine, same file,
# same vocab size, same thread count. Usage:
#   bench/tokenizer/run.sh [BUILD_DIR] [CORPUS] [THREADS]
# defaults: build-tok, ../shared/data/brown/train.txt, all cores. Needs bench_tokenizer built
# (ninja -C BUILD_DIR bench_tokenizer) and /opt/bertc-ref (tokenizers). Prints a table of ratios.
# The Node binding (npm `tokenizers`, encodeBatch) is measured too when BERTC_NODE_MODULES names a
# node_modules directory holding it, e.g.:
#   (mkdir -p /tmp/npm-tok && cd /tmp/npm-tok && npm install tokenizers)
#   BERTC_NODE_MODULES=/tmp/npm-tok/node_modules bench/tokenizer/run.sh build-tok
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-$root/build-tok}"
corpus="${2:-$root/../shared/data/brown/train.txt}"
threads="${3:-$(nproc)}"
py="${BERTC_REF_PYTHON:-/opt/bertc-ref/bin/python}"
bench="$build/bench/tokenizer/bench_tokenizer"
tokjson="$root/tests/fixtures/tokenizer/bert_base_uncased/tokenizer.json"
[[ -x "$bench" ]] || { echo "build it first: ninja -C $build bench_tokenizer" >&2; exit 1; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }

echo "corpus: $corpus ($(wc -c <"$corpus") bytes), threads: $threads, cpu: $(nproc) cores"
echo "HF: tokenizers $("$py" -c 'import tokenizers; print(tokenizers.__version__)') (PyPI)"
node_mods="${BERTC_NODE_MODULES:-}"
if [[ -n "$node_mods" ]] && ! NODE_PATH="$node_mods" node -e 'require("tokenizers")' 2>/dev/null; then
  echo "BERTC_NODE_MODULES=$node_mods has no usable tokenizers package; skipping npm" >&2
  node_mods=""
fi
[[ -n "$node_mods" ]] && echo "HF npm: tokenizers $(NODE_PATH="$node_mods" node -e 'console.log(require("tokenizers/package.json").version)') (Node $(node --version))"
printf "%-34s %14s %14s %9s %12s %12s\n" "measurement" "bertc" "HF" "ratio" "bertc RSS MB" "HF RSS MB"
for v in 30000 8000; do
  b="$("$bench" train "$corpus" "$v" "$threads")"
  h="$(RAYON_NUM_THREADS="$threads" "$py" "$here/hf_bench.py" train "$corpus" "$v")"
  printf "%-34s %13ss %13ss %9s %12s %12s\n" "train vocab $v ($threads thr)" "$(field seconds "$b")" \
    "$(field seconds "$h")" "$(ratio "$(field seconds "$h")" "$(field seconds "$b")")" \
    "$(field peak_rss_mb "$b")" "$(field peak_rss_mb "$h")"
done
for t in 1 "$threads"; do
  h="$(RAYON_NUM_THREADS="$t" TOKENIZERS_PARALLELISM=$([[ $t == 1 ]] && echo false || echo true) \
       "$py" "$here/hf_bench.py" encode "$corpus" "$tokjson")"
  n=""
  [[ -n "$node_mods" ]] && n="$(RAYON_NUM_THREADS="$t" NODE_PATH="$node_mods" node "$here/hf_node_bench.js" "$corpus" "$tokjson")"
  for m in full ids; do
    b="$("$bench" encode "$corpus" "$tokjson" "$t" "$m")"
    printf "%-34s %10s MB/s %8s MB/s %9s %12s %12s\n" "encode $m bert-base ($t thr)" "$(field mb_per_s "$b")" \
      "$(field mb_per_s "$h")" "$(ratio "$(field mb_per_s "$b")" "$(field mb_per_s "$h")")" \
      "$(field peak_rss_mb "$b")" "$(field peak_rss_mb "$h")"
    if [[ -n "$n" ]]; then
      printf "%-34s %10s MB/s %8s MB/s %9s %12s %12s\n" "  vs npm encodeBatch ($t thr)" "$(field mb_per_s "$b")" \
        "$(field mb_per_s "$n")" "$(ratio "$(field mb_per_s "$b")" "$(field mb_per_s "$n")")" \
        "$(field peak_rss_mb "$b")" "$(field peak_rss_mb "$n")"
    fi
  done
done
echo "full = encode_batch with offsets/masks (same work as HF encode_batch; bertc: the flat batch bert_tokenizer_encode_batch returns);"
echo "ids = ids only (EncodeIds). HF = PyPI encode_batch; npm = Node encodeBatch (both all offsets/masks)."
