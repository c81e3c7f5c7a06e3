#!/usr/bin/env bash
# The fine-tuning demo's pipeline on an existing `bertc` binary and pre-trained model (see
# scripts/demo-finetune.sh; the ctest demo_finetune_pipeline runs it on a tiny model and a few
# hundred lines so the demo's flags stay valid).
#   scripts/demo-finetune-pipeline.sh BERTC BROWN_DIR PRETRAINED_MODEL OUT_DIR [EPOCHS=2] [THREADS=0] [POS=0]
# BROWN_DIR holds {train,test}.genre.jsonl (and .pos.jsonl with POS=1).
set -euo pipefail
[[ $# -ge 4 ]] || { echo "usage: $0 BERTC BROWN_DIR MODEL OUT [EPOCHS] [THREADS] [POS]" >&2; exit 2; }
bertc=$1 data=$2 model=$3 out=$4
epochs=${5:-2}
threads=${6:-0}
pos=${7:-0}
max_length=$(python3 -c "import json,sys; print(min(64, json.load(open(sys.argv[1]))['max_position_embeddings']))" \
  "$model/config.json")
mkdir -p "$out"
# BERT-tiny-sized models fine-tune best with a learning rate far above BERT-base's 2e-5.
common=(--max-length "$max_length" --batch-size 32 --epochs "$epochs" --lr 3e-4 --warmup-ratio 0.06
        --logging-steps 200 --threads "$threads" --seed 42 --split 0)

for init in pretrained random; do
  extra=()
  [[ $init == random ]] && extra=(--random-init)
  echo "== genre classifier, encoder $init: fine-tuning for $epochs epoch(s) on $data/train.genre.jsonl"
  time "$bertc" finetune --task sequence --model "$model" --train "$data/train.genre.jsonl" \
    --eval "$data/test.genre.jsonl" --out "$out/genre-$init" "${common[@]}" "${extra[@]}"
  echo "== genre classifier, encoder $init: test set"
  "$bertc" classify --model "$out/genre-$init" --data "$data/test.genre.jsonl" --truncation --threads "$threads" \
    --show 0
done
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
  time "$bertc" finetune --task token --model "$model" --train "$data/train.pos.jsonl" \
    --out "$out/pos-pretrained" "${common[@]}"
  "$bertc" tag --model "$out/pos-pretrained" --data "$data/test.pos.jsonl" --truncation --threads "$threads"
  "$bertc" tag --model "$out/pos-pretrained" --threads "$threads" "The old man walked slowly to the church."
fi
echo "== done: classifiers in $out/genre-pretrained and $out/genre-random"
