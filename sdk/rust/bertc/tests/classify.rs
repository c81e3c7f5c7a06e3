//! Classification and tagging against the Hugging Face pipelines
//! (tests/fixtures/model/tiny_classifiers.json: transformers 4.49's text-classification with
//! top_k=None and token-classification with aggregation_strategy="first"), the wrong head for a
//! pipeline, classifier models (create, config, save, load_for_task) and concurrent use.
mod common;

use bertc::{
    ClassifyOptions, FillMaskOptions, Model, ModelConfig, Status, Task, TaskOptions, Tokenizer,
};
use common::json::Json;
use common::{fixtures, tiny_mlm, tiny_seqcls, tiny_tokcls, TempDir};

fn hf() -> Json {
    Json::read(&fixtures().join("model/tiny_classifiers.json"))
}

fn near(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn tok() -> Tokenizer {
    Tokenizer::load(tiny_seqcls()).unwrap()
}

#[test]
fn classify_matches_hugging_face() {
    let hf = hf();
    let seq = &hf["sequence"];
    let (model, tok) = (Model::load(tiny_seqcls()).unwrap(), tok());
    assert_eq!(model.task(), Task::SequenceClassification);
    assert_eq!(model.labels(), seq["labels"].strings());
    let texts = seq["texts"].strings();
    let got = model
        .classify(&tok, &texts, &ClassifyOptions::default())
        .unwrap();
    assert_eq!(got.len(), texts.len());
    let labels = model.labels();
    for (i, c) in got.iter().enumerate() {
        assert_eq!(c.scores.len(), 3);
        assert_eq!(c.logits.len(), 3);
        assert_eq!(labels[c.label], c.label_name);
        assert_eq!(c.scores[c.label], c.score);
        let mut best = ("", f64::MIN);
        for (label, want) in seq["pipeline"][i]["label_scores"].obj() {
            let id = labels.iter().position(|l| l == label).unwrap();
            let want = want.f64();
            assert!(
                near(c.scores[id], want, 1e-6),
                "text {i} {label}: {} vs HF {want}",
                c.scores[id]
            );
            if want > best.1 {
                best = (label.as_str(), want);
            }
        }
        assert_eq!(c.label_name, best.0, "text {i}");
        for (k, want) in seq["logits"][i].f64s().into_iter().enumerate() {
            assert!(near(c.logits[k], want, 1e-5), "text {i} logit {k}");
        }
    }
    // The reference value of the fine-tuning issue.
    assert_eq!(got[0].label_name, "press");
    assert_eq!(got[0].label, 2);
    assert!(near(got[0].score, 0.539891064, 1e-6), "{}", got[0].score);

    // One at a time, other batch sizes: the same numbers. No texts: no results.
    for (i, text) in texts.iter().enumerate() {
        let opts = ClassifyOptions::default().batch_size(1).threads(1);
        let one = model.classify(&tok, &[text.as_str()], &opts).unwrap();
        assert_eq!(one[0].label, got[i].label);
        assert!(near(one[0].score, got[i].score, 1e-6));
    }
    let none: [&str; 0] = [];
    assert!(model
        .classify(&tok, &none, &ClassifyOptions::default())
        .unwrap()
        .is_empty());
}

#[test]
fn tag_and_tag_words_match_hugging_face() {
    let hf = hf();
    let t = &hf["token"];
    let (model, tok) = (Model::load(tiny_tokcls()).unwrap(), tok());
    assert_eq!(model.task(), Task::TokenClassification);
    let labels = model.labels();
    assert_eq!(labels, t["labels"].strings());
    let texts = t["texts"].strings();
    let got = model
        .tag(&tok, &texts, &ClassifyOptions::default())
        .unwrap();
    assert_eq!(got.len(), texts.len());
    for (i, text) in texts.iter().enumerate() {
        let want = t["pipeline"][i].arr();
        assert_eq!(
            got[i].groups.len(),
            want.len(),
            "text {i}: {:?}",
            got[i].groups
        );
        for (g, w) in got[i].groups.iter().zip(want) {
            assert_eq!(g.label_name, w["entity_group"].str());
            assert_eq!((g.start, g.end), (w["start"].usize(), w["end"].usize()));
            // HF's "word" decodes the (lower-cased) tokens; `text` is the original text.
            assert!(g.text.eq_ignore_ascii_case(w["word"].str()), "{g:?}");
            assert_eq!(g.text, text[g.start..g.end]);
            assert!(near(g.score, w["score"].f64(), 1e-6), "{g:?} vs {w:?}");
            let words = &got[i].words[g.words()];
            let mean = words.iter().map(|w| w.score).sum::<f64>() / words.len() as f64;
            assert!(near(mean, g.score, 1e-9));
        }
        for (k, w) in got[i].words.iter().enumerate() {
            assert_eq!(w.word, text[w.start..w.end]);
            assert_eq!(w.word_index, k);
            assert_eq!(labels[w.label], w.label_name);
        }
    }
    // "He was in the world today!": "He" is O (in no group), "was" opens the NP groups.
    assert_eq!(got[1].words.len(), 7);
    assert_eq!(got[1].words[0].word, "He");
    assert_eq!(got[1].words[0].label_name, "O");
    assert_eq!(got[1].groups[0].text, "was");
    assert!(got[2].groups.is_empty());

    // Pre-split words: each labelled by its first piece (HF word_ids()).
    let words: Vec<Vec<String>> = t["words"].arr().iter().map(Json::strings).collect();
    let tagged = model
        .tag_words(&tok, &words, &ClassifyOptions::default())
        .unwrap();
    for (i, want) in t["word_predictions"].arr().iter().enumerate() {
        let want = want.arr();
        assert_eq!(tagged[i].words.len(), want.len());
        let mut offset = 0;
        for (g, w) in tagged[i].words.iter().zip(want) {
            let input = &words[i][w["word"].usize()];
            assert_eq!(g.word_index, w["word"].usize());
            assert_eq!(g.label, w["label"].usize());
            assert!(near(g.score, w["score"].f64(), 1e-6), "{g:?} vs {w:?}");
            assert_eq!(&g.word, input);
            assert_eq!((g.start, g.end), (offset, offset + input.len()));
            offset += input.len() + 1;
        }
    }
    let man = &tagged[0].words[2];
    assert_eq!((man.label_name.as_str(), man.start), ("B-NP", 17));
    assert!(near(man.score, 0.833422482, 1e-6));
    // Any slice-of-slices shape works; an empty word list is an empty text.
    let split: [&[&str]; 2] = [&[], &["Yes", "!"]];
    let out = model
        .tag_words(&tok, &split, &ClassifyOptions::default())
        .unwrap();
    assert!(out[0].words.is_empty());
    assert_eq!(out[1].words.len(), 2);
}

#[test]
fn the_wrong_head_fails_with_bertcs_message() {
    let tok = tok();
    let seq = Model::load(tiny_seqcls()).unwrap();
    let tagger = Model::load(tiny_tokcls()).unwrap();
    let text = ["He was in the world today!"];
    let opts = ClassifyOptions::default();
    let err = seq.tag(&tok, &text, &opts).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(
        err.message().contains("needs a BertForTokenClassification")
            && err.message().contains("BertForSequenceClassification"),
        "{err}"
    );
    let words = [["He", "was"]];
    let err = seq.tag_words(&tok, &words, &opts).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = tagger.classify(&tok, &text, &opts).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(
        err.message().contains("BertForTokenClassification"),
        "{err}"
    );
    let mlm = Model::load(tiny_mlm()).unwrap();
    let err = mlm.classify(&tok, &text, &opts).unwrap_err();
    assert!(err.message().contains("BertForMaskedLM"), "{err}");
    let err = seq
        .fill_mask(&tok, "a [MASK]", &FillMaskOptions::default())
        .unwrap_err();
    assert!(err.message().contains("no MLM head"), "{err}");

    // Too long without truncation; cut with it.
    let long = "the man ".repeat(100);
    let err = seq
        .classify(&tok, &["short", long.as_str()], &opts)
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("truncation"), "{err}");
    let cut = ClassifyOptions::default().truncation(true).max_length(8);
    assert_eq!(seq.classify(&tok, &[&long], &cut).unwrap().len(), 1);
    assert_eq!(tagger.tag(&tok, &[&long], &cut).unwrap()[0].words.len(), 6);
    let err = seq
        .classify(&tok, &["ok"], &ClassifyOptions::default().max_length(1000))
        .unwrap_err();
    assert!(err.message().contains("max_length"), "{err}");
    let err = seq
        .classify(&tok, &["ok"], &ClassifyOptions::default().batch_size(0))
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
}

