#!/usr/bin/env bash
# Checks bertc's GEMM kernel choice on CPUs other than this machine's: runs the built library under
# qemu-user's emulated x86-64 CPUs (Intel and AMD, models OpenBLAS 0.3.21 knows and ones it does not) and,
# on each, prints `bertc version --verbose` and runs the tests that check the choice and the numbers:
#   c_test_build_info      non-generic BLAS kernel and oneDNN ISA on an AVX2+ CPU, also when OpenBLAS is
#                          told it does not know the CPU (BERTC_SIMULATE_GENERIC_BLAS=1)
#   c_test_fill_mask, FillMaskTest.MatchesHuggingFacePipeline, HfParity.TinyMlmLogitsAndHiddenStates,
#   Dense.*                the GEMMs those kernels run still give Hugging Face's results
# Emulation checks which kernels are chosen and that they compute correctly, never speed. QEMU 7.2's TCG
# emulates up to AVX2 + FMA (no AVX-512), so an AVX-512 CPU's choice is covered natively (on the machine
# that has one) and here by its AVX2 fallback only.
#
#   scripts/check-cpu-dispatch.sh [BUILD_DIR]      (scripts/setup-deps.sh installs qemu-user when missing)
# env: CPUS="name=qemu-cpu-spec ..." to replace the list below.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
bertc="$build/src/cli/bertc"
for b in "$bertc" "$build/tests/c/c_test_build_info" "$build/tests/c/c_test_fill_mask" \
         "$build/tests/unit/infer/unit_infer" "$build/tests/unit/model/unit_model"; do
  [[ -x $b ]] || { echo "check-cpu-dispatch: build $b first" >&2; exit 1; }
done
command -v qemu-x86_64 >/dev/null || bash "$root/scripts/setup-deps.sh"  # qemu-user is among its packages
command -v qemu-x86_64 >/dev/null || { echo "check-cpu-dispatch: qemu-x86_64 (Debian qemu-user) missing" >&2; exit 1; }
if ! qemu-x86_64 -cpu Haswell /bin/true 2>/dev/null; then
  # The emulator itself cannot run here (e.g. a sandbox refusing its memory layout): nothing of bertc's
  # is tested then, so say so loudly and skip rather than report bertc as failing.
  echo "check-cpu-dispatch: SKIPPED: qemu-x86_64 cannot run /bin/true on this machine" >&2
  exit 0
fi
# name=spec: Intel Haswell and AMD Zen 2 (EPYC-Rome), AVX2 CPUs OpenBLAS 0.3.21 has kernels for by name; the
# same instruction sets with the ids of CPUs newer than it (Intel family 6 model 0x8f, Sapphire Rapids'; AMD
# family 0x1a, Zen 5's), where OpenBLAS must fall back; an SSE4.2-only Intel (Nehalem), where the SSE kernels
# are the right ones and nothing may run an AVX2 instruction. On each, the run with
# BERTC_SIMULATE_GENERIC_BLAS=1 has OpenBLAS pick its Prescott fallback first, as it did on a recent Xeon.
cpus=${CPUS:-"intel-haswell=Haswell intel-unknown-avx2=Haswell,model=143 amd-zen2=EPYC-Rome amd-unknown-avx2=EPYC-Rome,family=26 intel-sse42=Nehalem"}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fails=0
for entry in $cpus; do
  name=${entry%%=*} spec=${entry#*=}
  echo "== $name (qemu -cpu $spec)"
  q=(qemu-x86_64 -cpu "$spec")
  info=$("${q[@]}" "$bertc" version --verbose 2>/dev/null) || { echo "FAILED: bertc version under $spec"; fails=$((fails + 1)); continue; }
  grep -E '^(blas\.|cpu\.|gemm\.)' <<< "$info" | sed 's/^/   /'
  isa=$(sed -n 's/^cpu.isa: //p' <<< "$info")
  sim=$(BERTC_SIMULATE_GENERIC_BLAS=1 "${q[@]}" "$bertc" version --verbose 2>/dev/null) || sim=""
  echo "   with OpenBLAS's pick simulated as Prescott: kernel $(sed -n 's/^blas.kernel: //p' <<< "$sim"), chosen by $(sed -n 's/^blas.chosen_by: //p' <<< "$sim")"
  run() {  # dir label cmd...
    local dir=$1 label=$2; shift 2
    # a GoogleTest filter that no longer matches anything would pass vacuously: require >= 1 test run
    if (cd "$dir" && "$@") > "$log" 2>&1 && { ! grep -q '^\[==========\]' "$log" || grep -q '^\[  PASSED  \] [1-9]' "$log"; }
    then echo "   ok   $label"
    else echo "   FAIL $label"; sed 's/^/      /' "$log" | tail -20; fails=$((fails + 1)); fi
  }
  # "generic" = a kernel below the CPU's instruction set; never, on any CPU (below AVX2 the SSE kernels
  # are the right ones, and the SSE4.2 model checks that nothing there runs an AVX2 instruction).
  grep -q '^blas.generic: false' <<< "$info" && echo "   ok   kernel matches the CPU's instruction set ($isa)" \
    || { echo "   FAIL generic kernel on a $isa CPU"; fails=$((fails + 1)); }
  run "$build/tests/c" c_test_build_info "${q[@]}" ./c_test_build_info
  run "$build/tests/c" "c_test_build_info (OpenBLAS told it does not know the CPU)" \
    env BERTC_SIMULATE_GENERIC_BLAS=1 "${q[@]}" ./c_test_build_info
  run "$build/tests/c" c_test_fill_mask "${q[@]}" ./c_test_fill_mask
  run "$build/tests/unit/infer" FillMaskTest.MatchesHuggingFacePipeline \
    "${q[@]}" ./unit_infer --gtest_filter=FillMaskTest.MatchesHuggingFacePipeline
  run "$build/tests/unit/model" "HfParity.TinyMlmLogitsAndHiddenStates, Dense.*" \
    "${q[@]}" ./unit_model '--gtest_filter=HfParity.TinyMlmLogitsAndHiddenStates:Dense.*-Dense.SignalsDuringGemmsAreHarmless'
done
if ((fails)); then echo "check-cpu-dispatch: $fails failure(s)"; exit 1; fi
echo "check-cpu-dispatch: all emulated CPUs ok"
