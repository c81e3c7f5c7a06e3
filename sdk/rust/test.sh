#!/usr/bin/env bash
# Runs the Rust SDK's checks against a built libbertc (run by scripts/test.sh):
#   BERTC_BUILD_DIR=build bash sdk/rust/test.sh
# Installs the build into a temporary prefix (cmake --install: no compiling) and builds against it
# through pkg-config, then runs: the bindings check (bindgen on include/bertc.h vs the committed
# bindings), cargo fmt --check, cargo test, clippy -D warnings, rustdoc -D warnings, the example
# pipeline on a few hundred Brown sentences and a short run of the encode benchmark.
#   BERTC_PREFIX=DIR      use an installed prefix instead of installing BERTC_BUILD_DIR
#   BERTC_BROWN_DIR=DIR   corpus of the example (default ../shared/data/brown, then data/brown)
#   CI=true               missing tools are errors; libclang is installed with apt-get if missing
#   LD_PRELOAD=...        (sanitizer builds) applied to the test binaries and the example only,
#                         not to cargo/rustc
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ci=false
[[ ${CI:-} == true ]] && ci=true

# Sanitizer runtimes: keep them away from cargo, rustc and bindgen; test binaries get them through
# a cargo runner.
preload=${LD_PRELOAD:-}
unset LD_PRELOAD

if ! command -v cargo >/dev/null; then
  if $ci; then echo "sdk/rust: cargo not found" >&2; exit 1; fi
  echo "sdk/rust: cargo not found, skipped"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -n ${BERTC_PREFIX:-} ]]; then
  prefix=$(cd "$BERTC_PREFIX" && pwd)
else
  build=$(cd "${BERTC_BUILD_DIR:-$root/build}" && pwd)
  prefix=$tmp/prefix
  cmake --install "$build" --prefix "$prefix" >/dev/null
fi
pc=$(find "$prefix" -name bertc.pc -print -quit)
[[ -n $pc ]] || { echo "sdk/rust: no bertc.pc under $prefix" >&2; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if command -v pkg-config >/dev/null; then
  export PKG_CONFIG_PATH="$(dirname "$pc")"
else
  export BERTC_LIB_DIR="$libdir"
fi
if [[ -n ${JOBS:-} && -z ${CARGO_BUILD_JOBS:-} ]]; then export CARGO_BUILD_JOBS=$JOBS; fi

if [[ -n $preload ]]; then
  echo "sdk/rust: sanitizer runtimes preloaded into the test binaries ($preload)"
  printf '#!/bin/sh\nLD_PRELOAD=%q exec "$@"\n' "$preload" > "$tmp/runner"
  chmod +x "$tmp/runner"
  host=$(rustc -vV | sed -n 's/^host: //p')
  runner_var="CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<< "$host")_RUNNER"
  export "$runner_var=$tmp/runner"
  export BERTC_RUST_SANITIZED=1 # the memory test skips its RSS bound
fi

cd "$here"
status=0
step() { # name, command...
  echo "-- rust: $1"
  shift
  if ! "$@"; then echo "FAILED: rust $*" >&2; status=1; fi
}

# The bindings check needs libclang and clang's builtin headers.
have_libclang() { compgen -G "/usr/lib/llvm-*/lib/clang/*/include/stddef.h" >/dev/null; }
if ! have_libclang && $ci && command -v apt-get >/dev/null; then
  echo "sdk/rust: installing libclang-dev for the bindings check"
  { apt-get install -y -q libclang-dev || { apt-get update -q && apt-get install -y -q libclang-dev; }; } >/dev/null
fi
if have_libclang || [[ -n ${LIBCLANG_PATH:-} ]]; then
  step "bindings match include/bertc.h" cargo test --locked -q -p bertc-sys --features check-bindings --test bindings
elif $ci; then
  echo "FAILED: rust bindings check: libclang not found (apt-get install libclang-dev)" >&2
  status=1
else
  echo "sdk/rust: libclang not found, bindings check skipped (apt-get install libclang-dev)"
fi

if cargo fmt --version >/dev/null 2>&1; then
  step "rustfmt" cargo fmt --all --check
elif $ci; then
  echo "FAILED: rust: rustfmt not installed" >&2
  status=1
fi
step "cargo test" cargo test --locked --workspace
if cargo clippy --version >/dev/null 2>&1; then
  step "clippy" cargo clippy --locked --workspace --all-targets --features bertc-sys/check-bindings -- -D warnings
elif $ci; then
  echo "FAILED: rust: clippy not installed" >&2
  status=1
fi
step "cargo doc" env RUSTDOCFLAGS="-D warnings" cargo doc --locked -q --workspace --no-deps

# The example pipeline on a few hundred Brown sentences (the fixture's decoded Brown test
# sentences when no corpus is around).
brown=${BERTC_BROWN_DIR:-}
for cand in "$root/../shared/data/brown" "$root/data/brown"; do
  if [[ -z $brown && -s $cand/train.txt ]]; then brown=$cand; fi
done
if [[ -z $brown ]]; then
  brown=$tmp/brown
  mkdir -p "$brown"
  head -n 400 "$root/tests/fixtures/tokenizer/brown_test.hf_brown_8000.decode.txt" > "$brown/train.txt"
fi
step "example pipeline ($brown)" cargo run --locked -q -p bertc-example-pipeline -- "$brown"
step "bench_encode (smoke run)" cargo run --locked -q --release --example bench_encode -- \
  "$root/tests/fixtures/tokenizer/bert_base_uncased" 20000

if [[ $status == 0 ]]; then echo "sdk/rust: all checks passed"; else echo "sdk/rust: FAILURES (see above)"; fi
exit $status