#[test]
fn create_config_save_load_a_classifier() {
    let base = ModelConfig::default()
        .vocab_size(1000)
        .hidden_size(32)
        .num_hidden_layers(1)
        .num_attention_heads(2)
        .intermediate_size(64)
        .max_position_embeddings(64);
    let defaults = ModelConfig::default();
    assert_eq!(defaults.task, Task::MaskedLm);
    assert!(defaults.labels.is_empty());
    assert_eq!(defaults.classifier_dropout, None);

    let cfg = base.clone().task(Task::TokenClassification);
    let err = Model::create(&cfg).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("label"), "{err}");
    let err = Model::create(&cfg.clone().labels(["x", "y", "x"])).unwrap_err();
    assert!(err.message().contains("appears twice"), "{err}");
    let err = Model::create(&base.clone().labels(["a"])).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument); // labels on a masked LM
    let err = Model::create(&cfg.clone().task(Task::Other(7)).labels(["a"])).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);

    let cfg = cfg.labels(["O", "B-NP", "I-NP"]).classifier_dropout(0.25);
    let model = Model::create(&cfg).unwrap();
    assert_eq!(model.task(), Task::TokenClassification);
    assert_eq!(model.labels(), ["O", "B-NP", "I-NP"]);
    let got = model.config().unwrap();
    assert_eq!(got.task, Task::TokenClassification);
    assert_eq!(got.labels, cfg.labels);
    assert_eq!(got.classifier_dropout, Some(0.25));
    // The config round-trips: same seed, same weights, same tags.
    let again = Model::create(&got).unwrap();
    let tok = tok();
    let text = ["the man said hello."];
    let opts = ClassifyOptions::default();
    let a = model.tag(&tok, &text, &opts).unwrap();
    assert_eq!(again.tag(&tok, &text, &opts).unwrap(), a);

    let dir = TempDir::new("classifier");
    model.save(dir.path()).unwrap();
    let back = Model::load(dir.path()).unwrap();
    assert_eq!(back.task(), Task::TokenClassification);
    assert_eq!(back.labels()[1], "B-NP");
    assert_eq!(back.tag(&tok, &text, &opts).unwrap(), a);
    assert!(format!("{back:?}").contains("TokenClassification"));

    assert_eq!(Task::from_raw(2), Task::TokenClassification);
    assert_eq!(Task::from_raw(9), Task::Other(9));
    assert_eq!(Task::Other(9).to_raw(), 9);
    assert!(Task::SequenceClassification.is_classifier() && !Task::MaskedLm.is_classifier());
}

