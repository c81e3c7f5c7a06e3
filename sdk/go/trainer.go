package bertc

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Grouping selects how training examples are formed from corpus lines. Its Go values differ from
// the C enum so that the zero value keeps the library's default (dynamic).
type Grouping int32

// Groupings.
const (
	GroupingDefault     Grouping = iota // the library's default: GroupingDynamic
	GroupingTruncatePad                 // one line per example, truncated; batches padded to MaxLength
	GroupingConcatChunk                 // lines concatenated and cut into MaxLength blocks
	GroupingDynamic                     // one line per example; length-bucketed batches padded to the longest
	GroupingPacked                      // consecutive lines packed into one sequence: [CLS] a [SEP] b [SEP]
)

// Schedule selects the learning-rate schedule after warmup.
type Schedule int32

// Learning-rate schedules.
const (
	ScheduleLinear   Schedule = C.BERT_SCHEDULE_LINEAR   // linear decay to 0 at the last step (default)
	ScheduleConstant Schedule = C.BERT_SCHEDULE_CONSTANT // constant
	ScheduleCosine   Schedule = C.BERT_SCHEDULE_COSINE   // half cosine to 0
)

// TrainerOptions mirror bert_trainer_params (Hugging Face TrainingArguments). Zero fields keep the
// library's defaults; fields whose zero is a meaningful other setting are pointers (nil = default).
type TrainerOptions struct {
	// OutputDir receives checkpoints (checkpoint-STEP/), train_log.jsonl and the final model +
	// tokenizer. Required unless SaveSteps is 0 and NoSaveFinalModel is set.
	OutputDir string

	MaxLength          int      // tokens per example incl. [CLS]/[SEP]; 0: 128
	Grouping           Grouping // GroupingDefault: dynamic
	MLMProbability     float64  // 0: 0.15
	WholeWordMask      bool     // mask whole words ("##" pieces with their word)
	NoAtLeastOneMask   bool     // allow examples without a masked token (default: at least one)
	NoMaskedOnlyLogits bool     // run the MLM head on every position (default: masked ones only; same loss)
	PadToMaxLength     bool     // pad every batch to MaxLength
	EvalSplit          *float64 // share of training lines held out when no eval data is given; nil: 0.1; 0: none
	CacheDir           string   // where the encoded-dataset cache goes; "": next to the first data file
	NoCache            bool     // neither read nor write the encoded-dataset cache

	BatchSize     int // examples per micro-batch; 0: 8
	EvalBatchSize int // 0: BatchSize
	GradAccum     int // micro-batches per optimizer step; 0: 1

	LearningRate float64  // 0: 5e-5
	WeightDecay  *float64 // nil: 0.01
	AdamBeta1    *float64 // nil: 0.9
	AdamBeta2    *float64 // nil: 0.999
	AdamEpsilon  *float64 // nil: 1e-8
	MaxGradNorm  *float64 // nil: 1.0; <= 0 disables clipping
	Schedule     Schedule
	WarmupSteps  int64
	WarmupRatio  float64 // used when WarmupSteps is 0, as a share of the total steps
	MaxSteps     int64   // > 0 overrides NumEpochs
	NumEpochs    float64 // 0: 3

	LoggingSteps       *int64 // EventTrainStep cadence; nil: 50; 0: never
	EvalSteps          int64  // 0: never
	SaveSteps          int64  // 0: never
	SaveTotalLimit     int    // 0: keep all checkpoints
	LoadBestModelAtEnd bool   // reload the checkpoint with the best MetricForBestModel at the end of Train
	NoSaveFinalModel   bool   // Train does not save the final model into OutputDir (default: it does)
	// MetricForBestModel is the eval metric that picks the best checkpoint (TrainerInfo.BestMetric,
	// LoadBestModelAtEnd): "" or "loss" (lower is better), "accuracy" or, for classifiers, "f1"
	// (higher is better).
	MetricForBestModel string

	Seed    *uint64 // data order, masks, dropout, eval split; nil: 42
	Threads int     // intra-op threads of this trainer's calls; 0: the free cores (all of them when the machine is idle)
	Device  string  // "": "cpu"; "cuda"/"cuda:N" with a CUDA build
	LogFile string  // "": OutputDir/train_log.jsonl

	// Data parallelism (ABI 1.2; the C header's "Data-parallel training"): every process creates its
	// trainer with the same model, data and options; their gradients are summed each step and rank 0
	// alone writes. Unset fields come from the launcher's environment (torchrun, srun, bertc launch:
	// WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR:MASTER_PORT); nothing set: 1 process.
	// A program training with WorldSize > 1 should call signal.Ignore(syscall.SIGPIPE): Gloo writes to
	// a dead peer's socket from C threads, and an unhandled SIGPIPE there ends a Go program instead of
	// the trainer returning ErrIO naming the lost rank.
	WorldSize      int           // processes training together; 0: WORLD_SIZE or SLURM_NTASKS, else 1
	Rank           *int          // this process's rank in [0, WorldSize); nil: RANK or SLURM_PROCID
	LocalRank      *int          // rank among this machine's processes; nil: LOCAL_RANK
	LocalWorldSize int           // processes on this machine (Threads 0 = cores / this); 0: LOCAL_WORLD_SIZE
	Master         string        // rendezvous "host:port" (rank 0 serves it) or "file:///path"; "": MASTER_ADDR:MASTER_PORT
	DistTimeout    time.Duration // how long the rendezvous and each collective wait for the others; 0: 300 s
}

