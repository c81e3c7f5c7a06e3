//! The WordPiece [`Tokenizer`] and its [`Encoding`]s.
use std::ffi::{c_char, CString};
use std::fmt;
use std::mem::{align_of, offset_of, size_of};
use std::ops::{ControlFlow, Range};
use std::path::Path;
use std::ptr::{self, NonNull};

use bertc_sys as sys;

use crate::error::{check, Error, Result};
use crate::progress::{Event, Progress, ProgressFn};
use crate::util::{construct, out_handle};
use crate::util::{
    flag, opt_cstring, opt_ptr, path_cstring, slice, string_from_ptr, take_bytes, take_string,
    CStrings, Texts,
};

c_enum! {
    /// Vocabulary-building algorithm of tokenizer training (`bert_tokenizer_algorithm`).
    pub enum TokenizerAlgorithm {
        /// Hugging Face WordPieceTrainer semantics, deterministic tie-break. The library's default.
        Hf = sys::BERT_TOKENIZER_ALGO_HF,
        /// Merge the pair maximizing `freq(ab) / (freq(a) * freq(b))`.
        Likelihood = sys::BERT_TOKENIZER_ALGO_LIKELIHOOD,
    }
}

c_enum! {
    /// Accent stripping of the normalizer (`bert_strip_accents`).
    pub enum StripAccents {
        /// Strip when lowercasing (HF `strip_accents=None`). The library's default.
        Auto = sys::BERT_STRIP_ACCENTS_AUTO,
        /// Never strip.
        Keep = sys::BERT_STRIP_ACCENTS_KEEP,
        /// Always strip.
        Strip = sys::BERT_STRIP_ACCENTS_STRIP,
    }
}

c_enum! {
    /// How encoding shortens inputs longer than `max_length` (Hugging Face's strategies).
    pub enum Truncation {
        /// Never truncate.
        None = sys::BERT_TRUNCATION_NONE,
        /// Remove from the longer sequence first.
        LongestFirst = sys::BERT_TRUNCATION_LONGEST_FIRST,
        /// Remove only from the first text (error if it cannot fit).
        OnlyFirst = sys::BERT_TRUNCATION_ONLY_FIRST,
        /// Remove only from the second text (error if it cannot fit).
        OnlySecond = sys::BERT_TRUNCATION_ONLY_SECOND,
    }
}

c_enum! {
    /// How encoding pads rows to a common length.
    pub enum Padding {
        /// No padding.
        None = sys::BERT_PADDING_NONE,
        /// To the longest row of the call.
        Longest = sys::BERT_PADDING_LONGEST,
        /// To `pad_length` (or `max_length` when `pad_length` is 0).
        MaxLength = sys::BERT_PADDING_MAX_LENGTH,
    }
}

c_enum! {
    /// Where padding goes.
    pub enum PaddingSide {
        /// After the tokens.
        Right = sys::BERT_PADDING_RIGHT,
        /// Before the tokens.
        Left = sys::BERT_PADDING_LEFT,
    }
}

c_enum! {
    /// Role of a special token, for [`Tokenizer::special_token_id`].
    pub enum SpecialToken {
        /// Padding (`[PAD]`).
        Pad = sys::BERT_SPECIAL_PAD,
        /// Unknown word (`[UNK]`).
        Unk = sys::BERT_SPECIAL_UNK,
        /// Classifier (`[CLS]`).
        Cls = sys::BERT_SPECIAL_CLS,
        /// Separator (`[SEP]`).
        Sep = sys::BERT_SPECIAL_SEP,
        /// Mask (`[MASK]`).
        Mask = sys::BERT_SPECIAL_MASK,
    }
}

c_enum! {
    /// Which file [`Tokenizer::save_to_memory`] produces.
    pub enum TokenizerFile {
        /// `tokenizer.json` (Hugging Face tokenizers schema; self-contained).
        Json = sys::BERT_TOKENIZER_FILE_JSON,
        /// `vocab.txt` (pair it with [`TokenizerFile::Config`]).
        Vocab = sys::BERT_TOKENIZER_FILE_VOCAB,
        /// `tokenizer_config.json` (transformers' BertTokenizerFast settings).
        Config = sys::BERT_TOKENIZER_FILE_CONFIG,
    }
}

