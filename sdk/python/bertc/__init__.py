"""Python bindings for bertc (ctypes over the C ABI of include/bertc.h; no compiled extension).

    import bertc
    tok = bertc.Tokenizer.train(["corpus.txt"], vocab_size=8000)
    model = bertc.Model.create(vocab_size=tok.vocab_size, hidden_size=128, num_hidden_layers=2,
                               num_attention_heads=2, intermediate_size=512)
    trainer = bertc.Trainer(model, tok, train=["corpus.txt"], output_dir="run", max_steps=100)
    trainer.train(progress=lambda e: print(e.current, e.loss))
    for p in model.fill_mask(tok, "It [MASK] a long time ago.")[0]:
        print(p.token_str, round(p.score, 3))

Fine-tuning (ABI 1.1): put a classifier head on a pre-trained model, train it on labelled JSON Lines,
classify or tag:

    labels = bertc.dataset_labels(["train.jsonl"], "sequence")         # the sorted label set
    clf = bertc.Model.for_task("run", task="sequence", labels=labels)   # warns: the head is new
    bertc.Trainer(clf, tok, train=["train.jsonl"], output_dir="clf", num_epochs=3).train()
    print(clf.classify(tok, "A new day in the city."))                  # Classification(label=..., ...)

The shared library is found through $BERTC_LIBRARY (a path to libbertc.so.1), else the linker path
(ldconfig, LD_LIBRARY_PATH), else pkg-config; `bertc.library_path()` says which file was loaded.
Every failing call raises a BertcError subclass carrying the C status and bertc's message (IOError-like
failures are also OSError, bad arguments also ValueError, ...). Objects own their C handles and release
them on close(), on leaving a `with` block, or when garbage-collected. A Tokenizer or Model may be used
from many threads at once (the C library is thread-safe for these calls; ctypes releases the GIL).
"""
from __future__ import annotations

import ctypes
import enum
import functools
import math
import os
import signal
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from . import _capi as C

__all__ = ["BertcError", "InvalidArgumentError", "BertcIOError", "FormatError", "InvalidUtf8Error",
           "BertcMemoryError", "CancelledError", "UnsupportedError", "InternalError", "LimitError", "Limits",
           "get_limits", "set_limits", "Encoding", "EncodingBatch",
           "Event", "Prediction", "Tokenizer", "Model", "ModelConfig", "Trainer", "StepResult", "EvalResult",
           "TrainerInfo", "version", "library_path", "BertcWarning", "Task", "Classification", "TaggedWord",
           "TagGroup", "TaggedText", "dataset_labels"]

PathLike = Union[str, "os.PathLike[str]"]
Text = Union[str, bytes]

try:  # numpy arrays where it pays (batch encode); plain lists without it
    if os.environ.get("BERTC_PYTHON_NUMPY", "1") == "0":
        raise ImportError
    import numpy as _np
except ImportError:  # pragma: no cover - depends on the environment
    _np = None

_INT32_MAX = 2**31 - 1


# ---- errors ---------------------------------------------------------------------------------------

class BertcError(Exception):
    """A bertc call failed. `status` is the C bert_status value, `status_name` its name, `message` bertc's text."""

    def __init__(self, status: int, status_name: str, message: str):
        super().__init__(f"{status_name}: {message}" if message else status_name)
        self.status = status
        self.status_name = status_name
        self.message = message


class InvalidArgumentError(BertcError, ValueError):
    """BERT_ERR_INVALID_ARGUMENT: a bad option or argument."""


class BertcIOError(BertcError, OSError):
    """BERT_ERR_IO: a file is missing, unreadable or unwritable."""


class FormatError(BertcError, ValueError):
    """BERT_ERR_FORMAT: corrupt or unexpected file content."""


class InvalidUtf8Error(BertcError, ValueError):
    """BERT_ERR_INVALID_UTF8: input text is not UTF-8 (the message gives the byte offset)."""


class BertcMemoryError(BertcError, MemoryError):
    """BERT_ERR_OUT_OF_MEMORY."""


class CancelledError(BertcError):
    """BERT_ERR_CANCELLED: a progress callback stopped the call."""


class UnsupportedError(BertcError):
    """BERT_ERR_UNSUPPORTED: valid request this library or file version cannot serve."""


class InternalError(BertcError):
    """BERT_ERR_INTERNAL: a bug in bertc."""


class LimitError(BertcError, ValueError):
    """BERT_ERR_LIMIT: the input exceeds a limit set with set_limits() (the message names it)."""


class BertcWarning(UserWarning):
    """A call succeeded with a warning from bertc, e.g. a model whose classifier head was newly
    initialised (Hugging Face's "You should probably TRAIN this model ..."). Filter it with
    warnings.simplefilter("ignore", bertc.BertcWarning)."""


_ERRORS = {1: InvalidArgumentError, 2: BertcIOError, 3: FormatError, 4: InvalidUtf8Error, 5: BertcMemoryError,
           6: CancelledError, 7: UnsupportedError, 8: InternalError, 9: LimitError}


def _error(status: int) -> BertcError:
    # The message belongs to this OS thread's last bertc call: read it right after the failing call.
    message = (C.last_error() or b"").decode("utf-8", "replace")
    return _ERRORS.get(status, BertcError)(status, C.status_str(status).decode(), message)


def _check(status: int) -> None:
    if status != 0:
        raise _error(status)


def _warn_from_library(stacklevel: int = 3) -> None:
    """Turns the warning a successful call left (bert_last_error) into a BertcWarning. Call it right
    after that call: the message belongs to this OS thread's last bertc call."""
    message = (C.last_error() or b"").decode("utf-8", "replace")
    if message:
        warnings.warn(message, BertcWarning, stacklevel=stacklevel)


def version() -> str:
    """The loaded library's version string, e.g. "1.0.0"."""
    return C.version().decode()


def build_info() -> dict:
    """How the loaded library was built and runs here (bert_build_info): version, abi, libtorch,
    compiler, blas {library, kernel, chosen_by, generic}, cpu {model, isa}, default_threads."""
    import json

    return json.loads(C.build_info().decode())


def library_path() -> str:
    """The libbertc file that was loaded."""
    return C.library_path


@dataclass
class Limits:
    """Process-wide limits on untrusted input (bert_set_limits); beyond one, a call raises LimitError."""

    max_text_bytes: int
    max_vocab_size: int
    max_token_bytes: int
    max_model_bytes: int


def get_limits() -> Limits:
    """The limits now in force."""
    lim = C.Limits()
    _check(C.limits_init(ctypes.byref(lim), ctypes.sizeof(C.Limits)))
    return Limits(lim.max_text_bytes, lim.max_vocab_size, lim.max_token_bytes, lim.max_model_bytes)


def set_limits(limits: Optional[Limits] = None, **changes) -> Limits:
    """Sets the limits for every later call in the process: `limits` (default: the current ones) with
    keyword changes, e.g. set_limits(max_text_bytes=1 << 20). Returns the limits now in force."""
    values = limits if limits is not None else get_limits()
    lim = C.Limits()
    _check(C.limits_init(ctypes.byref(lim), ctypes.sizeof(C.Limits)))
    for f in ("max_text_bytes", "max_vocab_size", "max_token_bytes", "max_model_bytes"):
        setattr(lim, f, _count(changes.pop(f, getattr(values, f)), f))
    if changes:
        raise TypeError(f"unknown limits: {sorted(changes)}")
    _check(C.set_limits(ctypes.byref(lim)))
    return get_limits()


# A library with an incompatible ABI (another major, or an older minor) fails the import.
# So does a library that cannot run in this process (another Torch loaded; see bertc.h).
if C.check_version(C.BINDINGS_VERSION) != 0:
    _why = C.last_error().decode()
    if "another Torch" in _why or "implementation" in _why:
        raise ImportError(f"bertc: {_why} (loaded {library_path()})")
    raise ImportError(f"bertc: {_why} (these bindings need libbertc "
                      f"{C.BINDINGS_VERSION // 10000}.{C.BINDINGS_VERSION // 100 % 100} or a later 1.x; loaded "
                      f"{library_path()}, version {version()})")

# A libbertc on the system's LibTorch: refuse a later `import torch` of another build (it would crash).
from . import _torch_guard  # noqa: E402

_torch_guard.install_if_needed()


# ---- helpers --------------------------------------------------------------------------------------

def _utf8(s: Text, what: str) -> bytes:
    if isinstance(s, bytes):
        return s
    if not isinstance(s, str):
        raise TypeError(f"{what} must be str or bytes, not {type(s).__name__}")
    return s.encode("utf-8", "surrogateescape")  # invalid UTF-8 reaches bertc, which reports it