func (o *TrainerOptions) fill(p *C.bert_trainer_params, m *cmem) {
	if o == nil {
		return
	}
	str := func(dst **C.char, v, what string) {
		if v != "" {
			*dst = m.cstr(v, what)
		}
	}
	size := func(dst *C.size_t, v int) {
		if v != 0 {
			*dst = C.size_t(v)
		}
	}
	u64 := func(dst *C.uint64_t, v int64) {
		if v != 0 {
			*dst = C.uint64_t(v)
		}
	}
	f64 := func(dst *C.double, v float64) {
		if v != 0 {
			*dst = C.double(v)
		}
	}
	f64p := func(dst *C.double, v *float64) {
		if v != nil {
			*dst = C.double(*v)
		}
	}
	flag := func(dst *C.int, v bool, on C.int) {
		if v {
			*dst = on
		}
	}
	str(&p.output_dir, o.OutputDir, "OutputDir")
	size(&p.max_length, o.MaxLength)
	if o.Grouping != GroupingDefault {
		p.grouping = C.bert_grouping(o.Grouping - 1)
	}
	f64(&p.mlm_probability, o.MLMProbability)
	flag(&p.whole_word_mask, o.WholeWordMask, 1)
	flag(&p.at_least_one_mask, o.NoAtLeastOneMask, 0)
	flag(&p.masked_only_logits, o.NoMaskedOnlyLogits, 0)
	flag(&p.pad_to_max_length, o.PadToMaxLength, 1)
	f64p(&p.eval_split, o.EvalSplit)
	str(&p.cache_dir, o.CacheDir, "CacheDir")
	flag(&p.use_cache, o.NoCache, 0)
	size(&p.batch_size, o.BatchSize)
	size(&p.eval_batch_size, o.EvalBatchSize)
	size(&p.grad_accum, o.GradAccum)
	f64(&p.learning_rate, o.LearningRate)
	f64p(&p.weight_decay, o.WeightDecay)
	f64p(&p.adam_beta1, o.AdamBeta1)
	f64p(&p.adam_beta2, o.AdamBeta2)
	f64p(&p.adam_epsilon, o.AdamEpsilon)
	f64p(&p.max_grad_norm, o.MaxGradNorm)
	if o.Schedule != 0 {
		p.schedule = C.bert_lr_schedule(o.Schedule)
	}
	u64(&p.warmup_steps, o.WarmupSteps)
	f64(&p.warmup_ratio, o.WarmupRatio)
	u64(&p.max_steps, o.MaxSteps)
	f64(&p.num_epochs, o.NumEpochs)
	if o.LoggingSteps != nil {
		p.logging_steps = C.uint64_t(*o.LoggingSteps)
	}
	u64(&p.eval_steps, o.EvalSteps)
	u64(&p.save_steps, o.SaveSteps)
	size(&p.save_total_limit, o.SaveTotalLimit)
	flag(&p.load_best_model_at_end, o.LoadBestModelAtEnd, 1)
	flag(&p.save_final_model, o.NoSaveFinalModel, 0)
	if o.Seed != nil {
		p.seed = C.uint64_t(*o.Seed)
	}
	size(&p.threads, o.Threads)
	str(&p.device, o.Device, "Device")
	str(&p.log_file, o.LogFile, "LogFile")
	str(&p.metric_for_best_model, o.MetricForBestModel, "MetricForBestModel")
	size(&p.world_size, o.WorldSize)
	if o.Rank != nil {
		p.rank = C.int32_t(*o.Rank)
	}
	if o.LocalRank != nil {
		p.local_rank = C.int32_t(*o.LocalRank)
	}
	if o.LocalWorldSize != 0 {
		p.local_world_size = C.int32_t(o.LocalWorldSize)
	}
	str(&p.master, o.Master, "Master")
	if o.DistTimeout != 0 {
		p.dist_timeout_seconds = C.double(o.DistTimeout.Seconds())
	}
}