/// Training and normalization options of [`Tokenizer::train`] (`bert_tokenizer_params`).
///
/// `Default` takes the library's defaults (`bert_tokenizer_params_init`). `None` strings mean the
/// library's choice (`[UNK]`, `[CLS]`, ...).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TokenizerOptions {
    /// Target vocabulary size including special tokens.
    pub vocab_size: usize,
    /// Pairs rarer than this are never merged.
    pub min_frequency: u64,
    /// Keep at most this many distinct characters (0 = all).
    pub limit_alphabet: usize,
    /// Characters always kept in the alphabet.
    pub initial_alphabet: Option<String>,
    /// Special tokens, ids 0.. in order (`None`: `[PAD] [UNK] [CLS] [SEP] [MASK]`).
    pub special_tokens: Option<Vec<String>>,
    /// Unknown-word role (must be among the special tokens).
    pub unk_token: Option<String>,
    /// Classifier role (must be among the special tokens).
    pub cls_token: Option<String>,
    /// Separator role (must be among the special tokens).
    pub sep_token: Option<String>,
    /// Padding role.
    pub pad_token: Option<String>,
    /// Mask role.
    pub mask_token: Option<String>,
    /// Lowercase the text.
    pub lowercase: bool,
    /// Accent stripping.
    pub strip_accents: StripAccents,
    /// Drop control characters, map whitespace to ' '.
    pub clean_text: bool,
    /// Put spaces around CJK ideographs.
    pub handle_chinese_chars: bool,
    /// Vocabulary-building algorithm.
    pub algorithm: TokenizerAlgorithm,
    /// Word-counting threads; 0 = all cores (the result does not depend on it).
    pub threads: usize,
    /// Written to tokenizer_config.json / config.json.
    pub model_max_length: usize,
}

setters!(TokenizerOptions {
    vocab_size: usize,
    min_frequency: u64,
    limit_alphabet: usize,
    lowercase: bool,
    strip_accents: StripAccents,
    clean_text: bool,
    handle_chinese_chars: bool,
    algorithm: TokenizerAlgorithm,
    threads: usize,
    model_max_length: usize,
} opt {
    initial_alphabet: String,
    unk_token: String,
    cls_token: String,
    sep_token: String,
    pad_token: String,
    mask_token: String,
});

impl TokenizerOptions {
    /// Sets [`special_tokens`](Self::special_tokens) to `Some(tokens)`.
    #[must_use]
    pub fn special_tokens<S: Into<String>>(mut self, tokens: impl IntoIterator<Item = S>) -> Self {
        self.special_tokens = Some(tokens.into_iter().map(Into::into).collect());
        self
    }

    fn raw_defaults() -> sys::bert_tokenizer_params {
        let mut p = sys::bert_tokenizer_params::default();
        // SAFETY: p is a bert_tokenizer_params of the size passed.
        let code = unsafe { sys::bert_tokenizer_params_init(&mut p, size_of_val(&p)) };
        assert_eq!(code, sys::BERT_OK, "bert_tokenizer_params_init failed");
        p
    }
}

impl Default for TokenizerOptions {
    fn default() -> Self {
        let p = TokenizerOptions::raw_defaults();
        let opt = |s: *const c_char| {
            // SAFETY: the library's defaults are NULL or static strings.
            (!s.is_null()).then(|| unsafe { string_from_ptr(s) })
        };
        let special_tokens = (!p.special_tokens.is_null()).then(|| {
            // SAFETY: a non-NULL default array holds num_special_tokens static strings.
            unsafe { slice(p.special_tokens, p.num_special_tokens) }
                .iter()
                .map(|&s| unsafe { string_from_ptr(s) })
                .collect()
        });
        TokenizerOptions {
            vocab_size: p.vocab_size,
            min_frequency: p.min_frequency,
            limit_alphabet: p.limit_alphabet,
            initial_alphabet: opt(p.initial_alphabet),
            special_tokens,
            unk_token: opt(p.unk_token),
            cls_token: opt(p.cls_token),
            sep_token: opt(p.sep_token),
            pad_token: opt(p.pad_token),
            mask_token: opt(p.mask_token),
            lowercase: p.lowercase != 0,
            strip_accents: StripAccents::from_raw(p.strip_accents).unwrap_or(StripAccents::Auto),
            clean_text: p.clean_text != 0,
            handle_chinese_chars: p.handle_chinese_chars != 0,
            algorithm: TokenizerAlgorithm::from_raw(p.algorithm).unwrap_or(TokenizerAlgorithm::Hf),
            threads: p.threads,
            model_max_length: p.model_max_length,
        }
    }
}