def _name(s: str, what: str) -> bytes:
    """A NUL-terminated name-like string (special tokens, activation names, device)."""
    b = _utf8(s, what)
    if b"\0" in b:
        raise ValueError(f"{what} must not contain NUL characters")
    return b


def _texts(items: Sequence[Text], what: str):
    """(char*[] , size_t[]) of the texts as pointer + length (the arrays keep the bytes alive)."""
    encoded = [_utf8(t, what) for t in items]
    n = len(encoded)
    arr = (ctypes.c_char_p * n)(*encoded)
    lengths = (ctypes.c_size_t * n)(*[len(b) for b in encoded])
    return arr, lengths, n, encoded


def _names(items: Sequence[str], what: str):
    encoded = [_name(t, what) for t in items]
    return (ctypes.c_char_p * len(encoded))(*encoded), encoded


def _path(p: PathLike) -> bytes:
    return os.fsencode(p)


def _int32(v: int, what: str) -> int:
    v = int(v)
    if not -_INT32_MAX - 1 <= v <= _INT32_MAX:
        raise ValueError(f"{what} {v} is outside the int32 range")
    return v


def _count(v: int, what: str) -> int:
    v = int(v)
    if v < 0:
        raise ValueError(f"{what} must not be negative")
    return v


def _init(cls, init_fn):
    """The library's defaults for a params struct of the size these bindings declare."""
    p = cls()
    _check(init_fn(ctypes.byref(p), ctypes.sizeof(cls)))
    return p


def _array(ptr, n: int, kind: str):
    """A copy of n C values as a numpy array (or a list without numpy)."""
    if n == 0:
        return _np.zeros(0, dtype=kind) if _np is not None else []
    if _np is not None:
        return _np.ctypeslib.as_array(ptr, shape=(n,)).astype(kind, copy=True)
    return ptr[:n]


class _Handle:
    """Owns one C handle; close() is idempotent and thread-safe."""

    _free: Callable[[Any], None] = None  # type: ignore[assignment]

    def __init__(self, handle: ctypes.c_void_p):
        self._h = handle
        self._lock = threading.Lock()

    def close(self) -> None:
        """Releases the C handle now (idempotent); the object is unusable afterwards. Do not close an
        object while another thread is still using it."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            h, self._h = self._h, None
        if h:
            type(self)._free(h)

    def _handle(self) -> ctypes.c_void_p:
        h = self._h
        if not h:
            raise ValueError(f"{type(self).__name__} is closed")
        return h

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self.close()


# ---- progress -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    """A progress report (bert_event). kind: "tokenizer_count", "tokenizer_merge", "encode",
    "train_step", "eval" or "checkpoint"."""

    kind: str
    current: int
    total: int
    elapsed_seconds: float
    loss: float = 0.0
    learning_rate: float = 0.0
    grad_norm: float = 0.0
    tokens_per_second: float = 0.0
    eval_loss: float = 0.0
    eval_perplexity: float = 0.0
    eval_accuracy: float = 0.0
    epoch: float = 0.0
    path: Optional[str] = None
    message: Optional[str] = None
    eval_f1: float = 0.0  # eval of a classifier: macro-F1 (NaN for a masked LM)


_EVENT_KINDS = {1: "tokenizer_count", 2: "tokenizer_merge", 3: "encode", 4: "train_step", 5: "eval",
                6: "checkpoint"}

# A progress callable: return False to cancel; anything else (None, True) continues. An exception
# raised in it (Ctrl-C included) cancels the call and is re-raised from it.
ProgressFn = Callable[[Event], Optional[bool]]


class _Progress:
    """Wraps a Python callable as a bert_progress_fn; keeps what it raised for after the call."""

    def __init__(self, fn: Optional[ProgressFn]):
        self.fn = fn
        self.error: Optional[BaseException] = None
        self.c_fn = C.PROGRESS_FN(self._call) if fn is not None else C.PROGRESS_FN()

    def _call(self, _user, ev_ptr) -> int:
        try:
            ev = ev_ptr.contents
            e = Event(kind=_EVENT_KINDS.get(ev.kind, str(ev.kind)), current=ev.current, total=ev.total,
                      elapsed_seconds=ev.elapsed_seconds, loss=ev.loss, learning_rate=ev.learning_rate,
                      grad_norm=ev.grad_norm, tokens_per_second=ev.tokens_per_second, eval_loss=ev.eval_loss,
                      eval_perplexity=ev.eval_perplexity, eval_accuracy=ev.eval_accuracy, epoch=ev.epoch,
                      path=ev.path.decode("utf-8", "replace") if ev.path else None,
                      message=ev.message.decode("utf-8", "replace") if ev.message else None,
                      # appended in 1.1: present when the sender's struct reaches it
                      eval_f1=ev.eval_f1 if C.Event.eval_f1.offset < ev.struct_size else math.nan)
            return 1 if self.fn(e) is False else 0
        except BaseException as exc:  # noqa: B902 - never let anything unwind through C; Ctrl-C too
            self.error = exc
            return 1

    def check(self, status: int) -> None:
        """Raises what the callback raised, else the call's error."""
        if self.error is not None:
            err, self.error = self.error, None
            raise err
        _check(status)


# ---- tokenizer ------------------------------------------------------------------------------------

_TRUNCATION = {None: 0, False: 0, True: 1, "longest_first": 1, "only_first": 2, "only_second": 3}
_PADDING = {None: 0, False: 0, True: 1, "longest": 1, "max_length": 2}
_STRIP_ACCENTS = {None: 0, False: 1, True: 2}
_ALGORITHMS = {"hf": 0, "likelihood": 1}
_FILES = {"json": 0, "tokenizer.json": 0, "vocab": 1, "vocab.txt": 1, "config": 2, "tokenizer_config.json": 2}
_SPECIAL = {"pad": 0, "unk": 1, "cls": 2, "sep": 3, "mask": 4}


@functools.lru_cache(maxsize=64)
def _encode_params(add_special_tokens: bool, truncation, max_length: Optional[int], stride: int,
                   return_overflowing: bool, padding, pad_length: int, pad_to_multiple_of: int, padding_side: str,
                   split_special_tokens: bool, threads: int) -> C.EncodeParams:
    """Prepared, read-only encode params (cached: building them costs more than a short encode)."""
    p = _init(C.EncodeParams, C.encode_params_init)
    if truncation not in _TRUNCATION or padding not in _PADDING:
        raise ValueError(f"truncation must be one of {list(_TRUNCATION)}, padding one of {list(_PADDING)}")
    if padding_side not in ("right", "left"):
        raise ValueError("padding_side must be 'right' or 'left'")
    p.add_special_tokens = 1 if add_special_tokens else 0
    p.truncation = _TRUNCATION[truncation]
    p.padding = _PADDING[padding]
    if max_length is not None:
        if max_length <= 0:
            raise ValueError("max_length must be positive")
        p.max_length = max_length
        if truncation is None and padding in (None, False):
            p.truncation = _TRUNCATION["longest_first"]  # as HF: max_length implies truncation
    p.stride = _count(stride, "stride")
    p.return_overflowing = 1 if return_overflowing else 0
    p.pad_length = _count(pad_length, "pad_length")
    p.pad_to_multiple_of = _count(pad_to_multiple_of, "pad_to_multiple_of")
    p.padding_side = 1 if padding_side == "left" else 0
    p.split_special_tokens = 1 if split_special_tokens else 0
    p.threads = _count(threads, "threads")
    return p


