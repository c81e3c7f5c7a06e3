/**
 * @file bertc.h
 * @brief bertc — the public C API.
 *
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
 *    A struct_size that is not the size of any version of the struct gives BERT_ERR_INVALID_ARGUMENT;
 *    a larger one than this library knows, BERT_ERR_UNSUPPORTED. Result structs the caller passes in
 *    (struct_size set by the caller) are filled up to their struct_size only.
 *  - Sizes. A count or length no allocation can satisfy (e.g. SIZE_MAX) gives BERT_ERR_OUT_OF_MEMORY.
 *    `threads` fields accept at most 1024 (BERT_ERR_INVALID_ARGUMENT above that).
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

/** Major version of this header (the library's: bert_version_number()). Bumped with the SONAME. */
#define BERTC_VERSION_MAJOR 0
/** Minor version of this header: new functions, compatible. */
#define BERTC_VERSION_MINOR 1
/** Patch version of this header: fixes only. */
#define BERTC_VERSION_PATCH 0
/** Header version as one number, MAJOR*10000 + MINOR*100 + PATCH (compare bert_version_number()). */
#define BERTC_VERSION_NUMBER (BERTC_VERSION_MAJOR * 10000 + BERTC_VERSION_MINOR * 100 + BERTC_VERSION_PATCH)
/** @cond INTERNAL */
#define BERTC_STRINGIFY_(x) #x
#define BERTC_STRINGIFY(x) BERTC_STRINGIFY_(x)
/** @endcond */
/** Header version as a string, e.g. "0.1.0". */
#define BERTC_VERSION_STRING \
  BERTC_STRINGIFY(BERTC_VERSION_MAJOR) "." BERTC_STRINGIFY(BERTC_VERSION_MINOR) "." BERTC_STRINGIFY(BERTC_VERSION_PATCH)

/** @cond INTERNAL */
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
/** @endcond */

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================================================
 * Status codes, errors, versions
 * ============================================================================================== */

/** Result of every fallible call. Values are stable: never renumbered, new codes are appended. */
typedef enum bert_status {
  BERT_OK = 0,
  BERT_ERR_INVALID_ARGUMENT = 1, /**< NULL where a value is required, out-of-range number, bad option */
  BERT_ERR_IO = 2,               /**< file missing, unreadable, unwritable, disk full */
  BERT_ERR_FORMAT = 3,           /**< corrupt or unexpected file content (vocab, JSON, safetensors) */
  BERT_ERR_INVALID_UTF8 = 4,     /**< input text is not valid UTF-8 (message gives the byte offset) */
  BERT_ERR_OUT_OF_MEMORY = 5,    /**< an allocation failed */
  BERT_ERR_CANCELLED = 6,        /**< a progress callback returned non-zero */
  BERT_ERR_UNSUPPORTED = 7,      /**< valid request this build or file version cannot do */
  BERT_ERR_INTERNAL = 8          /**< a bug in bertc; the message says where */
} bert_status;

/** Returns a static, human-readable name for `status` (e.g. "invalid argument"); unknown values give
 * "unknown status". Never NULL. Thread-safe. */
BERT_API const char* bert_status_str(bert_status status);

/** Returns the calling thread's message from its most recent bert_* call that reports through this
 * channel: the error text when that call failed, a warning when it succeeded with one (e.g. a model
 * loaded without an MLM head), or "" otherwise. Never NULL. The string is owned by the library and
 * valid until the next bert_* call on the same thread. Thread-safe (each thread has its own). */
BERT_API const char* bert_last_error(void);

/** Clears the calling thread's message. Thread-safe. */
BERT_API void bert_clear_error(void);

/** Version of the loaded library, e.g. "0.1.0". Static string, never NULL. Thread-safe. */
BERT_API const char* bert_version(void);

/** Version of the loaded library as MAJOR*10000 + MINOR*100 + PATCH; compare with
 * BERTC_VERSION_NUMBER to detect a header/library mismatch. Thread-safe. */
BERT_API unsigned bert_version_number(void);

/** Checks that the loaded library can serve a caller compiled against header version `expected`
 * (pass BERTC_VERSION_NUMBER). Returns BERT_OK when the major versions match and the library's
 * minor version is at least the header's; otherwise BERT_ERR_UNSUPPORTED with a message naming
 * both versions. Bindings call this once at load time. Thread-safe. */
BERT_API bert_status bert_check_version(unsigned expected);

/* ================================================================================================
 * Progress and cancellation
 * ============================================================================================== */

/** What a progress event reports. Values are stable; new kinds are appended. */
typedef enum bert_event_kind {
  BERT_EVENT_TOKENIZER_COUNT = 1, /**< word counting: current/total = bytes read of all input */
  BERT_EVENT_TOKENIZER_MERGE = 2, /**< vocabulary building: current/total = vocabulary size */
  BERT_EVENT_ENCODE = 3,          /**< dataset encoding: current/total = lines encoded */
  BERT_EVENT_TRAIN_STEP = 4,      /**< a logged optimizer step (loss, learning_rate, grad_norm, ...) */
  BERT_EVENT_EVAL = 5,            /**< an evaluation finished (eval_loss, perplexity, accuracy) */
  BERT_EVENT_CHECKPOINT = 6       /**< a checkpoint was written to `path` */
} bert_event_kind;

/** One progress report. Fields that do not apply to `kind` are 0 (numbers) or NULL (strings).
 * The struct and its strings are valid only during the callback. */
