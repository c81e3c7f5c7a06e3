package bertc

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"context"
	"runtime"
	"unsafe"
)

// Tokenizer is a WordPiece tokenizer (Hugging Face BertWordPieceTokenizer / BertTokenizerFast
// compatible). A Tokenizer is immutable: all its methods are safe for concurrent use by any number
// of goroutines (encode from many goroutines at once).
//
// Close releases it; it is idempotent and safe at any time, even while other goroutines still run
// calls on the tokenizer (the memory is freed when the last of them returns, and calls made after
// Close fail with ErrClosed). A Tokenizer that becomes unreachable without Close is released by the
// garbage collector. Models, Encodings and Trainers created with a Tokenizer stay valid after it is
// closed.
type Tokenizer struct {
	h       *handle[*C.bert_tokenizer]
	cleanup runtime.Cleanup
}

func newTokenizer(p *C.bert_tokenizer) *Tokenizer {
	t := &Tokenizer{h: newHandle(p, func(p *C.bert_tokenizer) { C.bert_tokenizer_free(p) })}
	t.cleanup = runtime.AddCleanup(t, func(h *handle[*C.bert_tokenizer]) { h.close() }, t.h)
	return t
}

// Close releases the tokenizer. It always returns nil; calling it again does nothing.
func (t *Tokenizer) Close() error {
	if t != nil && t.h.close() {
		t.cleanup.Stop()
	}
	return nil
}

func (t *Tokenizer) acquire() *C.bert_tokenizer {
	if t == nil {
		return nil
	}
	return t.h.acquire()
}

func (t *Tokenizer) release() { t.h.release() }

// StripAccents selects the normalizer's accent stripping.
type StripAccents int32

// Accent stripping modes.
const (
	StripAccentsAuto  StripAccents = C.BERT_STRIP_ACCENTS_AUTO  // strip when lowercasing (default)
	StripAccentsKeep  StripAccents = C.BERT_STRIP_ACCENTS_KEEP  // never strip
	StripAccentsStrip StripAccents = C.BERT_STRIP_ACCENTS_STRIP // always strip
)

// Algorithm selects the vocabulary-building algorithm of tokenizer training.
type Algorithm int32

// Tokenizer training algorithms.
const (
	AlgorithmHF         Algorithm = C.BERT_TOKENIZER_ALGO_HF         // HF WordPieceTrainer semantics (default)
	AlgorithmLikelihood Algorithm = C.BERT_TOKENIZER_ALGO_LIKELIHOOD // WordPiece likelihood criterion
)

// TokenizerOptions are the training and normalization options of TrainTokenizer (see
// bert_tokenizer_params). The zero value of every field keeps the library's default; fields whose
// zero is a meaningful other setting are pointers (nil = default).
type TokenizerOptions struct {
	VocabSize       int      // target vocabulary size incl. special tokens; 0: 30522
	MinFrequency    int      // pairs rarer than this are never merged; 0: 2
	LimitAlphabet   *int     // keep at most this many distinct characters; nil: 1000; 0: all
	InitialAlphabet string   // characters always kept in the alphabet
	SpecialTokens   []string // nil: [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0.. in this order)
	UnkToken        string   // "": [UNK]; must be among SpecialTokens
	ClsToken        string   // "": [CLS]
	SepToken        string   // "": [SEP]
	PadToken        string   // "": [PAD]
	MaskToken       string   // "": [MASK]
	NoLowercase     bool     // keep case (default: lowercase)
	StripAccents    StripAccents
	NoCleanText     bool // keep control characters and whitespace as they are (default: clean)
	NoChineseChars  bool // no spaces around CJK ideographs (default: add them)
	Algorithm       Algorithm
	Threads         int // word-counting threads; 0: all cores (the result does not depend on it)
	ModelMaxLength  int // written to the tokenizer's config files; 0: 512
	// Progress receives EventTokenizerCount then EventTokenizerMerge events; a non-nil error
	// cancels training.
	Progress ProgressFunc
}