/// `bert_tokenizer_params` with the strings it points to.
struct RawTokenizerParams {
    params: sys::bert_tokenizer_params,
    _strings: Vec<Option<CString>>,
    _special: Option<CStrings>,
}

impl TokenizerOptions {
    fn to_raw(&self) -> Result<RawTokenizerParams> {
        let mut p = TokenizerOptions::raw_defaults();
        let strings = vec![
            opt_cstring(self.initial_alphabet.as_deref(), "initial_alphabet")?,
            opt_cstring(self.unk_token.as_deref(), "unk_token")?,
            opt_cstring(self.cls_token.as_deref(), "cls_token")?,
            opt_cstring(self.sep_token.as_deref(), "sep_token")?,
            opt_cstring(self.pad_token.as_deref(), "pad_token")?,
            opt_cstring(self.mask_token.as_deref(), "mask_token")?,
        ];
        let special = self
            .special_tokens
            .as_deref()
            .map(|t| CStrings::from_strs(t, "special token"))
            .transpose()?;
        p.vocab_size = self.vocab_size;
        p.min_frequency = self.min_frequency;
        p.limit_alphabet = self.limit_alphabet;
        p.initial_alphabet = opt_ptr(&strings[0]);
        p.unk_token = opt_ptr(&strings[1]);
        p.cls_token = opt_ptr(&strings[2]);
        p.sep_token = opt_ptr(&strings[3]);
        p.pad_token = opt_ptr(&strings[4]);
        p.mask_token = opt_ptr(&strings[5]);
        if let Some(special) = &special {
            p.special_tokens = special.ptrs.as_ptr();
            p.num_special_tokens = special.ptrs.len();
        } else {
            p.special_tokens = ptr::null();
            p.num_special_tokens = 0;
        }
        p.lowercase = flag(self.lowercase);
        p.strip_accents = self.strip_accents.to_raw();
        p.clean_text = flag(self.clean_text);
        p.handle_chinese_chars = flag(self.handle_chinese_chars);
        p.algorithm = self.algorithm.to_raw();
        p.threads = self.threads;
        p.model_max_length = self.model_max_length;
        Ok(RawTokenizerParams {
            params: p,
            _strings: strings,
            _special: special,
        })
    }
}

/// Options of [`Tokenizer::encode_with`] and [`Tokenizer::encode_batch`] (`bert_encode_params`).
/// `Default` takes the library's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncodeOptions {
    /// Add `[CLS] A [SEP] (B [SEP])`.
    pub add_special_tokens: bool,
    /// Truncation strategy.
    pub truncation: Truncation,
    /// Maximum tokens per row including special tokens; 0 = the tokenizer's model_max_length.
    pub max_length: usize,
    /// Overlap of overflow windows.
    pub stride: usize,
    /// Keep overflow windows as extra rows.
    pub return_overflowing: bool,
    /// Padding strategy.
    pub padding: Padding,
    /// [`Padding::MaxLength`] target; 0 = `max_length`.
    pub pad_length: usize,
    /// Round padded lengths up to a multiple of this (0 = no rounding).
    pub pad_to_multiple_of: usize,
    /// Where padding goes.
    pub padding_side: PaddingSide,
    /// Treat `[MASK]` and other special tokens in the text as plain text (untrusted input).
    pub split_special_tokens: bool,
    /// Batch encoding threads; 0 = all cores.
    pub threads: usize,
}

setters!(EncodeOptions {
    add_special_tokens: bool,
    truncation: Truncation,
    max_length: usize,
    stride: usize,
    return_overflowing: bool,
    padding: Padding,
    pad_length: usize,
    pad_to_multiple_of: usize,
    padding_side: PaddingSide,
    split_special_tokens: bool,
    threads: usize,
});

impl EncodeOptions {
    fn raw_defaults() -> sys::bert_encode_params {
        let mut p = sys::bert_encode_params::default();
        // SAFETY: p is a bert_encode_params of the size passed.
        let code = unsafe { sys::bert_encode_params_init(&mut p, size_of_val(&p)) };
        assert_eq!(code, sys::BERT_OK, "bert_encode_params_init failed");
        p
    }

