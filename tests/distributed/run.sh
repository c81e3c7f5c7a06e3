#!/usr/bin/env bash
# Data-parallel training across processes on loopback (2 ranks on this machine, tiny model), through
# `bertc launch` and the public C API (dist_rank.c) or the bertc tool.
#   run.sh CASE BERTC DIST_RANK
# Cases: equal (ranks bit-identical, equal to 1 process with the same global batch), killed (a rank
# SIGKILLed: the other names it and stops; --resume continues bit-identically), mismatch (ranks that
# disagree are refused), cli (bertc pretrain under the launcher, rank 0 alone writes), interrupt
# (Ctrl-C to the launcher reaches every rank: checkpoint, exit 130), launcher (usage and failing ranks),
# torchrun (PyTorch's launcher starts bertc's ranks; skipped without torch).
set -uo pipefail
case_name=$1 bertc=$2 rank_prog=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bertc_dist_${case_name}.XXXXXX")
trap '[[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1
unset WORLD_SIZE RANK LOCAL_RANK LOCAL_WORLD_SIZE MASTER_ADDR MASTER_PORT SLURM_PROCID SLURM_NTASKS

fail() { echo "FAIL ($case_name): $*" >&2; for f in "$tmp"/*.out "$tmp"/*.err; do [[ -f $f ]] && { echo "--- $f"; tail -n 30 "$f"; }; done >&2; exit 1; }

# A small corpus and a 300-token tokenizer.
python3 - "$tmp/train.txt" <<'PY'
import random, sys
random.seed(5)
words = "the a cat dog sat on mat and ran to house with big small red blue green tree sun moon day night".split()
with open(sys.argv[1], "w") as f:
    for _ in range(400):
        f.write(" ".join(random.choice(words) for _ in range(random.randint(4, 14))) + ".\n")
PY
"$bertc" tokenizer train --files "$tmp/train.txt" --vocab-size 300 --out "$tmp/tok" >/dev/null 2>"$tmp/tok.err" ||
  fail "tokenizer training failed"

# same_weights A B TOL: two safetensors files hold the same tensors within TOL (0: bit-identical).
same_weights() {
  python3 - "$1" "$2" "$3" <<'PY' || fail "weights differ: $1 vs $2"
import json, struct, sys, array
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        s, e = v["data_offsets"]
        a = array.array("f"); a.frombytes(b[8 + n + s:8 + n + e]); out[k] = a
    return out
a, b, tol = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
assert a.keys() == b.keys(), "different tensors"
worst = max(max((abs(x - y) for x, y in zip(a[k], b[k])), default=0) for k in a)
print(f"max |difference| {worst:.3g} over {sum(len(v) for v in a.values())} weights")
sys.exit(0 if worst <= tol else 1)
PY
}

launch() { "$bertc" launch "$@"; }

case "$case_name" in
  equal)
    launch -n 2 -- "$rank_prog" "$tmp/tok" "$tmp/train.txt" "$tmp/two" 12 >"$tmp/two.out" 2>"$tmp/two.err" ||
      fail "2-rank run failed"
    cmp "$tmp/two/rank-0/model.safetensors" "$tmp/two/rank-1/model.safetensors" || fail "ranks are not bit-identical"
    GRAD_ACCUM=2 "$rank_prog" "$tmp/tok" "$tmp/train.txt" "$tmp/one" 12 >"$tmp/one.out" 2>"$tmp/one.err" ||
      fail "1-process run failed"
    same_weights "$tmp/two/rank-0/model.safetensors" "$tmp/one/rank-0/model.safetensors" 1e-5
    # Each step's loss (every rank prints the all-reduced one) matches the 1-process run's.
    python3 - "$tmp/two.out" "$tmp/one.out" <<'PY' || fail "losses differ from the 1-process run"
import sys
def steps(p):
    d = {}
    for line in open(p):
        f = line.split()
        if f and f[0] == "step": d.setdefault(int(f[1]), []).append((float(f[3]), int(f[5])))
    return d
two, one = steps(sys.argv[1]), steps(sys.argv[2])
assert sorted(two) == list(range(1, 13)) and all(len(v) == 2 for v in two.values()), "each rank prints 12 steps"
for s, [(l1, t1)] in one.items():
    assert all(abs(l - l1) <= 1e-6 and t == t1 for l, t in two[s]), (s, two[s], l1, t1)
PY
    ;;
  killed)
    launch -n 2 -- "$rank_prog" "$tmp/tok" "$tmp/train.txt" "$tmp/ref" 12 >"$tmp/ref.out" 2>"$tmp/ref.err" ||
      fail "uninterrupted run failed"
    start=$(date +%s)
    DIE_AT_STEP=6 DIE_RANK=1 DIST_TIMEOUT=60 launch -n 2 --grace 60 -- "$rank_prog" "$tmp/tok" "$tmp/train.txt" \
      "$tmp/run" 12 >"$tmp/killed.out" 2>"$tmp/killed.err"
    rc=$? took=$(( $(date +%s) - start ))
    [[ $rc -ne 0 ]] || fail "the launcher succeeded although rank 1 was killed"
    grep -q "rank 1 (pid [0-9]*) was killed by signal 9" "$tmp/killed.err" || fail "launcher did not report the killed rank"
    grep -q "lost rank 1" "$tmp/killed.err" || fail "rank 0 did not name the lost rank"
    grep -q "rank 0 (pid [0-9]*) exited with status 1" "$tmp/killed.err" || fail "rank 0 did not exit non-zero"
    (( took < 45 )) || fail "rank 0 took ${took} s to stop (timeout 60 s: it should notice the closed connection)"
    [[ -f "$tmp/run/checkpoint-4/trainer_state.json" ]] || fail "no checkpoint-4"
    RESUME=1 launch -n 2 -- "$rank_prog" "$tmp/tok" "$tmp/train.txt" "$tmp/run" 12 >"$tmp/resumed.out" \
      2>"$tmp/resumed.err" || fail "resuming both ranks failed"
    head -n 1 "$tmp/resumed.out" | grep -q "^step 5 " || fail "the resumed run did not continue at step 5"
    cmp "$tmp/run/rank-0/model.safetensors" "$tmp/ref/rank-0/model.safetensors" ||
      fail "resumed run differs from the uninterrupted one"
    cmp "$tmp/run/rank-1/model.safetensors" "$tmp/ref/rank-1/model.safetensors" || fail "resumed rank 1 differs"
    echo "rank 0 stopped ${took} s after the start of the run in which rank 1 was killed"
    ;;
  mismatch)
    SEED_PLUS_RANK=1 launch -n 2 -- "$rank_prog" "$tmp/tok" "$tmp/train.txt" "$tmp/m" 4 >"$tmp/m.out" 2>"$tmp/m.err" &&
      fail "ranks with different seeds were accepted"
    grep -q "rank 1 disagrees with rank 0 on the seed" "$tmp/m.err" || fail "the seed mismatch was not named"
    head -n 200 "$tmp/train.txt" > "$tmp/half.txt"
    # Rank 1 reads other data: a program that picks its file by rank.
    cat > "$tmp/by_rank.sh" <<SH
#!/bin/sh
if [ "\$RANK" = 1 ]; then f="$tmp/half.txt"; else f="$tmp/train.txt"; fi
exec "$rank_prog" "$tmp/tok" "\$f" "$tmp/d" 4
SH
    chmod +x "$tmp/by_rank.sh"
    launch -n 2 -- "$tmp/by_rank.sh" >"$tmp/d.out" 2>"$tmp/d.err" && fail "ranks with different data were accepted"
    grep -q "rank 1 disagrees with rank 0 on the training data" "$tmp/d.err" || fail "the data mismatch was not named"
    ;;
  cli)
    launch -n 2 -- pretrain --tokenizer "$tmp/tok" --train "$tmp/train.txt" --config tiny --max-length 32 \
      --batch-size 8 --max-steps 6 --eval-steps 3 --save-steps 3 --logging-steps 1 --threads 1 --out "$tmp/cli" \
      >"$tmp/cli.out" 2>"$tmp/cli.err" || fail "bertc launch -n 2 -- pretrain failed"
    [[ -s "$tmp/cli/model.safetensors" && -d "$tmp/cli/checkpoint-6" ]] || fail "no final model or checkpoint"
    [[ $(grep -c '"loss"' "$tmp/cli/train_log.jsonl") == 6 ]] || fail "train_log.jsonl is not rank 0's 6 steps alone"
    [[ $(grep -c '^final eval' "$tmp/cli.out") == 1 ]] || fail "not exactly one rank printed the final eval"
    grep -q "data-parallel over 2 processes" "$tmp/cli.err" || fail "no data-parallel banner"
    # Explicit flags instead of the launcher's environment; a port nobody serves times out clearly.
    "$bertc" pretrain --tokenizer "$tmp/tok" --train "$tmp/train.txt" --config tiny --max-length 32 --max-steps 1 \
      --threads 1 --out "$tmp/lonely" --world-size 2 --rank 1 --master 127.0.0.1:9 --dist-timeout 2 \
      >"$tmp/lonely.out" 2>"$tmp/lonely.err" && fail "a rank without its group trained"
    grep -q "could not rendezvous at '127.0.0.1:9'" "$tmp/lonely.err" || fail "rendezvous failure not explained"
    "$bertc" pretrain --tokenizer "$tmp/tok" --train "$tmp/train.txt" --out "$tmp/bad" --world-size 2 --rank 2 \
      --master 127.0.0.1:9 >"$tmp/bad.out" 2>"$tmp/bad.err" && fail "rank 2 of 2 was accepted"
    grep -q "rank 2 is not below the world size 2" "$tmp/bad.err" || fail "impossible rank not explained"
    ;;
  interrupt)
    "$bertc" launch -n 2 -- pretrain --tokenizer "$tmp/tok" --train "$tmp/train.txt" --config tiny --max-length 32 \
      --batch-size 8 --max-steps 100000 --logging-steps 1 --threads 1 --out "$tmp/int" >"$tmp/int.out" 2>"$tmp/int.err" &
    pid=$!
    for _ in $(seq 1 600); do [[ -s "$tmp/int/train_log.jsonl" ]] && break; sleep 0.1; done
    [[ -s "$tmp/int/train_log.jsonl" ]] || { kill -9 $pid; fail "training never started"; }
    kill -INT $pid
    for _ in $(seq 1 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "the launcher did not stop within 30 s of Ctrl-C"; }
    wait $pid; rc=$?
    [[ $rc == 130 ]] || fail "launcher exit status $rc after Ctrl-C (want 130)"
    grep -q "interrupted: checkpoint written" "$tmp/int.err" || fail "no checkpoint on Ctrl-C"
    ls -d "$tmp"/int/checkpoint-* >/dev/null 2>&1 || fail "no checkpoint directory"
    ;;
  torchrun)  # PyTorch's own launcher starts the ranks (skipped without a Python that has torch.distributed)
    # BERTC_TORCHRUN: a torchrun (e.g. a venv's with PyPI torch 2.x; Debian's torch 1.13 torchrun is broken
    # on Python 3.11); else the one on PATH.
    torchrun=${BERTC_TORCHRUN:-$(command -v torchrun || true)}
    [[ -n $torchrun && -x $torchrun ]] || { echo "no torchrun: skipped"; exit 77; }
    "$torchrun" --no_python --standalone --nproc_per_node 1 /bin/true >/dev/null 2>&1 ||
      { echo "$torchrun cannot start processes here (Debian's torch 1.13 on Python 3.11): skipped"; exit 77; }
    "$torchrun" --no_python --standalone --nproc_per_node 2 "$bertc" pretrain \
      --tokenizer "$tmp/tok" --train "$tmp/train.txt" --config tiny --max-length 32 --batch-size 8 --max-steps 4 \
      --logging-steps 1 --threads 1 --out "$tmp/tr" >"$tmp/tr.out" 2>"$tmp/tr.err" || fail "torchrun -> bertc pretrain failed"
    grep -q "data-parallel over 2 processes" "$tmp/tr.err" || fail "the ranks did not find each other"
    [[ -s "$tmp/tr/model.safetensors" ]] || fail "no final model"
    ;;
  launcher)
    "$bertc" launch -- pretrain >"$tmp/u.out" 2>"$tmp/u.err"; [[ $? == 2 ]] || fail "launch without -n is not a usage error"
    "$bertc" launch -n 0 -- pretrain >"$tmp/u.out" 2>"$tmp/u.err"; [[ $? == 2 ]] || fail "-n 0 accepted"
    "$bertc" launch -n 2 >"$tmp/u.out" 2>"$tmp/u.err"; [[ $? == 2 ]] || fail "no command accepted"
    # A failing rank: the launcher reports it and returns its status; the other (sleeping) rank is stopped.
    cat > "$tmp/one_fails.sh" <<'SH'
#!/bin/sh
if [ "$RANK" = 1 ]; then exit 3; fi
[ "$WORLD_SIZE" = 2 ] && [ "$MASTER_ADDR" = 127.0.0.1 ] && [ -n "$MASTER_PORT" ] && [ "$LOCAL_RANK" = 0 ] || exit 9
exec sleep 60
SH
    chmod +x "$tmp/one_fails.sh"
    start=$(date +%s)
    "$bertc" launch -n 2 --grace 1 -- "$tmp/one_fails.sh" >"$tmp/f.out" 2>"$tmp/f.err"; rc=$?
    [[ $rc == 3 ]] || fail "launcher exit status $rc (want rank 1's 3)"
    grep -q "rank 1 (pid [0-9]*) exited with status 3" "$tmp/f.err" || fail "failing rank not reported"
    (( $(date +%s) - start < 20 )) || fail "the surviving rank was not stopped after the grace period"
    "$bertc" launch -n 2 -- "$tmp/no-such-program" >"$tmp/n.out" 2>"$tmp/n.err"; [[ $? == 127 ]] || fail "missing program"
    ;;
  *) echo "unknown case $case_name" >&2; exit 2 ;;
esac
echo "ok ($case_name)"