// TrainData is training or evaluation data: either Files or Sequences (set exactly one).
//
// For a masked LM (pre-training), files are plain text or JSON Lines with a text field. For a
// classifier (fine-tuning), files are JSON Lines: a sequence classifier reads the text from
// JSONLField ("": "text") and the label from LabelField ("": "label"), a label name of the model's
// label map or an integer id; a token classifier reads an array of words from WordsField ("":
// "words") and one tag per word from TagsField ("": "tags"). In memory, a classifier's Sequences
// need their labels: SequenceLabels (sequence classification) or TokenLabels (token
// classification).
type TrainData struct {
	// Files are plain-text files (one example per line; blank lines skipped) or, with JSONLField,
	// JSON Lines files with that string field. They are tokenized once, in parallel, and cached (see
	// TrainerOptions.CacheDir/NoCache).
	Files      []string
	JSONLField string
	LabelField string // sequence classification JSONL: the label field; "": "label"
	WordsField string // token classification JSONL: the words field; "": "words"
	TagsField  string // token classification JSONL: the tags field; "": "tags"
	// Sequences are in-memory examples as word-piece ids WITHOUT [CLS]/[SEP].
	Sequences [][]int32
	// SequenceLabels hold one label id per sequence, for a sequence classifier.
	SequenceLabels []int32
	// TokenLabels hold one label id per token id of each sequence (-100: no label; a word's tag
	// usually goes on its first piece), for a token classifier: TokenLabels[i] is as long as
	// Sequences[i].
	TokenLabels [][]int32
}

// cdata converts d into a bert_trainer_data in C memory (nil for nil d) for a model of `task`. On the
// locked thread. The library reads as many in-memory labels as the task says (one per sequence or
// one per token id), so their shape is checked here.
func (d *TrainData) cdata(m *cmem, task Task) (*C.bert_trainer_data, error) {
	if d == nil {
		return nil, nil
	}
	p := (*C.bert_trainer_data)(m.alloc(C.sizeof_bert_trainer_data))
	if st := C.bert_trainer_data_init(p, C.sizeof_bert_trainer_data); st != C.BERT_OK {
		return nil, lastError(st)
	}
	if len(d.Files) > 0 {
		p.files, _ = m.strs(d.Files, "file path", true)
		p.num_files = C.size_t(len(d.Files))
	}
	if d.JSONLField != "" {
		p.jsonl_field = m.cstr(d.JSONLField, "JSONLField")
	}
	if d.LabelField != "" {
		p.label_field = m.cstr(d.LabelField, "LabelField")
	}
	if d.WordsField != "" {
		p.words_field = m.cstr(d.WordsField, "WordsField")
	}
	if d.TagsField != "" {
		p.tags_field = m.cstr(d.TagsField, "TagsField")
	}
	labels, err := d.flatLabels(task)
	if err != nil {
		return nil, err
	}
	p.labels = m.int32s(labels)
	p.num_labels = C.size_t(len(labels))
	if n := len(d.Sequences); n > 0 {
		total := 0
		for _, s := range d.Sequences {
			total += len(s)
		}
		ids := unsafe.Slice((*int32)(m.alloc(4*total)), total)
		offsets := m.sizes(n + 1)
		off := 0
		for i, s := range d.Sequences {
			offsets[i] = C.size_t(off)
			off += copy(ids[off:], s)
		}
		offsets[n] = C.size_t(off)
		p.token_ids = (*C.int32_t)(unsafe.Pointer(unsafe.SliceData(ids)))
		p.offsets = &offsets[0]
		p.num_sequences = C.size_t(n)
	}
	return p, m.err
}

