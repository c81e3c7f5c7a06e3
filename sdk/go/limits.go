package bertc

/*
#include "shim.h"
*/
import "C"

import "unsafe"

// Limits are bertc's process-wide limits on untrusted input (bert_limits). Beyond one, a call fails
// with an error matching ErrLimit before anything proportional to the input is allocated.
type Limits struct {
	MaxTextBytes  uint64 // one text to encode, fill or score; one training or corpus line (default 1 GiB)
	MaxVocabSize  uint64 // ids of a loaded or trained vocabulary (default 2^24)
	MaxTokenBytes uint64 // bytes of one vocabulary token on load (default 65536)
	MaxModelBytes uint64 // float32 parameter bytes of a created or loaded model (default 2^40)
}

// CurrentLimits returns the limits now in force.
func CurrentLimits() (Limits, error) {
	if versionErr != nil {
		return Limits{}, versionErr
	}
	var l C.bert_limits
	if err := call(func() C.bert_status { return C.bert_limits_init(&l, C.size_t(unsafe.Sizeof(l))) }); err != nil {
		return Limits{}, err
	}
	return Limits{uint64(l.max_text_bytes), uint64(l.max_vocab_size), uint64(l.max_token_bytes),
		uint64(l.max_model_bytes)}, nil
}

// SetLimits sets the limits for every later bertc call in the process.
func SetLimits(limits Limits) error {
	if versionErr != nil {
		return versionErr
	}
	return call(func() C.bert_status {
		var l C.bert_limits
		if st := C.bert_limits_init(&l, C.size_t(unsafe.Sizeof(l))); st != C.BERT_OK {
			return st
		}
		l.max_text_bytes = C.uint64_t(limits.MaxTextBytes)
		l.max_vocab_size = C.uint64_t(limits.MaxVocabSize)
		l.max_token_bytes = C.uint64_t(limits.MaxTokenBytes)
		l.max_model_bytes = C.uint64_t(limits.MaxModelBytes)
		return C.bert_set_limits(&l)
	})
}
