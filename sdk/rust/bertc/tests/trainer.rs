//! Trainer: steps with progress closures, cancellation, panics in callbacks, evaluate, checkpoint +
//! resume (bit-identical losses), in-memory data and step_batch, reading the model from a callback.
mod common;

use std::ops::ControlFlow;

use bertc::{
    EventKind, FillMaskOptions, Grouping, LrSchedule, Model, ModelConfig, Status, Tokenizer,
    TrainData, Trainer, TrainerOptions,
};
use common::{brown_8000, corpus_lines, write_lines, TempDir};

fn tiny_model(intermediate: usize) -> Model {
    Model::create(
        &ModelConfig::default()
            .vocab_size(8000)
            .hidden_size(32)
            .num_hidden_layers(2)
            .num_attention_heads(2)
            .intermediate_size(intermediate)
            .max_position_embeddings(64)
            .seed(1),
    )
    .unwrap()
}

fn tiny_options(out: &std::path::Path) -> TrainerOptions {
    TrainerOptions::default()
        .output_dir(out)
        .max_length(32)
        .batch_size(4)
        .learning_rate(1e-3)
        .max_steps(6)
        .logging_steps(1)
        .threads(1)
        .seed(3)
}

struct Fixture {
    dir: TempDir,
    tok: Tokenizer,
    corpus: TrainData,
}

fn fixture(tag: &str) -> Fixture {
    let dir = TempDir::new(tag);
    let path = dir.join("train.txt");
    write_lines(&path, &corpus_lines(120));
    Fixture {
        tok: Tokenizer::load(brown_8000()).unwrap(),
        corpus: TrainData::files([&path]),
        dir,
    }
}

#[test]
fn defaults_come_from_the_library() {
    let p = TrainerOptions::default();
    assert_eq!(p.max_length, 128);
    assert_eq!(p.grouping, Grouping::Dynamic);
    assert_eq!(p.mlm_probability, 0.15);
    assert_eq!(p.batch_size, 8);
    assert_eq!(p.grad_accum, 1);
    assert_eq!(p.schedule, LrSchedule::Linear);
    assert_eq!(p.seed, 42);
    assert_eq!(p.device, "cpu");
    assert_eq!(p.output_dir, None);
}