typedef struct bert_event {
  size_t struct_size; /**< sizeof(bert_event) of the library that sent it */
  bert_event_kind kind; /**< what happened */
  uint64_t current;  /**< progress so far (unit depends on kind; for TRAIN_STEP: the global step) */
  uint64_t total;    /**< expected end of `current`, or 0 when unknown */
  double elapsed_seconds; /**< wall time since the call started */
  double loss; /**< TRAIN_STEP: mean training loss of the logged steps */
  double learning_rate; /**< TRAIN_STEP: learning rate of the last step */
  double grad_norm; /**< TRAIN_STEP: gradient L2 norm before clipping */
  double tokens_per_second; /**< TRAIN_STEP: non-padding tokens per second */
  double eval_loss; /**< EVAL: mean masked-token cross-entropy */
  double eval_perplexity; /**< EVAL: exp(eval_loss) */
  double eval_accuracy; /**< EVAL: share of masked tokens predicted right */
  double epoch; /**< TRAIN_STEP/EVAL: fractional epoch */
  const char* path;    /**< CHECKPOINT: the directory written */
  const char* message; /**< optional human-readable text */
} bert_event;

/** Progress callback: called on the thread that made the long-running call (never concurrently for
 * one call). Return 0 to continue, non-zero to cancel; the call then returns BERT_ERR_CANCELLED.
 * A trainer's callback may read the model being trained (bert_fill_mask, bert_score_text,
 * bert_model_save, bert_model_config, bert_trainer_get_info); a call
 * that would change that model (another bert_trainer_step/train/evaluate/resume/create on it)
 * returns BERT_ERR_INVALID_ARGUMENT. */
typedef int (*bert_progress_fn)(void* user_data, const bert_event* event);

/* ================================================================================================
 * Handles
 * ============================================================================================== */

typedef struct bert_tokenizer bert_tokenizer;   /**< a WordPiece tokenizer (vocab + normalization) */
typedef struct bert_encoding bert_encoding;     /**< the result of encoding one or more inputs */
typedef struct bert_model bert_model;           /**< a BertForMaskedLM with its config */
typedef struct bert_fill_mask_result bert_fill_mask_result; /**< fill-mask predictions */
typedef struct bert_trainer bert_trainer;       /**< an MLM pre-training run */

/* BERTC-SECTION: tokenizer (begin) */
/* ================================================================================================
 * WordPiece tokenizer (Hugging Face BertWordPieceTokenizer / BertTokenizerFast compatible)
 *
 * A bert_tokenizer is immutable once created: every function taking a `const bert_tokenizer*` is
 * thread-safe and may run concurrently on one handle (encode from many threads at once).
 * ============================================================================================== */

/** Vocabulary-building algorithm of bert_tokenizer_train. */
typedef enum bert_tokenizer_algorithm {
  /** HF WordPieceTrainer semantics (pair-frequency merges with "##"), deterministic tie-break:
   * equal frequencies merge the pair with the smaller (left id, right id). Default. */
  BERT_TOKENIZER_ALGO_HF = 0,
  /** Merge the pair maximizing freq(ab) / (freq(a) * freq(b)) (the WordPiece likelihood criterion). */
  BERT_TOKENIZER_ALGO_LIKELIHOOD = 1
} bert_tokenizer_algorithm;

/** Training and normalization options. Obtain with bert_tokenizer_params_default(). */
typedef struct bert_tokenizer_params {
  size_t struct_size; /**< sizeof(bert_tokenizer_params); set by bert_tokenizer_params_default() */
  size_t vocab_size;            /**< target vocabulary size incl. special tokens; default 30522 */
  uint64_t min_frequency;       /**< pairs rarer than this are never merged; default 2 */
  size_t limit_alphabet;        /**< keep at most this many distinct characters (0 = all); default 1000 */
  const char* initial_alphabet; /**< UTF-8 characters always kept in the alphabet; NULL = none */
  const char* const* special_tokens; /**< NULL = "[PAD]" "[UNK]" "[CLS]" "[SEP]" "[MASK]"; ids 0.. in order */
  size_t n_special_tokens; /**< number of entries in special_tokens */
  const char* unk_token;        /**< names of the roles; NULL = "[UNK]" "[CLS]" "[SEP]" "[PAD]" "[MASK]". */
  const char* cls_token;        /**< unk/cls/sep must be among special_tokens */
  const char* sep_token; /**< separator role; NULL = "[SEP]" */
  const char* pad_token; /**< padding role; NULL = "[PAD]" */
  const char* mask_token; /**< mask role; NULL = "[MASK]" */
  int lowercase;                /**< default 1 */
  int strip_accents;            /**< -1 = follow lowercase (default), 0 = keep accents, 1 = strip */
  int clean_text;               /**< drop control chars, map whitespace to ' '; default 1 */
  int handle_chinese_chars;     /**< space around CJK ideographs; default 1 */
  bert_tokenizer_algorithm algorithm; /**< default BERT_TOKENIZER_ALGO_HF */
  int threads;                  /**< word-counting threads; 0 = all cores, at most 1024 (result does not depend on it) */
  size_t model_max_length;      /**< written to tokenizer_config.json/config.json; default 512 */
  bert_progress_fn progress;    /**< optional: BERT_EVENT_TOKENIZER_COUNT then BERT_EVENT_TOKENIZER_MERGE */
  void* progress_user_data; /**< passed to progress unchanged */
} bert_tokenizer_params;

/** Returns the default training parameters (struct_size set). Thread-safe. */
BERT_API bert_tokenizer_params bert_tokenizer_params_default(void);

/** Trains a tokenizer on text files (one sentence or document per line, UTF-8), streaming them.
 * On success *out receives a new tokenizer the caller frees with bert_tokenizer_free().
 * `params` may be NULL (defaults). Thread-safe (independent calls).
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL files/out, n_files 0, empty corpus, vocab_size
 * smaller than special tokens + alphabet, duplicate or missing special tokens); BERT_ERR_IO
 * (missing/unreadable file); BERT_ERR_INVALID_UTF8 (message gives file, line and byte offset);
 * BERT_ERR_CANCELLED (progress callback returned non-zero); BERT_ERR_UNSUPPORTED (params from a
 * newer header); BERT_ERR_OUT_OF_MEMORY. */
