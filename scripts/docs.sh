#!/usr/bin/env bash
# Builds the API reference from include/bertc.h with Doxygen (warnings are errors) into
# ${OUT:-build/docs}/html. Usage: scripts/docs.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-build/docs}
command -v doxygen >/dev/null || { echo "docs: doxygen missing (scripts/setup-deps.sh installs it)"; exit 1; }
mkdir -p "$out"
( cat docs/Doxyfile; echo "OUTPUT_DIRECTORY = $out"; echo "PROJECT_NUMBER = $(sed -n 's/^#define BERTC_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' include/bertc.h | paste -sd.)" ) | doxygen -
echo "docs: $out/html/index.html"
