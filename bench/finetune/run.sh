#!/usr/bin/env bash
# Fine-tuning side by side on the Brown genre (sequence) and POS (token) tasks:
#   (a) bertc fine-tuning a pre-trained model   (b) bertc, same shape, randomly initialised encoder
#   (c) Hugging Face Trainer on the same files  (d) the baselines (majority class, most frequent tag)
# with the same hyperparameters on both sides; scores on test.*.jsonl; training tokens/s of (a) vs (c).
#   bench/finetune/run.sh [BUILD_DIR] [sequence] [token]
# Env: MODEL (pre-trained model dir, default runs/demo/model from scripts/demo.sh), BROWN_DIR,
#      EPOCHS (3), LR (3e-4), BATCH (32), MAX_LENGTH (64), WARMUP (0.06), THREADS (2), SEED (42),
#      SEEDS ("$SEED"; e.g. "42 1 2": every side fine-tunes once per seed, and the summary gives each
#      side's mean — single runs of these small models differ by ~±0.5 points from seed to seed),
#      HF_SEEDS (the seeds the HF side runs; default SEEDS — e.g. HF_SEEDS=42 compares (a) with (c) on one),
#      DROPOUT (unset: the model's own; P: hidden and attention dropout P on both sides — bertc's
#      `finetune --dropout P`, HF's from_pretrained(..., hidden_dropout_prob=P, attention_probs_dropout_prob=P)),
#      LR_SEQUENCE / LR_TOKEN, DROPOUT_SEQUENCE / DROPOUT_TOKEN (one task's own setting; default LR / DROPOUT;
#      DROPOUT_TOKEN=none: the model's own even when DROPOUT is set),
#      HF_PYTHON (/opt/bertc-ref/bin/python; the HF side fails loudly when it is missing), WORK,
#      TRAIN_LINES (train on a seeded random sample of N training lines: the low-resource setting in
#      which pre-training matters most; default all 51,606), REPEATS (1: run (a), (b), (c) N times,
#      interleaved, and report each side's best tokens/s — a 2-core VM's run-to-run noise is ±20 %;
#      scores come from the first round, and later rounds must reproduce them).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build/release}"
shift || true
TASKS="${*:-sequence token}"
BERTC="$BUILD/src/cli/bertc"
[ -x "$BERTC" ] || { echo "finetune bench: no bertc at $BERTC (build it first)" >&2; exit 1; }
MODEL="${MODEL:-$ROOT/runs/demo/model}"
[ -f "$MODEL/model.safetensors" ] || { echo "finetune bench: no pre-trained model in $MODEL (run scripts/demo.sh)" >&2; exit 1; }
BROWN_DIR="${BROWN_DIR:-}"
for c in "$ROOT/../shared/data/brown" "$ROOT/data/brown"; do
  [ -z "$BROWN_DIR" ] && [ -f "$c/train.genre.jsonl" ] && BROWN_DIR="$c"
done
[ -n "$BROWN_DIR" ] || { echo "finetune bench: Brown jsonl files not found; set BROWN_DIR" >&2; exit 1; }
HF_PYTHON="${HF_PYTHON:-/opt/bertc-ref/bin/python}"
[ -x "$HF_PYTHON" ] || { echo "finetune bench: HF side needs $HF_PYTHON (tests/fixtures/setup-ref-env.sh)" >&2; exit 1; }
EPOCHS="${EPOCHS:-3}" LR="${LR:-3e-4}" BATCH="${BATCH:-32}" MAX_LENGTH="${MAX_LENGTH:-64}" WARMUP="${WARMUP:-0.06}"
THREADS="${THREADS:-2}" SEED="${SEED:-42}" REPEATS="${REPEATS:-1}"
SEEDS="${SEEDS:-$SEED}"
HF_SEEDS="${HF_SEEDS:-$SEEDS}"
task_lr() { local v="LR_${1^^}"; echo "${!v:-$LR}"; }
task_dropout() {  # empty: the model's own
  local v="DROPOUT_${1^^}" d
  d="${!v:-${DROPOUT:-}}"
  [ "$d" = none ] && d=""
  echo "$d"
}
WORK="${WORK:-/tmp/bertc-finetune-bench}"
mkdir -p "$WORK"
RESULTS="$WORK/results.jsonl"
: > "$RESULTS"

echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; threads $THREADS"
"$BERTC" version --verbose | grep -E '^(bertc|cpu|blas.kernel|blas.chosen_by|gemm|libtorch)' | sed 's/^/# /'
echo "# model $MODEL; epochs $EPOCHS, batch $BATCH, max_length $MAX_LENGTH, warmup $WARMUP, seeds $SEEDS (HF: $HF_SEEDS)"
own_dropout=$(python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); print(c["hidden_dropout_prob"], "/", c["attention_probs_dropout_prob"])' "$MODEL/config.json")
for task in $TASKS; do
  d=$(task_dropout "$task")
  [ -n "$d" ] || d="the model's own, $own_dropout"
  echo "# $task: lr $(task_lr "$task"), hidden/attention dropout $d"
done

python3 "$ROOT/bench/finetune/baselines.py" "$BROWN_DIR" >> "$RESULTS"
TRAIN_DIR="$BROWN_DIR"
if [ -n "${TRAIN_LINES:-}" ]; then
  TRAIN_DIR="$WORK/sample-$TRAIN_LINES"
  mkdir -p "$TRAIN_DIR"
  for d in genre pos; do
    python3 "$ROOT/scripts/sample_lines.py" "$BROWN_DIR/train.$d.jsonl" "$TRAIN_LINES" "$SEED" > "$TRAIN_DIR/train.$d.jsonl"
  done
  echo "# training on a random sample of $TRAIN_LINES lines (seed $SEED)"
fi

bertc_run() {  # task side seed extra-args...
  local task=$1 side=$2 seed=$3
  shift 3
  local data=genre
  [ "$task" = token ] && data=pos
  local out="$WORK/$task-$side-$seed" dropout
  dropout=$(task_dropout "$task")
  rm -rf "$out"
  "$BERTC" finetune --task "$task" --model "$MODEL" --train "$TRAIN_DIR/train.$data.jsonl" --split 0 \
    --out "$out" --max-length "$MAX_LENGTH" --batch-size "$BATCH" --epochs "$EPOCHS" --lr "$(task_lr "$task")" \
    --warmup-ratio "$WARMUP" --seed "$seed" --threads "$THREADS" --logging-steps 100 ${dropout:+--dropout "$dropout"} "$@" >&2
  local score
  if [ "$task" = sequence ]; then
    score=$("$BERTC" classify --model "$out" --data "$BROWN_DIR/test.$data.jsonl" --truncation --json --threads "$THREADS")
  else
    score=$("$BERTC" tag --model "$out" --data "$BROWN_DIR/test.$data.jsonl" --truncation --json --threads "$THREADS")
  fi
  python3 - "$out" "$task" "$side" "$score" "$EPOCHS" "$seed" <<'PY' >> "$RESULTS"
import json, sys
out, task, side, score, epochs = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), float(sys.argv[5])
seed = int(sys.argv[6])
log = [json.loads(l) for l in open(f"{out}/train_log.jsonl") if l.strip()]
steps = [e for e in log if "loss" in e and "elapsed" in e]
seconds = steps[-1]["elapsed"]
state = json.load(open(f"{out}/trainer_state.json"))
# Real tokens trained on: tokens/s per logging window times the window's length, summed.
tokens, prev = 0.0, 0.0
for e in steps:
    tokens += e["tokens_per_second"] * (e["elapsed"] - prev)
    prev = e["elapsed"]
print(json.dumps({"side": "bertc-" + side, "task": task, "seed": seed, "accuracy": score["accuracy"], "macro_f1": score["macro_f1"],
                  "train_tokens": round(tokens), "train_seconds": round(seconds, 2),
                  "tokens_per_second": round(tokens / seconds, 1), "steps": state["global_step"]}))
PY
}

for round in $(seq 1 "$REPEATS"); do
for task in $TASKS; do
for seed in $SEEDS; do
  data=genre
  [ "$task" = token ] && data=pos
  dropout=$(task_dropout "$task")
  echo "== $task, seed $seed (round $round of $REPEATS): (a) bertc from the pre-trained model" >&2
  bertc_run "$task" pretrained "$seed"
  echo "== $task, seed $seed: (b) bertc from a randomly initialised encoder" >&2
  bertc_run "$task" random "$seed" --random-init
  [[ " $HF_SEEDS " == *" $seed "* ]] || continue
  echo "== $task, seed $seed: (c) Hugging Face Trainer" >&2
  "$HF_PYTHON" "$ROOT/bench/finetune/hf_finetune.py" --task "$task" --model "$MODEL" \
    --train "$TRAIN_DIR/train.$data.jsonl" --test "$BROWN_DIR/test.$data.jsonl" --max-length "$MAX_LENGTH" \
    --batch "$BATCH" --epochs "$EPOCHS" --lr "$(task_lr "$task")" --warmup-ratio "$WARMUP" --seed "$seed" \
    --threads "$THREADS" ${dropout:+--dropout "$dropout"} --out "$WORK/$task-hf-$seed" > "$WORK/$task-hf-$seed.out" ||
    { echo "finetune bench: the HF side failed (log: $WORK/$task-hf-$seed.out)" >&2; exit 1; }
  # The Trainer prints its own metrics dict too: keep the script's JSON line.
  grep '^{"side"' "$WORK/$task-hf-$seed.out" | tail -1 | grep . >> "$RESULTS" || { echo "finetune bench: no HF result" >&2; exit 1; }
done
done
done

python3 - "$RESULTS" <<'PY'
import json, sys
from statistics import mean
raw = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# Rounds: one row per (task, side, seed) with the best tokens/s; the scores must not change between rounds.
rows, seen = [], {}
for r in raw:
    key = (r["task"], r["side"], r.get("method"), r.get("seed"))
    if key not in seen:
        seen[key] = r
        r["rounds"] = [r.get("tokens_per_second")]
        rows.append(r)
        continue
    first = seen[key]
    if abs(first["accuracy"] - r["accuracy"]) > 1e-9:
        sys.exit(f"finetune bench: {key} scored {r['accuracy']} in a later round, {first['accuracy']} in the first")
    first["rounds"].append(r.get("tokens_per_second"))
    if "tokens_per_second" in r:
        first["tokens_per_second"] = max(first["tokens_per_second"], r["tokens_per_second"])
        first["train_seconds"] = min(first["train_seconds"], r["train_seconds"])
print(f"{'task':9} {'side':17} {'seed':>5} {'accuracy':>9} {'macro-F1':>9} {'train tok/s':>12} {'seconds':>8}")
for task in ("sequence", "token"):
    rs = [r for r in rows if r["task"] == task]
    if not rs:
        continue
    for r in rs:
        tps = f"{r['tokens_per_second']:.0f}" if "tokens_per_second" in r else "-"
        sec = f"{r['train_seconds']:.0f}" if "train_seconds" in r else "-"
        name = r["side"] if r["side"] != "baseline" else r["method"][:17]
        seed = "" if r.get("seed") is None else str(r["seed"])
        rounds = "" if len(r["rounds"]) < 2 else "  rounds: " + " ".join(f"{x:.0f}" for x in r["rounds"])
        print(f"{task:9} {name:17} {seed:>5} {100*r['accuracy']:8.2f}% {100*r['macro_f1']:8.2f}% {tps:>12} {sec:>8}{rounds}")
    # Each side over the seeds: the mean (and per-seed differences where sides share a seed).
    side = {s: [r for r in rs if r["side"] == s] for s in ("bertc-pretrained", "bertc-random", "hf")}
    avg = {s: (mean(r["accuracy"] for r in v), mean(r["macro_f1"] for r in v), mean(r["tokens_per_second"] for r in v))
           for s, v in side.items() if v}
    n = len(side["bertc-pretrained"])
    if n > 1:
        for s, (acc, f1, tps) in avg.items():
            print(f"{task:9} {s:17} {'mean':>5} {100*acc:8.2f}% {100*f1:8.2f}% {tps:12.0f}   ({len(side[s])} seeds)")
    def diff(x, y, what):
        by_seed = {r["seed"]: r for r in side[y]}
        d = [100 * (r[what] - by_seed[r["seed"]][what]) for r in side[x] if r["seed"] in by_seed]
        return f"{mean(d):+.2f} (" + " ".join(f"{v:+.2f}" for v in d) + ")" if d else "-"
    if avg.get("bertc-pretrained") and avg.get("bertc-random"):
        print(f"{task:9} (a) - (b), per seed: accuracy {diff('bertc-pretrained', 'bertc-random', 'accuracy')}, "
              f"macro-F1 {diff('bertc-pretrained', 'bertc-random', 'macro_f1')} points")
    if avg.get("bertc-pretrained") and avg.get("hf"):
        print(f"{task:9} (a) - (c), per seed: accuracy {diff('bertc-pretrained', 'hf', 'accuracy')} points; "
              f"bertc / HF tokens/s: {avg['bertc-pretrained'][2] / avg['hf'][2]:.2f}x")
PY