    fn to_raw(&self) -> sys::bert_encode_params {
        let mut p = EncodeOptions::raw_defaults();
        p.add_special_tokens = flag(self.add_special_tokens);
        p.truncation = self.truncation.to_raw();
        p.max_length = self.max_length;
        p.stride = self.stride;
        p.return_overflowing = flag(self.return_overflowing);
        p.padding = self.padding.to_raw();
        p.pad_length = self.pad_length;
        p.pad_to_multiple_of = self.pad_to_multiple_of;
        p.padding_side = self.padding_side.to_raw();
        p.split_special_tokens = flag(self.split_special_tokens);
        p.threads = self.threads;
        p
    }
}

impl Default for EncodeOptions {
    fn default() -> Self {
        let p = EncodeOptions::raw_defaults();
        EncodeOptions {
            add_special_tokens: p.add_special_tokens != 0,
            truncation: Truncation::from_raw(p.truncation).unwrap_or(Truncation::None),
            max_length: p.max_length,
            stride: p.stride,
            return_overflowing: p.return_overflowing != 0,
            padding: Padding::from_raw(p.padding).unwrap_or(Padding::None),
            pad_length: p.pad_length,
            pad_to_multiple_of: p.pad_to_multiple_of,
            padding_side: PaddingSide::from_raw(p.padding_side).unwrap_or(PaddingSide::Right),
            split_special_tokens: p.split_special_tokens != 0,
            threads: p.threads,
        }
    }
}

/// Options of [`Tokenizer::decode`] (the `BERT_DECODE_*` flags). `Default` is no flag: special
/// tokens kept, Hugging Face's clean-up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Drop `[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`, ... (`BERT_DECODE_SKIP_SPECIAL_TOKENS`).
    pub skip_special_tokens: bool,
    /// Remove spaces before punctuation and contractions (off: `BERT_DECODE_NO_CLEANUP`).
    pub cleanup: bool,
}

setters!(DecodeOptions {
    skip_special_tokens: bool,
    cleanup: bool,
});

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            skip_special_tokens: false,
            cleanup: true,
        }
    }
}

impl DecodeOptions {
    fn flags(&self) -> u32 {
        let mut flags = 0;
        if self.skip_special_tokens {
            flags |= sys::BERT_DECODE_SKIP_SPECIAL_TOKENS;
        }
        if !self.cleanup {
            flags |= sys::BERT_DECODE_NO_CLEANUP;
        }
        flags
    }
}

/// A WordPiece tokenizer (Hugging Face BertWordPieceTokenizer / BertTokenizerFast compatible).
///
/// Immutable once created: `Send + Sync`, every method may run on any number of threads at once.
pub struct Tokenizer {
    raw: NonNull<sys::bert_tokenizer>,
}

// SAFETY: a bert_tokenizer is immutable once created and every function taking a
// `const bert_tokenizer*` is thread-safe (bertc.h); it is freed only by Drop (exclusive).
unsafe impl Send for Tokenizer {}
// SAFETY: as above.
unsafe impl Sync for Tokenizer {}

impl Drop for Tokenizer {
    fn drop(&mut self) {
        // SAFETY: the handle is owned and not used after this.
        unsafe { sys::bert_tokenizer_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab_size", &self.vocab_size())
            .finish()
    }
}

impl Tokenizer {
    /// Trains a tokenizer on text files (one sentence or document per line, UTF-8), streaming them.
    pub fn train<P: AsRef<Path>>(files: &[P], options: &TokenizerOptions) -> Result<Tokenizer> {
        Tokenizer::train_files_impl(files, options, None)
    }

