#!/usr/bin/env bash
# Data-parallel pre-training throughput: 1 process vs 2 processes on this machine (threads set so the
# cores are not oversubscribed), over loopback and — when this user may create network namespaces —
# over a veth pair whose bandwidth `tc ... tbf` caps, to say what network a multi-machine run needs.
#
#   bench/distributed/run.sh [BUILD_DIR] [WORK_DIR]
# env: CONFIGS ("tiny mini small"), STEPS ("tiny:200 mini:80 small:30": steps per config; tokens/s is
#      read from the second half of the run, after warm-up), RATES ("10gbit 1gbit 100mbit"; "" = none),
#      GLOBAL_BATCH (64: one process takes batch 64, each of two takes 32), MAX_LENGTH (64)
# Prints one row per (config, setting): tokens/s, its ratio to the best 1-process setting, seconds per
# step, all-reduce seconds per step (rank 0, waiting for the other included), gradient MB per step,
# and the bandwidth at which the all-reduce would take 10 % of a 1-process step. Every run that fails
# stops the benchmark with its log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
work=${2:-${TMPDIR:-/tmp}/bertc-bench-distributed}
bertc="$build/src/cli/bertc"
[[ -x $bertc ]] || { echo "build $bertc first" >&2; exit 1; }
configs=${CONFIGS:-tiny mini small}
steps_spec=${STEPS:-tiny:200 mini:80 small:30}
rates=${RATES-10gbit 1gbit 100mbit}
gb=${GLOBAL_BATCH:-64}
maxlen=${MAX_LENGTH:-64}
brown=${BERTC_BROWN_DIR:-$root/../shared/data/brown}
cores=$(nproc)
mkdir -p "$work"
cp -u "$brown/train.txt" "$work/train.txt"
unset WORLD_SIZE RANK LOCAL_RANK LOCAL_WORLD_SIZE MASTER_ADDR MASTER_PORT

echo "# bench/distributed on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $cores cores"
"$bertc" version --verbose | grep -E "blas|gemm|kernel" | sed 's/^/# /' || true
if [[ ! -f "$work/tok/vocab.txt" ]]; then
  "$bertc" tokenizer train --files "$work/train.txt" --vocab-size 8000 --out "$work/tok" >/dev/null 2>&1
fi

steps_for() { local c; for c in $steps_spec; do [[ ${c%%:*} == "$1" ]] && { echo "${c#*:}"; return; }; done; echo 50; }

# second_half LOG: "tokens_per_second seconds_per_step allreduce_seconds" of the last logging window.
second_half() {
  python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"tokens_per_second"' in l]
if len(rows) < 2: sys.exit("log has fewer than 2 windows: " + sys.argv[1])
a, b = rows[-2], rows[-1]
n = b["step"] - a["step"]
print(f'{b["tokens_per_second"]:.0f} {(b["elapsed"] - a["elapsed"]) / n:.4f} {b.get("allreduce_seconds", 0):.4f}')
PY
}

common() {  # common CONFIG STEPS BATCH OUT
  echo --tokenizer "$work/tok" --train "$work/train.txt" --config "$1" --dropout 0 --max-length "$maxlen" \
    --grouping dynamic --batch-size "$3" --lr 1e-3 --warmup 10 --max-steps "$2" --logging-steps $(( $2 / 2 )) \
    --split 0 --seed 42 --out "$4"
}

run_one() {  # run_one LABEL OUT CMD...: runs, or prints the log and stops
  local label=$1 out=$2; shift 2
  rm -rf "$out"
  if ! "$@" >"$out.log" 2>&1; then
    echo "FAILED: $label" >&2; tail -n 30 "$out.log" >&2; exit 1
  fi
}

netns_ok=0
if [[ -n $rates ]] && command -v ip >/dev/null && ip netns add bertc-bench-probe 2>/dev/null; then
  ip netns del bertc-bench-probe; netns_ok=1
