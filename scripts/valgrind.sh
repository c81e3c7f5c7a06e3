#!/usr/bin/env bash
# valgrind memcheck on the C example (examples/c/pipeline.c): 0 errors and 0 bytes definitely lost,
# or the script fails. Installs valgrind when missing. The example's training is cut to STEPS
# (default 20) because memcheck runs it ~50x slower.
#   scripts/valgrind.sh [BUILD_DIR] [STEPS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
steps=${2:-20}
command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; }
exe="$build/examples/c/example_pipeline"
[[ -x $exe ]] || { echo "valgrind: build the example first ($exe)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# One OpenMP thread keeps the run short; valgrind serialises threads anyway.
OMP_NUM_THREADS=1 valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=definite --suppressions="$root/tests/valgrind/bertc.supp" \
  "$exe" "$out/model" "$steps" 2>&1 | tee "$out/log" | grep -E "ERROR SUMMARY|definitely lost|eval loss|^ +[0-9]\."
grep -q "ERROR SUMMARY: 0 errors" "$out/log"
grep -q "definitely lost: 0 bytes" "$out/log"
echo "valgrind: clean"
