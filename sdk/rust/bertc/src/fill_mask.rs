//! Fill-mask and sentence scoring on a [`Model`] (Hugging Face `pipeline("fill-mask")`
//! semantics).
use std::mem::size_of_val;
use std::ptr::NonNull;

use bertc_sys as sys;

use crate::error::{check, Error, Result};
use crate::model::Model;
use crate::tokenizer::Tokenizer;
use crate::util::{flag, out_handle, slice, string_from_ptr, Texts};

/// Options of [`Model::fill_mask`], [`Model::fill_mask_batch`] and [`Model::score_text`]
/// (`bert_fill_mask_params`). `Default` takes the library's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FillMaskOptions {
    /// Predictions per `[MASK]`, in `[1, vocab_size]`; with targets it is capped at the number of
    /// distinct targets.
    pub top_k: usize,
    /// `None`: predict over the whole vocabulary. Otherwise the words to choose from (as HF: a
    /// word in the vocabulary is used as is, any other word by its first piece unless
    /// `expand_multi_piece_targets`). Scores stay probabilities over the whole vocabulary.
    /// `Some` of an empty list is an error.
    pub targets: Option<Vec<String>>,
    /// Beyond HF: a target of k > 1 pieces is predicted as k masks, left to right; its score is
    /// the joint probability.
    pub expand_multi_piece_targets: bool,
    /// Intra-op threads for this call; 0 = the free cores. With many concurrent callers 1 is usually
    /// best.
    pub threads: usize,
}

setters!(FillMaskOptions {
    top_k: usize,
    expand_multi_piece_targets: bool,
    threads: usize,
});

impl FillMaskOptions {
    /// Sets [`targets`](Self::targets) to `Some(words)`.
    #[must_use]
    pub fn targets<S: Into<String>>(mut self, words: impl IntoIterator<Item = S>) -> Self {
        self.targets = Some(words.into_iter().map(Into::into).collect());
        self
    }

    fn raw_defaults() -> sys::bert_fill_mask_params {
        let mut p = sys::bert_fill_mask_params::default();
        // SAFETY: p is a bert_fill_mask_params of the size passed.
        let code = unsafe { sys::bert_fill_mask_params_init(&mut p, size_of_val(&p)) };
        assert_eq!(code, sys::BERT_OK, "bert_fill_mask_params_init failed");
        p
    }
}

impl Default for FillMaskOptions {
    fn default() -> Self {
        let p = FillMaskOptions::raw_defaults();
        FillMaskOptions {
            top_k: p.top_k,
            targets: None,
            expand_multi_piece_targets: p.expand_multi_piece_targets != 0,
            threads: p.threads,
        }
    }
}

/// `bert_fill_mask_params` with the target arrays it points to.
struct RawFillMaskParams<'a> {
    params: sys::bert_fill_mask_params,
    _targets: Option<Texts<'a>>,
}

impl FillMaskOptions {
    fn to_raw(&self) -> RawFillMaskParams<'_> {
        let mut p = FillMaskOptions::raw_defaults();
        p.top_k = self.top_k;
        p.expand_multi_piece_targets = flag(self.expand_multi_piece_targets);
        p.threads = self.threads;
        let targets = self.targets.as_deref().map(Texts::new);
        if let Some(t) = &targets {
            // Never NULL (an empty Vec's pointer is dangling): `Some(vec![])` reaches the library
            // as "targets given, none usable", an error, not as "whole vocabulary".
            p.targets = t.ptrs.as_ptr();
            p.target_lengths = t.lens.as_ptr();
            p.num_targets = t.len();
        }
        RawFillMaskParams {
            params: p,
            _targets: targets,
        }
    }
}

/// One fill-mask prediction.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Prediction {
    /// Probability (joint probability for an expanded multi-piece target).
    pub score: f64,
    /// HF "token": the predicted id (first piece of an expanded target).
    pub token_id: i32,
    /// HF "token_str": the decoded token (the whole word when expanded).
    pub token: String,
    /// HF "sequence": the input with this prediction filled in (with special tokens when the text
    /// has several masks, so the other `[MASK]`s stay visible).
    pub sequence: String,
    /// All pieces of the prediction (one unless an expanded multi-piece target).
    pub token_ids: Vec<i32>,
}

/// The pseudo-log-likelihood of a text ([`Model::score_text`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TextScore {
    /// Sum of the natural-log probabilities of each token masked in turn (higher, closer to 0, is
    /// more plausible).
    pub log_likelihood: f64,
    /// Number of tokens scored (divide for a per-token average); 0 for an empty text.
    pub num_tokens: usize,
}

/// Owns a `bert_fill_mask_result` until the predictions are copied out.
struct FillMaskResult(NonNull<sys::bert_fill_mask_result>);

