/*
 * bertc — BERT WordPiece tokenizer, masked-language-model pre-training and fill-mask, behind one C ABI.
 *
 * This header is the whole public surface (C11; usable from C++ too). Conventions that hold for
 * every function below unless its comment says otherwise:
 *
 *  - Errors. Every fallible call returns a bert_status; BERT_OK (0) means success. Results go to
 *    out-parameters, which are left untouched on failure. bert_last_error() gives the calling
 *    thread's message for its most recent bert_* call. No C++ exception, abort() or exit() ever
 *    crosses this boundary; out-of-memory is reported as BERT_ERR_OUT_OF_MEMORY.
 *  - Handles. Objects are opaque (bert_tokenizer, bert_model, ...). Whoever creates one owns it
 *    and releases it with the matching *_free(), which accepts NULL and does nothing then.
 *  - Params. Options travel in *_params structs obtained from bert_*_params_default(). Each starts
 *    with `size_t struct_size` (set by the default function), so fields can be appended in later
 *    versions without breaking old callers. Passing NULL for a params pointer means "defaults".
 *  - Strings are UTF-8. Where text may contain NUL bytes, an explicit length is taken. Strings
 *    returned by the library are owned by the library and valid for as long as documented.
 *  - Long calls take a bert_progress_fn; returning non-zero from it cancels the call cleanly with
 *    BERT_ERR_CANCELLED (no partial results, no half-written files).
 *  - Threads. Functions marked "thread-safe" may be called concurrently from any thread. A handle
 *    must not be freed while another thread uses it.
 */
#ifndef BERTC_H_
#define BERTC_H_

#include <stddef.h>
#include <stdint.h>

/* Version of this header. The library's own version is bert_version()/bert_version_number(). */
#define BERTC_VERSION_MAJOR 0
#define BERTC_VERSION_MINOR 1
#define BERTC_VERSION_PATCH 0
#define BERTC_VERSION_NUMBER (BERTC_VERSION_MAJOR * 10000 + BERTC_VERSION_MINOR * 100 + BERTC_VERSION_PATCH)
#define BERTC_STRINGIFY_(x) #x
#define BERTC_STRINGIFY(x) BERTC_STRINGIFY_(x)
#define BERTC_VERSION_STRING \
  BERTC_STRINGIFY(BERTC_VERSION_MAJOR) "." BERTC_STRINGIFY(BERTC_VERSION_MINOR) "." BERTC_STRINGIFY(BERTC_VERSION_PATCH)

#if defined(_WIN32) && !defined(BERTC_STATIC)
#if defined(BERTC_BUILDING_LIBRARY)
#define BERT_API __declspec(dllexport)
#else
#define BERT_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define BERT_API __attribute__((visibility("default")))
#else
#define BERT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================================================
 * Status codes, errors, versions
 * ============================================================================================== */

/* Result of every fallible call. Values are stable: never renumbered, new codes are appended. */
typedef enum bert_status {
  BERT_OK = 0,
  BERT_ERR_INVALID_ARGUMENT = 1, /* NULL where a value is required, out-of-range number, bad option */
  BERT_ERR_IO = 2,               /* file missing, unreadable, unwritable, disk full */
  BERT_ERR_FORMAT = 3,           /* corrupt or unexpected file content (vocab, JSON, safetensors) */
  BERT_ERR_INVALID_UTF8 = 4,     /* input text is not valid UTF-8 (message gives the byte offset) */
  BERT_ERR_OUT_OF_MEMORY = 5,    /* an allocation failed */
  BERT_ERR_CANCELLED = 6,        /* a progress callback returned non-zero */
  BERT_ERR_UNSUPPORTED = 7,      /* valid request this build or file version cannot do */
  BERT_ERR_INTERNAL = 8          /* a bug in bertc; the message says where */
} bert_status;

/* Returns a static, human-readable name for `status` (e.g. "invalid argument"); unknown values give
 * "unknown status". Never NULL. Thread-safe. */
BERT_API const char* bert_status_str(bert_status status);

