#!/bin/sh
# Fails when libbertc exports a bert_* function that test_null_everywhere.c does not list (kCovered),
# or lists one that is no longer exported. Usage: check_null_coverage.sh <libbertc.so> <c_test_null_everywhere>
set -eu
lib=$1
test_exe=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" && $3 ~ /^bert_/ { print $3 }' | sort -u)
covered=$("$test_exe" --list | sort -u)
missing=$(printf '%s\n' "$exported" | grep -vxF -f /dev/fd/3 3<<EOT || true
$covered
EOT
)
stale=$(printf '%s\n' "$covered" | grep -vxF -f /dev/fd/3 3<<EOT || true
$exported
EOT
)
status=0
if [ -n "$missing" ]; then
  echo "exported but not exercised with NULL arguments in tests/c/test_null_everywhere.c:" >&2
  printf '  %s\n' $missing >&2
  status=1
fi
if [ -n "$stale" ]; then
  echo "listed in tests/c/test_null_everywhere.c but not exported:" >&2
  printf '  %s\n' $stale >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "all $(printf '%s\n' "$exported" | wc -l) exported bert_* functions are covered"
exit $status
