//! Training: [`Trainer`] — MLM pre-training (Hugging Face DataCollatorForLanguageModeling +
//! Trainer) and fine-tuning of classifiers (DataCollatorWithPadding /
//! DataCollatorForTokenClassification + Trainer) — and its data, [`TrainData`].
use std::ffi::{c_char, CStr, CString};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{size_of, size_of_val};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};

use bertc_sys as sys;

use crate::error::{check, Error, Result};
use crate::model::{Model, Task};
use crate::progress::{Event, Progress, ProgressFn};
use crate::tokenizer::Tokenizer;
use crate::util::{
    construct, cstring, flag, opt_cstring, opt_path_cstring, opt_ptr, path_from_cstr,
    string_from_ptr, CStrings,
};

c_enum! {
    /// How training examples are formed from corpus lines.
    pub enum Grouping {
        /// One line per example, truncated; batches padded to max_length.
        TruncatePad = sys::BERT_GROUPING_TRUNCATE_PAD,
        /// Lines concatenated and cut into max_length blocks with `[CLS]`/`[SEP]`.
        ConcatChunk = sys::BERT_GROUPING_CONCAT_CHUNK,
        /// One line per example; length-bucketed batches padded to the longest. The default.
        Dynamic = sys::BERT_GROUPING_DYNAMIC,
        /// Consecutive lines packed into one sequence: `[CLS] a [SEP] b [SEP]`.
        Packed = sys::BERT_GROUPING_PACKED,
    }
}

c_enum! {
    /// Learning-rate schedule after warmup.
    pub enum LrSchedule {
        /// Linear decay to 0 at the last step. The default.
        Linear = sys::BERT_SCHEDULE_LINEAR,
        /// Constant.
        Constant = sys::BERT_SCHEDULE_CONSTANT,
        /// Half cosine to 0.
        Cosine = sys::BERT_SCHEDULE_COSINE,
    }
}

/// Training options (`bert_trainer_params`, Hugging Face's TrainingArguments). `Default` takes
/// the library's defaults.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TrainerOptions {
    /// Checkpoints, `train_log.jsonl` and the final model go here. Required unless `save_steps`
    /// is 0 and `save_final_model` is off.
    pub output_dir: Option<PathBuf>,
    /// Tokens per example including `[CLS]`/`[SEP]`; at most the model's max_position_embeddings.
    pub max_length: usize,
    /// How examples are formed from lines.
    pub grouping: Grouping,
    /// Share of tokens masked, in (0, 1).
    pub mlm_probability: f64,
    /// Mask whole words (`##` pieces with their word).
    pub whole_word_mask: bool,
    /// Every example gets at least one masked token.
    pub at_least_one_mask: bool,
    /// Run the MLM head only on masked positions (same loss, faster).
    pub masked_only_logits: bool,
    /// Pad every batch to max_length.
    pub pad_to_max_length: bool,
    /// Share of the training lines held out for evaluation when no eval data is given; 0 = none.
    pub eval_split: f64,
    /// Where the encoded-dataset cache lives (`None`: next to the first data file).
    pub cache_dir: Option<PathBuf>,
    /// Reuse / write the encoded-dataset cache.
    pub use_cache: bool,
    /// Examples per micro-batch.
    pub batch_size: usize,
    /// Evaluation batch size; 0 = batch_size.
    pub eval_batch_size: usize,
    /// Micro-batches per optimizer step.
    pub grad_accum: usize,
    /// AdamW learning rate.
    pub learning_rate: f64,
    /// AdamW weight decay (not on biases and LayerNorm weights).
    pub weight_decay: f64,
    /// AdamW beta1.
    pub adam_beta1: f64,
    /// AdamW beta2.
    pub adam_beta2: f64,
    /// AdamW epsilon.
    pub adam_epsilon: f64,
    /// Gradient clipping norm; <= 0 disables clipping.
    pub max_grad_norm: f64,
    /// Learning-rate schedule after warmup.
    pub schedule: LrSchedule,
    /// Warmup steps.
    pub warmup_steps: u64,
    /// Warmup as a share of the total steps (used when warmup_steps is 0).
    pub warmup_ratio: f64,
    /// Total optimizer steps; > 0 overrides num_epochs.
    pub max_steps: u64,
    /// Epochs over the training data.
    pub num_epochs: f64,
    /// Log (and report a TrainStep event) every this many steps; 0 = never.
    pub logging_steps: u64,
    /// Evaluate every this many steps; 0 = never.
    pub eval_steps: u64,
    /// Write a checkpoint every this many steps; 0 = never.
    pub save_steps: u64,
    /// Keep at most this many checkpoints (0 = all; the best and newest are never deleted).
    pub save_total_limit: usize,
    /// Reload the checkpoint with the best `metric_for_best_model` at the end of training (needs
    /// `eval_steps` > 0 and `save_steps` a multiple of it).
    pub load_best_model_at_end: bool,
    /// [`Trainer::train`] saves the final model into output_dir.
    pub save_final_model: bool,
    /// Seed of data order, masks, dropout and eval split.
    pub seed: u64,
    /// Intra-op threads of this trainer's calls; 0 = the free cores (all of them when the machine is idle).
    pub threads: usize,
    /// `"cpu"`; `"cuda"` / `"cuda:N"` only with a CUDA build of LibTorch.
    pub device: String,
    /// Log file (`None`: `output_dir/train_log.jsonl`).
    pub log_file: Option<PathBuf>,
    /// The eval metric that picks the best checkpoint ([`TrainerInfo::best_metric`],
    /// `load_best_model_at_end`): `None` or `"loss"` (lower is better), `"accuracy"` or, for
    /// classifiers, `"f1"` (higher is better).
    pub metric_for_best_model: Option<String>,
    /// (ABI 1.2) Processes training together (data parallelism; the header's "Data-parallel
    /// training"); 0 = from the launcher's `WORLD_SIZE` (or `SLURM_NTASKS`), else 1.
    pub world_size: usize,
    /// (1.2) This process's rank in `[0, world_size)`; `None` = `RANK` (or `SLURM_PROCID`).
    pub rank: Option<i32>,
    /// (1.2) Rank among this machine's processes; `None` = `LOCAL_RANK`.
    pub local_rank: Option<i32>,
    /// (1.2) Processes on this machine (`threads` 0 = cores / this); 0 = `LOCAL_WORLD_SIZE`.
    pub local_world_size: usize,
    /// (1.2) Rendezvous: `"host:port"` (rank 0 serves a c10d TCPStore there) or `"file:///path"`;
    /// `None` = `MASTER_ADDR:MASTER_PORT`.
    pub master: Option<String>,
    /// (1.2) Seconds the rendezvous and every collective wait for the other ranks.
    pub dist_timeout_seconds: f64,
}

