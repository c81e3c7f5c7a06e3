package bertc

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"strconv"
	"unsafe"
)

// Task is the head on a model's encoder, as Hugging Face's architectures (bert_task). New tasks
// may be added; a model of a task this package does not know reports its C value.
type Task int32

// The tasks (heads) of a model.
const (
	// TaskMaskedLM is BertForMaskedLM: pre-training, fill-mask, scoring. The default.
	TaskMaskedLM Task = C.BERT_TASK_MASKED_LM
	// TaskSequenceClassification is BertForSequenceClassification: one label per text (Classify).
	TaskSequenceClassification Task = C.BERT_TASK_SEQUENCE_CLASSIFICATION
	// TaskTokenClassification is BertForTokenClassification: one label (tag) per word (Tag, TagWords).
	TaskTokenClassification Task = C.BERT_TASK_TOKEN_CLASSIFICATION
)

// String returns a short name of the task ("masked_lm", "sequence_classification",
// "token_classification"), or "task(N)" for a value this package does not know.
func (t Task) String() string {
	switch t {
	case TaskMaskedLM:
		return "masked_lm"
	case TaskSequenceClassification:
		return "sequence_classification"
	case TaskTokenClassification:
		return "token_classification"
	}
	return "task(" + strconv.Itoa(int(t)) + ")"
}

// IsClassifier reports whether the task is sequence or token classification.
func (t Task) IsClassifier() bool {
	return t == TaskSequenceClassification || t == TaskTokenClassification
}

// Model is a BERT model with its head (a masked LM, a sequence classifier or a token classifier;
// see Task) and its configuration (Hugging Face compatible config.json + model.safetensors).
//
// Inference is goroutine-safe: FillMask, FillMaskBatch, ScoreText, Classify, Tag, TagWords, Save,
// Config and NumParameters may run concurrently from any number of goroutines, also while a Trainer
// trains the model (the library serializes them against the training steps).
//
// Close releases the model; it is idempotent and never frees memory under a running call or a
// Trainer: a Trainer holds its own reference, so a Model closed while a Trainer uses it stays alive
// (calls through the closed *Model fail with ErrClosed) until that Trainer is closed too.
type Model struct {
	h       *handle[*C.bert_model]
	cleanup runtime.Cleanup
	warning string
	task    Task     // fixed for the model's life (training changes weights, not the head)
	labels  []string // the label map of a classifier
}

func newModel(p *C.bert_model, warning string, pinned *runtime.Pinner) *Model {
	free := func(p *C.bert_model) { C.bert_model_free(p) }
	if pinned != nil {
		free = func(p *C.bert_model) {
			C.bert_model_free(p)
			pinned.Unpin() // the borrowed weights may move and be collected again
		}
	}
	m := &Model{h: newHandle(p, free), warning: warning}
	m.task, m.labels = headOf(p)
	m.cleanup = runtime.AddCleanup(m, func(h *handle[*C.bert_model]) { h.close() }, m.h)
	return m
}

// Close releases the model (see Model). It always returns nil; calling it again does nothing.
func (m *Model) Close() error {
	if m != nil && m.h.close() {
		m.cleanup.Stop()
	}
	return nil
}

// headOf reads the task and label map of a new model.
func headOf(p *C.bert_model) (Task, []string) {
	// Accessors: they never touch the thread's message.
	task := Task(C.bert_model_task(p))
	n := int(C.bert_model_num_labels(p))
	if n == 0 {
		return task, nil
	}
	labels := make([]string, n)
	for i := range labels {
		labels[i] = C.GoString(C.bert_model_label(p, C.size_t(i)))
	}
	return task, labels
}

// labelsOf copies the label names of a filled bert_model_params (nil for none).
func labelsOf(p *C.bert_model_params) []string {
	n := int(p.num_labels)
	if n == 0 || p.labels == nil {
		return nil
	}
	names := unsafe.Slice(p.labels, n)
	var lens []C.size_t
	if p.label_lengths != nil {
		lens = unsafe.Slice(p.label_lengths, n)
	}
	out := make([]string, n)
	for i, name := range names {
		if lens != nil {
			out[i] = goString(name, lens[i])
		} else {
			out[i] = C.GoString(name)
		}
	}
	return out
}

// Task returns the model's head: TaskMaskedLM, TaskSequenceClassification or
// TaskTokenClassification. It is fixed for the model's life (also on a closed Model).
func (m *Model) Task() Task {
	if m == nil {
		return TaskMaskedLM
	}
	return m.task
}

// Labels returns a copy of a classifier's label names, indexed by label id (config.json
// id2label); nil for a masked LM.
func (m *Model) Labels() []string {
	if m == nil || m.labels == nil {
		return nil
	}
	return append([]string(nil), m.labels...)
}