BERT_API bert_status bert_tokenizer_train(const char* const* files, size_t n_files, const bert_tokenizer_params* params,
                                          bert_tokenizer** out);

/** Same as bert_tokenizer_train on in-memory lines. `lengths` gives each line's byte length, or is
 * NULL when every line is NUL-terminated. The lines are not retained after the call.
 * Returns the statuses of bert_tokenizer_train (BERT_ERR_INVALID_UTF8 names the line index). */
BERT_API bert_status bert_tokenizer_train_from_lines(const char* const* lines, const size_t* lengths, size_t n_lines,
                                                     const bert_tokenizer_params* params, bert_tokenizer** out);

/** Loads a tokenizer from a directory (tokenizer.json, else vocab.txt, with tokenizer_config.json
 * or the seed's config.json for do_lower_case/model_max_length), a tokenizer.json file (HF schema)
 * or a vocab.txt file. *out is freed with bert_tokenizer_free(). Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL path/out); BERT_ERR_IO (missing/unreadable);
 * BERT_ERR_FORMAT (corrupt vocab or JSON, missing [UNK]/[CLS]/[SEP]); BERT_ERR_UNSUPPORTED (a
 * tokenizer.json whose pipeline is not BERT WordPiece). */
BERT_API bert_status bert_tokenizer_load(const char* path, bert_tokenizer** out);

/** Saves the tokenizer. If `path` ends in ".json" only that tokenizer.json file is written; if it
 * ends in ".txt" only vocab.txt; otherwise `path` is a directory (created if needed) that receives
 * vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json and config.json (the
 * latter unless a model's config.json is already there). Each file is written to a temporary
 * name and renamed: a failed save never leaves a half-written file in place of a good one.
 * Thread-safe. Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL); BERT_ERR_IO. */
BERT_API bert_status bert_tokenizer_save(const bert_tokenizer* tokenizer, const char* path);

/** Releases a tokenizer. NULL is a no-op. Encodings created from it stay valid. */
BERT_API void bert_tokenizer_free(bert_tokenizer* tokenizer);

/** How encode shortens inputs longer than max_length (Hugging Face's strategies). */
typedef enum bert_truncation_strategy {
  BERT_TRUNCATION_NONE = 0,          /**< never truncate */
  BERT_TRUNCATION_LONGEST_FIRST = 1, /**< remove from the longer sequence first */
  BERT_TRUNCATION_ONLY_FIRST = 2,    /**< remove only from the first text (error if it cannot fit) */
  BERT_TRUNCATION_ONLY_SECOND = 3    /**< remove only from the second text (error if it cannot fit) */
} bert_truncation_strategy;

/** How encode pads rows to a common length. */
typedef enum bert_padding_strategy {
  BERT_PADDING_NONE = 0,      /**< no padding */
  BERT_PADDING_LONGEST = 1,   /**< to the longest sequence of the call */
  BERT_PADDING_MAX_LENGTH = 2 /**< to pad_length (or max_length when pad_length is 0) */
} bert_padding_strategy;

/** Where padding goes. */
typedef enum bert_padding_side {
  BERT_PADDING_RIGHT = 0, /**< after the tokens */
  BERT_PADDING_LEFT = 1   /**< before the tokens */
} bert_padding_side;

/** Encoding options. Obtain with bert_encode_params_default(). */
typedef struct bert_encode_params {
  size_t struct_size; /**< sizeof(bert_encode_params); set by bert_encode_params_default() */
  int add_special_tokens;                /**< [CLS] A [SEP] (B [SEP]); default 1 */
  bert_truncation_strategy truncation;   /**< default NONE */
  size_t max_length;                     /**< incl. special tokens; 0 = model_max_length (512) */
  size_t stride;                         /**< overlap of overflow windows; default 0 */
  int return_overflowing;                /**< keep overflow windows as extra rows; default 0 */
  bert_padding_strategy padding;         /**< default NONE */
  size_t pad_length;                     /**< MAX_LENGTH target; 0 = max_length */
  size_t pad_to_multiple_of;             /**< 0 = no rounding */
  bert_padding_side padding_side;        /**< default RIGHT */
  int split_special_tokens;              /**< 1: "[MASK]" in the text is plain text (untrusted input) */
  int threads;                           /**< batch encode threads; 0 = all cores; at most 1024 */
} bert_encode_params;

/** Returns the default encode parameters (struct_size set). Thread-safe. */
BERT_API bert_encode_params bert_encode_params_default(void);

/** Byte range [start, end) of a token in its input text; {0, 0} for added [CLS]/[SEP] and padding. */
typedef struct bert_offset {
  size_t start; /**< first byte of the token in its input */
  size_t end; /**< one past its last byte */
} bert_offset;

/** Encodes one text, or a pair when `pair` is not NULL. `text_len`/`pair_len` are byte lengths
 * (text may contain NUL). On success *out receives an encoding with one row, plus one row per
 * overflow window when return_overflowing; free it with bert_encoding_free(). Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL tokenizer/out, NULL text with non-zero length,
 * impossible truncation such as only_second without a pair, stride too large, padding without a
 * pad token); BERT_ERR_INVALID_UTF8 (message gives the byte offset; nothing is returned);
 * BERT_ERR_UNSUPPORTED; BERT_ERR_OUT_OF_MEMORY. */
BERT_API bert_status bert_tokenizer_encode(const bert_tokenizer* tokenizer, const char* text, size_t text_len,
                                           const char* pair, size_t pair_len, const bert_encode_params* params,
                                           bert_encoding** out);

/** Encodes `n` inputs on params->threads threads; rows are in input order (input i's row first,
 * then its overflow windows; see bert_encoding_input_index). `lengths` may be NULL for
 * NUL-terminated texts; `pairs` is NULL for single texts (then `pair_lengths` is ignored).
 * Padding LONGEST pads to the longest row of the whole batch. Thread-safe.
 * Returns the statuses of bert_tokenizer_encode; on BERT_ERR_INVALID_UTF8 the message names the
 * input index and byte offset. */
