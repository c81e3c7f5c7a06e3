"""Fine-tuning from Python (ABI 1.1): classifier models (create, load, for_task, config), classify / tag /
tag_words against the Hugging Face pipeline values of tests/fixtures/model/tiny_classifiers.json,
dataset_labels, Trainers on labelled JSONL and in-memory data (evaluation with accuracy and macro-F1,
metric_for_best_model, step_batch labels), and the bad inputs (unknown label, words/tags mismatch,
disagreeing label map, a sequence classifier used for tagging)."""
import json
import math
import pathlib
import warnings

import pytest

import bertc

ROOT = pathlib.Path(__file__).resolve().parents[3]
MODELS = ROOT / "tests" / "fixtures" / "model"
TINY = MODELS / "tiny_mlm"
SEQ = MODELS / "tiny_seqcls"
TOK = MODELS / "tiny_tokcls"
HF = json.loads((MODELS / "tiny_classifiers.json").read_text())

GENRES = ["fiction", "nonfiction", "press"]
WORDS = ["the", "man", "said", "that", "people", "of", "house", "were", "good", "he",
         "was", "in", "world", "a", "new", "city", "and", "old", "time", "day"]
TAGS = ["at", "nn", "vbd", "cs", "nns", "in", "nn", "bed", "jj", "pps",
        "bedz", "in", "nn", "at", "jj", "nn", "cc", "jj", "nn", "nn"]


def lcg(x):
    return (x * 1103515245 + 12345) % 2**32


def write_genre(path, n, bad_label=None):
    """n JSONL lines {"text", "genre", "label"}: the label follows the first word (learnable)."""
    x, lines = 777, []
    for i in range(n):
        x = lcg(x)
        first = (x >> 16) % 3
        words = [WORDS[first]]
        for _ in range(6):
            x = lcg(x)
            words.append(WORDS[(x >> 16) % 20])
        label = bad_label if bad_label is not None and i == 3 else GENRES[first]
        lines.append(json.dumps({"text": " ".join(words) + ".", "genre": f"g{first}", "label": label}))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_pos(path, n, mismatch=False):
    """n JSONL lines {"words", "tags"}; with `mismatch` line 3 has one tag too few."""
    x, lines = 99, []
    for i in range(n):
        idx = []
        for _ in range(3 + i % 5):
            x = lcg(x)
            idx.append((x >> 16) % 20)
        tags = [TAGS[j] for j in idx]
        if mismatch and i == 2:
            tags = tags[:-1]
        lines.append(json.dumps({"words": [WORDS[j] for j in idx], "tags": tags}))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def tok():
    with bertc.Tokenizer.load(TINY) as t:
        yield t


@pytest.fixture(scope="module")
def seq():
    with bertc.Model.load(SEQ) as m:
        yield m


@pytest.fixture(scope="module")
def tagger():
    with bertc.Model.load(TOK) as m:
        yield m


def for_task_quietly(path, task, labels, **kw):
    with pytest.warns(bertc.BertcWarning, match="newly initialized"):
        return bertc.Model.for_task(path, task, labels, **kw)


# ---- inference against Hugging Face ---------------------------------------------------------------

def test_classify_matches_hf_pipeline(seq):
    ref = HF["sequence"]
    tok = bertc.Tokenizer.load(SEQ)  # the classifier's own tokenizer files
    assert seq.task == bertc.Task.SEQUENCE_CLASSIFICATION and seq.labels == ref["labels"]
    got = seq.classify(tok, ref["texts"])
    assert len(got) == len(ref["texts"])
    for c, want, logits in zip(got, ref["pipeline"], ref["logits"]):
        scores = want["label_scores"]
        best = max(scores, key=scores.get)
        assert c.label == best and c.label_id == ref["labels"].index(best)
        assert c.score == pytest.approx(scores[best], abs=1e-6)
        assert list(c.scores) == ref["labels"]  # by id
        for name, p in scores.items():
            assert c.scores[name] == pytest.approx(p, abs=1e-6)
        assert c.logits == pytest.approx(logits, abs=1e-5)
        assert [name for name, _ in c.ranked()] == sorted(scores, key=scores.get, reverse=True)
    # One text gives one Classification; batching does not change the numbers.
    one = seq.classify(tok, "The man said that the people of the house were good.")
    assert isinstance(one, bertc.Classification)
    assert one.label == "press" and one.score == pytest.approx(0.539891064, abs=1e-6)
    assert one.scores["nonfiction"] == pytest.approx(0.251282215, abs=1e-6)
    for a, b in zip(seq.classify(tok, ref["texts"], batch_size=1, threads=1), got):
        assert a.label == b.label and a.logits == pytest.approx(b.logits, abs=1e-5)
    assert seq.classify(tok, []) == []


