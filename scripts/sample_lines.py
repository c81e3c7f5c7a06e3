#!/usr/bin/env python3
"""Prints a seeded random sample of a file's lines: sample_lines.py FILE N SEED.

Files aligned line by line (train.genre.jsonl, train.pos.jsonl) sampled with the same N and SEED stay
aligned. Used by bench/finetune/run.sh (TRAIN_LINES) and scripts/demo-finetune-pipeline.sh."""
import random
import sys

path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = open(path, encoding="utf-8").readlines()
random.Random(seed).shuffle(lines)
sys.stdout.writelines(lines[:n])