setters!(TrainerOptions {
    max_length: usize,
    grouping: Grouping,
    mlm_probability: f64,
    whole_word_mask: bool,
    at_least_one_mask: bool,
    masked_only_logits: bool,
    pad_to_max_length: bool,
    eval_split: f64,
    use_cache: bool,
    batch_size: usize,
    eval_batch_size: usize,
    grad_accum: usize,
    learning_rate: f64,
    weight_decay: f64,
    adam_beta1: f64,
    adam_beta2: f64,
    adam_epsilon: f64,
    max_grad_norm: f64,
    schedule: LrSchedule,
    warmup_steps: u64,
    warmup_ratio: f64,
    max_steps: u64,
    num_epochs: f64,
    logging_steps: u64,
    eval_steps: u64,
    save_steps: u64,
    save_total_limit: usize,
    load_best_model_at_end: bool,
    save_final_model: bool,
    seed: u64,
    threads: usize,
    world_size: usize,
    local_world_size: usize,
    dist_timeout_seconds: f64,
} into {
    device: String,
} opt {
    output_dir: PathBuf,
    cache_dir: PathBuf,
    log_file: PathBuf,
    metric_for_best_model: String,
    rank: i32,
    local_rank: i32,
    master: String,
});

impl TrainerOptions {
    fn raw_defaults() -> sys::bert_trainer_params {
        let mut p = sys::bert_trainer_params::default();
        // SAFETY: p is a bert_trainer_params of the size passed.
        let code = unsafe { sys::bert_trainer_params_init(&mut p, size_of_val(&p)) };
        assert_eq!(code, sys::BERT_OK, "bert_trainer_params_init failed");
        p
    }
}

