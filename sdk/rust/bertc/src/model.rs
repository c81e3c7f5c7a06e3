//! [`Model`] (a BERT with its head: masked LM, sequence or token classifier), [`BorrowedModel`],
//! [`ModelConfig`], [`Task`] and [`TaskOptions`].
use std::ffi::CString;
use std::fmt;
use std::marker::PhantomData;
use std::mem::size_of_val;
use std::ops::Deref;
use std::path::Path;
use std::ptr::NonNull;

use bertc_sys as sys;

use crate::error::{check, Result};
use crate::util::{construct, cstring, path_cstring, slice, string_from_ptr, Texts};

/// The head on a model's encoder, as Hugging Face's architectures (`bert_task`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Task {
    /// `BertForMaskedLM`: pre-training, fill-mask, scoring.
    MaskedLm,
    /// `BertForSequenceClassification`: one label per text ([`Model::classify`]).
    SequenceClassification,
    /// `BertForTokenClassification`: one label (tag) per word ([`Model::tag`],
    /// [`Model::tag_words`]).
    TokenClassification,
    /// A task added by a newer library than this crate knows (its C value).
    Other(i32),
}

impl Task {
    /// The C value (`BERT_TASK_*`).
    pub fn to_raw(self) -> i32 {
        match self {
            Task::MaskedLm => sys::BERT_TASK_MASKED_LM,
            Task::SequenceClassification => sys::BERT_TASK_SEQUENCE_CLASSIFICATION,
            Task::TokenClassification => sys::BERT_TASK_TOKEN_CLASSIFICATION,
            Task::Other(raw) => raw,
        }
    }

    /// The task of a C value ([`Task::Other`] for one this crate does not know).
    pub fn from_raw(raw: i32) -> Task {
        match raw {
            sys::BERT_TASK_MASKED_LM => Task::MaskedLm,
            sys::BERT_TASK_SEQUENCE_CLASSIFICATION => Task::SequenceClassification,
            sys::BERT_TASK_TOKEN_CLASSIFICATION => Task::TokenClassification,
            other => Task::Other(other),
        }
    }

    /// Whether this is sequence or token classification.
    pub fn is_classifier(self) -> bool {
        matches!(
            self,
            Task::SequenceClassification | Task::TokenClassification
        )
    }
}

/// A BERT configuration (Hugging Face's `BertConfig` fields) plus the initialisation seed and the
/// head (`task`, `labels`, `classifier_dropout`): `bert_model_params`. Used by [`Model::create`]
/// and returned by [`Model::config`].
///
/// `Default` takes the library's defaults (bert-base-uncased sizes).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ModelConfig {
    /// Vocabulary size (rows of the word embeddings).
    pub vocab_size: usize,
    /// Hidden size; a multiple of `num_attention_heads`.
    pub hidden_size: usize,
    /// Transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Feed-forward size.
    pub intermediate_size: usize,
    /// `"gelu"`, `"gelu_new"`, `"gelu_pytorch_tanh"`, `"gelu_fast"`, `"relu"`, `"silu"`/`"swish"`.
    pub hidden_act: String,
    /// Dropout on hidden states, in `[0, 1)`.
    pub hidden_dropout_prob: f64,
    /// Dropout on attention probabilities, in `[0, 1)`.
    pub attention_probs_dropout_prob: f64,
    /// The longest input the model accepts.
    pub max_position_embeddings: usize,
    /// Number of token types (segments).
    pub type_vocab_size: usize,
    /// LayerNorm epsilon.
    pub layer_norm_eps: f64,
    /// Standard deviation of the normal weight initialisation.
    pub initializer_range: f64,
    /// Padding token id (its word-embedding row starts at zero).
    pub pad_token_id: i32,
    /// `"absolute"` (the only one supported).
    pub position_embedding_type: String,
    /// Seed of the weight initialisation (0 for a loaded model: config.json records none).
    pub seed: u64,
    /// The head: [`Task::MaskedLm`] by default.
    pub task: Task,
    /// A classifier's label names, id `i` = `labels[i]` (config.json `id2label`): distinct and
    /// non-empty; a classifier needs at least one. Empty for a masked LM.
    pub labels: Vec<String>,
    /// Dropout before the classifier, in `[0, 1)`; `None`: unset (null in config.json:
    /// `hidden_dropout_prob` is used).
    pub classifier_dropout: Option<f64>,
}

