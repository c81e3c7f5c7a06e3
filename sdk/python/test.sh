#!/usr/bin/env bash
# Runs the Python SDK's tests against a built libbertc (run by scripts/test.sh):
#   BERTC_BUILD_DIR=build bash sdk/python/test.sh
# 1. pytest with numpy (when it can be installed) and without it (lists), against the build's library;
# 2. `pip install sdk/python` into a fresh venv that finds an installed libbertc through pkg-config;
# 3. the example programs on 300 Brown lines (pre-training, then fine-tuning on the genre labels).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${BERTC_BUILD_DIR:-$root/build}" && pwd)
lib="$build/src/api/libbertc.so"
[[ -f $lib ]] || { echo "sdk/python: no library at $lib (build first)" >&2; exit 1; }
py=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for mod in pytest numpy; do
  if ! "$py" -c "import $mod" 2>/dev/null; then
    echo "sdk/python: installing $mod from PyPI"
    "$py" -m pip install --quiet "$mod" || echo "sdk/python: $mod unavailable; continuing without it"
  fi
done

echo "== sdk/python: pytest ($("$py" -c 'import numpy; print("numpy", numpy.__version__)' 2>/dev/null || echo "no numpy"))"
cd "$here"
export BERTC_LIBRARY="$lib"
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$py" -m pytest -q -p no:cacheprovider tests
echo "== sdk/python: pytest without numpy (lists)"
BERTC_PYTHON_NUMPY=0 PYTHONPATH="$here" "$py" -m pytest -q -p no:cacheprovider tests/test_pipeline.py \
  -k "encode_batch or memory_round_trip"
unset BERTC_LIBRARY

echo "== sdk/python: pip install into a venv; the library found through pkg-config"
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
"$py" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --no-build-isolation --no-deps "$here" 2>/dev/null ||
  "$tmp/venv/bin/python" -m pip install --quiet --no-deps "$here"
pcdir=$(dirname "$(find "$tmp/prefix" -name bertc.pc | head -1)")
loaded=$(cd "$tmp" && PKG_CONFIG_PATH="$pcdir" "$tmp/venv/bin/python" -c 'import bertc; print(bertc.library_path())')
echo "sdk/python: the installed package loaded $loaded"
[[ $loaded == "$tmp/prefix/"* ]] || { echo "sdk/python: expected the library of $tmp/prefix" >&2; exit 1; }

brown=${BERTC_BROWN_DIR:-$root/../shared/data/brown}
[[ -f $brown/train.txt ]] || brown=$root/data/brown
if [[ -f $brown/train.txt ]]; then
  echo "== sdk/python: examples/python/pipeline.py"
  head -n 300 "$brown/train.txt" > "$tmp/corpus.txt"
  out=$(BERTC_LIBRARY="$lib" PYTHONPATH="$here" "$py" "$root/examples/python/pipeline.py" "$tmp/corpus.txt" "$tmp/out")
  echo "$out"
  grep -q "handled: I/O error" <<< "$out"
  if [[ -f $brown/train.genre.jsonl ]]; then
    echo "== sdk/python: examples/python/finetune.py (on the model pipeline.py wrote)"
    head -n 300 "$brown/train.genre.jsonl" > "$tmp/genre.jsonl"
    out=$(BERTC_LIBRARY="$lib" PYTHONPATH="$here" "$py" "$root/examples/python/finetune.py" "$tmp/out" \
      "$tmp/genre.jsonl" "$tmp/clf")
    echo "$out"
    grep -q "handled: invalid argument" <<< "$out"
  fi
else
  echo "sdk/python: no Brown corpus (scripts/fetch-corpus.sh); example skipped"
fi
