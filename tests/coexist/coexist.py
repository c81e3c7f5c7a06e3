"""One process of the coexistence test: runs STEPS in order and prints RESULT lines.
    python coexist.py MODEL_DIR STEP[,STEP...]
steps: torch (import torch, a matmul), bertc (import bertc, fill-mask), transformers (HF BertForMaskedLM
forward on the same files), error (a failing bertc call must raise BertcError, not crash)."""
import sys

model, steps = sys.argv[1], sys.argv[2].split(",")
for step in steps:
    if step == "torch":
        import torch
        x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
        print("TORCH", torch.__version__, float((x @ x.T).sum()))
    elif step == "bertc":
        import bertc
        tok = bertc.Tokenizer.load(model)
        m = bertc.Model.load(model)
        for p in m.fill_mask(tok, "the first [MASK] in the state", top_k=3)[0]:
            print("RESULT", p.token_str, float(p.score).hex())
    elif step == "transformers":
        import torch
        from transformers import BertForMaskedLM
        hf = BertForMaskedLM.from_pretrained(model)
        with torch.no_grad():
            out = hf(input_ids=torch.tensor([[2, 5, 6, 3]])).logits
        print("HF", tuple(out.shape))
    elif step == "error":
        import bertc
        try:
            bertc.Tokenizer.load("/nonexistent/bertc-coexist")
        except bertc.BertcError as e:
            print("ERROR", type(e).__name__)
    else:
        raise SystemExit(f"unknown step {step}")