/* Returns the calling thread's message from its most recent bert_* call that reports through this
 * channel: the error text when that call failed, a warning when it succeeded with one (e.g. a model
 * loaded without an MLM head), or "" otherwise. Never NULL. The string is owned by the library and
 * valid until the next bert_* call on the same thread. Thread-safe (each thread has its own). */
BERT_API const char* bert_last_error(void);

/* Clears the calling thread's message. Thread-safe. */
BERT_API void bert_clear_error(void);

/* Version of the loaded library, e.g. "0.1.0". Static string, never NULL. Thread-safe. */
BERT_API const char* bert_version(void);

/* Version of the loaded library as MAJOR*10000 + MINOR*100 + PATCH; compare with
 * BERTC_VERSION_NUMBER to detect a header/library mismatch. Thread-safe. */
BERT_API unsigned bert_version_number(void);

/* Checks that the loaded library can serve a caller compiled against header version `expected`
 * (pass BERTC_VERSION_NUMBER). Returns BERT_OK when the major versions match and the library's
 * minor version is at least the header's; otherwise BERT_ERR_UNSUPPORTED with a message naming
 * both versions. Bindings call this once at load time. Thread-safe. */
BERT_API bert_status bert_check_version(unsigned expected);

/* ================================================================================================
 * Progress and cancellation
 * ============================================================================================== */

/* What a progress event reports. Values are stable; new kinds are appended. */
typedef enum bert_event_kind {
  BERT_EVENT_TOKENIZER_COUNT = 1, /* word counting: current/total = bytes read of all input */
  BERT_EVENT_TOKENIZER_MERGE = 2, /* vocabulary building: current/total = vocabulary size */
  BERT_EVENT_ENCODE = 3,          /* dataset encoding: current/total = lines encoded */
  BERT_EVENT_TRAIN_STEP = 4,      /* a logged optimizer step (loss, learning_rate, grad_norm, ...) */
  BERT_EVENT_EVAL = 5,            /* an evaluation finished (eval_loss, perplexity, accuracy) */
  BERT_EVENT_CHECKPOINT = 6       /* a checkpoint was written to `path` */
} bert_event_kind;

/* One progress report. Fields that do not apply to `kind` are 0 (numbers) or NULL (strings).
 * The struct and its strings are valid only during the callback. */
typedef struct bert_event {
  size_t struct_size;
  bert_event_kind kind;
  uint64_t current;  /* progress so far (unit depends on kind; for TRAIN_STEP: the global step) */
  uint64_t total;    /* expected end of `current`, or 0 when unknown */
  double elapsed_seconds;
  double loss;
  double learning_rate;
  double grad_norm;
  double tokens_per_second;
  double eval_loss;
  double eval_perplexity;
  double eval_accuracy;
  double epoch;
  const char* path;    /* CHECKPOINT: the directory written */
  const char* message; /* optional human-readable text */
} bert_event;

/* Progress callback: called on the thread that made the long-running call (never concurrently for
 * one call). Return 0 to continue, non-zero to cancel; the call then returns BERT_ERR_CANCELLED. */
typedef int (*bert_progress_fn)(void* user_data, const bert_event* event);

/* ================================================================================================
 * Handles
 * ============================================================================================== */

typedef struct bert_tokenizer bert_tokenizer;   /* a WordPiece tokenizer (vocab + normalization) */
typedef struct bert_encoding bert_encoding;     /* the result of encoding one or more inputs */
typedef struct bert_model bert_model;           /* a BertForMaskedLM with its config */
typedef struct bert_fill_mask_result bert_fill_mask_result; /* fill-mask predictions */
typedef struct bert_trainer bert_trainer;       /* an MLM pre-training run */

/* BERTC-SECTION: tokenizer (begin) */
/* BERTC-SECTION: tokenizer (end) */

/* BERTC-SECTION: model (begin) */

/* ================================================================================================
 * Model: BertForMaskedLM (Hugging Face compatible config.json + model.safetensors)
 * ============================================================================================== */

/* BertConfig fields (same names and defaults as Hugging Face's BertConfig, i.e. bert-base-uncased)
 * plus the initialisation seed. Used by bert_model_create() and filled by bert_model_config(). */
