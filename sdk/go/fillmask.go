package bertc

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// FillMaskOptions are the options of FillMask and FillMaskBatch (see bert_fill_mask_params). nil or
// the zero value: the 5 most probable tokens over the whole vocabulary, the free cores.
type FillMaskOptions struct {
	TopK int // predictions per [MASK]; 0: 5. With Targets it is capped at the number of distinct targets.
	// Targets restricts the predictions to these words (as Hugging Face: a word found verbatim in the
	// vocabulary is used as is, any other word by its first piece unless ExpandMultiPieceTargets).
	// Scores stay probabilities over the whole vocabulary. nil or empty: the whole vocabulary.
	Targets []string
	// ExpandMultiPieceTargets predicts a target of k > 1 pieces as k [MASK]s, left to right; its
	// score is the joint probability (beyond Hugging Face; k extra forward passes).
	ExpandMultiPieceTargets bool
	Threads                 int // intra-op threads for this call; 0: the free cores. With many concurrent callers 1 is usually best.
}

// params fills p for o (nil for nil o) on the locked thread of the call; target strings go to m.
func (o *FillMaskOptions) params(p *C.bert_fill_mask_params, m *cmem) (*C.bert_fill_mask_params, error) {
	if o == nil {
		return nil, nil
	}
	if st := C.bert_fill_mask_params_init(p, C.sizeof_bert_fill_mask_params); st != C.BERT_OK {
		return nil, lastError(st)
	}
	if o.TopK != 0 {
		p.top_k = C.size_t(o.TopK)
	}
	if len(o.Targets) > 0 {
		p.targets, p.target_lengths = m.strs(o.Targets, "target", false)
		p.num_targets = C.size_t(len(o.Targets))
	}
	if o.ExpandMultiPieceTargets {
		p.expand_multi_piece_targets = 1
	}
	if o.Threads != 0 {
		p.threads = C.size_t(o.Threads)
	}
	return p, nil
}

// Prediction is one fill-mask candidate (Hugging Face pipeline('fill-mask') fields).
type Prediction struct {
	Score    float64 // probability (the joint probability of an expanded multi-piece target)
	TokenID  int32   // HF "token": the predicted id (the first piece of an expanded target)
	Token    string  // HF "token_str": the decoded token (the whole word when expanded)
	Sequence string  // HF "sequence": the input with this prediction filled in
	TokenIDs []int32 // all pieces of the prediction (one unless an expanded multi-piece target)
}

// String formats the prediction as "TOKEN (SCORE)".
func (p Prediction) String() string { return fmt.Sprintf("%s (%.4f)", p.Token, p.Score) }

// FillMask predicts the tokens at every [MASK] of text (the tokenizer's mask token). The result has
// one slice of predictions per [MASK], most probable first. The text is never truncated: input
// longer than the model's max_position_embeddings is an error, as is text without a [MASK].
//
// Safe for concurrent use: one Model and Tokenizer may serve any number of goroutines.
func (m *Model) FillMask(tok *Tokenizer, text string, opts *FillMaskOptions) ([][]Prediction, error) {
	mp := m.acquire()
	if mp == nil {
		return nil, closedError("Model")
	}
	defer m.release()
	tp := tok.acquire()
	if tp == nil {
		return nil, closedError("Tokenizer")
	}
	defer tok.release()
	var c cmem
	defer c.free()
	var params C.bert_fill_mask_params
	var res *C.bert_fill_mask_result
	runtime.LockOSThread()
	pp, err := opts.params(&params, &c)
	if err == nil {
		st := C.bert_fill_mask(mp, tp, strPtr(text), C.size_t(len(text)), pp, &res)
		err = lastError(st)
	}
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	defer C.bert_fill_mask_result_free(res)
	return convertQuery(res, 0)
}

