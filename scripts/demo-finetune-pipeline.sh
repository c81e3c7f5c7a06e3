#!/usr/bin/env bash
# The fine-tuning demo's pipeline on an existing `bertc` binary and pre-trained model (see
# scripts/demo-finetune.sh; the ctest demo_finetune_pipeline runs it on a tiny model and a few
# hundred lines so the demo's flags stay valid).
#   scripts/demo-finetune-pipeline.sh BERTC BROWN_DIR PRETRAINED_MODEL OUT_DIR [EPOCHS=5] [THREADS=0] [POS=0]
#                                     [LINES=10000]
# BROWN_DIR holds {train,test}.genre.jsonl (and .pos.jsonl with POS=1). LINES: fine-tune on a random sample
# (seed 42, the same sample as bench/finetune/run.sh's TRAIN_LINES) of that many training lines; 0 = all.
set -euo pipefail
[[ $# -ge 4 ]] || { echo "usage: $0 BERTC BROWN_DIR MODEL OUT [EPOCHS] [THREADS] [POS] [LINES]" >&2; exit 2; }
bertc=$1 data=$2 model=$3 out=$4
epochs=${5:-5}
threads=${6:-0}
pos=${7:-0}
lines=${8:-10000}
max_length=$(python3 -c "import json,sys; print(min(64, json.load(open(sys.argv[1]))['max_position_embeddings']))" \
  "$model/config.json")
mkdir -p "$out"
train=$data
if [[ $lines != 0 ]]; then
  # A labelled sample, as an application with a few thousand labelled sentences has: where labels are scarce
  # the pre-trained encoder is clearly ahead of a random one (with all 51,606 genre labels this small model
  # learns the genre's lexical cues from scratch as well; see the README's fine-tuning section).
  train=$out/train-sample
  mkdir -p "$train"
  for task in genre pos; do
    [[ -f $data/train.$task.jsonl ]] || continue
    python3 "$(dirname "$0")/sample_lines.py" "$data/train.$task.jsonl" "$lines" 42 > "$train/train.$task.jsonl"
  done
fi
# BERT-tiny-sized models fine-tune best with a learning rate far above BERT-base's 2e-5. The demo pre-trains
# without dropout (its config says 0); the genre classifier gets hidden and attention dropout 0.1, as HF's
# from_pretrained(dir, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1) gives.
common=(--max-length "$max_length" --batch-size 32 --epochs "$epochs" --warmup-ratio 0.06
        --logging-steps 200 --threads "$threads" --seed 42 --split 0)

for init in pretrained random; do
  extra=()
  [[ $init == random ]] && extra=(--random-init)
  echo "== genre classifier, encoder $init: fine-tuning for $epochs epoch(s) on" \
    "$(wc -l < "$train/train.genre.jsonl") sentences of $data/train.genre.jsonl"
  time "$bertc" finetune --task sequence --model "$model" --train "$train/train.genre.jsonl" \
    --eval "$data/test.genre.jsonl" --out "$out/genre-$init" --lr 6e-4 --dropout 0.1 "${common[@]}" "${extra[@]}"
  echo "== genre classifier, encoder $init: test set"
  "$bertc" classify --model "$out/genre-$init" --data "$data/test.genre.jsonl" --truncation --threads "$threads" \
    --show 0
  "$bertc" classify --model "$out/genre-$init" --data "$data/test.genre.jsonl" --truncation --threads "$threads" \
    --json > "$out/genre-$init.test.json"
done
python3 - "$out/genre-pretrained.test.json" "$out/genre-random.test.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
print(f"== what pre-training bought on the test set: accuracy {100 * a['accuracy']:.2f} % vs {100 * b['accuracy']:.2f} %"
      f" from a random encoder ({100 * (a['accuracy'] - b['accuracy']):+.2f} points), macro-F1"
      f" {100 * a['macro_f1']:.2f} vs {100 * b['macro_f1']:.2f}")
PY
echo "== a few test sentences, classified by the pre-trained + fine-tuned model (gold -> predicted)"
"$bertc" classify --model "$out/genre-pretrained" --data <(head -8 "$data/test.genre.jsonl") --truncation \
  --threads "$threads" --show 8 | head -8
echo "== new sentences"
"$bertc" classify --model "$out/genre-pretrained" --threads "$threads" \
  "The senator told reporters on Tuesday that the bill would pass." \
  "She closed the door quietly and listened to his footsteps fade." \
  "The results suggest that the reaction proceeds through an intermediate state."

if [[ $pos == 1 ]]; then
  echo "== part-of-speech tagger (token classification), encoder pretrained"
  time "$bertc" finetune --task token --model "$model" --train "$train/train.pos.jsonl" \
    --out "$out/pos-pretrained" --lr 1e-3 "${common[@]}"
  "$bertc" tag --model "$out/pos-pretrained" --data "$data/test.pos.jsonl" --truncation --threads "$threads"
  "$bertc" tag --model "$out/pos-pretrained" --threads "$threads" "The old man walked slowly to the church."
fi
echo "== done: classifiers in $out/genre-pretrained and $out/genre-random"