def test_tag_matches_hf_pipeline(tagger, tok):
    ref = HF["token"]
    assert tagger.task == bertc.Task.TOKEN_CLASSIFICATION and tagger.labels == ref["labels"]
    got = tagger.tag(tok, ref["texts"])
    for tagging, want in zip(got, ref["pipeline"]):
        assert len(tagging.groups) == len(want)
        for g, w in zip(tagging.groups, want):
            assert g.label == g.entity_group == w["entity_group"]
            assert g.score == pytest.approx(w["score"], abs=1e-6)
            assert (g.start, g.end) == (w["start"], w["end"])
            assert g.text.lower() == w["word"]  # HF decodes the (lowercased) tokens
            words = tagging.words[g.first_word:g.first_word + g.num_words]
            assert g.score == pytest.approx(sum(x.score for x in words) / len(words), abs=1e-9)
    one = tagger.tag(tok, "He was in the world today!")
    assert isinstance(one, bertc.TaggedText) and len(one.groups) == 6 and len(one.words) == 7
    assert (one.groups[0].text, one.groups[0].start, one.groups[0].end) == ("was", 3, 6)
    assert one.groups[5].text == "!" and one.groups[5].score == pytest.approx(0.39087379, abs=1e-6)
    assert one.words[0].word == "He" and one.words[0].label == "O"  # "O" words form no group


def test_tag_words_matches_hf_word_ids(tagger, tok):
    ref = HF["token"]
    got = tagger.tag_words(tok, ref["words"])
    assert len(got) == len(ref["words"])
    for tagging, words, want in zip(got, ref["words"], ref["word_predictions"]):
        assert [w.word for w in tagging.words] == words
        for w, p in zip(tagging.words, want):
            assert w.word_index == p["word"] and w.label_id == p["label"]
            assert w.label == ref["labels"][p["label"]]
            assert w.score == pytest.approx(p["score"], abs=1e-6)
    one = tagger.tag_words(tok, ["The", "unbelievable", "man", "said", "hello", "."])
    man = one.words[2]
    assert (man.word, man.label, man.start, man.end) == ("man", "B-NP", 17, 20)  # "The unbelievable man"
    assert man.score == pytest.approx(0.833422482, abs=1e-6)
    assert tagger.tag_words(tok, []) == []
    with pytest.raises(TypeError):
        tagger.tag_words(tok, ["a", ["b"]])


def test_wrong_head_and_long_text_errors(seq, tagger, tok):
    # A sequence classifier used for tagging, and the reverse: bertc's message in the SDK's error.
    with pytest.raises(bertc.InvalidArgumentError) as e:
        seq.tag(tok, "He was in the world today!")
    assert "needs a BertForTokenClassification" in e.value.message
    assert "BertForSequenceClassification" in str(e.value) and e.value.status == 1
    with pytest.raises(bertc.InvalidArgumentError):
        seq.tag_words(tok, ["He", "was"])
    with pytest.raises(bertc.InvalidArgumentError, match="BertForSequenceClassification"):
        tagger.classify(tok, "He was in the world.")
    with pytest.raises(ValueError, match="no MLM head"):  # InvalidArgumentError is a ValueError
        seq.fill_mask(tok, "the [MASK] of the house.")
    with pytest.raises(bertc.InvalidArgumentError):
        bertc.Model.load(TINY).classify(tok, "a text")
    # Too long without truncation (as HF's pipeline); cut with it.
    long_text = "the man " * 100
    with pytest.raises(bertc.InvalidArgumentError, match="truncation"):
        seq.classify(tok, long_text)
    assert seq.classify(tok, long_text, truncation=True).label in GENRES
    assert len(tagger.tag(tok, long_text, truncation=True, max_length=10).words) == 8


# ---- models ---------------------------------------------------------------------------------------