func (o *TokenizerOptions) fill(p *C.bert_tokenizer_params, m *cmem) {
	if o == nil {
		return
	}
	if o.VocabSize != 0 {
		p.vocab_size = C.size_t(o.VocabSize)
	}
	if o.MinFrequency != 0 {
		p.min_frequency = C.uint64_t(o.MinFrequency)
	}
	if o.LimitAlphabet != nil {
		p.limit_alphabet = C.size_t(*o.LimitAlphabet)
	}
	p.initial_alphabet = m.optStr(o.InitialAlphabet, "InitialAlphabet")
	if len(o.SpecialTokens) > 0 {
		ptrs, _ := m.strs(o.SpecialTokens, "SpecialTokens", true)
		p.special_tokens = ptrs
		p.num_special_tokens = C.size_t(len(o.SpecialTokens))
	}
	p.unk_token = m.optStr(o.UnkToken, "UnkToken")
	p.cls_token = m.optStr(o.ClsToken, "ClsToken")
	p.sep_token = m.optStr(o.SepToken, "SepToken")
	p.pad_token = m.optStr(o.PadToken, "PadToken")
	p.mask_token = m.optStr(o.MaskToken, "MaskToken")
	if o.NoLowercase {
		p.lowercase = 0
	}
	if o.StripAccents != 0 {
		p.strip_accents = C.bert_strip_accents(o.StripAccents)
	}
	if o.NoCleanText {
		p.clean_text = 0
	}
	if o.NoChineseChars {
		p.handle_chinese_chars = 0
	}
	if o.Algorithm != 0 {
		p.algorithm = C.bert_tokenizer_algorithm(o.Algorithm)
	}
	if o.Threads != 0 {
		p.threads = C.size_t(o.Threads)
	}
	if o.ModelMaxLength != 0 {
		p.model_max_length = C.size_t(o.ModelMaxLength)
	}
}

// TrainTokenizer trains a tokenizer on text files (UTF-8, one sentence or document per line),
// streaming them. Cancelling ctx (or an error from opts.Progress) stops training with an error that
// matches ErrCancelled and wraps the reason. opts may be nil (all defaults).
func TrainTokenizer(ctx context.Context, files []string, opts *TokenizerOptions) (*Tokenizer, error) {
	return trainTokenizer(ctx, opts, func(p *C.bert_tokenizer_params, m *cmem, out **C.bert_tokenizer) C.bert_status {
		ptrs, _ := m.strs(files, "file path", true)
		if m.err != nil {
			return C.BERT_OK
		}
		return C.bert_tokenizer_train(ptrs, C.size_t(len(files)), p, out)
	})
}

// TrainTokenizerFromLines is TrainTokenizer on in-memory lines (not retained after the call).
func TrainTokenizerFromLines(ctx context.Context, lines []string, opts *TokenizerOptions) (*Tokenizer, error) {
	return trainTokenizer(ctx, opts, func(p *C.bert_tokenizer_params, m *cmem, out **C.bert_tokenizer) C.bert_status {
		ptrs, lens := m.strs(lines, "line", false)
		return C.bert_tokenizer_train_from_lines(ptrs, lens, C.size_t(len(lines)), p, out)
	})
}

func trainTokenizer(ctx context.Context, opts *TokenizerOptions, run func(*C.bert_tokenizer_params, *cmem, **C.bert_tokenizer) C.bert_status) (*Tokenizer, error) {
	if versionErr != nil {
		return nil, versionErr
	}
	var m cmem
	defer m.free()
	var progress ProgressFunc
	if opts != nil {
		progress = opts.Progress
	}
	cb, h, done := newCallback(ctx, progress)
	defer done()
	if ctx != nil && ctx.Err() != nil {
		return nil, &Error{Status: StatusCancelled, Message: "TrainTokenizer: context done before the call", cause: ctx.Err()}
	}
	// The params live in C memory: C stores the callback handle (an integer) in its void* field.
	p := (*C.bert_tokenizer_params)(m.alloc(C.sizeof_bert_tokenizer_params))
	var out *C.bert_tokenizer
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if st := C.bert_tokenizer_params_init(p, C.sizeof_bert_tokenizer_params); st != C.BERT_OK {
		return nil, lastError(st)
	}
	opts.fill(p, &m)
	if m.err != nil {
		return nil, m.err
	}
	C.bertcgo_tokenizer_params_set_progress(p, h)
	st := run(p, &m, &out)
	if m.err != nil {
		return nil, m.err
	}
	if err := cb.wrap(lastError(st)); err != nil {
		return nil, err
	}
	return newTokenizer(out), nil
}

