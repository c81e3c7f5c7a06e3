#!/usr/bin/env bash
# Installs everything bertc needs to build and test on Debian 12. Idempotent: installs only what is
# missing, runs `apt-get update` at most once, and verifies that LibTorch really uses OpenBLAS.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libtorch-dev libopenblas0-openmp libgloo-dev libdnnl-dev
  libicu-dev libabsl-dev nlohmann-json3-dev
  libcmocka-dev libgtest-dev
  abigail-tools dpkg-dev file binutils patchelf
  doxygen help2man gnuplot-nox
  qemu-user  # scripts/check-cpu-dispatch.sh: the kernel choice on emulated Intel/AMD CPUs
)

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup-deps: installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup-deps: all packages present"
fi

# Debian's LibTorch links libblas.so.3 through the alternatives system. The reference BLAS makes
# matmul ~40x slower, so point the alternative at OpenBLAS (openmp flavour) and check it.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
blas_link="/usr/lib/${arch}/libblas.so.3"
openblas="/usr/lib/${arch}/openblas-openmp/libblas.so.3"
if [[ -e "$openblas" ]]; then
  current=$(readlink -f "$blas_link" 2>/dev/null || true)
  if [[ "$current" != "$(readlink -f "$openblas")" ]]; then
    $SUDO update-alternatives --set "libblas.so.3-${arch}" "$openblas" >/dev/null || true
  fi
fi
current=$(readlink -f "$blas_link" 2>/dev/null || true)
if [[ "$current" == *openblas* ]]; then
  echo "setup-deps: BLAS = OpenBLAS ($current)"
else
  echo "setup-deps: WARNING: libblas.so.3 resolves to '$current', not OpenBLAS." >&2
  echo "setup-deps: LibTorch matmul will be ~40x slower. Fix: apt-get install libopenblas0-openmp &&" >&2
  echo "            update-alternatives --config libblas.so.3-${arch}" >&2
fi

# OpenBLAS 0.3.21 (Debian 12) picks its kernels from the CPU model and falls back to generic SSE3
# kernels (Prescott, ~4x slower GEMM) on CPUs newer than itself. bertc switches to the right kernels
# when it loads (bert_build_info / `bertc version --verbose` say so); say it here too, because other
# users of this OpenBLAS in the same process (a Python torch, numpy) keep the generic ones.
if [[ "$current" == *openblas* ]] && command -v python3 >/dev/null; then
  python3 - "$current" <<'PY' || true
import ctypes, sys
try:
    lib = ctypes.CDLL(sys.argv[1])
    lib.openblas_get_corename.restype = ctypes.c_char_p
    core = lib.openblas_get_corename().decode()
except (OSError, AttributeError):
    sys.exit(0)
flags = set(open("/proc/cpuinfo").read().split())
level = 3 if "avx512f" in flags else 2 if "avx2" in flags else 1
kernels = {3: {"skylakex", "cooperlake", "sapphirerapids"},
           2: {"skylakex", "cooperlake", "sapphirerapids", "haswell", "zen"}}
import os
if os.environ.get("OPENBLAS_CORETYPE"):
    print(f"setup-deps: NOTE: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} forces OpenBLAS's '{core}' "
          f"kernels; bertc respects it (unset it for the kernels of this CPU).", file=sys.stderr)
elif level >= 2 and core.lower() not in kernels[level]:
    want = "SkylakeX/Cooperlake" if level == 3 else "Haswell/Zen"
    print(f"setup-deps: NOTE: OpenBLAS picks its generic '{core}' kernels on this CPU (it does not know it); "
          f"bertc switches to {want} when it loads (check: bertc version --verbose). Other programs using this "
          f"OpenBLAS stay slow unless OPENBLAS_CORETYPE={want.split('/')[0]} is set for them.", file=sys.stderr)
else:
    print(f"setup-deps: OpenBLAS kernel on this CPU: {core}")
PY
fi
