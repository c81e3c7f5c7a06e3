#!/usr/bin/env bash
# Per-call overhead of every SDK against the C API, in one run on one machine: each encodes the same
# 12-word sentence with the same tokenizer (ids read back) CALLS times after a warm-up.
#   bench/sdk_overhead/run.sh [BUILD_DIR] [CALLS]
# Needs: bench_encode_c / bench_encode_cpp built in BUILD_DIR (ninja -C BUILD_DIR bench_encode_c
# bench_encode_cpp); python3; go and cargo for the Go and Rust rows. A side that fails stops the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
calls=${2:-200000}
tok="$root/tests/fixtures/tokenizer/bert_base_uncased"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" LD_LIBRARY_PATH="$tmp/prefix/lib"
export BERTC_LIBRARY="$tmp/prefix/lib/libbertc.so.1"

echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores), load $(cut -d' ' -f1 /proc/loadavg)"
echo "sentence: 12 words, tokenizer: bert-base-uncased, calls: $calls (python: $((calls / 4)))"
results=()
run() {  # name, command...: runs one side; any failure aborts the whole benchmark
  local name=$1
  shift
  local out
  if ! out=$("$@"); then echo "FAILED: $name side ($*)" >&2; exit 1; fi
  out=$(grep '"us_per_call"' <<< "$out" | tail -1)
  [[ -n $out ]] || { echo "FAILED: $name printed no us_per_call" >&2; exit 1; }
  results+=("$name $(sed 's/.*"us_per_call": *\([0-9.]*\).*/\1/' <<< "$out")")
}
run c "$build/bench/sdk_overhead/bench_encode_c" "$tok" "$calls"
run cpp "$build/bench/sdk_overhead/bench_encode_cpp" "$tok" "$calls"
run python env PYTHONPATH="$root/sdk/python" python3 "$here/bench_encode.py" "$tok" $((calls / 4))
if command -v go >/dev/null; then
  (cd "$root/sdk/go" && go build -o "$tmp/bench-go" ./cmd/bertc-bench-encode)
  run go "$tmp/bench-go" "$tok" "$calls"
fi
if command -v cargo >/dev/null; then
  (cd "$root/sdk/rust" && cargo build --quiet --release --example bench_encode)
  run rust "$(find "$root/sdk/rust/target/release/examples" -maxdepth 1 -type f -name bench_encode | head -1)" "$tok" "$calls"
fi
c=$(awk '$1 == "c" {print $2}' <<< "$(printf '%s\n' "${results[@]}")")
printf "%-8s %12s %10s %12s\n" sdk "us/call" "vs C" "+us vs C"
for r in "${results[@]}"; do
  set -- $r
  awk -v n="$1" -v t="$2" -v c="$c" 'BEGIN { printf "%-8s %12.3f %9.2fx %+12.3f\n", n, t, t / c, t - c }'
done