func (m *Model) acquire() *C.bert_model {
	if m == nil {
		return nil
	}
	return m.h.acquire()
}

func (m *Model) release() { m.h.release() }

// Warning returns the warning the library gave when loading the model (e.g. a checkpoint without
// the weights of its head, or LoadModelForTask's "Some weights of BertForSequenceClassification were
// not initialized from the model checkpoint ... newly initialized: [...]"), or "".
func (m *Model) Warning() string {
	if m == nil {
		return ""
	}
	return m.warning
}

// ModelConfig mirrors bert_model_params: Hugging Face's BertConfig fields plus the initialisation
// seed and the head (Task, Labels, ClassifierDropout). For NewModel, zero fields keep the library's defaults (those of bert-base-uncased); the
// fields whose zero is a meaningful other value are pointers (nil = default). Model.Config fills
// every field.
type ModelConfig struct {
	VocabSize                 int      // 0: 30522
	HiddenSize                int      // 0: 768; a multiple of NumAttentionHeads
	NumHiddenLayers           int      // 0: 12
	NumAttentionHeads         int      // 0: 12
	IntermediateSize          int      // 0: 3072
	HiddenAct                 string   // "": "gelu"; also gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, swish
	HiddenDropoutProb         *float64 // nil: 0.1
	AttentionProbsDropoutProb *float64 // nil: 0.1
	MaxPositionEmbeddings     int      // 0: 512, the longest input the model accepts
	TypeVocabSize             int      // 0: 2
	LayerNormEps              float64  // 0: 1e-12
	InitializerRange          *float64 // std of the normal weight init; nil: 0.02
	PadTokenID                int32    // default 0
	PositionEmbeddingType     string   // "": "absolute" (the only one supported)
	Seed                      *uint64  // weights init seed; nil: 42. Config() reports 0 for a loaded model.
	// Task is the head: TaskMaskedLM (the zero value), TaskSequenceClassification or
	// TaskTokenClassification.
	Task Task
	// Labels are a classifier's label names, id i = Labels[i] (config.json id2label): distinct and
	// non-empty; a classifier needs at least one. nil for a masked LM.
	Labels []string
	// ClassifierDropout is the dropout before the classifier, in [0, 1); nil: unset (null in
	// config.json: HiddenDropoutProb is used).
	ClassifierDropout *float64
}

func (c *ModelConfig) fill(p *C.bert_model_params, m *cmem) {
	if c == nil {
		return
	}
	setSize := func(dst *C.size_t, v int) {
		if v != 0 {
			*dst = C.size_t(v)
		}
	}
	setSize(&p.vocab_size, c.VocabSize)
	setSize(&p.hidden_size, c.HiddenSize)
	setSize(&p.num_hidden_layers, c.NumHiddenLayers)
	setSize(&p.num_attention_heads, c.NumAttentionHeads)
	setSize(&p.intermediate_size, c.IntermediateSize)
	setSize(&p.max_position_embeddings, c.MaxPositionEmbeddings)
	setSize(&p.type_vocab_size, c.TypeVocabSize)
	if c.HiddenAct != "" {
		p.hidden_act = m.cstr(c.HiddenAct, "HiddenAct")
	}
	if c.HiddenDropoutProb != nil {
		p.hidden_dropout_prob = C.double(*c.HiddenDropoutProb)
	}
	if c.AttentionProbsDropoutProb != nil {
		p.attention_probs_dropout_prob = C.double(*c.AttentionProbsDropoutProb)
	}
	if c.LayerNormEps != 0 {
		p.layer_norm_eps = C.double(c.LayerNormEps)
	}
	if c.InitializerRange != nil {
		p.initializer_range = C.double(*c.InitializerRange)
	}
	if c.PadTokenID != 0 {
		p.pad_token_id = C.int32_t(c.PadTokenID)
	}
	if c.PositionEmbeddingType != "" {
		p.position_embedding_type = m.cstr(c.PositionEmbeddingType, "PositionEmbeddingType")
	}
	if c.Seed != nil {
		p.seed = C.uint64_t(*c.Seed)
	}
	if c.Task != TaskMaskedLM {
		p.task = C.bert_task(c.Task)
	}
	if len(c.Labels) > 0 {
		p.labels, p.label_lengths = m.strs(c.Labels, "label", false)
		p.num_labels = C.size_t(len(c.Labels))
	}
	if c.ClassifierDropout != nil {
		p.classifier_dropout = C.double(*c.ClassifierDropout)
	}
}