// LoadTokenizer loads a tokenizer from a directory (tokenizer.json, else vocab.txt, with
// tokenizer_config.json), a tokenizer.json file or a vocab.txt file.
func LoadTokenizer(path string) (*Tokenizer, error) {
	if versionErr != nil {
		return nil, versionErr
	}
	var m cmem
	defer m.free()
	cpath := m.cstr(path, "path")
	if m.err != nil {
		return nil, m.err
	}
	var out *C.bert_tokenizer
	if err := call(func() C.bert_status { return C.bert_tokenizer_load(cpath, &out) }); err != nil {
		return nil, err
	}
	return newTokenizer(out), nil
}

// LoadTokenizerFromMemory loads a tokenizer from the content of a tokenizer.json (starting with
// '{') or a vocab.txt, with the optional content of a tokenizer_config.json (nil for none). The
// buffers are not retained.
func LoadTokenizerFromMemory(data, config []byte) (*Tokenizer, error) {
	if versionErr != nil {
		return nil, versionErr
	}
	var out *C.bert_tokenizer
	err := call(func() C.bert_status {
		return C.bert_tokenizer_load_from_memory(bytesPtr(data), C.size_t(len(data)), bytesPtr(config),
			C.size_t(len(config)), &out)
	})
	if err != nil {
		return nil, err
	}
	return newTokenizer(out), nil
}

// Save writes the tokenizer: to a tokenizer.json file when path ends in ".json", a vocab.txt when it
// ends in ".txt", otherwise into the directory path (vocab.txt, tokenizer.json,
// tokenizer_config.json, special_tokens_map.json, config.json). Files are replaced atomically.
func (t *Tokenizer) Save(path string) error {
	tp := t.acquire()
	if tp == nil {
		return closedError("Tokenizer")
	}
	defer t.release()
	var m cmem
	defer m.free()
	cpath := m.cstr(path, "path")
	if m.err != nil {
		return m.err
	}
	return call(func() C.bert_status { return C.bert_tokenizer_save(tp, cpath) })
}

// TokenizerFile selects the file SaveToMemory produces.
type TokenizerFile int32

// The files of a saved tokenizer.
const (
	FileTokenizerJSON   TokenizerFile = C.BERT_TOKENIZER_FILE_JSON   // tokenizer.json (self-contained)
	FileVocab           TokenizerFile = C.BERT_TOKENIZER_FILE_VOCAB  // vocab.txt (pair it with FileTokenizerConfig)
	FileTokenizerConfig TokenizerFile = C.BERT_TOKENIZER_FILE_CONFIG // tokenizer_config.json
)

// SaveToMemory returns the content of one of the tokenizer's files, exactly as Save writes it.
func (t *Tokenizer) SaveToMemory(file TokenizerFile) ([]byte, error) {
	tp := t.acquire()
	if tp == nil {
		return nil, closedError("Tokenizer")
	}
	defer t.release()
	var data *C.char
	var size C.size_t
	err := call(func() C.bert_status {
		return C.bert_tokenizer_save_to_memory(tp, C.bert_tokenizer_file(file), &data, &size)
	})
	if err != nil {
		return nil, err
	}
	defer C.bert_string_free(data)
	return append([]byte{}, unsafe.Slice((*byte)(unsafe.Pointer(data)), int(size))...), nil
}

// VocabSize returns the number of tokens in the vocabulary (incl. special tokens); 0 when closed.
func (t *Tokenizer) VocabSize() int {
	tp := t.acquire()
	if tp == nil {
		return 0
	}
	defer t.release()
	return int(C.bert_tokenizer_vocab_size(tp))
}

// TokenToID returns the id of a token (exact, not normalized), or -1 when it is not in the
// vocabulary.
func (t *Tokenizer) TokenToID(token string) (int32, error) {
	tp := t.acquire()
	if tp == nil {
		return -1, closedError("Tokenizer")
	}
	defer t.release()
	var id C.int32_t
	runtime.LockOSThread()
	st := C.bert_tokenizer_token_to_id(tp, strPtr(token), C.size_t(len(token)), &id)
	err := lastError(st)
	runtime.UnlockOSThread()
	if err != nil {
		return -1, err
	}
	return int32(id), nil
}