typedef struct bert_model_params {
  size_t struct_size;
  int64_t vocab_size;                  /* 30522 */
  int64_t hidden_size;                 /* 768; a multiple of num_attention_heads */
  int64_t num_hidden_layers;           /* 12 */
  int64_t num_attention_heads;         /* 12 */
  int64_t intermediate_size;           /* 3072 */
  const char* hidden_act;              /* "gelu" (exact); also "gelu_new", "gelu_pytorch_tanh",
                                          "gelu_fast", "relu", "silu"/"swish" */
  double hidden_dropout_prob;          /* 0.1, in [0, 1) */
  double attention_probs_dropout_prob; /* 0.1, in [0, 1) */
  int64_t max_position_embeddings;     /* 512: the longest input the model accepts */
  int64_t type_vocab_size;             /* 2 */
  double layer_norm_eps;               /* 1e-12 */
  double initializer_range;            /* 0.02: std of the normal weight init */
  int64_t pad_token_id;                /* 0; its word-embedding row starts at zero */
  const char* position_embedding_type; /* "absolute" (the only one supported) */
  uint64_t seed;                       /* 42: weights are initialised from a generator with this
                                          seed, so the same params give the same model */
} bert_model_params;

/* Returns the defaults above (struct_size set). Thread-safe. */
BERT_API bert_model_params bert_model_params_default(void);

/* Creates a randomly initialised BertForMaskedLM (Hugging Face's init: weights ~ N(0,
 * initializer_range), biases 0, LayerNorm 1/0). `params` NULL means defaults (a BERT-base-sized
 * model). On success *out_model owns the model; release it with bert_model_free().
 * Returns BERT_ERR_INVALID_ARGUMENT (out_model NULL; a size <= 0 or absurdly large; hidden_size not
 * a multiple of num_attention_heads; dropout outside [0, 1); layer_norm_eps <= 0; pad_token_id
 * outside [0, vocab_size); unknown hidden_act; NULL string fields), BERT_ERR_UNSUPPORTED
 * (position_embedding_type other than "absolute"; struct_size from a newer header),
 * BERT_ERR_OUT_OF_MEMORY. Thread-safe. */
BERT_API bert_status bert_model_create(const bert_model_params* params, bert_model** out_model);

/* Loads <dir>/config.json and <dir>/model.safetensors as saved by Hugging Face
 * (BertForMaskedLM.save_pretrained, safe_serialization) or by bert_model_save(). Tensors stored as
 * F32, F16, BF16 or F64 are converted to float32. A BertModel-only checkpoint (no MLM head, keys with
 * or without the "bert." prefix; e.g. sentence-transformers models) is accepted: the MLM head is newly
 * initialised and the call returns BERT_OK with a warning in bert_last_error(). On success
 * *out_model owns the model (release with bert_model_free()).
 * Returns BERT_ERR_INVALID_ARGUMENT (NULL argument), BERT_ERR_IO (directory, config.json or
 * model.safetensors missing or unreadable), BERT_ERR_FORMAT (invalid JSON or config values;
 * corrupt/truncated safetensors: header length past the end of the file, offsets out of bounds,
 * overlapping or leaving holes; a tensor missing, of the wrong shape or of a non-float dtype),
 * BERT_ERR_UNSUPPORTED (only pytorch_model.bin present; non-absolute position embeddings),
 * BERT_ERR_OUT_OF_MEMORY. Thread-safe. */
BERT_API bert_status bert_model_load(const char* dir, bert_model** out_model);

/* Saves the model into `dir` (created with missing parents) as config.json (architectures
 * ["BertForMaskedLM"], model_type "bert") and model.safetensors (float32, Hugging Face key names; the
 * decoder weight is tied to the word embeddings and stored once, as HF saves it), loadable by
 * transformers' BertForMaskedLM.from_pretrained(dir). Atomic: the files are written into a temporary
 * sibling directory that is then renamed over `dir`; other regular files already in `dir` (e.g.
 * tokenizer files) are carried over. If `dir` contains subdirectories (e.g. checkpoints), each of the
 * two files is replaced atomically instead (weights first). A failed save never destroys an existing
 * model. Returns BERT_ERR_INVALID_ARGUMENT (NULL argument, empty dir), BERT_ERR_IO (cannot create,
 * write or rename; disk full), BERT_ERR_OUT_OF_MEMORY. Thread-safe; may run concurrently with
 * fill-mask on the same model. */
