//! Fine-tuning end to end on the C tests' tiny data (tests/c/test_finetune.c): labels from the data,
//! a new head on the pre-trained tiny_mlm, bad data refused with bertc's message (unknown label,
//! words/tags mismatch), training with macro-F1 evaluations and the best checkpoint by F1, exact
//! resume, in-memory data and labelled batches, and the trained model classifying and tagging.
mod common;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use bertc::{
    ClassifyOptions, EventKind, Grouping, Model, ModelConfig, Status, Task, TaskOptions, Tokenizer,
    TrainData, Trainer, TrainerOptions,
};
use common::{tiny_mlm, TempDir};

const WORDS: [&str; 20] = [
    "the", "man", "said", "that", "people", "of", "house", "were", "good", "he", "was", "in",
    "world", "a", "new", "city", "and", "old", "time", "day",
];
const TAGS: [&str; 20] = [
    "at", "nn", "vbd", "cs", "nns", "in", "nn", "bed", "jj", "pps", "bedz", "in", "nn", "at", "jj",
    "nn", "cc", "jj", "nn", "nn",
];
const GENRES: [&str; 3] = ["fiction", "nonfiction", "press"];

/// The C tests' generator, so the data are theirs.
struct Lcg(u32);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(1103515245).wrapping_add(12345);
        (self.0 >> 16) as usize
    }
}

/// `n` JSONL lines {"text", "genre", "label"}: the label follows the first word (learnable); with
/// `bad`, line 4's label is that.
fn write_genre(path: &Path, n: usize, bad: Option<&str>) -> PathBuf {
    let mut x = Lcg(777);
    let mut out = String::new();
    for i in 0..n {
        let first = x.next() % 3;
        let mut words = vec![WORDS[first]];
        for _ in 0..6 {
            words.push(WORDS[x.next() % 20]);
        }
        let label = match bad {
            Some(b) if i == 3 => b,
            _ => GENRES[first],
        };
        out += &format!(
            "{{\"text\": \"{}.\", \"genre\": \"g{first}\", \"label\": \"{label}\"}}\n",
            words.join(" ")
        );
    }
    std::fs::write(path, out).unwrap();
    path.to_path_buf()
}

