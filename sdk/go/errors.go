package bertc

/*
#include "shim.h"
*/
import "C"

import "errors"

// Status is a bertc status code (bert_status). Values are stable; new ones may be appended.
type Status int32

// The statuses of bertc calls.
const (
	StatusOK              Status = C.BERT_OK
	StatusInvalidArgument Status = C.BERT_ERR_INVALID_ARGUMENT // NULL/out-of-range argument, bad option, misuse
	StatusIO              Status = C.BERT_ERR_IO               // file missing, unreadable, unwritable
	StatusFormat          Status = C.BERT_ERR_FORMAT           // corrupt or unexpected content
	StatusInvalidUTF8     Status = C.BERT_ERR_INVALID_UTF8     // input text is not valid UTF-8
	StatusOutOfMemory     Status = C.BERT_ERR_OUT_OF_MEMORY    // an allocation failed
	StatusCancelled       Status = C.BERT_ERR_CANCELLED        // a progress func or context cancelled the call
	StatusUnsupported     Status = C.BERT_ERR_UNSUPPORTED      // valid request this library cannot do
	StatusInternal        Status = C.BERT_ERR_INTERNAL         // a bug in bertc
	StatusLimit           Status = C.BERT_ERR_LIMIT            // the input exceeds a limit set with SetLimits
)

// String returns the library's name for the status (bert_status_str), e.g. "io error".
func (s Status) String() string { return C.GoString(C.bert_status_str(C.bert_status(s))) }

// Error is the error of a failed bertc call: the status and the message bertc gave for it
// (bert_last_error, read on the OS thread of the failed call), e.g.
// "bert_model_load: cannot open /x/config.json: No such file or directory".
//
// Match a status with errors.Is and the sentinels (errors.Is(err, bertc.ErrIO)); read the details
// with errors.As:
//
//	var e *bertc.Error
//	if errors.As(err, &e) { log.Print(e.Status, e.Message) }
type Error struct {
	Status  Status
	Message string
	// cause is an error this one wraps: the error a progress func returned or the context's error
	// for StatusCancelled, ErrClosed for a closed handle.
	cause error
}

// Error formats the error as "bertc: MESSAGE (STATUS)".
func (e *Error) Error() string {
	if e.Message == "" {
		return "bertc: " + e.Status.String()
	}
	return "bertc: " + e.Message + " (" + e.Status.String() + ")"
}

// Is reports whether target is the sentinel of e's status (ErrIO, ErrCancelled, ...).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.cause == nil && t.Status == e.Status
}

// Unwrap returns the error that caused this one, if any: for a cancelled call the error the
// progress func returned or ctx.Err() (so errors.Is(err, context.Canceled) works), for a call on a
// closed handle ErrClosed.
func (e *Error) Unwrap() error { return e.cause }

// Sentinels, one per status, for errors.Is(err, bertc.ErrX). They match any *Error of that status.
var (
	ErrInvalidArgument = &Error{Status: StatusInvalidArgument}
	ErrIO              = &Error{Status: StatusIO}
	ErrFormat          = &Error{Status: StatusFormat}
	ErrInvalidUTF8     = &Error{Status: StatusInvalidUTF8}
	ErrOutOfMemory     = &Error{Status: StatusOutOfMemory}
	ErrCancelled       = &Error{Status: StatusCancelled}
	ErrUnsupported     = &Error{Status: StatusUnsupported}
	ErrInternal        = &Error{Status: StatusInternal}
	ErrLimit           = &Error{Status: StatusLimit}
)

// ErrClosed is wrapped by the error of any call on a closed (or nil) Tokenizer, Model or Trainer.
// Such errors also match ErrInvalidArgument.
var ErrClosed = errors.New("bertc: use of a closed handle")

func closedError(what string) error {
	return &Error{Status: StatusInvalidArgument, Message: what + " is closed", cause: ErrClosed}
}

// argError is an invalid argument detected while converting Go values for the C call (one the
// library cannot see, e.g. a NUL byte inside a file path, or ragged batch rows).
func argError(msg string) error {
	return &Error{Status: StatusInvalidArgument, Message: msg}
}
