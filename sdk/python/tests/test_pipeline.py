"""The whole pipeline from Python: tokenizer training, batch encode, model creation, the Trainer
(progress, cancellation by return value, by exception and by Ctrl-C, evaluation, checkpoints, exact
resume), memory loading, and the memory-growth check."""
import os
import pathlib
import signal
import threading
import time

import pytest

import bertc

ROOT = pathlib.Path(__file__).resolve().parents[3]
TINY = ROOT / "tests" / "fixtures" / "model" / "tiny_mlm"

SUBJECTS = ["the cat", "the dog", "a bird", "my friend", "the teacher"]
VERBS = ["sat on", "looked at", "walked to", "ran past"]
OBJECTS = ["the mat", "the house", "a tree", "the river", "the garden"]


def corpus(n=200):
    lines, seed = [], 7
    for _ in range(n):
        seed = (seed * 1103515245 + 12345) % 2**32
        lines.append(f"{SUBJECTS[(seed >> 8) % 5]} {VERBS[(seed >> 12) % 4]} {OBJECTS[(seed >> 16) % 5]}.")
    return lines


@pytest.fixture(scope="module")
def small_tok():
    return bertc.Tokenizer.train_from_lines(corpus(), vocab_size=80, min_frequency=1)


def tiny_model(tok, seed=3):
    return bertc.Model.create(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                              intermediate_size=64, max_position_embeddings=32, seed=seed)


def ids_of(tok, lines):
    return [list(e.ids) for e in tok.encode_batch(lines, add_special_tokens=False)]


def test_library_path_and_version():
    assert os.path.exists(bertc.library_path()) and "libbertc" in bertc.library_path()
    assert bertc.version().startswith("1.")


def test_train_tokenizer_from_files_and_lines(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(corpus()) + "\n")
    events = []
    a = bertc.Tokenizer.train([path], vocab_size=80, min_frequency=1, progress=events.append)
    b = bertc.Tokenizer.train_from_lines(corpus(), vocab_size=80, min_frequency=1)
    assert events and {e.kind for e in events} <= {"tokenizer_count", "tokenizer_merge"}
    assert a.to_memory("vocab") == b.to_memory("vocab")
    assert a.encode("the cat sat on the river.").ids == b.encode("the cat sat on the river.").ids
    with pytest.raises(bertc.InvalidArgumentError):
        bertc.Tokenizer.train_from_lines(corpus(), vocab_size=3)  # smaller than the special tokens
    with pytest.raises(TypeError):
        bertc.Tokenizer.train_from_lines(corpus(), vocab_sise=80)


def test_encode_batch_and_decode_batch(small_tok):
    lines = ["the cat sat.", "the dog looked at the river.", "a bird."]
    padded = small_tok.encode_batch(lines, padding="longest")
    assert len(padded) == 3
    ids = padded.ids
    if bertc._np is not None:
        assert ids.shape[0] == 3 and ids.dtype.name == "int32"
        rows = [list(map(int, r)) for r in ids]
    else:
        rows = [list(r) for r in ids]
    assert len({len(r) for r in rows}) == 1
    assert [list(padded[i].ids) for i in range(3)] == rows
    ragged = small_tok.encode_batch(lines)
    assert [len(r) for r in ragged.ids] == [len(small_tok.encode(t).ids) for t in lines]
    texts = small_tok.decode_batch([e.ids for e in ragged], skip_special_tokens=True)
    assert texts == lines
    assert small_tok.decode_batch([]) == []


