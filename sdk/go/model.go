package bertc

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Model is a BertForMaskedLM with its configuration (Hugging Face compatible config.json +
// model.safetensors).
//
// Inference is goroutine-safe: FillMask, FillMaskBatch, ScoreText, Save, Config and NumParameters
// may run concurrently from any number of goroutines, also while a Trainer trains the model (the
// library serializes them against the training steps).
//
// Close releases the model; it is idempotent and never frees memory under a running call or a
// Trainer: a Trainer holds its own reference, so a Model closed while a Trainer uses it stays alive
// (calls through the closed *Model fail with ErrClosed) until that Trainer is closed too.
type Model struct {
	h       *handle[*C.bert_model]
	cleanup runtime.Cleanup
	warning string
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

func (m *Model) acquire() *C.bert_model {
	if m == nil {
		return nil
	}
	return m.h.acquire()
}

func (m *Model) release() { m.h.release() }

// Warning returns the warning the library gave when loading the model (e.g. a checkpoint without
// an MLM head, whose head was newly initialised), or "".
func (m *Model) Warning() string {
	if m == nil {
		return ""
	}
	return m.warning
}

// ModelConfig mirrors bert_model_params: Hugging Face's BertConfig fields plus the initialisation
// seed. For NewModel, zero fields keep the library's defaults (those of bert-base-uncased); the
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
}

// NewModel creates a randomly initialised BertForMaskedLM (Hugging Face's init, seeded: the same
// config gives the same weights). cfg nil means all defaults (a BERT-base-sized model).
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
// (BertForMaskedLM.save_pretrained) or by Model.Save. A checkpoint without an MLM head loads with a
// new head and a Warning.
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

// Save writes DIR/config.json and DIR/model.safetensors (float32, HF key names), loadable by
// LoadModel and transformers' from_pretrained. The save is atomic: a failed save never destroys an
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

// Config returns the model's configuration. Seed is the seed NewModel used (0 for a loaded model).
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
