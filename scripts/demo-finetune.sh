#!/usr/bin/env bash
# The second demo: fine-tunes the small BERT that scripts/demo.sh pre-trained on the Brown corpus to
# classify sentences by genre (press / nonfiction / fiction), prints a confusion matrix and a few
# classified test sentences, and does the same from a randomly initialised encoder of the same shape
# to show what pre-training bought. Runs scripts/demo.sh first when its model is missing.
#   DEMO_DIR=runs/demo       where scripts/demo.sh put its outputs (model in $DEMO_DIR/model)
#   FINETUNE_LINES=10000     labelled training sentences, a seeded random sample of the 51,606 (0 = all);
#                            with few labels pre-training shows (all of them: this small model ties)
#   FINETUNE_EPOCHS=5        passes over them (~1 minute per classifier on 2 cores)
#   DEMO_THREADS=0           threads (0 = all cores)
#   DEMO_POS=1               also fine-tune a part-of-speech tagger (token classification)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${DEMO_DIR:-runs/demo}
epochs=${FINETUNE_EPOCHS:-5}
threads=${DEMO_THREADS:-0}
bertc=build/release/src/cli/bertc
if [[ ! -f "$out/model/model.safetensors" || ! -x "$bertc" ]]; then
  echo "== no pre-trained demo model in $out/model: running scripts/demo.sh first"
  bash scripts/demo.sh
fi
bash scripts/fetch-corpus.sh data/brown
bash scripts/demo-finetune-pipeline.sh "$bertc" data/brown "$out/model" "$out" "$epochs" "$threads" "${DEMO_POS:-0}" \
  "${FINETUNE_LINES:-10000}"
