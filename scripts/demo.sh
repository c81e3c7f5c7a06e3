#!/usr/bin/env bash
# The README's first command: on a fresh Debian 12 machine, installs the dependencies, builds bertc,
# fetches the Brown corpus, trains a WordPiece tokenizer, pre-trains a small BERT for a bounded
# time, evaluates it, renders the loss plot and runs fill-mask on a few sentences.
#   DEMO_DIR=runs/demo     where the outputs go
#   DEMO_STEPS=1500        optimizer steps (about 10 minutes on 2 idle cores)
#   DEMO_THREADS=0         threads (0 = all cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${DEMO_DIR:-runs/demo}
steps=${DEMO_STEPS:-1500}
threads=${DEMO_THREADS:-0}

bash scripts/setup-deps.sh
echo "== build"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTC_BUILD_TESTS=OFF -DBERTC_BUILD_BENCH=OFF >/dev/null
cmake --build build/release -j "$(nproc)"
bertc=build/release/src/cli/bertc

echo "== corpus"
bash scripts/fetch-corpus.sh data/brown
mkdir -p "$out"

echo "== tokenizer: WordPiece, vocab 8000, on the Brown train split"
time "$bertc" tokenizer train --files data/brown/train.txt --vocab-size 8000 --min-frequency 2 \
  --special-tokens '[PAD]' '[UNK]' '[CLS]' '[SEP]' '[MASK]' '<S>' '<T>' --threads "$threads" --out "$out/tokenizer"
echo "The quick brown fox jumped over the lazy dog." | "$bertc" tokenizer encode --tokenizer "$out/tokenizer"

echo "== pre-training a small BERT ($steps steps)"
time "$bertc" pretrain --tokenizer "$out/tokenizer" --train data/brown/train.txt --eval data/brown/test.txt \
  --config mini --max-length 64 --grouping dynamic --mlm-probability 0.2 --batch-size 64 --lr 1e-3 \
  --warmup 75 --schedule linear --max-steps "$steps" --eval-steps 300 --save-steps 300 --save-total-limit 2 \
  --load-best-at-end --seed 42 --threads "$threads" --out "$out/model"

echo "== evaluation on the Brown test split"
"$bertc" eval --model "$out/model" --tokenizer "$out/tokenizer" --data data/brown/test.txt --threads "$threads"

echo "== loss plot"
"$bertc" plot --run "$out/model"

echo "== fill-mask"
# A 10-minute model has learned the function-word slots (verbs be/have, pronouns, prepositions);
# content words need longer runs (DEMO_STEPS=20000 or --config small).
for q in "It [MASK] a long time ago." \
         "There [MASK] no answer." \
         "They went [MASK] the house." \
         "She said that [MASK] would come back tomorrow." \
         "I [MASK] not going to do it."; do
  "$bertc" fill-mask --model "$out/model" --tokenizer "$out/tokenizer" --top-k 5 "$q"
done
echo "== done: outputs in $out"
