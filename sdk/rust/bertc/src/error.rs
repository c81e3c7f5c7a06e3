//! [`Error`], [`Status`] and the crate's [`Result`].
use std::ffi::CStr;
use std::fmt;

use bertc_sys as sys;

/// Why a bertc call failed: the C library's `bert_status` codes.
///
/// New codes may be added by newer libraries (the enum is `#[non_exhaustive]`); a code this crate
/// does not know yet arrives as [`Status::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// `BERT_ERR_INVALID_ARGUMENT`: a value out of range, a bad option, an impossible request.
    InvalidArgument,
    /// `BERT_ERR_IO`: a file missing, unreadable or unwritable; disk full.
    Io,
    /// `BERT_ERR_FORMAT`: corrupt or unexpected content (vocab, JSON, safetensors).
    Format,
    /// `BERT_ERR_INVALID_UTF8`: input text is not valid UTF-8 (the message gives the byte offset).
    InvalidUtf8,
    /// `BERT_ERR_OUT_OF_MEMORY`: an allocation failed.
    OutOfMemory,
    /// `BERT_ERR_CANCELLED`: a progress callback asked to stop.
    Cancelled,
    /// `BERT_ERR_UNSUPPORTED`: a valid request this build or library version cannot do.
    Unsupported,
    /// `BERT_ERR_INTERNAL`: a bug in bertc; the message says where.
    Internal,
    /// `BERT_ERR_LIMIT`: the input exceeds a limit set with [`set_limits`](crate::set_limits).
    Limit,
    /// A code added by a newer library than this crate knows.
    Unknown(i32),
}

impl Status {
    /// The status of a C `bert_status` code; `None` for `BERT_OK`.
    pub fn from_code(code: i32) -> Option<Status> {
        Some(match code {
            sys::BERT_OK => return None,
            sys::BERT_ERR_INVALID_ARGUMENT => Status::InvalidArgument,
            sys::BERT_ERR_IO => Status::Io,
            sys::BERT_ERR_FORMAT => Status::Format,
            sys::BERT_ERR_INVALID_UTF8 => Status::InvalidUtf8,
            sys::BERT_ERR_OUT_OF_MEMORY => Status::OutOfMemory,
            sys::BERT_ERR_CANCELLED => Status::Cancelled,
            sys::BERT_ERR_UNSUPPORTED => Status::Unsupported,
            sys::BERT_ERR_INTERNAL => Status::Internal,
            sys::BERT_ERR_LIMIT => Status::Limit,
            other => Status::Unknown(other),
        })
    }

    /// The C `bert_status` code.
    pub fn code(self) -> i32 {
        match self {
            Status::InvalidArgument => sys::BERT_ERR_INVALID_ARGUMENT,
            Status::Io => sys::BERT_ERR_IO,
            Status::Format => sys::BERT_ERR_FORMAT,
            Status::InvalidUtf8 => sys::BERT_ERR_INVALID_UTF8,
            Status::OutOfMemory => sys::BERT_ERR_OUT_OF_MEMORY,
            Status::Cancelled => sys::BERT_ERR_CANCELLED,
            Status::Unsupported => sys::BERT_ERR_UNSUPPORTED,
            Status::Internal => sys::BERT_ERR_INTERNAL,
            Status::Limit => sys::BERT_ERR_LIMIT,
            Status::Unknown(code) => code,
        }
    }

    /// The library's name for the status (`bert_status_str`), e.g. `"invalid argument"`.
    pub fn name(self) -> &'static str {
        // SAFETY: bert_status_str returns a static NUL-terminated string, never NULL.
        unsafe { CStr::from_ptr(sys::bert_status_str(self.code())) }
            .to_str()
            .unwrap_or("unknown status")
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed bertc call: its [`Status`] and bertc's message (`"function: what went wrong"`).
///
/// The message is the C library's `bert_last_error()`, read on the same thread right after the
/// failing call. Errors found by this crate before calling the library (e.g. a NUL byte in a path,
/// slices of mismatched lengths) carry [`Status::InvalidArgument`] and a message starting with
/// `"bertc (rust): "`.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// An error with the given status and message.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
        }
    }

    /// Why the call failed.
    pub fn status(&self) -> Status {
        self.status
    }

    /// bertc's message for the failure (may be empty).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// An [`Status::InvalidArgument`] error found on the Rust side.
    pub(crate) fn invalid_argument(message: impl fmt::Display) -> Error {
        Error::new(Status::InvalidArgument, format!("bertc (rust): {message}"))
    }

    /// The error for a failed call's `code`, with the calling thread's `bert_last_error()`.
    pub(crate) fn from_last(code: i32) -> Error {
        Error {
            status: Status::from_code(code).unwrap_or(Status::Internal),
            message: last_message(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "bertc: {}", self.status)
        } else {
            write!(f, "{} ({})", self.message, self.status)
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("status", &self.status)
            .field("message", &self.message)
            .finish()
    }
}

impl std::error::Error for Error {}

/// `Result<T, bertc::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `Ok(())` for `BERT_OK`, else the error with the calling thread's message. Call it right after
/// the C call, on the same thread, with no other bertc call in between.
pub(crate) fn check(code: sys::bert_status) -> Result<()> {
    if code == sys::BERT_OK {
        Ok(())
    } else {
        Err(Error::from_last(code))
    }
}

/// The calling thread's bertc message (`bert_last_error()`).
pub(crate) fn last_message() -> String {
    // SAFETY: bert_last_error never returns NULL; the string stays valid until the next bertc call
    // on this thread, and is copied right away.
    unsafe { CStr::from_ptr(sys::bert_last_error()) }
        .to_string_lossy()
        .into_owned()
}

/// The warning the calling thread's last successful bertc call left, if any.
///
/// Some calls succeed with a warning (e.g. [`Model::load`](crate::Model::load) of a checkpoint
/// without an MLM head, [`Trainer::resume`](crate::Trainer::resume) with a different thread
/// count). The message is per OS thread and replaced by the next bertc call on that thread, so read
/// it right after the call.
pub fn last_warning() -> Option<String> {
    let message = last_message();
    (!message.is_empty()).then_some(message)
}
