//! Safe Rust bindings to **bertc** — a BERT WordPiece tokenizer (Hugging Face compatible),
//! masked-language-model pre-training, fill-mask, and fine-tuning for text classification and
//! tagging, behind the stable C ABI of `libbertc.so.1`.
//!
//! ```no_run
//! use bertc::{FillMaskOptions, Model, Tokenizer};
//!
//! # fn main() -> bertc::Result<()> {
//! let tokenizer = Tokenizer::load("runs/demo/tokenizer")?;
//! let encoding = tokenizer.encode("The quick brown fox.")?;
//! println!("{:?}", encoding.ids());
//!
//! let model = Model::load("runs/demo/model")?;
//! for p in &model.fill_mask(&tokenizer, "It [MASK] a long time ago.", &FillMaskOptions::default())?[0] {
//!     println!("{:10} {:.3}  {}", p.token, p.score, p.sequence);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Types
//!
//! | type | what | `Send` | `Sync` |
//! |------|------|:------:|:------:|
//! | [`Tokenizer`] | an immutable WordPiece tokenizer | yes | yes |
//! | [`Encoding`] | read-only result of [`Tokenizer::encode`] / [`encode_batch`](Tokenizer::encode_batch) | yes | yes |
//! | [`Model`] | a BERT with its head ([`Task`]): a masked LM, a sequence or a token classifier; fill-mask, scoring, classification, tagging, save and config are thread-safe | yes | yes |
//! | [`BorrowedModel<'a>`](BorrowedModel) | a model using the caller's weights buffer in place | yes | yes |
//! | [`Trainer<'m>`](Trainer) | a pre-training or fine-tuning run on a `&'m mut Model` | yes | no |
//! | [`Event<'a>`](Event), [`ModelView<'a>`](ModelView) | what a progress callback sees | no | no |
//!
//! Everything else (predictions, scores, configs, results) is plain owned Rust data.
//!
//! # Fine-tuning
//!
//! ```no_run
//! use bertc::*;
//!
//! # fn main() -> bertc::Result<()> {
//! let tok = Tokenizer::load("runs/pretrained")?;
//! let train = TrainData::files(["train.jsonl"]); // {"text": "...", "label": "press"} lines
//! let labels = train.label_names(Task::SequenceClassification)?;
//! let options = TaskOptions::new(Task::SequenceClassification).labels(labels);
//! let mut model = Model::load_for_task("runs/pretrained", &options)?; // a new head: a warning
//! let opts = TrainerOptions::default()
//!     .output_dir("runs/genre")
//!     .eval_steps(100)
//!     .save_steps(100)
//!     .metric_for_best_model("f1")
//!     .load_best_model_at_end(true);
//! let mut trainer = Trainer::new(&mut model, &tok, Some(&train), None, &opts)?;
//! trainer.train()?;
//! println!("macro-F1 {:.3}", trainer.evaluate()?.f1);
//! drop(trainer);
//! for c in model.classify(&tok, &["The man said that the people were good."], &ClassifyOptions::default())? {
//!     println!("{} {:.3}", c.label_name, c.score);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! Every fallible call returns [`Result<T>`](Result) with an [`Error`] that holds a
//! [`Status`] and bertc's own message (`"bert_model_load: cannot open ..."`).
//!
//! # Lifetimes
//!
//! Handles are released on `Drop`, and the borrow checker enforces the C header's ownership rules:
//! a handle cannot be used after it is dropped, a [`Trainer<'m>`](Trainer) holds its model
//! exclusively (`&'m mut Model`) for as long as it lives, and a [`BorrowedModel<'a>`](BorrowedModel)
//! cannot outlive the weights buffer it was loaded from.
//!
//! # Progress and cancellation
//!
//! Long calls have a `..._with_progress` variant taking `FnMut(&Event) -> ControlFlow<()>`;
//! `ControlFlow::Break(())` cancels the call cleanly ([`Status::Cancelled`]). A panic in the
//! closure never unwinds through C: it cancels the call and resumes once the call has returned.
//!
//! # Version check
//!
//! The first constructor called checks once that the loaded library serves this crate's header
//! version (`bert_check_version`); an incompatible library gives [`Status::Unsupported`].
#![warn(missing_docs)]

use std::ffi::CStr;
use std::sync::OnceLock;

pub use bertc_sys as sys;

/// Defines chainable setters (`options.top_k(3).threads(1)`) for the public fields of an options
/// struct: plain fields take the field's type (so integer literals just work), `into` fields
/// `impl Into<T>` (strings, paths), `opt` fields (`Option<T>`) `impl Into<T>` and store `Some`.
macro_rules! setters {
    ($ty:ident { $($name:ident : $t:ty),* $(,)? }
     $(into { $($iname:ident : $it:ty),* $(,)? })?
     $(opt { $($oname:ident : $ot:ty),* $(,)? })?) => {
        impl $ty {
            $(
                #[doc = concat!("Sets [`", stringify!($name), "`](Self::", stringify!($name), ").")]
                #[must_use]
                pub fn $name(mut self, value: $t) -> Self {
                    self.$name = value;
                    self
                }
            )*
            $($(
                #[doc = concat!("Sets [`", stringify!($iname), "`](Self::", stringify!($iname), ").")]
                #[must_use]
                pub fn $iname(mut self, value: impl Into<$it>) -> Self {
                    self.$iname = value.into();
                    self
                }
            )*)?
            $($(
                #[doc = concat!("Sets [`", stringify!($oname), "`](Self::", stringify!($oname), ") to `Some(value)`.")]
                #[must_use]
                pub fn $oname(mut self, value: impl Into<$ot>) -> Self {
                    self.$oname = Some(value.into());
                    self
                }
            )*)?
        }
    };
}

/// Defines a `#[non_exhaustive]` Rust enum for one of the header's int32 enums, with conversions.
macro_rules! c_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $var:ident = $c:path),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $var),*
        }

        impl $name {
            /// The C value.
            pub fn to_raw(self) -> i32 {
                match self {
                    $($name::$var => $c),*
                }
            }

            /// The variant of a C value; `None` for a value this crate does not know.
            pub fn from_raw(raw: i32) -> Option<Self> {
                match raw {
                    $(x if x == $c => Some($name::$var),)*
                    _ => None,
                }
            }
        }
    };
}

mod classify;
#[cfg(doctest)]
mod compile_fail;
mod error;
mod fill_mask;
mod model;
mod progress;
mod tokenizer;
mod trainer;
mod util;

pub use classify::{Classification, ClassifyOptions, TagGroup, TaggedText, TaggedWord};
pub use error::{last_warning, Error, Result, Status};
pub use fill_mask::{FillMaskOptions, Prediction, TextScore};
pub use model::{BorrowedModel, Model, ModelConfig, Task, TaskOptions};
pub use progress::{Event, EventKind, ModelView};
pub use tokenizer::{
    DecodeOptions, EncodeOptions, Encoding, EncodingRow, Offset, Padding, PaddingSide,
    SpecialToken, StripAccents, Tokenizer, TokenizerAlgorithm, TokenizerFile, TokenizerOptions,
    Truncation,
};
pub use trainer::{
    EvalResult, Grouping, LrSchedule, StepResult, TrainData, Trainer, TrainerInfo, TrainerOptions,
};

/// Process-wide limits on untrusted input (`bert_limits`); beyond one, a call fails with
/// [`Status::Limit`] before anything proportional to the input is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// One text to encode, fill or score; one training or corpus line (default 2^30 bytes).
    pub max_text_bytes: u64,
    /// Ids of a loaded or trained vocabulary (default 2^24).
    pub max_vocab_size: u64,
    /// Bytes of one vocabulary token on load (default 65536).
    pub max_token_bytes: u64,
    /// float32 parameter bytes of a created or loaded model (default 2^40).
    pub max_model_bytes: u64,
}

/// The limits now in force (`bert_limits_init`).
pub fn limits() -> Result<Limits> {
    check_version()?;
    // SAFETY: zeroed is a valid bert_limits; the library fills sizeof bytes.
    let mut l: sys::bert_limits = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer and its size.
    error::check(unsafe {
        sys::bert_limits_init(&mut l, std::mem::size_of::<sys::bert_limits>())
    })?;
    Ok(Limits {
        max_text_bytes: l.max_text_bytes,
        max_vocab_size: l.max_vocab_size,
        max_token_bytes: l.max_token_bytes,
        max_model_bytes: l.max_model_bytes,
    })
}

/// Sets the limits for every later bertc call in the process (`bert_set_limits`).
pub fn set_limits(limits: &Limits) -> Result<()> {
    check_version()?;
    // SAFETY: as in limits().
    let mut l: sys::bert_limits = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer and its size.
    error::check(unsafe {
        sys::bert_limits_init(&mut l, std::mem::size_of::<sys::bert_limits>())
    })?;
    l.max_text_bytes = limits.max_text_bytes;
    l.max_vocab_size = limits.max_vocab_size;
    l.max_token_bytes = limits.max_token_bytes;
    l.max_model_bytes = limits.max_model_bytes;
    // SAFETY: an initialised struct.
    error::check(unsafe { sys::bert_set_limits(&l) })
}

/// The header version these bindings were generated from, e.g. `"1.0.0"`.
pub const HEADER_VERSION: &str = sys::BERTC_VERSION_STRING;

/// The version of the loaded library, e.g. `"1.0.0"` (`bert_version`).
pub fn version() -> &'static str {
    // SAFETY: a static NUL-terminated string, never NULL.
    unsafe { CStr::from_ptr(sys::bert_version()) }
        .to_str()
        .unwrap_or("?")
}

/// How the loaded library was built and runs on this machine, as one JSON object
/// (`bert_build_info`): `version`, `abi`, `libtorch`, `compiler`, `blas` {`library`, `kernel`,
/// `chosen_by`, `generic`}, `cpu` {`model`, `isa`}, `default_threads`.
pub fn build_info() -> &'static str {
    // SAFETY: a static NUL-terminated string, never NULL.
    unsafe { CStr::from_ptr(sys::bert_build_info()) }
        .to_str()
        .unwrap_or("{}")
}

/// The version of the loaded library as `MAJOR*10000 + MINOR*100 + PATCH`.
pub fn version_number() -> u32 {
    // SAFETY: no arguments.
    unsafe { sys::bert_version_number() }
}

/// Checks (once per process) that the loaded library can serve these bindings: same major
/// version, minor version at least the header's. Every constructor calls it; an incompatible
/// library gives [`Status::Unsupported`] with a message naming both versions.
pub fn check_version() -> Result<()> {
    static CHECKED: OnceLock<Result<()>> = OnceLock::new();
    CHECKED
        .get_or_init(|| {
            // SAFETY: no pointers.
            let code = unsafe { sys::bert_check_version(sys::BERTC_VERSION_NUMBER) };
            error::check(code).map_err(|e| {
                Error::new(
                    e.status(),
                    format!(
                        "bertc (rust): the loaded libbertc {} cannot serve these bindings, built for \
                         bertc.h {HEADER_VERSION}: {}",
                        version(),
                        e.message()
                    ),
                )
            })
        })
        .clone()
}