setters!(ModelConfig {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    hidden_dropout_prob: f64,
    attention_probs_dropout_prob: f64,
    max_position_embeddings: usize,
    type_vocab_size: usize,
    layer_norm_eps: f64,
    initializer_range: f64,
    pad_token_id: i32,
    seed: u64,
    task: Task,
} into {
    hidden_act: String,
    position_embedding_type: String,
} opt {
    classifier_dropout: f64,
});

impl ModelConfig {
    /// Sets [`labels`](Self::labels).
    #[must_use]
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.labels = labels.into_iter().map(Into::into).collect();
        self
    }
}

/// The label names of a filled `bert_model_params` (empty for none).
///
/// # Safety
/// `labels` and `label_lengths` must be NULL or hold `num_labels` valid entries.
unsafe fn labels_from_raw(p: &sys::bert_model_params) -> Vec<String> {
    let names = slice(p.labels, p.num_labels);
    let lengths = slice(p.label_lengths, p.num_labels);
    names
        .iter()
        .enumerate()
        .map(|(i, &name)| match lengths.get(i) {
            Some(&len) => String::from_utf8_lossy(slice(name.cast::<u8>(), len)).into_owned(),
            None => string_from_ptr(name),
        })
        .collect()
}

impl ModelConfig {
    fn raw_defaults() -> sys::bert_model_params {
        let mut p = sys::bert_model_params::default();
        // SAFETY: p is a bert_model_params of the size passed.
        let code = unsafe { sys::bert_model_params_init(&mut p, size_of_val(&p)) };
        assert_eq!(code, sys::BERT_OK, "bert_model_params_init failed");
        p
    }

    /// Copies a filled `bert_model_params` (strings included).
    ///
    /// # Safety
    /// The strings of `p` must be NULL or valid.
    unsafe fn from_raw(p: &sys::bert_model_params) -> ModelConfig {
        ModelConfig {
            vocab_size: p.vocab_size,
            hidden_size: p.hidden_size,
            num_hidden_layers: p.num_hidden_layers,
            num_attention_heads: p.num_attention_heads,
            intermediate_size: p.intermediate_size,
            hidden_act: string_from_ptr(p.hidden_act),
            hidden_dropout_prob: p.hidden_dropout_prob,
            attention_probs_dropout_prob: p.attention_probs_dropout_prob,
            max_position_embeddings: p.max_position_embeddings,
            type_vocab_size: p.type_vocab_size,
            layer_norm_eps: p.layer_norm_eps,
            initializer_range: p.initializer_range,
            pad_token_id: p.pad_token_id,
            position_embedding_type: string_from_ptr(p.position_embedding_type),
            seed: p.seed,
            task: Task::from_raw(p.task),
            labels: labels_from_raw(p),
            classifier_dropout: (p.classifier_dropout >= 0.0).then_some(p.classifier_dropout),
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        let p = ModelConfig::raw_defaults();
        // SAFETY: the defaults' strings are static.
        unsafe { ModelConfig::from_raw(&p) }
    }
}

/// The options of [`Model::load_for_task`] (`bert_task_params`): the head to put on a checkpoint.
/// `Default` takes the library's defaults (a sequence classifier keeping the checkpoint's labels,
/// seed 42); [`TaskOptions::new`] sets the task.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TaskOptions {
    /// The head.
    pub task: Task,
    /// The label names (id `i` = `labels[i]`). `None`: keep the checkpoint's label map (only for a
    /// checkpoint that already has this head). For a fine-tuned classifier they must equal its
    /// label map. `Some` of an empty list is an error.
    pub labels: Option<Vec<String>>,
    /// Dropout before the classifier, in `[0, 1)`; `None`: the checkpoint's (or
    /// `hidden_dropout_prob`).
    pub classifier_dropout: Option<f64>,
    /// Seed of a new head's initialisation.
    pub seed: u64,
    /// (ABI 1.3) The encoder's hidden dropout while training, in `[0, 1)`, replacing the
    /// checkpoint's as `from_pretrained(dir, hidden_dropout_prob=...)` does; `None`: the
    /// checkpoint's. Saved in config.json. Useful on a model pre-trained without dropout.
    pub hidden_dropout_prob: Option<f64>,
    /// (ABI 1.3) Dropout on the attention probabilities while training, in `[0, 1)`; `None`: the
    /// checkpoint's.
    pub attention_probs_dropout_prob: Option<f64>,
}

setters!(TaskOptions {
    task: Task,
    seed: u64,
} opt {
    classifier_dropout: f64,
    hidden_dropout_prob: f64,
    attention_probs_dropout_prob: f64,
});