// NewModel creates a randomly initialised model with the head cfg.Task (Hugging Face's init, seeded:
// the same config gives the same weights). cfg nil means all defaults (a BERT-base-sized masked LM).
func NewModel(cfg *ModelConfig) (*Model, error) {
	if versionErr != nil {
		return nil, versionErr
	}
	var m cmem
	defer m.free()
	var p C.bert_model_params
	var out *C.bert_model
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if st := C.bert_model_params_init(&p, C.sizeof_bert_model_params); st != C.BERT_OK {
		return nil, lastError(st)
	}
	cfg.fill(&p, &m)
	if m.err != nil {
		return nil, m.err
	}
	if err := lastError(C.bert_model_create(&p, &out)); err != nil {
		return nil, err
	}
	return newModel(out, lastWarning(), nil), nil
}

// LoadModel loads DIR/config.json and DIR/model.safetensors as saved by Hugging Face
// (save_pretrained of BertForMaskedLM, BertForSequenceClassification or BertForTokenClassification)
// or by Model.Save. The head is config.json's "architectures" (anything else loads as a masked LM);
// classifiers take their labels from id2label. A checkpoint without its head's weights loads with a
// new head and a Warning. To put another head on a checkpoint, use LoadModelForTask.
func LoadModel(dir string) (*Model, error) {
	if versionErr != nil {
		return nil, versionErr
	}
	var m cmem
	defer m.free()
	cdir := m.cstr(dir, "dir")
	if m.err != nil {
		return nil, m.err
	}
	var out *C.bert_model
	warning, err := callWarn(func() C.bert_status { return C.bert_model_load(cdir, &out) })
	if err != nil {
		return nil, err
	}
	return newModel(out, warning, nil), nil
}

// TaskOptions are the options of LoadModelForTask (bert_task_params): the head to put on a
// checkpoint.
type TaskOptions struct {
	// Task is the head. Unlike most options its zero value is not the library's default: set it
	// (TaskSequenceClassification or TaskTokenClassification; TaskMaskedLM loads a masked LM).
	Task Task
	// Labels are the label names, id i = Labels[i]. nil or empty: keep the checkpoint's label map
	// (only for a checkpoint that already has this head). For a fine-tuned classifier they must
	// equal its label map.
	Labels []string
	// ClassifierDropout is the dropout before the classifier, in [0, 1); nil: the checkpoint's (or
	// HiddenDropoutProb).
	ClassifierDropout *float64
	// Seed initialises a new head; nil: 42.
	Seed *uint64
	// HiddenDropoutProb and AttentionProbsDropoutProb (ABI 1.3) replace the checkpoint's encoder
	// dropout while training, in [0, 1), as from_pretrained(dir, hidden_dropout_prob=...,
	// attention_probs_dropout_prob=...) does; nil: the checkpoint's. Saved in config.json. Useful on
	// a model pre-trained without dropout.
	HiddenDropoutProb         *float64
	AttentionProbsDropoutProb *float64
}

// LoadModelForTask loads DIR (like LoadModel) as a model with the head opts.Task: the first step of
// fine-tuning, like transformers' AutoModelForSequenceClassification.from_pretrained(dir,
// num_labels=..., id2label=...). A checkpoint that already has that head keeps it (opts.Labels, if
// given, must equal its label map). Otherwise (a masked LM from pre-training, a BertModel, a
// classifier of the other task) the encoder is kept and the new head is initialised from opts.Seed;
// the model's Warning then holds Hugging Face's message ("Some weights of
// BertForSequenceClassification were not initialized from the model checkpoint at ... and are
// newly initialized: [...]").
func LoadModelForTask(dir string, opts TaskOptions) (*Model, error) {
	if versionErr != nil {
		return nil, versionErr
	}
	var m cmem
	defer m.free()
	cdir := m.cstr(dir, "dir")
	var labels **C.char
	var lens *C.size_t
	if len(opts.Labels) > 0 {
		labels, lens = m.strs(opts.Labels, "label", false)
	}
	if m.err != nil {
		return nil, m.err
	}
	var out *C.bert_model
	warning, err := callWarn(func() C.bert_status {
		var p C.bert_task_params
		if st := C.bert_task_params_init(&p, C.sizeof_bert_task_params); st != C.BERT_OK {
			return st
		}
		p.task = C.bert_task(opts.Task)
		p.labels, p.label_lengths, p.num_labels = labels, lens, C.size_t(len(opts.Labels))
		if opts.ClassifierDropout != nil {
			p.classifier_dropout = C.double(*opts.ClassifierDropout)
		}
		if opts.Seed != nil {
			p.seed = C.uint64_t(*opts.Seed)
		}
		if opts.HiddenDropoutProb != nil {
			p.hidden_dropout_prob = C.double(*opts.HiddenDropoutProb)
		}
		if opts.AttentionProbsDropoutProb != nil {
			p.attention_probs_dropout_prob = C.double(*opts.AttentionProbsDropoutProb)
		}
		return C.bert_model_load_for_task(cdir, &p, &out)
	})
	if err != nil {
		return nil, err
	}
	return newModel(out, warning, nil), nil
}