def test_create_config_save_load(tmp_path, tok):
    small = dict(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                 intermediate_size=64, max_position_embeddings=64)
    with pytest.raises(bertc.InvalidArgumentError, match="label"):
        bertc.Model.create(task="token", **small)  # a classifier needs labels
    with pytest.raises(bertc.InvalidArgumentError, match="appears twice"):
        bertc.Model.create(task="token", labels=["x", "y", "x"], **small)
    with pytest.raises(ValueError, match="unknown task"):
        bertc.Model.create(task="regression", labels=["x"], **small)
    with pytest.raises(TypeError):
        bertc.Model.create(task="token", labels="O", **small)
    m = bertc.Model.create(task=bertc.Task.TOKEN_CLASSIFICATION, labels=["O", "B-NP", "I-NP"],
                           classifier_dropout=0.25, **small)
    c = m.config
    assert c.task == m.task == bertc.Task.TOKEN_CLASSIFICATION
    assert c.labels == m.labels == ["O", "B-NP", "I-NP"] and c.num_labels == 3
    assert c.classifier_dropout == pytest.approx(0.25)
    assert bertc.Model.create(c).labels == c.labels  # a config round-trips
    m.save(tmp_path / "tagger")
    back = bertc.Model.load(tmp_path / "tagger")
    assert back.task == bertc.Task.TOKEN_CLASSIFICATION and back.labels == ["O", "B-NP", "I-NP"]
    # num_labels alone: LABEL_0, LABEL_1, ...; a masked LM has no labels and no classifier_dropout.
    anon = bertc.Model.create(task="sequence", num_labels=2, **small)
    assert anon.labels == ["LABEL_0", "LABEL_1"] and anon.task == bertc.Task.SEQUENCE_CLASSIFICATION
    mlm = bertc.Model.create(**small)
    assert mlm.task == bertc.Task.MASKED_LM and mlm.labels == [] and mlm.config.classifier_dropout is None
    assert str(bertc.Task.MASKED_LM) == "Task.MASKED_LM"
    with pytest.raises(ValueError):
        bertc.Model.create(task="sequence", labels=["a", "b"], num_labels=3, **small)


def test_for_task(tmp_path):
    # A new head on a pre-trained masked LM: HF's warning as a BertcWarning.
    with pytest.warns(bertc.BertcWarning) as record:
        m = bertc.Model.for_task(TINY, task="sequence", labels=GENRES, seed=5)
    message = str(record[0].message)
    assert "newly initialized" in message and "classifier.weight" in message
    assert m.task == bertc.Task.SEQUENCE_CLASSIFICATION and m.labels == GENRES
    # The same seed gives the same head.
    tok = bertc.Tokenizer.load(TINY)
    again = for_task_quietly(TINY, "text-classification", GENRES, seed=5)
    assert again.classify(tok, "the man.").scores == m.classify(tok, "the man.").scores
    # A fine-tuned checkpoint keeps its head and its label map, without a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = bertc.Model.for_task(SEQ, bertc.Task.SEQUENCE_CLASSIFICATION)
        same = bertc.Model.for_task(SEQ, "sequence", labels=GENRES)
    assert kept.labels == same.labels == GENRES
    with pytest.raises(bertc.InvalidArgumentError, match="disagrees with the checkpoint's"):
        bertc.Model.for_task(SEQ, "sequence", labels=["press", "fiction", "nonfiction"])
    with pytest.raises(bertc.InvalidArgumentError):
        bertc.Model.for_task(TINY, "token")  # a new head needs labels
    with pytest.raises(bertc.BertcIOError):
        bertc.Model.for_task(tmp_path / "missing", "token", ["O"])
    tagger = for_task_quietly(SEQ, "token", ["O", "X"], classifier_dropout=0.0)
    assert tagger.task == bertc.Task.TOKEN_CLASSIFICATION and tagger.config.classifier_dropout == 0.0