// flatLabels returns the in-memory labels as the library reads them for a model of `task` (nil
// when there are none), or an error when they do not fit the task or the sequences.
func (d *TrainData) flatLabels(task Task) ([]int32, error) {
	if d.SequenceLabels == nil && d.TokenLabels == nil {
		return nil, nil
	}
	switch {
	case task == TaskSequenceClassification && d.TokenLabels == nil:
		if len(d.SequenceLabels) != len(d.Sequences) {
			return nil, argError("TrainData: " + strconv.Itoa(len(d.SequenceLabels)) + " SequenceLabels for " +
				strconv.Itoa(len(d.Sequences)) + " Sequences")
		}
		return d.SequenceLabels, nil
	case task == TaskTokenClassification && d.SequenceLabels == nil:
		if len(d.TokenLabels) != len(d.Sequences) {
			return nil, argError("TrainData: " + strconv.Itoa(len(d.TokenLabels)) + " TokenLabels rows for " +
				strconv.Itoa(len(d.Sequences)) + " Sequences")
		}
		var flat []int32
		for i, l := range d.TokenLabels {
			if len(l) != len(d.Sequences[i]) {
				return nil, argError("TrainData: TokenLabels[" + strconv.Itoa(i) + "] has " + strconv.Itoa(len(l)) +
					" labels for " + strconv.Itoa(len(d.Sequences[i])) + " token ids")
			}
			flat = append(flat, l...)
		}
		return flat, nil
	case task == TaskSequenceClassification:
		return nil, argError("TrainData: a sequence classifier takes SequenceLabels (one per sequence), not TokenLabels")
	case task == TaskTokenClassification:
		return nil, argError("TrainData: a token classifier takes TokenLabels (one per token id), not SequenceLabels")
	}
	return nil, argError("TrainData: labels are for classifiers; the model's task is " + task.String())
}

// DatasetLabels returns the distinct labels of classification training data, sorted (as Hugging
// Face's run_glue / run_ner build their label lists): the label field (TaskSequenceClassification)
// or every tag (TaskTokenClassification) of data.Files, read as NewTrainer reads them (integer labels
// as their decimal text). Use it to give a new head its labels:
//
//	labels, err := bertc.DatasetLabels(&data, bertc.TaskSequenceClassification)
//	model, err := bertc.LoadModelForTask(dir, bertc.TaskOptions{Task: bertc.TaskSequenceClassification, Labels: labels})
func DatasetLabels(data *TrainData, task Task) ([]string, error) {
	if versionErr != nil {
		return nil, versionErr
	}
	if data == nil {
		return nil, argError("DatasetLabels: data is nil")
	}
	var m cmem
	defer m.free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d, err := data.cdata(&m, task)
	if err != nil {
		return nil, err
	}
	var labels **C.char
	var n C.size_t
	if err := lastError(C.bert_trainer_data_labels(d, C.bert_task(task), &labels, &n)); err != nil {
		return nil, err
	}
	defer C.bert_labels_free(labels, n)
	out := make([]string, int(n))
	for i, l := range unsafe.Slice(labels, int(n)) {
		out[i] = C.GoString(l)
	}
	return out, nil
}

// Trainer trains a Model in place (Hugging Face Trainer semantics): after training, the same Model
// holds the new weights. The model's task decides what it does: a masked LM is pre-trained on text
// with masking (DataCollatorForLanguageModeling); a sequence or token classifier (NewModel with a
// Task, or LoadModelForTask) is fine-tuned on labelled data (DataCollatorWithPadding /
// DataCollatorForTokenClassification) and evaluated by loss, accuracy and macro-F1.
//
// A Trainer's methods may be called from several goroutines; they run one at a time. From inside a
// ProgressFunc of a running call, Info works and the other Trainer methods fail with
// ErrInvalidArgument (they would change the model being trained); the Model's inference methods
// work.
//
// The Trainer keeps its Model alive: closing the Model while a Trainer uses it only closes that
// *Model handle, and the model is freed when the Trainer is closed too. The tokenizer may be closed
// as soon as NewTrainer returns (the library keeps what it needs). Close is idempotent; a Trainer
// that becomes unreachable without Close is released by the garbage collector.
type Trainer struct {
	h       *handle[*C.bert_trainer]
	cleanup runtime.Cleanup
	model   *Model
	mu      sync.Mutex
	owner   atomic.Uintptr // the OS thread running a call (holding mu), to recognise callbacks
	warning atomic.Pointer[string]
}

