#!/usr/bin/env bash
# Install-level tests, run by ctest: tests/install/run.sh <mode> <source-dir> <build-dir>
#   symbols     only bert_* symbols are exported by libbertc.so
#   cmake       install, then build a consumer with find_package(bertc)
#   pkgconfig   install, then build a consumer with `pkg-config --cflags --libs bertc`
#   deb         cpack the .deb packages, dpkg -x them into a temp root, build and run the sample
#   vendor      build a host app that vendors bertc as a static subdirectory
set -euo pipefail
mode=$1 src=$(cd "$2" && pwd) build=$(cd "$3" && pwd)
tmp=$(mktemp -d /tmp/bertc-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sample="$src/tests/install/sample.c"
# A sanitizer build of libbertc needs its runtimes first in programs that are not built with them.
preload=""
if [[ -f "$build/src/api/libbertc.so" ]]; then
  preload=$(ldd "$build/src/api/libbertc.so" | awk '/lib(a|ub)san/ {print $3}' | tr '\n' ' ')
fi
run_sample() { env ${preload:+LD_PRELOAD="$preload"} "$@"; }
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)

case "$mode" in
  symbols)
    lib="$build/src/api/libbertc.so"
    bad=$(nm -D --defined-only "$lib" | awk '{print $NF}' | grep -v '^bert_' || true)
    count=$(nm -D --defined-only "$lib" | awk '{print $NF}' | grep -c '^bert_' || true)
    if [[ -n "$bad" ]]; then
      echo "non-bert_ symbols exported:"; echo "$bad" | head -50; exit 1
    fi
    soname=$(objdump -p "$lib" | awk '/SONAME/{print $2}')
    major=$(awk '/^#define BERTC_VERSION_MAJOR/{print $3}' "$src/include/bertc.h")
    [[ "$soname" == "libbertc.so.$major" ]] || { echo "SONAME is '$soname', want libbertc.so.$major"; exit 1; }
    echo "exported: $count bert_* symbols, SONAME $soname"
    impl="$build/src/api/libbertc-impl.so"
    if [[ -f "$impl" ]]; then  # BERTC_ISOLATE_TORCH: the front forwards exactly the implementation's functions
      diff <(nm -D --defined-only "$lib" | awk '{print $NF}' | sort) <(nm -D --defined-only "$impl" | awk '{print $NF}' | sort) ||
        { echo "the front and libbertc-impl.so export different functions (python3 scripts/gen_front.py)"; exit 1; }
      echo "front and implementation export the same $count functions"
    fi
    ;;
  cmake)
    cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
    cmake -S "$src/tests/install/consumer" -B "$tmp/b" "${gen[@]}" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
      -DSAMPLE_SOURCE="$sample" -DSAMPLE_CXX_SOURCE="$src/tests/install/sample.cpp" >/dev/null
    cmake --build "$tmp/b" >/dev/null
    run_sample LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/b/sample"
    run_sample LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/b/sample_cpp"
    # The installed tool runs from a non-system prefix on its own (RUNPATH $ORIGIN/../lib).
    if [[ -x "$build/src/cli/bertc" ]]; then
      env -u LD_LIBRARY_PATH "$tmp/prefix/bin/bertc" version
      readelf -d "$tmp/prefix/bin/bertc" | grep -E 'RUNPATH|RPATH'
    fi
    ;;
  pkgconfig)
    cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
    pc=$(find "$tmp/prefix" -name bertc.pc -printf '%h\n' | head -1)
    flags=$(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs bertc)
    # shellcheck disable=SC2086
    cc -std=c11 -Wall -Werror "$sample" -o "$tmp/sample" $flags
    libdir=$(PKG_CONFIG_PATH="$pc" pkg-config --variable=libdir bertc)
    run_sample LD_LIBRARY_PATH="$libdir" "$tmp/sample"
    ;;
  deb)
    (cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" >/dev/null)
    ls "$tmp"/*.deb
    for d in "$tmp"/*.deb; do
      echo "== $(basename "$d")"; dpkg-deb -f "$d" Package Version Depends
      dpkg -x "$d" "$tmp/root"
    done
    major=$(awk '/^#define BERTC_VERSION_MAJOR/{print $3}' "$src/include/bertc.h")
    runtime=$(ls "$tmp"/libbertc"$major"_*.deb) dev=$(ls "$tmp"/libbertc-dev_*.deb)
    dpkg-deb -f "$runtime" Depends | grep libtorch >/dev/null || { echo "runtime package must depend on libtorch"; exit 1; }
    dpkg-deb -c "$dev" | grep 'usr/include/bertc.h$' >/dev/null || { echo "dev package lacks the header"; exit 1; }
    dpkg-deb -c "$dev" | grep 'usr/include/bertc.hpp' >/dev/null || { echo "dev package lacks bertc.hpp"; exit 1; }
    dpkg-deb -c "$dev" | grep 'bertcConfig.cmake' >/dev/null || { echo "dev package lacks bertcConfig.cmake"; exit 1; }
    dpkg-deb -c "$dev" | grep 'bertc.pc' >/dev/null || { echo "dev package lacks bertc.pc"; exit 1; }
    if [[ -x "$build/src/cli/bertc" ]]; then
      dpkg-deb -c "$runtime" | grep 'usr/bin/bertc$' >/dev/null || { echo "runtime package lacks the bertc tool"; exit 1; }
    fi
    if [[ -f "$build/src/cli/bertc.1" ]]; then
      dpkg-deb -c "$runtime" | grep 'man1/bertc.1' >/dev/null || { echo "runtime package lacks the man page"; exit 1; }
    fi
    libdir=$(dirname "$(find "$tmp/root" -name 'libbertc.so' | head -1)")
    cc -std=c11 -Wall -Werror -I"$tmp/root/usr/include" "$sample" -L"$libdir" -lbertc -o "$tmp/sample"
    run_sample LD_LIBRARY_PATH="$libdir" "$tmp/sample"
    ;;
  vendor)
    cmake -S "$src/tests/install/vendor_host" -B "$tmp/b" "${gen[@]}" -DBERTC_SOURCE_DIR="$src" \
      -DSAMPLE_SOURCE="$sample" -DUSE_FETCHCONTENT="${USE_FETCHCONTENT:-ON}" -DCMAKE_BUILD_TYPE=Release \
      -DBERTC_WERROR="${BERTC_VENDOR_WERROR:-OFF}" >/dev/null
    cmake --build "$tmp/b" --target host -j "${BERTC_VENDOR_JOBS:-2}" >/dev/null
    "$tmp/b/host"
    if readelf -d "$tmp/b/host" | grep 'libbertc'; then echo "host links libbertc dynamically"; exit 1; fi
    echo "vendored static bertc: ok"
    ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac
