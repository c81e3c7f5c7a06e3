//! Thread-safety: 8 threads sharing one Tokenizer and one Model (std::thread::scope) get the
//! single-threaded results; Send/Sync exactly as the header promises, checked at compile time.
mod common;

use bertc::{
    BorrowedModel, EncodeOptions, Encoding, Event, FillMaskOptions, Model, ModelView, Prediction,
    Tokenizer, Trainer,
};
use common::{tiny_mlm, SMALL_CORPUS};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

/// Compiles only when `T` is not `Sync` (two candidate impls make the call ambiguous otherwise).
trait AmbiguousIfSync<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfSync<()> for T {}
impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}

/// Compiles only when `T` is not `Send`.
trait AmbiguousIfSend<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}

#[test]
fn send_sync_as_the_header_promises() {
    assert_send_sync::<Tokenizer>();
    assert_send_sync::<Model>();
    assert_send_sync::<BorrowedModel<'static>>();
    assert_send_sync::<Encoding>();
    assert_send_sync::<Prediction>();
    assert_send_sync::<bertc::Error>();
    assert_send::<Trainer<'static>>();
    <Trainer<'static> as AmbiguousIfSync<_>>::check();
    // What a progress callback sees stays on the callback's thread.
    <Event<'static> as AmbiguousIfSend<_>>::check();
    <Event<'static> as AmbiguousIfSync<_>>::check();
    <ModelView<'static> as AmbiguousIfSend<_>>::check();
    <ModelView<'static> as AmbiguousIfSync<_>>::check();
}

const QUERIES: [&str; 3] = [
    "the [MASK] of the house.",
    "a [MASK] and a [MASK].",
    "the first [MASK] in the state",
];

struct Expected {
    ids: Vec<Vec<i32>>,
    batch: Vec<Vec<i32>>,
    fills: Vec<Vec<Vec<Prediction>>>,
    scores: Vec<f64>,
}

fn run(tok: &Tokenizer, model: &Model, threads: usize) -> Expected {
    let fm = FillMaskOptions::default().threads(threads);
    Expected {
        ids: SMALL_CORPUS
            .iter()
            .map(|t| tok.encode(t).unwrap().ids().to_vec())
            .collect(),
        batch: tok
            .encode_batch(&SMALL_CORPUS, &EncodeOptions::default().threads(2))
            .unwrap()
            .rows()
            .map(|r| r.ids().to_vec())
            .collect(),
        fills: QUERIES
            .iter()
            .map(|q| model.fill_mask(tok, q, &fm).unwrap())
            .collect(),
        scores: model
            .score_text(tok, &SMALL_CORPUS[..2], &fm)
            .unwrap()
            .iter()
            .map(|s| s.log_likelihood)
            .collect(),
    }
}

#[test]
fn eight_threads_share_one_tokenizer_and_one_model() {
    let tok = Tokenizer::load(tiny_mlm()).unwrap();
    let model = Model::load(tiny_mlm()).unwrap();
    let want = run(&tok, &model, 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (tok, model) = (&tok, &model);
                s.spawn(move || (0..5).map(|_| run(tok, model, i % 3)).collect::<Vec<_>>())
            })
            .collect();
        for h in handles {
            for got in h.join().unwrap() {
                assert_eq!(got.ids, want.ids);
                assert_eq!(got.batch, want.batch);
                for (g, w) in got.fills.iter().zip(&want.fills) {
                    for (gm, wm) in g.iter().zip(w) {
                        for (gp, wp) in gm.iter().zip(wm) {
                            assert_eq!((gp.token_id, &gp.sequence), (wp.token_id, &wp.sequence));
                            assert!((gp.score - wp.score).abs() <= 1e-6 * wp.score.abs().max(1.0));
                        }
                    }
                }
                for (g, w) in got.scores.iter().zip(&want.scores) {
                    assert!((g - w).abs() < 1e-4, "{g} vs {w}");
                }
            }
        }
    });
}

#[test]
fn handles_move_between_threads() {
    let tok = Tokenizer::load(tiny_mlm()).unwrap();
    let enc = tok.encode(SMALL_CORPUS[0]).unwrap();
    let want = enc.ids().to_vec();
    let (tok, enc) = std::thread::spawn(move || {
        assert_eq!(enc.ids(), want);
        (tok, enc)
    })
    .join()
    .unwrap();
    drop(tok); // encodings stay valid after their tokenizer is freed (bertc.h)
    assert!(!enc.ids().is_empty());
}