// NewTrainer creates a trainer for model with tok (whose vocabulary size must equal the model's).
// A classifier's data must carry labels its label map knows (the error names the file and line of
// one it does not).
// train may be nil for a trainer fed only through StepBatch; eval nil means: hold out
// opts.EvalSplit of the training lines (or no evaluation). File data is tokenized (and cached) now,
// and OutputDir is created. opts may be nil (defaults).
func NewTrainer(model *Model, tok *Tokenizer, train, eval *TrainData, opts *TrainerOptions) (*Trainer, error) {
	if versionErr != nil {
		return nil, versionErr
	}
	mp := model.acquire()
	if mp == nil {
		return nil, closedError("Model")
	}
	modelHandle := model.h
	tp := tok.acquire()
	if tp == nil {
		modelHandle.release()
		return nil, closedError("Tokenizer")
	}
	defer tok.release()
	out, warning, err := createTrainer(mp, tp, model.task, train, eval, opts)
	if err != nil {
		modelHandle.release()
		return nil, err
	}
	// The trainer keeps the model reference acquired above until it is freed.
	t := &Trainer{model: model}
	t.h = newHandle(out, func(p *C.bert_trainer) {
		C.bert_trainer_free(p)
		modelHandle.release()
	})
	t.warning.Store(&warning)
	t.cleanup = runtime.AddCleanup(t, func(h *handle[*C.bert_trainer]) { h.close() }, t.h)
	return t, nil
}

func createTrainer(mp *C.bert_model, tp *C.bert_tokenizer, task Task, train, eval *TrainData, opts *TrainerOptions) (*C.bert_trainer, string, error) {
	var m cmem
	defer m.free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var p C.bert_trainer_params
	if st := C.bert_trainer_params_init(&p, C.sizeof_bert_trainer_params); st != C.BERT_OK {
		return nil, "", lastError(st)
	}
	opts.fill(&p, &m)
	if m.err != nil {
		return nil, "", m.err
	}
	td, err := train.cdata(&m, task)
	if err != nil {
		return nil, "", err
	}
	ed, err := eval.cdata(&m, task)
	if err != nil {
		return nil, "", err
	}
	var out *C.bert_trainer
	if err := lastError(C.bert_trainer_create(mp, tp, td, ed, &p, &out)); err != nil {
		return nil, "", err
	}
	return out, lastWarning(), nil
}

// Close releases the trainer and its reference to the model. It always returns nil; calling it
// again does nothing. Closing while a call runs frees the trainer when that call returns.
func (t *Trainer) Close() error {
	if t != nil && t.h.close() {
		t.cleanup.Stop()
	}
	return nil
}

// Model returns the model being trained.
func (t *Trainer) Model() *Model {
	if t == nil {
		return nil
	}
	return t.model
}

// Warning returns the warning left by NewTrainer or the last Resume (e.g. the dataset cache could
// not be written; a checkpoint resumed with another thread count), or "".
func (t *Trainer) Warning() string {
	if t == nil {
		return ""
	}
	if w := t.warning.Load(); w != nil {
		return *w
	}
	return ""
}

// begin starts a trainer call: it pins the goroutine to its OS thread (bertc's messages are per
// thread) and takes the trainer's lock, except for a call made from a progress callback of this
// trainer's running call (same OS thread), which runs unlocked and is judged by the library. end
// undoes it.
func (t *Trainer) begin() (tp *C.bert_trainer, end func(), err error) {
	if t == nil {
		return nil, nil, closedError("Trainer")
	}
	tp = t.h.acquire()
	if tp == nil {
		return nil, nil, closedError("Trainer")
	}
	runtime.LockOSThread()
	tid := uintptr(C.bertcgo_thread_id())
	if t.owner.Load() == tid {
		return tp, func() {
			runtime.UnlockOSThread()
			t.h.release()
		}, nil
	}
	t.mu.Lock()
	t.owner.Store(tid)
	return tp, func() {
		t.owner.Store(0)
		t.mu.Unlock()
		runtime.UnlockOSThread()
		t.h.release()
	}, nil
}

