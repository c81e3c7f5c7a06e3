#!/usr/bin/env bash
# Compares the built libbertc.so with the committed ABI baseline (abi/libbertc.abi) using
# abigail-tools. Fails on any change to existing functions or types; added functions are reported
# and pass.
# Appended fields of the struct_size-versioned structs are compatible (abi/libbertc.supp).
#   scripts/check-abi.sh BUILD_DIR            check
#   scripts/check-abi.sh BUILD_DIR --update   rewrite the baseline (do this deliberately, in its own commit)
#   scripts/check-abi.sh --lib LIB.so         check another build of the library
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ "${1:-}" == "--lib" ]]; then
  lib=${2:?usage: check-abi.sh --lib LIB.so}
  set -- "" "${3:-}"
else
  build=${1:?usage: check-abi.sh BUILD_DIR [--update]}
  lib="$build/src/api/libbertc.so"
  # With BERTC_ISOLATE_TORCH libbertc.so is the front (src/front: the same functions, forwarded, checked
  # against the implementation by tests/install symbols); the types are read from the implementation.
  [[ -f "$build/src/api/libbertc-impl.so" ]] && lib="$build/src/api/libbertc-impl.so"
fi
baseline="$root/abi/libbertc.abi"
command -v abidw >/dev/null || { echo "check-abi: abidw missing (apt-get install abigail-tools)"; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
supp="$root/abi/libbertc.supp"
abidw --no-corpus-path --exported-interfaces-only --suppressions "$supp" "$lib" > "$tmp"
grep -q struct_size "$tmp" || { echo "check-abi: no type information in $lib (build the ABI layer with -g)"; exit 1; }
if [[ "${2:-}" == "--update" ]]; then
  mkdir -p "$root/abi"; cp "$tmp" "$baseline"; echo "check-abi: baseline updated ($baseline)"; exit 0
fi
set +e
abidiff --ignore-soname --suppressions "$supp" "$baseline" "$tmp" > "$tmp.diff"
rc=$?
set -e
if (( rc & 1 || rc & 2 )); then cat "$tmp.diff"; echo "check-abi: abidiff failed to run (rc=$rc)"; exit 1; fi
if (( rc & 8 )); then
  cat "$tmp.diff"; echo "check-abi: INCOMPATIBLE ABI change against abi/libbertc.abi"; exit 1
fi
if (( rc & 4 )); then
  # Changed functions or types (e.g. a params struct grew) break callers built against the old
  # header; only added functions are compatible.
  set +e
  abidiff --ignore-soname --no-added-syms --suppressions "$supp" "$baseline" "$tmp" > "$tmp.diff2"
  rc2=$?
  set -e
  if (( rc2 & 12 )); then
    cat "$tmp.diff2"; echo "check-abi: ABI CHANGE against abi/libbertc.abi (changed types or functions)"; exit 1
  fi
  cat "$tmp.diff"; echo "check-abi: only added functions (compatible); record them with --update"
fi
echo "check-abi: ok"
