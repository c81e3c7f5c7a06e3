#!/usr/bin/env bash
# Compares the built libbertc.so with the committed ABI baseline (abi/libbertc.abi) using
# abigail-tools. Fails on an incompatible change; a compatible addition is reported and passes.
#   scripts/check-abi.sh BUILD_DIR            check
#   scripts/check-abi.sh BUILD_DIR --update   rewrite the baseline (do this deliberately, in its own commit)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: check-abi.sh BUILD_DIR [--update]}
lib="$build/src/api/libbertc.so"
baseline="$root/abi/libbertc.abi"
command -v abidw >/dev/null || { echo "check-abi: abidw missing (apt-get install abigail-tools)"; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
abidw --no-corpus-path --headers-dir "$root/include" --drop-private-types "$lib" > "$tmp"
if [[ "${2:-}" == "--update" ]]; then
  mkdir -p "$root/abi"; cp "$tmp" "$baseline"; echo "check-abi: baseline updated ($baseline)"; exit 0
fi
set +e
abidiff --headers-dir1 "$root/include" --headers-dir2 "$root/include" "$baseline" "$tmp" > "$tmp.diff"
rc=$?
set -e
if (( rc & 1 || rc & 2 )); then cat "$tmp.diff"; echo "check-abi: abidiff failed to run (rc=$rc)"; exit 1; fi
if (( rc & 8 )); then
  cat "$tmp.diff"; echo "check-abi: INCOMPATIBLE ABI change against abi/libbertc.abi"; exit 1
fi
if (( rc & 4 )); then
  cat "$tmp.diff"; echo "check-abi: compatible ABI change (additions); update the baseline with --update"
fi
echo "check-abi: ok"
