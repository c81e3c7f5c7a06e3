"""Call overhead of the Python SDK: the bench_encode.c loop through bertc (ids read back as a list).
    python bench_encode.py TOKENIZER_DIR [CALLS]"""
import json
import sys
import time

import bertc

tok = bertc.Tokenizer.load(sys.argv[1])
calls = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
text = "The quick brown fox jumps over the lazy dog near the river bank."
sink = 0
for _ in range(calls // 10 + 1):
    sink += sum(tok.encode(text).ids)
t0 = time.perf_counter()
for _ in range(calls):
    sink += sum(tok.encode(text).ids)
dt = time.perf_counter() - t0
print(json.dumps({"sdk": "python", "us_per_call": round(dt / calls * 1e6, 3), "calls": calls, "checksum": sink % 1000}))