#[test]
fn load_for_task_puts_a_new_head_or_keeps_one() {
    let defaults = TaskOptions::default();
    assert_eq!(defaults.task, Task::SequenceClassification);
    assert_eq!((defaults.labels.clone(), defaults.seed), (None, 42));
    assert_eq!(defaults.classifier_dropout, None);

    let opts = TaskOptions::new(Task::SequenceClassification)
        .labels(["fiction", "nonfiction", "press"])
        .seed(5)
        .classifier_dropout(0.0);
    let model = Model::load_for_task(tiny_mlm(), &opts).unwrap();
    let warning = bertc::last_warning().expect("HF's warning about the new head");
    assert!(
        warning.contains("newly initialized") && warning.contains("classifier.weight"),
        "{warning}"
    );
    assert_eq!(model.task(), Task::SequenceClassification);
    assert_eq!(model.labels()[2], "press");
    assert_eq!(model.config().unwrap().classifier_dropout, Some(0.0));
    // (ABI 1.3) The encoder's dropout, as from_pretrained's keyword arguments (the file says 0.1).
    assert_eq!(defaults.hidden_dropout_prob, None);
    assert_eq!(defaults.attention_probs_dropout_prob, None);
    let dropout = opts
        .clone()
        .hidden_dropout_prob(0.3)
        .attention_probs_dropout_prob(0.0);
    let cfg = Model::load_for_task(tiny_mlm(), &dropout)
        .unwrap()
        .config()
        .unwrap();
    assert_eq!(
        (cfg.hidden_dropout_prob, cfg.attention_probs_dropout_prob),
        (0.3, 0.0)
    );
    let err = Model::load_for_task(tiny_mlm(), &dropout.hidden_dropout_prob(1.0)).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(
        err.message()
            .contains("hidden_dropout_prob must be in [0, 1)"),
        "{err}"
    );
    // Same seed, same head.
    let again = Model::load_for_task(tiny_mlm(), &opts).unwrap();
    let tok = tok();
    let o = ClassifyOptions::default();
    assert_eq!(
        model.classify(&tok, &["the man said."], &o).unwrap(),
        again.classify(&tok, &["the man said."], &o).unwrap()
    );

    // A fine-tuned classifier keeps its head; another label map is refused with both lists.
    let other = TaskOptions::new(Task::SequenceClassification).labels(["press", "fiction", "x"]);
    let err = Model::load_for_task(tiny_seqcls(), &other).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(
        err.message().contains("disagrees with the checkpoint's"),
        "{err}"
    );
    let own = Model::load_for_task(tiny_seqcls(), &TaskOptions::default()).unwrap();
    assert_eq!(bertc::last_warning(), None);
    assert_eq!(own.labels()[0], "fiction");
    // A new head needs labels; `Some(vec![])` is no labels, not "keep the checkpoint's".
    let err =
        Model::load_for_task(tiny_mlm(), &TaskOptions::new(Task::TokenClassification)).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = Model::load_for_task(
        tiny_seqcls(),
        &TaskOptions::default().labels(Vec::<String>::new()),
    )
    .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = Model::load_for_task(
        common::fixtures().join("no-such-model"),
        &TaskOptions::new(Task::TokenClassification).labels(["a"]),
    )
    .unwrap_err();
    assert_eq!(err.status(), Status::Io);
    // The sequence classifier's encoder under a token head.
    let tagger = Model::load_for_task(
        tiny_seqcls(),
        &TaskOptions::new(Task::TokenClassification).labels(["O", "X"]),
    )
    .unwrap();
    assert!(bertc::last_warning()
        .unwrap()
        .contains("BertForTokenClassification"));
    assert_eq!(tagger.task(), Task::TokenClassification);
}

