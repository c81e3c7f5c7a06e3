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
config_check() {  # config_check FILE PYTHON_EXPR_ON_OBJ (the file is one JSON document)
  python3 -c 'import json, sys; o = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
    fail "$1: $2 is false: $(tr -d '\n' < "$1")"
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

labelled() {  # labelled() DIR: genre-like and POS-like JSONL files, 300 train / 60 test lines each
  python3 - "$1" <<'PY'
import json, random, sys
random.seed(11)
d = sys.argv[1]
lead = {"press": "the", "nonfiction": "a", "fiction": "he"}
words = "man said that people of house were good was in world new city and old time day".split()
tags = {w: ("nn" if w in ("man", "people", "house", "world", "city", "time", "day") else "x" + w[:2]) for w in words}
tags.update({"the": "at", "a": "at", "he": "pps"})
for split, n in (("train", 300), ("test", 60)):
    with open(f"{d}/{split}.genre.jsonl", "w") as g, open(f"{d}/{split}.pos.jsonl", "w") as p:
        for _ in range(n):
            label = random.choice(list(lead))
            ws = [lead[label]] + [random.choice(words) for _ in range(random.randint(3, 9))]
            g.write(json.dumps({"text": " ".join(ws) + ".", "genre": "g", "label": label}) + "\n")
            p.write(json.dumps({"words": ws + ["."], "tags": [tags[w] for w in ws] + ["."]}) + "\n")
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
    for c in "tokenizer train" "tokenizer encode" "tokenizer decode" pretrain eval fill-mask plot finetune classify tag; do
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
  finetune)  # sequence + token fine-tuning, inference and evaluation commands, bad input
    m="$fixtures/model/tiny_mlm"
    labelled "$tmp"
    expect_exit 0 "$bertc" finetune --task sequence --model "$m" --train "$tmp/train.genre.jsonl" \
      --eval "$tmp/test.genre.jsonl" --out "$tmp/seq" --max-length 32 --batch-size 16 --epochs 2 --lr 2e-3 \
      --eval-steps 10 --save-steps 10 --metric f1 --load-best-at-end --threads 1 --json
    json_check "$tmp/out" '0 <= o["accuracy"] <= 1 and 0 <= o["f1"] <= 1 and o["examples"] == 60'
    grep -q "newly initialized" "$tmp/err" || fail "no warning about the new head"
    grep -q '"BertForSequenceClassification"' "$tmp/seq/config.json" || fail "not saved as a classifier"
    expect_exit 0 "$bertc" classify --model "$tmp/seq" --json "the man was old." "he said that."
    json_check "$tmp/out" 'set(o["scores"]) == {"fiction", "nonfiction", "press"} and abs(sum(o["scores"].values()) - 1) < 1e-5'
    expect_exit 0 "$bertc" classify --model "$tmp/seq" --data "$tmp/test.genre.jsonl" --json
    json_check "$tmp/out" 'o["examples"] == 60 and o["accuracy"] > 0.6 and len(o["confusion"]) == 3'
    expect_exit 0 "$bertc" classify --model "$tmp/seq" --data "$tmp/test.genre.jsonl"
    grep -q "^confusion matrix" "$tmp/out" || fail "no confusion matrix"
    expect_exit 0 "$bertc" finetune --task token --model "$m" --train "$tmp/train.pos.jsonl" --split 0.2 \
      --out "$tmp/tok" --max-length 32 --batch-size 16 --epochs 2 --lr 2e-3 --threads 1 --dropout 0.05
    # --dropout replaces the checkpoint's hidden and attention dropout (tiny_mlm says 0.1), also with --random-init.
    config_check "$tmp/tok/config.json" 'o["hidden_dropout_prob"] == 0.05 and o["attention_probs_dropout_prob"] == 0.05'
    expect_exit 0 "$bertc" finetune --task token --model "$m" --train "$tmp/train.pos.jsonl" --split 0 \
      --out "$tmp/tok-random" --max-length 32 --batch-size 16 --max-steps 1 --threads 1 --dropout 0 --random-init
    config_check "$tmp/tok-random/config.json" 'o["hidden_dropout_prob"] == 0 and o["attention_probs_dropout_prob"] == 0'
    expect_exit 2 "$bertc" finetune --task token --model "$m" --train "$tmp/train.pos.jsonl" --out "$tmp/tok-bad" \
      --dropout 1; one_error_line
    expect_exit 0 "$bertc" tag --model "$tmp/tok" --json "the man was old."
    json_check "$tmp/out" '[w["word"] for w in o["words"]] == ["the", "man", "was", "old", "."] and all("entity_group" in g for g in o["groups"])'
    expect_exit 0 "$bertc" tag --model "$tmp/tok" --data "$tmp/test.pos.jsonl" --json
    json_check "$tmp/out" 'o["accuracy"] > 0.5'
    # Bad input: a label the model lacks, words/tags mismatch, a classifier used for the other task.
    sed 's/"press"/"poetry"/' "$tmp/test.genre.jsonl" > "$tmp/bad.genre.jsonl"
    expect_exit 1 "$bertc" finetune --task sequence --model "$tmp/seq" --train "$tmp/train.genre.jsonl" \
      --eval "$tmp/bad.genre.jsonl" --out "$tmp/seq2" --max-length 32 --max-steps 1; one_error_line
    grep -q "unknown label 'poetry'" "$tmp/err" || fail "unknown label not named"
    # Scoring test data whose gold labels the model lacks: counted as errors, with a warning.
    expect_exit 0 "$bertc" classify --model "$tmp/seq" --data "$tmp/bad.genre.jsonl" --json
    json_check "$tmp/out" 'o["unknown_gold"] > 0 and o["labels"][-1] == "poetry" and len(o["confusion"]) == 4'
    grep -q "does not have ('poetry')" "$tmp/err" || fail "unknown gold label not reported"
    sed 's/"nn"/"zz-unseen"/' "$tmp/test.pos.jsonl" > "$tmp/bad-tags.pos.jsonl"
    expect_exit 0 "$bertc" tag --model "$tmp/tok" --data "$tmp/bad-tags.pos.jsonl" --json
    json_check "$tmp/out" 'o["unknown_gold"] > 0'
    head -3 "$tmp/train.pos.jsonl" | sed 's/, "\."\]}$/]}/' > "$tmp/bad.pos.jsonl"
    expect_exit 1 "$bertc" finetune --task token --model "$tmp/tok" --train "$tmp/bad.pos.jsonl" --out "$tmp/tok2" \
      --max-length 32 --batch-size 1 --max-steps 1; one_error_line
    grep -q "words but" "$tmp/err" || fail "words/tags mismatch not reported"
    expect_exit 1 "$bertc" tag --model "$tmp/seq" "the man."; one_error_line
    grep -q "BertForTokenClassification" "$tmp/err" || fail "wrong head not named"
    expect_exit 1 "$bertc" fill-mask --model "$tmp/seq" "the [MASK]."; one_error_line
    expect_exit 2 "$bertc" finetune --task nonsense --model "$m" --train x --out y; one_error_line
    ;;
  demo_finetune)  # scripts/demo-finetune.sh's pipeline with its real flags, on a tiny model and data
    labelled "$tmp"
    expect_exit 0 bash "$(dirname "$0")/../../scripts/demo-finetune-pipeline.sh" "$bertc" "$tmp" \
      "$fixtures/model/tiny_mlm" "$tmp/demo" 1 1 1 200
    for f in genre-pretrained/config.json genre-random/model.safetensors pos-pretrained/config.json; do
      [[ -s "$tmp/demo/$f" ]] || fail "demo left no $f"
    done
    for t in genre pos; do  # the seeded sample: 200 of the 300 lines, each one of them
      [[ $(wc -l < "$tmp/demo/train-sample/train.$t.jsonl") == 200 ]] || fail "no 200-line $t sample"
      [[ -z $(comm -23 <(sort "$tmp/demo/train-sample/train.$t.jsonl") <(sort "$tmp/train.$t.jsonl")) ]] ||
        fail "the $t sample has lines the training file lacks"
    done
    grep -q "what pre-training bought on the test set: accuracy" "$tmp/out" || fail "no pre-trained vs random line"
    [[ $(grep -c '^confusion matrix' "$tmp/out") == 2 ]] || { cat "$tmp/out"; fail "want two confusion matrices"; }
    grep -q "token accuracy" "$tmp/out" || fail "no POS evaluation"
    ;;
  *) fail "unknown case $case_name" ;;
esac
echo "cli $case_name: ok"
