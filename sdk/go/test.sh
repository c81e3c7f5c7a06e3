#!/usr/bin/env bash
# Runs the Go SDK's checks against a built libbertc (run by scripts/test.sh):
#   BERTC_BUILD_DIR=/abs/build/dir bash sdk/go/test.sh
# The build directory is installed into a temporary prefix (cmake --install, no compiling) and found
# through pkg-config. Without BERTC_BUILD_DIR, pkg-config must already find bertc (PKG_CONFIG_PATH,
# e.g. /opt/bertc-sdkdev/lib/pkgconfig).
#
# Steps: gofmt check, go vet (SDK and example), go test -race, the tests again without -race (this
# runs the RSS test, which the race detector's shadow memory would distort), then build and run the
# example pipeline (on $BERTC_BROWN_DIR, ../shared/data/brown or data/brown) and the encode benchmark.
#
# Sanitizer builds: scripts/test.sh sets LD_PRELOAD to libbertc's ASan/UBSan runtimes. They are
# applied to the test programs only (not to the go tool and the C compiler), and -race is skipped:
# ThreadSanitizer (Go's race detector) cannot run in a process with AddressSanitizer.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

go=${GO:-}
if [[ -z $go ]]; then go=$(command -v go || true); fi
if [[ -z $go && -x /usr/local/go/bin/go ]]; then go=/usr/local/go/bin/go; fi
if [[ -z $go ]]; then
  echo "sdk/go: no Go toolchain found (install Go >= 1.24, or set GO=/path/to/go)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

preload=${LD_PRELOAD:-}
unset LD_PRELOAD
run() { env ${preload:+LD_PRELOAD="$preload"} "$@"; } # a test program, with the sanitizer runtimes

if [[ -n ${BERTC_BUILD_DIR:-} ]]; then
  cmake --install "$BERTC_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null
  pc=$(find "$tmp/prefix" -name bertc.pc | head -n 1)
  [[ -n $pc ]] || { echo "sdk/go: no bertc.pc installed from $BERTC_BUILD_DIR" >&2; exit 1; }
  export PKG_CONFIG_PATH="$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi
if ! pkg-config --exists bertc; then
  echo "sdk/go: pkg-config cannot find bertc (set BERTC_BUILD_DIR, or PKG_CONFIG_PATH to PREFIX/lib/pkgconfig)" >&2
  exit 1
fi
libdir=$(pkg-config --variable=libdir bertc)
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The go tool's build cache keys a cgo package on the CGO_* variables and #cgo lines, not on
# pkg-config's output: without this, a rerun with unchanged sources reuses a package built against
# an earlier run's (deleted) temporary prefix and fails to link (-L points at it). Naming the
# library directory here ties the cached build to this prefix.
export CGO_LDFLAGS="${CGO_LDFLAGS:+$CGO_LDFLAGS }-L$libdir"
export CGO_ENABLED=1
# A fresh CI machine may have no HOME (the go tool needs a build cache).
if [[ -z ${HOME:-} && -z ${GOCACHE:-} ]]; then export GOCACHE="$tmp/gocache" GOPATH="$tmp/gopath"; fi
export BERTC_FIXTURES_DIR="$root/tests/fixtures"
brown=${BERTC_BROWN_DIR:-}
for cand in "$root/../shared/data/brown" "$root/data/brown"; do
  if [[ -z $brown && -f $cand/train.txt ]]; then brown=$cand; fi
done
if [[ -n $brown ]]; then export BERTC_BROWN_DIR=$brown; fi

echo "== sdk/go: $("$go" version), libbertc $(pkg-config --modversion bertc) from $libdir"
cd "$here"
gofmt="$("$go" env GOROOT)/bin/gofmt"
unformatted=$("$gofmt" -l . "$root/examples/go")
if [[ -n $unformatted ]]; then
  echo "sdk/go: not gofmt-formatted: $unformatted" >&2
  exit 1
fi

echo "== go vet"
"$go" vet ./...
(cd "$root/examples/go" && "$go" vet ./...)

if [[ -z $preload ]]; then
  echo "== go test -race"
  "$go" test -race -count=1 ./...
else
  echo "== go test -race: skipped (sanitizer runtimes preloaded; the race detector cannot run with ASan)"
fi

echo "== go test (without -race: memory test)"
"$go" test -c -o "$tmp/bertc.test" .
if ! run "$tmp/bertc.test" -test.count=1 -test.v >"$tmp/test.log" 2>&1; then
  cat "$tmp/test.log"
  exit 1
fi
grep -E '^(--- SKIP|--- FAIL|PASS$|FAIL$)|memory_test.go' "$tmp/test.log" || true

echo "== example (examples/go)"
(cd "$root/examples/go" && "$go" build -o "$tmp/pipeline" .)
if [[ -n $brown ]]; then
  (cd "$root/examples/go" && run "$tmp/pipeline" "$brown")
else
  echo "sdk/go: no Brown corpus (set BERTC_BROWN_DIR or run scripts/fetch-corpus.sh): example built, not run"
fi

echo "== encode benchmark (cmd/bertc-bench-encode, short run)"
"$go" build -o "$tmp/bench" ./cmd/bertc-bench-encode
out=$(run "$tmp/bench" "$root/tests/fixtures/model/tiny_mlm" 20000)
echo "$out"
[[ $out == *'"us_per_call":'* ]]
echo "== sdk/go: all checks passed"
