#!/usr/bin/env bash
# The README's first command: on a fresh Debian 12 machine, installs the dependencies, builds bertc,
# fetches the Brown corpus, trains a WordPiece tokenizer, pre-trains a small BERT for a bounded
# time, evaluates it, renders the loss plot and runs fill-mask on a few sentences.
#   DEMO_DIR=runs/demo     where the outputs go
#   DEMO_STEPS=14000       optimizer steps (about 20 minutes on 2 cores, depending on the machine)
#   DEMO_THREADS=0         threads (0 = all cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${DEMO_DIR:-runs/demo}
steps=${DEMO_STEPS:-14000}
threads=${DEMO_THREADS:-0}

bash scripts/setup-deps.sh
echo "== build"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTC_BUILD_TESTS=OFF -DBERTC_BUILD_BENCH=OFF >/dev/null
cmake --build build/release -j "$(nproc)"
bertc=build/release/src/cli/bertc

echo "== corpus"
bash scripts/fetch-corpus.sh data/brown
bash scripts/demo-pipeline.sh "$bertc" data/brown/train.txt data/brown/test.txt "$out" "$steps" "$threads"
