#!/usr/bin/env bash
# The front library's refusals, without a second Torch installed: each is a clean exit 1 with one
# message from the `bertc` tool (built on the C API), never a crash.
#   tests/coexist/front_errors.sh BERTC_CLI MODEL_DIR CC
set -uo pipefail
bertc=$1 model=$2 cc=${3:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
expect() {  # name want-rc want-text cmd...
  local name=$1 rc=$2 text=$3
  shift 3
  local out
  out=$("$@" 2>&1)
  local got=$?
  if [[ $got == "$rc" && $out == *"$text"* ]]; then echo "ok    $name"; else
    echo "FAIL  $name: exit $got (want $rc), output:"; echo "$out" | sed 's/^/      /'; fail=1; fi
}
# A stand-in for another Torch's libc10 (SONAME libc10.so, as PyPI wheels and LibTorch zips name it).
echo 'int bertc_test_fake_c10;' > "$work/c10.c"
"$cc" -shared -fPIC -Wl,-soname,libc10.so "$work/c10.c" -o "$work/libc10.so" || exit 1

expect "version without the implementation" 0 "bertc" env BERTC_IMPL_LIBRARY=/nonexistent/libbertc-impl.so.1 "$bertc" version
expect "missing implementation -> unsupported" 1 "cannot load bertc's implementation" \
  env BERTC_IMPL_LIBRARY=/nonexistent/libbertc-impl.so.1 "$bertc" tokenizer encode --tokenizer "$model" "hello"
expect "another Torch + bertc's LibTorch not isolated -> unsupported, naming both" 1 "another Torch is loaded" \
  env LD_PRELOAD="$work/libc10.so" BERTC_TORCH_DIR=/usr/lib/x86_64-linux-gnu "$bertc" tokenizer encode --tokenizer "$model" "hello"
expect "another Torch + isolated copies -> works" 0 "" \
  env LD_PRELOAD="$work/libc10.so" "$bertc" tokenizer encode --tokenizer "$model" "hello"
exit $fail
