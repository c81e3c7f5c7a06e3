#!/usr/bin/env python3
"""The fine-tuning issue's baselines on the Brown splits, from the training data only:
  sequence  majority class of train -> accuracy / macro-F1 on test
  token     most frequent tag per word in train (unknown words: the most frequent tag overall)
Prints one JSON line per task.   python3 baselines.py BROWN_DIR"""
import collections
import json
import sys


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def macro_f1(gold, pred):
    labels = sorted(set(gold) | set(pred))
    f1s = []
    for l in labels:
        tp = sum(g == l and p == l for g, p in zip(gold, pred))
        n = sum(g == l for g in gold) + sum(p == l for p in pred)
        f1s.append(2 * tp / n if n else 0.0)
    return sum(f1s) / len(f1s)


def main(d):
    tr, te = read(f"{d}/train.genre.jsonl"), read(f"{d}/test.genre.jsonl")
    major = collections.Counter(r["label"] for r in tr).most_common(1)[0][0]
    gold = [r["label"] for r in te]
    pred = [major] * len(gold)
    print(json.dumps({"side": "baseline", "task": "sequence", "method": f"majority class ({major})",
                      "accuracy": sum(g == p for g, p in zip(gold, pred)) / len(gold), "macro_f1": macro_f1(gold, pred)}))
    tr, te = read(f"{d}/train.pos.jsonl"), read(f"{d}/test.pos.jsonl")
    per_word = collections.defaultdict(collections.Counter)
    overall = collections.Counter()
    for r in tr:
        for w, t in zip(r["words"], r["tags"]):
            per_word[w][t] += 1
            overall[t] += 1
    top = overall.most_common(1)[0][0]
    best = {w: c.most_common(1)[0][0] for w, c in per_word.items()}
    gold, pred = [], []
    for r in te:
        for w, t in zip(r["words"], r["tags"]):
            gold.append(t)
            pred.append(best.get(w, top))
    print(json.dumps({"side": "baseline", "task": "token", "method": "most frequent tag per word",
                      "accuracy": sum(g == p for g, p in zip(gold, pred)) / len(gold), "macro_f1": macro_f1(gold, pred)}))


if __name__ == "__main__":
    main(sys.argv[1])
