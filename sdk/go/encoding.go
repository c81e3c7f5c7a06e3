package bertc

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Truncation selects how Encode shortens inputs longer than MaxLength.
type Truncation int32

// Truncation strategies (Hugging Face's).
const (
	TruncationNone         Truncation = C.BERT_TRUNCATION_NONE          // never truncate (default)
	TruncationLongestFirst Truncation = C.BERT_TRUNCATION_LONGEST_FIRST // remove from the longer text first
	TruncationOnlyFirst    Truncation = C.BERT_TRUNCATION_ONLY_FIRST    // remove only from the first text
	TruncationOnlySecond   Truncation = C.BERT_TRUNCATION_ONLY_SECOND   // remove only from the second text
)

// Padding selects how Encode pads rows to a common length.
type Padding int32

// Padding strategies.
const (
	PaddingNone      Padding = C.BERT_PADDING_NONE       // no padding (default)
	PaddingLongest   Padding = C.BERT_PADDING_LONGEST    // to the longest row of the call
	PaddingMaxLength Padding = C.BERT_PADDING_MAX_LENGTH // to PadLength (or MaxLength when PadLength is 0)
)

// PaddingSide selects where padding goes.
type PaddingSide int32

// Padding sides.
const (
	PaddingRight PaddingSide = C.BERT_PADDING_RIGHT // after the tokens (default)
	PaddingLeft  PaddingSide = C.BERT_PADDING_LEFT  // before the tokens
)

// EncodeOptions are the options of Encode and friends (see bert_encode_params). nil or the zero
// value means the library's defaults: [CLS]/[SEP] added, no truncation, no padding.
type EncodeOptions struct {
	NoSpecialTokens    bool // do not add [CLS] A [SEP] (B [SEP])
	Truncation         Truncation
	MaxLength          int // incl. special tokens; 0: the tokenizer's model_max_length
	Stride             int // overlap of overflow windows
	ReturnOverflowing  bool
	Padding            Padding
	PadLength          int // PaddingMaxLength target; 0: MaxLength
	PadToMultipleOf    int
	PaddingSide        PaddingSide
	SplitSpecialTokens bool // treat "[MASK]" etc. in the text as plain text (untrusted input)
	Threads            int  // batch encode threads; 0: all cores
}

// params returns the C params for o (nil for nil o: the library's defaults). Call it on the locked
// thread of the call: a failing init leaves its message there.
func (o *EncodeOptions) params(p *C.bert_encode_params) (*C.bert_encode_params, error) {
	if o == nil {
		return nil, nil
	}
	if st := C.bert_encode_params_init(p, C.sizeof_bert_encode_params); st != C.BERT_OK {
		return nil, lastError(st)
	}
	if o.NoSpecialTokens {
		p.add_special_tokens = 0
	}
	if o.Truncation != 0 {
		p.truncation = C.bert_truncation_strategy(o.Truncation)
	}
	if o.MaxLength != 0 {
		p.max_length = C.size_t(o.MaxLength)
	}
	if o.Stride != 0 {
		p.stride = C.size_t(o.Stride)
	}
	if o.ReturnOverflowing {
		p.return_overflowing = 1
	}
	if o.Padding != 0 {
		p.padding = C.bert_padding_strategy(o.Padding)
	}
	if o.PadLength != 0 {
		p.pad_length = C.size_t(o.PadLength)
	}
	if o.PadToMultipleOf != 0 {
		p.pad_to_multiple_of = C.size_t(o.PadToMultipleOf)
	}
	if o.PaddingSide != 0 {
		p.padding_side = C.bert_padding_side(o.PaddingSide)
	}
	if o.SplitSpecialTokens {
		p.split_special_tokens = 1
	}
	if o.Threads != 0 {
		p.threads = C.size_t(o.Threads)
	}
	return p, nil
}

// Offset is the byte range [Start, End) of a token in its input text; {0, 0} for added special
// tokens and padding.
type Offset struct {
	Start, End int
}

// Encoding is the result of encoding one input, copied into Go memory (nothing to close).
type Encoding struct {
	IDs               []int32
	TypeIDs           []int32  // 0 for the first text and its [CLS]/[SEP], 1 for the second
	AttentionMask     []int32  // 1 for real tokens, 0 for padding
	SpecialTokensMask []int32  // 1 for added special tokens and padding
	Offsets           []Offset // byte offsets into the input the token came from
	SequenceIDs       []int8   // 0 = first text, 1 = second text, -1 = added token or padding
	// Overflowing holds the overflow windows (EncodeOptions.ReturnOverflowing with truncation).
	Overflowing []*Encoding
}

// Encode encodes one text. opts may be nil (defaults).
func (t *Tokenizer) Encode(text string, opts *EncodeOptions) (*Encoding, error) {
	return t.encode(text, "", false, opts)
}

// EncodePair encodes a pair of texts ([CLS] A [SEP] B [SEP]).
func (t *Tokenizer) EncodePair(text, pair string, opts *EncodeOptions) (*Encoding, error) {
	return t.encode(text, pair, true, opts)
}

