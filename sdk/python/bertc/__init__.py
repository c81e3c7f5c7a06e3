"""Python bindings for bertc (ctypes over the C ABI in include/bertc.h; no compiled extension).

    import bertc
    tok = bertc.Tokenizer.load("runs/demo/tokenizer")
    with bertc.Model.load("runs/demo/model") as model:
        for p in model.fill_mask(tok, "It [MASK] a long time ago.")[0]:
            print(p.token_str, round(p.score, 3))

The shared library is found through $BERTC_LIBRARY (a path to libbertc.so), then the system linker
path (libbertc.so.0 from the libbertc0 package or `cmake --install`). Every failing call raises
BertcError carrying the C status and bertc's message. Objects own their C handles and release them on
close(), on leaving a `with` block, or when garbage-collected. A Tokenizer or Model may be used from many
threads at once (the C library is thread-safe for these calls; ctypes releases the GIL during them).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from dataclasses import dataclass
from typing import List, Optional, Sequence, Union

__all__ = ["BertcError", "Encoding", "Prediction", "Tokenizer", "Model", "version", "library_path"]

_c_int32_p = ctypes.POINTER(ctypes.c_int32)


class BertcError(Exception):
    """A bertc call failed. `status` is the C bert_status value, `status_name` its name."""

    def __init__(self, status: int, status_name: str, message: str):
        super().__init__(f"{status_name}: {message}" if message else status_name)
        self.status = status
        self.status_name = status_name
        self.message = message


class _EncodeParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("add_special_tokens", ctypes.c_int),
                ("truncation", ctypes.c_int32), ("max_length", ctypes.c_size_t), ("stride", ctypes.c_size_t),
                ("return_overflowing", ctypes.c_int), ("padding", ctypes.c_int32),
                ("pad_length", ctypes.c_size_t), ("pad_to_multiple_of", ctypes.c_size_t),
                ("padding_side", ctypes.c_int32), ("split_special_tokens", ctypes.c_int),
                ("threads", ctypes.c_size_t)]


class _Offset(ctypes.Structure):
    _fields_ = [("start", ctypes.c_size_t), ("end", ctypes.c_size_t)]


class _FillMaskParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("top_k", ctypes.c_size_t),
                ("targets", ctypes.POINTER(ctypes.c_char_p)), ("target_lengths", ctypes.POINTER(ctypes.c_size_t)),
                ("num_targets", ctypes.c_size_t), ("expand_multi_piece_targets", ctypes.c_int),
                ("threads", ctypes.c_size_t)]


class _Prediction(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("score", ctypes.c_double), ("token_id", ctypes.c_int32),
                ("token", ctypes.c_char_p), ("sequence", ctypes.c_char_p), ("token_ids", _c_int32_p),
                ("num_token_ids", ctypes.c_size_t)]


_TRUNCATION = {None: 0, False: 0, True: 1, "longest_first": 1, "only_first": 2, "only_second": 3}
_PADDING = {None: 0, False: 0, "longest": 1, True: 1, "max_length": 2}


def _load_library() -> ctypes.CDLL:
    explicit = os.environ.get("BERTC_LIBRARY")
    if explicit:  # exactly this one: never fall back to another installed copy
        try:
            return ctypes.CDLL(explicit)
        except OSError as e:
            raise ImportError(f"cannot load BERTC_LIBRARY={explicit}: {e}") from e
    candidates = []
    found = ctypes.util.find_library("bertc")
    candidates += [c for c in (found, "libbertc.so.1", "libbertc.so") if c]
    errors = []
    for name in candidates:
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            errors.append(f"{name}: {e}")
    raise ImportError("cannot load libbertc (set BERTC_LIBRARY to its path): " + "; ".join(errors))


_lib = _load_library()


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_vp, _sz, _cp = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p
_status_str = _fn("bert_status_str", _cp, ctypes.c_int32)
_last_error = _fn("bert_last_error", _cp)
_version = _fn("bert_version", _cp)
_check_version = _fn("bert_check_version", ctypes.c_int, ctypes.c_uint)
_tok_load = _fn("bert_tokenizer_load", ctypes.c_int, _cp, ctypes.POINTER(_vp))
_tok_save = _fn("bert_tokenizer_save", ctypes.c_int, _vp, _cp)
_tok_free = _fn("bert_tokenizer_free", None, _vp)
_encode_init = _fn("bert_encode_params_init", ctypes.c_int32, ctypes.POINTER(_EncodeParams), _sz)
_encode = _fn("bert_tokenizer_encode", ctypes.c_int, _vp, _cp, _sz, _cp, _sz, ctypes.POINTER(_EncodeParams),
              ctypes.POINTER(_vp))
_enc_count = _fn("bert_encoding_count", _sz, _vp)
_enc_len = _fn("bert_encoding_length", _sz, _vp, _sz)
_enc_ids = _fn("bert_encoding_ids", _c_int32_p, _vp, _sz)
_enc_types = _fn("bert_encoding_type_ids", _c_int32_p, _vp, _sz)
_enc_attn = _fn("bert_encoding_attention_mask", _c_int32_p, _vp, _sz)
_enc_special = _fn("bert_encoding_special_tokens_mask", _c_int32_p, _vp, _sz)
_enc_offsets = _fn("bert_encoding_offsets", ctypes.POINTER(_Offset), _vp, _sz)
_enc_free = _fn("bert_encoding_free", None, _vp)
_decode = _fn("bert_tokenizer_decode", ctypes.c_int, _vp, _c_int32_p, _sz, ctypes.c_uint, ctypes.POINTER(_vp),
              ctypes.POINTER(_sz))
_string_free = _fn("bert_string_free", None, _vp)
_token_to_id = _fn("bert_tokenizer_token_to_id", ctypes.c_int, _vp, _cp, _sz, _c_int32_p)
_id_to_token = _fn("bert_tokenizer_id_to_token", ctypes.c_int, _vp, ctypes.c_int32, ctypes.POINTER(_cp),
                   ctypes.POINTER(_sz))
_vocab_size = _fn("bert_tokenizer_vocab_size", _sz, _vp)
_model_load = _fn("bert_model_load", ctypes.c_int, _cp, ctypes.POINTER(_vp))
_model_save = _fn("bert_model_save", ctypes.c_int, _vp, _cp)
_model_params = _fn("bert_model_num_parameters", ctypes.c_int, _vp, ctypes.POINTER(ctypes.c_uint64))
_model_free = _fn("bert_model_free", None, _vp)
_fm_init = _fn("bert_fill_mask_params_init", ctypes.c_int32, ctypes.POINTER(_FillMaskParams), _sz)
_fill_mask_batch = _fn("bert_fill_mask_batch", ctypes.c_int, _vp, _vp, ctypes.POINTER(_cp), ctypes.POINTER(_sz), _sz,
                       ctypes.POINTER(_FillMaskParams), ctypes.POINTER(_vp))
_res_queries = _fn("bert_fill_mask_result_num_queries", _sz, _vp)
_res_masks = _fn("bert_fill_mask_result_num_masks", _sz, _vp, _sz)
_res_preds = _fn("bert_fill_mask_result_num_predictions", _sz, _vp, _sz, _sz)
_res_get = _fn("bert_fill_mask_result_get", ctypes.c_int, _vp, _sz, _sz, _sz, ctypes.POINTER(_Prediction))
_res_free = _fn("bert_fill_mask_result_free", None, _vp)
_score_text = _fn("bert_score_text", ctypes.c_int, _vp, _vp, ctypes.POINTER(_cp), ctypes.POINTER(_sz), _sz,
                  ctypes.POINTER(_FillMaskParams), ctypes.POINTER(ctypes.c_double), ctypes.POINTER(_sz))


# The version these bindings were written against (BERTC_VERSION_NUMBER of include/bertc.h).
_BINDINGS_VERSION = 10000
_INT32_MAX = 2**31 - 1


def _check(status: int) -> None:
    if status != 0:
        raise BertcError(status, _status_str(status).decode(), (_last_error() or b"").decode("utf-8", "replace"))


def _utf8(s: Union[str, bytes], what: str) -> bytes:
    if isinstance(s, bytes):
        return s
    if not isinstance(s, str):
        raise TypeError(f"{what} must be str or bytes, not {type(s).__name__}")
    return s.encode("utf-8", "surrogateescape")  # invalid UTF-8 reaches bertc, which reports it


def _c_string(s: Union[str, bytes], what: str) -> bytes:
    b = _utf8(s, what)
    if b"\0" in b:
        raise ValueError(f"{what} must not contain NUL characters")
    return b


def _int32(v: int, what: str) -> int:
    v = int(v)
    if not -_INT32_MAX - 1 <= v <= _INT32_MAX:
        raise ValueError(f"{what} {v} is outside the int32 range")
    return v


def _c_strings(items: Sequence[Union[str, bytes]], what: str):
    """A ctypes char*[] of the items (it keeps the bytes alive) and its length."""
    encoded = [_c_string(t, what) for t in items]
    return (_cp * len(encoded))(*encoded), len(encoded)


def _path(p: Union[str, os.PathLike]) -> bytes:
    return os.fsencode(p)


def version() -> str:
    """The loaded library's version string, e.g. "0.1.0"."""
    return _version().decode()


