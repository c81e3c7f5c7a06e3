#!/usr/bin/env bash
# The demo's pipeline on an existing `bertc` binary: WordPiece tokenizer, pre-training with eval and
# checkpoints, evaluation, loss plot, fill-mask. scripts/demo.sh runs it on the Brown corpus; the
# ctest demo_pipeline runs it on a small corpus for a few steps so the demo's flags stay valid.
#   scripts/demo-pipeline.sh BERTC TRAIN.txt TEST.txt OUT_DIR [STEPS=14000] [THREADS=0]
set -euo pipefail
[[ $# -ge 4 ]] || { echo "usage: $0 BERTC TRAIN TEST OUT [STEPS] [THREADS]" >&2; exit 2; }
bertc=$1 train=$2 test=$3 out=$4
steps=${5:-14000}
threads=${6:-0}
every=$((steps >= 7 ? steps / 7 : 1))  # eval + checkpoint cadence
mkdir -p "$out"

echo "== tokenizer: WordPiece, vocab 8000, on $train"
time "$bertc" tokenizer train --files "$train" --vocab-size 8000 --min-frequency 2 \
  --special-tokens '[PAD]' '[UNK]' '[CLS]' '[SEP]' '[MASK]' '<S>' '<T>' --threads "$threads" --out "$out/tokenizer"
echo "The quick brown fox jumped over the lazy dog." | "$bertc" tokenizer encode --tokenizer "$out/tokenizer"

echo "== pre-training a small BERT ($steps steps)"
# For a budget of minutes on 2 cores a small model that sees the corpus many times beats a bigger one
# that sees it once or twice: BERT-tiny's shape (2 layers, 128 wide, 2 heads), no dropout, a high peak
# learning rate with linear decay, one sentence per example with dynamic padding.
time "$bertc" pretrain --tokenizer "$out/tokenizer" --train "$train" --eval "$test" \
  --config tiny --dropout 0 --max-length 64 --grouping dynamic --mlm-probability 0.2 --batch-size 64 \
  --lr 2e-3 --warmup 200 --schedule linear --max-steps "$steps" --eval-steps "$every" --save-steps "$every" \
  --save-total-limit 2 --load-best-at-end --seed 42 --threads "$threads" --out "$out/model"

echo "== evaluation on $test"
"$bertc" eval --model "$out/model" --tokenizer "$out/tokenizer" --data "$test" --threads "$threads"

echo "== loss plot"
"$bertc" plot --run "$out/model"

echo "== fill-mask"
# Function-word slots (verbs, pronouns, prepositions) and noun slots of frequent Brown collocations,
# chosen from corpus counts before training (e.g. "the united" is followed by "states" 87 % of the time).
for q in "It [MASK] a long time ago." \
         "She said that [MASK] would come back tomorrow." \
         "They went [MASK] the house." \
         "He has not been here for a long [MASK]." \
         "At the same [MASK], he was afraid." \
         "He lived in the United [MASK] for many years."; do
  "$bertc" fill-mask --model "$out/model" --tokenizer "$out/tokenizer" --top-k 5 "$q"
done
echo "== done: outputs in $out"
