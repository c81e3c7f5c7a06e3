package bertc

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"runtime/cgo"
	"time"
	"unsafe"
)

// EventKind says what an Event reports. New kinds may be added: ignore kinds you do not know.
type EventKind int32

// The kinds of progress events.
const (
	EventTokenizerCount EventKind = C.BERT_EVENT_TOKENIZER_COUNT // word counting: Current/Total = bytes read
	EventTokenizerMerge EventKind = C.BERT_EVENT_TOKENIZER_MERGE // vocabulary building: Current/Total = vocabulary size
	EventEncode         EventKind = C.BERT_EVENT_ENCODE          // dataset encoding: Current/Total = lines encoded
	EventTrainStep      EventKind = C.BERT_EVENT_TRAIN_STEP      // a logged optimizer step (Current = global step)
	EventEval           EventKind = C.BERT_EVENT_EVAL            // an evaluation finished
	EventCheckpoint     EventKind = C.BERT_EVENT_CHECKPOINT      // a checkpoint was written to Path
)

// String returns a short name of the kind ("train_step", ...).
func (k EventKind) String() string {
	switch k {
	case EventTokenizerCount:
		return "tokenizer_count"
	case EventTokenizerMerge:
		return "tokenizer_merge"
	case EventEncode:
		return "encode"
	case EventTrainStep:
		return "train_step"
	case EventEval:
		return "eval"
	case EventCheckpoint:
		return "checkpoint"
	}
	return "unknown"
}

// Event is one progress report, copied from the library's bert_event. Fields that do not apply to
// Kind are zero.
type Event struct {
	Kind            EventKind
	Current         int64         // progress so far (for EventTrainStep: the global step)
	Total           int64         // expected end of Current, 0 when unknown
	Elapsed         time.Duration // wall time since the call started
	Loss            float64       // EventTrainStep: mean training loss of the logged steps
	LearningRate    float64       // EventTrainStep
	GradNorm        float64       // EventTrainStep: gradient L2 norm before clipping
	TokensPerSecond float64       // EventTrainStep: non-padding tokens per second
	EvalLoss        float64       // EventEval: mean masked-token (classifiers: label) cross-entropy
	EvalPerplexity  float64       // EventEval
	EvalAccuracy    float64       // EventEval: share of masked tokens (classifiers: examples / tagged words) predicted right
	EvalF1          float64       // EventEval of a classifier: macro-F1 over the labels; NaN for a masked LM (0 from a 1.0 library)
	Epoch           float64       // EventTrainStep/EventEval: fractional epoch
	Path            string        // EventCheckpoint: the directory written
	Message         string        // optional human-readable text
}

// ProgressFunc receives the progress events of a long call (tokenizer training, trainer steps),
// on the goroutine that made the call, never concurrently for one call. Returning a non-nil error
// cancels the call: it then fails with an *Error of status StatusCancelled that wraps the returned
// error (errors.Is(err, bertc.ErrCancelled) and errors.Is(err, yourErr) both hold).
//
// The func may use the Model being trained (FillMask, ScoreText, Save, Config) and Trainer.Info;
// other Trainer calls from inside it fail with ErrInvalidArgument. A panic in the func cancels the
// call and is re-raised when the call has returned. The func runs inside a C call: it must not call
// runtime.Goexit (nor testing's t.FailNow / t.Fatal, which do).
type ProgressFunc func(Event) error

// callback is the state of one call's progress func, reached from C through a cgo.Handle.
type callback struct {
	ctx      context.Context
	fn       ProgressFunc
	err      error // why the call was cancelled
	panicked bool
	panicVal any
}

// newCallback returns the state and the handle to pass as user_data (0 when there is nothing to
// call or check), and a func that releases the handle and re-raises a panic of fn.
func newCallback(ctx context.Context, fn ProgressFunc) (*callback, C.uintptr_t, func()) {
	if fn == nil && (ctx == nil || ctx.Done() == nil) {
		return nil, 0, func() {}
	}
	cb := &callback{ctx: ctx, fn: fn}
	h := cgo.NewHandle(cb)
	return cb, C.uintptr_t(h), func() {
		h.Delete()
		if cb.panicked {
			panic(cb.panicVal)
		}
	}
}

// wrap attaches the reason of a cancellation (the progress func's error, the context's
// error) to the library's error.
func (cb *callback) wrap(err error) error {
	if cb == nil || err == nil {
		return err
	}
	if e, ok := err.(*Error); ok && e.Status == StatusCancelled && cb.err != nil {
		e.cause = cb.err
	}
	return err
}

//export bertcgoProgress
func bertcgoProgress(h C.uintptr_t, ev *C.bert_event) (cancel C.int) {
	cb := cgo.Handle(h).Value().(*callback)
	if cb.err != nil || cb.panicked {
		return 1
	}
	if cb.ctx != nil {
		if err := cb.ctx.Err(); err != nil {
			cb.err = err
			return 1
		}
	}
	if cb.fn == nil {
		return 0
	}
	defer func() {
		if r := recover(); r != nil {
			cb.panicked, cb.panicVal = true, r
			cancel = 1
		}
	}()
	if err := cb.fn(copyEvent(ev)); err != nil {
		cb.err = err
		return 1
	}
	return 0
}

// copyEvent copies the fields the sending library has: it may be older than this header, and a
// field exists only when it lies within ev.struct_size.
func copyEvent(ev *C.bert_event) Event {
	size := uintptr(ev.struct_size)
	base := unsafe.Pointer(ev)
	has := func(off, n uintptr) bool { return off+n <= size }
	dbl := func(off uintptr) float64 {
		if !has(off, 8) {
			return 0
		}
		return float64(*(*C.double)(unsafe.Add(base, off)))
	}
	str := func(off uintptr) string {
		if !has(off, unsafe.Sizeof(uintptr(0))) {
			return ""
		}
		if p := *(**C.char)(unsafe.Add(base, off)); p != nil {
			return C.GoString(p)
		}
		return ""
	}
	var e Event
	if has(unsafe.Offsetof(ev.kind), 4) {
		e.Kind = EventKind(ev.kind)
	}
	if has(unsafe.Offsetof(ev.current), 8) {
		e.Current = int64(ev.current)
	}
	if has(unsafe.Offsetof(ev.total), 8) {
		e.Total = int64(ev.total)
	}
	e.Elapsed = time.Duration(dbl(unsafe.Offsetof(ev.elapsed_seconds)) * float64(time.Second))
	e.Loss = dbl(unsafe.Offsetof(ev.loss))
	e.LearningRate = dbl(unsafe.Offsetof(ev.learning_rate))
	e.GradNorm = dbl(unsafe.Offsetof(ev.grad_norm))
	e.TokensPerSecond = dbl(unsafe.Offsetof(ev.tokens_per_second))
	e.EvalLoss = dbl(unsafe.Offsetof(ev.eval_loss))
	e.EvalPerplexity = dbl(unsafe.Offsetof(ev.eval_perplexity))
	e.EvalAccuracy = dbl(unsafe.Offsetof(ev.eval_accuracy))
	e.Epoch = dbl(unsafe.Offsetof(ev.epoch))
	e.Path = str(unsafe.Offsetof(ev.path))
	e.Message = str(unsafe.Offsetof(ev.message))
	e.EvalF1 = dbl(unsafe.Offsetof(ev.eval_f1))
	return e
}