def test_memory_round_trip(small_tok):
    json_bytes = small_tok.to_memory("json")
    assert json_bytes.startswith(b"{")
    a = bertc.Tokenizer.from_memory(json_bytes)
    b = bertc.Tokenizer.from_memory(small_tok.to_memory("vocab"), small_tok.to_memory("config"))
    for t in (a, b):
        assert t.encode("the cat sat on the mat.").ids == small_tok.encode("the cat sat on the mat.").ids
    with pytest.raises(bertc.FormatError):
        bertc.Tokenizer.from_memory(b"{ not json")
    config, weights = (TINY / "config.json").read_bytes(), (TINY / "model.safetensors").read_bytes()
    tok = bertc.Tokenizer.load(TINY)
    want = bertc.Model.load(TINY).fill_mask(tok, "the [MASK] of the house.")[0][0].score
    for borrow in (False, True):
        m = bertc.Model.from_memory(config, weights, borrow=borrow)
        assert m.fill_mask(tok, "the [MASK] of the house.")[0][0].score == want
    m = bertc.Model.from_memory(config, bytearray(weights), borrow=True)
    assert m.fill_mask(tok, "the [MASK] of the house.")[0][0].score == want
    with pytest.raises(bertc.FormatError):
        bertc.Model.from_memory(config, weights[:-1])


def test_model_create_and_config(small_tok):
    m = tiny_model(small_tok, seed=11)
    c = m.config
    assert (c.vocab_size, c.hidden_size, c.seed, c.hidden_act) == (small_tok.vocab_size, 32, 11, "gelu")
    assert m.num_parameters > 0
    with pytest.raises(bertc.InvalidArgumentError):
        bertc.Model.create(hidden_size=30, num_attention_heads=4)  # not a multiple
    with pytest.raises(TypeError):
        bertc.Model.create(hidden=3)


def make_trainer(tok, model, tmp_path, **over):
    opts = dict(output_dir=tmp_path, max_length=16, batch_size=8, max_steps=8, logging_steps=1,
                learning_rate=3e-3, threads=1, save_final_model=False, eval_split=0.1)
    opts.update(over)
    return bertc.Trainer(model, tok, train=ids_of(tok, corpus()), **opts)


def test_trainer_steps_progress_cancel_checkpoint_resume(small_tok, tmp_path):
    ref_model = tiny_model(small_tok)
    ref = make_trainer(small_tok, ref_model, tmp_path / "ref")
    reference = [ref.step().loss for _ in range(8)]
    ref.close()

    model = tiny_model(small_tok)
    t = make_trainer(small_tok, model, tmp_path / "run")
    before = t.evaluate()
    seen = []
    # Returning False from the progress callable cancels after the current step.
    with pytest.raises(bertc.CancelledError):
        t.train(progress=lambda e: seen.append(e.current) or e.current < 2)
    assert t.info().global_step == 2 and seen[-1] == 2
    # An exception raised in the callable cancels and comes out of the call unchanged.
    with pytest.raises(ZeroDivisionError):
        t.train(progress=lambda e: 1 / 0)
    assert t.info().global_step == 3
    ckpt = t.save_checkpoint()
    assert pathlib.Path(ckpt, "trainer_state.json").exists()
    with pytest.raises(ValueError):
        model.close()  # the trainer borrows it

    model2 = tiny_model(small_tok)
    t2 = make_trainer(small_tok, model2, tmp_path / "run")
    t2.resume()  # the newest checkpoint in output_dir
    assert t2.info().global_step == 3
    assert [t2.step().loss for _ in range(5)] == reference[3:]  # bit-identical continuation
    after = t2.evaluate()
    assert after.loss < before.loss and 0 <= after.accuracy <= 1
    t2.close()
    model2.close()


