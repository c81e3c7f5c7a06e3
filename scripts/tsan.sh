#!/usr/bin/env bash
# ThreadSanitizer build (GCC) of libbertc and its concurrency tests: tests/tsan/concurrency.c
# (8 threads sharing a tokenizer and a model, a trainer whose progress callback reads its model), and
# the concurrent-call cmocka suites. Intra-op threads are 1: TSan does not see OpenMP's barriers.
#   scripts/tsan.sh            (build dir: build/tsan)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${TSAN_BUILD_DIR:-build/tsan}
# GCC's ThreadSanitizer (libtsan2, part of Debian's g++ 12): LibTorch runs on GCC's OpenMP runtime
# (libgomp), and clang cannot compile OpenMP code against libgomp, so GCC keeps one OpenMP runtime in
# the process.
if ! printf 'int main(void){return 0;}' | gcc -fsanitize=thread -x c - -o /dev/null 2>/dev/null; then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libtsan2
fi
CC=gcc CXX=g++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTC_TSAN=ON \
  -DBERTC_BUILD_CLI=OFF -DBERTC_BUILD_BENCH=OFF -DBERTC_TEST_ABI_GROWTH=OFF -DBERTC_TEST_VENDOR=OFF \
  -DBERTC_CCACHE=ON >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target tsan_concurrency c_test_fill_mask c_test_tokenizer
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan/tsan.supp"
"$build/tests/tsan/tsan_concurrency"
# Skip the suites' fork-based resource-limit cases (fork in a TSan process with threads is unsupported).
"$build/tests/c/c_test_fill_mask"
"$build/tests/c/c_test_tokenizer"
echo "tsan: clean"