func (t *Tokenizer) encode(text, pair string, hasPair bool, opts *EncodeOptions) (*Encoding, error) {
	tp := t.acquire()
	if tp == nil {
		return nil, closedError("Tokenizer")
	}
	defer t.release()
	var pairPtr *C.char
	if hasPair {
		pairPtr = strPtr(pair)
		if pairPtr == nil {
			pairPtr = emptyText()
		}
	}
	var enc *C.bert_encoding
	var params C.bert_encode_params
	runtime.LockOSThread()
	pp, err := opts.params(&params)
	if err == nil {
		st := C.bert_tokenizer_encode(tp, strPtr(text), C.size_t(len(text)), pairPtr, C.size_t(len(pair)), pp, &enc)
		err = lastError(st)
	}
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	defer C.bert_encoding_free(enc)
	var r C.bertcgo_row
	C.bertcgo_encoding_row(enc, 0, &r)
	if r.rows == 1 { // the common case: no overflow windows
		return convertRow(&r), nil
	}
	return convertEncoding(enc, 1)[0], nil
}

// EncodeBatch encodes many texts at once on opts.Threads threads; result i belongs to texts[i].
// PaddingLongest pads to the longest row of the whole batch.
func (t *Tokenizer) EncodeBatch(texts []string, opts *EncodeOptions) ([]*Encoding, error) {
	return t.encodeBatch(texts, nil, opts)
}

// EncodePairBatch encodes the pairs (texts[i], pairs[i]); both slices must have the same length.
func (t *Tokenizer) EncodePairBatch(texts, pairs []string, opts *EncodeOptions) ([]*Encoding, error) {
	if pairs == nil {
		pairs = []string{}
	}
	if len(pairs) != len(texts) {
		return nil, argError("EncodePairBatch: texts and pairs differ in length")
	}
	return t.encodeBatch(texts, pairs, opts)
}

func (t *Tokenizer) encodeBatch(texts, pairs []string, opts *EncodeOptions) ([]*Encoding, error) {
	tp := t.acquire()
	if tp == nil {
		return nil, closedError("Tokenizer")
	}
	defer t.release()
	if len(texts) == 0 {
		return []*Encoding{}, nil
	}
	var m cmem
	defer m.free()
	textPtrs, textLens := m.strs(texts, "text", false)
	var pairPtrs **C.char
	var pairLens *C.size_t
	if pairs != nil {
		pairPtrs, pairLens = m.strs(pairs, "pair", false)
	}
	var enc *C.bert_encoding
	var params C.bert_encode_params
	runtime.LockOSThread()
	pp, err := opts.params(&params)
	if err == nil {
		st := C.bert_tokenizer_encode_batch(tp, textPtrs, textLens, pairPtrs, pairLens, C.size_t(len(texts)), pp, &enc)
		err = lastError(st)
	}
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	defer C.bert_encoding_free(enc)
	return convertEncoding(enc, len(texts)), nil
}

var emptyByte = [1]byte{0}

// emptyText is a non-NULL pointer for an empty pair text (NULL would mean "no pair").
func emptyText() *C.char { return (*C.char)(unsafe.Pointer(&emptyByte[0])) }

// convertEncoding copies the rows of enc into inputs Encodings (overflow windows go to their
// input's Overflowing).
func convertEncoding(enc *C.bert_encoding, inputs int) []*Encoding {
	out := make([]*Encoding, inputs)
	var r C.bertcgo_row
	for row, rows := 0, 1; row < rows; row++ {
		C.bertcgo_encoding_row(enc, C.size_t(row), &r)
		rows = int(r.rows)
		if rows == 0 {
			break
		}
		e := convertRow(&r)
		in := int(r.input_index)
		if in < 0 || in >= inputs {
			continue // cannot happen: the library returns rows of its inputs
		}
		if r.is_overflow != 0 && out[in] != nil {
			out[in].Overflowing = append(out[in].Overflowing, e)
		} else {
			out[in] = e
		}
	}
	for i := range out {
		if out[i] == nil {
			out[i] = &Encoding{}
		}
	}
	return out
}

func convertRow(r *C.bertcgo_row) *Encoding {
	n := int(r.length)
	e := &Encoding{}
	ints := make([]int32, 4*n)
	e.IDs = copyInt32s(ints[0:n:n], r.ids)
	e.TypeIDs = copyInt32s(ints[n:2*n:2*n], r.type_ids)
	e.AttentionMask = copyInt32s(ints[2*n:3*n:3*n], r.attention_mask)
	e.SpecialTokensMask = copyInt32s(ints[3*n:4*n:4*n], r.special_tokens_mask)
	e.Offsets = make([]Offset, n)
	if n > 0 && r.offsets != nil {
		for i, o := range unsafe.Slice(r.offsets, n) {
			e.Offsets[i] = Offset{Start: int(o.start), End: int(o.end)}
		}
	}
	e.SequenceIDs = make([]int8, n)
	if n > 0 && r.sequence_ids != nil {
		copy(e.SequenceIDs, unsafe.Slice((*int8)(unsafe.Pointer(r.sequence_ids)), n))
	}
	return e
}

func copyInt32s(dst []int32, src *C.int32_t) []int32 {
	if len(dst) > 0 && src != nil {
		copy(dst, unsafe.Slice((*int32)(unsafe.Pointer(src)), len(dst)))
	}
	return dst
}