def test_for_task_dropout(tmp_path):
    # from_pretrained(dir, hidden_dropout_prob=..., attention_probs_dropout_prob=...): the checkpoint
    # says 0.1 / 0.1; each keyword replaces its own value and is saved in config.json.
    assert json.loads((TINY / "config.json").read_text())["hidden_dropout_prob"] == 0.1
    m = for_task_quietly(TINY, "sequence", GENRES, hidden_dropout_prob=0.3, attention_probs_dropout_prob=0.0)
    assert m.config.hidden_dropout_prob == pytest.approx(0.3) and m.config.attention_probs_dropout_prob == 0.0
    m.save(tmp_path / "clf")
    saved = json.loads((tmp_path / "clf" / "config.json").read_text())
    assert saved["hidden_dropout_prob"] == pytest.approx(0.3) and saved["attention_probs_dropout_prob"] == 0.0
    kept = bertc.Model.for_task(tmp_path / "clf", "sequence")  # None: the checkpoint's
    assert kept.config.hidden_dropout_prob == pytest.approx(0.3)
    only = for_task_quietly(TINY, "sequence", GENRES, attention_probs_dropout_prob=0.2)
    assert only.config.hidden_dropout_prob == pytest.approx(0.1)
    assert only.config.attention_probs_dropout_prob == pytest.approx(0.2)
    for bad in (1.0, -0.5, float("nan")):
        with pytest.raises(bertc.InvalidArgumentError, match=r"hidden_dropout_prob must be in \[0, 1\)"):
            bertc.Model.for_task(TINY, "sequence", GENRES, hidden_dropout_prob=bad)


# ---- fine-tuning ----------------------------------------------------------------------------------

def ft_options(out, **over):
    opts = dict(output_dir=out, max_length=32, batch_size=8, learning_rate=2e-3, max_steps=12, logging_steps=4,
                threads=1, eval_split=0)
    opts.update(over)
    return opts


def test_sequence_finetuning(tmp_path, tok):
    train = write_genre(tmp_path / "genre_train.jsonl", 96)
    evaluation = write_genre(tmp_path / "genre_eval.jsonl", 24)
    bad = write_genre(tmp_path / "genre_bad.jsonl", 8, bad_label="poetry")
    labels = bertc.dataset_labels(train, "sequence")
    assert labels == GENRES
    assert bertc.dataset_labels([train], bertc.Task.SEQUENCE_CLASSIFICATION, label_field="genre") == ["g0", "g1", "g2"]
    with pytest.raises(bertc.FormatError):
        bertc.dataset_labels([train], "sequence", label_field="missing")
    with pytest.raises(bertc.InvalidArgumentError):
        bertc.dataset_labels([train], "masked_lm")

    model = for_task_quietly(TINY, "sequence", labels, seed=5)
    out = tmp_path / "seq_run"
    # An unknown label: the SDK's error type carrying bertc's message (file and line named).
    with pytest.raises(bertc.InvalidArgumentError) as e:
        bertc.Trainer(model, tok, train=train, eval=bad, **ft_options(out))
    assert "unknown label 'poetry'" in e.value.message and "genre_bad.jsonl:4" in e.value.message
    with pytest.raises(bertc.InvalidArgumentError):
        bertc.Trainer(model, tok, train=train, eval=evaluation, **ft_options(out, metric_for_best_model="bleu"))
    with pytest.raises(ValueError):
        bertc.Trainer(model, tok, train=train, train_labels=[0], **ft_options(out))  # files carry labels

    t = bertc.Trainer(model, tok, train=train, eval=evaluation,
                      **ft_options(out, eval_steps=6, save_steps=6, metric_for_best_model="f1"))
    before = t.evaluate()
    assert before.examples == 24 and before.masked_tokens == 24  # one label per example
    assert math.isnan(before.perplexity) and 0 <= before.f1 <= 1
    events = []
    t.train(progress=events.append)
    after = t.evaluate()
    assert after.loss < before.loss and 0 <= after.accuracy <= 1 and 0 <= after.f1 <= 1
    evals = [e for e in events if e.kind == "eval"]
    assert evals and all(0 <= e.eval_f1 <= 1 for e in evals)
    steps = [e for e in events if e.kind == "train_step"]
    assert steps and all(e.eval_f1 == 0 for e in steps)
    info = t.info()
    assert info.global_step == 12 and 0 <= info.best_metric <= 1  # the best macro-F1 at a checkpoint
    assert info.best_metric == pytest.approx(max(e.eval_f1 for e in evals))
    t.close()

    # The saved model is a BertForSequenceClassification with the labels; it classifies.
    saved = bertc.Model.load(out)
    assert saved.task == bertc.Task.SEQUENCE_CLASSIFICATION and saved.labels == GENRES
    result = saved.classify(bertc.Tokenizer.load(out), ["the man said.", "of the house."])
    assert all(c.label in GENRES and sum(c.scores.values()) == pytest.approx(1.0) for c in result)


