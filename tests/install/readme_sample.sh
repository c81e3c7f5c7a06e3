#!/usr/bin/env bash
# Extracts the first ```c block of README.md, compiles it against the built library and runs it.
set -euo pipefail
src=$1 lib=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^```c$/{on=1; next} /^```$/{if(on){exit}} on' "$src/README.md" > "$tmp/sample.c"
[[ -s "$tmp/sample.c" ]] || { echo "README has no \`\`\`c block"; exit 1; }
# shellcheck disable=SC2086  # BERTC_SAMPLE_CFLAGS: extra flags (sanitizer builds), word-split on purpose
"$cc" -std=c11 -Wall -Wextra -Werror ${BERTC_SAMPLE_CFLAGS:-} -I"$src/include" "$tmp/sample.c" "$lib" -o "$tmp/sample"
LD_LIBRARY_PATH="$(dirname "$lib")" "$tmp/sample"
