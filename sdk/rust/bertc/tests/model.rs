//! Model: create/load/save/config, loading from memory (copied and borrowed), fill-mask and scoring
//! against the Hugging Face numbers the C tests use (tests/fixtures/model/tiny_fill_mask.json).
mod common;

use bertc::{FillMaskOptions, Model, ModelConfig, Status, Tokenizer};
use common::{tiny_mlm, TempDir};

fn tiny() -> (Model, Tokenizer) {
    (
        Model::load(tiny_mlm()).unwrap(),
        Tokenizer::load(tiny_mlm()).unwrap(),
    )
}

fn small_config() -> ModelConfig {
    ModelConfig::default()
        .vocab_size(1000)
        .hidden_size(16)
        .num_hidden_layers(1)
        .num_attention_heads(2)
        .intermediate_size(32)
        .max_position_embeddings(32)
        .seed(7)
}

#[test]
fn config_defaults_come_from_the_library() {
    let c = ModelConfig::default();
    assert_eq!(c.vocab_size, 30522);
    assert_eq!(c.hidden_size, 768);
    assert_eq!(c.hidden_act, "gelu");
    assert_eq!(c.position_embedding_type, "absolute");
    assert_eq!(c.seed, 42);
}

#[test]
fn fill_mask_matches_hugging_face() {
    let (model, tok) = tiny();
    let preds = model
        .fill_mask(
            &tok,
            "the [MASK] of the house.",
            &FillMaskOptions::default(),
        )
        .unwrap();
    assert_eq!(preds.len(), 1);
    assert_eq!(preds[0].len(), 5);
    let p = &preds[0][0];
    assert_eq!(p.token_id, 966);
    assert_eq!(p.token, "ref");
    assert_eq!(p.sequence, "the ref of the house.");
    assert!((p.score - 0.0273260903).abs() < 1e-6, "{}", p.score);
    assert_eq!(p.token_ids, [966]);
    assert_eq!(preds[0][3].token, "##ue");
    assert_eq!(preds[0][3].sequence, "theue of the house.");

    // Two masks: special tokens kept in the sequence, as HF does.
    let preds = model
        .fill_mask(&tok, "a [MASK] and a [MASK].", &FillMaskOptions::default())
        .unwrap();
    assert_eq!(preds.len(), 2);
    assert_eq!(preds[1][0].token_id, 359);
    assert_eq!(preds[1][0].sequence, "[CLS] a [MASK] and aage. [SEP]");
}

#[test]
fn fill_mask_targets_top_k_and_expansion() {
    let (model, tok) = tiny();
    let opts = FillMaskOptions::default()
        .top_k(3)
        .targets(["people", "church"]);
    let preds = model
        .fill_mask(&tok, "the first [MASK] in the state", &opts)
        .unwrap();
    assert_eq!(preds[0].len(), 2); // capped to the 2 targets
    assert_eq!(preds[0][0].token, "church");
    assert!((preds[0][0].score - 0.00503313402).abs() < 1e-7);
    assert_eq!(preds[0][1].token, "people");

    let opts = FillMaskOptions::default()
        .targets(["housework"])
        .expand_multi_piece_targets(true)
        .threads(1);
    let preds = model
        .fill_mask(&tok, "the first [MASK] in the state", &opts)
        .unwrap();
    let p = &preds[0][0];
    assert!(p.token_ids.len() > 1);
    assert_eq!(p.token, "housework");
    assert_eq!(p.sequence, "the first housework in the state");
    assert!(p.score > 0.0 && p.score < 1.0);

    // An empty target list is a mistake, not "the whole vocabulary".
    let opts = FillMaskOptions::default().targets(Vec::<String>::new());
    let err = model
        .fill_mask(&tok, "the first [MASK] in the state", &opts)
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("num_targets"), "{err}");
}

#[test]
fn fill_mask_batch_and_errors() {
    let (model, tok) = tiny();
    let texts = [
        "[MASK]",
        "the [MASK] of the house.",
        "a [MASK] and a [MASK].",
    ];
    let out = model
        .fill_mask_batch(&tok, &texts, &FillMaskOptions::default())
        .unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(out[0][0][0].token, "life");
    assert_eq!(out[1][0][0].token, "ref");
    assert_eq!(out[2].len(), 2);
    let none: [&str; 0] = [];
    assert!(model
        .fill_mask_batch(&tok, &none, &FillMaskOptions::default())
        .unwrap()
        .is_empty());
    let err = model
        .fill_mask_batch(&tok, &["a [MASK]", "nothing"], &FillMaskOptions::default())
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("query 1"), "{err}");

    let err = model
        .fill_mask(&tok, "no mask token here", &FillMaskOptions::default())
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("no mask token"), "{err}");
    let err = model
        .fill_mask(&tok, "a [MASK]", &FillMaskOptions::default().top_k(0))
        .unwrap_err();
    assert!(err.message().contains("top_k"), "{err}");
    let long = format!("{}[MASK]", "the ".repeat(70));
    let err = model
        .fill_mask(&tok, &long, &FillMaskOptions::default())
        .unwrap_err();
    assert!(err.message().contains("max_position_embeddings"), "{err}");
    // Display shows bertc's message and the status name.
    assert!(err.to_string().contains("invalid argument"), "{err}");

    // Vocabulary mismatch between model and tokenizer.
    let other = Model::create(&small_config().vocab_size(999)).unwrap();
    let err = other
        .fill_mask(&tok, "a [MASK]", &FillMaskOptions::default())
        .unwrap_err();
    assert!(err.message().contains("vocab"), "{err}");
}

