#!/usr/bin/env bash
# Why bertc's dense layers run in oneDNN: OpenBLAS vs oneDNN GEMMs on the shapes bertc trains with, at
# 1 and 2 threads, with the kernel OpenBLAS picks on this CPU and with the generic kernel it falls back
# to on a CPU newer than itself (OPENBLAS_CORETYPE=Prescott). Prints the CPU and both kernels.
#   bench/gemm/run.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
bin="$build/bench/gemm/bench_gemm"
[[ -x $bin ]] || { echo "bench_gemm missing: build $build with oneDNN (libdnnl-dev)" >&2; exit 1; }
unset OPENBLAS_CORETYPE OMP_NUM_THREADS
for t in 1 2; do
  echo "== OpenBLAS's own kernel choice, $t thread(s)"
  "$bin" "$t"
  echo
done
echo "== generic OpenBLAS kernel (as on a CPU OpenBLAS 0.3.21 does not know), 2 threads"
OPENBLAS_CORETYPE=Prescott "$bin" 2