BERT_API bert_status bert_tokenizer_encode_batch(const bert_tokenizer* tokenizer, const char* const* texts,
                                                 const size_t* lengths, const char* const* pairs,
                                                 const size_t* pair_lengths, size_t n, const bert_encode_params* params,
                                                 bert_encoding** out);

/** Accessors. The arrays are owned by the encoding and valid until bert_encoding_free(); each has
 * bert_encoding_length(enc, row) elements. A NULL encoding or an out-of-range row gives 0 / NULL.
 * Thread-safe (read-only). */
BERT_API size_t bert_encoding_count(const bert_encoding* enc);              /**< number of rows */
BERT_API size_t bert_encoding_length(const bert_encoding* enc, size_t row); /**< tokens in a row */
/** Token ids of a row. */
BERT_API const int32_t* bert_encoding_ids(const bert_encoding* enc, size_t row);
/** Token type (segment) ids of a row: 0 for the first text and its [CLS]/[SEP], 1 for the second. */
BERT_API const int32_t* bert_encoding_type_ids(const bert_encoding* enc, size_t row);
/** Attention mask of a row: 1 for real tokens, 0 for padding. */
BERT_API const int32_t* bert_encoding_attention_mask(const bert_encoding* enc, size_t row);
/** 1 where a row holds an added special token ([CLS], [SEP], padding), else 0. */
BERT_API const int32_t* bert_encoding_special_tokens_mask(const bert_encoding* enc, size_t row);
/** Byte offsets of each token of a row into its input text (see bert_offset). */
BERT_API const bert_offset* bert_encoding_offsets(const bert_encoding* enc, size_t row);
/** Per token: 0 = first text, 1 = second text, -1 = added special token or padding. */
BERT_API const int8_t* bert_encoding_sequence_ids(const bert_encoding* enc, size_t row);
/** Index of the input a row belongs to (0 for bert_tokenizer_encode); (size_t)-1 when out of range. */
BERT_API size_t bert_encoding_input_index(const bert_encoding* enc, size_t row);
/** 1 when the row is an overflow window (not the first row of its input), else 0. */
BERT_API int bert_encoding_is_overflow(const bert_encoding* enc, size_t row);

/** Releases an encoding. NULL is a no-op. */
BERT_API void bert_encoding_free(bert_encoding* enc);

/** Flags of bert_tokenizer_decode. */
#define BERT_DECODE_SKIP_SPECIAL_TOKENS 1u /**< drop [CLS], [SEP], [PAD], [MASK], ... */
#define BERT_DECODE_NO_CLEANUP 2u          /**< keep spaces before punctuation and contractions */

/** Turns ids back into text: "##" pieces are glued, other tokens joined by spaces, then HF's clean
 * up (" ." -> ".", " n't" -> "n't", ...). Ids outside the vocabulary are skipped (as HF does).
 * On success *out_text receives a NUL-terminated UTF-8 string owned by the caller, released with
 * bert_string_free(); *out_len (optional, may be NULL) its length in bytes. Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL tokenizer/out_text, NULL ids with n > 0);
 * BERT_ERR_OUT_OF_MEMORY. */
BERT_API bert_status bert_tokenizer_decode(const bert_tokenizer* tokenizer, const int32_t* ids, size_t n,
                                           unsigned flags, char** out_text, size_t* out_len);

/** Releases a string returned by the library (bert_tokenizer_decode). NULL is a no-op. */
BERT_API void bert_string_free(char* str);

/** Looks up a token string (exact, not normalized). *out_id receives its id, or -1 when the token is
 * not in the vocabulary (still BERT_OK). Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL argument). */
BERT_API bert_status bert_tokenizer_token_to_id(const bert_tokenizer* tokenizer, const char* token, int32_t* out_id);

/** *out_token receives the token string of `id` (NUL-terminated, owned by the tokenizer, valid until
 * bert_tokenizer_free). Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL argument or id outside [0, vocab_size)). */
BERT_API bert_status bert_tokenizer_id_to_token(const bert_tokenizer* tokenizer, int32_t id, const char** out_token);

/** Number of tokens in the vocabulary (incl. special tokens); 0 for NULL. Thread-safe. */
BERT_API size_t bert_tokenizer_vocab_size(const bert_tokenizer* tokenizer);

/** Roles of special tokens, for bert_tokenizer_special_token_id. */
typedef enum bert_special_token {
  BERT_SPECIAL_PAD = 0,
  BERT_SPECIAL_UNK = 1,
  BERT_SPECIAL_CLS = 2,
  BERT_SPECIAL_SEP = 3,
  BERT_SPECIAL_MASK = 4
} bert_special_token;

/** *out_id receives the id of the token playing `role`, or -1 when the vocabulary lacks it (e.g.
 * no mask token). Thread-safe. Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL, unknown role). */
BERT_API bert_status bert_tokenizer_special_token_id(const bert_tokenizer* tokenizer, bert_special_token role,
                                                     int32_t* out_id);
/* BERTC-SECTION: tokenizer (end) */

/* BERTC-SECTION: model (begin) */

/* ================================================================================================
 * Model: BertForMaskedLM (Hugging Face compatible config.json + model.safetensors)
 * ============================================================================================== */

/** BertConfig fields (same names and defaults as Hugging Face's BertConfig, i.e. bert-base-uncased)
 * plus the initialisation seed. Used by bert_model_create() and filled by bert_model_config(). */