def library_path() -> str:
    """Name or path the loaded libbertc was opened by."""
    return _lib._name


_check(_check_version(_BINDINGS_VERSION))  # a library with an incompatible ABI fails the import


def _params(cls, init):
    """The library's defaults for a params struct of the size these bindings know (bertc.h growth rule)."""
    p = cls()
    _check(init(ctypes.byref(p), ctypes.sizeof(cls)))
    return p


class _Handle:
    _free = None

    def __init__(self, handle: ctypes.c_void_p):
        self._h = handle
        self._lock = threading.Lock()

    def close(self) -> None:
        """Releases the C handle now (idempotent, thread-safe); the object is unusable afterwards.
        Do not close an object while another thread is still using it."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            h, self._h = self._h, None
        if h:
            type(self)._free(h)

    def _handle(self) -> ctypes.c_void_p:
        if not self._h:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._h

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self.close()


@dataclass(frozen=True)
class Encoding:
    """One encoded text (HF `tokenizers.Encoding` fields). offsets are byte ranges in the UTF-8 text."""

    ids: List[int]
    tokens: List[str]
    type_ids: List[int]
    attention_mask: List[int]
    special_tokens_mask: List[int]
    offsets: List[tuple]


@dataclass(frozen=True)
class Prediction:
    """One fill-mask candidate (HF pipeline keys: score, token, token_str, sequence)."""

    score: float
    token: int
    token_str: str
    sequence: str
    token_ids: List[int]


class Tokenizer(_Handle):
    """A BERT WordPiece tokenizer (HF `BertTokenizerFast` files: tokenizer.json or vocab.txt)."""

    _free = staticmethod(_tok_free)

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> "Tokenizer":
        """Loads a tokenizer directory (tokenizer.json or vocab.txt + tokenizer_config.json) or file."""
        h = _vp()
        _check(_tok_load(_path(path), ctypes.byref(h)))
        return cls(h)

    def save(self, directory: Union[str, os.PathLike]) -> None:
        """Writes vocab.txt, tokenizer.json and tokenizer_config.json into `directory`."""
        _check(_tok_save(self._handle(), _path(directory)))

    @property
    def vocab_size(self) -> int:
        return _vocab_size(self._handle())

    def __len__(self) -> int:
        return self.vocab_size

    def token_to_id(self, token: str) -> Optional[int]:
        """The id of an exact vocabulary entry, or None."""
        out = ctypes.c_int32(-1)
        b = _utf8(token, "token")
        _check(_token_to_id(self._handle(), b, len(b), ctypes.byref(out)))
        return None if out.value < 0 else out.value

    def id_to_token(self, token_id: int) -> str:
        """The vocabulary entry of an id; BertcError (invalid argument) outside [0, vocab_size)."""
        out = _cp()
        _check(_id_to_token(self._handle(), _int32(token_id, "id"), ctypes.byref(out), None))
        return out.value.decode("utf-8")

    def encode(self, text: Union[str, bytes], pair: Union[str, bytes, None] = None, *,
               add_special_tokens: bool = True, max_length: Optional[int] = None,
               truncation: Union[bool, str, None] = None, padding: Union[bool, str, None] = None,
               split_special_tokens: bool = False) -> Encoding:
        """Encodes a text (or a pair) like HF's tokenizer(text, pair, ...); returns one Encoding."""
        p = _params(_EncodeParams, _encode_init)
        p.add_special_tokens = 1 if add_special_tokens else 0
        if truncation not in _TRUNCATION or padding not in _PADDING:
            raise ValueError(f"truncation must be one of {list(_TRUNCATION)}, padding one of {list(_PADDING)}")
        p.truncation = _TRUNCATION[truncation]
        p.padding = _PADDING[padding]
        if max_length is not None:
            if max_length <= 0:
                raise ValueError("max_length must be positive")
            p.max_length = max_length
            if truncation is None and padding in (None, False):
                p.truncation = _TRUNCATION["longest_first"]  # as HF: max_length implies truncation
        p.split_special_tokens = 1 if split_special_tokens else 0
        a = _utf8(text, "text")
        b = None if pair is None else _utf8(pair, "pair")
        enc = _vp()
        _check(_encode(self._handle(), a, len(a), b, 0 if b is None else len(b), ctypes.byref(p), ctypes.byref(enc)))
        try:
            n = _enc_len(enc, 0)
            ids = _enc_ids(enc, 0)[:n]
            offsets = _enc_offsets(enc, 0)
            return Encoding(ids=ids, tokens=[self.id_to_token(i) for i in ids],
                            type_ids=_enc_types(enc, 0)[:n], attention_mask=_enc_attn(enc, 0)[:n],
                            special_tokens_mask=_enc_special(enc, 0)[:n],
                            offsets=[(offsets[i].start, offsets[i].end) for i in range(n)])
        finally:
            _enc_free(enc)

    def decode(self, ids: Sequence[int], *, skip_special_tokens: bool = False,
               clean_up_tokenization_spaces: bool = True) -> str:
        """Turns ids back into text (HF decode semantics)."""
        arr = (ctypes.c_int32 * len(ids))(*[_int32(i, "id") for i in ids])
        flags = (1 if skip_special_tokens else 0) | (0 if clean_up_tokenization_spaces else 2)
        out, n = _vp(), _sz()
        _check(_decode(self._handle(), arr, len(ids), flags, ctypes.byref(out), ctypes.byref(n)))
        try:
            return ctypes.string_at(out, n.value).decode("utf-8")
        finally:
            _string_free(out)