impl Drop for FillMaskResult {
    fn drop(&mut self) {
        // SAFETY: owned result, freed once.
        unsafe { sys::bert_fill_mask_result_free(self.0.as_ptr()) }
    }
}

impl FillMaskResult {
    /// query -> mask -> predictions, copied into Rust data.
    fn to_vec(&self) -> Result<Vec<Vec<Vec<Prediction>>>> {
        let r = self.0.as_ptr();
        // SAFETY: r is a valid result for all the accessor calls below; the prediction's strings
        // and arrays are copied while the result is alive.
        unsafe {
            let queries = sys::bert_fill_mask_result_num_queries(r);
            let mut out = Vec::with_capacity(queries);
            for q in 0..queries {
                let masks = sys::bert_fill_mask_result_num_masks(r, q);
                let mut per_mask = Vec::with_capacity(masks);
                for m in 0..masks {
                    let n = sys::bert_fill_mask_result_num_predictions(r, q, m);
                    let mut preds = Vec::with_capacity(n);
                    for k in 0..n {
                        let mut p = sys::bert_fill_mask_prediction {
                            struct_size: std::mem::size_of::<sys::bert_fill_mask_prediction>(),
                            ..Default::default()
                        };
                        check(sys::bert_fill_mask_result_get(r, q, m, k, &mut p))?;
                        preds.push(Prediction {
                            score: p.score,
                            token_id: p.token_id,
                            token: string_from_ptr(p.token),
                            sequence: string_from_ptr(p.sequence),
                            token_ids: slice(p.token_ids, p.num_token_ids).to_vec(),
                        });
                    }
                    per_mask.push(preds);
                }
                out.push(per_mask);
            }
            Ok(out)
        }
    }
}

impl Model {
    /// Predicts the tokens at every `[MASK]` of `text`: one list of predictions (most probable
    /// first) per mask. The text is never truncated (too long is an error, as in HF).
    ///
    /// Thread-safe: one model and tokenizer may serve any number of concurrent calls.
    pub fn fill_mask(
        &self,
        tokenizer: &Tokenizer,
        text: &str,
        options: &FillMaskOptions,
    ) -> Result<Vec<Vec<Prediction>>> {
        let params = options.to_raw();
        // SAFETY: valid handles; text valid for its length; params and its arrays valid.
        let result = out_handle(|out| unsafe {
            sys::bert_fill_mask(
                self.as_ptr(),
                tokenizer.as_ptr(),
                text.as_ptr().cast(),
                text.len(),
                &params.params,
                out,
            )
        })?;
        let mut queries = FillMaskResult(result).to_vec()?;
        queries
            .pop()
            .ok_or_else(|| Error::new(crate::Status::Internal, "bert_fill_mask: no query"))
    }

    /// [`fill_mask`](Self::fill_mask) for many texts run together as padded batches:
    /// `result[i]` belongs to `texts[i]`. Any invalid text fails the whole call.
    pub fn fill_mask_batch<S: AsRef<str>>(
        &self,
        tokenizer: &Tokenizer,
        texts: &[S],
        options: &FillMaskOptions,
    ) -> Result<Vec<Vec<Vec<Prediction>>>> {
        let params = options.to_raw();
        let texts = Texts::new(texts);
        // SAFETY: the arrays hold texts.len() entries valid for the call.
        let result = out_handle(|out| unsafe {
            sys::bert_fill_mask_batch(
                self.as_ptr(),
                tokenizer.as_ptr(),
                texts.ptrs.as_ptr(),
                texts.lens.as_ptr(),
                texts.len(),
                &params.params,
                out,
            )
        })?;
        FillMaskResult(result).to_vec()
    }

    /// Pseudo-log-likelihood of each text (every token but `[CLS]`/`[SEP]` masked in turn), to
    /// rank candidate sentences. Only `options.threads` is used.
    pub fn score_text<S: AsRef<str>>(
        &self,
        tokenizer: &Tokenizer,
        texts: &[S],
        options: &FillMaskOptions,
    ) -> Result<Vec<TextScore>> {
        let params = options.to_raw();
        let texts = Texts::new(texts);
        let mut scores = vec![0f64; texts.len()];
        let mut counts = vec![0usize; texts.len()];
        // SAFETY: input arrays hold texts.len() entries; output arrays are that long.
        check(unsafe {
            sys::bert_score_text(
                self.as_ptr(),
                tokenizer.as_ptr(),
                texts.ptrs.as_ptr(),
                texts.lens.as_ptr(),
                texts.len(),
                &params.params,
                scores.as_mut_ptr(),
                counts.as_mut_ptr(),
            )
        })?;
        Ok(scores
            .into_iter()
            .zip(counts)
            .map(|(log_likelihood, num_tokens)| TextScore {
                log_likelihood,
                num_tokens,
            })
            .collect())
    }
}
