package bertc

/*
#cgo pkg-config: bertc
#cgo noescape bert_tokenizer_encode
#cgo nocallback bert_tokenizer_encode
#cgo noescape bert_tokenizer_encode_batch
#cgo nocallback bert_tokenizer_encode_batch
#cgo noescape bertcgo_encoding_row
#cgo nocallback bertcgo_encoding_row
#cgo nocallback bert_encoding_free
#cgo noescape bert_tokenizer_decode
#cgo nocallback bert_tokenizer_decode
#cgo noescape bert_tokenizer_token_to_id
#cgo nocallback bert_tokenizer_token_to_id
#cgo noescape bert_tokenizer_id_to_token
#cgo nocallback bert_tokenizer_id_to_token
#cgo noescape bert_fill_mask
#cgo nocallback bert_fill_mask
#cgo noescape bert_fill_mask_result_get
#cgo nocallback bert_fill_mask_result_get
#cgo nocallback bert_fill_mask_result_free
#cgo nocallback bert_last_error
#cgo nocallback bert_encode_params_init
#cgo noescape bert_encode_params_init
#cgo nocallback bert_fill_mask_params_init
#cgo noescape bert_fill_mask_params_init
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"unsafe"
)

// HeaderVersion is the version of bertc.h this package was compiled against ("MAJOR.MINOR.PATCH").
var HeaderVersion = fmt.Sprintf("%d.%d.%d", C.BERTC_VERSION_MAJOR, C.BERTC_VERSION_MINOR, C.BERTC_VERSION_PATCH)

// versionErr is the result of bert_check_version at package initialisation: nil when the loaded
// library can serve this package's header version.
var versionErr error

func init() {
	versionErr = checkVersion(C.bertcgo_header_version)
}

// checkVersion asks the library whether it can serve a caller built against header version
// `expected` (MAJOR*10000 + MINOR*100 + PATCH).
func checkVersion(expected uint) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := C.bert_check_version(C.unsigned(expected))
	if st == C.BERT_OK {
		return nil
	}
	return lastError(st)
}

// Version returns the version of the loaded libbertc, e.g. "1.0.0".
func Version() string { return C.GoString(C.bert_version()) }

// BuildInfo describes how the loaded libbertc was built and how it runs on this machine
// (bert_build_info).
type BuildInfo struct {
	Version  string `json:"version"`
	ABI      int    `json:"abi"`
	LibTorch string `json:"libtorch"`
	Compiler string `json:"compiler"`
	BLAS     struct {
		Library  string `json:"library"`
		Kernel   string `json:"kernel"`    // GEMM kernel set in use, e.g. "Haswell", "SkylakeX"
		ChosenBy string `json:"chosen_by"` // who chose it: "OpenBLAS", "bertc (...)", "OPENBLAS_CORETYPE=..."
		Generic  bool   `json:"generic"`   // slow generic kernels in use
	} `json:"blas"`
	CPU struct {
		Model string `json:"model"`
		ISA   string `json:"isa"`
	} `json:"cpu"`
	DefaultThreads string `json:"default_threads"`
	// JSON is the library's text, for fields this package does not know yet.
	JSON string `json:"-"`
}

// GetBuildInfo returns the loaded library's BuildInfo.
func GetBuildInfo() (BuildInfo, error) {
	text := C.GoString(C.bert_build_info())
	var b BuildInfo
	if err := json.Unmarshal([]byte(text), &b); err != nil {
		return BuildInfo{}, fmt.Errorf("bertc: bert_build_info: %w", err)
	}
	b.JSON = text
	return b, nil
}

// CheckVersion reports whether the loaded libbertc can serve this package: nil, or an *Error with
// status StatusUnsupported (errors.Is(err, ErrUnsupported)) whose message names both versions. The
// check runs once when the package is initialised; while it fails, every constructor
// (LoadTokenizer, NewModel, NewTrainer, ...) returns this error.
func CheckVersion() error { return versionErr }

// lastError turns a failed status into an *Error carrying bert_last_error(). It must run on the OS
// thread that made the failed call, with no bertc call in between: callers hold
// runtime.LockOSThread around the pair (see the header's "Errors" section).
func lastError(st C.bert_status) error {
	if st == C.BERT_OK {
		return nil
	}
	return &Error{Status: Status(st), Message: C.GoString(C.bert_last_error())}
}

// lastWarning returns the message a successful call left (a warning, or ""). Same thread rule as
// lastError.
func lastWarning() string { return C.GoString(C.bert_last_error()) }

// call runs one bertc call that returns a status with the goroutine pinned to its OS thread, and
// reads the message of a failure on that same thread.
func call(f func() C.bert_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return lastError(f())
}

// callWarn is call that also returns the warning a successful call left.
func callWarn(f func() C.bert_status) (string, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := lastError(f()); err != nil {
		return "", err
	}
	return lastWarning(), nil
}

// strPtr returns a pointer to the bytes of s for a pointer+length argument, without a copy. The
// bytes are only read, and only during the call (cgo pins argument memory for the call).
func strPtr(s string) *C.char {
	if len(s) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s)))
}

// bytesPtr is strPtr for a byte slice.
func bytesPtr(b []byte) *C.char {
	if len(b) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&b[0]))
}

// Ptr returns a pointer to a copy of v. Options use pointer fields where the zero value is a
// meaningful setting that differs from the library's default (e.g. Seed: bertc.Ptr[uint64](0),
// EvalSplit: bertc.Ptr(0.0)); a nil pointer keeps the default.
func Ptr[T any](v T) *T { return &v }