// FillMaskBatch runs FillMask on many texts together (padded batches); result i belongs to
// texts[i]. Any invalid text fails the whole call (the message names its index).
func (m *Model) FillMaskBatch(tok *Tokenizer, texts []string, opts *FillMaskOptions) ([][][]Prediction, error) {
	mp := m.acquire()
	if mp == nil {
		return nil, closedError("Model")
	}
	defer m.release()
	tp := tok.acquire()
	if tp == nil {
		return nil, closedError("Tokenizer")
	}
	defer tok.release()
	var c cmem
	defer c.free()
	ptrs, lens := c.strs(texts, "text", false)
	var params C.bert_fill_mask_params
	var res *C.bert_fill_mask_result
	runtime.LockOSThread()
	pp, err := opts.params(&params, &c)
	if err == nil {
		st := C.bert_fill_mask_batch(mp, tp, ptrs, lens, C.size_t(len(texts)), pp, &res)
		err = lastError(st)
	}
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	defer C.bert_fill_mask_result_free(res)
	n := int(C.bert_fill_mask_result_num_queries(res))
	out := make([][][]Prediction, n)
	for q := range out {
		if out[q], err = convertQuery(res, q); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func convertQuery(res *C.bert_fill_mask_result, q int) ([][]Prediction, error) {
	masks := int(C.bert_fill_mask_result_num_masks(res, C.size_t(q)))
	out := make([][]Prediction, masks)
	for k := range out {
		n := int(C.bert_fill_mask_result_num_predictions(res, C.size_t(q), C.size_t(k)))
		preds := make([]Prediction, n)
		for r := range preds {
			var p C.bert_fill_mask_prediction
			p.struct_size = C.sizeof_bert_fill_mask_prediction
			runtime.LockOSThread()
			st := C.bert_fill_mask_result_get(res, C.size_t(q), C.size_t(k), C.size_t(r), &p)
			err := lastError(st)
			runtime.UnlockOSThread()
			if err != nil {
				return nil, err
			}
			preds[r] = Prediction{
				Score:    float64(p.score),
				TokenID:  int32(p.token_id),
				Token:    C.GoString(p.token),
				Sequence: C.GoString(p.sequence),
				TokenIDs: append([]int32{}, unsafe.Slice((*int32)(unsafe.Pointer(p.token_ids)), int(p.num_token_ids))...),
			}
		}
		out[k] = preds
	}
	return out, nil
}

// ScoreOptions are the options of ScoreText.
type ScoreOptions struct {
	Threads int // intra-op threads for this call; 0: the free cores
}

// TextScore is the pseudo-log-likelihood of one text.
type TextScore struct {
	LogLikelihood float64 // sum of the natural-log probabilities of each token, masked in turn (<= 0)
	NumTokens     int     // tokens scored (divide for a per-token average); 0 for an empty text
}

// ScoreText computes the pseudo-log-likelihood (Salazar et al., 2020) of each text: higher (closer
// to 0) means more plausible. Safe for concurrent use.
func (m *Model) ScoreText(tok *Tokenizer, texts []string, opts *ScoreOptions) ([]TextScore, error) {
	mp := m.acquire()
	if mp == nil {
		return nil, closedError("Model")
	}
	defer m.release()
	tp := tok.acquire()
	if tp == nil {
		return nil, closedError("Tokenizer")
	}
	defer tok.release()
	if len(texts) == 0 {
		return []TextScore{}, nil
	}
	var c cmem
	defer c.free()
	ptrs, lens := c.strs(texts, "text", false)
	scores := make([]float64, len(texts))
	counts := make([]C.size_t, len(texts))
	var params C.bert_fill_mask_params
	runtime.LockOSThread()
	pp, err := (&FillMaskOptions{Threads: threadsOf(opts)}).params(&params, &c)
	if err == nil {
		st := C.bert_score_text(mp, tp, ptrs, lens, C.size_t(len(texts)), pp,
			(*C.double)(unsafe.Pointer(&scores[0])), &counts[0])
		err = lastError(st)
	}
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	out := make([]TextScore, len(texts))
	for i := range out {
		out[i] = TextScore{LogLikelihood: scores[i], NumTokens: int(counts[i])}
	}
	return out, nil
}

func threadsOf(o *ScoreOptions) int {
	if o == nil {
		return 0
	}
	return o.Threads
}