class Model(_Handle):
    """A BertForMaskedLM (HF config.json + model.safetensors)."""

    _free = staticmethod(_model_free)

    @classmethod
    def load(cls, directory: Union[str, os.PathLike]) -> "Model":
        """Loads config.json + model.safetensors written by bertc or HF save_pretrained."""
        h = _vp()
        _check(_model_load(_path(directory), ctypes.byref(h)))
        return cls(h)

    def save(self, directory: Union[str, os.PathLike]) -> None:
        """Writes config.json + model.safetensors (atomically; HF from_pretrained reads them)."""
        _check(_model_save(self._handle(), _path(directory)))

    @property
    def num_parameters(self) -> int:
        out = ctypes.c_uint64()
        _check(_model_params(self._handle(), ctypes.byref(out)))
        return out.value

    def fill_mask(self, tokenizer: Tokenizer, texts: Union[str, Sequence[str]], *, top_k: int = 5,
                  targets: Optional[Sequence[str]] = None, expand_targets: bool = False,
                  threads: int = 0):
        """HF pipeline('fill-mask'): for one text, a list with one entry per [MASK], each a list of
        Predictions (best first); for a list of texts, a list of those (run as padded batches)."""
        single = isinstance(texts, (str, bytes))
        arr, n = _c_strings([texts] if single else list(texts), "text")
        p = _params(_FillMaskParams, _fm_init)
        if int(top_k) < 0:
            raise ValueError("top_k must be positive")
        p.top_k = int(top_k)
        p.threads = int(threads)
        p.expand_multi_piece_targets = 1 if expand_targets else 0
        if targets is not None:
            if isinstance(targets, (str, bytes)):
                targets = [targets]
            if not targets:
                raise ValueError("targets must not be empty")
            tarr, p.num_targets = _c_strings(targets, "target")
            p.targets = ctypes.cast(tarr, ctypes.POINTER(_cp))
        res = _vp()
        _check(_fill_mask_batch(self._handle(), tokenizer._handle(), arr, None, n, ctypes.byref(p),
                                ctypes.byref(res)))
        try:
            out = []
            for q in range(_res_queries(res)):
                masks = []
                for m in range(_res_masks(res, q)):
                    preds = []
                    for r in range(_res_preds(res, q, m)):
                        pr = _Prediction(struct_size=ctypes.sizeof(_Prediction))
                        _check(_res_get(res, q, m, r, ctypes.byref(pr)))
                        preds.append(Prediction(score=pr.score, token=pr.token_id,
                                                token_str=pr.token.decode("utf-8"),
                                                sequence=pr.sequence.decode("utf-8"),
                                                token_ids=pr.token_ids[:pr.num_token_ids]))
                    masks.append(preds)
                out.append(masks)
            return out[0] if single else out
        finally:
            _res_free(res)

    def score_text(self, tokenizer: Tokenizer, texts: Union[str, Sequence[str]], *, threads: int = 0):
        """Pseudo-log-likelihood (natural log, summed over the tokens; higher = more plausible) of a text,
        or of each text of a list, as (score, num_tokens) pairs: masks every token in turn."""
        single = isinstance(texts, (str, bytes))
        arr, n = _c_strings([texts] if single else list(texts), "text")
        p = _params(_FillMaskParams, _fm_init)
        p.threads = int(threads)
        scores = (ctypes.c_double * n)()
        counts = (_sz * n)()
        _check(_score_text(self._handle(), tokenizer._handle(), arr, None, n, ctypes.byref(p), scores, counts))
        out = [(scores[i], counts[i]) for i in range(n)]
        return out[0] if single else out