#[test]
fn train_evaluate_checkpoint_final_model() {
    let f = fixture("train");
    let out = f.dir.join("run");
    let mut model = tiny_model(64);
    let opts = tiny_options(&out)
        .eval_split(0.2)
        .eval_steps(3)
        .save_steps(3)
        .save_total_limit(1)
        .load_best_model_at_end(true);
    let mut trainer = Trainer::new(&mut model, &f.tok, Some(&f.corpus), None, &opts).unwrap();
    let info = trainer.info().unwrap();
    assert_eq!(info.total_steps, 6);
    assert_eq!(info.train_examples + info.eval_examples, 120);
    assert_eq!(info.eval_examples, 24);
    assert!(info.train_padding_share > 0.0 && info.train_padding_share < 0.5);
    assert_eq!(info.best_metric, None);
    let before = trainer.evaluate().unwrap();
    assert!(before.loss > 0.0 && before.perplexity > 1.0);

    let mut steps = Vec::new();
    let (mut evals, mut checkpoints) = (0, 0);
    trainer
        .train_with_progress(|ev| {
            match ev.kind {
                EventKind::TrainStep => steps.push((ev.current, ev.loss)),
                EventKind::Eval => {
                    evals += 1;
                    assert!(ev.eval_loss > 0.0);
                }
                EventKind::Checkpoint => {
                    checkpoints += 1;
                    assert!(ev
                        .path
                        .unwrap()
                        .ends_with(format!("checkpoint-{}", ev.current)));
                }
                _ => {}
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(
        steps.iter().map(|s| s.0).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    assert!(steps.iter().all(|s| s.1.is_finite() && s.1 > 0.0));
    assert_eq!((evals, checkpoints), (2, 2));
    let after = trainer.evaluate().unwrap();
    assert!(
        after.loss < before.loss,
        "{} -> {}",
        before.loss,
        after.loss
    );
    let info = trainer.info().unwrap();
    assert_eq!(info.global_step, 6);
    assert!(info.best_metric.unwrap().is_finite());
    let best = info.best_checkpoint.unwrap();
    assert!(best.to_string_lossy().contains("checkpoint-"));
    assert!(out.join("checkpoint-6/trainer_state.json").exists());
    drop(trainer);

    // The final model and tokenizer load back; the trained model is the same handle.
    let loaded = Model::load(&out).unwrap();
    Tokenizer::load(&out).unwrap();
    let q = "the [MASK] said that the people were good.";
    let o = FillMaskOptions::default().threads(1);
    assert_eq!(
        loaded.fill_mask(&f.tok, q, &o).unwrap()[0][0].token,
        model.fill_mask(&f.tok, q, &o).unwrap()[0][0].token
    );

    // A second run on the same files uses the encoded-dataset cache.
    let trainer = Trainer::new(&mut model, &f.tok, Some(&f.corpus), None, &opts).unwrap();
    assert!(trainer.info().unwrap().cache_hit);
}

fn run_steps(trainer: &mut Trainer<'_>, n: usize) -> Vec<f64> {
    (0..n).map(|_| trainer.step().unwrap().loss).collect()
}

#[test]
fn resume_gives_the_same_losses() {
    let f = fixture("resume");
    let out = f.dir.join("resume");
    let opts = tiny_options(&out)
        .eval_split(0.0)
        .batch_size(16) // 120 lines / 16: 12 steps cross an epoch boundary
        .max_steps(12);
    let straight = {
        let mut m = tiny_model(64);
        let mut t = Trainer::new(&mut m, &f.tok, Some(&f.corpus), None, &opts).unwrap();
        run_steps(&mut t, 12)
    };
    let mut resumed = {
        let mut m = tiny_model(64);
        let mut t = Trainer::new(&mut m, &f.tok, Some(&f.corpus), None, &opts).unwrap();
        let losses = run_steps(&mut t, 5);
        let path = t.save_checkpoint().unwrap();
        assert!(path.ends_with("checkpoint-5"), "{}", path.display());
        losses
    };
    let mut m = tiny_model(64);
    let mut t = Trainer::new(&mut m, &f.tok, Some(&f.corpus), None, &opts).unwrap();
    t.resume(None).unwrap();
    assert_eq!(t.info().unwrap().global_step, 5);
    resumed.extend(run_steps(&mut t, 7));
    // Bit-identical, as an uninterrupted run.
    assert_eq!(straight, resumed);
    drop(t);

    // Resuming into a different model config is refused with bertc's reason.
    let mut other = tiny_model(48);
    let mut t2 = Trainer::new(&mut other, &f.tok, Some(&f.corpus), None, &opts).unwrap();
    let err = t2.resume(None).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("model config"), "{err}");
    let err = t2.resume(Some(&out.join("checkpoint-999"))).unwrap_err();
    assert_eq!(err.status(), Status::Io);
}

#[test]
fn cancel_then_continue() {
    let f = fixture("cancel");
    let mut model = tiny_model(64);
    let opts = tiny_options(&f.dir.join("cancel"));
    let mut trainer = Trainer::new(&mut model, &f.tok, Some(&f.corpus), None, &opts).unwrap();
    let err = trainer
        .train_with_progress(|ev| {
            if ev.kind == EventKind::TrainStep && ev.current >= 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap_err();
    assert_eq!(err.status(), Status::Cancelled);
    assert_eq!(trainer.info().unwrap().global_step, 2);
    trainer.train().unwrap(); // continues
    assert_eq!(trainer.info().unwrap().global_step, 6);

    // A cancelled step is complete and counted.
    let err = trainer
        .step_with_progress(|_| ControlFlow::Break(()))
        .unwrap_err();
    assert_eq!(err.status(), Status::Cancelled);
    assert_eq!(trainer.info().unwrap().global_step, 7);
}

#[test]
fn panic_in_callback_cancels_and_resumes_the_panic() {
    let f = fixture("panic");
    let mut model = tiny_model(64);
    let opts = tiny_options(&f.dir.join("panic"));
    let mut trainer = Trainer::new(&mut model, &f.tok, Some(&f.corpus), None, &opts).unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        trainer.train_with_progress(|ev| {
            if ev.current == 3 {
                panic!("stop at 3");
            }
            ControlFlow::Continue(())
        })
    }));
    let payload = result.expect_err("the panic reaches the caller");
    assert_eq!(payload.downcast_ref::<&str>().copied(), Some("stop at 3"));
    // The C call was cancelled cleanly; the trainer carries on.
    assert_eq!(trainer.info().unwrap().global_step, 3);
    trainer.train().unwrap();
    assert_eq!(trainer.info().unwrap().global_step, 6);
}

#[test]
fn callback_reads_the_model() {
    let f = fixture("reentry");
    let mut model = tiny_model(64);
    let save_dir = f.dir.join("from_callback");
    let opts = tiny_options(&f.dir.join("reentry"))
        .eval_split(0.0)
        .max_steps(2)
        .save_final_model(false);
    let mut trainer = Trainer::new(&mut model, &f.tok, Some(&f.corpus), None, &opts).unwrap();
    let mut seen = 0;
    let step = trainer
        .step_with_progress(|ev| {
            let model = ev.model().expect("trainer events carry the model");
            let preds = model
                .fill_mask(&f.tok, "the [MASK] said.", &FillMaskOptions::default())
                .unwrap();
            assert_eq!(preds[0].len(), 5);
            model.save(&save_dir).unwrap();
            assert_eq!(model.config().unwrap().hidden_size, 32);
            model
                .score_text(&f.tok, &["the man said."], &FillMaskOptions::default())
                .unwrap();
            seen += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(step.step, 1);
    assert!(seen >= 1);
    assert!(save_dir.join("model.safetensors").exists());
    // The callback's calls leave no message behind the outer call's success.
    assert_eq!(bertc::last_warning(), None);
    // Between calls the trainer lends the model out for reading.
    trainer
        .model()
        .fill_mask(&f.tok, "the [MASK] said.", &FillMaskOptions::default())
        .unwrap();
    trainer.step().unwrap();
}

#[test]
fn memory_data_and_step_batch() {
    let tok = Tokenizer::load(brown_8000()).unwrap();
    let mut model = tiny_model(64);
    let seqs: Vec<Vec<i32>> = (0..8)
        .map(|s| (0..5).map(|i| 100 + ((s * 5 + i) * 37) % 900).collect())
        .collect();
    let data = TrainData::sequences(&seqs);
    assert_eq!(
        data,
        TrainData::token_ids(seqs.concat(), (0..=8).map(|s| s * 5).collect())
    );
    let opts = TrainerOptions::default()
        .max_length(32)
        .batch_size(4)
        .learning_rate(1e-3)
        .max_steps(6)
        .threads(1)
        .seed(3)
        .save_final_model(false)
        .eval_split(0.0);
    let mut trainer = Trainer::new(&mut model, &tok, Some(&data), None, &opts).unwrap();
    let r = trainer.step().unwrap();
    assert_eq!(r.step, 1);
    assert!(r.loss.is_finite() && r.masked_tokens > 0);

    // A caller's batch with its own labels: [CLS] w [MASK] w [SEP] [PAD].
    let mut batch = vec![2, 150, 4, 170, 3, 0, 2, 151, 152, 4, 3, 0];
    let labels = [
        -100, -100, 160, -100, -100, -100, -100, -100, -100, 153, -100, -100,
    ];
    let r = trainer.step_batch(&batch, 6, None, Some(&labels)).unwrap();
    assert_eq!((r.step, r.masked_tokens, r.tokens), (2, 2, 10));
    let mask = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0];
    trainer.step_batch(&batch, 6, Some(&mask), None).unwrap(); // the collator masks
                                                               // Shapes are checked on the Rust side (the library would read past the slices).
    let err = trainer.step_batch(&batch, 5, None, None).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = trainer
        .step_batch(&batch, 6, None, Some(&labels[..6]))
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    // Values are checked by the library.
    batch[1] = 8000;
    let err = trainer.step_batch(&batch, 6, None, None).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = trainer.step_batch(&[], 6, None, None).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = trainer.save_checkpoint().unwrap_err(); // no output_dir
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = trainer.evaluate().unwrap_err(); // no eval data
    assert_eq!(err.status(), Status::InvalidArgument);
    drop(trainer);

    // A trainer fed only through step_batch; eval data from memory.
    let eval = TrainData::sequences(&seqs[..2]);
    let mut trainer = Trainer::new(&mut model, &tok, None, Some(&eval), &opts).unwrap();
    trainer
        .step_batch(&[2, 150, 151, 3], 4, None, None)
        .unwrap();
    assert!(trainer.evaluate().unwrap().masked_tokens > 0);
    assert!(trainer.step().is_err()); // no training data
    drop(trainer);

    // Bad in-memory data.
    let bad = TrainData::token_ids(vec![100, 9000], vec![0, 2]);
    let err = Trainer::new(&mut model, &tok, Some(&bad), None, &opts).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let short = TrainData::token_ids(vec![100, 101], vec![0, 5]);
    let err = Trainer::new(&mut model, &tok, Some(&short), None, &opts).unwrap_err();
    assert!(err.message().starts_with("bertc (rust)"), "{err}");
    let err = Trainer::new(
        &mut model,
        &tok,
        Some(&TrainData::token_ids(vec![], vec![])),
        None,
        &opts,
    )
    .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
}

#[test]
fn trainer_errors_name_the_problem() {
    let f = fixture("errors");
    let mut model = tiny_model(64);
    let missing = TrainData::files([f.dir.join("missing.txt")]);
    let opts = tiny_options(&f.dir.join("errors"));
    let err = Trainer::new(&mut model, &f.tok, Some(&missing), None, &opts).unwrap_err();
    assert_eq!(err.status(), Status::Io);
    assert!(err.message().contains("missing.txt"), "{err}");
    let err = Trainer::new(
        &mut model,
        &f.tok,
        Some(&f.corpus),
        None,
        &opts.clone().mlm_probability(1.5),
    )
    .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("mlm_probability"), "{err}");
    // Vocabulary mismatch between model and tokenizer.
    let mut small = Model::create(
        &ModelConfig::default()
            .vocab_size(100)
            .hidden_size(8)
            .num_hidden_layers(1)
            .num_attention_heads(2)
            .intermediate_size(8),
    )
    .unwrap();
    let err = Trainer::new(&mut small, &f.tok, Some(&f.corpus), None, &opts).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    // JSONL data with a field.
    let jsonl = f.dir.join("train.jsonl");
    let lines: Vec<String> = corpus_lines(40)
        .iter()
        .map(|l| format!("{{\"text\": \"{l}\"}}"))
        .collect();
    write_lines(&jsonl, &lines);
    let data = TrainData::jsonl([&jsonl], "text");
    let trainer = Trainer::new(&mut model, &f.tok, Some(&data), None, &opts).unwrap();
    assert_eq!(
        trainer.info().unwrap().train_examples + trainer.info().unwrap().eval_examples,
        40
    );
}

/// Two ranks of a data-parallel run (threads here; processes or machines in real use) make the same
/// updates and say who is who; a rank alone fails its rendezvous with an I/O error naming it.
#[test]
fn data_parallel_ranks_train_in_step() {
    let f = fixture("data_parallel");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let master = format!("127.0.0.1:{port}");
    let tok = &f.tok;
    let corpus = &f.corpus;
    let results: Vec<(i32, i32, Vec<f64>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|r| {
                let master = master.clone();
                s.spawn(move || {
                    let mut model = tiny_model(64);
                    let opts = TrainerOptions::default()
                        .max_length(32)
                        .batch_size(4)
                        .max_steps(3)
                        .threads(1)
                        .eval_split(0.0)
                        .save_final_model(false)
                        .world_size(2)
                        .rank(r)
                        .master(master)
                        .dist_timeout_seconds(60.0);
                    let mut t = Trainer::new(&mut model, tok, Some(corpus), None, &opts).unwrap();
                    let info = t.info().unwrap();
                    (info.rank, info.world_size, run_steps(&mut t, 3))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!((results[0].0, results[0].1), (0, 2));
    assert_eq!((results[1].0, results[1].1), (1, 2));
    assert_eq!(results[0].2, results[1].2);

    let mut model = tiny_model(64);
    let lonely = TrainerOptions::default()
        .max_length(32)
        .save_final_model(false)
        .world_size(2)
        .rank(1)
        .master("127.0.0.1:9")
        .dist_timeout_seconds(1.0);
    let err = Trainer::new(&mut model, tok, Some(corpus), None, &lonely).unwrap_err();
    assert_eq!(err.status(), Status::Io);
    assert!(err.message().contains("could not rendezvous"), "{err}");
}
