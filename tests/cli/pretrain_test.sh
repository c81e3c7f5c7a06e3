#!/usr/bin/env bash
# A tiny pre-training run through the CLI: checkpoints, resume, Ctrl-C, eval, fill-mask, plot.
# Usage: pretrain_test.sh BERTC TMPDIR
set -euo pipefail
bertc=$1 tmp=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
python3 - "$tmp/train.txt" "$tmp/test.txt" <<'PY'
import random, sys
random.seed(11)
subj = "the cat|the dog|a bird|my friend|the old man|the teacher".split("|")
verb = "sat on|looked at|walked to|ran past|talked about".split("|")
obj = "the mat|the house|a tree|the river|the school|the garden".split("|")
def line():
    return f"{random.choice(subj)} {random.choice(verb)} {random.choice(obj)}.".capitalize()
for path, n in ((sys.argv[1], 600), (sys.argv[2], 60)):
    with open(path, "w") as f:
        f.write("\n".join(line() for _ in range(n)) + "\n")
PY
cat > "$tmp/config.json" <<'JSON'
{"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
 "max_position_embeddings": 64, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
JSON
"$bertc" tokenizer train --files "$tmp/train.txt" --vocab-size 120 --min-frequency 1 --out "$tmp/tok" >/dev/null

common=(--tokenizer "$tmp/tok" --train "$tmp/train.txt" --eval "$tmp/test.txt" --config "$tmp/config.json"
        --max-length 16 --batch-size 8 --lr 5e-3 --logging-steps 1 --seed 3 --threads 1)
# Straight run: 6 steps, eval + checkpoint every 2, keep 2 checkpoints.
"$bertc" pretrain "${common[@]}" --max-steps 6 --eval-steps 2 --save-steps 2 --save-total-limit 2 \
  --out "$tmp/run" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; fail "pretrain"; }
grep -q "final eval: loss" "$tmp/out" || fail "no final eval line"
for f in config.json model.safetensors vocab.txt train_log.jsonl; do [[ -s "$tmp/run/$f" ]] || fail "missing $f"; done
n_ckpt=$(find "$tmp/run" -maxdepth 1 -name 'checkpoint-*' -type d | wc -l)
[[ $n_ckpt -le 3 && $n_ckpt -ge 2 ]] || fail "save_total_limit 2 left $n_ckpt checkpoints"
[[ -d "$tmp/run/checkpoint-6" ]] || fail "no checkpoint-6"

# Split run: 3 steps, then resume to 6 -> same losses as the straight run.
"$bertc" pretrain "${common[@]}" --max-steps 6 --eval-steps 2 --save-steps 3 --out "$tmp/split" \
  --max-steps 6 >/dev/null 2>&1 || fail "split run"
rm -rf "$tmp/split/checkpoint-6" "$tmp/split/model.safetensors"
"$bertc" pretrain "${common[@]}" --max-steps 6 --eval-steps 2 --save-steps 3 --out "$tmp/split" \
  --resume "$tmp/split/checkpoint-3" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; fail "resume"; }
losses() { python3 -c 'import json,sys
seen={}
for l in open(sys.argv[1]):
    o=json.loads(l)
    if "loss" in o and "step" in o: seen[o["step"]]=o["loss"]
print(" ".join(f"{k}:{seen[k]!r}" for k in sorted(seen)))' "$1"; }
[[ "$(losses "$tmp/run/train_log.jsonl")" == "$(losses "$tmp/split/train_log.jsonl")" ]] || {
  echo "straight: $(losses "$tmp/run/train_log.jsonl")"; echo "resumed:  $(losses "$tmp/split/train_log.jsonl")"
  fail "resumed run's losses differ from the straight run"; }

# Eval and fill-mask on the trained model.
"$bertc" eval --model "$tmp/run" --data "$tmp/test.txt" --max-length 16 --threads 1 --json > "$tmp/eval.json"
python3 -c 'import json,sys,math; o=json.load(open(sys.argv[1])); assert o["masked_tokens"]>0 and math.isclose(math.exp(o["loss"]), o["perplexity"], rel_tol=1e-4), o' "$tmp/eval.json"
"$bertc" fill-mask --model "$tmp/run" --top-k 3 --json "the cat sat on the [MASK]." > "$tmp/fm.json"
python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).readline()); assert len(o["masks"][0])==3' "$tmp/fm.json"
"$bertc" plot --run "$tmp/run" --out "$tmp/run/loss.svg" >/dev/null