@pytest.fixture
def interactive_sigint():
    """SIGINT as an interactive Python has it (KeyboardInterrupt), for the test's duration. A Python
    started in the background by a shell without job control (`cmd &` in a script, nohup) inherits
    SIGINT ignored, and train() rightly leaves an ignored SIGINT alone: Ctrl-C tests need the default."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def until(seconds):
    """A progress callable that cancels train() after `seconds`: a lost Ctrl-C fails the test
    (CancelledError instead of KeyboardInterrupt) instead of training for max_steps."""
    deadline = time.monotonic() + seconds
    return lambda e: time.monotonic() < deadline


def test_trainer_ctrl_c_stops_cleanly(small_tok, tmp_path, interactive_sigint):
    model = tiny_model(small_tok)
    t = make_trainer(small_tok, model, tmp_path, max_steps=10**6, logging_steps=1)

    # Ctrl-C while the progress callable runs: KeyboardInterrupt comes out, the step is complete.
    def interrupt_at_5(e):
        if e.current == 5:
            signal.raise_signal(signal.SIGINT)
        return e.current < 1000  # a lost Ctrl-C: CancelledError, not an endless run
    with pytest.raises(KeyboardInterrupt):
        t.train(progress=interrupt_at_5)
    assert t.info().global_step == 5

    # Ctrl-C while a step runs in C: the interpreter raises it between steps.
    timer = threading.Timer(0.3, lambda: signal.raise_signal(signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        t.train(progress=until(60))
    timer.join()
    step = t.info().global_step
    assert 5 < step < 10**6
    assert t.step().step == step + 1  # still usable
    t.close()


def test_trainer_leaves_an_ignored_sigint_alone(small_tok, tmp_path):
    # A host that ignores SIGINT (a daemon, a background job) keeps it ignored while train() runs.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        model = tiny_model(small_tok)
        t = make_trainer(small_tok, model, tmp_path, max_steps=10**6, logging_steps=1)
        seen = []

        def ctrl_c_at_2(e):
            seen.append(signal.getsignal(signal.SIGINT))
            if e.current == 2:
                signal.raise_signal(signal.SIGINT)  # ignored: training goes on
            return e.current < 4
        with pytest.raises(bertc.CancelledError):
            t.train(progress=ctrl_c_at_2)
        assert t.info().global_step == 4 and all(h is signal.SIG_IGN for h in seen)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        t.close()
    finally:
        signal.signal(signal.SIGINT, previous)


def test_trainer_ctrl_c_inside_a_finalizer_is_not_lost(small_tok, tmp_path, interactive_sigint):
    # Python drops an exception raised in __del__; a Ctrl-C handled there must still stop train().
    model = tiny_model(small_tok)
    t = make_trainer(small_tok, model, tmp_path, max_steps=10**6, logging_steps=1)

    class RaisesOnFree:
        def __del__(self):
            signal.raise_signal(signal.SIGINT)
            for _ in range(3):  # bytecode inside the finalizer, where the default handler would raise
                pass

    def free_one_at_3(e):
        if e.current == 3:
            RaisesOnFree()
        return e.current < 1000
    with pytest.raises(KeyboardInterrupt):
        t.train(progress=free_one_at_3)
    assert t.info().global_step == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    t.close()


def test_trainer_files_eval_and_final_model(small_tok, tmp_path):
    data = tmp_path / "train.txt"
    data.write_text("\n".join(corpus()) + "\n")
    model = tiny_model(small_tok)
    out = tmp_path / "out"
    t = bertc.Trainer(model, small_tok, train=data, eval=data, output_dir=out, max_length=16, batch_size=8,
                      max_steps=4, logging_steps=2, eval_steps=2, save_steps=2, threads=1, grouping="dynamic")
    events = []
    t.train(progress=events.append)
    kinds = [e.kind for e in events]
    assert "train_step" in kinds and "eval" in kinds and "checkpoint" in kinds
    reloaded = bertc.Model.load(out)
    assert len(reloaded.fill_mask(bertc.Tokenizer.load(out), "the cat sat on the [MASK].")[0]) == 5
    with pytest.raises(TypeError):
        bertc.Trainer(model, small_tok, train=data, max_step=3)
    with pytest.raises(bertc.BertcIOError):
        bertc.Trainer(model, small_tok, train=tmp_path / "missing.txt", output_dir=out, max_length=16)


def test_step_batch(small_tok, tmp_path):
    model = tiny_model(small_tok)
    t = make_trainer(small_tok, model, tmp_path)
    cls, sep, pad = (small_tok.special_token_id(r) for r in ("cls", "sep", "pad"))
    a, b = ids_of(small_tok, ["the cat sat.", "a bird."])
    width = max(len(a), len(b)) + 2
    rows = [[cls] + x + [sep] + [pad] * (width - len(x) - 2) for x in (a, b)]
    r = t.step_batch(rows)
    assert r.step == 1 and r.masked_tokens > 0
    with pytest.raises(ValueError):
        t.step_batch([[cls, sep], [cls]])


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.skipif("asan" in os.environ.get("LD_PRELOAD", ""),
                    reason="AddressSanitizer keeps freed memory in quarantine: RSS is not the program's")
def test_memory_does_not_grow():
    """100,000 encodes and 1,000 fill-masks: RSS grows < 1 MB after the first 1,000."""
    tok = bertc.Tokenizer.load(TINY)
    model = bertc.Model.load(TINY)
    text = "the first man of the house said that the state was good."
    for _ in range(1000):
        tok.encode(text).ids
    for _ in range(20):
        model.fill_mask(tok, "the [MASK] of the house.", threads=1)
    base = rss_kb()
    for _ in range(99000):
        tok.encode(text).ids
    for _ in range(1000):
        model.fill_mask(tok, "the [MASK] of the house.", threads=1)
    grown = rss_kb() - base
    assert grown < 1024, f"RSS grew by {grown} KiB"


def test_limits():
    before = bertc.get_limits()
    assert before.max_text_bytes == 1 << 30 and before.max_vocab_size == 1 << 24
    tok = bertc.Tokenizer.load(TINY)
    try:
        assert bertc.set_limits(max_text_bytes=8).max_text_bytes == 8
        with pytest.raises(bertc.LimitError) as e:
            tok.encode("more than eight bytes")
        assert "max_text_bytes" in e.value.message and isinstance(e.value, ValueError)
        assert tok.encode("short").ids
    finally:
        bertc.set_limits(before)
    assert bertc.get_limits() == before
    with pytest.raises(TypeError):
        bertc.set_limits(max_texts=3)


def test_data_parallel_ranks_as_threads(small_tok, tmp_path):
    """Two ranks (threads here; processes or machines in real use) train in step: same weights on both,
    the info says who is who, and a rank alone times out with a clear error."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = ids_of(small_tok, corpus(64))
    out, errors = {}, {}

    def rank(r):
        try:
            model = tiny_model(small_tok)
            tr = bertc.Trainer(model, small_tok, data, max_length=16, batch_size=4, max_steps=3, threads=1, eval_split=0,
                               save_final_model=False, world_size=2, rank=r, master=f"127.0.0.1:{port}",
                               dist_timeout_seconds=60)
            info = tr.info()
            losses = [tr.step().loss for _ in range(3)]
            model.save(tmp_path / f"rank-{r}")
            out[r] = (info.rank, info.world_size, losses)
            tr.close()
        except Exception as e:  # reported below
            errors[r] = e

    threads = [threading.Thread(target=rank, args=(r,)) for r in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert out[0][:2] == (0, 2) and out[1][:2] == (1, 2)
    assert out[0][2] == out[1][2]
    assert (tmp_path / "rank-0" / "model.safetensors").read_bytes() == \
        (tmp_path / "rank-1" / "model.safetensors").read_bytes()
    with pytest.raises(bertc.BertcIOError, match="could not rendezvous"):
        bertc.Trainer(tiny_model(small_tok), small_tok, data, max_length=16, batch_size=4, max_steps=1, save_final_model=False,
                      world_size=2, rank=1, master="127.0.0.1:9", dist_timeout_seconds=1)
    with pytest.raises(bertc.InvalidArgumentError, match="rank 2 is not below the world size 2"):
        bertc.Trainer(tiny_model(small_tok), small_tok, data, max_length=16, world_size=2, rank=2, master="127.0.0.1:9")