class Encoding:
    """One encoded row (HF `tokenizers.Encoding` fields). Arrays are read from the C result on first
    use; offsets are byte ranges in the UTF-8 text."""

    __slots__ = ("_enc", "_row", "_tok", "_cache", "__weakref__")

    def __init__(self, enc: "_EncodingHandle", row: int, tok: "Tokenizer"):
        self._enc, self._row, self._tok, self._cache = enc, row, tok, {}

    def _get(self, key, fn, kind):
        v = self._cache.get(key)
        if v is None:
            h = self._enc.handle()
            n = C.encoding_length(h, self._row)
            v = fn(h, self._row)[:n] if kind is None else _array(fn(h, self._row), n, kind)
            self._cache[key] = v
        return v

    @property
    def ids(self) -> List[int]:
        return self._get("ids", C.encoding_ids, None)

    @property
    def type_ids(self) -> List[int]:
        return self._get("type_ids", C.encoding_type_ids, None)

    @property
    def attention_mask(self) -> List[int]:
        return self._get("attention_mask", C.encoding_attention_mask, None)

    @property
    def special_tokens_mask(self) -> List[int]:
        return self._get("special_tokens_mask", C.encoding_special_tokens_mask, None)

    @property
    def sequence_ids(self) -> List[Optional[int]]:
        """0 / 1 per token of the first / second text, None for added special tokens and padding (HF)."""
        raw = self._get("sequence_ids", C.encoding_sequence_ids, None)
        return [None if s < 0 else s for s in raw]

    @property
    def offsets(self) -> List[Tuple[int, int]]:
        v = self._cache.get("offsets")
        if v is None:
            h = self._enc.handle()
            n = C.encoding_length(h, self._row)
            o = C.encoding_offsets(h, self._row)
            v = [(o[i].start, o[i].end) for i in range(n)]
            self._cache["offsets"] = v
        return v

    @property
    def tokens(self) -> List[str]:
        v = self._cache.get("tokens")
        if v is None:
            v = [self._tok.id_to_token(i) for i in self.ids]
            self._cache["tokens"] = v
        return v

    @property
    def input_index(self) -> int:
        return C.encoding_input_index(self._enc.handle(), self._row)

    @property
    def overflowing(self) -> bool:
        return C.encoding_is_overflow(self._enc.handle(), self._row) != 0

    def __len__(self) -> int:
        return C.encoding_length(self._enc.handle(), self._row)

    def __repr__(self) -> str:
        return f"Encoding(ids={self.ids})"


class _EncodingHandle(_Handle):
    _free = staticmethod(C.encoding_free)

    def handle(self):
        return self._handle()


class EncodingBatch:
    """The rows of encode_batch, in input order (an input's overflow windows follow it). Index it for
    one Encoding; `ids`, `type_ids`, `attention_mask`, `special_tokens_mask` give all rows at once: a
    2-D numpy array when every row has the same length (padding) and numpy is importable, else a list
    of rows."""

    def __init__(self, enc: _EncodingHandle, tok: "Tokenizer"):
        self._enc, self._tok = enc, tok
        self._n = C.encoding_count(enc.handle())

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> Encoding:
        if not -self._n <= i < self._n:
            raise IndexError("row out of range")
        return Encoding(self._enc, i % self._n, self._tok)

    def __iter__(self) -> Iterator[Encoding]:
        return (Encoding(self._enc, i, self._tok) for i in range(self._n))

    def _all(self, fn):
        h = self._enc.handle()
        lengths = [C.encoding_length(h, r) for r in range(self._n)]
        if _np is not None and self._n > 0 and len(set(lengths)) == 1:
            return _np.stack([_array(fn(h, r), lengths[r], "int32") for r in range(self._n)])
        if _np is not None:
            return [_array(fn(h, r), lengths[r], "int32") for r in range(self._n)]
        return [fn(h, r)[:lengths[r]] for r in range(self._n)]

    @property
    def ids(self):
        return self._all(C.encoding_ids)

    @property
    def type_ids(self):
        return self._all(C.encoding_type_ids)

    @property
    def attention_mask(self):
        return self._all(C.encoding_attention_mask)

    @property
    def special_tokens_mask(self):
        return self._all(C.encoding_special_tokens_mask)


class Tokenizer(_Handle):
    """A BERT WordPiece tokenizer (HF `BertTokenizerFast` files: tokenizer.json or vocab.txt)."""

    _free = staticmethod(C.tokenizer_free)

    # -- creating --
    @classmethod
    def load(cls, path: PathLike) -> "Tokenizer":
        """Loads a tokenizer directory (tokenizer.json, or vocab.txt + tokenizer_config.json) or file."""
        h = ctypes.c_void_p()
        _check(C.tokenizer_load(_path(path), ctypes.byref(h)))
        return cls(h)

    @classmethod
    def from_memory(cls, data: bytes, config: Optional[bytes] = None) -> "Tokenizer":
        """From the content of a tokenizer.json or a vocab.txt (+ an optional tokenizer_config.json)."""
        data, config = bytes(data), None if config is None else bytes(config)
        h = ctypes.c_void_p()
        _check(C.tokenizer_load_from_memory(data, len(data), config, 0 if config is None else len(config),
                                            ctypes.byref(h)))
        return cls(h)

    @classmethod
    def train(cls, files: Union[PathLike, Sequence[PathLike]], **options) -> "Tokenizer":
        """Trains on text files (one sentence per line). Options: vocab_size, min_frequency,
        limit_alphabet, special_tokens, lowercase, strip_accents (None/True/False), clean_text,
        handle_chinese_chars, algorithm ("hf"/"likelihood"), threads, model_max_length, progress."""
        paths = [files] if isinstance(files, (str, bytes, os.PathLike)) else list(files)
        arr = (ctypes.c_char_p * len(paths))(*[_path(p) for p in paths])
        return cls._train(options, lambda p, out: C.tokenizer_train(arr, len(paths), p, out))

    @classmethod
    def train_from_lines(cls, lines: Sequence[Text], **options) -> "Tokenizer":
        """Trains on in-memory lines (str or bytes); options as train()."""
        arr, lengths, n, _keep = _texts(list(lines), "line")
        return cls._train(options, lambda p, out: C.tokenizer_train_from_lines(arr, lengths, n, p, out))

    @classmethod
    def _train(cls, options: dict, call) -> "Tokenizer":
        p = _init(C.TokenizerParams, C.tokenizer_params_init)
        keep = []
        progress = _Progress(options.pop("progress", None))
        for key in ("vocab_size", "min_frequency", "limit_alphabet", "threads", "model_max_length"):
            if key in options:
                setattr(p, key, _count(options.pop(key), key))
        for key in ("lowercase", "clean_text", "handle_chinese_chars"):
            if key in options:
                setattr(p, key, 1 if options.pop(key) else 0)
        if "strip_accents" in options:
            p.strip_accents = _STRIP_ACCENTS[options.pop("strip_accents")]
        if "algorithm" in options:
            p.algorithm = _ALGORITHMS[options.pop("algorithm")]
        if "special_tokens" in options:
            arr, enc = _names(options.pop("special_tokens"), "special token")
            keep += [arr, enc]
            p.special_tokens = ctypes.cast(arr, C.c_char_pp)
            p.num_special_tokens = len(enc)
        for role in ("unk_token", "cls_token", "sep_token", "pad_token", "mask_token", "initial_alphabet"):
            if role in options:
                b = _name(options.pop(role), role)
                keep.append(b)
                setattr(p, role, b)
        if options:
            raise TypeError(f"unknown tokenizer training options: {sorted(options)}")
        p.progress = progress.c_fn
        h = ctypes.c_void_p()
        progress.check(call(ctypes.byref(p), ctypes.byref(h)))
        return cls(h)

    # -- saving --
    def save(self, path: PathLike) -> None:
        """Writes vocab.txt, tokenizer.json, tokenizer_config.json, ... into a directory (or one file
        when `path` ends in .json / .txt), atomically."""
        _check(C.tokenizer_save(self._handle(), _path(path)))

    def to_memory(self, file: str = "json") -> bytes:
        """The content of tokenizer.json ("json"), vocab.txt ("vocab") or tokenizer_config.json ("config")."""
        out, n = ctypes.c_void_p(), ctypes.c_size_t()
        _check(C.tokenizer_save_to_memory(self._handle(), _FILES[file], ctypes.byref(out), ctypes.byref(n)))
        try:
            return ctypes.string_at(out, n.value)
        finally:
            C.string_free(out)

    # -- vocabulary --
    @property
    def vocab_size(self) -> int:
        return C.tokenizer_vocab_size(self._handle())

    def __len__(self) -> int:
        return self.vocab_size

    def token_to_id(self, token: Text) -> Optional[int]:
        """The id of an exact vocabulary entry, or None."""
        b = _utf8(token, "token")
        out = ctypes.c_int32(-1)
        _check(C.tokenizer_token_to_id(self._handle(), b, len(b), ctypes.byref(out)))
        return None if out.value < 0 else out.value

    def id_to_token(self, token_id: int) -> str:
        """The vocabulary entry of an id; InvalidArgumentError outside [0, vocab_size)."""
        out, n = ctypes.c_char_p(), ctypes.c_size_t()
        _check(C.tokenizer_id_to_token(self._handle(), _int32(token_id, "id"), ctypes.byref(out), ctypes.byref(n)))
        return ctypes.string_at(out, n.value).decode("utf-8")

    def special_token_id(self, role: str) -> Optional[int]:
        """The id of the "pad", "unk", "cls", "sep" or "mask" token, or None when the vocabulary lacks it."""
        out = ctypes.c_int32(-1)
        _check(C.tokenizer_special_token_id(self._handle(), _SPECIAL[role], ctypes.byref(out)))
        return None if out.value < 0 else out.value

    # -- encode / decode --
    def encode(self, text: Text, pair: Optional[Text] = None, *, add_special_tokens: bool = True,
               max_length: Optional[int] = None, truncation: Union[bool, str, None] = None,
               padding: Union[bool, str, None] = None, stride: int = 0, pad_length: int = 0,
               pad_to_multiple_of: int = 0, padding_side: str = "right", split_special_tokens: bool = False
               ) -> Encoding:
        """Encodes a text (or a pair) like HF's tokenizer(text, pair, ...); returns one Encoding
        (overflow windows are available from encode_batch with return_overflowing=True)."""
        p = _encode_params(add_special_tokens, truncation, max_length, stride, False, padding, pad_length,
                           pad_to_multiple_of, padding_side, split_special_tokens, 0)
        a = _utf8(text, "text")
        b = None if pair is None else _utf8(pair, "pair")
        enc = ctypes.c_void_p()
        _check(C.tokenizer_encode(self._handle(), a, len(a), b, 0 if b is None else len(b), ctypes.byref(p),
                                  ctypes.byref(enc)))
        return Encoding(_EncodingHandle(enc), 0, self)

    def encode_batch(self, texts: Sequence[Text], pairs: Optional[Sequence[Text]] = None, *,
                     add_special_tokens: bool = True, max_length: Optional[int] = None,
                     truncation: Union[bool, str, None] = None, padding: Union[bool, str, None] = None,
                     stride: int = 0, return_overflowing: bool = False, pad_length: int = 0,
                     pad_to_multiple_of: int = 0, padding_side: str = "right", split_special_tokens: bool = False,
                     threads: int = 0) -> EncodingBatch:
        """Encodes many texts at once on `threads` threads (0 = all cores); see EncodingBatch."""
        p = _encode_params(add_special_tokens, truncation, max_length, stride, return_overflowing, padding,
                           pad_length, pad_to_multiple_of, padding_side, split_special_tokens, int(threads))
        arr, lengths, n, _keep = _texts(list(texts), "text")
        parr = plengths = None
        if pairs is not None:
            if len(pairs) != n:
                raise ValueError("pairs must have as many entries as texts")
            parr, plengths, _, _pkeep = _texts(list(pairs), "pair")
        enc = ctypes.c_void_p()
        _check(C.tokenizer_encode_batch(self._handle(), arr, lengths, parr, plengths, n, ctypes.byref(p),
                                        ctypes.byref(enc)))
        return EncodingBatch(_EncodingHandle(enc), self)

    @staticmethod
    def _flags(skip_special_tokens: bool, clean_up_tokenization_spaces: bool) -> int:
        return (1 if skip_special_tokens else 0) | (0 if clean_up_tokenization_spaces else 2)

    def decode(self, ids: Sequence[int], *, skip_special_tokens: bool = False,
               clean_up_tokenization_spaces: bool = True) -> str:
        """Turns ids back into text (HF decode semantics)."""
        ids = list(ids)
        arr = (ctypes.c_int32 * len(ids))(*[_int32(i, "id") for i in ids])
        out, n = ctypes.c_void_p(), ctypes.c_size_t()
        _check(C.tokenizer_decode(self._handle(), arr, len(ids), self._flags(skip_special_tokens,
                                                                               clean_up_tokenization_spaces),
                                  ctypes.byref(out), ctypes.byref(n)))
        try:
            return ctypes.string_at(out, n.value).decode("utf-8")
        finally:
            C.string_free(out)

    def decode_batch(self, sequences: Sequence[Sequence[int]], *, skip_special_tokens: bool = False,
                     clean_up_tokenization_spaces: bool = True) -> List[str]:
        """decode() of each id sequence, in one call."""
        seqs = [(ctypes.c_int32 * len(s))(*[_int32(i, "id") for i in s]) for s in (list(x) for x in sequences)]
        n = len(seqs)
        ptrs = (C.c_int32_p * n)(*[ctypes.cast(s, C.c_int32_p) for s in seqs])
        lengths = (ctypes.c_size_t * n)(*[len(s) for s in seqs])
        outs = (ctypes.c_void_p * n)()
        out_lengths = (ctypes.c_size_t * n)()
        _check(C.tokenizer_decode_batch(self._handle(), ptrs, lengths, n,
                                        self._flags(skip_special_tokens, clean_up_tokenization_spaces), outs,
                                        out_lengths))
        try:
            return [ctypes.string_at(outs[i], out_lengths[i]).decode("utf-8") for i in range(n)]
        finally:
            for i in range(n):
                C.string_free(outs[i])