impl TaskOptions {
    /// The defaults with `task`.
    pub fn new(task: Task) -> TaskOptions {
        TaskOptions {
            task,
            ..TaskOptions::default()
        }
    }

    /// Sets [`labels`](Self::labels) to `Some(labels)`.
    #[must_use]
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.labels = Some(labels.into_iter().map(Into::into).collect());
        self
    }

    fn raw_defaults() -> sys::bert_task_params {
        let mut p = sys::bert_task_params::default();
        // SAFETY: p is a bert_task_params of the size passed.
        let code = unsafe { sys::bert_task_params_init(&mut p, size_of_val(&p)) };
        assert_eq!(code, sys::BERT_OK, "bert_task_params_init failed");
        p
    }
}

impl Default for TaskOptions {
    fn default() -> Self {
        let p = TaskOptions::raw_defaults();
        TaskOptions {
            task: Task::from_raw(p.task),
            labels: None,
            classifier_dropout: (p.classifier_dropout >= 0.0).then_some(p.classifier_dropout),
            seed: p.seed,
            hidden_dropout_prob: (p.hidden_dropout_prob >= 0.0).then_some(p.hidden_dropout_prob),
            attention_probs_dropout_prob: (p.attention_probs_dropout_prob >= 0.0)
                .then_some(p.attention_probs_dropout_prob),
        }
    }
}

/// A BERT model with its head (a masked LM, a sequence classifier or a token classifier: see
/// [`Task`]) and its configuration (Hugging Face compatible config.json + model.safetensors).
///
/// `Send + Sync`: fill-mask, scoring, classification, tagging, saving and reading the configuration
/// may run on any number of threads at once. Training needs `&mut Model` (see
/// [`Trainer`](crate::Trainer)).
pub struct Model {
    raw: NonNull<sys::bert_model>,
}

// SAFETY: bert_fill_mask, bert_fill_mask_batch, bert_score_text, bert_classify, bert_tag,
// bert_tag_words, bert_model_save, bert_model_config and bert_model_num_parameters are thread-safe
// on one model (bertc.h), and they are the only functions reachable through `&Model`; the calls that change the model (trainer creation and
// the trainer's calls) need `&mut Model`, and free happens in Drop (exclusive).
unsafe impl Send for Model {}
// SAFETY: as above.
unsafe impl Sync for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: owned handle; no trainer can hold it (it would borrow `self`).
        unsafe { sys::bert_model_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Model");
        if let Ok(config) = self.config() {
            d.field("task", &config.task)
                .field("hidden_size", &config.hidden_size)
                .field("num_hidden_layers", &config.num_hidden_layers)
                .field("vocab_size", &config.vocab_size);
        }
        d.finish_non_exhaustive()
    }
}

impl Model {
    /// Creates a randomly initialised model with the head `config.task` (Hugging Face's
    /// initialisation, seeded by `config.seed`: the same config gives the same weights).
    pub fn create(config: &ModelConfig) -> Result<Model> {
        let hidden_act = cstring(&config.hidden_act, "hidden_act")?;
        let position: CString =
            cstring(&config.position_embedding_type, "position_embedding_type")?;
        let mut p = ModelConfig::raw_defaults();
        p.vocab_size = config.vocab_size;
        p.hidden_size = config.hidden_size;
        p.num_hidden_layers = config.num_hidden_layers;
        p.num_attention_heads = config.num_attention_heads;
        p.intermediate_size = config.intermediate_size;
        p.hidden_act = hidden_act.as_ptr();
        p.hidden_dropout_prob = config.hidden_dropout_prob;
        p.attention_probs_dropout_prob = config.attention_probs_dropout_prob;
        p.max_position_embeddings = config.max_position_embeddings;
        p.type_vocab_size = config.type_vocab_size;
        p.layer_norm_eps = config.layer_norm_eps;
        p.initializer_range = config.initializer_range;
        p.pad_token_id = config.pad_token_id;
        p.position_embedding_type = position.as_ptr();
        p.seed = config.seed;
        p.task = config.task.to_raw();
        let labels = Texts::new(&config.labels);
        if labels.len() > 0 {
            p.labels = labels.ptrs.as_ptr();
            p.label_lengths = labels.lens.as_ptr();
            p.num_labels = labels.len();
        }
        p.classifier_dropout = config.classifier_dropout.unwrap_or(-1.0);
        // SAFETY: p and its strings and arrays are valid for the call.
        construct(|out| unsafe { sys::bert_model_create(&p, out) }).map(|raw| Model { raw })
    }

