#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every suite (ctest with the
# cmocka and GoogleTest suites and the install/packaging tests, then the ABI check and SDK suites).
# Exit status is non-zero if anything fails.
#   BUILD_DIR=build/test   where to build
#   BERTC_SANITIZE=1       ASan/UBSan build (separate default build dir)
#   JOBS=N                 parallel build/test jobs (default: all cores)
#   BERTC_TEST_SDKS=0      skip the SDK suites (scripts/hardening.sh's ASan run: ctest only)
#   BERTC_TEST_EMULATED_CPUS=0  skip the GEMM kernel choice on emulated Intel/AMD CPUs (qemu-user, ~2.5 min)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup-deps.sh

jobs=${JOBS:-$(nproc)}
sanitize=${BERTC_SANITIZE:-0}
san=OFF default_build=build/test
if [[ $sanitize == 1 ]]; then san=ON default_build=build/test-asan; fi
build=${BUILD_DIR:-$default_build}
werror=OFF
if [[ "${CI:-}" == "true" || "${BERTC_WERROR:-0}" == 1 ]]; then werror=ON; fi
extra=()
if [[ $san == ON ]]; then extra+=(-DBERTC_TEST_VENDOR=OFF); fi

echo "== configure ($build, WERROR=$werror, SANITIZE=$san)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTC_WERROR=$werror -DBERTC_SANITIZE=$san "${extra[@]}"
echo "== build"
start=$(date +%s)
cmake --build "$build" -j "$jobs"
echo "build took $(( $(date +%s) - start )) s"

status=0
echo "== ctest"
if [[ $san == ON ]]; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
ctest --test-dir "$build" --output-on-failure -j "$jobs" || status=1

if [[ $san == OFF && -f abi/libbertc.abi ]]; then
  echo "== ABI check"
  bash scripts/check-abi.sh "$build" || status=1
fi

if [[ $san == OFF && ${BERTC_TEST_EMULATED_CPUS:-1} != 0 ]]; then
  echo "== GEMM kernel choice on emulated CPUs (scripts/check-cpu-dispatch.sh)"
  bash scripts/check-cpu-dispatch.sh "$build" || status=1
fi

# SDK test runners (python, ...) are not built with the sanitizers: preload their runtimes.
sdk_env=()
if [[ $san == ON ]]; then
  # the very runtimes libbertc was linked with
  sdk_env=(LD_PRELOAD="$(ldd "$build/src/api/libbertc.so" | awk '/lib(a|ub)san/ {print $3}' | tr '\n' ' ')")
fi
sdk_tests=(sdk/*/test.sh)
[[ ${BERTC_TEST_SDKS:-1} == 0 ]] && { echo "== SDK suites skipped (BERTC_TEST_SDKS=0)"; sdk_tests=(); }
for sdk_test in "${sdk_tests[@]}"; do
  [[ -f "$sdk_test" ]] || continue
  echo "== SDK: $sdk_test"
  env "${sdk_env[@]}" BERTC_BUILD_DIR="$root/$build" bash "$sdk_test" || status=1
done

if [[ $status == 0 ]]; then echo "== all suites passed"; else echo "== FAILURES (see above)"; fi
exit $status
