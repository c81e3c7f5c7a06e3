#!/usr/bin/env bash
# The hostile-input checks CI runs after scripts/test.sh: the whole ctest suite under ASan + UBSan
# (HARDENING_SDKS=1: the SDK suites too), the ThreadSanitizer concurrency program, every libFuzzer target for a bounded
# time on its seed corpus, and valgrind memcheck on the C example. Non-zero exit on any finding.
#   FUZZ_SECONDS=30   seconds per fuzz target
#   HARDENING="tsan fuzz valgrind asan"   which checks to run, in this order
#   HARDENING_DEADLINE=EPOCH   (CI) wall-clock end of the time budget: a check that would start after it
#                     is skipped, and one still running at it is stopped; both are reported loudly as
#                     INCOMPLETE (not as a finding), so a slow CI machine does not fail on time alone
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${HARDENING:-tsan fuzz valgrind asan}
deadline=${HARDENING_DEADLINE:-0}
incomplete=""
status=0
run() {  # run NAME CMD...
  local name=$1
  shift
  local start
  start=$(date +%s)
  local limit=()
  if (( deadline > 0 )); then
    if (( start >= deadline - 60 )); then
      echo "== hardening: $name INCOMPLETE: skipped, the CI time budget is spent"
      incomplete+=" $name;"
      return
    fi
    limit=(timeout --kill-after=30 $(( deadline - start )))
  fi
  echo "== hardening: $name"
  "${limit[@]}" "$@"
  local rc=$?
  if (( rc == 0 )); then
    echo "== hardening: $name ok ($(( $(date +%s) - start )) s)"
  elif (( deadline > 0 )) && (( rc == 124 || rc == 137 )) && (( $(date +%s) >= deadline - 5 )); then
    echo "== hardening: $name INCOMPLETE: stopped at the end of the CI time budget ($(( $(date +%s) - start )) s)"
    incomplete+=" $name;"
  else
    echo "== hardening: $name FAILED ($(( $(date +%s) - start )) s)"
    status=1
  fi
}
for w in $what; do
  case $w in
    # The whole ctest suite (C ABI, core, CLI, install) under ASan/UBSan. The SDK suites under ASan
    # (runtimes preloaded into python/go/cargo) take as long again: HARDENING_SDKS=1 adds them.
    asan) run "ASan/UBSan suite" env BERTC_SANITIZE=1 BERTC_TEST_SDKS="${HARDENING_SDKS:-0}" bash scripts/test.sh ;;
    tsan) run "ThreadSanitizer" bash scripts/tsan.sh ;;
    fuzz) run "libFuzzer (${FUZZ_SECONDS:-30} s per target)" env FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash scripts/fuzz.sh ;;
    valgrind)
      # The C example of the regular test build (scripts/test.sh builds it), 10 training steps.
      run "valgrind memcheck" bash scripts/valgrind.sh "${BUILD_DIR:-build/test}" 10 ;;
    *) echo "hardening: unknown check '$w'" >&2; exit 2 ;;
  esac
done
[[ -n $incomplete ]] && echo "== hardening: INCOMPLETE for time:$incomplete run scripts/hardening.sh without a deadline"
if [[ $status == 0 ]]; then echo "== hardening: no findings"; else echo "== hardening: FAILURES"; fi
exit $status
