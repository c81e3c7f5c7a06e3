//! Tokenizer: training (files, lines, progress, cancellation), load/save (files and memory),
//! encode (single, pair, options, batch), decode, vocabulary lookups.
mod common;

use std::ops::ControlFlow;

use bertc::{
    DecodeOptions, EncodeOptions, EventKind, Padding, SpecialToken, Status, Tokenizer,
    TokenizerFile, TokenizerOptions, Truncation,
};
use common::{fixtures, TempDir, SMALL_CORPUS};

fn small_options() -> TokenizerOptions {
    TokenizerOptions::default()
        .vocab_size(150)
        .min_frequency(1)
        .threads(2)
}

fn train_small() -> Tokenizer {
    Tokenizer::train_from_lines(&SMALL_CORPUS, &small_options()).expect("train")
}

#[test]
fn defaults_come_from_the_library() {
    let t = TokenizerOptions::default();
    assert_eq!(t.vocab_size, 30522);
    assert_eq!(t.min_frequency, 2);
    assert!(t.lowercase);
    assert_eq!(t.special_tokens, None);
    let e = EncodeOptions::default();
    assert!(e.add_special_tokens);
    assert_eq!(e.truncation, Truncation::None);
    assert_eq!(e.padding, Padding::None);
    let d = DecodeOptions::default();
    assert!(!d.skip_special_tokens && d.cleanup);
}

#[test]
fn encode_decode_like_the_c_tests() {
    let tok = train_small();
    assert!(tok.vocab_size() <= 150);
    assert_eq!(tok.special_token_id(SpecialToken::Pad), Some(0));
    assert_eq!(tok.special_token_id(SpecialToken::Cls), Some(2));
    let cls = tok.special_token_id(SpecialToken::Cls).unwrap();
    let sep = tok.special_token_id(SpecialToken::Sep).unwrap();
    let mask = tok.special_token_id(SpecialToken::Mask).unwrap();

    let text = "the fox on [MASK].";
    let enc = tok.encode(text).unwrap();
    assert_eq!(enc.len(), 1);
    let row = enc.row(0).unwrap();
    let ids = row.ids();
    assert!(ids.len() >= 5);
    assert_eq!(ids, enc.ids());
    assert_eq!(ids[0], cls);
    assert_eq!(*ids.last().unwrap(), sep);
    let m = ids.iter().position(|&i| i == mask).expect("[MASK] kept");
    assert_eq!(row.offsets()[m].range(), 11..17);
    assert_eq!(&text[row.offsets()[m].range()], "[MASK]");
    assert_eq!(row.special_tokens_mask()[0], 1);
    assert_eq!(row.sequence_ids()[0], -1);
    assert_eq!(row.sequence_ids()[1], 0);
    assert_eq!(row.attention_mask(), vec![1; ids.len()]);
    assert_eq!(row.type_ids(), vec![0; ids.len()]);
    assert!(enc.row(1).is_none());

    let skip = DecodeOptions::default().skip_special_tokens(true);
    assert_eq!(tok.decode(ids, &skip).unwrap(), "the fox on.");
    assert_eq!(
        tok.decode(ids, &DecodeOptions::default()).unwrap(),
        "[CLS] the fox on [MASK]. [SEP]"
    );

    // split_special_tokens: "[MASK]" in the text is plain text.
    let split = EncodeOptions::default().split_special_tokens(true);
    let enc = tok.encode_with(text, None, &split).unwrap();
    assert!(!enc.ids().contains(&mask));

    // Pair + truncation + padding + overflow windows.
    let opts = EncodeOptions::default()
        .truncation(Truncation::OnlyFirst)
        .max_length(8)
        .stride(1)
        .return_overflowing(true)
        .padding(Padding::MaxLength)
        .pad_length(10);
    let enc = tok
        .encode_with(SMALL_CORPUS[0], Some("lazy dog"), &opts)
        .unwrap();
    assert!(enc.len() > 1);
    for (r, row) in enc.rows().enumerate() {
        assert_eq!(row.len(), 10);
        assert_eq!(row.input_index(), 0);
        assert_eq!(row.is_overflow(), r > 0);
        assert_eq!(row.attention_mask()[9], 0);
        assert_eq!(row.ids()[9], 0);
        assert_eq!(row.type_ids()[0], 0);
        assert!(row.type_ids().contains(&1));
    }

    // only_second without a pair: bertc refuses it.
    let err = tok
        .encode_with(
            SMALL_CORPUS[0],
            None,
            &opts.truncation(Truncation::OnlySecond),
        )
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(!err.message().is_empty());

    // Lookups.
    assert_eq!(tok.token_to_id("[SEP]"), Some(sep));
    assert_eq!(tok.token_to_id("no-such-token"), None);
    assert_eq!(tok.id_to_token(mask), Some("[MASK]"));
    assert_eq!(tok.id_to_token(-1), None);
    assert_eq!(tok.id_to_token(1 << 30), None);
}