// StepResult is the outcome of one optimizer step.
type StepResult struct {
	Step         int64   // global step after the update (1-based)
	TotalSteps   int64   // steps the run will take in all
	Loss         float64 // mean loss (MLM or classification) of the step's micro-batches
	LearningRate float64 // the rate used by this update
	GradNorm     float64 // total L2 norm before clipping
	Epoch        float64 // fractional epoch after the step
	Tokens       int64   // non-padding tokens processed
	MaskedTokens int64   // predicted positions (classifiers: labels)
}

func stepResult(r *C.bert_trainer_step_result) StepResult {
	return StepResult{
		Step: int64(r.step), TotalSteps: int64(r.total_steps), Loss: float64(r.loss),
		LearningRate: float64(r.learning_rate), GradNorm: float64(r.grad_norm), Epoch: float64(r.epoch),
		Tokens: int64(r.tokens), MaskedTokens: int64(r.masked_tokens),
	}
}

func ctxError(ctx context.Context, op string) error {
	if ctx == nil || ctx.Err() == nil {
		return nil
	}
	return &Error{Status: StatusCancelled, Message: op + ": " + ctx.Err().Error(), cause: ctx.Err()}
}

// Step runs one optimizer step (GradAccum micro-batches of the training data), then logs /
// evaluates / checkpoints when the step hits LoggingSteps / EvalSteps / SaveSteps, sending those
// events to progress (may be nil). A cancelled ctx or an error from progress fails the call with
// ErrCancelled; the step itself is then complete and counted (its result is not returned).
func (t *Trainer) Step(ctx context.Context, progress ProgressFunc) (StepResult, error) {
	tp, end, err := t.begin()
	if err != nil {
		return StepResult{}, err
	}
	defer end()
	if err := ctxError(ctx, "Trainer.Step"); err != nil {
		return StepResult{}, err
	}
	cb, h, done := newCallback(ctx, progress)
	defer done()
	var r C.bert_trainer_step_result
	r.struct_size = C.sizeof_bert_trainer_step_result
	if err := cb.wrap(lastError(C.bertcgo_trainer_step(tp, h, &r))); err != nil {
		return StepResult{}, err
	}
	return stepResult(&r), nil
}

// Batch is one batch for StepBatch: rows of equal length that already contain [CLS]/[SEP] and
// [PAD] padding.
type Batch struct {
	InputIDs [][]int32
	// AttentionMask is 1 for real tokens, 0 for padding; nil: 1 wherever the id is not [PAD].
	AttentionMask [][]int32
	// Labels are per position. Masked LM: the target id at predicted positions and -100 elsewhere
	// (InputIDs then carry [MASK] where wanted); nil: the trainer's MLM collator masks the batch.
	// Token classifier (required): a label id per position, -100 where none.
	Labels [][]int32
	// SequenceLabels hold one label id per row, for a sequence classifier (required there).
	SequenceLabels []int32
}

func flatten(rows [][]int32, cols int, what string) ([]int32, error) {
	if rows == nil {
		return nil, nil
	}
	flat := make([]int32, 0, len(rows)*cols)
	for i, r := range rows {
		if len(r) != cols {
			return nil, argError("StepBatch: " + what + " rows must all have the length of InputIDs[0]; row " + strconv.Itoa(i) + " has " + strconv.Itoa(len(r)))
		}
		flat = append(flat, r...)
	}
	return flat, nil
}