# ---- model ----------------------------------------------------------------------------------------

class Task(enum.IntEnum):
    """The head on the encoder (bert_task), as Hugging Face's architectures. Wherever a task is taken,
    a string works too: "masked_lm" / "fill-mask", "sequence" / "text-classification", "token" /
    "token-classification" (or the member names)."""

    MASKED_LM = 0                  # BertForMaskedLM: pre-training, fill-mask, scoring
    SEQUENCE_CLASSIFICATION = 1    # BertForSequenceClassification: one label per text
    TOKEN_CLASSIFICATION = 2       # BertForTokenClassification: one tag per word

    def __str__(self) -> str:
        return f"Task.{self.name}"


_TASK_NAMES = {"masked_lm": Task.MASKED_LM, "mlm": Task.MASKED_LM, "fill-mask": Task.MASKED_LM,
               "sequence": Task.SEQUENCE_CLASSIFICATION, "sequence_classification": Task.SEQUENCE_CLASSIFICATION,
               "text-classification": Task.SEQUENCE_CLASSIFICATION,
               "token": Task.TOKEN_CLASSIFICATION, "token_classification": Task.TOKEN_CLASSIFICATION,
               "token-classification": Task.TOKEN_CLASSIFICATION, "ner": Task.TOKEN_CLASSIFICATION}


def _task(v: Union[Task, str, int]) -> Task:
    if isinstance(v, str):
        t = _TASK_NAMES.get(v.lower())
        if t is None:
            raise ValueError(f"unknown task {v!r}: use one of {sorted(_TASK_NAMES)} or a bertc.Task")
        return t
    try:
        return Task(int(v))
    except ValueError:
        raise ValueError(f"unknown task {v!r}") from None


def _label_arrays(labels, what: str = "labels"):
    """(char*[], size_t[], n, keep) for a list of label names (pointer + byte length each)."""
    if isinstance(labels, (str, bytes)):
        raise TypeError(f"{what} must be a list of names, not one string")
    return _texts(list(labels), "label")


def _read_labels(ptr, lengths, n: int) -> List[str]:
    """The n label names of a bert_model_params (NUL-terminated, with byte lengths)."""
    if n == 0 or not ptr:
        return []
    raw = ctypes.cast(ptr, ctypes.POINTER(ctypes.c_void_p))
    return [ctypes.string_at(raw[i], lengths[i] if lengths else -1).decode("utf-8") for i in range(n)]