impl Default for TrainerOptions {
    fn default() -> Self {
        let p = TrainerOptions::raw_defaults();
        // SAFETY: the defaults' strings are NULL or static.
        let path = |s: *const c_char| {
            (!s.is_null()).then(|| path_from_cstr(unsafe { CStr::from_ptr(s) }).to_path_buf())
        };
        TrainerOptions {
            output_dir: path(p.output_dir),
            max_length: p.max_length,
            grouping: Grouping::from_raw(p.grouping).unwrap_or(Grouping::Dynamic),
            mlm_probability: p.mlm_probability,
            whole_word_mask: p.whole_word_mask != 0,
            at_least_one_mask: p.at_least_one_mask != 0,
            masked_only_logits: p.masked_only_logits != 0,
            pad_to_max_length: p.pad_to_max_length != 0,
            eval_split: p.eval_split,
            cache_dir: path(p.cache_dir),
            use_cache: p.use_cache != 0,
            batch_size: p.batch_size,
            eval_batch_size: p.eval_batch_size,
            grad_accum: p.grad_accum,
            learning_rate: p.learning_rate,
            weight_decay: p.weight_decay,
            adam_beta1: p.adam_beta1,
            adam_beta2: p.adam_beta2,
            adam_epsilon: p.adam_epsilon,
            max_grad_norm: p.max_grad_norm,
            schedule: LrSchedule::from_raw(p.schedule).unwrap_or(LrSchedule::Linear),
            warmup_steps: p.warmup_steps,
            warmup_ratio: p.warmup_ratio,
            max_steps: p.max_steps,
            num_epochs: p.num_epochs,
            logging_steps: p.logging_steps,
            eval_steps: p.eval_steps,
            save_steps: p.save_steps,
            save_total_limit: p.save_total_limit,
            load_best_model_at_end: p.load_best_model_at_end != 0,
            save_final_model: p.save_final_model != 0,
            seed: p.seed,
            threads: p.threads,
            // SAFETY: as above.
            device: unsafe { string_from_ptr(p.device) },
            log_file: path(p.log_file),
            // SAFETY: NULL or a static string.
            metric_for_best_model: (!p.metric_for_best_model.is_null())
                .then(|| unsafe { string_from_ptr(p.metric_for_best_model) }),
            world_size: p.world_size,
            rank: (p.rank >= 0).then_some(p.rank),
            local_rank: (p.local_rank >= 0).then_some(p.local_rank),
            local_world_size: usize::try_from(p.local_world_size).unwrap_or(0),
            // SAFETY: NULL or a static string.
            master: (!p.master.is_null()).then(|| unsafe { string_from_ptr(p.master) }),
            dist_timeout_seconds: p.dist_timeout_seconds,
        }
    }
}

/// `bert_trainer_params` with the strings it points to.
struct RawTrainerParams {
    params: sys::bert_trainer_params,
    _strings: [Option<CString>; 6],
}

impl TrainerOptions {
    fn to_raw(&self) -> Result<RawTrainerParams> {
        let strings = [
            opt_path_cstring(self.output_dir.as_deref())?,
            opt_path_cstring(self.cache_dir.as_deref())?,
            Some(cstring(&self.device, "device")?),
            opt_path_cstring(self.log_file.as_deref())?,
            opt_cstring(
                self.metric_for_best_model.as_deref(),
                "metric_for_best_model",
            )?,
            opt_cstring(self.master.as_deref(), "master")?,
        ];
        let mut p = TrainerOptions::raw_defaults();
        p.output_dir = opt_ptr(&strings[0]);
        p.max_length = self.max_length;
        p.grouping = self.grouping.to_raw();
        p.mlm_probability = self.mlm_probability;
        p.whole_word_mask = flag(self.whole_word_mask);
        p.at_least_one_mask = flag(self.at_least_one_mask);
        p.masked_only_logits = flag(self.masked_only_logits);
        p.pad_to_max_length = flag(self.pad_to_max_length);
        p.eval_split = self.eval_split;
        p.cache_dir = opt_ptr(&strings[1]);
        p.use_cache = flag(self.use_cache);
        p.batch_size = self.batch_size;
        p.eval_batch_size = self.eval_batch_size;
        p.grad_accum = self.grad_accum;
        p.learning_rate = self.learning_rate;
        p.weight_decay = self.weight_decay;
        p.adam_beta1 = self.adam_beta1;
        p.adam_beta2 = self.adam_beta2;
        p.adam_epsilon = self.adam_epsilon;
        p.max_grad_norm = self.max_grad_norm;
        p.schedule = self.schedule.to_raw();
        p.warmup_steps = self.warmup_steps;
        p.warmup_ratio = self.warmup_ratio;
        p.max_steps = self.max_steps;
        p.num_epochs = self.num_epochs;
        p.logging_steps = self.logging_steps;
        p.eval_steps = self.eval_steps;
        p.save_steps = self.save_steps;
        p.save_total_limit = self.save_total_limit;
        p.load_best_model_at_end = flag(self.load_best_model_at_end);
        p.save_final_model = flag(self.save_final_model);
        p.seed = self.seed;
        p.threads = self.threads;
        p.device = opt_ptr(&strings[2]);
        p.log_file = opt_ptr(&strings[3]);
        p.metric_for_best_model = opt_ptr(&strings[4]);
        p.world_size = self.world_size;
        p.rank = self.rank.unwrap_or(-1);
        p.local_rank = self.local_rank.unwrap_or(-1);
        p.local_world_size = i32::try_from(self.local_world_size)
            .map_err(|_| Error::invalid_argument("local_world_size is too large"))?;
        p.master = opt_ptr(&strings[5]);
        p.dist_timeout_seconds = self.dist_timeout_seconds;
        Ok(RawTrainerParams {
            params: p,
            _strings: strings,
        })
    }
}

