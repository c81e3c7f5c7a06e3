#!/usr/bin/env python3
"""HF reference for bench_pretrain throughput: transformers Trainer + DataCollatorForLanguageModeling
on the same model config, data, batch and thread count. Prints one JSON line.

  python hf_pretrain.py --tokenizer DIR --train FILE [--hidden 256 --layers 4 --heads 4 --seq 128
                        --batch 8 --steps 20 --warmup 3 --threads 2 --padding max_length|longest]

--padding max_length is the seed's policy (truncate + pad every line to --seq)."""
import argparse
import json
import os
import resource
import tempfile
import time

import torch
import torch.optim.lr_scheduler as _lrs

# transformers 4.49's Trainer imports LRScheduler, which torch 1.13 (Debian) still calls _LRScheduler.
if not hasattr(_lrs, "LRScheduler"):
    _lrs.LRScheduler = _lrs._LRScheduler
from transformers import (BertConfig, BertForMaskedLM, BertTokenizerFast, DataCollatorForLanguageModeling,
                          Trainer, TrainerCallback, TrainingArguments)


class PlainLoaderTrainer(Trainer):
    """transformers 4.49 passes prefetch_factor=None to DataLoader, which torch 1.13 rejects with
    num_workers=0; build the same (shuffled, collated) loader without it."""

    def get_train_dataloader(self):
        return torch.utils.data.DataLoader(self.train_dataset, batch_size=self._train_batch_size, shuffle=True,
                                           collate_fn=self.data_collator, num_workers=0)


class Clock(TrainerCallback):
    def __init__(self):
        self.stamps = []

    def on_step_end(self, args, state, control, **kw):
        self.stamps.append(time.perf_counter())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--padding", default="max_length", choices=["max_length", "longest"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    # from_pretrained reads tokenizer.json (+ vocab.txt): transformers 5's BertTokenizerFast(vocab_file=...)
    # silently builds a tokenizer that maps every word to [UNK], which would make a meaningless HF row.
    tok = BertTokenizerFast.from_pretrained(a.tokenizer)
    with open(a.train, encoding="utf-8") as f:
        lines = [l.strip() for l in f if l.strip()]
    n = a.batch * (a.steps + a.warmup)
    enc = tok(lines, truncation=True, max_length=a.seq,
              padding="max_length" if a.padding == "max_length" else False)
    data = [{"input_ids": ids} for ids in enc["input_ids"]]
    # Fail loudly rather than time a run that learns nothing (all [UNK], nothing masked).
    words = [t for ids in enc["input_ids"][:200] for t in ids if t not in tok.all_special_ids or t == tok.unk_token_id]
    if not words or sum(t == tok.unk_token_id for t in words) > len(words) // 2:
        raise SystemExit("hf_pretrain: the tokenizer maps most words to [UNK]; refusing to measure")
    probe = DataCollatorForLanguageModeling(tok, mlm_probability=0.15)(data[:64])
    if int((probe["labels"] != -100).sum()) == 0:
        raise SystemExit("hf_pretrain: the MLM collator masked nothing; refusing to measure")
    real = sum(sum(1 for t in ids if t != tok.pad_token_id) for ids in enc["input_ids"]) / len(data)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=a.hidden, num_hidden_layers=a.layers,
                     num_attention_heads=a.heads, intermediate_size=4 * a.hidden, max_position_embeddings=512)
    torch.manual_seed(42)
    model = BertForMaskedLM(cfg)
    clock = Clock()
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, per_device_train_batch_size=a.batch, max_steps=a.steps + a.warmup,
                                 learning_rate=1e-4, logging_steps=10**6, save_strategy="no", report_to=[],
                                 use_cpu=True, dataloader_num_workers=0, seed=42, disable_tqdm=True)
        trainer = PlainLoaderTrainer(model=model, args=args, train_dataset=data,
                          data_collator=DataCollatorForLanguageModeling(tok, mlm_probability=0.15),
                          callbacks=[clock])
        trainer.train()
    dt = clock.stamps[-1] - clock.stamps[a.warmup - 1]
    samples = a.batch * a.steps
    print(json.dumps({"impl": "hf", "padding": a.padding, "hidden": a.hidden, "layers": a.layers, "seq": a.seq,
                      "batch": a.batch, "threads": a.threads, "steps": a.steps, "seconds": round(dt, 3),
                      "tokens_per_s": round(samples * real / dt, 1),
                      "padded_tokens_per_s": round(samples * (a.seq if a.padding == "max_length" else real) / dt, 1),
                      "samples_per_s": round(samples / dt, 2),
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
