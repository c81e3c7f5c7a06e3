"""The whole bertc pipeline from Python: train a tokenizer on a small corpus, create a tiny BERT,
train a few steps with progress, save, reload, fill-mask top-5, and one handled error.

    python examples/python/pipeline.py CORPUS.txt OUT_DIR
"""
import sys

import bertc

corpus, out = sys.argv[1], sys.argv[2]
tok = bertc.Tokenizer.train([corpus], vocab_size=2000)
model = bertc.Model.create(vocab_size=tok.vocab_size, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=128, max_position_embeddings=64)
trainer = bertc.Trainer(model, tok, train=[corpus], output_dir=out, max_length=64, batch_size=16, max_steps=30,
                        logging_steps=10, learning_rate=2e-3)
trainer.train(progress=lambda e: e.kind == "train_step" and print(f"step {e.current} loss {e.loss:.3f}"))
reloaded, tok2 = bertc.Model.load(out), bertc.Tokenizer.load(out)  # the final model + tokenizer
for p in reloaded.fill_mask(tok2, "He said that the [MASK] was good.")[0]:
    print(f"  {p.token_str:12} {p.score:.4f}")
try:
    bertc.Model.load(f"{out}/no-such-model")
except bertc.BertcIOError as e:
    print("handled:", e)
