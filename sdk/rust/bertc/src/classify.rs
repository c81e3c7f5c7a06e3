//! Text classification and tagging with a fine-tuned [`Model`] (Hugging Face
//! `pipeline("text-classification", top_k=None)` and `pipeline("token-classification",
//! aggregation_strategy="first")` semantics).
use std::mem::{size_of, size_of_val};
use std::ops::Range;
use std::ptr::NonNull;

use bertc_sys as sys;

use crate::error::{check, Result};
use crate::model::Model;
use crate::tokenizer::Tokenizer;
use crate::util::{flag, out_handle, slice, string_from_ptr, Texts};

/// Options of [`Model::classify`], [`Model::tag`] and [`Model::tag_words`]
/// (`bert_classify_params`). `Default` takes the library's defaults: batches of 32 texts, up to the
/// model's `max_position_embeddings` tokens per text (a longer text is an error, as in Hugging
/// Face's pipelines), all cores.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClassifyOptions {
    /// Texts per forward pass (sorted by length, padded to the longest).
    pub batch_size: usize,
    /// Tokens per text including `[CLS]`/`[SEP]`; 0 = the model's `max_position_embeddings`.
    pub max_length: usize,
    /// Cut a text longer than `max_length` instead of failing (tagging: the words beyond are not
    /// tagged).
    pub truncation: bool,
    /// Intra-op threads for this call; 0 = the free cores. With many concurrent callers 1 is usually
    /// best.
    pub threads: usize,
}

setters!(ClassifyOptions {
    batch_size: usize,
    max_length: usize,
    truncation: bool,
    threads: usize,
});

impl ClassifyOptions {
    fn raw_defaults() -> sys::bert_classify_params {
        let mut p = sys::bert_classify_params::default();
        // SAFETY: p is a bert_classify_params of the size passed.
        let code = unsafe { sys::bert_classify_params_init(&mut p, size_of_val(&p)) };
        assert_eq!(code, sys::BERT_OK, "bert_classify_params_init failed");
        p
    }

    fn to_raw(&self) -> sys::bert_classify_params {
        let mut p = ClassifyOptions::raw_defaults();
        p.batch_size = self.batch_size;
        p.max_length = self.max_length;
        p.truncation = flag(self.truncation);
        p.threads = self.threads;
        p
    }
}

impl Default for ClassifyOptions {
    fn default() -> Self {
        let p = ClassifyOptions::raw_defaults();
        ClassifyOptions {
            batch_size: p.batch_size,
            max_length: p.max_length,
            truncation: p.truncation != 0,
            threads: p.threads,
        }
    }
}

/// One text's classification ([`Model::classify`]): the softmax of the classifier's logits.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Classification {
    /// Id of the most probable label (the lowest id on ties).
    pub label: usize,
    /// Its name (config.json `id2label`, [`Model::labels`]`()[label]`).
    pub label_name: String,
    /// Its probability.
    pub score: f64,
    /// The probability of every label, by id.
    pub scores: Vec<f64>,
    /// The classifier's raw logits, by id.
    pub logits: Vec<f64>,
}

/// One tagged word ([`Model::tag`], [`Model::tag_words`]): the label of its first token.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TaggedWord {
    /// Byte offset of the word in the text (`tag_words`: in the words joined by single spaces).
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// `tag`: the word's index among the text's words; `tag_words`: the index of the input word
    /// (words that tokenize to nothing are left out).
    pub word_index: usize,
    /// Id of its label.
    pub label: usize,
    /// The label's name, with any `B-`/`I-` prefix.
    pub label_name: String,
    /// The label's probability at the word's first token.
    pub score: f64,
    /// The word's text (bytes `start..end`).
    pub word: String,
}

/// A run of adjacent words with one tag (Hugging Face's entity with `aggregation_strategy="first"`):
/// the same tag with `B-`/`I-` prefixes stripped, a `B-` tag starting a new group. Groups tagged
/// `"O"` are left out.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TagGroup {
    /// Byte offset of the first word.
    pub start: usize,
    /// One past the last byte of the last word.
    pub end: usize,
    /// Index of its first word in [`TaggedText::words`].
    pub first_word: usize,
    /// Words in the group.
    pub num_words: usize,
    /// The tag without its `B-`/`I-` prefix (HF `entity_group`).
    pub label_name: String,
    /// Mean of the words' scores.
    pub score: f64,
    /// The text of bytes `start..end` (HF's `word` decodes the tokens instead: same words,
    /// original casing kept here).
    pub text: String,
}

