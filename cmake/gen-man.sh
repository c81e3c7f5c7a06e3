#!/usr/bin/env bash
# Generates the bertc(1) man page from the tool's own --help output (help2man), with one section
# per subcommand. Usage: gen-man.sh BERTC_BINARY OUT_FILE
set -euo pipefail
bin=$1 out=$2
inc=$(mktemp)
trap 'rm -f "$inc"' EXIT
{
  echo "[SUBCOMMANDS]"
  for c in "tokenizer train" "tokenizer encode" "tokenizer decode" pretrain eval fill-mask plot; do
    # shellcheck disable=SC2086
    echo ".SS bertc $c"; echo ".nf"; "$bin" $c --help | sed 's/\\/\\\\/g; s/^\./\\\&./'; echo ".fi"
  done
  echo "[SEE ALSO]"
  echo "The C API reference (bertc.h), built by scripts/docs.sh."
} > "$inc"
help2man --no-info --no-discard-stderr --name "BERT tokenizer training, MLM pre-training and fill-mask" \
  --include "$inc" --output "$out" "$bin"