    /// [`train`](Self::train) with a progress closure (`TokenizerCount`, then `TokenizerMerge`
    /// events); returning `ControlFlow::Break(())` cancels with [`Status::Cancelled`](crate::Status).
    pub fn train_with_progress<P, F>(
        files: &[P],
        options: &TokenizerOptions,
        mut progress: F,
    ) -> Result<Tokenizer>
    where
        P: AsRef<Path>,
        F: FnMut(&Event<'_>) -> ControlFlow<()>,
    {
        Tokenizer::train_files_impl(files, options, Some(&mut progress))
    }

    /// Trains a tokenizer on in-memory lines.
    pub fn train_from_lines<S: AsRef<str>>(
        lines: &[S],
        options: &TokenizerOptions,
    ) -> Result<Tokenizer> {
        Tokenizer::train_lines_impl(lines, options, None)
    }

    /// [`train_from_lines`](Self::train_from_lines) with a progress closure.
    pub fn train_from_lines_with_progress<S, F>(
        lines: &[S],
        options: &TokenizerOptions,
        mut progress: F,
    ) -> Result<Tokenizer>
    where
        S: AsRef<str>,
        F: FnMut(&Event<'_>) -> ControlFlow<()>,
    {
        Tokenizer::train_lines_impl(lines, options, Some(&mut progress))
    }

    fn train_files_impl<P: AsRef<Path>>(
        files: &[P],
        options: &TokenizerOptions,
        progress: Option<&mut ProgressFn<'_>>,
    ) -> Result<Tokenizer> {
        let files = CStrings::from_paths(files)?;
        Tokenizer::train_impl(options, progress, |params, out| {
            // SAFETY: files.ptrs holds files.ptrs.len() valid NUL-terminated paths.
            unsafe { sys::bert_tokenizer_train(files.ptrs.as_ptr(), files.ptrs.len(), params, out) }
        })
    }

    fn train_lines_impl<S: AsRef<str>>(
        lines: &[S],
        options: &TokenizerOptions,
        progress: Option<&mut ProgressFn<'_>>,
    ) -> Result<Tokenizer> {
        let lines = Texts::new(lines);
        Tokenizer::train_impl(options, progress, |params, out| {
            // SAFETY: ptrs/lens describe lines.len() borrowed strings.
            unsafe {
                sys::bert_tokenizer_train_from_lines(
                    lines.ptrs.as_ptr(),
                    lines.lens.as_ptr(),
                    lines.len(),
                    params,
                    out,
                )
            }
        })
    }

    fn train_impl(
        options: &TokenizerOptions,
        progress: Option<&mut ProgressFn<'_>>,
        call: impl FnOnce(*const sys::bert_tokenizer_params, *mut *mut sys::bert_tokenizer) -> i32,
    ) -> Result<Tokenizer> {
        let mut raw = options.to_raw()?;
        match progress {
            None => construct(|out| call(&raw.params, out)).map(|raw| Tokenizer { raw }),
            Some(f) => {
                let mut state = Progress::new(f, None);
                (raw.params.progress, raw.params.progress_user_data) = state.as_c();
                let result = construct(|out| call(&raw.params, out));
                state.finish(result).map(|raw| Tokenizer { raw })
            }
        }
    }

    /// Loads a tokenizer from a directory (tokenizer.json, else vocab.txt, with
    /// tokenizer_config.json), a tokenizer.json file or a vocab.txt file.
    pub fn load(path: impl AsRef<Path>) -> Result<Tokenizer> {
        let path = path_cstring(path.as_ref())?;
        // SAFETY: path is NUL-terminated.
        construct(|out| unsafe { sys::bert_tokenizer_load(path.as_ptr(), out) })
            .map(|raw| Tokenizer { raw })
    }

    /// Loads a tokenizer from the content of a tokenizer.json or vocab.txt, with an optional
    /// tokenizer_config.json content. Nothing is retained after the call.
    pub fn load_from_memory(data: &[u8], config: Option<&[u8]>) -> Result<Tokenizer> {
        let (config_ptr, config_len) =
            config.map_or((ptr::null(), 0), |c| (c.as_ptr().cast::<c_char>(), c.len()));
        // SAFETY: both buffers are valid for their lengths during the call.
        construct(|out| unsafe {
            sys::bert_tokenizer_load_from_memory(
                data.as_ptr().cast(),
                data.len(),
                config_ptr,
                config_len,
                out,
            )
        })
        .map(|raw| Tokenizer { raw })
    }

    /// Saves the tokenizer: `*.json` writes tokenizer.json only, `*.txt` vocab.txt only, anything
    /// else is a directory receiving all the tokenizer files. Atomic per file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path_cstring(path.as_ref())?;
        // SAFETY: valid handle and NUL-terminated path.
        check(unsafe { sys::bert_tokenizer_save(self.raw.as_ptr(), path.as_ptr()) })
    }

    /// The content of one of the tokenizer's files, exactly as [`save`](Self::save) writes it.
    pub fn save_to_memory(&self, file: TokenizerFile) -> Result<Vec<u8>> {
        let mut data: *mut c_char = ptr::null_mut();
        let mut len = 0usize;
        // SAFETY: valid handle and out-pointers.
        check(unsafe {
            sys::bert_tokenizer_save_to_memory(
                self.raw.as_ptr(),
                file.to_raw(),
                &mut data,
                &mut len,
            )
        })?;
        // SAFETY: the library handed over `len` bytes at `data`.
        Ok(unsafe { take_bytes(data, len) })
    }

    /// Encodes one text with the default options (`[CLS] text [SEP]`).
    pub fn encode(&self, text: &str) -> Result<Encoding> {
        self.encode_raw(text, None, ptr::null())
    }

    /// Encodes a pair of texts with the default options (`[CLS] text [SEP] pair [SEP]`).
    pub fn encode_pair(&self, text: &str, pair: &str) -> Result<Encoding> {
        self.encode_raw(text, Some(pair), ptr::null())
    }

    /// Encodes one text, or a pair when `pair` is `Some`, with options.
    pub fn encode_with(
        &self,
        text: &str,
        pair: Option<&str>,
        options: &EncodeOptions,
    ) -> Result<Encoding> {
        let params = options.to_raw();
        self.encode_raw(text, pair, &params)
    }

    fn encode_raw(
        &self,
        text: &str,
        pair: Option<&str>,
        params: *const sys::bert_encode_params,
    ) -> Result<Encoding> {
        let (pair_ptr, pair_len) = pair.map_or((ptr::null(), 0), |p| (p.as_ptr(), p.len()));
        // SAFETY: valid handle; texts valid for their lengths; params NULL or valid.
        out_handle(|out| unsafe {
            sys::bert_tokenizer_encode(
                self.raw.as_ptr(),
                text.as_ptr().cast(),
                text.len(),
                pair_ptr.cast(),
                pair_len,
                params,
                out,
            )
        })
        .map(|raw| Encoding { raw })
    }

    /// Encodes many texts on `options.threads` threads; rows are in input order (see
    /// [`EncodingRow::input_index`]).
    pub fn encode_batch<S: AsRef<str>>(
        &self,
        texts: &[S],
        options: &EncodeOptions,
    ) -> Result<Encoding> {
        self.encode_batch_raw(&Texts::new(texts), None, options)
    }

    /// Encodes many pairs (`texts[i]`, `pairs[i]`); the slices must have the same length.
    pub fn encode_pair_batch<S: AsRef<str>, T: AsRef<str>>(
        &self,
        texts: &[S],
        pairs: &[T],
        options: &EncodeOptions,
    ) -> Result<Encoding> {
        if texts.len() != pairs.len() {
            return Err(Error::invalid_argument(format!(
                "encode_pair_batch: {} texts but {} pairs",
                texts.len(),
                pairs.len()
            )));
        }
        self.encode_batch_raw(&Texts::new(texts), Some(&Texts::new(pairs)), options)
    }

    fn encode_batch_raw(
        &self,
        texts: &Texts<'_>,
        pairs: Option<&Texts<'_>>,
        options: &EncodeOptions,
    ) -> Result<Encoding> {
        let params = options.to_raw();
        let (pair_ptrs, pair_lens) = pairs.map_or((ptr::null(), ptr::null()), |p| {
            (p.ptrs.as_ptr(), p.lens.as_ptr())
        });
        // SAFETY: the arrays hold texts.len() entries each, valid for the call.
        out_handle(|out| unsafe {
            sys::bert_tokenizer_encode_batch(
                self.raw.as_ptr(),
                texts.ptrs.as_ptr(),
                texts.lens.as_ptr(),
                pair_ptrs,
                pair_lens,
                texts.len(),
                &params,
                out,
            )
        })
        .map(|raw| Encoding { raw })
    }

    /// Turns ids back into text (Hugging Face's decode: `##` pieces glued, clean-up of spaces).
    /// Ids outside the vocabulary are skipped.
    pub fn decode(&self, ids: &[i32], options: &DecodeOptions) -> Result<String> {
        let mut text: *mut c_char = ptr::null_mut();
        let mut len = 0usize;
        // SAFETY: valid handle; ids valid for ids.len(); out-pointers valid.
        check(unsafe {
            sys::bert_tokenizer_decode(
                self.raw.as_ptr(),
                ids.as_ptr(),
                ids.len(),
                options.flags(),
                &mut text,
                &mut len,
            )
        })?;
        // SAFETY: the library handed over `len` bytes at `text`.
        Ok(unsafe { take_string(text, len) })
    }

    /// Decodes many id sequences at once.
    pub fn decode_batch<S: AsRef<[i32]>>(
        &self,
        sequences: &[S],
        options: &DecodeOptions,
    ) -> Result<Vec<String>> {
        let ptrs: Vec<*const i32> = sequences.iter().map(|s| s.as_ref().as_ptr()).collect();
        let lens: Vec<usize> = sequences.iter().map(|s| s.as_ref().len()).collect();
        let mut texts: Vec<*mut c_char> = vec![ptr::null_mut(); sequences.len()];
        let mut text_lens = vec![0usize; sequences.len()];
        // SAFETY: every array has sequences.len() entries; the output arrays are writable.
        check(unsafe {
            sys::bert_tokenizer_decode_batch(
                self.raw.as_ptr(),
                ptrs.as_ptr(),
                lens.as_ptr(),
                sequences.len(),
                options.flags(),
                texts.as_mut_ptr(),
                text_lens.as_mut_ptr(),
            )
        })?;
        Ok(texts
            .into_iter()
            .zip(text_lens)
            // SAFETY: each entry is a buffer the library handed over, released once here.
            .map(|(t, n)| unsafe { take_string(t, n) })
            .collect())
    }

    /// The id of a token (exact, not normalized), or `None` when it is not in the vocabulary.
    pub fn token_to_id(&self, token: &str) -> Option<i32> {
        let mut id = -1i32;
        // SAFETY: valid handle, token valid for its length.
        let code = unsafe {
            sys::bert_tokenizer_token_to_id(
                self.raw.as_ptr(),
                token.as_ptr().cast(),
                token.len(),
                &mut id,
            )
        };
        (code == sys::BERT_OK && id >= 0).then_some(id)
    }

    /// The token string of `id`, or `None` when `id` is outside `[0, vocab_size)`.
    pub fn id_to_token(&self, id: i32) -> Option<&str> {
        let mut token: *const c_char = ptr::null();
        let mut len = 0usize;
        // SAFETY: valid handle and out-pointers.
        let code =
            unsafe { sys::bert_tokenizer_id_to_token(self.raw.as_ptr(), id, &mut token, &mut len) };
        if code != sys::BERT_OK || token.is_null() {
            return None;
        }
        // SAFETY: the token is owned by the tokenizer and valid while `self` is.
        std::str::from_utf8(unsafe { slice(token.cast::<u8>(), len) }).ok()
    }

    /// Number of tokens in the vocabulary, special tokens included.
    pub fn vocab_size(&self) -> usize {
        // SAFETY: valid handle.
        unsafe { sys::bert_tokenizer_vocab_size(self.raw.as_ptr()) }
    }

    /// The id of the token playing `role`, or `None` when the vocabulary lacks it.
    pub fn special_token_id(&self, role: SpecialToken) -> Option<i32> {
        let mut id = -1i32;
        // SAFETY: valid handle and out-pointer.
        let code = unsafe {
            sys::bert_tokenizer_special_token_id(self.raw.as_ptr(), role.to_raw(), &mut id)
        };
        (code == sys::BERT_OK && id >= 0).then_some(id)
    }

    /// The C handle, for use with [`bertc_sys`](crate::sys) (owned by `self`: do not free it).
    pub fn as_ptr(&self) -> *const sys::bert_tokenizer {
        self.raw.as_ptr()
    }
}

/// Byte range `[start, end)` of a token in its input text; `{0, 0}` for added special tokens and
/// padding. Same layout as `bert_offset`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Offset {
    /// First byte of the token in its input.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
}

impl Offset {
    /// `start..end`.
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

const _: () = {
    assert!(size_of::<Offset>() == size_of::<sys::bert_offset>());
    assert!(align_of::<Offset>() == align_of::<sys::bert_offset>());
    assert!(offset_of!(Offset, start) == offset_of!(sys::bert_offset, start));
    assert!(offset_of!(Offset, end) == offset_of!(sys::bert_offset, end));
};

/// The result of encoding one or more inputs: one row per input (plus one per overflow window).
///
/// A read-only handle (`Send + Sync`); the row accessors borrow the library's arrays without
/// copying.
pub struct Encoding {
    raw: NonNull<sys::bert_encoding>,
}

// SAFETY: an encoding is never changed after creation and its accessors are thread-safe
// (read-only); it is freed only by Drop.
unsafe impl Send for Encoding {}
// SAFETY: as above.
unsafe impl Sync for Encoding {}

impl Drop for Encoding {
    fn drop(&mut self) {
        // SAFETY: owned handle, not used after this.
        unsafe { sys::bert_encoding_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.rows()).finish()
    }
}

impl Encoding {
    /// Number of rows.
    pub fn len(&self) -> usize {
        // SAFETY: valid handle.
        unsafe { sys::bert_encoding_count(self.raw.as_ptr()) }
    }