#[test]
fn matches_hugging_face_bert_base_uncased() {
    let tok = Tokenizer::load(fixtures().join("tokenizer/bert_base_uncased")).unwrap();
    assert_eq!(tok.vocab_size(), 30522);
    let enc = tok
        .encode("The quick brown fox jumps over the lazy dog.")
        .unwrap();
    assert_eq!(
        enc.ids(),
        [101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102]
    );
    let enc = tok.encode_pair("Hello there", "good day").unwrap();
    let row = enc.row(0).unwrap();
    assert_eq!(row.ids(), [101, 7592, 2045, 102, 2204, 2154, 102]);
    assert_eq!(row.type_ids(), [0, 0, 0, 0, 1, 1, 1]);
    assert_eq!(row.sequence_ids(), [-1, 0, 0, -1, 1, 1, -1]);
}

#[test]
fn batch_encode_and_decode() {
    let tok = train_small();
    let enc = tok
        .encode_batch(&SMALL_CORPUS, &EncodeOptions::default())
        .unwrap();
    assert_eq!(enc.len(), SMALL_CORPUS.len());
    for (i, row) in enc.rows().enumerate() {
        assert_eq!(row.input_index(), i);
        assert_eq!(row.ids(), tok.encode(SMALL_CORPUS[i]).unwrap().ids());
    }
    // Padding LONGEST pads to the longest row of the batch.
    let padded = tok
        .encode_batch(
            &SMALL_CORPUS,
            &EncodeOptions::default().padding(Padding::Longest),
        )
        .unwrap();
    let longest = enc.rows().map(|r| r.len()).max().unwrap();
    assert!(padded.rows().all(|r| r.len() == longest));

    // Pairs.
    let pairs = tok
        .encode_pair_batch(
            &["a cat", "a dog"],
            &["the fox", "the bird"],
            &EncodeOptions::default(),
        )
        .unwrap();
    assert_eq!(pairs.len(), 2);
    assert_eq!(
        pairs.row(1).unwrap().ids(),
        tok.encode_pair("a dog", "the bird").unwrap().ids()
    );
    let err = tok
        .encode_pair_batch(&["a"], &["b", "c"], &EncodeOptions::default())
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);

    // An empty batch.
    let none: [&str; 0] = [];
    assert!(tok
        .encode_batch(&none, &EncodeOptions::default())
        .unwrap()
        .is_empty());

    // decode_batch gives what decode gives; an empty sequence decodes to "".
    let mut seqs: Vec<Vec<i32>> = enc.rows().map(|r| r.ids().to_vec()).collect();
    seqs.push(Vec::new());
    let skip = DecodeOptions::default().skip_special_tokens(true);
    let texts = tok.decode_batch(&seqs, &skip).unwrap();
    assert_eq!(texts.len(), seqs.len());
    for (ids, text) in seqs.iter().zip(&texts) {
        assert_eq!(text, &tok.decode(ids, &skip).unwrap());
    }
    assert_eq!(texts.last().unwrap(), "");
    // Text with NUL bytes and non-ASCII goes through pointer + length.
    assert!(tok.encode("a\0b caf\u{e9}").unwrap().ids().len() >= 4);
}