/// `n` JSONL lines {"words", "tags"}; with `mismatch`, line 3 has one tag too few.
fn write_pos(path: &Path, n: usize, mismatch: bool) -> PathBuf {
    let mut x = Lcg(99);
    let mut out = String::new();
    for i in 0..n {
        let idx: Vec<usize> = (0..3 + i % 5).map(|_| x.next() % 20).collect();
        let quote = |v: Vec<&str>| {
            v.iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let words = quote(idx.iter().map(|&k| WORDS[k]).collect());
        let skip = usize::from(mismatch && i == 2);
        let tags = quote(idx[skip..].iter().map(|&k| TAGS[k]).collect());
        out += &format!("{{\"words\": [{words}], \"tags\": [{tags}]}}\n");
    }
    std::fs::write(path, out).unwrap();
    path.to_path_buf()
}

fn options(out: &Path) -> TrainerOptions {
    TrainerOptions::default()
        .output_dir(out)
        .max_length(32)
        .batch_size(8)
        .learning_rate(2e-3)
        .max_steps(12)
        .logging_steps(4)
        .threads(1)
        .eval_split(0.0)
}

#[test]
fn sequence_classifier_end_to_end() {
    let dir = TempDir::new("ft_seq");
    let tok = Tokenizer::load(tiny_mlm()).unwrap();
    let train = TrainData::files([write_genre(&dir.join("genre_train.jsonl"), 96, None)]);
    let eval = TrainData::files([write_genre(&dir.join("genre_eval.jsonl"), 24, None)]);
    let bad = TrainData::files([write_genre(&dir.join("genre_bad.jsonl"), 8, Some("poetry"))]);

    let labels = train.label_names(Task::SequenceClassification).unwrap();
    assert_eq!(labels, GENRES);
    // Another label field: "genre".
    let genre = train
        .clone()
        .label_field("genre")
        .label_names(Task::SequenceClassification)
        .unwrap();
    assert_eq!(genre, ["g0", "g1", "g2"]);
    let err = train
        .clone()
        .label_field("missing")
        .label_names(Task::SequenceClassification)
        .unwrap_err();
    assert_eq!(err.status(), Status::Format);
    let err = train.label_names(Task::MaskedLm).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);

    let head = TaskOptions::new(Task::SequenceClassification)
        .labels(labels.clone())
        .seed(5);
    let mut model = Model::load_for_task(tiny_mlm(), &head).unwrap();
    let out = dir.join("seq_run");
    let opts = options(&out)
        .eval_steps(6)
        .save_steps(6)
        .metric_for_best_model("f1");

    // An unknown label in the eval data: bertc names the label, the file and the line.
    let err = Trainer::new(&mut model, &tok, Some(&train), Some(&bad), &opts).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(
        err.message().contains("unknown label 'poetry'")
            && err.message().contains("genre_bad.jsonl:4"),
        "{err}"
    );
    // The text in another field.
    let sentences = dir.join("genre_sentence.jsonl");
    let text = std::fs::read_to_string(dir.join("genre_train.jsonl")).unwrap();
    std::fs::write(&sentences, text.replace("\"text\"", "\"sentence\"")).unwrap();
    let no_save = options(&dir.join("x")).save_final_model(false);
    let err = Trainer::new(
        &mut model,
        &tok,
        Some(&TrainData::files([&sentences])),
        None,
        &no_save,
    )
    .unwrap_err();
    assert_eq!(err.status(), Status::Format);
    let data = TrainData::files([&sentences]).jsonl_field("sentence");
    Trainer::new(&mut model, &tok, Some(&data), None, &no_save).unwrap();
    assert_eq!(TrainData::jsonl([&sentences], "sentence"), data);

    let bleu = opts.clone().metric_for_best_model("bleu");
    let err = Trainer::new(&mut model, &tok, Some(&train), Some(&eval), &bleu).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let packed = opts.clone().grouping(Grouping::Packed);
    let err = Trainer::new(&mut model, &tok, Some(&train), Some(&eval), &packed).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);

    let mut trainer = Trainer::new(&mut model, &tok, Some(&train), Some(&eval), &opts).unwrap();
    let before = trainer.evaluate().unwrap();
    assert_eq!((before.examples, before.masked_tokens), (24, 24));
    assert!(before.perplexity.is_nan());
    assert!((0.0..=1.0).contains(&before.f1));
    for i in 1..=6 {
        let r = trainer.step().unwrap();
        assert_eq!((r.step, r.masked_tokens), (i, 8)); // one label per example
        assert!(r.loss.is_finite());
    }
    // A second trainer resumes from the step-6 checkpoint and ends where the first does.
    let mut model2 = Model::load_for_task(tiny_mlm(), &head).unwrap();
    let mut trainer2 = Trainer::new(&mut model2, &tok, Some(&train), Some(&eval), &opts).unwrap();
    trainer2.resume(None).unwrap();
    let mut eval_f1 = Vec::new();
    trainer
        .train_with_progress(|ev| {
            if ev.kind == EventKind::Eval {
                assert!(ev.eval_perplexity.is_nan());
                eval_f1.push(ev.eval_f1);
                // The callback may classify with the model being trained.
                let model = ev.model().unwrap();
                assert_eq!(model.task(), Task::SequenceClassification);
                let c = model
                    .classify(&tok, &["the man said."], &ClassifyOptions::default())
                    .unwrap();
                assert_eq!(c[0].scores.len(), 3);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(eval_f1.len(), 1);
    trainer2.train().unwrap();
    let (a, b) = (trainer.evaluate().unwrap(), trainer2.evaluate().unwrap());
    assert_eq!((a.loss, a.f1), (b.loss, b.f1));
    assert!(a.loss < before.loss, "{} -> {}", before.loss, a.loss);
    assert!((0.0..=1.0).contains(&a.f1) && (0.0..=1.0).contains(&a.accuracy));
    assert_eq!(a.f1, eval_f1[0]);
    let info = trainer.info().unwrap();
    let best = info.best_metric.expect("the best macro-F1 at a checkpoint");
    assert!((0.0..=1.0).contains(&best));
    drop((trainer, trainer2));

    // The final model is a BertForSequenceClassification with the labels, and it classifies like
    // the model trained in place.
    let saved = Model::load(&out).unwrap();
    assert_eq!(saved.task(), Task::SequenceClassification);
    assert_eq!(saved.labels(), GENRES);
    let texts = [
        "the man said that people of house were good.",
        "said a new day.",
    ];
    let o = ClassifyOptions::default();
    let (x, y) = (
        saved.classify(&tok, &texts, &o).unwrap(),
        model.classify(&tok, &texts, &o).unwrap(),
    );
    for (x, y) in x.iter().zip(&y) {
        assert_eq!(x.label_name, y.label_name);
        assert!((x.score - y.score).abs() < 1e-6);
    }
}

#[test]
fn token_classifier_end_to_end() {
    let dir = TempDir::new("ft_tok");
    let tok = Tokenizer::load(tiny_mlm()).unwrap();
    let train = TrainData::files([write_pos(&dir.join("pos_train.jsonl"), 80, false)]);
    let bad = TrainData::files([write_pos(&dir.join("pos_bad.jsonl"), 5, true)]);
    let labels = train.label_names(Task::TokenClassification).unwrap();
    assert_eq!(
        labels.join(" "),
        "at bed bedz cc cs in jj nn nns pps vbd" // the distinct tags of TAGS, sorted
    );
    // Other field names.
    let renamed = dir.join("pos_renamed.jsonl");
    let text = std::fs::read_to_string(dir.join("pos_train.jsonl")).unwrap();
    std::fs::write(
        &renamed,
        text.replace("\"words\"", "\"tokens\"")
            .replace("\"tags\"", "\"pos\""),
    )
    .unwrap();
    let other = TrainData::files([&renamed])
        .words_field("tokens")
        .tags_field("pos");
    assert_eq!(
        other.label_names(Task::TokenClassification).unwrap(),
        labels
    );
    let err = TrainData::files([&renamed])
        .label_names(Task::TokenClassification)
        .unwrap_err();
    assert_eq!(err.status(), Status::Format);
    assert!(err.message().contains("no field"), "{err}");
    let head = TaskOptions::new(Task::TokenClassification).labels(labels.clone());
    let mut model = Model::load_for_task(tiny_mlm(), &head).unwrap();
    let no_save = options(&dir.join("x")).save_final_model(false);
    Trainer::new(&mut model, &tok, Some(&other), None, &no_save).unwrap();
    let opts = options(&dir.join("tok_run")).eval_split(0.2);
    let err = Trainer::new(&mut model, &tok, Some(&bad), None, &opts).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(
        err.message().contains("pos_bad.jsonl:3") && err.message().contains("words but"),
        "{err}"
    );
    let mut trainer = Trainer::new(&mut model, &tok, Some(&train), None, &opts).unwrap();
    let before = trainer.evaluate().unwrap();
    assert_eq!(before.examples, 16);
    assert!(before.masked_tokens > 16); // tagged words
    trainer.train().unwrap();
    let after = trainer.evaluate().unwrap();
    assert!(after.loss < before.loss);
    assert!(after.accuracy > before.accuracy);
    assert!((0.0..=1.0).contains(&after.f1));

    // Labelled batches: rows x cols labels, -100 where none.
    let ids = [2, 40, 41, 3, 2, 42, 3, 0];
    let lab = [-100, 1, 2, -100, -100, 0, -100, -100];
    let r = trainer.step_batch(&ids, 4, None, Some(&lab)).unwrap();
    assert_eq!(r.masked_tokens, 3);
    let err = trainer.step_batch(&ids, 4, None, None).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let out_of_range = [-100, 1, 99, -100, -100, 0, -100, -100];
    let err = trainer
        .step_batch(&ids, 4, None, Some(&out_of_range))
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = trainer
        .step_batch(&ids, 4, None, Some(&[1, 0]))
        .unwrap_err();
    assert!(
        err.message().starts_with("bertc (rust): step_batch"),
        "{err}"
    );
    drop(trainer);

    let tags = model
        .tag_words(&tok, &[["the", "man", "said"]], &ClassifyOptions::default())
        .unwrap();
    assert_eq!(tags[0].words.len(), 3);
    assert!(labels.contains(&tags[0].words[1].label_name));

    // In memory: one label per token id, -100 for none; the count is checked before the call.
    let mem_opts = options(&dir.join("mem"))
        .batch_size(2)
        .save_final_model(false);
    let seqs = [vec![40, 41], vec![42]];
    let unlabelled = TrainData::sequences(seqs.clone());
    let err = Trainer::new(&mut model, &tok, Some(&unlabelled), None, &mem_opts).unwrap_err();
    assert!(err.message().contains("labels"), "{err}");
    let short = TrainData::sequences(seqs.clone()).labels([1, 0]);
    let err = Trainer::new(&mut model, &tok, Some(&short), None, &mem_opts).unwrap_err();
    assert!(err.message().contains("2 labels for 3 token ids"), "{err}");
    let outside = TrainData::sequences(seqs.clone()).labels([1, 50, 0]);
    let err = Trainer::new(&mut model, &tok, Some(&outside), None, &mem_opts).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let tag_rows = [vec![1, -100], vec![0]];
    let data = TrainData::sequences(seqs).labels(tag_rows.concat());
    let mut trainer = Trainer::new(&mut model, &tok, Some(&data), None, &mem_opts).unwrap();
    assert_eq!(trainer.step().unwrap().masked_tokens, 2);
}

#[test]
fn sequence_classifier_in_memory() {
    let dir = TempDir::new("ft_mem");
    let tok = Tokenizer::load(tiny_mlm()).unwrap();
    let mut model = Model::create(
        &ModelConfig::default()
            .vocab_size(1000)
            .hidden_size(32)
            .num_hidden_layers(1)
            .num_attention_heads(2)
            .intermediate_size(64)
            .max_position_embeddings(64)
            .task(Task::SequenceClassification)
            .labels(["neg", "pos"]),
    )
    .unwrap();
    let opts = options(&dir.join("run"))
        .batch_size(2)
        .max_steps(4)
        .save_final_model(false);
    let seqs = [vec![40, 41], vec![42], vec![43, 44, 45], vec![46]];
    let train = TrainData::sequences(seqs.clone()).labels([0, 1, 0, 1]);
    let eval = TrainData::sequences(&seqs[..2]).labels([0, 1]);
    let mut trainer = Trainer::new(&mut model, &tok, Some(&train), Some(&eval), &opts).unwrap();
    assert_eq!(trainer.step().unwrap().masked_tokens, 2);
    let ev = trainer.evaluate().unwrap();
    assert_eq!(ev.examples, 2);
    assert!((0.0..=1.0).contains(&ev.f1) && ev.perplexity.is_nan());
    // One label per row of a batch.
    let ids = [2, 40, 3, 2, 41, 3];
    let r = trainer.step_batch(&ids, 3, None, Some(&[1, 0])).unwrap();
    assert_eq!(r.masked_tokens, 2);
    let err = trainer
        .step_batch(&ids, 3, None, Some(&[-100, 1, -100, -100, 0, -100]))
        .unwrap_err();
    assert!(
        err.message().contains("labels has 6 entries, not 2"),
        "{err}"
    );
    let err = trainer
        .step_batch(&ids, 3, None, Some(&[2, 0]))
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument); // outside the label map
    drop(trainer);
    let short = TrainData::sequences(seqs.clone()).labels([0, 1]);
    let err = Trainer::new(&mut model, &tok, Some(&short), None, &opts).unwrap_err();
    assert!(err.message().contains("2 labels for 4 sequences"), "{err}");

    // Labels on a masked LM's data are refused, not ignored.
    let mut mlm = Model::load(tiny_mlm()).unwrap();
    let labelled = TrainData::sequences(seqs).labels([0, 1, 0, 1]);
    let err = Trainer::new(&mut mlm, &tok, Some(&labelled), None, &opts).unwrap_err();
    assert!(
        err.message().contains("labels are for classifiers"),
        "{err}"
    );
}