    /// `true` when there are no rows (an empty batch).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `index`, or `None` when out of range.
    pub fn row(&self, index: usize) -> Option<EncodingRow<'_>> {
        (index < self.len()).then_some(EncodingRow {
            encoding: self,
            row: index,
        })
    }

    /// All rows in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = EncodingRow<'_>> + '_ {
        (0..self.len()).map(move |row| EncodingRow {
            encoding: self,
            row,
        })
    }

    /// Token ids of the first row (the only one of a single [`Tokenizer::encode`] without
    /// overflow); empty when there are no rows.
    pub fn ids(&self) -> &[i32] {
        self.row(0).map_or(&[], |r| r.ids())
    }
}

/// One row of an [`Encoding`]; its slices borrow the encoding.
#[derive(Clone, Copy)]
pub struct EncodingRow<'a> {
    encoding: &'a Encoding,
    row: usize,
}

impl fmt::Debug for EncodingRow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodingRow")
            .field("ids", &self.ids())
            .field("type_ids", &self.type_ids())
            .field("attention_mask", &self.attention_mask())
            .field("offsets", &self.offsets())
            .field("input_index", &self.input_index())
            .field("is_overflow", &self.is_overflow())
            .finish()
    }
}

impl<'a> EncodingRow<'a> {
    fn raw(&self) -> *const sys::bert_encoding {
        self.encoding.raw.as_ptr()
    }

