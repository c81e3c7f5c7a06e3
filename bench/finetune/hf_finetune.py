#!/usr/bin/env python3
"""Hugging Face side of the fine-tuning benchmark: transformers' Trainer fine-tunes the same
pre-trained files as `bertc finetune`, with the same hyperparameters, and is scored the same way.

  python hf_finetune.py --task sequence|token --model DIR --train FILE.jsonl --test FILE.jsonl
                        [--max-length 64 --batch 32 --epochs 3 --lr 3e-4 --warmup-ratio 0.06
                         --weight-decay 0.01 --seed 42 --threads 2]

Same math as bertc: AdamW with HF's decay grouping, linear schedule with warmup, clipping at 1.0,
batches grouped by length (LengthGroupedSampler: mega-batches of 50 x batch sorted by length, as
bertc's dynamic grouping) and padded to their longest row; sequence labels from "label", token
labels on the first piece of each word (word_ids()). Prints one JSON line: accuracy, macro-F1,
real training tokens and seconds (train loop only) -> tokens/s.
"""
import argparse
import json
import time

import torch
import torch.optim.lr_scheduler as _lrs

# transformers 4.49's Trainer imports LRScheduler, which torch 1.13 (Debian) still calls _LRScheduler.
if not hasattr(_lrs, "LRScheduler"):
    _lrs.LRScheduler = _lrs._LRScheduler
from transformers import (AutoModelForSequenceClassification, AutoModelForTokenClassification,  # noqa: E402
                          BertTokenizerFast, DataCollatorForTokenClassification, DataCollatorWithPadding, Trainer,
                          TrainingArguments)
from transformers.trainer_pt_utils import LengthGroupedSampler  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()


class LengthGroupedTrainer(Trainer):
    """transformers 4.49 passes prefetch_factor=None to DataLoader, which torch 1.13 rejects with
    num_workers=0: build the length-grouped, collated loader without it."""

    def get_train_dataloader(self):
        lengths = [len(x["input_ids"]) for x in self.train_dataset]
        g = torch.Generator().manual_seed(self.args.seed)
        sampler = LengthGroupedSampler(self._train_batch_size, lengths=lengths, generator=g)
        return torch.utils.data.DataLoader(self.train_dataset, batch_size=self._train_batch_size, sampler=sampler,
                                           collate_fn=self.data_collator, num_workers=0)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def macro_f1(gold, pred, n):
    counts = [[0] * n for _ in range(n)]
    for g, p in zip(gold, pred):
        counts[g][p] += 1
    f1s = []
    for l in range(n):
        g = sum(counts[l])
        p = sum(counts[k][l] for k in range(n))
        if g + p:
            f1s.append(2 * counts[l][l] / (g + p))
    return sum(f1s) / len(f1s) if f1s else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", required=True, choices=["sequence", "token"])
    ap.add_argument("--model", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=float, default=3)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--warmup-ratio", type=float, default=0.0)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dropout", type=float, default=None,
                    help="hidden and attention dropout (from_pretrained keyword arguments); default: the config's")
    ap.add_argument("--out", default="/tmp/bertc-hf-finetune")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    tok = BertTokenizerFast.from_pretrained(a.model)
    dropout = {} if a.dropout is None else {"hidden_dropout_prob": a.dropout, "attention_probs_dropout_prob": a.dropout}
    train, test = read_jsonl(a.train), read_jsonl(a.test)
    if a.task == "sequence":
        labels = sorted({r["label"] for r in train})
        lid = {l: i for i, l in enumerate(labels)}
        gid = dict(lid)  # + test labels the training data lacks (never predicted: errors), as bertc scores

        def encode(rows):
            out = []
            for r in rows:
                e = tok(r["text"], truncation=True, max_length=a.max_length)
                out.append({"input_ids": e["input_ids"], "attention_mask": e["attention_mask"],
                            "token_type_ids": e["token_type_ids"], "labels": gid.setdefault(r["label"], len(gid))})
            return out
        model = AutoModelForSequenceClassification.from_pretrained(
            a.model, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=lid, **dropout)
        collator = DataCollatorWithPadding(tok)
    else:
        labels = sorted({t for r in train for t in r["tags"]})
        lid = {l: i for i, l in enumerate(labels)}
        gid = dict(lid)  # + test tags the training data lacks (never predicted: errors), as bertc scores

        def encode(rows):
            out = []
            for r in rows:
                if not r["words"]:
                    continue
                e = tok(r["words"], is_split_into_words=True, truncation=True, max_length=a.max_length)
                lab, prev = [], None
                for w in e.word_ids():
                    lab.append(-100 if w is None or w == prev else gid.setdefault(r["tags"][w], len(gid)))
                    prev = w
                out.append({"input_ids": e["input_ids"], "attention_mask": e["attention_mask"],
                            "token_type_ids": e["token_type_ids"], "labels": lab})
            return out
        model = AutoModelForTokenClassification.from_pretrained(
            a.model, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=lid, **dropout)
        collator = DataCollatorForTokenClassification(tok)
    train_ds, test_ds = encode(train), encode(test)
    args = TrainingArguments(output_dir=a.out, per_device_train_batch_size=a.batch, per_device_eval_batch_size=64,
                             num_train_epochs=a.epochs, learning_rate=a.lr, warmup_ratio=a.warmup_ratio,
                             weight_decay=a.weight_decay, lr_scheduler_type="linear", max_grad_norm=1.0,
                             logging_steps=10 ** 9, save_strategy="no", report_to=[], seed=a.seed,
                             dataloader_num_workers=0, disable_tqdm=True, use_cpu=True)
    trainer = LengthGroupedTrainer(model=model, args=args, train_dataset=train_ds, data_collator=collator)
    t0 = time.perf_counter()
    metrics = trainer.train().metrics
    seconds = time.perf_counter() - t0
    tokens = sum(len(x["input_ids"]) for x in train_ds) * a.epochs
    # Score on the test set, argmax per example / per first piece.
    model.eval()
    gold, pred = [], []
    with torch.no_grad():
        for i in range(0, len(test_ds), 64):
            batch = collator([dict(x) for x in test_ds[i:i + 64]])
            lab = batch.pop("labels")
            logits = model(**batch).logits
            p = logits.argmax(-1)
            if a.task == "sequence":
                gold += lab.tolist()
                pred += p.tolist()
            else:
                m = lab != -100
                gold += lab[m].tolist()
                pred += p[m].tolist()
    acc = sum(g == p for g, p in zip(gold, pred)) / len(gold)
    print(json.dumps({"side": "hf", "task": a.task, "seed": a.seed, "accuracy": acc, "macro_f1": macro_f1(gold, pred, len(gid)),
                      "unknown_gold": sum(g >= len(labels) for g in gold),
                      "scored": len(gold), "train_tokens": tokens, "train_seconds": round(seconds, 2),
                      "train_runtime": metrics.get("train_runtime"), "tokens_per_second": round(tokens / seconds, 1),
                      "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