#[test]
fn train_from_files_with_progress_and_cancel() {
    let dir = TempDir::new("tok_train");
    let corpus = dir.join("corpus.txt");
    std::fs::write(&corpus, SMALL_CORPUS.join("\n")).unwrap();
    let mut kinds = Vec::new();
    let tok = Tokenizer::train_with_progress(&[&corpus], &small_options(), |ev| {
        kinds.push(ev.kind);
        assert!(ev.model().is_none());
        ControlFlow::Continue(())
    })
    .unwrap();
    assert!(kinds.contains(&EventKind::TokenizerCount));
    assert!(kinds.contains(&EventKind::TokenizerMerge));
    // Same tokenizer as from the lines.
    let from_lines = train_small();
    assert_eq!(tok.vocab_size(), from_lines.vocab_size());
    assert_eq!(
        tok.encode(SMALL_CORPUS[3]).unwrap().ids(),
        from_lines.encode(SMALL_CORPUS[3]).unwrap().ids()
    );

    // Break cancels: Err(Cancelled), no tokenizer.
    let mut calls = 0;
    let err = Tokenizer::train_from_lines_with_progress(&SMALL_CORPUS, &small_options(), |_| {
        calls += 1;
        ControlFlow::Break(())
    })
    .unwrap_err();
    assert_eq!(err.status(), Status::Cancelled);
    assert_eq!(calls, 1);

    // Options reach the library: special tokens and lowercase.
    let opts = small_options()
        .special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<extra>"])
        .lowercase(false);
    let tok = Tokenizer::train_from_lines(&SMALL_CORPUS, &opts).unwrap();
    assert_eq!(tok.token_to_id("<extra>"), Some(5));
    assert_ne!(
        tok.encode("The").unwrap().ids(),
        tok.encode("the").unwrap().ids()
    );
    let bad = small_options().special_tokens(["[PAD]", "[PAD]"]);
    let err = Tokenizer::train_from_lines(&SMALL_CORPUS, &bad).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let nul = small_options().unk_token("[U\0NK]");
    let err = Tokenizer::train_from_lines(&SMALL_CORPUS, &nul).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("NUL"), "{err}");
}

#[test]
fn panic_in_progress_is_caught_and_resumed() {
    let result = std::panic::catch_unwind(|| {
        Tokenizer::train_from_lines_with_progress(&SMALL_CORPUS, &small_options(), |_| {
            panic!("boom from the callback")
        })
    });
    let payload = result.expect_err("the panic comes back to the caller");
    assert_eq!(
        payload.downcast_ref::<&str>().copied(),
        Some("boom from the callback")
    );
    // The library is fine afterwards.
    assert!(train_small().vocab_size() > 0);
}

#[test]
fn save_load_and_memory_round_trips() {
    let tok = train_small();
    let dir = TempDir::new("tok_save");
    tok.save(dir.join("tok")).unwrap();
    tok.save(dir.join("only.json")).unwrap();
    tok.save(dir.join("only.txt")).unwrap();
    for file in ["vocab.txt", "tokenizer.json", "tokenizer_config.json"] {
        assert!(dir.join("tok").join(file).exists(), "{file}");
    }
    let text = SMALL_CORPUS[1];
    let want = tok.encode(text).unwrap().ids().to_vec();
    for path in ["tok", "only.json", "only.txt"] {
        let back = Tokenizer::load(dir.join(path)).unwrap();
        assert_eq!(back.encode(text).unwrap().ids(), want, "{path}");
    }

    // In memory: tokenizer.json alone, vocab.txt + tokenizer_config.json.
    let json = tok.save_to_memory(TokenizerFile::Json).unwrap();
    assert_eq!(json, std::fs::read(dir.join("only.json")).unwrap());
    assert_eq!(json[0], b'{');
    let back = Tokenizer::load_from_memory(&json, None).unwrap();
    assert_eq!(back.encode(text).unwrap().ids(), want);
    let vocab = tok.save_to_memory(TokenizerFile::Vocab).unwrap();
    let config = tok.save_to_memory(TokenizerFile::Config).unwrap();
    let back = Tokenizer::load_from_memory(&vocab, Some(&config)).unwrap();
    assert_eq!(back.encode(text).unwrap().ids(), want);

    // The fixture's files, read by hand, give the fixture's tokenizer.
    let tiny = common::tiny_mlm();
    let from_dir = Tokenizer::load(&tiny).unwrap();
    let from_mem = Tokenizer::load_from_memory(
        &std::fs::read(tiny.join("vocab.txt")).unwrap(),
        Some(&std::fs::read(tiny.join("tokenizer_config.json")).unwrap()),
    )
    .unwrap();
    assert_eq!(
        from_dir.encode(text).unwrap().ids(),
        from_mem.encode(text).unwrap().ids()
    );

    // Corrupt content: a format error with bertc's message.
    let err = Tokenizer::load_from_memory(b"{ not json", None).unwrap_err();
    assert_eq!(err.status(), Status::Format);
    assert!(!err.message().is_empty());
}