/// Training or evaluation data: text files, JSON Lines files, or word-piece ids in memory
/// (`bert_trainer_data`). Copied by [`Trainer::new`].
///
/// For a masked LM (pre-training) files are plain text ([`files`](Self::files)) or JSON Lines
/// with a text field ([`jsonl`](Self::jsonl)). For a classifier (fine-tuning) files are JSON
/// Lines: a sequence classifier reads the text from the `jsonl_field` (default `"text"`) and the
/// label from the [`label_field`](Self::label_field) (default `"label"`; a label name of the
/// model's label map or an integer id); a token classifier reads an array of words from the
/// [`words_field`](Self::words_field) (`"words"`) and one tag per word from the
/// [`tags_field`](Self::tags_field) (`"tags"`). In memory, a classifier's sequences need
/// [`labels`](Self::labels).
///
/// ```no_run
/// use bertc::{Model, Task, TaskOptions, TrainData};
/// # fn main() -> bertc::Result<()> {
/// let train = TrainData::files(["train.jsonl"]); // {"text": "...", "label": "press"} lines
/// let labels = train.label_names(Task::SequenceClassification)?; // sorted, as HF's run_glue
/// let model = Model::load_for_task(
///     "runs/pretrained",
///     &TaskOptions::new(Task::SequenceClassification).labels(labels),
/// )?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrainData {
    files: Vec<PathBuf>,
    jsonl_field: Option<String>,
    label_field: Option<String>,
    words_field: Option<String>,
    tags_field: Option<String>,
    tokens: Option<(Vec<i32>, Vec<usize>)>,
    labels: Option<Vec<i32>>,
}

impl TrainData {
    /// Plain text files, one example per line (blank lines skipped); tokenized once, in
    /// parallel, and cached. A classifier reads them as JSON Lines with the default fields.
    pub fn files<P: AsRef<Path>>(files: impl IntoIterator<Item = P>) -> TrainData {
        TrainData {
            files: files
                .into_iter()
                .map(|p| p.as_ref().to_path_buf())
                .collect(),
            ..TrainData::default()
        }
    }

    /// JSON Lines files whose string field `field` holds the text.
    pub fn jsonl<P: AsRef<Path>>(
        files: impl IntoIterator<Item = P>,
        field: impl Into<String>,
    ) -> TrainData {
        TrainData::files(files).jsonl_field(field)
    }

    /// Sequences of word-piece ids WITHOUT `[CLS]`/`[SEP]`, back to back in `ids`; sequence `i`
    /// is `ids[offsets[i]..offsets[i + 1]]` (`offsets` has one entry more than there are
    /// sequences and starts at 0).
    pub fn token_ids(ids: Vec<i32>, offsets: Vec<usize>) -> TrainData {
        TrainData {
            tokens: Some((ids, offsets)),
            ..TrainData::default()
        }
    }

    /// Sequences of word-piece ids WITHOUT `[CLS]`/`[SEP]`, e.g. the rows of an [`Encoding`]
    /// made with `add_special_tokens` off.
    ///
    /// [`Encoding`]: crate::Encoding
    pub fn sequences<S: AsRef<[i32]>>(sequences: impl IntoIterator<Item = S>) -> TrainData {
        let mut ids = Vec::new();
        let mut offsets = vec![0];
        for s in sequences {
            ids.extend_from_slice(s.as_ref());
            offsets.push(ids.len());
        }
        TrainData::token_ids(ids, offsets)
    }

    /// Sets the JSON Lines field holding the text (plain text without it, for a masked LM; a
    /// sequence classifier's default is `"text"`).
    #[must_use]
    pub fn jsonl_field(mut self, field: impl Into<String>) -> TrainData {
        self.jsonl_field = Some(field.into());
        self
    }

    /// Sets the JSON Lines field holding a sequence classifier's label (default `"label"`).
    #[must_use]
    pub fn label_field(mut self, field: impl Into<String>) -> TrainData {
        self.label_field = Some(field.into());
        self
    }

    /// Sets the JSON Lines field holding a token classifier's array of words (default `"words"`).
    #[must_use]
    pub fn words_field(mut self, field: impl Into<String>) -> TrainData {
        self.words_field = Some(field.into());
        self
    }

    /// Sets the JSON Lines field holding a token classifier's tags, one per word (default
    /// `"tags"`).
    #[must_use]
    pub fn tags_field(mut self, field: impl Into<String>) -> TrainData {
        self.tags_field = Some(field.into());
        self
    }

    /// Sets the labels of in-memory sequences, as label ids: one per sequence for a sequence
    /// classifier; one per token id (back to back, parallel to the ids; -100 = no label, e.g.
    /// on a word's continuation pieces) for a token classifier.
    ///
    /// ```
    /// # use bertc::TrainData;
    /// let texts = TrainData::sequences([vec![40, 41], vec![42]]).labels([1, 0]);
    /// let tags = [vec![3, -100], vec![0]];
    /// let words = TrainData::sequences([vec![40, 41], vec![42]]).labels(tags.concat());
    /// ```
    #[must_use]
    pub fn labels(mut self, labels: impl IntoIterator<Item = i32>) -> TrainData {
        self.labels = Some(labels.into_iter().collect());
        self
    }