// ModelLoadOptions are the options of LoadModelFromMemory.
type ModelLoadOptions struct {
	// Borrow uses float32 tensors of the weights buffer in place (zero-copy, e.g. for a memory-mapped
	// file) instead of copying them. The Model then keeps (and pins) the weights slice until it is
	// freed: the caller must not modify the buffer while the Model exists (Close, and any Trainer on
	// the model closed). Training a borrowing model copies the weights it trains first.
	Borrow bool
}

// LoadModelFromMemory loads a model from the content of a config.json and of a model.safetensors.
// Without opts.Borrow everything is copied and the buffers are not retained.
func LoadModelFromMemory(config, weights []byte, opts *ModelLoadOptions) (*Model, error) {
	if versionErr != nil {
		return nil, versionErr
	}
	var flags C.unsigned
	var pinner *runtime.Pinner
	if opts != nil && opts.Borrow {
		flags |= C.BERT_MODEL_LOAD_BORROW
		if len(weights) > 0 {
			// The library keeps a pointer into weights after the call: pin it (a no-op for memory
			// the Go heap does not own, e.g. an mmap) until the model is freed.
			pinner = new(runtime.Pinner)
			pinner.Pin(&weights[0])
		}
	}
	var out *C.bert_model
	warning, err := callWarn(func() C.bert_status {
		return C.bert_model_load_from_memory(bytesPtr(config), C.size_t(len(config)),
			unsafe.Pointer(bytesPtr(weights)), C.size_t(len(weights)), flags, &out)
	})
	if err != nil {
		if pinner != nil {
			pinner.Unpin()
		}
		return nil, err
	}
	return newModel(out, warning, pinner), nil
}

// Save writes DIR/config.json (with the architecture of the model's head and, for a classifier,
// id2label/label2id) and DIR/model.safetensors (float32, HF key names), loadable by LoadModel and
// transformers' AutoModelFor*.from_pretrained. The save is atomic: a failed save never destroys an
// existing model.
func (m *Model) Save(dir string) error {
	mp := m.acquire()
	if mp == nil {
		return closedError("Model")
	}
	defer m.release()
	var c cmem
	defer c.free()
	cdir := c.cstr(dir, "dir")
	if c.err != nil {
		return c.err
	}
	return call(func() C.bert_status { return C.bert_model_save(mp, cdir) })
}

// Config returns the model's configuration, its head included. Seed is the seed NewModel used (0 for
// a loaded model); ClassifierDropout is nil when unset.
func (m *Model) Config() (*ModelConfig, error) {
	mp := m.acquire()
	if mp == nil {
		return nil, closedError("Model")
	}
	defer m.release()
	var p C.bert_model_params
	err := call(func() C.bert_status {
		if st := C.bert_model_params_init(&p, C.sizeof_bert_model_params); st != C.BERT_OK {
			return st
		}
		return C.bert_model_config(mp, &p)
	})
	if err != nil {
		return nil, err
	}
	var classifierDropout *float64
	if p.classifier_dropout >= 0 {
		classifierDropout = Ptr(float64(p.classifier_dropout))
	}
	return &ModelConfig{
		VocabSize:                 int(p.vocab_size),
		HiddenSize:                int(p.hidden_size),
		NumHiddenLayers:           int(p.num_hidden_layers),
		NumAttentionHeads:         int(p.num_attention_heads),
		IntermediateSize:          int(p.intermediate_size),
		HiddenAct:                 C.GoString(p.hidden_act),
		HiddenDropoutProb:         Ptr(float64(p.hidden_dropout_prob)),
		AttentionProbsDropoutProb: Ptr(float64(p.attention_probs_dropout_prob)),
		MaxPositionEmbeddings:     int(p.max_position_embeddings),
		TypeVocabSize:             int(p.type_vocab_size),
		LayerNormEps:              float64(p.layer_norm_eps),
		InitializerRange:          Ptr(float64(p.initializer_range)),
		PadTokenID:                int32(p.pad_token_id),
		PositionEmbeddingType:     C.GoString(p.position_embedding_type),
		Seed:                      Ptr(uint64(p.seed)),
		Task:                      Task(p.task),
		Labels:                    labelsOf(&p),
		ClassifierDropout:         classifierDropout,
	}, nil
}

// NumParameters returns the number of distinct parameters (the tied decoder weight counted once),
// as transformers' model.num_parameters().
func (m *Model) NumParameters() (int64, error) {
	mp := m.acquire()
	if mp == nil {
		return 0, closedError("Model")
	}
	defer m.release()
	var n C.uint64_t
	if err := call(func() C.bert_status { return C.bert_model_num_parameters(mp, &n) }); err != nil {
		return 0, err
	}
	return int64(n), nil
}