typedef struct bert_model_params {
  size_t struct_size; /**< sizeof(bert_model_params); set by bert_model_params_default() */
  int64_t vocab_size;                  /**< 30522 */
  int64_t hidden_size;                 /**< 768; a multiple of num_attention_heads */
  int64_t num_hidden_layers;           /**< 12 */
  int64_t num_attention_heads;         /**< 12 */
  int64_t intermediate_size;           /**< 3072 */
  const char* hidden_act;              /**< "gelu" (exact); also "gelu_new", "gelu_pytorch_tanh",
                                          "gelu_fast", "relu", "silu"/"swish" */
  double hidden_dropout_prob;          /**< 0.1, in [0, 1) */
  double attention_probs_dropout_prob; /**< 0.1, in [0, 1) */
  int64_t max_position_embeddings;     /**< 512: the longest input the model accepts */
  int64_t type_vocab_size;             /**< 2 */
  double layer_norm_eps;               /**< 1e-12 */
  double initializer_range;            /**< 0.02: std of the normal weight init */
  int64_t pad_token_id;                /**< 0; its word-embedding row starts at zero */
  const char* position_embedding_type; /**< "absolute" (the only one supported) */
  uint64_t seed;                       /**< 42: weights are initialised from a generator with this
                                          seed, so the same params give the same model */
} bert_model_params;

/** Returns the defaults above (struct_size set). Thread-safe. */
BERT_API bert_model_params bert_model_params_default(void);

/** Creates a randomly initialised BertForMaskedLM (Hugging Face's init: weights ~ N(0,
 * initializer_range), biases 0, LayerNorm 1/0). `params` NULL means defaults (a BERT-base-sized
 * model). On success *out_model owns the model; release it with bert_model_free().
 * Returns BERT_ERR_INVALID_ARGUMENT (out_model NULL; a size <= 0 or absurdly large; hidden_size not
 * a multiple of num_attention_heads; dropout outside [0, 1); layer_norm_eps <= 0; pad_token_id
 * outside [0, vocab_size); unknown hidden_act; NULL string fields), BERT_ERR_UNSUPPORTED
 * (position_embedding_type other than "absolute"; struct_size from a newer header),
 * BERT_ERR_OUT_OF_MEMORY. Thread-safe. */
BERT_API bert_status bert_model_create(const bert_model_params* params, bert_model** out_model);

/** Loads DIR/config.json and DIR/model.safetensors as saved by Hugging Face
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

/** Saves the model into `dir` (created with missing parents) as config.json (architectures
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

/** Writes the model's configuration into *out_params (only the first out_params->struct_size bytes;
 * initialise it with bert_model_params_default()). The strings point into the model and stay valid
 * until bert_model_free(model); `seed` is reported as 0 for a loaded model. Returns
 * BERT_ERR_INVALID_ARGUMENT (NULL argument, struct_size too small). Thread-safe. */
BERT_API bert_status bert_model_config(const bert_model* model, bert_model_params* out_params);

/** Number of distinct parameters (the tied decoder weight counted once), as transformers'
 * model.num_parameters(). Returns BERT_ERR_INVALID_ARGUMENT (NULL argument). Thread-safe. */
BERT_API bert_status bert_model_num_parameters(const bert_model* model, uint64_t* out_count);

/** Releases a model; NULL does nothing. No other thread may be using it. */
BERT_API void bert_model_free(bert_model* model);

/* BERTC-SECTION: model (end) */

/* BERTC-SECTION: fill-mask (begin) */

/* ================================================================================================
 * Fill-mask and sentence scoring (Hugging Face pipeline('fill-mask') semantics)
 * ============================================================================================== */

/** Options of bert_fill_mask(), bert_fill_mask_batch() and bert_score_text(). */
typedef struct bert_fill_mask_params {
  size_t struct_size; /**< sizeof(bert_fill_mask_params); set by bert_fill_mask_params_default() */
  int top_k;                  /**< 5: predictions per [MASK], in [1, vocab_size]; with targets it is
                                 capped at the number of distinct targets (as HF) */
  const char* const* targets; /**< NULL: predict over the whole vocabulary. Otherwise `num_targets`
                                 UTF-8 words to choose from. As HF: a word found verbatim in the
                                 vocabulary is used as is, any other word is tokenized and only its
                                 first piece is used (unless expand_multi_piece_targets); duplicates
                                 merge; words that tokenize to nothing are ignored. Scores remain
                                 probabilities over the whole vocabulary (not renormalised). */
  size_t num_targets;         /**< 0 */
  int expand_multi_piece_targets; /**< 0. Non-zero (beyond HF): a target of k > 1 pieces replaces its
                                 [MASK] by k [MASK]s and the pieces are predicted left to right, each
                                 given the previous ones; its score is the product (a joint
                                 probability). Costs k extra forward passes per mask. */
  int threads;                /**< 0: intra-op threads of LibTorch used by this call. 0 keeps the
                                 current setting (LibTorch's default: all cores). A positive value
                                 applies to the calling thread only, for the duration of the call (it
                                 is LibTorch's OpenMP team size, a per-thread setting), so concurrent
                                 callers do not affect each other; with many concurrent callers, 1 is
                                 usually best. At most 1024. */
} bert_fill_mask_params;

/** Returns the defaults above (struct_size set). Thread-safe. */
BERT_API bert_fill_mask_params bert_fill_mask_params_default(void);

/** Predicts the tokens at every [MASK] (the tokenizer's mask token) of `text` (NUL-terminated UTF-8).
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

/** Like bert_fill_mask() for `num_texts` queries run together as padded batches; query i of the result
 * is texts[i]. Any invalid query fails the whole call (the message names its index). num_texts may
 * be 0. Same statuses and thread-safety as bert_fill_mask(). */
BERT_API bert_status bert_fill_mask_batch(const bert_model* model, const bert_tokenizer* tokenizer,
                                          const char* const* texts, size_t num_texts,
                                          const bert_fill_mask_params* params, bert_fill_mask_result** out_result);