def test_token_finetuning(tmp_path, tok):
    train = write_pos(tmp_path / "pos_train.jsonl", 80)
    bad = write_pos(tmp_path / "pos_bad.jsonl", 5, mismatch=True)
    labels = bertc.dataset_labels([train], "token")
    assert labels == sorted(set(TAGS)) and len(labels) == 11
    model = for_task_quietly(TINY, "token", labels)
    with pytest.raises(bertc.InvalidArgumentError) as e:
        bertc.Trainer(model, tok, train=bad, **ft_options(tmp_path / "bad", eval_split=0.2))
    assert "pos_bad.jsonl:3" in e.value.message and "words but" in e.value.message

    t = bertc.Trainer(model, tok, train=train, **ft_options(tmp_path / "tok_run", eval_split=0.2))
    before = t.evaluate()
    assert before.examples == 16 and before.masked_tokens > 16  # tagged words
    t.train()
    after = t.evaluate()
    assert after.loss < before.loss and after.accuracy > before.accuracy and 0 <= after.f1 <= 1

    # A labelled batch from memory: rows x cols labels, -100 where none; ids or label names.
    ids = [[2, 40, 41, 3], [2, 42, 3, 0]]
    lab = [[-100, 1, 2, -100], [-100, labels[0], -100, -100]]
    assert t.step_batch(ids, labels=lab).masked_tokens == 3
    with pytest.raises(bertc.InvalidArgumentError):
        t.step_batch(ids)  # a classifier needs labels
    with pytest.raises(bertc.InvalidArgumentError):
        t.step_batch(ids, labels=[[-100, 1, 99, -100], [-100, 0, -100, -100]])  # no label 99
    with pytest.raises(ValueError):
        t.step_batch(ids, labels=[1, 2])  # one per row is for sequence classifiers
    with pytest.raises(ValueError, match="unknown label"):
        t.step_batch(ids, labels=[[-100, "zz", -100, -100], [-100] * 4])
    t.close()

    # In-memory fine-tuning data needs labels: per token id (nested or flat), names or ids.
    seqs = [[40, 41], [42]]
    opts = ft_options(tmp_path / "mem", batch_size=2)
    with pytest.raises(bertc.InvalidArgumentError, match="labels"):
        bertc.Trainer(model, tok, train=seqs, **opts)
    with pytest.raises(ValueError):
        bertc.Trainer(model, tok, train=seqs, train_labels=[[1], [0]], **opts)  # 2 ids, 1 label
    t = bertc.Trainer(model, tok, train=seqs, train_labels=[[labels[1], -100], [0]], **opts)
    assert t.step().masked_tokens == 2
    t.close()
    t = bertc.Trainer(model, tok, train=seqs, train_labels=[1, -100, 0], **opts)
    assert t.step().masked_tokens == 2
    t.close()


def test_sequence_in_memory_and_step_batch(tmp_path, tok):
    model = for_task_quietly(TINY, "sequence", GENRES)
    texts = ["the man said.", "of the house.", "he was good.", "a new city."]
    seqs = [list(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)]
    opts = ft_options(tmp_path / "mem", batch_size=2, max_steps=2)
    with pytest.raises(ValueError):
        bertc.Trainer(model, tok, train=seqs, train_labels=[0, 1], **opts)  # one label per sequence
    t = bertc.Trainer(model, tok, train=seqs, train_labels=["fiction", 1, "press", 0], eval=seqs[:2],
                      eval_labels=[0, 1], **opts)
    assert t.step().masked_tokens == 2
    r = t.evaluate()
    assert r.examples == 2 and math.isnan(r.perplexity) and 0 <= r.f1 <= 1
    cls, sep, pad = (tok.special_token_id(x) for x in ("cls", "sep", "pad"))
    width = max(len(s) for s in seqs) + 2
    rows = [[cls] + s + [sep] + [pad] * (width - len(s) - 2) for s in seqs]
    assert t.step_batch(rows, labels=["press", 0, 1, 2]).masked_tokens == 4  # one label per row
    with pytest.raises(ValueError):
        t.step_batch(rows, labels=[0, 1])
    t.close()
    # A masked LM takes no in-memory labels; its evaluation has no F1.
    mlm = bertc.Model.load(TINY)
    with pytest.raises(ValueError, match="classifiers"):
        bertc.Trainer(mlm, tok, train=seqs, train_labels=[0, 1, 2, 0], **opts)
    t = bertc.Trainer(mlm, tok, train=seqs, eval=seqs, **opts)
    r = t.evaluate()
    assert math.isnan(r.f1) and r.perplexity > 1
    t.close()