    /// The distinct labels of classification data, sorted (as Hugging Face's `run_glue` /
    /// `run_ner` build their label lists): the label field (`task`
    /// [`Task::SequenceClassification`]) or every tag ([`Task::TokenClassification`]) of the
    /// files, read as [`Trainer::new`] reads them (integer labels as their decimal text). Use it
    /// to give a new head its labels ([`TaskOptions::labels`](crate::TaskOptions::labels)).
    pub fn label_names(&self, task: Task) -> Result<Vec<String>> {
        crate::check_version()?;
        let raw = self.to_raw(None)?;
        let mut labels: *mut *mut c_char = ptr::null_mut();
        let mut count = 0usize;
        // SAFETY: raw and what it points to are valid for the call; out-pointers are valid.
        check(unsafe {
            sys::bert_trainer_data_labels(&raw.data, task.to_raw(), &mut labels, &mut count)
        })?;
        // SAFETY: on success `labels` holds `count` NUL-terminated strings, copied before the
        // array is released (once).
        unsafe {
            let names = crate::util::slice(labels, count)
                .iter()
                .map(|&l| string_from_ptr(l))
                .collect();
            sys::bert_labels_free(labels, count);
            Ok(names)
        }
    }
}

/// `bert_trainer_data` with what it points to.
struct RawData<'a> {
    data: sys::bert_trainer_data,
    _files: Option<CStrings>,
    _fields: [Option<CString>; 4],
    _source: PhantomData<&'a TrainData>,
}

impl TrainData {
    /// The C struct for the data of a model of `task` (`None`: no labels are read). The library
    /// reads as many in-memory labels as the task says (one per sequence, or one per token id),
    /// so their number is checked here.
    fn to_raw(&self, task: Option<Task>) -> Result<RawData<'_>> {
        let mut d = sys::bert_trainer_data::default();
        // SAFETY: d is a bert_trainer_data of the size passed.
        check(unsafe { sys::bert_trainer_data_init(&mut d, size_of_val(&d)) })?;
        let fields = [
            opt_cstring(self.jsonl_field.as_deref(), "jsonl_field")?,
            opt_cstring(self.label_field.as_deref(), "label_field")?,
            opt_cstring(self.words_field.as_deref(), "words_field")?,
            opt_cstring(self.tags_field.as_deref(), "tags_field")?,
        ];
        d.jsonl_field = opt_ptr(&fields[0]);
        d.label_field = opt_ptr(&fields[1]);
        d.words_field = opt_ptr(&fields[2]);
        d.tags_field = opt_ptr(&fields[3]);
        let mut files = None;
        if !self.files.is_empty() {
            let f = CStrings::from_paths(&self.files)?;
            d.files = f.ptrs.as_ptr();
            d.num_files = f.ptrs.len();
            files = Some(f);
        }
        let mut sequences = 0;
        let mut num_ids = 0;
        if let Some((ids, offsets)) = &self.tokens {
            // The library reads offsets[0..=n] and ids[0..offsets[n]]: both must exist.
            let Some(&end) = offsets.last() else {
                return Err(Error::invalid_argument("TrainData: offsets is empty"));
            };
            if end > ids.len() {
                return Err(Error::invalid_argument(format!(
                    "TrainData: offsets end at {end} but there are {} ids",
                    ids.len()
                )));
            }
            d.token_ids = ids.as_ptr();
            d.offsets = offsets.as_ptr();
            d.num_sequences = offsets.len() - 1;
            sequences = d.num_sequences;
            num_ids = end;
        }
        if let (Some(labels), Some(task)) = (&self.labels, task) {
            let want = match task {
                Task::SequenceClassification => sequences,
                Task::TokenClassification => num_ids,
                other => {
                    return Err(Error::invalid_argument(format!(
                        "TrainData: labels are for classifiers; the model's task is {other:?}"
                    )))
                }
            };
            if labels.len() != want {
                return Err(Error::invalid_argument(format!(
                    "TrainData: {} labels for {want} {} ({task:?})",
                    labels.len(),
                    if task == Task::SequenceClassification {
                        "sequences"
                    } else {
                        "token ids"
                    }
                )));
            }
            d.labels = labels.as_ptr();
            d.num_labels = labels.len();
        }
        Ok(RawData {
            data: d,
            _files: files,
            _fields: fields,
            _source: PhantomData,
        })
    }
}

/// One optimizer step's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct StepResult {
    /// Global step after the update (1-based).
    pub step: u64,
    /// Steps the run will take in all.
    pub total_steps: u64,
    /// Mean loss (MLM or classification) of the step's micro-batches.
    pub loss: f64,
    /// The learning rate used by this update.
    pub learning_rate: f64,
    /// Total gradient L2 norm before clipping.
    pub grad_norm: f64,
    /// Fractional epoch after the step.
    pub epoch: f64,
    /// Non-padding tokens processed.
    pub tokens: u64,
    /// Predicted (masked) positions; classifiers: labels.
    pub masked_tokens: u64,
}