    /// Loads `dir/config.json` and `dir/model.safetensors` (as saved by Hugging Face's
    /// `save_pretrained` of `BertForMaskedLM`, `BertForSequenceClassification` or
    /// `BertForTokenClassification`, or by [`save`](Self::save)). The head is config.json's
    /// "architectures" (anything else loads as a masked LM); classifiers take their labels from
    /// `id2label`. A checkpoint without its head's weights loads with a new head and a warning
    /// ([`last_warning`](crate::last_warning)). To put another head on a checkpoint, use
    /// [`load_for_task`](Self::load_for_task).
    pub fn load(dir: impl AsRef<Path>) -> Result<Model> {
        let dir = path_cstring(dir.as_ref())?;
        // SAFETY: NUL-terminated path.
        construct(|out| unsafe { sys::bert_model_load(dir.as_ptr(), out) }).map(|raw| Model { raw })
    }

    /// Loads `dir` (like [`load`](Self::load)) as a model with the head `options.task`: the first
    /// step of fine-tuning, like transformers'
    /// `AutoModelForSequenceClassification.from_pretrained(dir, num_labels=..., id2label=...)`.
    ///
    /// A checkpoint that already has that head keeps it (`options.labels`, if given, must equal its
    /// label map). Otherwise (a masked LM from pre-training, a BertModel, a classifier of the other
    /// task) the encoder is kept and the new head is initialised from `options.seed`; the call then
    /// succeeds with Hugging Face's warning, read with [`last_warning`](crate::last_warning) right
    /// after it ("Some weights of BertForSequenceClassification were not initialized from the model
    /// checkpoint at ... and are newly initialized: [...]").
    ///
    /// ```no_run
    /// use bertc::{Model, Task, TaskOptions};
    /// # fn main() -> bertc::Result<()> {
    /// let options = TaskOptions::new(Task::SequenceClassification).labels(["neg", "pos"]);
    /// let model = Model::load_for_task("runs/pretrained", &options)?;
    /// if let Some(warning) = bertc::last_warning() {
    ///     eprintln!("{warning}"); // the new head's weights are untrained
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn load_for_task(dir: impl AsRef<Path>, options: &TaskOptions) -> Result<Model> {
        let dir = path_cstring(dir.as_ref())?;
        let mut p = TaskOptions::raw_defaults();
        p.task = options.task.to_raw();
        let labels = options.labels.as_deref().map(Texts::new);
        if let Some(l) = &labels {
            // Never NULL (an empty Vec's pointer is dangling): `Some(vec![])` reaches the library
            // as "labels given, none", an error, not as "keep the checkpoint's".
            p.labels = l.ptrs.as_ptr();
            p.label_lengths = l.lens.as_ptr();
            p.num_labels = l.len();
        }
        p.classifier_dropout = options.classifier_dropout.unwrap_or(-1.0);
        p.seed = options.seed;
        p.hidden_dropout_prob = options.hidden_dropout_prob.unwrap_or(-1.0);
        p.attention_probs_dropout_prob = options.attention_probs_dropout_prob.unwrap_or(-1.0);
        // SAFETY: NUL-terminated path; p and its arrays are valid for the call.
        construct(|out| unsafe { sys::bert_model_load_for_task(dir.as_ptr(), &p, out) })
            .map(|raw| Model { raw })
    }

    /// Loads a model from the contents of a config.json and a model.safetensors, copying them.
    pub fn load_from_memory(config_json: &[u8], weights: &[u8]) -> Result<Model> {
        Model::from_memory(config_json, weights, 0)
    }