// IDToToken returns the token string of id; an id outside [0, VocabSize()) is ErrInvalidArgument.
func (t *Tokenizer) IDToToken(id int32) (string, error) {
	tp := t.acquire()
	if tp == nil {
		return "", closedError("Tokenizer")
	}
	defer t.release()
	var tok *C.char
	var n C.size_t
	runtime.LockOSThread()
	st := C.bert_tokenizer_id_to_token(tp, C.int32_t(id), &tok, &n)
	err := lastError(st)
	runtime.UnlockOSThread()
	if err != nil {
		return "", err
	}
	return goString(tok, n), nil
}

// IDsToTokens maps every id to its token string (IDToToken on each).
func (t *Tokenizer) IDsToTokens(ids []int32) ([]string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		s, err := t.IDToToken(id)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// SpecialToken names a special-token role.
type SpecialToken int32

// Special-token roles.
const (
	SpecialPad  SpecialToken = C.BERT_SPECIAL_PAD
	SpecialUnk  SpecialToken = C.BERT_SPECIAL_UNK
	SpecialCLS  SpecialToken = C.BERT_SPECIAL_CLS
	SpecialSep  SpecialToken = C.BERT_SPECIAL_SEP
	SpecialMask SpecialToken = C.BERT_SPECIAL_MASK
)

// SpecialTokenID returns the id of the token playing role, or -1 when the vocabulary lacks it.
func (t *Tokenizer) SpecialTokenID(role SpecialToken) (int32, error) {
	tp := t.acquire()
	if tp == nil {
		return -1, closedError("Tokenizer")
	}
	defer t.release()
	var id C.int32_t
	if err := call(func() C.bert_status { return C.bert_tokenizer_special_token_id(tp, C.bert_special_token(role), &id) }); err != nil {
		return -1, err
	}
	return int32(id), nil
}

// DecodeOptions are the options of Decode and DecodeBatch; nil or the zero value: keep special
// tokens, apply Hugging Face's clean-up.
type DecodeOptions struct {
	SkipSpecialTokens bool // drop [CLS], [SEP], [PAD], [MASK], ...
	NoCleanup         bool // keep spaces before punctuation and contractions
}

func (o *DecodeOptions) flags() C.unsigned {
	var f C.unsigned
	if o != nil && o.SkipSpecialTokens {
		f |= C.BERT_DECODE_SKIP_SPECIAL_TOKENS
	}
	if o != nil && o.NoCleanup {
		f |= C.BERT_DECODE_NO_CLEANUP
	}
	return f
}

// Decode turns ids back into text ("##" pieces glued, HF clean-up). Ids outside the vocabulary are
// skipped.
func (t *Tokenizer) Decode(ids []int32, opts *DecodeOptions) (string, error) {
	tp := t.acquire()
	if tp == nil {
		return "", closedError("Tokenizer")
	}
	defer t.release()
	var idp *C.int32_t
	if len(ids) > 0 {
		idp = (*C.int32_t)(unsafe.Pointer(&ids[0]))
	}
	var text *C.char
	var n C.size_t
	runtime.LockOSThread()
	st := C.bert_tokenizer_decode(tp, idp, C.size_t(len(ids)), opts.flags(), &text, &n)
	err := lastError(st)
	runtime.UnlockOSThread()
	if err != nil {
		return "", err
	}
	s := goString(text, n)
	C.bert_string_free(text)
	return s, nil
}

// DecodeBatch decodes every id sequence (as Decode does each).
func (t *Tokenizer) DecodeBatch(seqs [][]int32, opts *DecodeOptions) ([]string, error) {
	tp := t.acquire()
	if tp == nil {
		return nil, closedError("Tokenizer")
	}
	defer t.release()
	n := len(seqs)
	if n == 0 {
		return []string{}, nil
	}
	var m cmem
	defer m.free()
	ptrSize := int(unsafe.Sizeof(uintptr(0)))
	idPtrs := unsafe.Slice((**C.int32_t)(m.alloc(n*ptrSize)), n)
	lengths := m.sizes(n)
	for i, s := range seqs {
		idPtrs[i] = m.int32s(s)
		lengths[i] = C.size_t(len(s))
	}
	texts := unsafe.Slice((**C.char)(m.alloc(n*ptrSize)), n)
	textLens := m.sizes(n)
	err := call(func() C.bert_status {
		return C.bert_tokenizer_decode_batch(tp, &idPtrs[0], &lengths[0], C.size_t(n), opts.flags(), &texts[0], &textLens[0])
	})
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		out[i] = goString(texts[i], textLens[i])
		C.bert_string_free(texts[i])
	}
	return out, nil
}