/// Result of [`Trainer::evaluate`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct EvalResult {
    /// Mean cross-entropy over all masked eval tokens (classifiers: labels).
    pub loss: f64,
    /// `exp(loss)`; NaN for classifiers.
    pub perplexity: f64,
    /// Share of masked tokens (classifiers: examples / tagged words) whose argmax prediction is
    /// right.
    pub accuracy: f64,
    /// Masked tokens (classifiers: labels) scored.
    pub masked_tokens: u64,
    /// Evaluation examples.
    pub examples: usize,
    /// A classifier's macro-F1: the unweighted mean of each label's F1 over the labels that occur
    /// as gold or prediction (scikit-learn's `f1_score(average="macro")`; for tags: per tag,
    /// entity-free). NaN for a masked LM.
    pub f1: f64,
}

/// State of a trainer ([`Trainer::info`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TrainerInfo {
    /// Optimizer steps taken so far.
    pub global_step: u64,
    /// Steps the run will take in all.
    pub total_steps: u64,
    /// Fractional epoch reached.
    pub epoch: f64,
    /// Training examples after grouping (0 without training data).
    pub train_examples: usize,
    /// Evaluation examples after grouping.
    pub eval_examples: usize,
    /// Real tokens in the training examples, `[CLS]`/`[SEP]` included.
    pub train_tokens: u64,
    /// Share of padding tokens in one epoch of training batches.
    pub train_padding_share: f64,
    /// Best `metric_for_best_model` at a checkpoint, `None` when none.
    pub best_metric: Option<f64>,
    /// The checkpoint with that metric, `None` when none.
    pub best_checkpoint: Option<PathBuf>,
    /// The training data came from the encoded-dataset cache.
    pub cache_hit: bool,
    /// (1.2) This process's rank (0 unless data-parallel).
    pub rank: i32,
    /// (1.2) Processes training together (1 unless data-parallel).
    pub world_size: i32,
}

/// A training run on a model, which it trains in place. The model's task decides what it does:
/// a masked LM is pre-trained on text with masking; a sequence or token classifier
/// ([`Model::create`] with a task, or [`Model::load_for_task`]) is fine-tuned on labelled data
/// ([`TrainData`]) and evaluated by loss, accuracy and macro-F1 ([`EvalResult::f1`]).
///
/// The trainer holds the model exclusively (`&'m mut Model`) for its whole life, as the header
/// requires ("the trainer borrows model, which must outlive it"); progress callbacks may still
/// read it through [`Event::model`]. It keeps its own reference to the tokenizer, which is
/// therefore borrowed only during [`Trainer::new`].
///
/// `Send` (a run may move to another thread) but not `Sync`: one trainer serves one call at a time.
pub struct Trainer<'m> {
    raw: NonNull<sys::bert_trainer>,
    model: &'m Model,
    _exclusive: PhantomData<&'m mut Model>,
}

// SAFETY: the trainer is tied to no thread (each call sets its threads on the calling thread);
// it is not Sync because its functions are not thread-safe for one trainer.
unsafe impl Send for Trainer<'_> {}

impl Drop for Trainer<'_> {
    fn drop(&mut self) {
        // SAFETY: owned handle; the model outlives it ('m).
        unsafe { sys::bert_trainer_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Trainer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trainer")
            .field("info", &self.info().ok())
            .finish_non_exhaustive()
    }
}