fi
setup_pair() {  # setup_pair RATE: bertc-b0 (10.77.0.1) <-> bertc-b1 (10.77.0.2), both ends capped
  ip netns del bertc-b0 2>/dev/null || true; ip netns del bertc-b1 2>/dev/null || true
  ip netns add bertc-b0; ip netns add bertc-b1
  ip link add bveth0 type veth peer name bveth1
  ip link set bveth0 netns bertc-b0; ip link set bveth1 netns bertc-b1
  ip -n bertc-b0 addr add 10.77.0.1/24 dev bveth0; ip -n bertc-b1 addr add 10.77.0.2/24 dev bveth1
  for n in 0 1; do
    ip -n bertc-b$n link set bveth$n up; ip -n bertc-b$n link set lo up
    ip netns exec bertc-b$n tc qdisc replace dev bveth$n root tbf rate "$1" burst 1mb latency 100ms
  done
}
cleanup() { ip netns del bertc-b0 2>/dev/null || true; ip netns del bertc-b1 2>/dev/null || true; }
trap cleanup EXIT

printf '%-6s %-34s %10s %7s %9s %11s %8s %14s\n' config setting "tokens/s" "x best1" "s/step" "allreduce/s" "grad MB" "BW for 10%"
for cfg in $configs; do
  steps=$(steps_for "$cfg")
  out="$work/$cfg"
  run_one "$cfg 1 process 1 thread" "$out-p1t1" "$bertc" pretrain $(common "$cfg" "$steps" "$gb" "$out-p1t1") --threads 1
  run_one "$cfg 1 process $cores threads" "$out-p1" "$bertc" pretrain $(common "$cfg" "$steps" "$gb" "$out-p1") --threads "$cores"
  params=$(python3 -c "import json,sys; c=json.load(open('$out-p1/config.json')); print(c.get('vocab_size'))")
  mb=$(python3 -c "import os; print(f'{os.path.getsize(\"$out-p1/model.safetensors\") / 1e6:.1f}')")
  read -r t11 s11 _ <<<"$(second_half "$out-p1t1/train_log.jsonl")"
  read -r t1 s1 _ <<<"$(second_half "$out-p1/train_log.jsonl")"
  best=$(python3 -c "print(max($t11, $t1))"); best_s=$(python3 -c "print(min($s11, $s1))")
  row() {  # row SETTING TOKPS SPERSTEP ALLREDUCE
    python3 - "$cfg" "$1" "$2" "$best" "$3" "$4" "$mb" "$best_s" <<'PY'
import sys
cfg, setting, t, best, s, ar, mb, best_s = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
need = mb * 1e6 * 8 / (0.1 * best_s) / 1e9  # ring all-reduce, 2 ranks: each sends the whole gradient once
print(f"{cfg:<6} {setting:<34} {t:10.0f} {t / best:6.2f}x {s:9.4f} {ar:11.4f} {mb:8.1f} {need:11.2f} Gb/s")
PY
  }
  row "1 process, 1 thread" "$t11" "$s11" 0
  row "1 process, $cores threads" "$t1" "$s1" 0
  run_one "$cfg 2 processes loopback" "$out-p2" "$bertc" launch -n 2 -- pretrain $(common "$cfg" "$steps" $(( gb / 2 )) "$out-p2")
  read -r t2 s2 a2 <<<"$(second_half "$out-p2/train_log.jsonl")"
  row "2 processes x $(( cores / 2 > 0 ? cores / 2 : 1 )) thread, loopback" "$t2" "$s2" "$a2"
  if [[ $netns_ok == 1 ]]; then
    for rate in $rates; do
      setup_pair "$rate"
      port=$(( 29600 + RANDOM % 1000 ))
      rm -rf "$out-net"
      for r in 1 0; do
        GLOO_SOCKET_IFNAME=bveth$r LOCAL_WORLD_SIZE=2 ip netns exec bertc-b$r "$bertc" pretrain \
          $(common "$cfg" "$steps" $(( gb / 2 )) "$out-net") --world-size 2 --rank $r --master 10.77.0.1:$port \
          --dist-timeout 120 >"$out-net.r$r.log" 2>&1 &
        eval "pid$r=\$!"
      done
      if ! wait "$pid0" || ! wait "$pid1"; then
        echo "FAILED: $cfg 2 processes over a $rate veth pair" >&2; tail -n 20 "$out-net.r0.log" "$out-net.r1.log" >&2; exit 1
      fi
      read -r tn sn an <<<"$(second_half "$out-net/train_log.jsonl")"
      row "2 processes, veth capped at $rate" "$tn" "$sn" "$an"
      cleanup
    done
  elif [[ -n $rates ]]; then
    echo "$cfg (capped-bandwidth rows not measured: this user cannot create network namespaces)"
  fi
done