@dataclass
class ModelConfig:
    """BertConfig (the library's defaults: bert-base-uncased) plus the initialisation seed and the head:
    `task` (Task or "masked_lm" / "sequence" / "token"), the classifiers' `labels` (id i = labels[i];
    or only `num_labels` for LABEL_0, LABEL_1, ...) and `classifier_dropout` (None: hidden_dropout_prob)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    initializer_range: float = 0.02
    pad_token_id: int = 0
    position_embedding_type: str = "absolute"
    seed: int = 42
    task: Union[Task, str] = Task.MASKED_LM
    labels: List[str] = field(default_factory=list)
    num_labels: int = 0
    classifier_dropout: Optional[float] = None


# The BertConfig numbers and names of bert_model_params (the head's fields are handled on their own).
_MODEL_FIELDS = ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                 "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings",
                 "type_vocab_size", "layer_norm_eps", "initializer_range", "pad_token_id", "position_embedding_type",
                 "seed"]
_HEAD_FIELDS = ["task", "labels", "num_labels", "classifier_dropout"]


@dataclass(frozen=True)
class Prediction:
    """One fill-mask candidate (HF pipeline keys: score, token, token_str, sequence)."""

    score: float
    token: int
    token_str: str
    sequence: str
    token_ids: List[int]


@dataclass(frozen=True)
class Classification:
    """One text's class (HF pipeline("text-classification", top_k=None)): the most probable `label`
    (its name; `label_id` its id, the lowest on ties) with its probability `score`, the probability of
    every label by name in id order (`scores`), and the raw `logits` by id."""

    label: str
    score: float
    label_id: int
    scores: Dict[str, float]
    logits: List[float]

    def ranked(self) -> List[Tuple[str, float]]:
        """(label, probability) pairs, most probable first (HF's list of {"label", "score"})."""
        return sorted(self.scores.items(), key=lambda kv: -kv[1])


@dataclass(frozen=True)
class TaggedWord:
    """One word and its tag: the label of its first token (HF aggregation_strategy="first")."""

    word: str
    label: str       # the tag's name, with any B-/I- prefix
    score: float     # the tag's probability at the word's first token
    label_id: int
    start: int       # byte offsets in the text (tag_words: in the words joined by single spaces)
    end: int
    word_index: int  # tag: index among the text's words; tag_words: the input word


@dataclass(frozen=True)
class TagGroup:
    """Adjacent words with one tag (HF's entity: entity_group, score, word, start, end); "O" groups are
    left out."""

    label: str       # the tag without its B-/I- prefix (HF "entity_group")
    score: float     # mean of the words' scores
    text: str        # the text of bytes start..end (HF "word" decodes the tokens instead)
    start: int
    end: int
    first_word: int  # index of its first word in TaggedText.words
    num_words: int

    @property
    def entity_group(self) -> str:
        return self.label


@dataclass(frozen=True)
class TaggedText:
    """The tags of one text: every tagged word, and the groups (HF's token-classification output)."""

    words: List[TaggedWord]
    groups: List[TagGroup]


def _classify_params(batch_size: int, max_length: Optional[int], truncation: bool, threads: int):
    p = _init(C.ClassifyParams, C.classify_params_init)
    p.batch_size = _count(batch_size, "batch_size")
    p.max_length = 0 if max_length is None else _count(max_length, "max_length")
    p.truncation = 1 if truncation else 0
    p.threads = _count(threads, "threads")
    return p


def _read_tagging(res, t: int) -> TaggedText:
    words, groups = [], []
    for i in range(C.tag_result_num_words(res, t)):
        w = C.TaggedWord(struct_size=ctypes.sizeof(C.TaggedWord))
        _check(C.tag_result_get_word(res, t, i, ctypes.byref(w)))
        words.append(TaggedWord(word=w.word.decode("utf-8", "replace"), label=w.label_name.decode("utf-8"),
                                score=w.score, label_id=w.label, start=w.start, end=w.end, word_index=w.word_index))
    for i in range(C.tag_result_num_groups(res, t)):
        g = C.TagGroup(struct_size=ctypes.sizeof(C.TagGroup))
        _check(C.tag_result_get_group(res, t, i, ctypes.byref(g)))
        groups.append(TagGroup(label=g.label_name.decode("utf-8"), score=g.score,
                               text=g.text.decode("utf-8", "replace"), start=g.start, end=g.end,
                               first_word=g.first_word, num_words=g.num_words))
    return TaggedText(words, groups)


class Model(_Handle):
    """A BERT model with its head (HF config.json + model.safetensors): a BertForMaskedLM (fill_mask,
    score_text, pre-training) or, since ABI 1.1, a BertForSequenceClassification (classify) or
    BertForTokenClassification (tag, tag_words), fine-tuned with a Trainer. Inference is thread-safe.
    Loading may warn (BertcWarning), e.g. when a head was newly initialised."""

    _free = staticmethod(C.model_free)

    def __init__(self, handle: ctypes.c_void_p, keep: Any = None):
        super().__init__(handle)
        self._keep = keep  # a borrowed weights buffer, alive as long as the model
        self._trainers = 0

    @classmethod
    def create(cls, config: Optional[ModelConfig] = None, **overrides) -> "Model":
        """A randomly initialised model (HF init) of `config` (ModelConfig) with keyword overrides, e.g.
        Model.create(vocab_size=1000, hidden_size=32, ..., task="sequence", labels=["neg", "pos"])."""
        cfg = config if config is not None else ModelConfig()
        values = {f: getattr(cfg, f) for f in _MODEL_FIELDS + _HEAD_FIELDS}
        for k, v in overrides.items():
            if k not in values:
                raise TypeError(f"unknown model option {k!r}")
            values[k] = v
        head = {k: values.pop(k) for k in _HEAD_FIELDS}
        p = _init(C.ModelParams, C.model_params_init)
        for k, v in values.items():
            if k in ("hidden_act", "position_embedding_type"):
                setattr(p, k, _name(v, k))
            elif k == "pad_token_id":
                p.pad_token_id = _int32(v, k)
            elif isinstance(getattr(p, k), float):
                setattr(p, k, float(v))
            else:
                setattr(p, k, _count(v, k))
        p.task = _task(head["task"])
        labels = head["labels"] or []
        num_labels = _count(head["num_labels"] or 0, "num_labels")
        if labels:
            if num_labels and num_labels != len(labels):
                raise ValueError(f"num_labels {num_labels} differs from the {len(labels)} labels given")
            arr, lengths, p.num_labels, _keep = _label_arrays(labels)
            p.labels = ctypes.cast(arr, C.c_char_pp)
            p.label_lengths = ctypes.cast(lengths, C.c_size_p)
        else:
            p.num_labels = num_labels  # LABEL_0, LABEL_1, ...
        if head["classifier_dropout"] is not None:
            p.classifier_dropout = float(head["classifier_dropout"])
        h = ctypes.c_void_p()
        _check(C.model_create(ctypes.byref(p), ctypes.byref(h)))
        return cls(h)

    @classmethod
    def load(cls, directory: PathLike) -> "Model":
        """Loads config.json + model.safetensors written by bertc or HF save_pretrained (the head from
        "architectures"; a checkpoint lacking the head's weights loads with a new head and a BertcWarning)."""
        h = ctypes.c_void_p()
        _check(C.model_load(_path(directory), ctypes.byref(h)))
        _warn_from_library()
        return cls(h)

    @classmethod
    def for_task(cls, directory: PathLike, task: Union[Task, str] = Task.SEQUENCE_CLASSIFICATION,
                 labels: Optional[Sequence[str]] = None, *, classifier_dropout: Optional[float] = None,
                 hidden_dropout_prob: Optional[float] = None, attention_probs_dropout_prob: Optional[float] = None,
                 seed: int = 42) -> "Model":
        """Loads a checkpoint with the head `task` — transformers'
        AutoModelFor{Sequence,Token}Classification.from_pretrained(dir, id2label=...). A checkpoint that
        already has this head keeps it (`labels`, if given, must equal its label map); otherwise (a
        pre-trained masked LM, a BertModel, the other classifier) the encoder is kept and a new head
        for `labels` (required then) is initialised from `seed`, with HF's "newly initialized ... You
        should probably TRAIN this model" as a BertcWarning. `classifier_dropout` None: the
        checkpoint's (or hidden_dropout_prob). `hidden_dropout_prob` / `attention_probs_dropout_prob`
        (ABI 1.3) replace the checkpoint's encoder dropout while training, as from_pretrained's keyword
        arguments do (None: the checkpoint's; else in [0, 1)); useful on a model pre-trained without
        dropout. They are saved in config.json."""
        p = _init(C.TaskParams, C.task_params_init)
        p.task = _task(task)
        if labels is not None:
            arr, lengths, p.num_labels, _keep = _label_arrays(labels)
            if p.num_labels == 0:
                raise ValueError("labels must not be empty (None keeps the checkpoint's)")
            p.labels = ctypes.cast(arr, C.c_char_pp)
            p.label_lengths = ctypes.cast(lengths, C.c_size_p)
        if classifier_dropout is not None:
            p.classifier_dropout = float(classifier_dropout)
        if hidden_dropout_prob is not None:
            p.hidden_dropout_prob = float(hidden_dropout_prob)
        if attention_probs_dropout_prob is not None:
            p.attention_probs_dropout_prob = float(attention_probs_dropout_prob)
        p.seed = _count(seed, "seed")
        h = ctypes.c_void_p()
        _check(C.model_load_for_task(_path(directory), ctypes.byref(p), ctypes.byref(h)))
        _warn_from_library()
        return cls(h)

    @classmethod
    def from_memory(cls, config_json: bytes, weights: Union[bytes, bytearray, memoryview], *,
                    borrow: bool = False) -> "Model":
        """From config.json + model.safetensors content. With borrow=True, float32 weights are used in
        place (zero-copy; e.g. an mmap): the buffer is kept alive by the model and must not change."""
        config_json = bytes(config_json)
        if isinstance(weights, bytes):
            ptr, size, keep = ctypes.cast(ctypes.c_char_p(weights), ctypes.c_void_p), len(weights), weights
        else:
            view = memoryview(weights).cast("B")
            if view.readonly:
                keep = bytes(view)
                ptr = ctypes.cast(ctypes.c_char_p(keep), ctypes.c_void_p)
            else:
                keep = (ctypes.c_char * view.nbytes).from_buffer(view)
                ptr = ctypes.cast(keep, ctypes.c_void_p)
            size = view.nbytes
        h = ctypes.c_void_p()
        _check(C.model_load_from_memory(config_json, len(config_json), ptr, size, 1 if borrow else 0,
                                        ctypes.byref(h)))
        _warn_from_library()
        return cls(h, keep if borrow else None)

    def close(self) -> None:
        if getattr(self, "_trainers", 0) > 0:
            raise ValueError("close the Trainer(s) of this Model first")
        super().close()

    def __del__(self):
        # Collected together with a trainer that still borrows it (a reference cycle): the last
        # trainer to close frees the model.
        if getattr(self, "_trainers", 0) > 0:
            self._orphaned = True
            return
        super().__del__()

    def save(self, directory: PathLike) -> None:
        """Writes config.json + model.safetensors (atomically; HF from_pretrained reads them)."""
        _check(C.model_save(self._handle(), _path(directory)))

    @property
    def config(self) -> ModelConfig:
        p = _init(C.ModelParams, C.model_params_init)
        _check(C.model_config(self._handle(), ctypes.byref(p)))
        values = {f: getattr(p, f) for f in _MODEL_FIELDS}
        values["hidden_act"] = values["hidden_act"].decode()
        values["position_embedding_type"] = values["position_embedding_type"].decode()
        try:
            values["task"] = Task(p.task)
        except ValueError:  # a head a newer library knows
            values["task"] = p.task
        values["labels"] = _read_labels(p.labels, p.label_lengths, p.num_labels)
        values["num_labels"] = p.num_labels
        values["classifier_dropout"] = None if p.classifier_dropout < 0 else p.classifier_dropout
        return ModelConfig(**values)

    @property
    def task(self) -> Task:
        """The head: Task.MASKED_LM, Task.SEQUENCE_CLASSIFICATION or Task.TOKEN_CLASSIFICATION."""
        return Task(C.model_task(self._handle()))

    @property
    def labels(self) -> List[str]:
        """A classifier's label names by id (config.json id2label); [] for a masked LM."""
        h = self._handle()
        return [C.model_label(h, i).decode() for i in range(C.model_num_labels(h))]

    @property
    def num_parameters(self) -> int:
        out = ctypes.c_uint64()
        _check(C.model_num_parameters(self._handle(), ctypes.byref(out)))
        return out.value

    def fill_mask(self, tokenizer: Tokenizer, texts: Union[Text, Sequence[Text]], *, top_k: int = 5,
                  targets: Optional[Sequence[str]] = None, expand_targets: bool = False, threads: int = 0):
        """HF pipeline('fill-mask'): for one text, a list with one entry per [MASK], each a list of
        Predictions (best first); for a list of texts, a list of those (run as padded batches)."""
        single = isinstance(texts, (str, bytes))
        arr, lengths, n, _keep = _texts([texts] if single else list(texts), "text")
        p = _init(C.FillMaskParams, C.fill_mask_params_init)
        p.top_k = _count(top_k, "top_k")
        p.threads = _count(threads, "threads")
        p.expand_multi_piece_targets = 1 if expand_targets else 0
        if targets is not None:
            if isinstance(targets, (str, bytes)):
                targets = [targets]
            if not targets:
                raise ValueError("targets must not be empty")
            tarr, tlen, p.num_targets, _tkeep = _texts(list(targets), "target")
            p.targets = ctypes.cast(tarr, C.c_char_pp)
            p.target_lengths = ctypes.cast(tlen, C.c_size_p)
        res = ctypes.c_void_p()
        _check(C.fill_mask_batch(self._handle(), tokenizer._handle(), arr, lengths, n, ctypes.byref(p),
                                 ctypes.byref(res)))
        try:
            out = []
            for q in range(C.result_num_queries(res)):
                masks = []
                for m in range(C.result_num_masks(res, q)):
                    preds = []
                    for r in range(C.result_num_predictions(res, q, m)):
                        pr = C.Prediction(struct_size=ctypes.sizeof(C.Prediction))
                        _check(C.result_get(res, q, m, r, ctypes.byref(pr)))
                        preds.append(Prediction(score=pr.score, token=pr.token_id,
                                                token_str=pr.token.decode("utf-8"),
                                                sequence=pr.sequence.decode("utf-8"),
                                                token_ids=pr.token_ids[:pr.num_token_ids]))
                    masks.append(preds)
                out.append(masks)
            return out[0] if single else out
        finally:
            C.result_free(res)

    def score_text(self, tokenizer: Tokenizer, texts: Union[Text, Sequence[Text]], *, threads: int = 0):
        """Pseudo-log-likelihood (natural log, summed over the tokens; higher = more plausible) of a
        text, or of each text of a list, as (score, num_tokens) pairs: masks every token in turn."""
        single = isinstance(texts, (str, bytes))
        arr, lengths, n, _keep = _texts([texts] if single else list(texts), "text")
        p = _init(C.FillMaskParams, C.fill_mask_params_init)
        p.threads = _count(threads, "threads")
        scores = (ctypes.c_double * n)()
        counts = (ctypes.c_size_t * n)()
        _check(C.score_text(self._handle(), tokenizer._handle(), arr, lengths, n, ctypes.byref(p), scores, counts))
        out = [(scores[i], counts[i]) for i in range(n)]
        return out[0] if single else out

    def classify(self, tokenizer: Tokenizer, texts: Union[Text, Sequence[Text]], *, batch_size: int = 32,
                 max_length: Optional[int] = None, truncation: bool = False, threads: int = 0):
        """HF pipeline("text-classification", top_k=None) with a sequence classifier: a Classification for
        one text, a list of them for a list of texts (run as length-sorted padded batches of
        `batch_size`). A text longer than max_length tokens (None: the model's limit) is an error
        unless truncation=True."""
        single = isinstance(texts, (str, bytes))
        arr, lengths, n, _keep = _texts([texts] if single else list(texts), "text")
        p = _classify_params(batch_size, max_length, truncation, threads)
        res = ctypes.c_void_p()
        _check(C.classify(self._handle(), tokenizer._handle(), arr, lengths, n, ctypes.byref(p), ctypes.byref(res)))
        try:
            names = self.labels
            out = []
            for i in range(C.classify_result_num_texts(res)):
                c = C.Classification(struct_size=ctypes.sizeof(C.Classification))
                _check(C.classify_result_get(res, i, ctypes.byref(c)))
                k = c.num_labels
                out.append(Classification(label=c.label_name.decode("utf-8"), score=c.score, label_id=c.label,
                                          scores={names[j] if j < len(names) else str(j): c.scores[j]
                                                  for j in range(k)},
                                          logits=[c.logits[j] for j in range(k)]))
            return out[0] if single else out
        finally:
            C.classify_result_free(res)

    def tag(self, tokenizer: Tokenizer, texts: Union[Text, Sequence[Text]], *, batch_size: int = 32,
            max_length: Optional[int] = None, truncation: bool = False, threads: int = 0):
        """HF pipeline("token-classification", aggregation_strategy="first") with a token classifier: a
        TaggedText (its words and groups) for one text, a list of them for a list of texts. With
        truncation, the words beyond max_length are not tagged."""
        single = isinstance(texts, (str, bytes))
        arr, lengths, n, _keep = _texts([texts] if single else list(texts), "text")
        p = _classify_params(batch_size, max_length, truncation, threads)
        res = ctypes.c_void_p()
        _check(C.tag(self._handle(), tokenizer._handle(), arr, lengths, n, ctypes.byref(p), ctypes.byref(res)))
        try:
            out = [_read_tagging(res, t) for t in range(C.tag_result_num_texts(res))]
            return out[0] if single else out
        finally:
            C.tag_result_free(res)

    def tag_words(self, tokenizer: Tokenizer, words: Union[Sequence[Text], Sequence[Sequence[Text]]], *,
                  batch_size: int = 32, max_length: Optional[int] = None, truncation: bool = False,
                  threads: int = 0):
        """Like tag() for pre-split words (HF is_split_into_words, as in the training data): a list of
        words gives one TaggedText, a list of word lists a list of them ([] is an empty batch). Each
        word is tokenized on its own and tagged by its first piece; offsets refer to the words joined by
        single spaces; words that tokenize to nothing are not listed (see TaggedWord.word_index)."""
        items = list(words)
        single = bool(items) and all(isinstance(w, (str, bytes)) for w in items)
        if not single and any(isinstance(t, (str, bytes)) for t in items):
            raise TypeError("words must be a list of strings or a list of lists of strings")
        texts = [items] if single else [list(t) for t in items]
        if any(not isinstance(w, (str, bytes)) for t in texts for w in t):
            raise TypeError("words must be a list of strings or a list of lists of strings")
        flat = [w for t in texts for w in t]
        arr, lengths, _, _keep = _texts(flat, "word")
        counts = (ctypes.c_size_t * len(texts))(*[len(t) for t in texts])
        p = _classify_params(batch_size, max_length, truncation, threads)
        res = ctypes.c_void_p()
        _check(C.tag_words(self._handle(), tokenizer._handle(), arr, lengths, counts, len(texts), ctypes.byref(p),
                           ctypes.byref(res)))
        try:
            out = [_read_tagging(res, t) for t in range(C.tag_result_num_texts(res))]
            return out[0] if single else out
        finally:
            C.tag_result_free(res)


# ---- trainer --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StepResult:
    step: int
    total_steps: int
    loss: float
    learning_rate: float
    grad_norm: float
    epoch: float
    tokens: int
    masked_tokens: int


@dataclass(frozen=True)
class EvalResult:
    """loss: mean cross-entropy over masked tokens (classifiers: labels); perplexity: exp(loss), NaN for
    classifiers; accuracy; masked_tokens: predicted positions (classifiers: labels) scored; examples;
    f1: classifiers' macro-F1 over the labels that occur (scikit-learn average="macro"), NaN for MLM."""

    loss: float
    perplexity: float
    accuracy: float
    masked_tokens: int
    examples: int
    f1: float = math.nan


@dataclass(frozen=True)
class TrainerInfo:
    global_step: int
    total_steps: int
    epoch: float
    train_examples: int
    eval_examples: int
    train_tokens: int
    train_padding_share: float
    best_metric: float
    best_checkpoint: str
    cache_hit: bool
    rank: int = 0  # (1.2) this process's rank in a data-parallel run
    world_size: int = 1  # (1.2) processes training together


_GROUPING = {"truncate_pad": 0, "concat_chunk": 1, "dynamic": 2, "packed": 3}
_SCHEDULE = {"linear": 0, "constant": 1, "cosine": 2}
_TRAINER_FIELDS = {f for f, _ in C.TrainerParams._fields_} - {"struct_size"}
_FLAG_FIELDS = {"whole_word_mask", "at_least_one_mask", "masked_only_logits", "pad_to_max_length", "use_cache",
                "load_best_model_at_end", "save_final_model"}
_STRING_FIELDS = {"output_dir", "cache_dir", "device", "log_file", "metric_for_best_model", "master"}
_DATA_FIELDS = ("jsonl_field", "label_field", "words_field", "tags_field")
DataSpec = Union[PathLike, Sequence[PathLike], Sequence[Sequence[int]], None]
# In-memory labels: per sequence (sequence classification) or per token id (token classification; a
# list per sequence or one flat list; -100 = none); ids or label names of the model.
LabelSpec = Union[Sequence[Union[int, str]], Sequence[Sequence[Union[int, str]]], None]


def _is_scalar_label(v) -> bool:
    return isinstance(v, (int, str)) or (_np is not None and isinstance(v, _np.integer))


def _label_id(v, names: List[str]) -> int:
    """A label id from an id or a label name of the model (-100 passes: no label)."""
    if isinstance(v, str):
        try:
            return names.index(v)
        except ValueError:
            raise ValueError(f"unknown label {v!r}; the model's labels are {names}") from None
    return _int32(v, "label")


def _flat_labels(labels, task: Task, lengths: List[int], names: List[str], what: str) -> List[int]:
    """The label ids bertc reads for `task` and sequences of `lengths` tokens (checked: bertc reads
    exactly that many)."""
    if task == Task.MASKED_LM:
        raise ValueError(f"{what}: labels are for classifiers (a masked LM masks its data itself)")
    items = list(labels)
    if task == Task.SEQUENCE_CLASSIFICATION:
        if len(items) != len(lengths) or not all(_is_scalar_label(v) for v in items):
            raise ValueError(f"{what}: a sequence classifier takes one label per sequence ({len(lengths)}), "
                             f"got {len(items)}")
        return [_label_id(v, names) for v in items]
    if items and all(_is_scalar_label(v) for v in items):  # flat, one per token id
        if len(items) != sum(lengths):
            raise ValueError(f"{what}: a token classifier takes one label per token id ({sum(lengths)}), "
                             f"got {len(items)}")
        return [_label_id(v, names) for v in items]
    if len(items) != len(lengths):
        raise ValueError(f"{what}: one label list per sequence ({len(lengths)}), got {len(items)}")
    flat: List[int] = []
    for i, (row, n) in enumerate(zip(items, lengths)):
        row = list(row)
        if len(row) != n:
            raise ValueError(f"{what}: sequence {i} has {n} token ids but {len(row)} labels")
        flat.extend(_label_id(v, names) for v in row)
    return flat


class _Data:
    """A bert_trainer_data for files (paths) or in-memory id sequences (without [CLS]/[SEP]), with the
    JSONL field names and, in memory, a classifier's labels."""

    def __init__(self, spec: DataSpec, fields: dict, labels: LabelSpec = None, task: Task = Task.MASKED_LM,
                 names: Optional[List[str]] = None, what: str = "train"):
        self.struct = _init(C.TrainerData, C.trainer_data_init)
        self.keep: list = []
        for k in _DATA_FIELDS:
            if fields.get(k):
                b = _name(fields[k], k)
                self.keep.append(b)
                setattr(self.struct, k, b)
        if isinstance(spec, (str, bytes, os.PathLike)):
            spec = [spec]
        items = list(spec)
        if items and all(isinstance(x, (str, bytes, os.PathLike)) for x in items):
            if labels is not None:
                raise ValueError(f"{what}: files carry their own labels (label_field / tags_field); "
                                 "in-memory labels go with id sequences")
            arr = (ctypes.c_char_p * len(items))(*[_path(x) for x in items])
            self.keep.append(arr)
            self.struct.files = ctypes.cast(arr, C.c_char_pp)
            self.struct.num_files = len(items)
            return
        offsets = [0]
        flat: List[int] = []
        for seq in items:
            flat.extend(int(i) for i in seq)
            offsets.append(len(flat))
        ids = (ctypes.c_int32 * len(flat))(*[_int32(i, "token id") for i in flat])
        offs = (ctypes.c_size_t * len(offsets))(*offsets)
        self.keep += [ids, offs]
        self.struct.token_ids = ctypes.cast(ids, C.c_int32_p)
        self.struct.offsets = ctypes.cast(offs, C.c_size_p)
        self.struct.num_sequences = len(items)
        if labels is not None:
            lengths = [offsets[i + 1] - offsets[i] for i in range(len(items))]
            values = _flat_labels(labels, task, lengths, names or [], what)
            arr = (ctypes.c_int32 * len(values))(*values)
            self.keep.append(arr)
            self.struct.labels = ctypes.cast(arr, C.c_int32_p)
            self.struct.num_labels = len(values)


def dataset_labels(files: Union[PathLike, Sequence[PathLike]], task: Union[Task, str], *,
                   label_field: Optional[str] = None, words_field: Optional[str] = None,
                   tags_field: Optional[str] = None, jsonl_field: Optional[str] = None) -> List[str]:
    """The distinct labels of labelled JSONL files, sorted (as HF's run_glue / run_ner build their label
    lists): the `label_field` values ("label"; task "sequence") or every tag of `tags_field` ("tags";
    task "token"); integer labels as their decimal text. Give them to Model.for_task / Model.create."""
    data = _Data(files, {"label_field": label_field, "words_field": words_field, "tags_field": tags_field,
                         "jsonl_field": jsonl_field})
    if not data.struct.num_files:
        raise ValueError("dataset_labels reads labelled files; give at least one path")
    out, n = C.c_char_pp(), ctypes.c_size_t()
    _check(C.trainer_data_labels(ctypes.byref(data.struct), int(_task(task)), ctypes.byref(out), ctypes.byref(n)))
    try:
        return [out[i].decode("utf-8") for i in range(n.value)]
    finally:
        C.labels_free(out, n.value)


class Trainer(_Handle):
    """A training run on `model`, trained in place; what it does follows the model's task.
    A masked LM is pre-trained (HF DataCollatorForLanguageModeling + Trainer): `train` / `eval` are text
    files (one example per line; JSON Lines with jsonl_field) or lists of word-piece id sequences.
    A classifier (Model.for_task / Model.create(task=...)) is fine-tuned (HF DataCollatorWithPadding /
    DataCollatorForTokenClassification + Trainer) on JSON Lines: the text in jsonl_field ("text") and
    the label in label_field ("label") for sequence classification, the words in words_field ("words")
    and one tag per word in tags_field ("tags") for token classification; or on id sequences with
    train_labels / eval_labels (one per sequence, or one per token id with -100 for none; ids or label
    names). Evaluation then gives accuracy and macro-F1 (EvalResult.f1), and metric_for_best_model
    ("loss", "accuracy", "f1") picks the best checkpoint. Options are the fields of
    bert_trainer_params (output_dir, max_length, grouping ("dynamic", "packed", ...), mlm_probability,
    batch_size, learning_rate, max_steps, num_epochs, logging_steps, eval_steps, save_steps, schedule
    ("linear", ...), metric_for_best_model, seed, threads, ...). Data-parallel training (1.2): every
    process creates its Trainer with world_size, rank and master="host:port" (or leaves them to the
    environment torchrun / srun / `bertc launch` set: WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT), and
    dist_timeout_seconds; see the C header's "Data-parallel training". The model cannot be closed while
    the trainer exists. Not thread-safe."""

    _free = staticmethod(C.trainer_free)

    def __init__(self, model: Model, tokenizer: Tokenizer, train: DataSpec = None, eval: DataSpec = None, *,
                 jsonl_field: Optional[str] = None, label_field: Optional[str] = None,
                 words_field: Optional[str] = None, tags_field: Optional[str] = None,
                 train_labels: LabelSpec = None, eval_labels: LabelSpec = None, **options):
        p = _init(C.TrainerParams, C.trainer_params_init)
        keep = []
        for k, v in options.items():
            if k not in _TRAINER_FIELDS:
                raise TypeError(f"unknown trainer option {k!r}")
            if k in _STRING_FIELDS:
                if v is not None:
                    b = _path(v) if k in ("output_dir", "cache_dir", "log_file") else _name(v, k)
                    keep.append(b)
                    setattr(p, k, b)
            elif k == "grouping":
                p.grouping = _GROUPING[v]
            elif k == "schedule":
                p.schedule = _SCHEDULE[v]
            elif k in _FLAG_FIELDS:
                setattr(p, k, 1 if v else 0)
            elif isinstance(getattr(p, k), float):
                setattr(p, k, float(v))
            else:
                setattr(p, k, _count(v, k))
        fields = {"jsonl_field": jsonl_field, "label_field": label_field, "words_field": words_field,
                  "tags_field": tags_field}
        cfg = model.config
        task = cfg.task if isinstance(cfg.task, Task) else Task.MASKED_LM
        if train is None and train_labels is not None or eval is None and eval_labels is not None:
            raise ValueError("train_labels / eval_labels go with train / eval id sequences")
        tr = _Data(train, fields, train_labels, task, cfg.labels, "train") if train is not None else None
        ev = _Data(eval, fields, eval_labels, task, cfg.labels, "eval") if eval is not None else None
        h = ctypes.c_void_p()
        _check(C.trainer_create(model._handle(), tokenizer._handle(), None if tr is None else ctypes.byref(tr.struct),
                                None if ev is None else ctypes.byref(ev.struct), ctypes.byref(p), ctypes.byref(h)))
        super().__init__(h)
        self._model, self._tokenizer = model, tokenizer  # the C trainer borrows the model
        self._task, self._labels = task, cfg.labels
        model._trainers += 1

    def close(self) -> None:
        had = bool(getattr(self, "_h", None))
        super().close()
        model = getattr(self, "_model", None)
        if had and model is not None:
            model._trainers -= 1
            if model._trainers == 0 and getattr(model, "_orphaned", False):
                model.close()

    def step(self, progress: Optional[ProgressFn] = None) -> StepResult:
        """One optimizer step (grad_accum micro-batches), with logging/eval/checkpoints at their cadence."""
        r = C.StepResult(struct_size=ctypes.sizeof(C.StepResult))
        cb = _Progress(progress)
        cb.check(C.trainer_step(self._handle(), cb.c_fn, None, ctypes.byref(r)))
        return StepResult(r.step, r.total_steps, r.loss, r.learning_rate, r.grad_norm, r.epoch, r.tokens,
                          r.masked_tokens)

    def step_batch(self, input_ids, attention_mask=None, labels=None) -> StepResult:
        """One step on a caller batch: rows of ids with [CLS]/[SEP]/[PAD] (equal lengths). Masked LM:
        labels hold the target id at predicted positions and -100 elsewhere (None: the trainer masks
        the batch). Classifiers need labels: one per row (sequence classification) or rows of the
        shape of input_ids with -100 where none (token classification); ids or label names."""
        rows = [list(r) for r in input_ids]
        n_rows, n_cols = len(rows), len(rows[0]) if rows else 0
        if any(len(r) != n_cols for r in rows):
            raise ValueError("input_ids rows must have equal lengths")

        def flat(m, convert=lambda v: _int32(v, "value")):
            if m is None:
                return None
            m = [list(r) if not _is_scalar_label(r) else None for r in m]
            if len(m) != n_rows or any(r is None or len(r) != n_cols for r in m):
                raise ValueError("attention_mask / labels must have the shape of input_ids")
            vals = [convert(v) for r in m for v in r]
            return (ctypes.c_int32 * len(vals))(*vals)

        ids = flat(rows)
        if labels is None or self._task == Task.MASKED_LM:
            lab = flat(labels)
        elif self._task == Task.SEQUENCE_CLASSIFICATION:
            lab_list = list(labels)
            if len(lab_list) != n_rows or not all(_is_scalar_label(v) for v in lab_list):
                raise ValueError(f"a sequence classifier takes one label per row ({n_rows}), got {len(lab_list)}")
            lab = (ctypes.c_int32 * n_rows)(*[_label_id(v, self._labels) for v in lab_list])
        else:
            lab = flat(labels, lambda v: _label_id(v, self._labels))
        r = C.StepResult(struct_size=ctypes.sizeof(C.StepResult))
        _check(C.trainer_step_batch(self._handle(), ids, flat(attention_mask), lab, n_rows, n_cols,
                                    ctypes.byref(r)))
        return StepResult(r.step, r.total_steps, r.loss, r.learning_rate, r.grad_norm, r.epoch, r.tokens,
                          r.masked_tokens)

    def train(self, progress: Optional[ProgressFn] = None) -> None:
        """Trains to the end (max_steps or num_epochs), then saves the final model (save_final_model).
        Steps run one C call at a time, so Ctrl-C (KeyboardInterrupt) or an exception from `progress`
        stops after the current step and leaves the trainer usable: call train() again to continue.
        That holds while SIGINT has Python's default handler (from the main thread); a handler of the
        application's own, or a SIGINT the process ignores (a daemon, a job started with `&` or nohup),
        is left as it is."""
        # Ctrl-C sets a flag that the loop turns into KeyboardInterrupt after the step. Python's default
        # handler would raise it wherever the main thread happens to be, and one raised inside a
        # finalizer (__del__, a weakref callback) is printed and dropped: the loop would never stop.
        interrupted: List[int] = []
        previous = None
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
        try:
            while True:
                if interrupted:
                    raise KeyboardInterrupt
                info = self.info()
                if info.global_step >= info.total_steps:
                    break
                self.step(progress)
            cb = _Progress(progress)
            cb.check(C.trainer_train(self._handle(), cb.c_fn, None))  # only finishes: load best, final save
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        if interrupted:
            raise KeyboardInterrupt

    def evaluate(self) -> EvalResult:
        r = C.EvalResult(struct_size=ctypes.sizeof(C.EvalResult))
        _check(C.trainer_evaluate(self._handle(), ctypes.byref(r)))
        return EvalResult(r.loss, r.perplexity, r.accuracy, r.masked_tokens, r.examples, r.f1)

    def save_checkpoint(self) -> str:
        """Writes OUTPUT_DIR/checkpoint-STEP (atomically) and returns its path."""
        out = ctypes.c_char_p()
        _check(C.trainer_save_checkpoint(self._handle(), ctypes.byref(out)))
        return os.fsdecode(out.value)

    def resume(self, checkpoint: Optional[PathLike] = None) -> None:
        """Restores the state of a checkpoint directory (None: the newest one in output_dir)."""
        _check(C.trainer_resume(self._handle(), None if checkpoint is None else _path(checkpoint)))

    def info(self) -> TrainerInfo:
        i = C.TrainerInfo(struct_size=ctypes.sizeof(C.TrainerInfo))
        _check(C.trainer_get_info(self._handle(), ctypes.byref(i)))
        return TrainerInfo(i.global_step, i.total_steps, i.epoch, i.train_examples, i.eval_examples, i.train_tokens,
                           i.train_padding_share, i.best_metric, (i.best_checkpoint or b"").decode(), bool(i.cache_hit),
                           int(i.rank), int(i.world_size))