/** One prediction. Strings and arrays are owned by the result and valid until it is freed. */
typedef struct bert_fill_mask_prediction {
  size_t struct_size; /**< set by the caller to sizeof(bert_fill_mask_prediction) */
  double score;             /**< probability (joint probability for an expanded multi-piece target) */
  int32_t token_id;         /**< HF "token": the predicted id (first piece of an expanded target) */
  const char* token;        /**< HF "token_str": the decoded token (the whole word when expanded) */
  const char* sequence;     /**< HF "sequence": the input with this prediction filled in; decoded
                               without special tokens when the text has one [MASK], with them
                               (so the other [MASK]s stay visible) when it has several */
  const int32_t* token_ids; /**< all pieces of the prediction */
  size_t num_token_ids;     /**< 1 unless an expanded multi-piece target */
} bert_fill_mask_prediction;

/** Number of queries in a result (1 for bert_fill_mask()); 0 for NULL. Thread-safe. */
BERT_API size_t bert_fill_mask_result_num_queries(const bert_fill_mask_result* result);

/** Number of [MASK] tokens of query `query`; 0 for NULL or an out-of-range query. Thread-safe. */
BERT_API size_t bert_fill_mask_result_num_masks(const bert_fill_mask_result* result, size_t query);

/** Number of predictions for mask `mask` of query `query` (top_k, or fewer with targets); 0 when out of
 * range. Thread-safe. */
BERT_API size_t bert_fill_mask_result_num_predictions(const bert_fill_mask_result* result, size_t query,
                                                      size_t mask);

/** Copies prediction `rank` (0 = most probable) of mask `mask` of query `query` into *out (only the
 * first out->struct_size bytes; set struct_size = sizeof(bert_fill_mask_prediction)). Returns
 * BERT_ERR_INVALID_ARGUMENT for NULL arguments, an index out of range or a too small struct_size.
 * Thread-safe. */
BERT_API bert_status bert_fill_mask_result_get(const bert_fill_mask_result* result, size_t query, size_t mask,
                                               size_t rank, bert_fill_mask_prediction* out);

/** Releases a result and every string in it; NULL does nothing. */
BERT_API void bert_fill_mask_result_free(bert_fill_mask_result* result);

/** Pseudo-log-likelihood of each of `num_texts` texts (Salazar et al., 2020): every token except
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

/* ================================================================================================
 * Pre-training: MLM trainer (Hugging Face DataCollatorForLanguageModeling + Trainer)
 * ============================================================================================== */

/** How examples are formed from corpus lines. Values are stable. */
typedef enum bert_grouping {
  BERT_GROUPING_TRUNCATE_PAD = 0, /**< one line per example, truncated; batches padded to max_length */
  BERT_GROUPING_CONCAT_CHUNK = 1, /**< lines concatenated, cut into max_length blocks with [CLS]/[SEP] */
  BERT_GROUPING_DYNAMIC = 2,      /**< one line per example; length-bucketed batches padded to the longest */
  BERT_GROUPING_PACKED = 3        /**< consecutive lines packed into one sequence: [CLS] a [SEP] b [SEP] */
} bert_grouping;

/** Learning-rate schedule after warmup. Values are stable. */
typedef enum bert_lr_schedule {
  BERT_SCHEDULE_LINEAR = 0,   /**< linear decay to 0 at the last step */
  BERT_SCHEDULE_CONSTANT = 1, /**< constant */
  BERT_SCHEDULE_COSINE = 2    /**< half cosine to 0 */
} bert_lr_schedule;

/** Training options (TrainingArguments). Obtain with bert_trainer_params_default(). */
typedef struct bert_trainer_params {
  size_t struct_size; /**< sizeof(bert_trainer_params); set by bert_trainer_params_default() */
  const char* output_dir;      /**< NULL: checkpoints/log/final model: OUTPUT_DIR/checkpoint-STEP/,
                                  train_log.jsonl, config.json + model.safetensors + tokenizer files.
                                  Required unless save_steps == 0 and save_final_model == 0. */
  /** Data. */
  int max_length;              /**< 128: tokens per example incl. [CLS]/[SEP]; <= max_position_embeddings */
  bert_grouping grouping;      /**< BERT_GROUPING_DYNAMIC */
  double mlm_probability;      /**< 0.15, in (0, 1) */
  int whole_word_mask;         /**< 0: mask whole words ("##" pieces with their word) when non-zero */
  int at_least_one_mask;       /**< 1: every example gets at least one masked token */
  int masked_only_logits;      /**< 1: run the MLM head only on masked positions (same loss, faster) */
  int pad_to_max_length;       /**< 0: pad every batch to max_length (truncate_pad always does) */
  double eval_split;           /**< 0.1: fraction of the training lines held out for evaluation when no
                                  eval data is given (seeded split); 0 = no evaluation */
  const char* cache_dir;       /**< NULL: the encoded-dataset cache lives next to the first data file */
  int use_cache;               /**< 1: reuse/write the encoded-dataset cache (FILE.HASH.bertc-tok) */
  /** Batches. */
  int batch_size;              /**< 8: examples per micro-batch */
  int eval_batch_size;         /**< 0: same as batch_size */
  int grad_accum;              /**< 1: micro-batches per optimizer step */
  /** Optimization (AdamW, torch.optim.AdamW math; no decay on biases and LayerNorm weights). */
  double learning_rate;        /**< 5e-5 */
  double weight_decay;         /**< 0.01 */
  double adam_beta1;           /**< 0.9 */
  double adam_beta2;           /**< 0.999 */
  double adam_epsilon;         /**< 1e-8 */
  double max_grad_norm;        /**< 1.0; <= 0 disables clipping */
  bert_lr_schedule schedule;   /**< BERT_SCHEDULE_LINEAR */
  int64_t warmup_steps;        /**< 0 */
  double warmup_ratio;         /**< 0: used when warmup_steps == 0, as a share of the total steps */
  int64_t max_steps;           /**< 0: > 0 overrides num_epochs */
  double num_epochs;           /**< 3.0 */
  /** Cadence (0 = never). */
  int64_t logging_steps;       /**< 50 */
  int64_t eval_steps;          /**< 0 */
  int64_t save_steps;          /**< 0 */
  int save_total_limit;        /**< 0 = keep all; never deletes the best or the newest checkpoint */
  int load_best_model_at_end;  /**< 0: reload the checkpoint with the lowest eval loss at the end
                                  (needs eval_steps > 0 and save_steps a multiple of it) */
  int save_final_model;        /**< 1: bert_trainer_train() saves the final model into output_dir */
  /** Environment. */
  uint64_t seed;               /**< 42: data order, masks, dropout, eval split */
  int threads;                 /**< 0 = all cores: intra-op threads (process-wide in LibTorch); at most 1024 */
  const char* device;          /**< "cpu"; "cuda"/"cuda:N" only with a CUDA LibTorch build */
  const char* log_file;        /**< NULL: OUTPUT_DIR/train_log.jsonl */
} bert_trainer_params;