// StepBatch runs one optimizer step on a batch from memory (no accumulation, no logging cadence). A
// classifier needs the batch's labels: SequenceLabels (sequence classifier) or Labels (token
// classifier).
func (t *Trainer) StepBatch(b *Batch) (StepResult, error) {
	tp, end, err := t.begin()
	if err != nil {
		return StepResult{}, err
	}
	defer end()
	if b == nil || len(b.InputIDs) == 0 || len(b.InputIDs[0]) == 0 {
		return StepResult{}, argError("StepBatch: the batch is empty")
	}
	rows, cols := len(b.InputIDs), len(b.InputIDs[0])
	ids, err := flatten(b.InputIDs, cols, "InputIDs")
	if err != nil {
		return StepResult{}, err
	}
	if b.AttentionMask != nil && len(b.AttentionMask) != rows || b.Labels != nil && len(b.Labels) != rows {
		return StepResult{}, argError("StepBatch: AttentionMask and Labels must have as many rows as InputIDs")
	}
	mask, err := flatten(b.AttentionMask, cols, "AttentionMask")
	if err != nil {
		return StepResult{}, err
	}
	labels, err := flatten(b.Labels, cols, "Labels")
	if err != nil {
		return StepResult{}, err
	}
	// The library reads `rows` labels for a sequence classifier and rows x cols otherwise.
	if t.model.task == TaskSequenceClassification {
		if b.Labels != nil {
			return StepResult{}, argError("StepBatch: a sequence classifier takes SequenceLabels (one per row), not Labels")
		}
		if b.SequenceLabels != nil && len(b.SequenceLabels) != rows {
			return StepResult{}, argError("StepBatch: " + strconv.Itoa(len(b.SequenceLabels)) + " SequenceLabels for " + strconv.Itoa(rows) + " rows")
		}
		labels = b.SequenceLabels
	} else if b.SequenceLabels != nil {
		return StepResult{}, argError("StepBatch: SequenceLabels are for a sequence classifier; the model's task is " + t.model.task.String())
	}
	ptr := func(v []int32) *C.int32_t {
		if len(v) == 0 {
			return nil
		}
		return (*C.int32_t)(unsafe.Pointer(&v[0]))
	}
	var r C.bert_trainer_step_result
	r.struct_size = C.sizeof_bert_trainer_step_result
	st := C.bert_trainer_step_batch(tp, ptr(ids), ptr(mask), ptr(labels), C.size_t(rows), C.size_t(cols), &r)
	if err := lastError(st); err != nil {
		return StepResult{}, err
	}
	return stepResult(&r), nil
}

// Train trains until the run's total steps (MaxSteps, or NumEpochs over the training data), sending
// every logged step, evaluation and checkpoint to progress (may be nil); then it reloads the best
// checkpoint (LoadBestModelAtEnd) and saves the final model, tokenizer and trainer_state.json into
// OutputDir (unless NoSaveFinalModel). It continues from the current step (e.g. after Resume or a
// cancelled Train).
//
// Cancellation: Train runs the steps itself and checks ctx before each one (and at every event),
// so cancelling ctx stops it within one optimizer step, rather than at the library's logging
// cadence; the final reload/save is one bert_trainer_train call once every step is done (the
// library's train loop runs exactly these steps). A cancelled Train returns an error matching
// ErrCancelled and wrapping ctx.Err() or the progress func's error; the trainer stays usable and
// a later Train continues.
func (t *Trainer) Train(ctx context.Context, progress ProgressFunc) error {
	tp, end, err := t.begin()
	if err != nil {
		return err
	}
	defer end()
	cb, h, done := newCallback(ctx, progress)
	defer done()
	var info C.bert_trainer_info
	info.struct_size = C.sizeof_bert_trainer_info
	if err := lastError(C.bert_trainer_get_info(tp, &info)); err != nil {
		return err
	}
	step, total := uint64(info.global_step), uint64(info.total_steps)
	for step < total {
		if err := ctxError(ctx, "Trainer.Train"); err != nil {
			return err
		}
		var r C.bert_trainer_step_result
		r.struct_size = C.sizeof_bert_trainer_step_result
		if err := cb.wrap(lastError(C.bertcgo_trainer_step(tp, h, &r))); err != nil {
			return err
		}
		step = uint64(r.step)
	}
	if err := ctxError(ctx, "Trainer.Train"); err != nil {
		return err
	}
	return cb.wrap(lastError(C.bertcgo_trainer_train(tp, h)))
}