#[test]
fn score_text() {
    let (model, tok) = tiny();
    let texts = ["the man of the house.", "", "house the of man the."];
    let scores = model
        .score_text(&tok, &texts, &FillMaskOptions::default())
        .unwrap();
    assert_eq!(scores.len(), 3);
    assert!(scores[0].log_likelihood < 0.0);
    assert!(scores[2].log_likelihood < 0.0);
    assert_eq!(scores[1].log_likelihood, 0.0);
    assert_eq!(scores[1].num_tokens, 0);
    assert_eq!(scores[0].num_tokens, scores[2].num_tokens);
    assert!(scores[0].num_tokens >= 5);
    let again = model
        .score_text(&tok, &texts[..1], &FillMaskOptions::default().threads(1))
        .unwrap();
    assert!((again[0].log_likelihood - scores[0].log_likelihood).abs() < 1e-4);
    let long = "the ".repeat(70);
    let err = model
        .score_text(&tok, &[long], &FillMaskOptions::default())
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
}

#[test]
fn create_save_load_config() {
    let model = Model::create(&small_config()).unwrap();
    let config = model.config().unwrap();
    assert_eq!(config, small_config());
    let n = model.num_parameters().unwrap();
    assert!(n > 16 * 1000, "{n}");
    // The same seed gives the same weights.
    let tok = Tokenizer::load(tiny_mlm()).unwrap();
    let opts = FillMaskOptions::default().top_k(3);
    let a = model.fill_mask(&tok, "the [MASK] house", &opts).unwrap();
    let b = Model::create(&small_config())
        .unwrap()
        .fill_mask(&tok, "the [MASK] house", &opts)
        .unwrap();
    assert_eq!(a, b);

    let dir = TempDir::new("model_save");
    model.save(dir.path()).unwrap();
    assert!(dir.join("config.json").exists());
    assert!(dir.join("model.safetensors").exists());
    let loaded = Model::load(dir.path()).unwrap();
    assert_eq!(loaded.num_parameters().unwrap(), n);
    let loaded_config = loaded.config().unwrap();
    assert_eq!(loaded_config.hidden_size, 16);
    assert_eq!(loaded_config.seed, 0); // config.json records no seed
    assert_eq!(
        loaded.fill_mask(&tok, "the [MASK] house", &opts).unwrap(),
        a
    );

    // Invalid configurations are refused by the library.
    let err = Model::create(&small_config().hidden_size(15)).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = Model::create(&small_config().hidden_act("nope")).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = Model::create(&small_config().position_embedding_type("relative_key")).unwrap_err();
    assert_eq!(err.status(), Status::Unsupported);
}

#[test]
fn load_from_memory_copied_and_borrowed() {
    let (model, tok) = tiny();
    let config = std::fs::read(tiny_mlm().join("config.json")).unwrap();
    let weights = std::fs::read(tiny_mlm().join("model.safetensors")).unwrap();
    let text = "the [MASK] of the house.";
    let opts = FillMaskOptions::default();
    let want = model.fill_mask(&tok, text, &opts).unwrap();

    let copied = Model::load_from_memory(&config, &weights).unwrap();
    assert_eq!(copied.fill_mask(&tok, text, &opts).unwrap(), want);

    // Borrowed: zero-copy, tied to `weights` by the borrow checker.
    let mut borrowed = Model::load_borrowed(&config, &weights).unwrap();
    assert_eq!(borrowed.fill_mask(&tok, text, &opts).unwrap(), want);
    assert_eq!(
        borrowed.num_parameters().unwrap(),
        model.num_parameters().unwrap()
    );
    // Training a borrowed model copies the trained weights; the buffer is never written.
    let before = weights.clone();
    {
        let data = bertc::TrainData::sequences([[10, 11, 12, 13], [14, 15, 16, 17]]);
        let opts = bertc::TrainerOptions::default()
            .batch_size(2)
            .max_length(8)
            .eval_split(0.0)
            .save_final_model(false)
            .threads(1);
        let mut trainer = borrowed.trainer(&tok, Some(&data), None, &opts).unwrap();
        trainer.step().unwrap();
    }
    assert_eq!(weights, before);
    drop(borrowed);

    let err = Model::load_from_memory(&config, &weights[..weights.len() / 2]).unwrap_err();
    assert_eq!(err.status(), Status::Format);
    let err = Model::load_from_memory(b"{", &weights).unwrap_err();
    assert_eq!(err.status(), Status::Format);
}
