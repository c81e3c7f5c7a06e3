#!/usr/bin/env bash
# Runs the real bertc binary. Usage: cli_test.sh CASE BERTC FIXTURES_DIR
set -euo pipefail
case_name=$1 bertc=$2 fixtures=$3
tmp=$(mktemp -d /tmp/bertc-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE CMD...: runs CMD, checks its exit status, keeps stdout/stderr in $tmp/out, $tmp/err.
expect_exit() {
  local want=$1; shift
  set +e; "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?; set -e
  [[ $got == "$want" ]] || { cat "$tmp/err" >&2; fail "'$*' exited $got, want $want"; }
}
# One clear line on stderr, starting with "bertc:".
one_error_line() {
  [[ $(wc -l < "$tmp/err") == 1 ]] || { cat "$tmp/err" >&2; fail "want exactly one stderr line"; }
  grep -q '^bertc: ' "$tmp/err" || fail "stderr line must start with 'bertc: '"
}
json_check() {  # json_check FILE PYTHON_EXPR_ON_OBJ (each line one JSON object)
  python3 - "$1" "$2" <<'PY'
import json, sys
path, expr = sys.argv[1], sys.argv[2]
n = 0
for line in open(path, encoding="utf-8"):
    if not line.strip():
        continue
    obj = json.loads(line)
    assert eval(expr, {}, {"o": obj}), f"check failed: {expr} on {line[:200]}"
    n += 1
assert n > 0, "no JSON lines"
PY
}

corpus() {  # a small training corpus
  python3 - "$1" <<'PY'
import random, sys
random.seed(7)
words = "the a cat dog sat on mat and ran to house with big small red blue green tree sun moon day night played happily quickly".split()
with open(sys.argv[1], "w") as f:
    for _ in range(1500):
        f.write(" ".join(random.choice(words) for _ in range(random.randint(4, 14))).capitalize() + ".\n")
PY
}

case "$case_name" in
  help)
    expect_exit 0 "$bertc" --help; grep -q "Commands:" "$tmp/out" || fail "top-level help"
    expect_exit 0 "$bertc" version; grep -q '^bertc [0-9]' "$tmp/out" || fail "version"
    for c in "tokenizer train" "tokenizer encode" "tokenizer decode" pretrain eval fill-mask plot; do
      # shellcheck disable=SC2086
      expect_exit 0 "$bertc" $c --help
      grep -q "^Usage: bertc $c" "$tmp/out" || fail "'$c --help' lacks a Usage line"
      grep -q -- "--help" "$tmp/out" || fail "'$c --help' lacks options"
    done
    expect_exit 0 "$bertc" tokenizer --help
    ;;
  usage)
    expect_exit 2 "$bertc"
    expect_exit 2 "$bertc" frobnicate; one_error_line
    expect_exit 2 "$bertc" tokenizer encode --tokenizer x --no-such-flag; one_error_line
    grep -q "no-such-flag" "$tmp/err" || fail "unknown flag not named"
    expect_exit 2 "$bertc" fill-mask --model "$fixtures/model/tiny_mlm" --top-k abc "a [MASK]"; one_error_line
    grep -q "top-k" "$tmp/err" || fail "bad number not named"
    expect_exit 2 "$bertc" fill-mask --model "$fixtures/model/tiny_mlm" --top-k 0 "a [MASK]"; one_error_line
    expect_exit 2 "$bertc" tokenizer train --out "$tmp/t"; one_error_line
    expect_exit 1 "$bertc" tokenizer train --files "$tmp/missing.txt" --out "$tmp/t"; one_error_line
    grep -q "missing.txt" "$tmp/err" || fail "missing file not named"
    expect_exit 1 "$bertc" tokenizer encode --tokenizer "$tmp/nope" "hello"; one_error_line
    expect_exit 1 "$bertc" fill-mask --model "$tmp/nope" "a [MASK]"; one_error_line
    expect_exit 1 "$bertc" plot --run "$tmp/nope"; one_error_line
    ;;
  tokenizer)
    corpus "$tmp/corpus.txt"
    expect_exit 0 "$bertc" tokenizer train --files "$tmp/corpus.txt" --vocab-size 200 --min-frequency 1 \
      --special-tokens '[PAD]' '[UNK]' '[CLS]' '[SEP]' '[MASK]' --out "$tmp/tok"
    for f in vocab.txt tokenizer.json tokenizer_config.json; do [[ -s "$tmp/tok/$f" ]] || fail "missing $f"; done
    expect_exit 0 "$bertc" tokenizer encode --tokenizer "$tmp/tok" --json "The cat sat on the mat." "A [MASK] dog."
    json_check "$tmp/out" 'o["tokens"][0] == "[CLS]" and o["tokens"][-1] == "[SEP]" and len(o["ids"]) == len(o["offsets"]) == len(o["type_ids"]) == len(o["attention_mask"])'
    grep -q '"\[MASK\]"' "$tmp/out" || fail "[MASK] not kept whole"
    ids=$(python3 -c 'import json,sys; print(" ".join(map(str, json.loads(open(sys.argv[1]).readline())["ids"])))' "$tmp/out")
    # shellcheck disable=SC2086
    expect_exit 0 "$bertc" tokenizer decode --tokenizer "$tmp/tok" $ids
    [[ "$(cat "$tmp/out")" == "the cat sat on the mat." ]] || fail "decode round trip gave '$(cat "$tmp/out")'"
    printf 'red sun\nblue moon\n' | "$bertc" tokenizer encode --tokenizer "$tmp/tok" --max-length 3 --truncation longest_first --padding max_length --pad-to-multiple-of 4 --json > "$tmp/o2"
    json_check "$tmp/o2" 'len(o["ids"]) == 4 and o["attention_mask"][-1] == 0'
    expect_exit 1 "$bertc" tokenizer encode --tokenizer "$tmp/tok" $'bad \xff byte'; one_error_line
    grep -q "UTF-8" "$tmp/err" || fail "invalid UTF-8 not reported"
    ;;
  fill_mask)
    m="$fixtures/model/tiny_mlm"
    expect_exit 0 "$bertc" fill-mask --model "$m" --top-k 3 --json "the [MASK] of the house." "a [MASK] and a [MASK]."
    json_check "$tmp/out" 'all(len(m) == 3 and all(set(p) == {"score","token","token_str","sequence"} and 0 <= p["score"] <= 1 for p in m) for m in o["masks"])'
    [[ $(wc -l < "$tmp/out") == 2 ]] || fail "want one JSON line per input"
    python3 -c 'import json,sys; l=[json.loads(x) for x in open(sys.argv[1])]; assert len(l[0]["masks"])==1 and len(l[1]["masks"])==2' "$tmp/out"
    echo "the [MASK] of the house." | "$bertc" fill-mask --model "$m" --top-k 2 > "$tmp/plain"
    [[ $(grep -c '^  [12]\. ' "$tmp/plain") == 2 ]] || { cat "$tmp/plain"; fail "plain output"; }
    expect_exit 1 "$bertc" fill-mask --model "$m" "no mask here"; one_error_line
    ;;
  plot)
    mkdir -p "$tmp/run"
    for s in 10 20 30 40; do echo "{\"step\":$s,\"loss\":$((100 - s)).5,\"learning_rate\":0.001}" >> "$tmp/run/train_log.jsonl"; done
    echo '{"step":40,"eval_loss":55.0,"eval_perplexity":7.0}' >> "$tmp/run/train_log.jsonl"
    expect_exit 0 "$bertc" plot --run "$tmp/run" --out "$tmp/run/loss.svg"
    grep -q "<polyline" "$tmp/run/loss.svg" || fail "svg has no curve"
    if command -v gnuplot >/dev/null; then
      expect_exit 0 "$bertc" plot --run "$tmp/run"
      [[ "$(head -c 4 "$tmp/run/loss.png" | tail -c 3)" == "PNG" ]] || fail "not a PNG"
    fi
    ;;
  pretrain)
    bash "$(dirname "$0")/pretrain_test.sh" "$bertc" "$tmp"
    ;;
  demo)  # scripts/demo.sh's pipeline with its real flags, for a few steps on a small corpus
    command -v gnuplot >/dev/null || { echo "gnuplot missing: skipped"; exit 77; }
    corpus "$tmp/all.txt"
    head -n 1300 "$tmp/all.txt" > "$tmp/train.txt"; tail -n 200 "$tmp/all.txt" > "$tmp/test.txt"
    expect_exit 0 bash "$(dirname "$0")/../../scripts/demo-pipeline.sh" "$bertc" "$tmp/train.txt" "$tmp/test.txt" \
      "$tmp/demo" 14 1
    for f in tokenizer/vocab.txt model/config.json model/model.safetensors model/loss.png; do
      [[ -s "$tmp/demo/$f" ]] || fail "demo left no $f"
    done
    grep -q "^masked accuracy " "$tmp/out" || fail "demo printed no evaluation"
    [[ $(grep -c '^  1\. ' "$tmp/out") == 6 ]] || { cat "$tmp/out"; fail "demo printed no fill-mask results"; }
    ;;
  *) fail "unknown case $case_name" ;;
esac
echo "cli $case_name: ok"