// EvalResult is the result of Evaluate.
type EvalResult struct {
	Loss         float64 // mean cross-entropy over all masked eval tokens (classifiers: labels)
	Perplexity   float64 // exp(Loss); NaN for classifiers
	Accuracy     float64 // share of masked tokens (classifiers: examples / tagged words) whose argmax prediction is right
	MaskedTokens int64   // masked tokens (classifiers: labels) scored
	Examples     int
	// F1 is a classifier's macro-F1: the unweighted mean of each label's F1 over the labels that
	// occur as gold or prediction (scikit-learn's f1_score(average="macro"); for tags: per tag,
	// entity-free). NaN for a masked LM.
	F1 float64
}

// Evaluate evaluates on the eval data without dropout and with fixed masks (comparable across
// calls); it does not change the training trajectory.
func (t *Trainer) Evaluate() (EvalResult, error) {
	tp, end, err := t.begin()
	if err != nil {
		return EvalResult{}, err
	}
	defer end()
	var r C.bert_trainer_eval_result
	r.struct_size = C.sizeof_bert_trainer_eval_result
	if err := lastError(C.bert_trainer_evaluate(tp, &r)); err != nil {
		return EvalResult{}, err
	}
	return EvalResult{Loss: float64(r.loss), Perplexity: float64(r.perplexity), Accuracy: float64(r.accuracy),
		MaskedTokens: int64(r.masked_tokens), Examples: int(r.examples), F1: float64(r.f1)}, nil
}

// SaveCheckpoint writes OutputDir/checkpoint-STEP/ now (model, tokenizer, optimizer, scheduler,
// RNG and data position; atomically) and returns its path.
func (t *Trainer) SaveCheckpoint() (string, error) {
	tp, end, err := t.begin()
	if err != nil {
		return "", err
	}
	defer end()
	var path *C.char
	if err := lastError(C.bert_trainer_save_checkpoint(tp, &path)); err != nil {
		return "", err
	}
	return C.GoString(path), nil
}

// Resume restores weights, optimizer, scheduler, RNG state and data position from a checkpoint
// directory ("" = the newest complete one in OutputDir). Training then continues bit-identically to
// an uninterrupted run with the same seed, data and thread count.
func (t *Trainer) Resume(checkpoint string) error {
	tp, end, err := t.begin()
	if err != nil {
		return err
	}
	defer end()
	var m cmem
	defer m.free()
	cp := m.optStr(checkpoint, "checkpoint")
	if m.err != nil {
		return m.err
	}
	if err := lastError(C.bert_trainer_resume(tp, cp)); err != nil {
		return err
	}
	w := lastWarning()
	t.warning.Store(&w)
	return nil
}

// TrainerInfo is the position and data statistics of a trainer.
type TrainerInfo struct {
	GlobalStep        int64   // optimizer steps taken so far
	TotalSteps        int64   // steps the run will take in all
	Epoch             float64 // fractional epoch reached
	TrainExamples     int     // after grouping (0 without training data)
	EvalExamples      int
	TrainTokens       int64   // real tokens in the training examples, incl. [CLS]/[SEP]
	TrainPaddingShare float64 // share of padding tokens in one epoch of training batches
	BestMetric        float64 // best MetricForBestModel at a checkpoint, NaN when none
	BestCheckpoint    string  // "" when none
	CacheHit          bool    // the training data came from the encoded-dataset cache
	Rank              int     // this process's rank (0 unless data-parallel)
	WorldSize         int     // processes training together (1 unless data-parallel)
}

// Info returns the trainer's position and data statistics. It may be called from a progress func.
func (t *Trainer) Info() (TrainerInfo, error) {
	tp, end, err := t.begin()
	if err != nil {
		return TrainerInfo{}, err
	}
	defer end()
	var r C.bert_trainer_info
	r.struct_size = C.sizeof_bert_trainer_info
	if err := lastError(C.bert_trainer_get_info(tp, &r)); err != nil {
		return TrainerInfo{}, err
	}
	return TrainerInfo{
		GlobalStep: int64(r.global_step), TotalSteps: int64(r.total_steps), Epoch: float64(r.epoch),
		TrainExamples: int(r.train_examples), EvalExamples: int(r.eval_examples), TrainTokens: int64(r.train_tokens),
		TrainPaddingShare: float64(r.train_padding_share), BestMetric: float64(r.best_metric),
		BestCheckpoint: C.GoString(r.best_checkpoint), CacheHit: r.cache_hit != 0,
		Rank: int(r.rank), WorldSize: int(r.world_size),
	}, nil
}
