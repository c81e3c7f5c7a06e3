//! Conversions between Rust data and the C ABI's pointers (internal).
use std::ffi::{c_char, CStr, CString};
use std::marker::PhantomData;
use std::path::Path;

use bertc_sys as sys;

use crate::error::{check, Error, Result, Status};
use std::ptr::{self, NonNull};

/// Runs a C call that returns a new handle through `*out`.
pub(crate) fn out_handle<T>(
    call: impl FnOnce(*mut *mut T) -> sys::bert_status,
) -> Result<NonNull<T>> {
    let mut out: *mut T = ptr::null_mut();
    check(call(&mut out))?;
    NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "bertc returned a NULL handle"))
}

/// [`out_handle`] for the constructors of long-lived objects: checks the library version first.
pub(crate) fn construct<T>(
    call: impl FnOnce(*mut *mut T) -> sys::bert_status,
) -> Result<NonNull<T>> {
    crate::check_version()?;
    out_handle(call)
}

/// A NUL-terminated copy of `s` (for the short names in params structs).
pub(crate) fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid_argument(format!("{what} contains a NUL byte")))
}

/// A NUL-terminated copy of a path (any bytes on Unix).
pub(crate) fn path_cstring(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes()
    };
    #[cfg(not(unix))]
    let bytes = path
        .to_str()
        .ok_or_else(|| {
            Error::invalid_argument(format!("path {} is not valid Unicode", path.display()))
        })?
        .as_bytes();
    CString::new(bytes).map_err(|_| {
        Error::invalid_argument(format!("path {} contains a NUL byte", path.display()))
    })
}

/// A path from a NUL-terminated C string.
pub(crate) fn path_from_cstr(s: &CStr) -> &Path {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Path::new(std::ffi::OsStr::from_bytes(s.to_bytes()))
    }
    #[cfg(not(unix))]
    {
        Path::new(s.to_str().unwrap_or(""))
    }
}

/// `ptr[..len]` as a slice; an empty slice for NULL or 0.
///
/// # Safety
/// When non-NULL, `ptr` must point to `len` initialised values that outlive `'a` unchanged.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

/// Copies a string the library handed over and releases it with `bert_string_free`.
///
/// # Safety
/// `ptr` must be NULL or a buffer from the library of at least `len` bytes.
pub(crate) unsafe fn take_string(ptr: *mut c_char, len: usize) -> String {
    let text = String::from_utf8_lossy(slice(ptr.cast::<u8>(), len)).into_owned();
    sys::bert_string_free(ptr);
    text
}

/// Like [`take_string`], keeping the bytes as they are.
///
/// # Safety
/// As [`take_string`].
pub(crate) unsafe fn take_bytes(ptr: *mut c_char, len: usize) -> Vec<u8> {
    let bytes = slice(ptr.cast::<u8>(), len).to_vec();
    sys::bert_string_free(ptr);
    bytes
}

/// A `char*` copied from the library (lossy for the impossible non-UTF-8 case); "" for NULL.
///
/// # Safety
/// `ptr` must be NULL or a valid NUL-terminated string.
pub(crate) unsafe fn string_from_ptr(ptr: *const c_char) -> String {
    if ptr.is_null() {
        String::new()
    } else {
        CStr::from_ptr(ptr).to_string_lossy().into_owned()
    }
}

/// Pointer + length arrays for a list of texts, borrowing them (no copy).
pub(crate) struct Texts<'a> {
    pub(crate) ptrs: Vec<*const c_char>,
    pub(crate) lens: Vec<usize>,
    _texts: PhantomData<&'a [u8]>,
}

impl<'a> Texts<'a> {
    pub(crate) fn new<S: AsRef<str> + 'a>(texts: &'a [S]) -> Texts<'a> {
        let mut ptrs = Vec::with_capacity(texts.len());
        let mut lens = Vec::with_capacity(texts.len());
        for t in texts {
            let t = t.as_ref();
            ptrs.push(t.as_ptr().cast::<c_char>());
            lens.push(t.len());
        }
        Texts {
            ptrs,
            lens,
            _texts: PhantomData,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ptrs.len()
    }
}

/// NUL-terminated copies of strings plus the `const char* const*` array pointing at them.
pub(crate) struct CStrings {
    _owned: Vec<CString>,
    pub(crate) ptrs: Vec<*const c_char>,
}

impl CStrings {
    pub(crate) fn from_strs<S: AsRef<str>>(items: &[S], what: &str) -> Result<CStrings> {
        let owned = items
            .iter()
            .map(|s| cstring(s.as_ref(), what))
            .collect::<Result<Vec<_>>>()?;
        Ok(CStrings::from_owned(owned))
    }

    pub(crate) fn from_paths<P: AsRef<Path>>(items: &[P]) -> Result<CStrings> {
        let owned = items
            .iter()
            .map(|p| path_cstring(p.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(CStrings::from_owned(owned))
    }

    fn from_owned(owned: Vec<CString>) -> CStrings {
        let ptrs = owned.iter().map(|c| c.as_ptr()).collect();
        CStrings {
            _owned: owned,
            ptrs,
        }
    }
}

/// An optional NUL-terminated string's pointer (NULL for `None`).
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// `Some(cstring)` for `Some(str)`.
pub(crate) fn opt_cstring(s: Option<&str>, what: &str) -> Result<Option<CString>> {
    s.map(|s| cstring(s, what)).transpose()
}

/// `Some(cstring)` for `Some(path)`.
pub(crate) fn opt_path_cstring(p: Option<&Path>) -> Result<Option<CString>> {
    p.map(path_cstring).transpose()
}

/// Rust `bool` to the ABI's `int` flag.
pub(crate) fn flag(b: bool) -> std::ffi::c_int {
    std::ffi::c_int::from(b)
}