impl TagGroup {
    /// The group's words as a range of [`TaggedText::words`].
    pub fn words(&self) -> Range<usize> {
        self.first_word..self.first_word + self.num_words
    }
}

/// The tags of one text ([`Model::tag`], [`Model::tag_words`]): every word, and the groups
/// (entities) they form.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct TaggedText {
    /// Every tagged word, in order.
    pub words: Vec<TaggedWord>,
    /// The groups, in order (`"O"` left out).
    pub groups: Vec<TagGroup>,
}

/// Owns a `bert_classify_result` until the classifications are copied out.
struct ClassifyResult(NonNull<sys::bert_classify_result>);

impl Drop for ClassifyResult {
    fn drop(&mut self) {
        // SAFETY: owned result, freed once.
        unsafe { sys::bert_classify_result_free(self.0.as_ptr()) }
    }
}

impl ClassifyResult {
    fn to_vec(&self) -> Result<Vec<Classification>> {
        let r = self.0.as_ptr();
        // SAFETY: r is a valid result for the accessor calls; the strings and arrays are copied
        // while it is alive.
        unsafe {
            (0..sys::bert_classify_result_num_texts(r))
                .map(|i| {
                    let mut c = sys::bert_classification {
                        struct_size: size_of::<sys::bert_classification>(),
                        ..Default::default()
                    };
                    check(sys::bert_classify_result_get(r, i, &mut c))?;
                    Ok(Classification {
                        label: c.label,
                        label_name: string_from_ptr(c.label_name),
                        score: c.score,
                        scores: slice(c.scores, c.num_labels).to_vec(),
                        logits: slice(c.logits, c.num_labels).to_vec(),
                    })
                })
                .collect()
        }
    }
}

/// Owns a `bert_tag_result` until the tags are copied out.
struct TagResult(NonNull<sys::bert_tag_result>);

impl Drop for TagResult {
    fn drop(&mut self) {
        // SAFETY: owned result, freed once.
        unsafe { sys::bert_tag_result_free(self.0.as_ptr()) }
    }
}

/// A string of `len` bytes at `ptr` (NULL: "").
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes.
unsafe fn text(ptr: *const std::ffi::c_char, len: usize) -> String {
    String::from_utf8_lossy(slice(ptr.cast::<u8>(), len)).into_owned()
}

