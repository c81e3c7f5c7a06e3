#!/usr/bin/env bash
# Pre-training benchmark + experiment. Usage: bench/pretrain/run.sh [BUILD_DIR] [what...]
#   what: padding peak throughput hf experiment (default: all). Short runs (a few minutes on 2 cores).
# Env: BROWN_DIR (default ../shared/data/brown or data/brown), STEPS (20), THREADS (2),
#      HF_PYTHON (/opt/bertc-ref/bin/python), EXP_STEPS (1500, ~11 min on 2 idle cores).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
shift || true
WHAT="${*:-padding peak throughput hf experiment}"
BIN="$BUILD/bench/pretrain/bench_pretrain"
[ -x "$BIN" ] || { echo "build bench_pretrain first (ninja -C $BUILD bench_pretrain)" >&2; exit 1; }
BROWN_DIR="${BROWN_DIR:-}"
for c in "$ROOT/../shared/data/brown" "$ROOT/data/brown"; do
  [ -z "$BROWN_DIR" ] && [ -f "$c/train.txt" ] && BROWN_DIR="$c"
done
[ -n "$BROWN_DIR" ] || { echo "Brown corpus not found; set BROWN_DIR" >&2; exit 1; }
# Work on a private copy: the encoded-dataset cache is written next to the data.
WORK="${WORK:-/tmp/bertc-pretrain-bench}"
mkdir -p "$WORK"
cp -u "$BROWN_DIR/train.txt" "$BROWN_DIR/test.txt" "$WORK/"
TOK30K="$ROOT/tests/fixtures/tokenizer/hf_brown_30522"
TOK8K="$ROOT/tests/fixtures/tokenizer/hf_brown_8000"
STEPS="${STEPS:-20}"
THREADS="${THREADS:-2}"
HF_PYTHON="${HF_PYTHON:-/opt/bertc-ref/bin/python}"
CFG="hidden=256 layers=4 heads=4 seq=128 batch=8 steps=$STEPS warmup=3 threads=$THREADS"

for w in $WHAT; do
  case "$w" in
    padding)
      "$BIN" padding tokenizer="$TOK30K" train="$WORK/train.txt" max_length=128 batch=8 ;;
    throughput)
      "$BIN" throughput tokenizer="$TOK30K" train="$WORK/train.txt" $CFG mode=identical
      "$BIN" throughput tokenizer="$TOK30K" train="$WORK/train.txt" $CFG mode=defaults
      "$BIN" throughput tokenizer="$TOK30K" train="$WORK/train.txt" $CFG mode=defaults grouping=packed ;;
    hf)
      "$HF_PYTHON" "$ROOT/bench/pretrain/hf_pretrain.py" --tokenizer "$TOK30K" --train "$WORK/train.txt" \
        --hidden 256 --layers 4 --heads 4 --seq 128 --batch 8 --steps "$STEPS" --warmup 3 --threads "$THREADS" \
        --padding max_length > "$WORK/hf.out" || { echo "bench: the HF side failed (see above)" >&2; exit 1; }
      tail -1 "$WORK/hf.out" | python3 -c 'import json,sys; json.loads(sys.stdin.read())' \
        || { echo "bench: the HF side printed no JSON result" >&2; exit 1; }
      tail -1 "$WORK/hf.out" ;;
    peak)
      # matmul peak of this LibTorch build (float32, THREADS threads) and the encoder GEMM shapes.
      "$HF_PYTHON" - "$THREADS" <<'PY'
import sys, time, torch, json
torch.set_num_threads(int(sys.argv[1]))
out = {}
for name, (m, k, n) in {"square1024": (1024, 1024, 1024), "ffn_in": (1024, 256, 1024), "qkv": (1024, 256, 256)}.items():
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(3): a @ b
    t = time.perf_counter(); it = 20
    for _ in range(it): a @ b
    out[name + "_gflops"] = round(2 * m * k * n * it / (time.perf_counter() - t) / 1e9, 1)
print(json.dumps(out))
PY
      ;;
    experiment)
      rm -rf "$WORK/experiment"
      "$BIN" experiment tokenizer="$TOK8K" train="$WORK/train.txt" test="$WORK/test.txt" out="$WORK/experiment" \
        steps="${EXP_STEPS:-1500}" eval_steps=150 batch=64 hidden=256 layers=4 heads=4 seq=64 grouping=dynamic \
        lr=1e-3 warmup=75 mlm=0.2 threads="$THREADS" queries=1000 ;;
    *) echo "unknown: $w" >&2; exit 2 ;;
  esac
done
