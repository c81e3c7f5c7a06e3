//! Progress events and the callback bridge (panics never cross the C boundary).
use std::any::Any;
use std::ffi::{c_int, c_void, CStr};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{offset_of, size_of};
use std::ops::ControlFlow;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::Path;

use bertc_sys as sys;

use crate::classify::{Classification, ClassifyOptions, TaggedText};
use crate::error::Result;
use crate::fill_mask::{FillMaskOptions, Prediction, TextScore};
use crate::model::{Model, ModelConfig, Task};
use crate::tokenizer::Tokenizer;
use crate::util::path_from_cstr;

/// What a progress [`Event`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// Tokenizer training, word counting: `current`/`total` = bytes read of all input.
    TokenizerCount,
    /// Tokenizer training, vocabulary building: `current`/`total` = vocabulary size.
    TokenizerMerge,
    /// Dataset encoding: `current`/`total` = lines encoded.
    Encode,
    /// A logged optimizer step (`loss`, `learning_rate`, `grad_norm`, ...; `current` = global step).
    TrainStep,
    /// An evaluation finished (`eval_loss`, `eval_perplexity`, `eval_accuracy`, `eval_f1`).
    Eval,
    /// A checkpoint was written to `path`.
    Checkpoint,
    /// A kind added by a newer library (ignore it).
    Other(i32),
}

impl EventKind {
    fn from_raw(kind: sys::bert_event_kind) -> EventKind {
        match kind {
            sys::BERT_EVENT_TOKENIZER_COUNT => EventKind::TokenizerCount,
            sys::BERT_EVENT_TOKENIZER_MERGE => EventKind::TokenizerMerge,
            sys::BERT_EVENT_ENCODE => EventKind::Encode,
            sys::BERT_EVENT_TRAIN_STEP => EventKind::TrainStep,
            sys::BERT_EVENT_EVAL => EventKind::Eval,
            sys::BERT_EVENT_CHECKPOINT => EventKind::Checkpoint,
            other => EventKind::Other(other),
        }
    }
}

/// One progress report of a long call (tokenizer training, trainer steps, training).
///
/// Fields that do not apply to [`kind`](Event::kind) are 0 / `None`. The event borrows the
/// library's data and is valid only during the callback, on the callback's thread (it is neither
/// `Send` nor `Sync`).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Event<'a> {
    /// What happened.
    pub kind: EventKind,
    /// Progress so far (unit depends on `kind`; for [`EventKind::TrainStep`]: the global step).
    pub current: u64,
    /// Expected end of `current`, or 0 when unknown.
    pub total: u64,
    /// Wall time since the call started.
    pub elapsed_seconds: f64,
    /// TrainStep: mean training loss of the logged steps.
    pub loss: f64,
    /// TrainStep: learning rate of the last step.
    pub learning_rate: f64,
    /// TrainStep: gradient L2 norm before clipping.
    pub grad_norm: f64,
    /// TrainStep: non-padding tokens per second.
    pub tokens_per_second: f64,
    /// Eval: mean masked-token (classifiers: label) cross-entropy.
    pub eval_loss: f64,
    /// Eval: `exp(eval_loss)`; NaN for classifiers.
    pub eval_perplexity: f64,
    /// Eval: share of masked tokens (classifiers: examples / tagged words) predicted right.
    pub eval_accuracy: f64,
    /// Eval of a classifier: macro-F1 over the labels; NaN for a masked LM (0 from a library
    /// older than 1.1, whose events lack the field).
    pub eval_f1: f64,
    /// TrainStep/Eval: fractional epoch.
    pub epoch: f64,
    /// Checkpoint: the directory written.
    pub path: Option<&'a Path>,
    /// Optional human-readable text.
    pub message: Option<&'a str>,
    model: Option<&'a Model>,
    _this_thread: PhantomData<*const ()>,
}

impl<'a> Event<'a> {
    /// The model being trained, during a [`Trainer`](crate::Trainer) call (`None` otherwise),
    /// for the callback to read while training is paused for it.
    pub fn model(&self) -> Option<ModelView<'a>> {
        self.model.map(|model| ModelView {
            model,
            _this_thread: PhantomData,
        })
    }

    /// Reads a library event, field by field as far as the sender's `struct_size` reaches.
    ///
    /// # Safety
    /// `raw` must point to a valid `bert_event` for `'a`.
    unsafe fn from_raw(raw: *const sys::bert_event, model: Option<&'a Model>) -> Event<'a> {
        let size = (*raw).struct_size;
        macro_rules! field {
            ($name:ident, $ty:ty) => {
                if offset_of!(sys::bert_event, $name) + size_of::<$ty>() <= size {
                    std::ptr::addr_of!((*raw).$name).read()
                } else {
                    <$ty>::default()
                }
            };
        }
        let path = field!(path, *const std::ffi::c_char);
        let message = field!(message, *const std::ffi::c_char);
        Event {
            kind: EventKind::from_raw(field!(kind, sys::bert_event_kind)),
            current: field!(current, u64),
            total: field!(total, u64),
            elapsed_seconds: field!(elapsed_seconds, f64),
            loss: field!(loss, f64),
            learning_rate: field!(learning_rate, f64),
            grad_norm: field!(grad_norm, f64),
            tokens_per_second: field!(tokens_per_second, f64),
            eval_loss: field!(eval_loss, f64),
            eval_perplexity: field!(eval_perplexity, f64),
            eval_accuracy: field!(eval_accuracy, f64),
            epoch: field!(epoch, f64),
            eval_f1: field!(eval_f1, f64),
            path: (!path.is_null()).then(|| path_from_cstr(CStr::from_ptr(path))),
            message: if message.is_null() {
                None
            } else {
                CStr::from_ptr(message).to_str().ok()
            },
            model,
            _this_thread: PhantomData,
        }
    }
}