/** Returns the defaults above (struct_size set). Thread-safe. */
BERT_API bert_trainer_params bert_trainer_params_default(void);

/** Training or evaluation data: either files or token ids in memory (set exactly one).
 * Files: plain text (one example per line) or, with jsonl_field, JSON Lines with that string field.
 * Blank lines are skipped. The files are tokenized once (in parallel) and cached.
 * Memory: num_sequences sequences of word-piece ids WITHOUT [CLS]/[SEP]; sequence i is
 * token_ids[offsets[i] .. offsets[i+1]) (offsets has num_sequences + 1 entries, offsets[0] == 0).
 * The arrays are copied; the caller keeps ownership. */
typedef struct bert_trainer_data {
  size_t struct_size;          /**< sizeof(bert_trainer_data) */
  const char* const* files; /**< text or JSONL files; NULL when token_ids is used */
  size_t num_files; /**< number of entries in files */
  const char* jsonl_field;     /**< NULL or "": plain text */
  const int32_t* token_ids; /**< in-memory word-piece ids of all sequences, back to back */
  const size_t* offsets; /**< num_sequences + 1 boundaries into token_ids */
  size_t num_sequences; /**< number of in-memory sequences */
} bert_trainer_data;

/** One optimizer step's outcome. */
typedef struct bert_trainer_step_result {
  size_t struct_size;          /**< set by the caller to sizeof(bert_trainer_step_result) */
  int64_t step;                /**< global step after the update (1-based) */
  int64_t total_steps; /**< steps the run will take in all */
  double loss;                 /**< mean MLM loss of the step's micro-batches */
  double learning_rate;        /**< the rate used by this update */
  double grad_norm;            /**< total L2 norm before clipping */
  double epoch;                /**< fractional epoch after the step */
  int64_t tokens;              /**< non-padding tokens processed */
  int64_t masked_tokens;       /**< predicted positions */
} bert_trainer_step_result;

/** Result of bert_trainer_evaluate(). */
typedef struct bert_trainer_eval_result {
  size_t struct_size;          /**< set by the caller to sizeof(bert_trainer_eval_result) */
  double loss;                 /**< mean cross-entropy over all masked eval tokens */
  double perplexity;           /**< exp(loss) */
  double accuracy;             /**< share of masked tokens whose argmax prediction is right */
  int64_t masked_tokens; /**< masked tokens scored */
  int64_t examples; /**< eval examples */
} bert_trainer_eval_result;

/** State of a trainer, from bert_trainer_get_info(). */
typedef struct bert_trainer_info {
  size_t struct_size;          /**< set by the caller to sizeof(bert_trainer_info) */
  int64_t global_step; /**< optimizer steps taken so far */
  int64_t total_steps; /**< steps the run will take in all */
  double epoch; /**< fractional epoch reached */
  int64_t train_examples;      /**< after grouping (0 without training data) */
  int64_t eval_examples; /**< evaluation examples after grouping */
  int64_t train_tokens;        /**< real tokens in the training examples, incl. [CLS]/[SEP] */
  double train_padding_share;  /**< share of padding tokens in one epoch of training batches */
  double best_metric;          /**< lowest eval loss at a checkpoint, NaN when none */
  const char* best_checkpoint; /**< "" when none; valid until the next call on this trainer */
  int cache_hit;               /**< 1 when the training data came from the encoded-dataset cache */
} bert_trainer_info;

/** Creates a trainer for `model` (trained in place: after training the same handle holds the new
 * weights) with `tokenizer` (its vocabulary size must equal the model's). `train` may be NULL for a
 * trainer fed only through bert_trainer_step_batch(); `eval` NULL means: hold out eval_split of the
 * training lines (or no evaluation when eval_split is 0). Tokenizes file data (with cache), builds
 * the examples, validates everything, and creates output_dir. Takes no ownership: `model` and
 * `tokenizer` must outlive the trainer. On success *out owns the trainer (bert_trainer_free()).
 * The call may leave a warning in bert_last_error() (e.g. the dataset cache could not be written).
 * Returns BERT_ERR_INVALID_ARGUMENT (NULL model/tokenizer/out; both or neither of files/token ids;
 * token id outside the vocabulary; empty dataset after filtering; batch_size larger than the
 * training set; mlm_probability outside (0, 1); max_length > max_position_embeddings or < 3; other
 * out-of-range option; vocab size mismatch; eval_steps without eval data), BERT_ERR_IO (a data file
 * missing or unreadable; output_dir cannot be created or written), BERT_ERR_FORMAT (bad JSONL line),
 * BERT_ERR_INVALID_UTF8 (a data line is not UTF-8), BERT_ERR_UNSUPPORTED (device "cuda" in a
 * build without CUDA; struct_size from a newer header), BERT_ERR_OUT_OF_MEMORY.
 * Thread-safe (different trainers), but see `threads`. */
