"""Fine-tuning from Python: put a sequence-classification head on a pre-trained model (e.g. the one
examples/python/pipeline.py writes), fine-tune it on labelled JSON Lines ({"text": ..., "label": ...}),
evaluate (accuracy, macro-F1), classify with the saved model, and one handled error.

    python examples/python/finetune.py MODEL_DIR TRAIN.jsonl OUT_DIR
"""
import sys
import warnings

import bertc

model_dir, train, out = sys.argv[1], sys.argv[2], sys.argv[3]
tok = bertc.Tokenizer.load(model_dir)
labels = bertc.dataset_labels([train], "sequence")  # sorted, as HF's run_glue builds them
with warnings.catch_warnings():
    warnings.simplefilter("ignore", bertc.BertcWarning)  # "newly initialized ...": the new head is the point
    model = bertc.Model.for_task(model_dir, "sequence", labels)
print(f"labels: {model.labels}")
trainer = bertc.Trainer(model, tok, train=[train], output_dir=out, max_length=64, batch_size=16, max_steps=30,
                        logging_steps=10, eval_steps=15, save_steps=15, eval_split=0.1, learning_rate=1e-3,
                        metric_for_best_model="f1", load_best_model_at_end=True)


def report(e: bertc.Event) -> None:  # returns None: go on (False would cancel)
    if e.kind == "eval":
        print(f"step {e.current} eval loss {e.eval_loss:.3f} accuracy {e.eval_accuracy:.3f} f1 {e.eval_f1:.3f}")


trainer.train(progress=report)
result = trainer.evaluate()
print(f"final: accuracy {result.accuracy:.3f} macro-F1 {result.f1:.3f} on {result.examples} examples")
trainer.close()
classifier = bertc.Model.load(out)  # the best checkpoint, saved with the tokenizer
texts = ["The jury said the election was fair.", "She looked at the river."]
for text, c in zip(texts, classifier.classify(bertc.Tokenizer.load(out), texts)):
    print(f"  {c.label:12} {c.score:.3f}  {text}")
try:
    bertc.Model.load(model_dir).classify(tok, "A masked LM has no classifier head.")
except bertc.InvalidArgumentError as e:
    print("handled:", e)
