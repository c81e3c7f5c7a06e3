package bertc

import "sync/atomic"

// handle owns one C object and frees it exactly once, when it is closed and no call is using it.
//
// state = users<<1 | closedBit. A call does acquire/release around its use of the pointer; Close
// sets the bit. Whoever brings the state to "closed, no users" frees the object, so Close never
// frees an object under a running call (the call's release frees it), and a call never starts on a
// closed handle. Close therefore never blocks and is safe from any goroutine, including from inside
// a progress callback of a call on the same object.
type handle[P comparable] struct {
	state atomic.Int64
	ptr   P // a C pointer, e.g. *C.bert_tokenizer
	free  func(P)
}

func newHandle[P comparable](ptr P, free func(P)) *handle[P] {
	return &handle[P]{ptr: ptr, free: free}
}

// acquire returns the C pointer for one call, or nil when the handle is closed (or h is nil). Every
// non-nil result must be followed by release.
func (h *handle[P]) acquire() P {
	var none P
	if h == nil {
		return none
	}
	for {
		s := h.state.Load()
		if s&1 != 0 {
			return none
		}
		if h.state.CompareAndSwap(s, s+2) {
			return h.ptr
		}
	}
}

// release ends a use started by a successful acquire.
func (h *handle[P]) release() {
	if h.state.Add(-2) == 1 {
		h.destroy()
	}
}

// close marks the handle closed; the object is freed now or when its last user releases it.
// It reports whether this call closed it (false: it was already closed).
func (h *handle[P]) close() bool {
	if h == nil {
		return false
	}
	for {
		s := h.state.Load()
		if s&1 != 0 {
			return false
		}
		if h.state.CompareAndSwap(s, s|1) {
			if s == 0 {
				h.destroy()
			}
			return true
		}
	}
}

func (h *handle[P]) destroy() {
	p := h.ptr
	var none P
	h.ptr = none
	h.free(p)
}

// closed reports whether Close has been called.
func (h *handle[P]) closed() bool { return h == nil || h.state.Load()&1 != 0 }