BERT_API bert_status bert_model_save(const bert_model* model, const char* dir);

/* Writes the model's configuration into *out_params (only the first out_params->struct_size bytes;
 * initialise it with bert_model_params_default()). The strings point into the model and stay valid
 * until bert_model_free(model); `seed` is reported as 0 for a loaded model. Returns
 * BERT_ERR_INVALID_ARGUMENT (NULL argument, struct_size too small). Thread-safe. */
BERT_API bert_status bert_model_config(const bert_model* model, bert_model_params* out_params);

/* Number of distinct parameters (the tied decoder weight counted once), as transformers'
 * model.num_parameters(). Returns BERT_ERR_INVALID_ARGUMENT (NULL argument). Thread-safe. */
BERT_API bert_status bert_model_num_parameters(const bert_model* model, uint64_t* out_count);

/* Releases a model; NULL does nothing. No other thread may be using it. */
BERT_API void bert_model_free(bert_model* model);

/* BERTC-SECTION: model (end) */

/* BERTC-SECTION: fill-mask (begin) */

/* ================================================================================================
 * Fill-mask and sentence scoring (Hugging Face pipeline('fill-mask') semantics)
 * ============================================================================================== */

/* Options of bert_fill_mask(), bert_fill_mask_batch() and bert_score_text(). */
typedef struct bert_fill_mask_params {
  size_t struct_size;
  int top_k;                  /* 5: predictions per [MASK], in [1, vocab_size]; with targets it is
                                 capped at the number of distinct targets (as HF) */
  const char* const* targets; /* NULL: predict over the whole vocabulary. Otherwise `num_targets`
                                 UTF-8 words to choose from. As HF: a word found verbatim in the
                                 vocabulary is used as is, any other word is tokenized and only its
                                 first piece is used (unless expand_multi_piece_targets); duplicates
                                 merge; words that tokenize to nothing are ignored. Scores remain
                                 probabilities over the whole vocabulary (not renormalised). */
  size_t num_targets;         /* 0 */
  int expand_multi_piece_targets; /* 0. Non-zero (beyond HF): a target of k > 1 pieces replaces its
                                 [MASK] by k [MASK]s and the pieces are predicted left to right, each
                                 given the previous ones; its score is the product (a joint
                                 probability). Costs k extra forward passes per mask. */
  int threads;                /* 0: intra-op threads of LibTorch used by this call. 0 keeps the
                                 current setting (LibTorch's default: all cores). A positive value
                                 applies to the calling thread only, for the duration of the call (it
                                 is LibTorch's OpenMP team size, a per-thread setting), so concurrent
                                 callers do not affect each other; with many concurrent callers, 1 is
                                 usually best. */
} bert_fill_mask_params;

/* Returns the defaults above (struct_size set). Thread-safe. */
BERT_API bert_fill_mask_params bert_fill_mask_params_default(void);

/* Predicts the tokens at every [MASK] (the tokenizer's mask token) of `text` (NUL-terminated UTF-8).
 * The text is tokenized with [CLS]/[SEP] and is never truncated: like HF's pipeline, input longer
 * than max_position_embeddings tokens is an error. On success *out_result owns one query's results
 * (read them with bert_fill_mask_result_*; release with bert_fill_mask_result_free()).
 * Returns BERT_ERR_INVALID_ARGUMENT (NULL argument; no [MASK] in the text; too many tokens; top_k
 * outside [1, vocab_size]; targets given but none usable; targets NULL with num_targets > 0; the
 * tokenizer's vocabulary size differs from the model's; a tokenizer without a mask token),
 * BERT_ERR_INVALID_UTF8, BERT_ERR_UNSUPPORTED (params from a newer header), BERT_ERR_OUT_OF_MEMORY.
 * Thread-safe: one model and tokenizer may serve any number of concurrent calls (inference only, no
 * dropout, no state changes). */