BERT_API bert_status bert_trainer_create(bert_model* model, const bert_tokenizer* tokenizer,
                                         const bert_trainer_data* train, const bert_trainer_data* eval,
                                         const bert_trainer_params* params, bert_trainer** out);

/** Runs one optimizer step (grad_accum micro-batches of the training data), then logs / evaluates /
 * checkpoints when this step hits logging_steps / eval_steps / save_steps; `progress` (may be NULL)
 * receives those events. Steps beyond total_steps are allowed (the schedule stays at its end value).
 * `out` may be NULL. Returns BERT_ERR_INVALID_ARGUMENT (NULL trainer; no training data; out->struct_size
 * not set; called from a progress callback of a trainer call on the same model),
 * BERT_ERR_CANCELLED (the callback returned non-zero: the step itself is complete and counted),
 * BERT_ERR_IO (log or checkpoint write failed; the previous checkpoint is intact),
 * BERT_ERR_OUT_OF_MEMORY. Not thread-safe for one trainer; holds the model exclusively. */
BERT_API bert_status bert_trainer_step(bert_trainer* trainer, bert_progress_fn progress, void* user_data,
                                       bert_trainer_step_result* out);

/** One optimizer step on a batch from memory: rows x cols row-major token ids that already contain
 * [CLS]/[SEP] and padding ([PAD] id). attention_mask NULL means "not [PAD]". labels NULL means the
 * trainer masks the batch with its MLM collator; otherwise labels hold the target id at predicted
 * positions and -100 elsewhere (input_ids then already carry [MASK] where wanted). No accumulation,
 * no logging cadence. `out` may be NULL. Returns BERT_ERR_INVALID_ARGUMENT (NULL trainer/input_ids,
 * rows or cols 0, cols > max_length, id or label outside the vocabulary), BERT_ERR_OUT_OF_MEMORY.
 * Not thread-safe for one trainer. */
BERT_API bert_status bert_trainer_step_batch(bert_trainer* trainer, const int32_t* input_ids,
                                             const int32_t* attention_mask, const int32_t* labels, size_t rows,
                                             size_t cols, bert_trainer_step_result* out);

/** Trains until total_steps (max_steps, or num_epochs over the training data), calling `progress`
 * (may be NULL) for every logged step, evaluation and checkpoint; then reloads the best checkpoint
 * (load_best_model_at_end) and saves the final model + tokenizer + trainer_state.json into
 * output_dir (save_final_model), loadable by bert_model_load() and transformers' from_pretrained.
 * Continues from the current step (e.g. after bert_trainer_resume()). Returns like
 * bert_trainer_step(); on BERT_ERR_CANCELLED the trainer stays usable (call again to continue). */
BERT_API bert_status bert_trainer_train(bert_trainer* trainer, bert_progress_fn progress, void* user_data);

/** Evaluates on the eval data without dropout and with fixed masks (the same masked positions every
 * time, so results are comparable across calls); does not change the training trajectory.
 * `out` may be NULL. Returns BERT_ERR_INVALID_ARGUMENT (NULL trainer, no eval data),
 * BERT_ERR_OUT_OF_MEMORY. Not thread-safe for one trainer. */
BERT_API bert_status bert_trainer_evaluate(bert_trainer* trainer, bert_trainer_eval_result* out);

/** Writes OUTPUT_DIR/checkpoint-STEP/ now: model.safetensors + config.json + tokenizer files +
 * optimizer.safetensors + scheduler.json + rng_state.safetensors + trainer_state.json (data
 * position, log history, best metric). Written into a temporary directory, fsynced and renamed, so
 * an interrupted or failed save (crash, disk full) leaves the previous checkpoints intact; then
 * rotates to save_total_limit. *out_path (may be NULL) receives the directory, valid until the next
 * call on this trainer. Returns BERT_ERR_INVALID_ARGUMENT (NULL trainer, no output_dir), BERT_ERR_IO
 * (write failed), BERT_ERR_OUT_OF_MEMORY. Not thread-safe for one trainer. */
BERT_API bert_status bert_trainer_save_checkpoint(bert_trainer* trainer, const char** out_path);

/** Restores model weights, optimizer, scheduler, RNG state and data position from `checkpoint` (a
 * checkpoint directory; NULL or "" = the newest complete one in output_dir). Training then continues
 * bit-identically to an uninterrupted run with the same seed, data and thread count (a different
 * thread count resumes with a warning in bert_last_error()). Returns BERT_ERR_INVALID_ARGUMENT (NULL
 * trainer; the checkpoint's model config, seed, batch size, grad_accum, grouping, max_length, mlm
 * settings or training data differ from this trainer's — the message names the field), BERT_ERR_IO
 * (no checkpoint found, files missing), BERT_ERR_FORMAT (corrupt checkpoint files),
 * BERT_ERR_OUT_OF_MEMORY. Not thread-safe for one trainer; holds the model exclusively. */
BERT_API bert_status bert_trainer_resume(bert_trainer* trainer, const char* checkpoint);

/** Fills *out (only out->struct_size bytes) with the trainer's position and data statistics.
 * Returns BERT_ERR_INVALID_ARGUMENT (NULL argument, struct_size too small). Not thread-safe for one
 * trainer. */
BERT_API bert_status bert_trainer_get_info(bert_trainer* trainer, bert_trainer_info* out);

/** Releases a trainer (the model and tokenizer stay with their owners); NULL does nothing. */
BERT_API void bert_trainer_free(bert_trainer* trainer);

/* BERTC-SECTION: trainer (end) */

#ifdef __cplusplus
} /**< extern "C" */
#endif

#endif /**< BERTC_H_ */
