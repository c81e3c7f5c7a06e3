//! The whole bertc pipeline from Rust on a few hundred Brown sentences: train a WordPiece
//! tokenizer, create a tiny BERT, pre-train it a few steps with a progress closure, save it,
//! reload it, ask fill-mask for the top 5, fine-tune it as a genre classifier (when the corpus has
//! train.genre.jsonl) and handle an error.
//!
//!     cargo run -p bertc-example-pipeline [BROWN_DIR]
//!
//! BROWN_DIR holds train.txt and optionally train.genre.jsonl (default: $BERTC_BROWN_DIR, else
//! ../shared/data/brown next to the checkout). Writes bertc_rust_pipeline/ and
//! bertc_rust_pipeline.txt (and .jsonl) in the temp directory.
use std::ops::ControlFlow;
use std::path::PathBuf;

use bertc::{ClassifyOptions, FillMaskOptions, Model, ModelConfig, Tokenizer, TokenizerOptions};
use bertc::{EventKind, Task, TaskOptions, TrainData, Trainer, TrainerOptions};

const BROWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/brown");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = std::env::args().nth(1).or(std::env::var("BERTC_BROWN_DIR").ok());
    let brown = PathBuf::from(arg.unwrap_or(BROWN.into()));
    let out = std::env::temp_dir().join("bertc_rust_pipeline");
    let corpus = out.with_extension("txt");

    // 1. 400 sentences, and a WordPiece tokenizer trained on them.
    let text = std::fs::read_to_string(brown.join("train.txt"))?;
    std::fs::write(&corpus, text.lines().take(400).collect::<Vec<_>>().join("\n"))?;
    let tok = Tokenizer::train(&[&corpus], &TokenizerOptions::default().vocab_size(1500))?;

    // 2. A tiny BERT sized for the vocabulary.
    let config = ModelConfig::default().hidden_size(64).intermediate_size(128).num_hidden_layers(2);
    let mut model = Model::create(&config.num_attention_heads(2).vocab_size(tok.vocab_size()))?;

    // 3. Pre-train 40 masked-LM steps; the closure sees each logged step (Break would cancel).
    let opts = TrainerOptions::default().max_length(64).batch_size(16).learning_rate(3e-3);
    let opts = opts.max_steps(40).logging_steps(10).eval_split(0.0).save_final_model(false);
    let data = TrainData::files([&corpus]);
    Trainer::new(&mut model, &tok, Some(&data), None, &opts)?.train_with_progress(|ev| {
        println!("{:?} {:>2}/{}  loss {:.3}", ev.kind, ev.current, ev.total, ev.loss);
        ControlFlow::Continue(())
    })?;

    // 4. Save, reload, fill-mask.
    tok.save(&out)?;
    model.save(&out)?;
    let (tok, model) = (Tokenizer::load(&out)?, Model::load(&out)?);
    for p in &model.fill_mask(&tok, "the [MASK] of the house.", &FillMaskOptions::default())?[0] {
        println!("{:>12} {:.4}  {}", p.token, p.score, p.sequence);
    }

    // 5. Fine-tune the pre-trained model as a genre classifier on 400 labelled sentences
    //    ({"text", "label"} JSON Lines): a new head with the data's labels, 30 steps, evaluated on
    //    a held-out 10% by accuracy and macro-F1, then classify.
    if let Ok(genre) = std::fs::read_to_string(brown.join("train.genre.jsonl")) {
        let labelled = out.with_extension("jsonl");
        std::fs::write(&labelled, genre.lines().take(400).collect::<Vec<_>>().join("\n"))?;
        let data = TrainData::files([&labelled]);
        let labels = data.label_names(Task::SequenceClassification)?;
        let head = TaskOptions::new(Task::SequenceClassification).labels(labels);
        let mut classifier = Model::load_for_task(&out, &head)?; // HF's "newly initialized" warning
        let opts = TrainerOptions::default().max_length(64).batch_size(16).learning_rate(3e-4);
        let opts = opts.max_steps(30).logging_steps(0).eval_steps(30).save_final_model(false);
        Trainer::new(&mut classifier, &tok, Some(&data), None, &opts)?.train_with_progress(
            |ev| {
                if ev.kind == EventKind::Eval {
                    println!("eval accuracy {:.3}  macro-F1 {:.3}", ev.eval_accuracy, ev.eval_f1);
                }
                ControlFlow::Continue(())
            },
        )?;
        let texts =
            ["The jury said the election was conducted fairly.", "She looked at him and smiled."];
        for (text, c) in
            texts.iter().zip(classifier.classify(&tok, &texts, &ClassifyOptions::default())?)
        {
            println!("{:>10} {:.3}  {text}", c.label_name, c.score);
        }
    }

    // 6. Errors carry a bertc::Status and bertc's message.
    if let Err(e) = Model::load(out.join("no-such-model")) {
        println!("handled {:?} error: {}", e.status(), e.message());
    }
    Ok(())
}
