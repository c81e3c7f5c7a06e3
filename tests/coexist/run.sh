#!/usr/bin/env bash
# bertc beside another Torch in one process. For every Python here that has `torch` (BERTC_TORCH_PYTHONS,
# colon-separated, plus /opt/bertc-ref/bin/python and python3 when they import torch), runs fill-mask
# on the tiny fixture model in fresh processes — without torch, torch imported first, bertc first then
# torch, bertc next to transformers' BertForMaskedLM — and requires the same results bit for bit. Then
# a C host that links that Torch's libtorch_cpu/libc10 (both link orders) must print the same results.
# Exit 77 (ctest: skipped) with a message when no Python here has torch.
#   tests/coexist/run.sh LIBBERTC (the front, libbertc.so.1) MODEL_DIR CC
set -uo pipefail
lib=$1 model=$2 cc=${3:-cc}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
libdir=$(cd "$(dirname "$lib")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BERTC_LIBRARY=$lib PYTHONPATH=$root/sdk/python

pythons=()
IFS=: read -r -a cand <<< "${BERTC_TORCH_PYTHONS:-}"
cand+=(/opt/bertc-ref/bin/python python3)
for p in "${cand[@]}"; do
  [[ -n $p ]] && command -v "$p" >/dev/null || continue
  "$p" -c 'import torch' 2>/dev/null || continue
  real=$(command -v "$p")
  [[ " ${pythons[*]} " == *" $real "* ]] || pythons+=("$real")
done
if ((${#pythons[@]} == 0)); then
  echo "coexist: skipped: no Python here has torch (set BERTC_TORCH_PYTHONS, e.g. a venv with PyPI torch)"
  exit 77
fi

fail=0
# RESULT lines, hex floats normalised (C's %a and Python's float.hex pad differently), each once.
results() { grep '^RESULT' "$1" | sed -E 's/(0x[0-9a-f]+\.[0-9a-f]*[1-9a-f])0+p/\1p/; s/\.0+p/p/' | sort -u; }
check() {  # name expected-file actual-file rc
  if [[ $4 == 0 ]] && diff <(results "$2") <(results "$3") >/dev/null && grep -q '^RESULT' "$3"; then
    echo "ok    $1"
  else
    echo "FAIL  $1 (exit $4)"; sed 's/^/      /' "$3" | tail -8; fail=1
  fi
}
for py in "${pythons[@]}"; do
  info=$("$py" -c 'import os, torch; print(torch.__version__, os.path.join(os.path.dirname(torch.__file__), "lib"))')
  tv=${info%% *} tlib=${info#* }
  echo "== $py: torch $tv ($tlib)"
  "$py" "$here/coexist.py" "$model" bertc,error > "$work/base" 2>&1 || { echo "FAIL  baseline without torch"; cat "$work/base"; fail=1; continue; }
  for order in torch,bertc bertc,torch,bertc bertc,transformers,bertc torch,transformers,bertc,error; do
    if [[ $order == *transformers* ]] && ! "$py" -c 'import transformers' 2>/dev/null; then
      echo "skip  $order (no transformers)"; continue
    fi
    "$py" "$here/coexist.py" "$model" "$order" > "$work/out" 2>&1
    check "python: $order" "$work/base" "$work/out" $?
  done
  # A libbertc on the system's LibTorch (the .deb layout: no bertc-torch/ copies): works next to the same
  # LibTorch (Debian's python3-torch); next to another Torch it refuses cleanly in both orders.
  mkdir -p "$work/shared"
  cp -L "$libdir/libbertc.so.1" "$libdir/libbertc-impl.so.1" "$work/shared/"
  for order in torch,bertc bertc,torch; do
    BERTC_LIBRARY=$work/shared/libbertc.so.1 "$py" "$here/coexist.py" "$model" "$order" > "$work/out" 2>&1
    rc=$?
    if [[ -L $tlib/libc10.so ]]; then
      check "shared LibTorch: $order" "$work/base" "$work/out" $rc
    elif [[ $rc == 1 ]] && grep -qE "another Torch is loaded|cannot import torch" "$work/out"; then
      echo "ok    shared LibTorch: $order refused: $(grep -oE '(another Torch is loaded|cannot import torch)[^:]*' "$work/out" | head -1)"
    else
      echo "FAIL  shared LibTorch: $order (exit $rc; want 1 and a message naming both Torch builds)"
      sed 's/^/      /' "$work/out" | tail -5; fail=1
    fi
  done
  # A C host linking this Torch's libraries (skipped for Debian's LibTorch: it is bertc's own).
  if [[ -f $tlib/libtorch_cpu.so && ! -L $tlib/libc10.so ]]; then
    for first in torch bertc; do
      if [[ $first == torch ]]; then libs=(-L"$tlib" -ltorch_cpu -lc10 -L"$libdir" -l:libbertc.so.1)
      else libs=(-L"$libdir" -l:libbertc.so.1 -L"$tlib" -ltorch_cpu -lc10); fi
      "$cc" -I"$root/include" "$here/host_c.c" -o "$work/host" -Wl,--no-as-needed "${libs[@]}" \
        -Wl,-rpath,"$libdir" -Wl,-rpath,"$tlib" || { echo "FAIL  cannot build the C host"; fail=1; continue; }
      env -u BERTC_LIBRARY "$work/host" "$model" > "$work/out" 2>&1
      check "C host linking torch $tv ($first first)" "$work/base" "$work/out" $?
    done
  fi
done
exit $fail
