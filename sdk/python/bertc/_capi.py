"""ctypes declarations of bertc.h (ABI 1): the library, its structs and its functions.

Struct layouts mirror include/bertc.h field by field; every params struct is initialised by the
library (bert_*_params_init with the size declared here), so the bindings work against any libbertc
of ABI 1 whose minor version is at least the one they were written for.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
from typing import List, Optional, Tuple

# The header version these bindings were written against (BERTC_VERSION_NUMBER of bertc.h): 1.1, for
# fine-tuning (tasks, classify/tag, labelled trainer data). Every struct below has its 1.1 size.
BINDINGS_VERSION = 10300

c_size_t = ctypes.c_size_t
c_int32_p = ctypes.POINTER(ctypes.c_int32)
c_size_p = ctypes.POINTER(ctypes.c_size_t)
c_char_pp = ctypes.POINTER(ctypes.c_char_p)
c_void_pp = ctypes.POINTER(ctypes.c_void_p)
c_double_p = ctypes.POINTER(ctypes.c_double)


class Event(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("kind", ctypes.c_int32), ("current", ctypes.c_uint64),
                ("total", ctypes.c_uint64), ("elapsed_seconds", ctypes.c_double), ("loss", ctypes.c_double),
                ("learning_rate", ctypes.c_double), ("grad_norm", ctypes.c_double),
                ("tokens_per_second", ctypes.c_double), ("eval_loss", ctypes.c_double),
                ("eval_perplexity", ctypes.c_double), ("eval_accuracy", ctypes.c_double),
                ("epoch", ctypes.c_double), ("path", ctypes.c_char_p), ("message", ctypes.c_char_p),
                ("eval_f1", ctypes.c_double)]  # (1.1); read only below the sender's struct_size


PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Event))


class TokenizerParams(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("vocab_size", c_size_t), ("min_frequency", ctypes.c_uint64),
                ("limit_alphabet", c_size_t), ("initial_alphabet", ctypes.c_char_p),
                ("special_tokens", c_char_pp), ("num_special_tokens", c_size_t), ("unk_token", ctypes.c_char_p),
                ("cls_token", ctypes.c_char_p), ("sep_token", ctypes.c_char_p), ("pad_token", ctypes.c_char_p),
                ("mask_token", ctypes.c_char_p), ("lowercase", ctypes.c_int), ("strip_accents", ctypes.c_int32),
                ("clean_text", ctypes.c_int), ("handle_chinese_chars", ctypes.c_int),
                ("algorithm", ctypes.c_int32), ("threads", c_size_t), ("model_max_length", c_size_t),
                ("progress", PROGRESS_FN), ("progress_user_data", ctypes.c_void_p)]


class EncodeParams(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("add_special_tokens", ctypes.c_int), ("truncation", ctypes.c_int32),
                ("max_length", c_size_t), ("stride", c_size_t), ("return_overflowing", ctypes.c_int),
                ("padding", ctypes.c_int32), ("pad_length", c_size_t), ("pad_to_multiple_of", c_size_t),
                ("padding_side", ctypes.c_int32), ("split_special_tokens", ctypes.c_int), ("threads", c_size_t)]


class Offset(ctypes.Structure):
    _fields_ = [("start", c_size_t), ("end", c_size_t)]


class ModelParams(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("vocab_size", c_size_t), ("hidden_size", c_size_t),
                ("num_hidden_layers", c_size_t), ("num_attention_heads", c_size_t),
                ("intermediate_size", c_size_t), ("hidden_act", ctypes.c_char_p),
                ("hidden_dropout_prob", ctypes.c_double), ("attention_probs_dropout_prob", ctypes.c_double),
                ("max_position_embeddings", c_size_t), ("type_vocab_size", c_size_t),
                ("layer_norm_eps", ctypes.c_double), ("initializer_range", ctypes.c_double),
                ("pad_token_id", ctypes.c_int32), ("position_embedding_type", ctypes.c_char_p),
                ("seed", ctypes.c_uint64),
                # (1.1)
                ("task", ctypes.c_int32), ("labels", c_char_pp), ("label_lengths", c_size_p),
                ("num_labels", c_size_t), ("classifier_dropout", ctypes.c_double)]


class TaskParams(ctypes.Structure):  # (1.1)
    _fields_ = [("struct_size", c_size_t), ("task", ctypes.c_int32), ("labels", c_char_pp),
                ("label_lengths", c_size_p), ("num_labels", c_size_t), ("classifier_dropout", ctypes.c_double),
                ("seed", ctypes.c_uint64),
                # (1.3)
                ("hidden_dropout_prob", ctypes.c_double), ("attention_probs_dropout_prob", ctypes.c_double)]


class FillMaskParams(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("top_k", c_size_t), ("targets", c_char_pp),
                ("target_lengths", c_size_p), ("num_targets", c_size_t),
                ("expand_multi_piece_targets", ctypes.c_int), ("threads", c_size_t)]


class Prediction(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("score", ctypes.c_double), ("token_id", ctypes.c_int32),
                ("token", ctypes.c_char_p), ("sequence", ctypes.c_char_p), ("token_ids", c_int32_p),
                ("num_token_ids", c_size_t)]


class ClassifyParams(ctypes.Structure):  # (1.1)
    _fields_ = [("struct_size", c_size_t), ("batch_size", c_size_t), ("max_length", c_size_t),
                ("truncation", ctypes.c_int), ("threads", c_size_t)]


class Classification(ctypes.Structure):  # (1.1)
    _fields_ = [("struct_size", c_size_t), ("label", c_size_t), ("label_name", ctypes.c_char_p),
                ("score", ctypes.c_double), ("scores", c_double_p), ("logits", c_double_p),
                ("num_labels", c_size_t)]


class TaggedWord(ctypes.Structure):  # (1.1)
    _fields_ = [("struct_size", c_size_t), ("start", c_size_t), ("end", c_size_t), ("word_index", c_size_t),
                ("label", c_size_t), ("label_name", ctypes.c_char_p), ("score", ctypes.c_double),
                ("word", ctypes.c_char_p)]


class TagGroup(ctypes.Structure):  # (1.1)
    _fields_ = [("struct_size", c_size_t), ("start", c_size_t), ("end", c_size_t), ("first_word", c_size_t),
                ("num_words", c_size_t), ("label_name", ctypes.c_char_p), ("score", ctypes.c_double),
                ("text", ctypes.c_char_p)]


class TrainerParams(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("output_dir", ctypes.c_char_p), ("max_length", c_size_t),
                ("grouping", ctypes.c_int32), ("mlm_probability", ctypes.c_double),
                ("whole_word_mask", ctypes.c_int), ("at_least_one_mask", ctypes.c_int),
                ("masked_only_logits", ctypes.c_int), ("pad_to_max_length", ctypes.c_int),
                ("eval_split", ctypes.c_double), ("cache_dir", ctypes.c_char_p), ("use_cache", ctypes.c_int),
                ("batch_size", c_size_t), ("eval_batch_size", c_size_t), ("grad_accum", c_size_t),
                ("learning_rate", ctypes.c_double), ("weight_decay", ctypes.c_double),
                ("adam_beta1", ctypes.c_double), ("adam_beta2", ctypes.c_double),
                ("adam_epsilon", ctypes.c_double), ("max_grad_norm", ctypes.c_double),
                ("schedule", ctypes.c_int32), ("warmup_steps", ctypes.c_uint64),
                ("warmup_ratio", ctypes.c_double), ("max_steps", ctypes.c_uint64),
                ("num_epochs", ctypes.c_double), ("logging_steps", ctypes.c_uint64),
                ("eval_steps", ctypes.c_uint64), ("save_steps", ctypes.c_uint64),
                ("save_total_limit", c_size_t), ("load_best_model_at_end", ctypes.c_int),
                ("save_final_model", ctypes.c_int), ("seed", ctypes.c_uint64), ("threads", c_size_t),
                ("device", ctypes.c_char_p), ("log_file", ctypes.c_char_p),
                ("metric_for_best_model", ctypes.c_char_p),  # (1.1)
                # (1.2) data parallelism
                ("world_size", c_size_t), ("rank", ctypes.c_int32), ("local_rank", ctypes.c_int32),
                ("local_world_size", ctypes.c_int32), ("master", ctypes.c_char_p),
                ("dist_timeout_seconds", ctypes.c_double)]


class TrainerData(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("files", c_char_pp), ("num_files", c_size_t),
                ("jsonl_field", ctypes.c_char_p), ("token_ids", c_int32_p), ("offsets", c_size_p),
                ("num_sequences", c_size_t),
                # (1.1)
                ("label_field", ctypes.c_char_p), ("words_field", ctypes.c_char_p),
                ("tags_field", ctypes.c_char_p), ("labels", c_int32_p), ("num_labels", c_size_t)]


class StepResult(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("step", ctypes.c_uint64), ("total_steps", ctypes.c_uint64),
                ("loss", ctypes.c_double), ("learning_rate", ctypes.c_double), ("grad_norm", ctypes.c_double),
                ("epoch", ctypes.c_double), ("tokens", ctypes.c_uint64), ("masked_tokens", ctypes.c_uint64)]


class EvalResult(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("loss", ctypes.c_double), ("perplexity", ctypes.c_double),
                ("accuracy", ctypes.c_double), ("masked_tokens", ctypes.c_uint64), ("examples", c_size_t),
                ("f1", ctypes.c_double)]  # (1.1)


class TrainerInfo(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("global_step", ctypes.c_uint64), ("total_steps", ctypes.c_uint64),
                ("epoch", ctypes.c_double), ("train_examples", c_size_t), ("eval_examples", c_size_t),
                ("train_tokens", ctypes.c_uint64), ("train_padding_share", ctypes.c_double),
                ("best_metric", ctypes.c_double), ("best_checkpoint", ctypes.c_char_p),
                ("cache_hit", ctypes.c_int),
                ("rank", ctypes.c_int32), ("world_size", ctypes.c_int32)]  # (1.2)


class Limits(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("max_text_bytes", ctypes.c_uint64), ("max_vocab_size", ctypes.c_uint64),
                ("max_token_bytes", ctypes.c_uint64), ("max_model_bytes", ctypes.c_uint64)]


# ---- finding the library --------------------------------------------------------------------------

def _pkg_config_libdir() -> Optional[str]:
    if shutil.which("pkg-config") is None:
        return None
    try:
        out = subprocess.run(["pkg-config", "--variable=libdir", "bertc"], capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = out.stdout.strip()
    return libdir if out.returncode == 0 and libdir else None


def _candidates() -> List[str]:
    """Where to look, in order: the linker path (ldconfig cache, LD_LIBRARY_PATH), then pkg-config."""
    names = []
    found = ctypes.util.find_library("bertc")
    if found:
        names.append(found)
    names.append("libbertc.so.1")
    libdir = _pkg_config_libdir()
    if libdir:
        names.append(os.path.join(libdir, "libbertc.so.1"))
    return names


def _real_path(lib: ctypes.CDLL, fallback: str) -> str:
    """The file the dynamic linker really opened (from /proc/self/maps), else the name used."""
    try:
        addr = ctypes.cast(lib.bert_version, ctypes.c_void_p).value or 0
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                parts = line.split()
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                if lo <= addr < hi and len(parts) >= 6:
                    return parts[5]
    except (OSError, ValueError, AttributeError):
        pass
    return fallback


def load_library() -> Tuple[ctypes.CDLL, str]:
    explicit = os.environ.get("BERTC_LIBRARY")
    if explicit:  # exactly this one: never fall back to another installed copy
        try:
            lib = ctypes.CDLL(explicit)
        except OSError as e:
            raise ImportError(f"cannot load BERTC_LIBRARY={explicit}: {e}") from e
        return lib, _real_path(lib, explicit)
    errors = []
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            errors.append(f"{name}: {e}")
            continue
        return lib, _real_path(lib, name)
    raise ImportError("cannot load libbertc.so.1 (install the libbertc1 package or `cmake --install` a build, "
                      "make it findable by the linker or pkg-config, or set BERTC_LIBRARY to its path): "
                      + "; ".join(errors))


lib, library_path = load_library()


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_vp, _sz, _cp, _st = ctypes.c_void_p, c_size_t, ctypes.c_char_p, ctypes.c_int32
P = ctypes.POINTER

status_str = _fn("bert_status_str", _cp, _st)
last_error = _fn("bert_last_error", _cp)
version = _fn("bert_version", _cp)
version_number = _fn("bert_version_number", ctypes.c_uint)
build_info = _fn("bert_build_info", _cp)
check_version = _fn("bert_check_version", _st, ctypes.c_uint)
string_free = _fn("bert_string_free", None, _vp)
limits_init = _fn("bert_limits_init", _st, P(Limits), _sz)
set_limits = _fn("bert_set_limits", _st, P(Limits))

tokenizer_params_init = _fn("bert_tokenizer_params_init", _st, P(TokenizerParams), _sz)
tokenizer_train = _fn("bert_tokenizer_train", _st, c_char_pp, _sz, P(TokenizerParams), c_void_pp)
tokenizer_train_from_lines = _fn("bert_tokenizer_train_from_lines", _st, c_char_pp, c_size_p, _sz,
                                 P(TokenizerParams), c_void_pp)
tokenizer_load = _fn("bert_tokenizer_load", _st, _cp, c_void_pp)
tokenizer_load_from_memory = _fn("bert_tokenizer_load_from_memory", _st, _cp, _sz, _cp, _sz, c_void_pp)
tokenizer_save = _fn("bert_tokenizer_save", _st, _vp, _cp)
tokenizer_save_to_memory = _fn("bert_tokenizer_save_to_memory", _st, _vp, _st, c_void_pp, c_size_p)
tokenizer_free = _fn("bert_tokenizer_free", None, _vp)
encode_params_init = _fn("bert_encode_params_init", _st, P(EncodeParams), _sz)
tokenizer_encode = _fn("bert_tokenizer_encode", _st, _vp, _cp, _sz, _cp, _sz, P(EncodeParams), c_void_pp)
tokenizer_encode_batch = _fn("bert_tokenizer_encode_batch", _st, _vp, c_char_pp, c_size_p, c_char_pp, c_size_p, _sz,
                             P(EncodeParams), c_void_pp)
encoding_count = _fn("bert_encoding_count", _sz, _vp)
encoding_length = _fn("bert_encoding_length", _sz, _vp, _sz)
encoding_ids = _fn("bert_encoding_ids", c_int32_p, _vp, _sz)
encoding_type_ids = _fn("bert_encoding_type_ids", c_int32_p, _vp, _sz)
encoding_attention_mask = _fn("bert_encoding_attention_mask", c_int32_p, _vp, _sz)
encoding_special_tokens_mask = _fn("bert_encoding_special_tokens_mask", c_int32_p, _vp, _sz)
encoding_offsets = _fn("bert_encoding_offsets", P(Offset), _vp, _sz)
encoding_sequence_ids = _fn("bert_encoding_sequence_ids", P(ctypes.c_int8), _vp, _sz)
encoding_input_index = _fn("bert_encoding_input_index", _sz, _vp, _sz)
encoding_is_overflow = _fn("bert_encoding_is_overflow", ctypes.c_int, _vp, _sz)
encoding_free = _fn("bert_encoding_free", None, _vp)
tokenizer_decode = _fn("bert_tokenizer_decode", _st, _vp, c_int32_p, _sz, ctypes.c_uint, c_void_pp, c_size_p)
tokenizer_decode_batch = _fn("bert_tokenizer_decode_batch", _st, _vp, P(c_int32_p), c_size_p, _sz, ctypes.c_uint,
                             c_void_pp, c_size_p)
tokenizer_token_to_id = _fn("bert_tokenizer_token_to_id", _st, _vp, _cp, _sz, c_int32_p)
tokenizer_id_to_token = _fn("bert_tokenizer_id_to_token", _st, _vp, ctypes.c_int32, P(_cp), c_size_p)
tokenizer_vocab_size = _fn("bert_tokenizer_vocab_size", _sz, _vp)
tokenizer_special_token_id = _fn("bert_tokenizer_special_token_id", _st, _vp, _st, c_int32_p)

model_params_init = _fn("bert_model_params_init", _st, P(ModelParams), _sz)
model_create = _fn("bert_model_create", _st, P(ModelParams), c_void_pp)
model_load = _fn("bert_model_load", _st, _cp, c_void_pp)
model_load_for_task = _fn("bert_model_load_for_task", _st, _cp, P(TaskParams), c_void_pp)  # (1.1)
task_params_init = _fn("bert_task_params_init", _st, P(TaskParams), _sz)  # (1.1)
model_load_from_memory = _fn("bert_model_load_from_memory", _st, _cp, _sz, _vp, _sz, ctypes.c_uint, c_void_pp)
model_save = _fn("bert_model_save", _st, _vp, _cp)
model_config = _fn("bert_model_config", _st, _vp, P(ModelParams))
model_num_parameters = _fn("bert_model_num_parameters", _st, _vp, P(ctypes.c_uint64))
model_free = _fn("bert_model_free", None, _vp)

fill_mask_params_init = _fn("bert_fill_mask_params_init", _st, P(FillMaskParams), _sz)
fill_mask_batch = _fn("bert_fill_mask_batch", _st, _vp, _vp, c_char_pp, c_size_p, _sz, P(FillMaskParams), c_void_pp)
result_num_queries = _fn("bert_fill_mask_result_num_queries", _sz, _vp)
result_num_masks = _fn("bert_fill_mask_result_num_masks", _sz, _vp, _sz)
result_num_predictions = _fn("bert_fill_mask_result_num_predictions", _sz, _vp, _sz, _sz)
result_get = _fn("bert_fill_mask_result_get", _st, _vp, _sz, _sz, _sz, P(Prediction))
result_free = _fn("bert_fill_mask_result_free", None, _vp)
score_text = _fn("bert_score_text", _st, _vp, _vp, c_char_pp, c_size_p, _sz, P(FillMaskParams),
                 P(ctypes.c_double), c_size_p)

# (1.1) classification
classify_params_init = _fn("bert_classify_params_init", _st, P(ClassifyParams), _sz)
classify = _fn("bert_classify", _st, _vp, _vp, c_char_pp, c_size_p, _sz, P(ClassifyParams), c_void_pp)
classify_result_num_texts = _fn("bert_classify_result_num_texts", _sz, _vp)
classify_result_get = _fn("bert_classify_result_get", _st, _vp, _sz, P(Classification))
classify_result_free = _fn("bert_classify_result_free", None, _vp)
tag = _fn("bert_tag", _st, _vp, _vp, c_char_pp, c_size_p, _sz, P(ClassifyParams), c_void_pp)
tag_words = _fn("bert_tag_words", _st, _vp, _vp, c_char_pp, c_size_p, c_size_p, _sz, P(ClassifyParams), c_void_pp)
tag_result_num_texts = _fn("bert_tag_result_num_texts", _sz, _vp)
tag_result_num_words = _fn("bert_tag_result_num_words", _sz, _vp, _sz)
tag_result_get_word = _fn("bert_tag_result_get_word", _st, _vp, _sz, _sz, P(TaggedWord))
tag_result_num_groups = _fn("bert_tag_result_num_groups", _sz, _vp, _sz)
tag_result_get_group = _fn("bert_tag_result_get_group", _st, _vp, _sz, _sz, P(TagGroup))
tag_result_free = _fn("bert_tag_result_free", None, _vp)

trainer_params_init = _fn("bert_trainer_params_init", _st, P(TrainerParams), _sz)
trainer_data_init = _fn("bert_trainer_data_init", _st, P(TrainerData), _sz)
trainer_data_labels = _fn("bert_trainer_data_labels", _st, P(TrainerData), _st, P(c_char_pp), c_size_p)  # (1.1)
labels_free = _fn("bert_labels_free", None, c_char_pp, _sz)  # (1.1)
model_task = _fn("bert_model_task", ctypes.c_int32, _vp)  # (1.1)
model_num_labels = _fn("bert_model_num_labels", _sz, _vp)  # (1.1)
model_label = _fn("bert_model_label", _cp, _vp, _sz)  # (1.1)
trainer_create = _fn("bert_trainer_create", _st, _vp, _vp, P(TrainerData), P(TrainerData), P(TrainerParams),
                     c_void_pp)
trainer_step = _fn("bert_trainer_step", _st, _vp, PROGRESS_FN, _vp, P(StepResult))
trainer_step_batch = _fn("bert_trainer_step_batch", _st, _vp, c_int32_p, c_int32_p, c_int32_p, _sz, _sz,
                         P(StepResult))
trainer_train = _fn("bert_trainer_train", _st, _vp, PROGRESS_FN, _vp)
trainer_evaluate = _fn("bert_trainer_evaluate", _st, _vp, P(EvalResult))
trainer_save_checkpoint = _fn("bert_trainer_save_checkpoint", _st, _vp, P(_cp))
trainer_resume = _fn("bert_trainer_resume", _st, _vp, _cp)
trainer_get_info = _fn("bert_trainer_get_info", _st, _vp, P(TrainerInfo))
trainer_free = _fn("bert_trainer_free", None, _vp)
