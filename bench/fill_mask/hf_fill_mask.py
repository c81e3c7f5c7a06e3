#!/usr/bin/env python3
"""HF side of bench/fill_mask/run.sh: pipeline('fill-mask') on the same files, same queries and
measurements as fill_mask_bench.c. Prints one JSON object.

Usage: hf_fill_mask.py <model_dir> <threads> <iterations> <batch_size> <queries.txt>
"""
import json
import sys
import time

import torch
import transformers
import torch.optim.lr_scheduler as lrs

# transformers.pipelines imports torch.optim.lr_scheduler.LRScheduler (via training_args when
# accelerate is installed); torch 1.13 calls it _LRScheduler.
if not hasattr(lrs, "LRScheduler"):
    lrs.LRScheduler = lrs._LRScheduler
from transformers import pipeline  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402



def main(model_dir, threads, iterations, batch, queries_file):
    with open(queries_file, encoding="utf-8") as f:
        queries = [line.strip() for line in f if line.strip()]
    hf_logging.set_verbosity_error()
    torch.set_num_threads(threads)
    kw = {"framework": "pt"} if int(transformers.__version__.split(".")[0]) < 5 else {}  # 5.x: PyTorch only
    fm = pipeline("fill-mask", model=model_dir, tokenizer=model_dir, device=-1, top_k=5, **kw)
    for i in range(5):
        fm(queries[i % len(queries)])
    lat = []
    cpu = []
    for i in range(iterations):
        c0, t0 = time.process_time(), time.perf_counter()
        fm(queries[i % len(queries)])
        lat.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    lat.sort()
    cpu.sort()
    p50 = lat[(iterations - 1) // 2]
    p95 = lat[int((iterations - 1) * 0.95 + 0.5)]
    texts = [queries[i % len(queries)] for i in range(batch)]
    fm(texts, batch_size=batch)
    rounds = 3
    t0 = time.perf_counter()
    for _ in range(rounds):
        fm(texts, batch_size=batch)
    qps = rounds * batch / (time.perf_counter() - t0)
    print(json.dumps({"p50_ms": round(p50, 3), "p95_ms": round(p95, 3), "batch_qps": round(qps, 2),
                      "cpu_p50_ms": round(cpu[(iterations - 1) // 2], 3)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
