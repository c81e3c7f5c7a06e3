#!/usr/bin/env python3
"""Writes the two random-init benchmark models (HF BertForMaskedLM.save_pretrained, safetensors) with
the bert-base-uncased tokenizer files from tests/fixtures/tokenizer/bert_base_uncased.

Usage: make_models.py <fixtures_dir> <out_dir>   ->  <out_dir>/small, <out_dir>/base
"""
import json
import os
import shutil
import sys

import torch
from transformers import BertConfig, BertForMaskedLM

CONFIGS = {
    # small: 4 layers of 256 (about BERT-mini/small), full 30522 vocabulary
    "small": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024),
    # base: bert-base-uncased's shape
    "base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
}


def main(fixtures, out):
    tok_dir = os.path.join(fixtures, "tokenizer", "bert_base_uncased")
    for name, cfg in CONFIGS.items():
        d = os.path.join(out, name)
        if os.path.exists(os.path.join(d, "model.safetensors")):
            continue
        torch.manual_seed(0)
        model = BertForMaskedLM(BertConfig(vocab_size=30522, **cfg))
        model.save_pretrained(d, safe_serialization=True)
        shutil.copy(os.path.join(tok_dir, "vocab.txt"), d)
        # The shipped tokenizer.json pads/truncates to 128; neither side should pad single queries.
        with open(os.path.join(tok_dir, "tokenizer.json"), encoding="utf-8") as f:
            tj = json.load(f)
        tj["truncation"] = None
        tj["padding"] = None
        with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tj, f, ensure_ascii=False)
        with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            f.write('{"do_lower_case": true, "model_max_length": 512, "tokenizer_class": "BertTokenizer",'
                    ' "clean_up_tokenization_spaces": true}\n')


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