    /// Number of tokens in the row.
    pub fn len(&self) -> usize {
        // SAFETY: valid handle; out-of-range rows give 0.
        unsafe { sys::bert_encoding_length(self.raw(), self.row) }
    }

    /// `true` for a row without tokens.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Token ids.
    pub fn ids(&self) -> &'a [i32] {
        // SAFETY: the array has len() elements and lives as long as the encoding.
        unsafe { slice(sys::bert_encoding_ids(self.raw(), self.row), self.len()) }
    }

    /// Token type (segment) ids: 0 for the first text and its `[CLS]`/`[SEP]`, 1 for the second.
    pub fn type_ids(&self) -> &'a [i32] {
        // SAFETY: as ids().
        unsafe {
            slice(
                sys::bert_encoding_type_ids(self.raw(), self.row),
                self.len(),
            )
        }
    }

    /// Attention mask: 1 for real tokens, 0 for padding.
    pub fn attention_mask(&self) -> &'a [i32] {
        // SAFETY: as ids().
        unsafe {
            slice(
                sys::bert_encoding_attention_mask(self.raw(), self.row),
                self.len(),
            )
        }
    }

    /// 1 where the row holds an added special token (`[CLS]`, `[SEP]`, padding), else 0.
    pub fn special_tokens_mask(&self) -> &'a [i32] {
        // SAFETY: as ids().
        unsafe {
            slice(
                sys::bert_encoding_special_tokens_mask(self.raw(), self.row),
                self.len(),
            )
        }
    }

    /// Byte offsets of each token into its input text.
    pub fn offsets(&self) -> &'a [Offset] {
        let p = unsafe { sys::bert_encoding_offsets(self.raw(), self.row) };
        // SAFETY: as ids(); Offset has bert_offset's layout (checked at compile time).
        unsafe { slice(p.cast::<Offset>(), self.len()) }
    }

    /// Per token: 0 = first text, 1 = second text, -1 = added special token or padding.
    pub fn sequence_ids(&self) -> &'a [i8] {
        // SAFETY: as ids().
        unsafe {
            slice(
                sys::bert_encoding_sequence_ids(self.raw(), self.row),
                self.len(),
            )
        }
    }

    /// Index of the input this row belongs to.
    pub fn input_index(&self) -> usize {
        // SAFETY: valid handle.
        unsafe { sys::bert_encoding_input_index(self.raw(), self.row) }
    }

    /// `true` when the row is an overflow window (not the first row of its input).
    pub fn is_overflow(&self) -> bool {
        // SAFETY: valid handle.
        unsafe { sys::bert_encoding_is_overflow(self.raw(), self.row) != 0 }
    }
}