BERT_API bert_status bert_fill_mask(const bert_model* model, const bert_tokenizer* tokenizer, const char* text,
                                    const bert_fill_mask_params* params, bert_fill_mask_result** out_result);

/* Like bert_fill_mask() for `num_texts` queries run together as padded batches; query i of the result
 * is texts[i]. Any invalid query fails the whole call (the message names its index). num_texts may
 * be 0. Same statuses and thread-safety as bert_fill_mask(). */
BERT_API bert_status bert_fill_mask_batch(const bert_model* model, const bert_tokenizer* tokenizer,
                                          const char* const* texts, size_t num_texts,
                                          const bert_fill_mask_params* params, bert_fill_mask_result** out_result);

/* One prediction. Strings and arrays are owned by the result and valid until it is freed. */
typedef struct bert_fill_mask_prediction {
  size_t struct_size;
  double score;             /* probability (joint probability for an expanded multi-piece target) */
  int32_t token_id;         /* HF "token": the predicted id (first piece of an expanded target) */
  const char* token;        /* HF "token_str": the decoded token (the whole word when expanded) */
  const char* sequence;     /* HF "sequence": the input with this prediction filled in; decoded
                               without special tokens when the text has one [MASK], with them
                               (so the other [MASK]s stay visible) when it has several */
  const int32_t* token_ids; /* all pieces of the prediction */
  size_t num_token_ids;     /* 1 unless an expanded multi-piece target */
} bert_fill_mask_prediction;

/* Number of queries in a result (1 for bert_fill_mask()); 0 for NULL. Thread-safe. */
BERT_API size_t bert_fill_mask_result_num_queries(const bert_fill_mask_result* result);

/* Number of [MASK] tokens of query `query`; 0 for NULL or an out-of-range query. Thread-safe. */
BERT_API size_t bert_fill_mask_result_num_masks(const bert_fill_mask_result* result, size_t query);

/* Number of predictions for mask `mask` of query `query` (top_k, or fewer with targets); 0 when out of
 * range. Thread-safe. */
BERT_API size_t bert_fill_mask_result_num_predictions(const bert_fill_mask_result* result, size_t query,
                                                      size_t mask);

/* Copies prediction `rank` (0 = most probable) of mask `mask` of query `query` into *out (only the
 * first out->struct_size bytes; set struct_size = sizeof(bert_fill_mask_prediction)). Returns
 * BERT_ERR_INVALID_ARGUMENT for NULL arguments, an index out of range or a too small struct_size.
 * Thread-safe. */
BERT_API bert_status bert_fill_mask_result_get(const bert_fill_mask_result* result, size_t query, size_t mask,
                                               size_t rank, bert_fill_mask_prediction* out);

/* Releases a result and every string in it; NULL does nothing. */
BERT_API void bert_fill_mask_result_free(bert_fill_mask_result* result);

/* Pseudo-log-likelihood of each of `num_texts` texts (Salazar et al., 2020): every token except
 * [CLS]/[SEP] is masked in turn and the natural-log probability the model gives the original token is
 * summed; higher (closer to 0) means more plausible, so it ranks candidate sentences. All masked copies
 * run in batches. out_scores[i] receives the sum for texts[i]; out_num_tokens (may be NULL) the number of
 * tokens scored (divide for a per-token average). An empty text scores 0 over 0 tokens. Only
 * params->threads is used (NULL params: defaults). Returns BERT_ERR_INVALID_ARGUMENT (NULL argument
 * other than out_num_tokens, too many tokens, vocabulary mismatch), BERT_ERR_INVALID_UTF8,
 * BERT_ERR_UNSUPPORTED, BERT_ERR_OUT_OF_MEMORY; outputs are untouched on failure. Thread-safe. */
BERT_API bert_status bert_score_text(const bert_model* model, const bert_tokenizer* tokenizer,
                                     const char* const* texts, size_t num_texts,
                                     const bert_fill_mask_params* params, double* out_scores,
                                     size_t* out_num_tokens);

/* BERTC-SECTION: fill-mask (end) */

/* BERTC-SECTION: trainer (begin) */
/* BERTC-SECTION: trainer (end) */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BERTC_H_ */