impl TagResult {
    fn to_vec(&self) -> Result<Vec<TaggedText>> {
        let r = self.0.as_ptr();
        // SAFETY: r is a valid result for the accessor calls; the strings are copied while it is
        // alive.
        unsafe {
            (0..sys::bert_tag_result_num_texts(r))
                .map(|t| {
                    let words = (0..sys::bert_tag_result_num_words(r, t))
                        .map(|i| {
                            let mut w = sys::bert_tagged_word {
                                struct_size: size_of::<sys::bert_tagged_word>(),
                                ..Default::default()
                            };
                            check(sys::bert_tag_result_get_word(r, t, i, &mut w))?;
                            Ok(TaggedWord {
                                start: w.start,
                                end: w.end,
                                word_index: w.word_index,
                                label: w.label,
                                label_name: string_from_ptr(w.label_name),
                                score: w.score,
                                word: text(w.word, w.end.saturating_sub(w.start)),
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let groups = (0..sys::bert_tag_result_num_groups(r, t))
                        .map(|i| {
                            let mut g = sys::bert_tag_group {
                                struct_size: size_of::<sys::bert_tag_group>(),
                                ..Default::default()
                            };
                            check(sys::bert_tag_result_get_group(r, t, i, &mut g))?;
                            Ok(TagGroup {
                                start: g.start,
                                end: g.end,
                                first_word: g.first_word,
                                num_words: g.num_words,
                                label_name: string_from_ptr(g.label_name),
                                score: g.score,
                                text: text(g.text, g.end.saturating_sub(g.start)),
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok(TaggedText { words, groups })
                })
                .collect()
        }
    }
}

impl Model {
    /// Classifies each text with a sequence-classification model
    /// ([`Task::SequenceClassification`](crate::Task::SequenceClassification)): `result[i]` belongs
    /// to `texts[i]`. Another kind of model, a text that is not UTF-8 or, without `truncation`,
    /// longer than `max_length` fails the whole call.
    ///
    /// Thread-safe: one model and tokenizer may serve any number of concurrent calls.
    ///
    /// ```no_run
    /// use bertc::{ClassifyOptions, Model, Tokenizer};
    /// # fn main() -> bertc::Result<()> {
    /// let (model, tok) = (Model::load("runs/genre")?, Tokenizer::load("runs/genre")?);
    /// for c in model.classify(&tok, &["The man said that the people were good."], &ClassifyOptions::default())? {
    ///     println!("{} {:.3}", c.label_name, c.score); // press 0.540
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn classify<S: AsRef<str>>(
        &self,
        tokenizer: &Tokenizer,
        texts: &[S],
        options: &ClassifyOptions,
    ) -> Result<Vec<Classification>> {
        let params = options.to_raw();
        let texts = Texts::new(texts);
        // SAFETY: valid handles; the arrays hold texts.len() entries valid for the call.
        let result = out_handle(|out| unsafe {
            sys::bert_classify(
                self.as_ptr(),
                tokenizer.as_ptr(),
                texts.ptrs.as_ptr(),
                texts.lens.as_ptr(),
                texts.len(),
                &params,
                out,
            )
        })?;
        ClassifyResult(result).to_vec()
    }

    /// Tags the words of each text with a token-classification model
    /// ([`Task::TokenClassification`](crate::Task::TokenClassification)), as Hugging Face's token-classification
    /// pipeline with `aggregation_strategy="first"`: a word is a token plus the `##` tokens after
    /// it and takes the label of its first token. `result[i]` belongs to `texts[i]`.
    ///
    /// Thread-safe.
    pub fn tag<S: AsRef<str>>(
        &self,
        tokenizer: &Tokenizer,
        texts: &[S],
        options: &ClassifyOptions,
    ) -> Result<Vec<TaggedText>> {
        let params = options.to_raw();
        let texts = Texts::new(texts);
        // SAFETY: valid handles; the arrays hold texts.len() entries valid for the call.
        let result = out_handle(|out| unsafe {
            sys::bert_tag(
                self.as_ptr(),
                tokenizer.as_ptr(),
                texts.ptrs.as_ptr(),
                texts.lens.as_ptr(),
                texts.len(),
                &params,
                out,
            )
        })?;
        TagResult(result).to_vec()
    }

    /// [`tag`](Self::tag) for texts given as words (Hugging Face's `is_split_into_words`, as in
    /// training data): `texts[i]` is the words of text `i` (`&[Vec<String>]`, `&[&[&str]]`, ...).
    /// Each word is tokenized on its own and labelled by its first piece; offsets refer to the
    /// words joined by single spaces. Words that tokenize to nothing (or, with `truncation`, lie
    /// beyond `max_length`) are left out: [`TaggedWord::word_index`] says which input word a
    /// tagged word is.
    pub fn tag_words<T, W>(
        &self,
        tokenizer: &Tokenizer,
        texts: &[T],
        options: &ClassifyOptions,
    ) -> Result<Vec<TaggedText>>
    where
        T: AsRef<[W]>,
        W: AsRef<str>,
    {
        let params = options.to_raw();
        let counts: Vec<usize> = texts.iter().map(|t| t.as_ref().len()).collect();
        let words: Vec<&str> = texts
            .iter()
            .flat_map(|t| t.as_ref().iter().map(AsRef::as_ref))
            .collect();
        let words = Texts::new(&words);
        // SAFETY: valid handles; `words` holds sum(counts) entries, `counts` texts.len(), all
        // valid for the call.
        let result = out_handle(|out| unsafe {
            sys::bert_tag_words(
                self.as_ptr(),
                tokenizer.as_ptr(),
                words.ptrs.as_ptr(),
                words.lens.as_ptr(),
                counts.as_ptr(),
                counts.len(),
                &params,
                out,
            )
        })?;
        TagResult(result).to_vec()
    }
}
