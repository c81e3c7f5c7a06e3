#!/usr/bin/env bash
# Runs the Python SDK's tests against a built libbertc (run by scripts/test.sh).
#   BERTC_BUILD_DIR=build bash sdk/python/test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BERTC_BUILD_DIR:-$here/../../build}" && pwd)
export BERTC_LIBRARY=${BERTC_LIBRARY:-$build/src/api/libbertc.so}
[[ -f $BERTC_LIBRARY ]] || { echo "sdk/python: no library at $BERTC_LIBRARY (build first)" >&2; exit 1; }
py=${PYTHON:-python3}
if ! "$py" -c "import pytest" 2>/dev/null; then
  echo "sdk/python: installing pytest from PyPI"
  "$py" -m pip install --quiet pytest
fi
cd "$here"
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$py" -m pytest -q -p no:cacheprovider tests