# Ctrl-C: stops after writing a checkpoint, exits 130, and the run resumes from it.
"$bertc" pretrain "${common[@]}" --max-steps 100000 --out "$tmp/int" >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 1 600); do
  [[ -s "$tmp/int/train_log.jsonl" ]] && break
  sleep 0.1
done
kill -INT $pid
set +e; wait $pid; rc=$?; set -e
[[ $rc == 130 ]] || { cat "$tmp/int.err"; fail "Ctrl-C exit status $rc, want 130"; }
grep -q "checkpoint written to" "$tmp/int.err" || fail "no checkpoint message after Ctrl-C"
ls -d "$tmp"/int/checkpoint-* >/dev/null 2>&1 || fail "no checkpoint after Ctrl-C"
last=$(ls -d "$tmp"/int/checkpoint-* | sed 's/.*checkpoint-//' | sort -n | tail -1)
"$bertc" pretrain "${common[@]}" --max-steps $((last + 2)) --out "$tmp/int" --resume latest >/dev/null 2>"$tmp/err" \
  || { cat "$tmp/err"; fail "resume after Ctrl-C"; }
[[ -d "$tmp/int/checkpoint-$((last + 2))" || -s "$tmp/int/model.safetensors" ]] || fail "resumed run did not finish"

# AdamW and clipping flags reach the optimizer: each changes the step-3 loss (not step 1's).
loss_at() { python3 -c 'import json,sys
print([r["loss"] for r in map(json.loads, open(sys.argv[1])) if "loss" in r and r.get("step") == int(sys.argv[2])][0])' "$1" "$2"; }
"$bertc" pretrain "${common[@]}" --max-steps 3 --out "$tmp/adam_a" >/dev/null 2>&1 || fail "adam default run"
i=0
for flags in "--adam-beta1 0.5" "--adam-beta2 0.5" "--adam-epsilon 1e-2" "--max-grad-norm 1e-3"; do
  i=$((i + 1))
  # shellcheck disable=SC2086  # $flags is "--flag value"
  "$bertc" pretrain "${common[@]}" --max-steps 3 $flags --out "$tmp/adam_$i" >/dev/null 2>&1 || fail "run with $flags"
  [[ "$(loss_at "$tmp/adam_a/train_log.jsonl" 1)" == "$(loss_at "$tmp/adam_$i/train_log.jsonl" 1)" ]] \
    || fail "$flags changed step 1"
  [[ "$(loss_at "$tmp/adam_a/train_log.jsonl" 3)" != "$(loss_at "$tmp/adam_$i/train_log.jsonl" 3)" ]] \
    || fail "$flags had no effect"
done

# --dropout overrides the config's dropout probabilities (saved in the model's config.json).
"$bertc" pretrain "${common[@]}" --max-steps 1 --dropout 0.25 --out "$tmp/drop" >/dev/null 2>&1 || fail "--dropout run"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))
assert c["hidden_dropout_prob"] == 0.25 and c["attention_probs_dropout_prob"] == 0.25, c' "$tmp/drop/config.json" \
  || fail "--dropout not applied"

# Bad usage: expect_bad CODE PATTERN ARGS... runs a short pretrain with ARGS, wants exit CODE and PATTERN
# (grep; "" = any) in its stderr.
expect_bad() {
  local want=$1 pattern=$2; shift 2
  local rc=0
  "$bertc" pretrain "${common[@]}" --max-steps 2 "$@" --out "$tmp/bad" 2>"$tmp/err" || rc=$?
  [[ $rc == "$want" ]] || fail "'$*' gave exit $rc, want $want: $(cat "$tmp/err")"
  [[ -z $pattern ]] || grep -q "$pattern" "$tmp/err" || fail "'$*' error message: $(cat "$tmp/err")"
}
expect_bad 2 "" --dropout 1
expect_bad 2 "init-model" --dropout 0 --init-model "$tmp/drop"
expect_bad 2 "adam-beta2" --adam-beta2 1
expect_bad 1 "eps" --adam-epsilon 0
expect_bad 2 "" --mlm-probability 1.5
expect_bad 1 "max_position_embeddings\|max_length" --max-length 100
echo "pretrain: ok"