impl<'m> Trainer<'m> {
    /// Creates a trainer for `model` (trained in place) with `tokenizer` (same vocabulary size as
    /// the model). `train` may be `None` for a trainer fed only by [`step_batch`](Self::step_batch);
    /// `eval` `None` holds out `options.eval_split` of the training data. Tokenizes file data
    /// (with cache), builds the examples, validates everything and creates `output_dir`. A
    /// classifier's data must carry labels its label map knows (the error names the file and line
    /// of one it does not).
    pub fn new(
        model: &'m mut Model,
        tokenizer: &Tokenizer,
        train: Option<&TrainData>,
        eval: Option<&TrainData>,
        options: &TrainerOptions,
    ) -> Result<Trainer<'m>> {
        Trainer::create(model, tokenizer, train, eval, options)
    }

    /// Creation on a model the caller holds exclusively for `'m`.
    pub(crate) fn create(
        model: &'m Model,
        tokenizer: &Tokenizer,
        train: Option<&TrainData>,
        eval: Option<&TrainData>,
        options: &TrainerOptions,
    ) -> Result<Trainer<'m>> {
        let params = options.to_raw()?;
        let task = Some(model.task());
        let train = train.map(|d| d.to_raw(task)).transpose()?;
        let eval = eval.map(|d| d.to_raw(task)).transpose()?;
        let data_ptr = |d: &Option<RawData<'_>>| {
            d.as_ref()
                .map_or(ptr::null(), |d| &d.data as *const sys::bert_trainer_data)
        };
        // SAFETY: the model is exclusively borrowed for 'm (the trainer's life); every pointer in
        // params and data is valid for the call, which copies what it keeps.
        let raw = construct(|out| unsafe {
            sys::bert_trainer_create(
                model.raw_mut(),
                tokenizer.as_ptr(),
                data_ptr(&train),
                data_ptr(&eval),
                &params.params,
                out,
            )
        })?;
        Ok(Trainer {
            raw,
            model,
            _exclusive: PhantomData,
        })
    }

    /// The model being trained (read it between calls: fill-mask, save, config).
    pub fn model(&self) -> &Model {
        self.model
    }

    /// Runs a C call with an optional progress closure bridged to the C callback.
    fn with_progress<T>(
        &mut self,
        progress: Option<&mut ProgressFn<'_>>,
        call: impl FnOnce(
            *mut sys::bert_trainer,
            sys::bert_progress_fn,
            *mut std::ffi::c_void,
        ) -> Result<T>,
    ) -> Result<T> {
        match progress {
            None => call(self.raw.as_ptr(), None, ptr::null_mut()),
            Some(f) => {
                let mut state = Progress::new(f, Some(self.model));
                let (cb, user) = state.as_c();
                let result = call(self.raw.as_ptr(), cb, user);
                state.finish(result)
            }
        }
    }

    fn step_impl(&mut self, progress: Option<&mut ProgressFn<'_>>) -> Result<StepResult> {
        self.with_progress(progress, |t, cb, user| {
            let mut r = new_step_result();
            // SAFETY: valid trainer; r carries its struct_size; cb/user valid for the call.
            check(unsafe { sys::bert_trainer_step(t, cb, user, &mut r) })?;
            Ok(step_result(&r))
        })
    }

    /// Runs one optimizer step (`grad_accum` micro-batches of the training data), then logs,
    /// evaluates and checkpoints when this step hits `logging_steps` / `eval_steps` /
    /// `save_steps`.
    pub fn step(&mut self) -> Result<StepResult> {
        self.step_impl(None)
    }

    /// [`step`](Self::step) with a progress closure for the step's events. A `Break` gives
    /// [`Status::Cancelled`](crate::Status) (the step itself is complete and counted).
    pub fn step_with_progress<F>(&mut self, mut progress: F) -> Result<StepResult>
    where
        F: FnMut(&Event<'_>) -> ControlFlow<()>,
    {
        self.step_impl(Some(&mut progress))
    }

    /// One optimizer step on a batch from memory: `input_ids` is `rows x cols` row-major ids that
    /// already contain `[CLS]`/`[SEP]` and padding. `attention_mask` `None` means "not `[PAD]`".
    /// For a masked LM, `labels` `None` lets the trainer mask the batch, otherwise it holds the
    /// target id at predicted positions and -100 elsewhere (`rows x cols`). A classifier needs
    /// `labels`: one label id per row (sequence classifier) or `rows x cols` (token classifier;
    /// -100 where none). No accumulation, no logging cadence.
    pub fn step_batch(
        &mut self,
        input_ids: &[i32],
        cols: usize,
        attention_mask: Option<&[i32]>,
        labels: Option<&[i32]>,
    ) -> Result<StepResult> {
        let rows = input_ids.len().checked_div(cols).unwrap_or(0);
        if rows * cols != input_ids.len() {
            return Err(Error::invalid_argument(format!(
                "step_batch: {} input ids are not rows x {cols}",
                input_ids.len()
            )));
        }
        // The library reads `rows` labels for a sequence classifier and rows x cols otherwise.
        let label_len = if labels.is_some() && self.model.task() == Task::SequenceClassification {
            rows
        } else {
            input_ids.len()
        };
        for (name, a, want) in [
            ("attention_mask", attention_mask, input_ids.len()),
            ("labels", labels, label_len),
        ] {
            if let Some(a) = a {
                if a.len() != want {
                    return Err(Error::invalid_argument(format!(
                        "step_batch: {name} has {} entries, not {want} ({rows} rows x {cols})",
                        a.len(),
                    )));
                }
            }
        }
        let opt = |a: Option<&[i32]>| a.map_or(ptr::null(), <[i32]>::as_ptr);
        let mut r = new_step_result();
        // SAFETY: every array holds rows * cols ids (checked above).
        check(unsafe {
            sys::bert_trainer_step_batch(
                self.raw.as_ptr(),
                input_ids.as_ptr(),
                opt(attention_mask),
                opt(labels),
                rows,
                cols,
                &mut r,
            )
        })?;
        Ok(step_result(&r))
    }

    /// Trains until the total steps (`max_steps`, or `num_epochs` over the data), then reloads the
    /// best checkpoint and saves the final model as the options say. Continues from the current
    /// step (e.g. after [`resume`](Self::resume)).
    pub fn train(&mut self) -> Result<()> {
        self.train_impl(None)
    }

    /// [`train`](Self::train) with a progress closure (logged steps, evaluations, checkpoints).
    /// A `Break` gives [`Status::Cancelled`](crate::Status); the trainer stays usable (call again
    /// to continue).
    pub fn train_with_progress<F>(&mut self, mut progress: F) -> Result<()>
    where
        F: FnMut(&Event<'_>) -> ControlFlow<()>,
    {
        self.train_impl(Some(&mut progress))
    }

    fn train_impl(&mut self, progress: Option<&mut ProgressFn<'_>>) -> Result<()> {
        self.with_progress(progress, |t, cb, user| {
            // SAFETY: valid trainer; cb/user valid for the call.
            check(unsafe { sys::bert_trainer_train(t, cb, user) })
        })
    }

    /// Evaluates on the eval data (no dropout, fixed masks: comparable across calls); does not
    /// change the training trajectory.
    pub fn evaluate(&mut self) -> Result<EvalResult> {
        let mut r = sys::bert_trainer_eval_result {
            struct_size: size_of::<sys::bert_trainer_eval_result>(),
            ..Default::default()
        };
        // SAFETY: valid trainer; r carries its struct_size.
        check(unsafe { sys::bert_trainer_evaluate(self.raw.as_ptr(), &mut r) })?;
        Ok(EvalResult {
            loss: r.loss,
            perplexity: r.perplexity,
            accuracy: r.accuracy,
            masked_tokens: r.masked_tokens,
            examples: r.examples,
            f1: r.f1,
        })
    }

    /// Writes `output_dir/checkpoint-STEP/` now (atomically) and returns its path.
    pub fn save_checkpoint(&mut self) -> Result<PathBuf> {
        let mut path: *const c_char = ptr::null();
        // SAFETY: valid trainer and out-pointer; the path is copied before the next call.
        check(unsafe { sys::bert_trainer_save_checkpoint(self.raw.as_ptr(), &mut path) })?;
        if path.is_null() {
            return Ok(PathBuf::new());
        }
        // SAFETY: a NUL-terminated string valid until the next call on this trainer.
        Ok(path_from_cstr(unsafe { CStr::from_ptr(path) }).to_path_buf())
    }

    /// Restores weights, optimizer, scheduler, RNG state and data position from a checkpoint
    /// directory (`None`: the newest complete one in output_dir). Training then continues
    /// bit-identically to an uninterrupted run with the same seed, data and thread count.
    pub fn resume(&mut self, checkpoint: Option<&Path>) -> Result<()> {
        let checkpoint = opt_path_cstring(checkpoint)?;
        // SAFETY: valid trainer; NULL or NUL-terminated path.
        check(unsafe { sys::bert_trainer_resume(self.raw.as_ptr(), opt_ptr(&checkpoint)) })
    }

    /// The trainer's position and data statistics.
    pub fn info(&self) -> Result<TrainerInfo> {
        let mut r = sys::bert_trainer_info {
            struct_size: size_of::<sys::bert_trainer_info>(),
            ..Default::default()
        };
        // SAFETY: valid trainer (not Sync: no concurrent call on it); r carries its struct_size;
        // best_checkpoint is copied before any other call.
        check(unsafe { sys::bert_trainer_get_info(self.raw.as_ptr(), &mut r) })?;
        let best = if r.best_checkpoint.is_null() {
            None
        } else {
            // SAFETY: as above.
            let p = path_from_cstr(unsafe { CStr::from_ptr(r.best_checkpoint) });
            (!p.as_os_str().is_empty()).then(|| p.to_path_buf())
        };
        Ok(TrainerInfo {
            global_step: r.global_step,
            total_steps: r.total_steps,
            epoch: r.epoch,
            train_examples: r.train_examples,
            eval_examples: r.eval_examples,
            train_tokens: r.train_tokens,
            train_padding_share: r.train_padding_share,
            best_metric: (!r.best_metric.is_nan()).then_some(r.best_metric),
            best_checkpoint: best,
            cache_hit: r.cache_hit != 0,
            rank: r.rank,
            world_size: r.world_size,
        })
    }

    /// The C handle, for use with [`bertc_sys`](crate::sys) (owned by `self`: do not free it).
    pub fn as_ptr(&self) -> *const sys::bert_trainer {
        self.raw.as_ptr()
    }
}

fn new_step_result() -> sys::bert_trainer_step_result {
    sys::bert_trainer_step_result {
        struct_size: size_of::<sys::bert_trainer_step_result>(),
        ..Default::default()
    }
}

fn step_result(r: &sys::bert_trainer_step_result) -> StepResult {
    StepResult {
        step: r.step,
        total_steps: r.total_steps,
        loss: r.loss,
        learning_rate: r.learning_rate,
        grad_norm: r.grad_norm,
        epoch: r.epoch,
        tokens: r.tokens,
        masked_tokens: r.masked_tokens,
    }
}
