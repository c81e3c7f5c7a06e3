#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang-14 with ASan + UBSan; installed from Debian when
# missing) and runs each on its committed seed corpus for a bounded time. Fails on any finding.
#   scripts/fuzz.sh [TARGET...]          every target, FUZZ_SECONDS (default 30) each
#   FUZZ_SECONDS=600 scripts/fuzz.sh     the long run
# Prints one line per target: execs, exec/s, coverage (edges) and corpus size. Findings are written to
# build/fuzz/artifacts/ (reproduce: build/fuzz/TARGET build/fuzz/artifacts/crash-...).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-30}
build=${FUZZ_BUILD_DIR:-build/fuzz}
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "fuzz: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
if ! cmake --build "$build" -j "${JOBS:-$(nproc)}" > "$build/build.log" 2>&1; then
  tail -30 "$build/build.log"
  echo "fuzz: the fuzz targets do not build" >&2
  exit 1
fi
targets=("$@")
if ((${#targets[@]} == 0)); then
  for t in tests/fuzz/targets/*.cc; do targets+=("$(basename "$t" .cc)"); done
fi
mkdir -p "$build/artifacts"
status=0
printf "%-24s %10s %9s %8s %8s  %s\n" target execs exec/s edges corpus result
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$t/." "$work/"
  log="$build/$t.log"
  set +e
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/$t" "$work" -dict=tests/fuzz/dict/json.dict -max_total_time="$seconds" -max_len=65536 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  edges=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | awk '{print $2}')
  corpus=$(ls "$work" | wc -l)
  result=ok
  if ((rc != 0)); then
    result="FINDING (rc $rc, see $log)"
    status=1
  fi
  printf "%-24s %10s %9s %8s %8s  %s\n" "$t" "${execs:-?}" "${speed:-?}" "${edges:-?}" "$corpus" "$result"
  rm -rf "$work"
done
exit $status
