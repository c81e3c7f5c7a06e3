#!/usr/bin/env python3
"""HF tokenizers side of bench/tokenizer/run.sh (PyPI binding). One measurement per process.
   hf_bench.py train <corpus> <vocab_size>          (threads: RAYON_NUM_THREADS)
   hf_bench.py encode <corpus> <tokenizer.json>     (encode_batch, best of 3)
"""
import resource
import sys
import time


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    mode, corpus = sys.argv[1], sys.argv[2]
    if mode == "train":
        from tokenizers import BertWordPieceTokenizer
        tok = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
        t0 = time.perf_counter()
        tok.train(files=[corpus], vocab_size=int(sys.argv[3]), min_frequency=2, limit_alphabet=1000,
                  special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], show_progress=False)
        dt = time.perf_counter() - t0
        print(f"train vocab={tok.get_vocab_size()} seconds={dt:.3f} peak_rss_mb={rss_mb():.1f}")
    else:
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(sys.argv[3])
        tok.no_truncation()
        tok.no_padding()
        with open(corpus, encoding="utf-8") as f:
            data = f.read()
        lines = data.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        best = 1e30
        for _ in range(3):
            t0 = time.perf_counter()
            encs = tok.encode_batch(lines)
            best = min(best, time.perf_counter() - t0)
        ntok = sum(len(e.ids) for e in encs)
        print(f"encode seconds={best:.4f} mb_per_s={len(data.encode()) / 1e6 / best:.2f} tokens={ntok} "
              f"peak_rss_mb={rss_mb():.1f}")


if __name__ == "__main__":
    main()
