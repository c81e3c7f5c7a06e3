//! No leaks across the boundary: 100,000 encode calls, 1,000 fill-mask calls and 1,000
//! classification and tagging calls (plus decode, batch and error paths) grow the resident set by
//! less than 1 MB after the first 1,000.
//! A test binary of its own, so no other test shares the process.
mod common;

use bertc::{ClassifyOptions, DecodeOptions, EncodeOptions, FillMaskOptions, Model, Tokenizer};
use common::{tiny_mlm, tiny_seqcls, tiny_tokcls};

/// Resident set size in KiB (/proc/self/status VmRSS).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

#[test]
fn no_growth_over_many_calls() {
    let tok = Tokenizer::load(tiny_mlm()).unwrap();
    let model = Model::load(tiny_mlm()).unwrap();
    let text = "The quick brown fox jumps over the lazy dog near the river bank.";
    let fm = FillMaskOptions::default().threads(1);
    let targets = FillMaskOptions::default()
        .threads(1)
        .targets(["people", "church"]);
    let batch = ["the man of the house.", "a new city and old time."];
    let skip = DecodeOptions::default().skip_special_tokens(true);

    let encode = |n: usize| {
        let mut total = 0usize;
        for i in 0..n {
            let enc = tok.encode(text).unwrap();
            total += enc.ids().len();
            if i % 100 == 0 {
                total += tok.decode(enc.ids(), &skip).unwrap().len();
                total += tok
                    .encode_batch(&batch, &EncodeOptions::default().threads(1))
                    .unwrap()
                    .len();
                total += tok.decode_batch(&[enc.ids()], &skip).unwrap().len();
                total += tok
                    .encode_with("a", Some("b"), &EncodeOptions::default())
                    .unwrap()
                    .len();
                assert!(Tokenizer::load("/nonexistent").is_err());
            }
        }
        total
    };
    let fill = |n: usize| {
        let mut total = 0f64;
        for i in 0..n {
            let opts = if i % 2 == 0 { &fm } else { &targets };
            total += model
                .fill_mask(&tok, "the first [MASK] in the state", opts)
                .unwrap()[0][0]
                .score;
            if i % 50 == 0 {
                total += model.score_text(&tok, &batch, &fm).unwrap()[0].log_likelihood;
                assert!(model.fill_mask(&tok, "no mask", &fm).is_err());
            }
        }
        total
    };

    let seq = Model::load(tiny_seqcls()).unwrap();
    let tagger = Model::load(tiny_tokcls()).unwrap();
    let co = ClassifyOptions::default().threads(1);
    let texts = [
        "The man said that the people of the house were good.",
        "He was in the world today!",
    ];
    let classify = |n: usize| {
        let mut total = 0f64;
        for i in 0..n {
            total += seq.classify(&tok, &texts, &co).unwrap()[0].score;
            total += tagger.tag(&tok, &texts, &co).unwrap()[1].groups[0].score;
            if i % 50 == 0 {
                total += tagger.tag_words(&tok, &[["He", "was"]], &co).unwrap()[0].words[1].score;
                assert!(seq.tag(&tok, &texts, &co).is_err());
            }
        }
        total
    };

    // Warm-up: the first 1,000 encodes and 100 fill-masks and classifications (allocator pools,
    // OpenMP, caches).
    encode(1_000);
    fill(100);
    classify(100);
    let before = rss_kib();
    let started = std::time::Instant::now();
    encode(99_000);
    fill(900);
    classify(900);
    let after = rss_kib();
    eprintln!(
        "RSS {before} KiB -> {after} KiB over 99,000 encodes + 900 fill-masks + 900 classify/tag ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    if common::sanitized() {
        eprintln!("sanitizer build: RSS growth not checked");
        return;
    }
    assert!(
        after < before + 1024,
        "RSS grew by {} KiB (from {before} to {after})",
        after.saturating_sub(before)
    );
}
