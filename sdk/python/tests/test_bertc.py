"""Tests of the Python SDK against the library and Hugging Face reference fixtures."""
import json
import pathlib
import re
import threading

import pytest

import bertc

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "model"
MODEL_DIR = FIXTURES / "tiny_mlm"  # HF-saved tiny BertForMaskedLM with its tokenizer
HF = json.loads((FIXTURES / "tiny_fill_mask.json").read_text())


@pytest.fixture(scope="module")
def tok():
    with bertc.Tokenizer.load(MODEL_DIR) as t:
        yield t


@pytest.fixture(scope="module")
def model():
    with bertc.Model.load(MODEL_DIR) as m:
        yield m


def test_version_matches_header():
    header = (ROOT / "include" / "bertc.h").read_text()
    parts = [re.search(rf"#define BERTC_VERSION_{k} (\d+)", header).group(1) for k in ("MAJOR", "MINOR", "PATCH")]
    assert bertc.version() == ".".join(parts)
    info = bertc.build_info()
    assert info["version"] == bertc.version() and info["abi"] == 1
    assert info["blas"]["kernel"] and isinstance(info["blas"]["generic"], bool)
    assert info["cpu"]["isa"] and info["default_threads"]


def test_encode_matches_hf_ids(tok):
    for q in HF["queries"]:
        enc = tok.encode(q["text"])
        assert enc.ids == q["input_ids"], q["text"]
        assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]"
        assert len(enc.offsets) == len(enc.ids) == len(enc.type_ids) == len(enc.attention_mask)


def test_encode_options_and_decode(tok):
    enc = tok.encode("the house of the state", "a man", max_length=6, truncation="longest_first")
    assert len(enc.ids) == 6 and set(enc.type_ids) == {0, 1}
    assert tok.decode(tok.encode("the house.").ids, skip_special_tokens=True) == "the house."
    assert tok.token_to_id("[MASK]") == 4 and tok.token_to_id("no-such-token") is None
    assert tok.id_to_token(4) == "[MASK]" and len(tok) == tok.vocab_size > 100
    with pytest.raises(ValueError):
        tok.encode("x", padding="sideways")
    # As HF: max_length without an explicit truncation strategy truncates (longest_first).
    assert len(tok.encode("the house of the state and the man", max_length=5).ids) == 5
    with pytest.raises(ValueError):
        tok.id_to_token(2**32)  # would wrap to a valid int32 id in C
    with pytest.raises(ValueError):
        tok.decode([1, 2**40])


def test_fill_mask_matches_hf_pipeline(tok, model):
    for q in HF["queries"]:
        got = model.fill_mask(tok, q["text"], top_k=q["top_k"], targets=q.get("targets"))
        assert len(got) == len(q["results"])
        for preds, want in zip(got, q["results"]):
            assert [p.token for p in preds] == [w["token"] for w in want], q["text"]
            assert [p.token_str for p in preds] == [w["token_str"] for w in want]
            assert [p.sequence for p in preds] == [w["sequence"] for w in want]
            for p, w in zip(preds, want):
                assert p.score == pytest.approx(w["score"], abs=1e-5)


def test_fill_mask_batch_equals_single_queries(tok, model):
    texts = [q["text"] for q in HF["queries"] if "targets" not in q]
    batch = model.fill_mask(tok, texts, top_k=3)
    assert len(batch) == len(texts)
    for text, got in zip(texts, batch):
        single = model.fill_mask(tok, text, top_k=3)
        assert [[p.token for p in m] for m in got] == [[p.token for p in m] for m in single]


def test_concurrent_fill_mask_from_threads(tok, model):
    text = HF["queries"][0]["text"]
    want = [p.token for p in model.fill_mask(tok, text)[0]]
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append([p.token for p in model.fill_mask(tok, text, threads=1)[0]])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 20 and all(r == want for r in results)


def test_score_text_ranks_and_counts(tok, model):
    (s1, n1), (s2, n2) = model.score_text(tok, ["the house of the state.", "house the state the of."])
    assert n1 == n2 == len(tok.encode("the house of the state.").ids) - 2
    assert s1 < 0 and s2 < 0
    # Alone vs in a batch of two: other GEMM shapes, so equal up to float rounding (exactly equal on
    # AVX-512 kernels, ~3e-6 apart on AVX2 ones), as tests/c/test_fill_mask.c allows.
    alone, count = model.score_text(tok, "the house of the state.")
    assert count == n1 and alone == pytest.approx(s1, abs=1e-4)
    assert model.score_text(tok, [""]) == [(0.0, 0)]


def test_errors_carry_status_and_message(tmp_path, tok, model):
    with pytest.raises(bertc.BertcError) as e:
        bertc.Model.load(tmp_path / "missing")
    assert e.value.status == 2 and "missing" in str(e.value)
    assert isinstance(e.value, bertc.BertcIOError)
    with pytest.raises(bertc.BertcError) as e:
        model.fill_mask(tok, "no mask here")
    assert e.value.status == 1 and "[MASK]" in e.value.message
    with pytest.raises(bertc.BertcError) as e:
        tok.encode(b"bad \xff utf-8")
    assert e.value.status == 4 and e.value.status_name
    with pytest.raises(bertc.BertcError):
        model.fill_mask(tok, "a [MASK].", top_k=0)
    with pytest.raises(bertc.BertcError):
        tok.id_to_token(10**6)
    # Texts travel as pointer + length: a NUL inside is text (dropped by the normalizer), not the end.
    with_nul = model.fill_mask(tok, "the [MASK] of the\0 house.")[0]
    assert [p.token for p in with_nul] == [p.token for p in model.fill_mask(tok, "the [MASK] of the house.")[0]]
    # Natural Python exception types.
    with pytest.raises(OSError):
        bertc.Tokenizer.load(tmp_path / "missing")
    with pytest.raises(ValueError):
        model.fill_mask(tok, "no mask here")


def test_explicit_library_path_is_binding(tmp_path):
    import os
    import subprocess
    import sys
    env = dict(os.environ, BERTC_LIBRARY=str(tmp_path / "libnope.so"))
    r = subprocess.run([sys.executable, "-c", "import bertc"], env=env, capture_output=True, text=True,
                       cwd=pathlib.Path(bertc.__file__).parents[1])
    assert r.returncode != 0 and "BERTC_LIBRARY" in r.stderr


def test_save_and_reload_round_trip(tmp_path, tok, model):
    model.save(tmp_path / "m")
    tok.save(tmp_path / "m")
    with bertc.Model.load(tmp_path / "m") as m2, bertc.Tokenizer.load(tmp_path / "m") as t2:
        assert m2.num_parameters == model.num_parameters
        a = model.fill_mask(tok, "the [MASK] of the house.")[0]
        b = m2.fill_mask(t2, "the [MASK] of the house.")[0]
        assert [(p.token, round(p.score, 6)) for p in a] == [(p.token, round(p.score, 6)) for p in b]


def test_closed_objects_refuse_use():
    t = bertc.Tokenizer.load(MODEL_DIR)
    t.close()
    t.close()  # idempotent
    with pytest.raises(ValueError):
        t.encode("x")