/// The model being trained, as a trainer's progress callback sees it ([`Event::model`]): the
/// reading calls of [`Model`], on the callback's thread.
///
/// Neither `Send` nor `Sync`, unlike [`Model`]: during the callback the trainer call on this
/// thread holds the model exclusively, and bertc lets only this thread read it; a call from
/// another thread would wait for the training call to finish (a deadlock if the callback waited
/// for that thread).
#[derive(Clone, Copy)]
pub struct ModelView<'a> {
    model: &'a Model,
    _this_thread: PhantomData<*const ()>,
}

impl fmt::Debug for ModelView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ModelView").field(self.model).finish()
    }
}

impl ModelView<'_> {
    /// [`Model::fill_mask`] on the model being trained.
    pub fn fill_mask(
        &self,
        tokenizer: &Tokenizer,
        text: &str,
        options: &FillMaskOptions,
    ) -> Result<Vec<Vec<Prediction>>> {
        self.model.fill_mask(tokenizer, text, options)
    }

    /// [`Model::fill_mask_batch`] on the model being trained.
    pub fn fill_mask_batch<S: AsRef<str>>(
        &self,
        tokenizer: &Tokenizer,
        texts: &[S],
        options: &FillMaskOptions,
    ) -> Result<Vec<Vec<Vec<Prediction>>>> {
        self.model.fill_mask_batch(tokenizer, texts, options)
    }

    /// [`Model::score_text`] on the model being trained.
    pub fn score_text<S: AsRef<str>>(
        &self,
        tokenizer: &Tokenizer,
        texts: &[S],
        options: &FillMaskOptions,
    ) -> Result<Vec<TextScore>> {
        self.model.score_text(tokenizer, texts, options)
    }

    /// [`Model::classify`] with the model being trained (a sequence classifier).
    pub fn classify<S: AsRef<str>>(
        &self,
        tokenizer: &Tokenizer,
        texts: &[S],
        options: &ClassifyOptions,
    ) -> Result<Vec<Classification>> {
        self.model.classify(tokenizer, texts, options)
    }

    /// [`Model::tag`] with the model being trained (a token classifier).
    pub fn tag<S: AsRef<str>>(
        &self,
        tokenizer: &Tokenizer,
        texts: &[S],
        options: &ClassifyOptions,
    ) -> Result<Vec<TaggedText>> {
        self.model.tag(tokenizer, texts, options)
    }

    /// [`Model::tag_words`] with the model being trained (a token classifier).
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
        self.model.tag_words(tokenizer, texts, options)
    }

    /// [`Model::task`] of the model being trained.
    pub fn task(&self) -> Task {
        self.model.task()
    }

    /// [`Model::labels`] of the model being trained.
    pub fn labels(&self) -> Vec<String> {
        self.model.labels()
    }

    /// [`Model::save`] of the model being trained (e.g. a snapshot at a logged step).
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        self.model.save(dir)
    }

    /// [`Model::config`] of the model being trained.
    pub fn config(&self) -> Result<ModelConfig> {
        self.model.config()
    }

    /// [`Model::num_parameters`] of the model being trained.
    pub fn num_parameters(&self) -> Result<u64> {
        self.model.num_parameters()
    }
}

/// The closure type progress callbacks are called through.
pub(crate) type ProgressFn<'f> = dyn FnMut(&Event<'_>) -> ControlFlow<()> + 'f;

/// The state a C progress callback reaches through its `user_data`.
pub(crate) struct Progress<'a, 'f> {
    f: &'f mut ProgressFn<'f>,
    model: Option<&'a Model>,
    panic: Option<Box<dyn Any + Send + 'static>>,
}

impl<'a, 'f> Progress<'a, 'f> {
    pub(crate) fn new(f: &'f mut ProgressFn<'f>, model: Option<&'a Model>) -> Self {
        Progress {
            f,
            model,
            panic: None,
        }
    }

    /// The `(progress, user_data)` pair to pass to the C call; valid while `self` is not moved.
    pub(crate) fn as_c(&mut self) -> (sys::bert_progress_fn, *mut c_void) {
        (
            Some(trampoline),
            (self as *mut Progress<'a, 'f>).cast::<c_void>(),
        )
    }

    /// The result of the C call, or the panic of the callback resumed on this side of it.
    pub(crate) fn finish<T>(self, result: Result<T>) -> Result<T> {
        if let Some(panic) = self.panic {
            resume_unwind(panic);
        }
        result
    }
}

/// Calls the closure; a `Break` or a panic cancels the C call (the panic is kept for `finish`).
unsafe extern "C" fn trampoline(user_data: *mut c_void, event: *const sys::bert_event) -> c_int {
    // SAFETY: user_data is the `Progress` that `as_c` handed out, alive for the whole C call, and the
    // library calls back on the calling thread, never concurrently for one call.
    let state = &mut *user_data.cast::<Progress<'_, '_>>();
    if state.panic.is_some() || event.is_null() {
        return 1;
    }
    let event = Event::from_raw(event, state.model);
    match catch_unwind(AssertUnwindSafe(|| (state.f)(&event))) {
        Ok(ControlFlow::Continue(())) => 0,
        Ok(ControlFlow::Break(())) => 1,
        Err(panic) => {
            state.panic = Some(panic);
            1
        }
    }
}