    /// Loads a model that uses the `weights` buffer in place (zero-copy for 4-byte aligned
    /// float32 tensors, e.g. a memory-mapped file): `BERT_MODEL_LOAD_BORROW`. The returned
    /// [`BorrowedModel`] cannot outlive the buffer, which stays borrowed (unchanged) meanwhile.
    pub fn load_borrowed<'a>(config_json: &[u8], weights: &'a [u8]) -> Result<BorrowedModel<'a>> {
        Model::from_memory(config_json, weights, sys::BERT_MODEL_LOAD_BORROW).map(|model| {
            BorrowedModel {
                model,
                _weights: PhantomData,
            }
        })
    }

    fn from_memory(config_json: &[u8], weights: &[u8], flags: u32) -> Result<Model> {
        // SAFETY: both buffers are valid for their lengths during the call (and, with the borrow
        // flag, for the lifetime the caller's BorrowedModel ties to `weights`).
        construct(|out| unsafe {
            sys::bert_model_load_from_memory(
                config_json.as_ptr().cast(),
                config_json.len(),
                weights.as_ptr().cast(),
                weights.len(),
                flags,
                out,
            )
        })
        .map(|raw| Model { raw })
    }

    /// Saves config.json (with the head's architecture and, for a classifier, `id2label` /
    /// `label2id`) and model.safetensors into `dir` (created if needed), atomically, loadable by
    /// transformers' `AutoModelFor*.from_pretrained(dir)`.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = path_cstring(dir.as_ref())?;
        // SAFETY: valid handle and path.
        check(unsafe { sys::bert_model_save(self.raw.as_ptr(), dir.as_ptr()) })
    }

    /// The model's configuration, its head included.
    pub fn config(&self) -> Result<ModelConfig> {
        let p = self.raw_config()?;
        // SAFETY: the strings point into the model, alive during the copy.
        Ok(unsafe { ModelConfig::from_raw(&p) })
    }

    /// `bert_model_config`; its strings and arrays point into the model.
    fn raw_config(&self) -> Result<sys::bert_model_params> {
        let mut p = ModelConfig::raw_defaults();
        // SAFETY: valid handle; p initialised with its struct_size.
        check(unsafe { sys::bert_model_config(self.raw.as_ptr(), &mut p) })?;
        Ok(p)
    }

    /// The model's head: [`Task::MaskedLm`], [`Task::SequenceClassification`] or
    /// [`Task::TokenClassification`]. An accessor: the thread's
    /// [`last_warning`](crate::last_warning) is left as it was.
    pub fn task(&self) -> Task {
        // SAFETY: a live model handle.
        Task::from_raw(unsafe { sys::bert_model_task(self.raw.as_ptr()) })
    }

    /// A classifier's label names, indexed by label id (config.json `id2label`); empty for a
    /// masked LM. An accessor like [`Model::task`].
    pub fn labels(&self) -> Vec<String> {
        // SAFETY: a live model handle; the names are NUL-terminated and live as long as it.
        unsafe {
            let n = sys::bert_model_num_labels(self.raw.as_ptr());
            (0..n)
                .map(|i| {
                    let p = sys::bert_model_label(self.raw.as_ptr(), i);
                    if p.is_null() {
                        String::new()
                    } else {
                        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
                    }
                })
                .collect()
        }
    }

    /// Number of distinct parameters (the tied decoder weight counted once), as transformers'
    /// `model.num_parameters()`.
    pub fn num_parameters(&self) -> Result<u64> {
        let mut n = 0u64;
        // SAFETY: valid handle and out-pointer.
        check(unsafe { sys::bert_model_num_parameters(self.raw.as_ptr(), &mut n) })?;
        Ok(n)
    }

    /// The C handle, for use with [`bertc_sys`](crate::sys) (owned by `self`: do not free it).
    pub fn as_ptr(&self) -> *const sys::bert_model {
        self.raw.as_ptr()
    }

    pub(crate) fn raw_mut(&self) -> *mut sys::bert_model {
        self.raw.as_ptr()
    }
}

/// A model loaded with [`Model::load_borrowed`]: it uses the caller's weights buffer in place and
/// cannot outlive it.
///
/// Derefs to [`Model`] for everything that reads the model (fill-mask, scoring, save, config).
/// Training it ([`BorrowedModel::trainer`]) first copies the trained weights inside the library;
/// the buffer is never written.
pub struct BorrowedModel<'a> {
    model: Model,
    _weights: PhantomData<&'a [u8]>,
}

impl Deref for BorrowedModel<'_> {
    type Target = Model;

    fn deref(&self) -> &Model {
        &self.model
    }
}

impl fmt::Debug for BorrowedModel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BorrowedModel").field(&self.model).finish()
    }
}

impl BorrowedModel<'_> {
    /// Creates a [`Trainer`](crate::Trainer) on this model (see
    /// [`Trainer::new`](crate::Trainer::new)).
    pub fn trainer<'m>(
        &'m mut self,
        tokenizer: &crate::Tokenizer,
        train: Option<&crate::TrainData>,
        eval: Option<&crate::TrainData>,
        options: &crate::TrainerOptions,
    ) -> Result<crate::Trainer<'m>> {
        crate::Trainer::create(&self.model, tokenizer, train, eval, options)
    }
}