/// Threads sharing a classifier and a tagger get the single-threaded results, and each its own
/// error message.
#[test]
fn concurrent_classify_and_tag() {
    let tok = tok();
    let seq = Model::load(tiny_seqcls()).unwrap();
    let tagger = Model::load(tiny_tokcls()).unwrap();
    let texts = [
        "The man said that the people of the house were good.",
        "He was in the world today!",
        "Yes!",
    ];
    let opts = ClassifyOptions::default().threads(1);
    let want = seq.classify(&tok, &texts, &opts).unwrap();
    let want_tags = tagger.tag(&tok, &texts, &opts).unwrap();
    std::thread::scope(|s| {
        for t in 0..6 {
            let (tok, seq, tagger, opts) = (&tok, &seq, &tagger, &opts);
            let (want, want_tags) = (&want, &want_tags);
            s.spawn(move || {
                for i in 0..8 {
                    match (t + i) % 3 {
                        0 => {
                            // Other batch sizes pad differently: equal up to rounding.
                            let o = opts.clone().batch_size(1 + t % 3);
                            let got = seq.classify(tok, &texts, &o).unwrap();
                            for (g, w) in got.iter().zip(want) {
                                assert_eq!(g.label, w.label);
                                assert!(near(g.score, w.score, 1e-6));
                            }
                        }
                        1 => assert_eq!(&tagger.tag(tok, &texts, opts).unwrap(), want_tags),
                        _ => {
                            let err = seq.tag(tok, &texts, opts).unwrap_err();
                            assert!(err.message().contains("needs a BertForTokenClassification"));
                        }
                    }
                }
            });
        }
    });
}
