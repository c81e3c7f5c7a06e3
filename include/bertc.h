/**
 * @file bertc.h
 * @brief bertc — the public C API (ABI 1).
 *
 * bertc — BERT WordPiece tokenizer, masked-language-model pre-training, fill-mask, and fine-tuning for
 * sequence and token classification, behind one C ABI.
 *
 * This header is the whole public surface (C11; usable from C++ too). It is a contract meant to last:
 * the rules below hold for every function unless its comment says otherwise, and they are what lets
 * the library grow without breaking programs and bindings built against an older header.
 *
 * ## Versions and growth
 *  - The shared library is `libbertc.so.1` (SONAME = ABI major 1). Within ABI 1 nothing is ever
 *    removed, renumbered or changed in type; new functions, new enum values and new struct fields are
 *    only appended. BERTC_VERSION_MINOR counts those additions. A break would be ABI 2 / libbertc.so.2.
 *    What each minor version added is marked "(1.1)" etc. at the declaration; unmarked is 1.0.
 *  - Call bert_check_version(BERTC_VERSION_NUMBER) once at start-up: it refuses a library older than
 *    the header (functions the header declares may be missing) or of another major version.
 *
 * ## Another Torch in the same process
 *  bertc runs on LibTorch. A process may already carry another Torch (a Python program that imports
 *  PyPI's torch, a C++ engine linked with its own LibTorch); two Torch builds in one process normally
 *  crash it. A libbertc built with BERTC_ISOLATE_TORCH (the default of a source build) is a small
 *  front library that loads the implementation (libbertc-impl.so.1) on the first call, and the
 *  implementation runs on private copies of its LibTorch (bertc-torch/ next to it): it works beside any
 *  other Torch, loaded before or after it. When that cannot work (the copies are missing — e.g. the
 *  Debian package, which uses Debian's LibTorch — and another Torch is loaded; or the implementation
 *  cannot be loaded), every call returns BERT_ERR_UNSUPPORTED, starting with bert_check_version(),
 *  and bert_last_error() names both Torch versions and what to do; the process is never killed.
 *  bert_version(), bert_version_number(), bert_status_str() and bert_last_error() keep working then;
 *  bert_build_info() returns "{}". Environment (tests, unusual layouts): BERTC_IMPL_LIBRARY (path of
 *  the implementation), BERTC_TORCH_DIR (where its copies are), BERTC_FRONT_DEBUG=1 (prints what was
 *  found). A Debian-packaged libbertc refuses to start after another Torch, and a Torch imported after
 *  it would crash the process: the Python SDK refuses such an `import torch` with an ImportError.
 *  - Every params struct (input options) starts with `size_t struct_size` and is initialised by its
 *    library call `bert_X_params_init(&p, sizeof p)` — or the `BERT_X_PARAMS_INIT(&p)` macro, which
 *    passes sizeof for you — never by copying a struct returned by value. The library writes defaults
 *    into exactly struct_size bytes, so a struct from an older header (smaller) gets the defaults
 *    its fields had, and fields appended since keep their defaults inside the library.
 *  - Every result struct (filled by the library) also starts with `size_t struct_size`, which the
 *    caller sets to sizeof the struct (`bert_trainer_info info = {.struct_size = sizeof info};`);
 *    the library writes at most struct_size bytes and leaves the struct_size field as it was.
 *  - bert_event (library to callback) carries the library's own sizeof in struct_size: read a field
 *    only when `offsetof(bert_event, field) < event->struct_size`.
 *  - A struct_size smaller than the struct had in ABI 1.0 gives BERT_ERR_INVALID_ARGUMENT; one larger
 *    than the loaded library knows (a program built against a newer header, run on an older library)
 *    gives BERT_ERR_UNSUPPORTED with a message naming both sizes. Passing NULL for a params pointer
 *    means "all defaults".
 *
 * ## Errors
 *  - Every fallible function returns a bert_status; BERT_OK (0) means success. Results go to
 *    out-parameters, which are left untouched on failure. No C++ exception, abort() or exit() ever
 *    crosses this boundary; out-of-memory is BERT_ERR_OUT_OF_MEMORY.
 *  - Every function that returns bert_status sets the calling OS thread's message before it returns:
 *    the error text on failure ("function: what went wrong"), a warning or "" on success. Calls made
 *    from inside a progress callback do not change the message the outer call leaves. Functions that
 *    return anything else (accessors, *_free, bert_status_str, bert_version*, bert_last_error) never
 *    touch it; bert_clear_error() empties it. Read it with bert_last_error().
 *  - Bindings whose runtime may move a task between OS threads between two foreign calls (Go
 *    goroutines, async tasks in C#, Java virtual threads) must read bert_last_error() on the same OS
 *    thread as the failed call, with no other bertc call between: either pin the thread around the
 *    pair (Go: runtime.LockOSThread, as sdk/go does) or compile a C shim that makes both calls.
 *    Synchronous bindings (C, C++, Rust, Python ctypes) just read it after the call.
 *
 * ## Types
 *  - Sizes, lengths, counts and indices of things in memory are size_t. Steps and running totals
 *    (optimizer steps, tokens processed, bytes read) are uint64_t. Token ids are int32_t. Flags are
 *    `int` with 0 = off and 1 = on (any non-zero is on). Enumerations are int32_t typedefs with named
 *    constants (e.g. ::bert_grouping); an unknown value gives BERT_ERR_INVALID_ARGUMENT.
 *
 * ## Strings and memory
 *  - Strings are UTF-8. Every user text input (text to encode, score or fill, training lines, tokens,
 *    targets) is a pointer plus a byte length (a NULL lengths array means "NUL-terminated"), so the
 *    text may come from any language's string type without a copy. File paths and the short names in
 *    params structs (special tokens, device, activation names) are NUL-terminated.
 *  - Every `const char*` and array in a params struct is read and copied during the call that takes
 *    the struct; it need not outlive that call. The one exception is a callback's user_data pointer,
 *    which is passed back unchanged while the call runs.
 *  - Memory the library returns is owned by the library: strings and arrays inside a handle or result
 *    are valid until that handle/result is freed (or as documented); buffers handed over to the caller
 *    (bert_tokenizer_decode, bert_tokenizer_save_to_memory) are released with bert_string_free().
 *  - Tokenizers and models load from files or from memory (bert_tokenizer_load_from_memory,
 *    bert_model_load_from_memory), with the same validation and statuses: nothing in a file or buffer
 *    is trusted. A model may borrow the caller's weights buffer without copying it
 *    (BERT_MODEL_LOAD_BORROW): the buffer must then outlive the model and stay unchanged.
 *  - Sizes no allocation can satisfy (e.g. SIZE_MAX) give BERT_ERR_OUT_OF_MEMORY, never a crash; a
 *    host may set tighter limits on untrusted input with bert_set_limits() (BERT_ERR_LIMIT).
 *
 * ## Handles and threads
 *  - Objects are opaque (bert_tokenizer, bert_model, ...). Whoever creates one owns it and releases
 *    it with the matching *_free(), which accepts NULL and does nothing then. A handle must not be
 *    freed while another thread uses it. Functions marked "thread-safe" may run concurrently.
 *  - A `threads` field applies to that call only: bertc sets the calling thread's intra-op team size
 *    (LibTorch's OpenMP setting, which BLAS follows) for the duration of the call and restores it
 *    afterwards. It never calls at::set_num_threads or changes any other process-wide LibTorch state
 *    (thread counts, default random generator), so one thread may train with 1 thread while others
 *    serve fill-mask with 4, and a host's own LibTorch settings are untouched. 0 means the library's
 *    default (OMP_NUM_THREADS when set; else the cores of the process's affinity set that other
 *    processes leave free, re-measured at most every 0.25 s: all cores on an idle machine, fewer on a
 *    busy one; BERTC_THREADS=all: always all cores); at most 1024. Training's floating-point results
 *    depend on the thread count (the order of some sums), so a run that must be bit-reproducible
 *    (same seed, same bits) sets `threads` explicitly rather than taking the load-dependent default.
 *    What cannot be isolated: OpenBLAS keeps one process-wide thread
 *    count that it re-reads from the calling thread at each BLAS call, so concurrent calls with
 *    different `threads` may briefly share BLAS helper threads; results do not depend on it.
 *  - Long calls take a ::bert_progress_fn; returning non-zero from it cancels the call cleanly with
 *    BERT_ERR_CANCELLED (no partial results, no half-written files). Bindings whose callbacks cannot
 *    take `const` pointers (Go's exported functions) pass a small C trampoline with this signature
 *    that forwards to their own function, with a handle to the closure in user_data (see sdk/go).
 */
#ifndef BERTC_H_
#define BERTC_H_

#include <stddef.h>
#include <stdint.h>

/** Major version of this header: the ABI (SONAME libbertc.so.MAJOR). */
#define BERTC_VERSION_MAJOR 1
/** Minor version of this header: functions, enum values and struct fields added compatibly. */
#define BERTC_VERSION_MINOR 3
/** Patch version of this header: fixes only. */
#define BERTC_VERSION_PATCH 0
/** Header version as one number, MAJOR*10000 + MINOR*100 + PATCH (compare bert_version_number()). */
#define BERTC_VERSION_NUMBER (BERTC_VERSION_MAJOR * 10000 + BERTC_VERSION_MINOR * 100 + BERTC_VERSION_PATCH)
/** @cond INTERNAL */
#define BERTC_STRINGIFY_(x) #x
#define BERTC_STRINGIFY(x) BERTC_STRINGIFY_(x)
/** @endcond */
/** Header version as a string, e.g. "1.0.0". */
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

/** Result of every fallible call: one of the ::bert_status_code values. */
typedef int32_t bert_status;

/** Values of ::bert_status. Stable: never renumbered; new codes are appended. */
enum bert_status_code {
  BERT_OK = 0,
  BERT_ERR_INVALID_ARGUMENT = 1, /**< NULL where a value is required, out-of-range number, bad option */
  BERT_ERR_IO = 2,               /**< file missing, unreadable, unwritable, disk full */
  BERT_ERR_FORMAT = 3,           /**< corrupt or unexpected content (vocab, JSON, safetensors) */
  BERT_ERR_INVALID_UTF8 = 4,     /**< input text is not valid UTF-8 (message gives the byte offset) */
  BERT_ERR_OUT_OF_MEMORY = 5,    /**< an allocation failed */
  BERT_ERR_CANCELLED = 6,        /**< a progress callback returned non-zero */
  BERT_ERR_UNSUPPORTED = 7,      /**< valid request this build, library version or file version cannot do */
  BERT_ERR_INTERNAL = 8,         /**< a bug in bertc; the message says where */
  BERT_ERR_LIMIT = 9             /**< input exceeds a limit of bert_set_limits() (message names it) */
};

/** Returns a static, human-readable name for `status` (e.g. "invalid argument"); unknown values give
 * "unknown status". Never NULL. Thread-safe. */
BERT_API const char* bert_status_str(bert_status status);

/** Returns the calling thread's message from its most recent call that returned a bert_status: the
 * error text when that call failed, a warning when it succeeded with one (e.g. a model loaded without
 * an MLM head), or "" otherwise. Never NULL. The string is owned by the library and valid until the
 * next bertc call on the same thread. Thread-safe (each OS thread has its own; see "Errors" above). */
BERT_API const char* bert_last_error(void);

/** Empties the calling thread's message. Thread-safe. */
BERT_API void bert_clear_error(void);

/** Version of the loaded library, e.g. "1.0.0". Static string, never NULL. Thread-safe. */
BERT_API const char* bert_version(void);

/** Version of the loaded library as MAJOR*10000 + MINOR*100 + PATCH; compare with
 * BERTC_VERSION_NUMBER to detect a header/library mismatch. Thread-safe. */
BERT_API unsigned bert_version_number(void);

/** Describes this build and how it runs on this machine, as one JSON object: {"version", "abi",
 * "libtorch", "compiler", "blas": {"library", "kernel", "chosen_by", "generic"}, "gemm": {"dense",
 * "isa"}, "cpu": {"model", "isa"}, "default_threads"}. "gemm.dense" names what runs the GEMMs of the
 * dense layers (training and inference): "oneDNN X.Y.Z", which picks its kernels from the CPU's
 * instruction set at run time ("gemm.isa", e.g. "avx512_core", "avx2"), or "LibTorch BLAS (...)"
 * when the library was built without oneDNN or BERTC_GEMM=blas is set in the environment. "kernel"
 * is the GEMM kernel set LibTorch's BLAS runs (attention and everything else); when OpenBLAS picked
 * kernels below the CPU's instruction set (a CPU newer than the OpenBLAS release), bertc selects the
 * right ones when the library loads and "chosen_by" says so; "generic": true means slow kernels are
 * still in use (e.g. OPENBLAS_CORETYPE forced them). Static string, never NULL. Thread-safe. */
BERT_API const char* bert_build_info(void);

/** Checks that the loaded library can serve a caller compiled against header version `expected`
 * (pass BERTC_VERSION_NUMBER). Returns BERT_OK when the major versions match and the library's
 * minor version is at least the header's; otherwise BERT_ERR_UNSUPPORTED with a message naming
 * both versions. Bindings call this once at load time. Thread-safe. */
BERT_API bert_status bert_check_version(unsigned expected);

/* ================================================================================================
 * Limits on untrusted input
 * ============================================================================================== */

/** Process-wide limits on what input may make bertc do, for hosts that feed it text and files they
 * did not write. The defaults are generous (nothing a real text, vocabulary or model reaches); an
 * input beyond a limit fails with BERT_ERR_LIMIT (the message names the limit) before anything
 * proportional to it is allocated. 0 is not "unlimited": it refuses every non-empty input.
 * Whatever the limits, bertc's work is bounded per input byte: encode, decode, load and save are
 * O(n log n) or better in their input size, and loading a model allocates no more than its weights
 * file holds (config.json is checked against the safetensors header first). */
typedef struct bert_limits {
  size_t struct_size;       /**< set by bert_limits_init() */
  uint64_t max_text_bytes;  /**< one text to encode, fill or score, one training line or corpus line;
                                 default 2^30 (1 GiB) */
  uint64_t max_vocab_size;  /**< ids of a loaded or trained vocabulary; default 2^24 */
  uint64_t max_token_bytes; /**< bytes of one vocabulary token on load; default 65536 */
  uint64_t max_model_bytes; /**< float32 parameter bytes of a created or loaded model; default 2^40 */
} bert_limits;

/** Writes the limits now in force into *limits (see bert_tokenizer_params_init() for struct_size and
 * the statuses). Thread-safe. */
BERT_API bert_status bert_limits_init(bert_limits* limits, size_t struct_size);
/** bert_limits_init() with the caller's sizeof. */
#define BERT_LIMITS_INIT(limits) bert_limits_init((limits), sizeof *(limits))

/** Sets the limits for every later call in the process (calls already running keep theirs).
 * Typical use: BERT_LIMITS_INIT(&l); l.max_text_bytes = 1 << 20; bert_set_limits(&l);
 * Returns BERT_ERR_INVALID_ARGUMENT (NULL, struct_size too small), BERT_ERR_UNSUPPORTED (struct_size
 * from a newer header). Thread-safe. */
BERT_API bert_status bert_set_limits(const bert_limits* limits);

/* ================================================================================================
 * Progress and cancellation
 * ============================================================================================== */

/** What a progress event reports: one of the ::bert_event_kind_value values. */
typedef int32_t bert_event_kind;

/** Values of ::bert_event_kind. Stable; new kinds are appended (ignore kinds you do not know). */
enum bert_event_kind_value {
  BERT_EVENT_TOKENIZER_COUNT = 1, /**< word counting: current/total = bytes read of all input */
  BERT_EVENT_TOKENIZER_MERGE = 2, /**< vocabulary building: current/total = vocabulary size */
  BERT_EVENT_ENCODE = 3,          /**< reserved for dataset-encoding progress (not sent by ABI 1.0 calls) */
  BERT_EVENT_TRAIN_STEP = 4,      /**< a logged optimizer step (loss, learning_rate, grad_norm, ...) */
  BERT_EVENT_EVAL = 5,            /**< an evaluation finished (eval_loss, perplexity, accuracy, f1) */
  BERT_EVENT_CHECKPOINT = 6       /**< a checkpoint was written to `path` */
};

/** One progress report, sent by the library. Fields that do not apply to `kind` are 0 (numbers) or
 * NULL (strings). The struct and its strings are valid only during the callback. Fields appended in
 * later versions exist when `offsetof(bert_event, field) < struct_size`. */
typedef struct bert_event {
  size_t struct_size;       /**< sizeof(bert_event) of the library that sent it */
  bert_event_kind kind;     /**< what happened */
  uint64_t current;         /**< progress so far (unit depends on kind; for TRAIN_STEP: the global step) */
  uint64_t total;           /**< expected end of `current`, or 0 when unknown */
  double elapsed_seconds;   /**< wall time since the call started */
  double loss;              /**< TRAIN_STEP: mean training loss of the logged steps */
  double learning_rate;     /**< TRAIN_STEP: learning rate of the last step */
  double grad_norm;         /**< TRAIN_STEP: gradient L2 norm before clipping */
  double tokens_per_second; /**< TRAIN_STEP: non-padding tokens per second */
  double eval_loss;         /**< EVAL: mean masked-token cross-entropy */
  double eval_perplexity;   /**< EVAL: exp(eval_loss) */
  double eval_accuracy;     /**< EVAL: share of masked tokens predicted right */
  double epoch;             /**< TRAIN_STEP/EVAL: fractional epoch */
  const char* path;         /**< CHECKPOINT: the directory written */
  const char* message;      /**< optional human-readable text */
  double eval_f1;           /**< (1.1) EVAL of a classifier: macro-F1 over the labels; NaN for MLM */
} bert_event;

/** Progress callback: called on the thread that made the long-running call (never concurrently for
 * one call). Return 0 to continue, non-zero to cancel; the call then returns BERT_ERR_CANCELLED.
 * A trainer's callback may read the model being trained (bert_fill_mask, bert_score_text,
 * bert_model_save, bert_model_config, bert_trainer_get_info) on the callback's own thread; a call that
 * would change that model (another bert_trainer_step/train/evaluate/resume/create on it) returns
 * BERT_ERR_INVALID_ARGUMENT. The trainer holds the model exclusively while its call runs: other
 * threads' reads of that model wait until the call returns (a callback must not wait for them).
 * Calls made from the callback do not change the message the outer call leaves in bert_last_error(). */
typedef int (*bert_progress_fn)(void* user_data, const bert_event* event);

/* ================================================================================================
 * Handles
 * ============================================================================================== */

typedef struct bert_tokenizer bert_tokenizer;               /**< a WordPiece tokenizer (vocab + normalization) */
typedef struct bert_encoding bert_encoding;                 /**< the result of encoding one or more inputs */
typedef struct bert_model bert_model;                       /**< a BERT model with its head (::bert_task) */
typedef struct bert_fill_mask_result bert_fill_mask_result; /**< fill-mask predictions */
typedef struct bert_trainer bert_trainer;                   /**< a pre-training or fine-tuning run */
typedef struct bert_classify_result bert_classify_result;   /**< (1.1) sequence classification results */
typedef struct bert_tag_result bert_tag_result;             /**< (1.1) token classification results */

/** Releases a string or buffer the library handed over (bert_tokenizer_decode,
 * bert_tokenizer_decode_batch, bert_tokenizer_save_to_memory). NULL is a no-op. Thread-safe. */
BERT_API void bert_string_free(char* str);

/* BERTC-SECTION: tokenizer (begin) */
/* ================================================================================================
 * WordPiece tokenizer (Hugging Face BertWordPieceTokenizer / BertTokenizerFast compatible)
 *
 * A bert_tokenizer is immutable once created: every function taking a `const bert_tokenizer*` is
 * thread-safe and may run concurrently on one handle (encode from many threads at once).
 * ============================================================================================== */

/** Vocabulary-building algorithm of bert_tokenizer_train: one of ::bert_tokenizer_algorithm_value. */
typedef int32_t bert_tokenizer_algorithm;

/** Values of ::bert_tokenizer_algorithm. */
enum bert_tokenizer_algorithm_value {
  /** HF WordPieceTrainer semantics (pair-frequency merges with "##"), deterministic tie-break:
   * equal frequencies merge the pair with the smaller (left id, right id). Default. */
  BERT_TOKENIZER_ALGO_HF = 0,
  /** Merge the pair maximizing freq(ab) / (freq(a) * freq(b)) (the WordPiece likelihood criterion). */
  BERT_TOKENIZER_ALGO_LIKELIHOOD = 1
};

/** Accent stripping of the normalizer: one of ::bert_strip_accents_value. */
typedef int32_t bert_strip_accents;

/** Values of ::bert_strip_accents. */
enum bert_strip_accents_value {
  BERT_STRIP_ACCENTS_AUTO = 0,  /**< strip when lowercasing (HF strip_accents=None); default */
  BERT_STRIP_ACCENTS_KEEP = 1,  /**< never strip (HF strip_accents=False) */
  BERT_STRIP_ACCENTS_STRIP = 2  /**< always strip (HF strip_accents=True) */
};

/** Training and normalization options. Initialise with BERT_TOKENIZER_PARAMS_INIT(&p). */
typedef struct bert_tokenizer_params {
  size_t struct_size;           /**< set by bert_tokenizer_params_init() */
  size_t vocab_size;            /**< target vocabulary size incl. special tokens; default 30522 */
  uint64_t min_frequency;       /**< pairs rarer than this are never merged; default 2 */
  size_t limit_alphabet;        /**< keep at most this many distinct characters (0 = all); default 1000 */
  const char* initial_alphabet; /**< UTF-8 characters always kept in the alphabet; NULL = none. Copied. */
  const char* const* special_tokens; /**< NULL = "[PAD]" "[UNK]" "[CLS]" "[SEP]" "[MASK]"; ids 0.. in
                                          order. Array and strings copied during the call. */
  size_t num_special_tokens;    /**< number of entries in special_tokens */
  const char* unk_token;        /**< unknown-word role; NULL = "[UNK]"; must be among special_tokens. Copied. */
  const char* cls_token;        /**< classifier role; NULL = "[CLS]"; must be among special_tokens. Copied. */
  const char* sep_token;        /**< separator role; NULL = "[SEP]"; must be among special_tokens. Copied. */
  const char* pad_token;        /**< padding role; NULL = "[PAD]". Copied. */
  const char* mask_token;       /**< mask role; NULL = "[MASK]". Copied. */
  int lowercase;                /**< flag; default 1 */
  bert_strip_accents strip_accents; /**< default BERT_STRIP_ACCENTS_AUTO */
  int clean_text;               /**< flag: drop control chars, map whitespace to ' '; default 1 */
  int handle_chinese_chars;     /**< flag: space around CJK ideographs; default 1 */
  bert_tokenizer_algorithm algorithm; /**< default BERT_TOKENIZER_ALGO_HF */
  size_t threads;               /**< word-counting threads; 0 = all cores (the result does not depend on it) */
  size_t model_max_length;      /**< written to tokenizer_config.json/config.json; default 512 */
  bert_progress_fn progress;    /**< optional: BERT_EVENT_TOKENIZER_COUNT then BERT_EVENT_TOKENIZER_MERGE */
  void* progress_user_data;     /**< passed to progress unchanged */
} bert_tokenizer_params;

/** Writes the defaults above into the first `struct_size` bytes of *params and sets
 * params->struct_size. Returns BERT_ERR_INVALID_ARGUMENT (NULL params, struct_size smaller than ABI
 * 1.0's struct), BERT_ERR_UNSUPPORTED (struct_size larger than this library's: newer header; nothing
 * is written). Thread-safe. */
BERT_API bert_status bert_tokenizer_params_init(bert_tokenizer_params* params, size_t struct_size);
/** bert_tokenizer_params_init() with the caller's sizeof. */
#define BERT_TOKENIZER_PARAMS_INIT(params) bert_tokenizer_params_init((params), sizeof *(params))

/** Trains a tokenizer on text files (one sentence or document per line, UTF-8), streaming them.
 * `files` holds `num_files` NUL-terminated paths. On success *out receives a new tokenizer the caller
 * frees with bert_tokenizer_free(). `params` may be NULL (defaults). Thread-safe (independent calls).
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL files/out, num_files 0, empty corpus, vocab_size
 * smaller than special tokens + alphabet, duplicate or missing special tokens, unknown enum value);
 * BERT_ERR_IO (missing/unreadable file); BERT_ERR_INVALID_UTF8 (message gives file, line and byte
 * offset); BERT_ERR_CANCELLED (progress callback returned non-zero); BERT_ERR_UNSUPPORTED (params
 * from a newer header); BERT_ERR_OUT_OF_MEMORY. */
BERT_API bert_status bert_tokenizer_train(const char* const* files, size_t num_files,
                                          const bert_tokenizer_params* params, bert_tokenizer** out);

/** Same as bert_tokenizer_train on `num_lines` in-memory lines. `lengths` gives each line's byte
 * length, or is NULL when every line is NUL-terminated. The lines are not retained after the call.
 * Returns the statuses of bert_tokenizer_train (BERT_ERR_INVALID_UTF8 names the line index). */
BERT_API bert_status bert_tokenizer_train_from_lines(const char* const* lines, const size_t* lengths,
                                                     size_t num_lines, const bert_tokenizer_params* params,
                                                     bert_tokenizer** out);

/** Loads a tokenizer from a directory (tokenizer.json, else vocab.txt, with tokenizer_config.json
 * or the seed's config.json for do_lower_case/model_max_length), a tokenizer.json file (HF schema)
 * or a vocab.txt file (`path` NUL-terminated). *out is freed with bert_tokenizer_free(). A vocab.txt
 * that repeats a line, or an added token that repeats a vocabulary entry under another id, is resolved
 * as Hugging Face does: the token keeps its last id and the earlier id becomes a hole (no token there:
 * bert_tokenizer_id_to_token refuses it, decoding skips it); tokenizer.json leaves holes out of
 * model.vocab, as HF writes it. Whatever bert_tokenizer_save() writes loads back to the same tokenizer
 * (the same id for every token and every text). Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL path/out); BERT_ERR_IO (missing/unreadable);
 * BERT_ERR_FORMAT (corrupt vocab or JSON, missing [UNK]/[CLS]/[SEP]); BERT_ERR_UNSUPPORTED (a
 * tokenizer.json whose pipeline is not BERT WordPiece); BERT_ERR_OUT_OF_MEMORY. */
BERT_API bert_status bert_tokenizer_load(const char* path, bert_tokenizer** out);

/** Loads a tokenizer from memory: `data`/`size` is the content of a tokenizer.json (HF schema; it
 * starts with '{') or of a vocab.txt (one token per line). `config`/`config_size` is optional
 * (NULL/0): the content of a tokenizer_config.json (do_lower_case, strip_accents, model_max_length,
 * special token names), as bert_tokenizer_load() reads it next to the file. Nothing is retained after
 * the call. Same validation, statuses and thread-safety as bert_tokenizer_load() (BERT_ERR_IO never). */
BERT_API bert_status bert_tokenizer_load_from_memory(const char* data, size_t size, const char* config,
                                                     size_t config_size, bert_tokenizer** out);

/** Saves the tokenizer. If `path` ends in ".json" only that tokenizer.json file is written; if it
 * ends in ".txt" only vocab.txt; otherwise `path` is a directory (created if needed) that receives
 * vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json and config.json (the
 * latter unless a model's config.json is already there). Each file is written to a temporary
 * name and renamed: a failed save never leaves a half-written file in place of a good one.
 * Whatever this writes, bert_tokenizer_load() reads back to an identical tokenizer.
 * Thread-safe. Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL); BERT_ERR_IO; BERT_ERR_OUT_OF_MEMORY. */
BERT_API bert_status bert_tokenizer_save(const bert_tokenizer* tokenizer, const char* path);

/** Which file bert_tokenizer_save_to_memory() produces: one of ::bert_tokenizer_file_value. */
typedef int32_t bert_tokenizer_file;

/** Values of ::bert_tokenizer_file. */
enum bert_tokenizer_file_value {
  BERT_TOKENIZER_FILE_JSON = 0,   /**< tokenizer.json (HF tokenizers schema; self-contained) */
  BERT_TOKENIZER_FILE_VOCAB = 1,  /**< vocab.txt (pair it with BERT_TOKENIZER_FILE_CONFIG) */
  BERT_TOKENIZER_FILE_CONFIG = 2  /**< tokenizer_config.json (transformers' BertTokenizerFast settings) */
};

/** Serialises the tokenizer as the content of one of its files, exactly as bert_tokenizer_save()
 * writes it. On success *out_data receives a NUL-terminated buffer owned by the caller (release it
 * with bert_string_free()) and *out_size (may be NULL) its length without the NUL. Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL tokenizer/out_data, unknown `file`);
 * BERT_ERR_OUT_OF_MEMORY. */
BERT_API bert_status bert_tokenizer_save_to_memory(const bert_tokenizer* tokenizer, bert_tokenizer_file file,
                                                   char** out_data, size_t* out_size);

/** Releases a tokenizer. NULL is a no-op. Encodings, models and trainers created with it stay valid
 * (a trainer keeps what it needs). */
BERT_API void bert_tokenizer_free(bert_tokenizer* tokenizer);

/** How encode shortens inputs longer than max_length: one of ::bert_truncation_strategy_value. */
typedef int32_t bert_truncation_strategy;

/** Values of ::bert_truncation_strategy (Hugging Face's strategies). */
enum bert_truncation_strategy_value {
  BERT_TRUNCATION_NONE = 0,          /**< never truncate */
  BERT_TRUNCATION_LONGEST_FIRST = 1, /**< remove from the longer sequence first */
  BERT_TRUNCATION_ONLY_FIRST = 2,    /**< remove only from the first text (error if it cannot fit) */
  BERT_TRUNCATION_ONLY_SECOND = 3    /**< remove only from the second text (error if it cannot fit) */
};

/** How encode pads rows to a common length: one of ::bert_padding_strategy_value. */
typedef int32_t bert_padding_strategy;

/** Values of ::bert_padding_strategy. */
enum bert_padding_strategy_value {
  BERT_PADDING_NONE = 0,      /**< no padding */
  BERT_PADDING_LONGEST = 1,   /**< to the longest sequence of the call */
  BERT_PADDING_MAX_LENGTH = 2 /**< to pad_length (or max_length when pad_length is 0) */
};

/** Where padding goes: one of ::bert_padding_side_value. */
typedef int32_t bert_padding_side;

/** Values of ::bert_padding_side. */
enum bert_padding_side_value {
  BERT_PADDING_RIGHT = 0, /**< after the tokens */
  BERT_PADDING_LEFT = 1   /**< before the tokens */
};

/** Encoding options. Initialise with BERT_ENCODE_PARAMS_INIT(&p). */
typedef struct bert_encode_params {
  size_t struct_size;                  /**< set by bert_encode_params_init() */
  int add_special_tokens;              /**< flag: [CLS] A [SEP] (B [SEP]); default 1 */
  bert_truncation_strategy truncation; /**< default BERT_TRUNCATION_NONE */
  size_t max_length;                   /**< incl. special tokens; 0 = model_max_length (512) */
  size_t stride;                       /**< overlap of overflow windows; default 0 */
  int return_overflowing;              /**< flag: keep overflow windows as extra rows; default 0 */
  bert_padding_strategy padding;       /**< default BERT_PADDING_NONE */
  size_t pad_length;                   /**< MAX_LENGTH target; 0 = max_length */
  size_t pad_to_multiple_of;           /**< 0 = no rounding */
  bert_padding_side padding_side;      /**< default BERT_PADDING_RIGHT */
  int split_special_tokens;            /**< flag: "[MASK]" in the text is plain text (untrusted input) */
  size_t threads;                      /**< batch encode threads; 0 = all cores */
} bert_encode_params;

/** Writes the defaults above into *params (see bert_tokenizer_params_init() for the statuses). */
BERT_API bert_status bert_encode_params_init(bert_encode_params* params, size_t struct_size);
/** bert_encode_params_init() with the caller's sizeof. */
#define BERT_ENCODE_PARAMS_INIT(params) bert_encode_params_init((params), sizeof *(params))

/** Byte range [start, end) of a token in its input text; {0, 0} for added [CLS]/[SEP] and padding. */
typedef struct bert_offset {
  size_t start; /**< first byte of the token in its input */
  size_t end;   /**< one past its last byte */
} bert_offset;

/** Encodes one text, or a pair when `pair` is not NULL. `text_len`/`pair_len` are byte lengths
 * (text may contain NUL; NULL text with length 0 is the empty text). On success *out receives an
 * encoding with one row, plus one row per overflow window when return_overflowing; free it with
 * bert_encoding_free(). Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL tokenizer/out, NULL text with non-zero length,
 * impossible truncation such as only_second without a pair, stride too large, padding without a
 * pad token, unknown enum value); BERT_ERR_INVALID_UTF8 (message gives the byte offset; nothing is
 * returned); BERT_ERR_UNSUPPORTED (params from a newer header); BERT_ERR_OUT_OF_MEMORY. */
BERT_API bert_status bert_tokenizer_encode(const bert_tokenizer* tokenizer, const char* text, size_t text_len,
                                           const char* pair, size_t pair_len, const bert_encode_params* params,
                                           bert_encoding** out);

/** Encodes `num_texts` inputs on params->threads threads; rows are in input order (input i's row
 * first, then its overflow windows; see bert_encoding_input_index). `lengths` may be NULL for
 * NUL-terminated texts; `pairs` is NULL for single texts (then `pair_lengths` is ignored).
 * Padding LONGEST pads to the longest row of the whole batch. Thread-safe.
 * Returns the statuses of bert_tokenizer_encode; on BERT_ERR_INVALID_UTF8 the message names the
 * input index and byte offset. */
BERT_API bert_status bert_tokenizer_encode_batch(const bert_tokenizer* tokenizer, const char* const* texts,
                                                 const size_t* lengths, const char* const* pairs,
                                                 const size_t* pair_lengths, size_t num_texts,
                                                 const bert_encode_params* params, bert_encoding** out);

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

/** Flags of bert_tokenizer_decode (OR them together). */
#define BERT_DECODE_SKIP_SPECIAL_TOKENS 1u /**< drop [CLS], [SEP], [PAD], [MASK], ... */
#define BERT_DECODE_NO_CLEANUP 2u          /**< keep spaces before punctuation and contractions */

/** Turns `num_ids` ids back into text: "##" pieces are glued, other tokens joined by spaces, then
 * HF's clean up (" ." -> ".", " n't" -> "n't", ...). Ids outside the vocabulary are skipped (as HF
 * does). On success *out_text receives a NUL-terminated UTF-8 string owned by the caller, released
 * with bert_string_free(); *out_len (may be NULL) its length in bytes. Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL tokenizer/out_text, NULL ids with num_ids > 0,
 * unknown flag bits); BERT_ERR_OUT_OF_MEMORY. */
BERT_API bert_status bert_tokenizer_decode(const bert_tokenizer* tokenizer, const int32_t* ids, size_t num_ids,
                                           unsigned flags, char** out_text, size_t* out_len);

/** Decodes `num_seqs` id sequences at once: sequence i is ids[i][0 .. lengths[i]) (ids[i] may be NULL
 * when lengths[i] is 0). On success out_texts[i] (an array of num_seqs pointers the caller provides)
 * receives a NUL-terminated string each, released one by one with bert_string_free(), and
 * out_lengths[i] (the array may be NULL) its byte length. On failure nothing is allocated and the
 * arrays are untouched. Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL tokenizer/ids/lengths/out_texts with
 * num_seqs > 0, NULL ids[i] with lengths[i] > 0, unknown flag bits); BERT_ERR_OUT_OF_MEMORY. */
BERT_API bert_status bert_tokenizer_decode_batch(const bert_tokenizer* tokenizer, const int32_t* const* ids,
                                                 const size_t* lengths, size_t num_seqs, unsigned flags,
                                                 char** out_texts, size_t* out_lengths);

/** Looks up a token string (`token_len` bytes, exact, not normalized). *out_id receives its id, or -1
 * when the token is not in the vocabulary (still BERT_OK). Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL tokenizer/out_id, NULL token with token_len > 0). */
BERT_API bert_status bert_tokenizer_token_to_id(const bert_tokenizer* tokenizer, const char* token,
                                                size_t token_len, int32_t* out_id);

/** *out_token receives the token string of `id` (NUL-terminated, owned by the tokenizer, valid until
 * bert_tokenizer_free) and *out_len (may be NULL) its byte length. Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL tokenizer/out_token, id outside [0, vocab_size)). */
BERT_API bert_status bert_tokenizer_id_to_token(const bert_tokenizer* tokenizer, int32_t id,
                                                const char** out_token, size_t* out_len);

/** Number of tokens in the vocabulary (incl. special tokens); 0 for NULL. Thread-safe. */
BERT_API size_t bert_tokenizer_vocab_size(const bert_tokenizer* tokenizer);

/** Role of a special token, for bert_tokenizer_special_token_id: one of ::bert_special_token_value. */
typedef int32_t bert_special_token;

/** Values of ::bert_special_token. */
enum bert_special_token_value {
  BERT_SPECIAL_PAD = 0,
  BERT_SPECIAL_UNK = 1,
  BERT_SPECIAL_CLS = 2,
  BERT_SPECIAL_SEP = 3,
  BERT_SPECIAL_MASK = 4
};

/** *out_id receives the id of the token playing `role`, or -1 when the vocabulary lacks it (e.g.
 * no mask token). Thread-safe.
 * Returns: BERT_OK; BERT_ERR_INVALID_ARGUMENT (NULL argument, `role` not a ::bert_special_token_value). */
BERT_API bert_status bert_tokenizer_special_token_id(const bert_tokenizer* tokenizer, bert_special_token role,
                                                     int32_t* out_id);
/* BERTC-SECTION: tokenizer (end) */

/* BERTC-SECTION: model (begin) */

/* ================================================================================================
 * Model: BERT with a masked-LM, sequence-classification or token-classification head
 * (Hugging Face compatible config.json + model.safetensors)
 * ============================================================================================== */

/** (1.1) The head on the encoder, as Hugging Face's architectures: one of ::bert_task_value. */
typedef int32_t bert_task;

/** (1.1) Values of ::bert_task. */
enum bert_task_value {
  BERT_TASK_MASKED_LM = 0,               /**< BertForMaskedLM: pre-training, fill-mask, scoring */
  BERT_TASK_SEQUENCE_CLASSIFICATION = 1, /**< BertForSequenceClassification: pooler (dense + tanh on
                                            [CLS]), dropout, classifier; one label per text */
  BERT_TASK_TOKEN_CLASSIFICATION = 2     /**< BertForTokenClassification: dropout, classifier on every
                                            token; one label (tag) per word */
};

/** BertConfig fields (same names and defaults as Hugging Face's BertConfig, i.e. bert-base-uncased)
 * plus the initialisation seed and (1.1) the head. Used by bert_model_create() and filled by
 * bert_model_config(). Initialise with BERT_MODEL_PARAMS_INIT(&p). */
typedef struct bert_model_params {
  size_t struct_size;                  /**< set by bert_model_params_init() */
  size_t vocab_size;                   /**< 30522 */
  size_t hidden_size;                  /**< 768; a multiple of num_attention_heads */
  size_t num_hidden_layers;            /**< 12 */
  size_t num_attention_heads;          /**< 12 */
  size_t intermediate_size;            /**< 3072 */
  const char* hidden_act;              /**< "gelu" (exact); also "gelu_new", "gelu_pytorch_tanh",
                                          "gelu_fast", "relu", "silu"/"swish". Copied. */
  double hidden_dropout_prob;          /**< 0.1, in [0, 1) */
  double attention_probs_dropout_prob; /**< 0.1, in [0, 1) */
  size_t max_position_embeddings;      /**< 512: the longest input the model accepts */
  size_t type_vocab_size;              /**< 2 */
  double layer_norm_eps;               /**< 1e-12 */
  double initializer_range;            /**< 0.02: std of the normal weight init */
  int32_t pad_token_id;                /**< 0; its word-embedding row starts at zero */
  const char* position_embedding_type; /**< "absolute" (the only one supported). Copied. */
  uint64_t seed;                       /**< 42: weights are initialised from a generator with this
                                          seed, so the same params give the same model */
  bert_task task;                      /**< (1.1) BERT_TASK_MASKED_LM */
  const char* const* labels;           /**< (1.1) classifiers: the label names, id i = labels[i]
                                          (config.json id2label); distinct and non-empty. NULL with
                                          num_labels > 0: LABEL_0, LABEL_1, ... Copied. */
  const size_t* label_lengths;         /**< (1.1) byte length of each label; NULL = NUL-terminated */
  size_t num_labels;                   /**< (1.1) 0; classifiers need >= 1 */
  double classifier_dropout;           /**< (1.1) -1 = unset (null in config.json): hidden_dropout_prob
                                          is used before the classifier; else in [0, 1) */
} bert_model_params;

/** Writes the defaults above into *params (see bert_tokenizer_params_init() for the statuses). */
BERT_API bert_status bert_model_params_init(bert_model_params* params, size_t struct_size);
/** bert_model_params_init() with the caller's sizeof. */
#define BERT_MODEL_PARAMS_INIT(params) bert_model_params_init((params), sizeof *(params))

/** Creates a randomly initialised model with the head params->task (Hugging Face's init: weights ~
 * N(0, initializer_range), biases 0, LayerNorm 1/0). `params` NULL means defaults (a BERT-base-sized
 * masked LM). On success *out_model owns the model; release it with bert_model_free().
 * Returns BERT_ERR_INVALID_ARGUMENT (out_model NULL; a size of 0 or absurdly large; hidden_size not
 * a multiple of num_attention_heads; dropout outside [0, 1); layer_norm_eps <= 0; pad_token_id
 * outside [0, vocab_size); unknown hidden_act; NULL string fields; unknown task; a classifier
 * without labels, with an empty or duplicate label; labels for a masked LM), BERT_ERR_INVALID_UTF8 (a
 * label), BERT_ERR_UNSUPPORTED
 * (position_embedding_type other than "absolute"; struct_size from a newer header),
 * BERT_ERR_OUT_OF_MEMORY. Thread-safe. */
BERT_API bert_status bert_model_create(const bert_model_params* params, bert_model** out_model);

/** Loads DIR/config.json and DIR/model.safetensors as saved by Hugging Face (save_pretrained with
 * safe_serialization of BertForMaskedLM, BertForSequenceClassification or BertForTokenClassification)
 * or by bert_model_save(). The head is config.json's "architectures" (anything else, e.g. BertModel
 * or BertForPreTraining, loads as a masked LM); classifiers take their labels from id2label. Tensors
 * stored as F32, F16, BF16 or F64 are converted to float32. A checkpoint without the head's tensors
 * (e.g. a BertModel-only checkpoint such as sentence-transformers models; keys with or without the
 * "bert." prefix) is accepted: the head is newly initialised and the call returns BERT_OK with a
 * warning in bert_last_error(). To put a new head on a checkpoint, use bert_model_load_for_task().
 * On success *out_model owns the model (release with bert_model_free()).
 * Returns BERT_ERR_INVALID_ARGUMENT (NULL argument), BERT_ERR_IO (directory, config.json or
 * model.safetensors missing or unreadable), BERT_ERR_FORMAT (invalid JSON or config values;
 * corrupt/truncated safetensors: header length past the end of the file, offsets out of bounds,
 * overlapping or leaving holes; a tensor missing, of the wrong shape or of a non-float dtype),
 * BERT_ERR_UNSUPPORTED (only pytorch_model.bin present; non-absolute position embeddings),
 * BERT_ERR_OUT_OF_MEMORY. Thread-safe. */
BERT_API bert_status bert_model_load(const char* dir, bert_model** out_model);

/** (1.1) The head bert_model_load_for_task() puts on a checkpoint. Initialise with
 * BERT_TASK_PARAMS_INIT(&p). */
typedef struct bert_task_params {
  size_t struct_size;           /**< set by bert_task_params_init() */
  bert_task task;               /**< BERT_TASK_SEQUENCE_CLASSIFICATION */
  const char* const* labels;    /**< the label names (id i = labels[i]); NULL with num_labels > 0:
                                   LABEL_0, LABEL_1, ...; NULL with num_labels 0: keep the checkpoint's
                                   label map (only for a checkpoint that already has this head). Copied. */
  const size_t* label_lengths;  /**< byte length of each label; NULL = NUL-terminated */
  size_t num_labels;            /**< entries in labels (or the number of LABEL_i names); 0 with labels */
  double classifier_dropout;    /**< -1: the checkpoint's (or hidden_dropout_prob); else in [0, 1) */
  uint64_t seed;                /**< 42: initialisation of a new head */
  double hidden_dropout_prob;   /**< (1.3) -1: the checkpoint's; else in [0, 1): the encoder's hidden
                                   dropout while training (embeddings, attention and FFN outputs), as
                                   from_pretrained(DIR, hidden_dropout_prob=P); saved in config.json.
                                   Useful on a checkpoint pre-trained without dropout (config says 0) */
  double attention_probs_dropout_prob; /**< (1.3) -1: the checkpoint's; else in [0, 1): dropout on the
                                   attention probabilities while training, as from_pretrained(DIR,
                                   attention_probs_dropout_prob=P); saved in config.json */
} bert_task_params;

/** (1.1) Writes the defaults above into *params (see bert_tokenizer_params_init() for the statuses). */
BERT_API bert_status bert_task_params_init(bert_task_params* params, size_t struct_size);
/** (1.1) bert_task_params_init() with the caller's sizeof. */
#define BERT_TASK_PARAMS_INIT(params) bert_task_params_init((params), sizeof *(params))

/** (1.1) Loads DIR (like bert_model_load()) as a model with the head params->task — the first step of
 * fine-tuning, like transformers' AutoModelForSequenceClassification.from_pretrained(DIR,
 * num_labels=..., id2label=...). When the checkpoint already has that head (a fine-tuned classifier),
 * it is kept: params->labels, if given, must then equal the checkpoint's label map. Otherwise (a masked
 * LM from pre-training, a BertModel, a classifier of the other task) the encoder is kept, and the
 * pooler where the checkpoint has one; the new head (and a missing pooler) is initialised from
 * params->seed, and the call returns BERT_OK with Hugging Face's warning in bert_last_error() ("Some
 * weights of BertForSequenceClassification were not initialized from the model checkpoint at ... and
 * are newly initialized: [...]. You should probably TRAIN this model ..."). On success *out_model
 * owns the model (bert_model_free()). Returns BERT_ERR_INVALID_ARGUMENT (NULL dir/out_model; unknown
 * task; labels NULL for a checkpoint without this head; labels given but different from the
 * checkpoint's — the message lists both; empty or duplicate labels; a dropout outside [0, 1) other
 * than -1), BERT_ERR_INVALID_UTF8 (a label), and the statuses of bert_model_load(). (1.3) The
 * dropout fields override the checkpoint's config, as from_pretrained's keyword arguments do; a
 * program built against an older header gets the checkpoint's. Thread-safe. */
BERT_API bert_status bert_model_load_for_task(const char* dir, const bert_task_params* params, bert_model** out_model);

/** Flags of bert_model_load_from_memory (OR them together). */
#define BERT_MODEL_LOAD_BORROW 1u /**< use the weights buffer in place where possible (see below) */

/** Loads a model from memory: `config_json` (`config_size` bytes) is a config.json, `weights`
 * (`weights_size` bytes) a model.safetensors image. Without flags everything is copied and nothing is
 * retained after the call. With BERT_MODEL_LOAD_BORROW, float32 tensors whose data is 4-byte aligned
 * in `weights` are used in place (zero-copy; e.g. an mmapped file): the buffer must then stay valid
 * and unchanged until bert_model_free(); other tensors are converted into the model's own memory.
 * bert_trainer_create() on a borrowing model first copies the weights it trains (the buffer is never
 * written). Same validation, warnings and statuses as bert_model_load() (BERT_ERR_IO never;
 * BERT_ERR_INVALID_ARGUMENT also for unknown flag bits). Thread-safe. */
BERT_API bert_status bert_model_load_from_memory(const char* config_json, size_t config_size, const void* weights,
                                                 size_t weights_size, unsigned flags, bert_model** out_model);

/** Saves the model into `dir` (created with missing parents) as config.json (architectures
 * ["BertForMaskedLM"], ["BertForSequenceClassification"] or ["BertForTokenClassification"], model_type
 * "bert", classifiers with id2label/label2id) and model.safetensors (float32, Hugging Face key names;
 * the MLM decoder weight is tied to the word embeddings and stored once, as HF saves it), loadable by
 * transformers' AutoModelFor*.from_pretrained(dir). Atomic: the files are written into a temporary
 * sibling directory that is then renamed over `dir`; other regular files already in `dir` (e.g.
 * tokenizer files) are carried over. If `dir` contains subdirectories (e.g. checkpoints), each of the
 * two files is replaced atomically instead (weights first). A failed save never destroys an existing
 * model. Returns BERT_ERR_INVALID_ARGUMENT (NULL argument, empty dir), BERT_ERR_IO (cannot create,
 * write or rename; disk full), BERT_ERR_OUT_OF_MEMORY. Thread-safe; may run concurrently with
 * fill-mask on the same model. */
BERT_API bert_status bert_model_save(const bert_model* model, const char* dir);

/** Writes the model's configuration into *out_params (only the first out_params->struct_size bytes;
 * initialise it with BERT_MODEL_PARAMS_INIT first), (1.1) its task, labels (NUL-terminated, with
 * label_lengths) and classifier_dropout included. The strings and arrays point into the model and
 * stay valid until bert_model_free(model). `seed` is the seed a bert_model_create() model was initialised with;
 * config.json does not record one, so it is 0 for a loaded model. Returns BERT_ERR_INVALID_ARGUMENT
 * (NULL argument, struct_size too small), BERT_ERR_UNSUPPORTED (struct_size from a newer header).
 * Thread-safe. */
BERT_API bert_status bert_model_config(const bert_model* model, bert_model_params* out_params);

/** (1.1) The model's head: a ::bert_task_value, or -1 for NULL. An accessor: never touches
 * bert_last_error() (so a load's warning survives it). Thread-safe. */
BERT_API bert_task bert_model_task(const bert_model* model);

/** (1.1) Number of labels of a classifier (0 for a masked LM or NULL). Accessor; thread-safe. */
BERT_API size_t bert_model_num_labels(const bert_model* model);

/** (1.1) Name of label `id` (config.json id2label), NUL-terminated, valid until bert_model_free(); NULL
 * for NULL or an id out of range. Accessor; thread-safe. */
BERT_API const char* bert_model_label(const bert_model* model, size_t id);

/** Number of distinct parameters (the tied decoder weight counted once), as transformers'
 * model.num_parameters(). Returns BERT_ERR_INVALID_ARGUMENT (NULL argument). Thread-safe. */
BERT_API bert_status bert_model_num_parameters(const bert_model* model, uint64_t* out_count);

/** Releases a model; NULL does nothing. No other thread (and no trainer) may be using it. */
BERT_API void bert_model_free(bert_model* model);

/* BERTC-SECTION: model (end) */

/* BERTC-SECTION: fill-mask (begin) */

/* ================================================================================================
 * Fill-mask and sentence scoring (Hugging Face pipeline('fill-mask') semantics)
 * ============================================================================================== */

/** Options of bert_fill_mask(), bert_fill_mask_batch() and bert_score_text(). Initialise with
 * BERT_FILL_MASK_PARAMS_INIT(&p). */
typedef struct bert_fill_mask_params {
  size_t struct_size;          /**< set by bert_fill_mask_params_init() */
  size_t top_k;                /**< 5: predictions per [MASK], in [1, vocab_size]; with targets it is
                                  capped at the number of distinct targets (as HF) */
  const char* const* targets;  /**< NULL: predict over the whole vocabulary. Otherwise `num_targets`
                                  UTF-8 words to choose from (copied during the call). As HF: a word
                                  found verbatim in the vocabulary is used as is, any other word is
                                  tokenized and only its first piece is used (unless
                                  expand_multi_piece_targets); duplicates merge; words that tokenize to
                                  nothing are ignored. Scores remain probabilities over the whole
                                  vocabulary (not renormalised). */
  const size_t* target_lengths; /**< byte length of each target; NULL = NUL-terminated targets */
  size_t num_targets;          /**< entries in targets; must be > 0 when targets is not NULL */
  int expand_multi_piece_targets; /**< flag, 0. On (beyond HF): a target of k > 1 pieces replaces its
                                  [MASK] by k [MASK]s and the pieces are predicted left to right, each
                                  given the previous ones; its score is the product (a joint
                                  probability). Costs k extra forward passes per mask. */
  size_t threads;              /**< intra-op threads for this call; 0 = the free cores. With many concurrent
                                  callers, 1 is usually best. */
} bert_fill_mask_params;

/** Writes the defaults above into *params (see bert_tokenizer_params_init() for the statuses). */
BERT_API bert_status bert_fill_mask_params_init(bert_fill_mask_params* params, size_t struct_size);
/** bert_fill_mask_params_init() with the caller's sizeof. */
#define BERT_FILL_MASK_PARAMS_INIT(params) bert_fill_mask_params_init((params), sizeof *(params))

/** Predicts the tokens at every [MASK] (the tokenizer's mask token) of `text` (`text_len` bytes of
 * UTF-8). The text is tokenized with [CLS]/[SEP] and is never truncated: like HF's pipeline, input
 * longer than max_position_embeddings tokens is an error. On success *out_result owns one query's
 * results (read them with bert_fill_mask_result_*; release with bert_fill_mask_result_free()).
 * Returns BERT_ERR_INVALID_ARGUMENT (NULL argument; no [MASK] in the text; too many tokens; top_k
 * outside [1, vocab_size]; targets given but none usable; targets NULL with num_targets > 0 or non-NULL
 * with num_targets 0; the tokenizer's vocabulary size differs from the model's; a tokenizer without a
 * mask token; (1.1) a classification model, which has no MLM head), BERT_ERR_INVALID_UTF8, BERT_ERR_UNSUPPORTED (params from a newer header),
 * BERT_ERR_OUT_OF_MEMORY. Thread-safe: one model and tokenizer may serve any number of concurrent
 * calls (inference only, no dropout, no state changes). */
BERT_API bert_status bert_fill_mask(const bert_model* model, const bert_tokenizer* tokenizer, const char* text,
                                    size_t text_len, const bert_fill_mask_params* params,
                                    bert_fill_mask_result** out_result);

/** Like bert_fill_mask() for `num_texts` queries run together as padded batches; query i of the result
 * is texts[i] (`lengths` NULL = NUL-terminated texts). Any invalid query fails the whole call (the
 * message names its index). num_texts may be 0. Same statuses and thread-safety as bert_fill_mask(). */
BERT_API bert_status bert_fill_mask_batch(const bert_model* model, const bert_tokenizer* tokenizer,
                                          const char* const* texts, const size_t* lengths, size_t num_texts,
                                          const bert_fill_mask_params* params, bert_fill_mask_result** out_result);

/** One prediction (a result struct: set struct_size). Strings and arrays are owned by the result and
 * valid until it is freed. */
typedef struct bert_fill_mask_prediction {
  size_t struct_size;       /**< set by the caller to sizeof(bert_fill_mask_prediction) */
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
 * first out->struct_size bytes). Returns BERT_ERR_INVALID_ARGUMENT for NULL arguments, an index out of
 * range or a too small struct_size; BERT_ERR_UNSUPPORTED for a struct_size from a newer header.
 * Thread-safe. */
BERT_API bert_status bert_fill_mask_result_get(const bert_fill_mask_result* result, size_t query, size_t mask,
                                               size_t rank, bert_fill_mask_prediction* out);

/** Releases a result and every string in it; NULL does nothing. */
BERT_API void bert_fill_mask_result_free(bert_fill_mask_result* result);

/** Pseudo-log-likelihood of each of `num_texts` texts (Salazar et al., 2020): every token except
 * [CLS]/[SEP] is masked in turn and the natural-log probability the model gives the original token is
 * summed; higher (closer to 0) means more plausible, so it ranks candidate sentences. All masked copies
 * run in batches. `lengths` NULL = NUL-terminated texts. out_scores[i] receives the sum for texts[i];
 * out_num_tokens (may be NULL) the number of tokens scored (divide for a per-token average). An empty
 * text scores 0 over 0 tokens. Only params->threads is used (NULL params: defaults). Returns
 * BERT_ERR_INVALID_ARGUMENT (NULL argument other than lengths/out_num_tokens, too many tokens,
 * vocabulary mismatch), BERT_ERR_INVALID_UTF8, BERT_ERR_UNSUPPORTED, BERT_ERR_OUT_OF_MEMORY; outputs
 * are untouched on failure; (1.1) a classification model gives BERT_ERR_INVALID_ARGUMENT. Thread-safe. */
BERT_API bert_status bert_score_text(const bert_model* model, const bert_tokenizer* tokenizer,
                                     const char* const* texts, const size_t* lengths, size_t num_texts,
                                     const bert_fill_mask_params* params, double* out_scores,
                                     size_t* out_num_tokens);

/* BERTC-SECTION: fill-mask (end) */

/* BERTC-SECTION: classify (begin) */

/* ================================================================================================
 * (1.1) Classification: text classification and tagging with a fine-tuned model (Hugging Face
 * pipeline("text-classification", top_k=None) and pipeline("token-classification",
 * aggregation_strategy="first") semantics)
 * ============================================================================================== */

/** (1.1) Options of bert_classify(), bert_tag() and bert_tag_words(). Initialise with
 * BERT_CLASSIFY_PARAMS_INIT(&p). */
typedef struct bert_classify_params {
  size_t struct_size; /**< set by bert_classify_params_init() */
  size_t batch_size;  /**< 32: texts per forward pass (sorted by length, padded to the longest) */
  size_t max_length;  /**< 0 = the model's max_position_embeddings: tokens per text incl. [CLS]/[SEP] */
  int truncation;     /**< flag, 0: a text longer than max_length is an error (as HF's pipeline);
                         1: it is cut to max_length (bert_tag*: the words beyond are not tagged) */
  size_t threads;     /**< intra-op threads for this call; 0 = library default */
} bert_classify_params;

/** (1.1) Writes the defaults above into *params (see bert_tokenizer_params_init() for the statuses). */
BERT_API bert_status bert_classify_params_init(bert_classify_params* params, size_t struct_size);
/** (1.1) bert_classify_params_init() with the caller's sizeof. */
#define BERT_CLASSIFY_PARAMS_INIT(params) bert_classify_params_init((params), sizeof *(params))

/** (1.1) Classifies `num_texts` texts (`lengths` NULL = NUL-terminated) with a sequence-classification
 * model: each text is tokenized with [CLS]/[SEP], and the softmax of the classifier's logits gives a
 * probability per label. On success *out_result owns the results (read them with
 * bert_classify_result_*; release with bert_classify_result_free()). num_texts may be 0.
 * Returns BERT_ERR_INVALID_ARGUMENT (NULL argument other than lengths/params; the model is not a
 * sequence classifier — e.g. a token classifier or a masked LM, named in the message; vocabulary size
 * mismatch; a text longer than max_length without truncation; max_length above the model's limit or
 * 1..2; batch_size 0), BERT_ERR_INVALID_UTF8 (naming the text), BERT_ERR_LIMIT,
 * BERT_ERR_UNSUPPORTED (params from a newer header), BERT_ERR_OUT_OF_MEMORY. Thread-safe: a model
 * and tokenizer may serve any number of concurrent calls (no dropout, no state changes). */
BERT_API bert_status bert_classify(const bert_model* model, const bert_tokenizer* tokenizer, const char* const* texts,
                                   const size_t* lengths, size_t num_texts, const bert_classify_params* params,
                                   bert_classify_result** out_result);

/** (1.1) One text's classification (a result struct: set struct_size). Strings and arrays are owned by
 * the result and valid until it is freed. */
typedef struct bert_classification {
  size_t struct_size;     /**< set by the caller to sizeof(bert_classification) */
  size_t label;           /**< id of the most probable label (the lowest id on ties) */
  const char* label_name; /**< its name (config.json id2label) */
  double score;           /**< its probability */
  const double* scores;   /**< the probability of every label, by id (num_labels entries) */
  const double* logits;   /**< the classifier's raw logits, by id (num_labels entries) */
  size_t num_labels;      /**< entries in scores and logits */
} bert_classification;

/** (1.1) Number of texts in a result; 0 for NULL. Thread-safe. */
BERT_API size_t bert_classify_result_num_texts(const bert_classify_result* result);

/** (1.1) Copies text `text`'s classification into *out (only out->struct_size bytes). Returns
 * BERT_ERR_INVALID_ARGUMENT (NULL argument, index out of range, struct_size too small),
 * BERT_ERR_UNSUPPORTED (struct_size from a newer header). Thread-safe. */
BERT_API bert_status bert_classify_result_get(const bert_classify_result* result, size_t text,
                                              bert_classification* out);

/** (1.1) Releases a result; NULL does nothing. */
BERT_API void bert_classify_result_free(bert_classify_result* result);

/** (1.1) Tags the words of `num_texts` texts (`lengths` NULL = NUL-terminated) with a
 * token-classification model, as HF's token-classification pipeline with aggregation_strategy
 * "first": a word is a token plus the "##" tokens after it (a token is a continuation when its string
 * is not as long as the text it covers; [UNK] never is); the word takes the label of its first token
 * and that label's probability as its score. Adjacent words then form groups (HF's entities): the
 * same tag with B-/I- prefixes stripped, a "B-" tag starting a new group, a group's score the mean of
 * its words'; groups labelled "O" are left out (HF's ignore_labels), the words are all listed. On
 * success *out_result owns the results (bert_tag_result_*; bert_tag_result_free()).
 * Returns like bert_classify() (the model must be a token classifier). Thread-safe. */
BERT_API bert_status bert_tag(const bert_model* model, const bert_tokenizer* tokenizer, const char* const* texts,
                              const size_t* lengths, size_t num_texts, const bert_classify_params* params,
                              bert_tag_result** out_result);

/** (1.1) Like bert_tag() for texts given as words (HF is_split_into_words, as in training data): text
 * i is words_per_text[i] consecutive entries of `words` (`word_lengths` NULL = NUL-terminated). Each
 * word is tokenized on its own and labelled by its first piece; offsets refer to the text's words
 * joined by single spaces. Words that tokenize to nothing (or, with truncation, lie beyond max_length)
 * are not listed: a listed word's word_index says which input word it is. Returns like bert_tag()
 * (also BERT_ERR_INVALID_ARGUMENT for words_per_text NULL with num_texts > 0, or counts that overflow).
 * Thread-safe. */
BERT_API bert_status bert_tag_words(const bert_model* model, const bert_tokenizer* tokenizer,
                                    const char* const* words, const size_t* word_lengths,
                                    const size_t* words_per_text, size_t num_texts,
                                    const bert_classify_params* params, bert_tag_result** out_result);

/** (1.1) One tagged word (a result struct: set struct_size). Strings are owned by the result. */
typedef struct bert_tagged_word {
  size_t struct_size;     /**< set by the caller to sizeof(bert_tagged_word) */
  size_t start;           /**< byte offset of the word in the text (bert_tag_words: in the words
                             joined by single spaces) */
  size_t end;             /**< one past its last byte */
  size_t word_index;      /**< bert_tag: index among the text's words; bert_tag_words: the input word */
  size_t label;           /**< id of its label */
  const char* label_name; /**< the label's name (with any B-/I- prefix) */
  double score;           /**< the label's probability at the word's first token */
  const char* word;       /**< the word's text (bytes start..end), NUL-terminated */
} bert_tagged_word;

/** (1.1) A group of adjacent words with one tag (a result struct: set struct_size). */
typedef struct bert_tag_group {
  size_t struct_size;     /**< set by the caller to sizeof(bert_tag_group) */
  size_t start;           /**< byte offset of the first word */
  size_t end;             /**< one past the last byte of the last word */
  size_t first_word;      /**< index of its first word in the text's word list */
  size_t num_words;       /**< words in the group */
  const char* label_name; /**< the tag without its B-/I- prefix (HF "entity_group") */
  double score;           /**< mean of the words' scores */
  const char* text;       /**< the text of bytes start..end (HF "word" decodes the tokens instead;
                             same words, original casing kept), NUL-terminated */
} bert_tag_group;

/** (1.1) Number of texts in a result; 0 for NULL. Thread-safe. */
BERT_API size_t bert_tag_result_num_texts(const bert_tag_result* result);
/** (1.1) Number of tagged words of text `text`; 0 for NULL or out of range. Thread-safe. */
BERT_API size_t bert_tag_result_num_words(const bert_tag_result* result, size_t text);
/** (1.1) Copies word `word` of text `text` into *out (only out->struct_size bytes). Returns like
 * bert_classify_result_get(). Thread-safe. */
BERT_API bert_status bert_tag_result_get_word(const bert_tag_result* result, size_t text, size_t word,
                                              bert_tagged_word* out);
/** (1.1) Number of groups of text `text`; 0 for NULL or out of range. Thread-safe. */
BERT_API size_t bert_tag_result_num_groups(const bert_tag_result* result, size_t text);
/** (1.1) Copies group `group` of text `text` into *out. Returns like bert_classify_result_get(). */
BERT_API bert_status bert_tag_result_get_group(const bert_tag_result* result, size_t text, size_t group,
                                               bert_tag_group* out);
/** (1.1) Releases a result; NULL does nothing. */
BERT_API void bert_tag_result_free(bert_tag_result* result);

/* BERTC-SECTION: classify (end) */

/* BERTC-SECTION: trainer (begin) */

/* ================================================================================================
 * Training: MLM pre-training (Hugging Face DataCollatorForLanguageModeling + Trainer) and (1.1)
 * fine-tuning of classifiers (DataCollatorWithPadding / DataCollatorForTokenClassification + Trainer)
 *
 * The model's task decides what a trainer does: a masked-LM model is pre-trained on plain text (or a
 * JSONL text field) with masking; a sequence- or token-classification model (bert_model_create() with
 * a task, or bert_model_load_for_task()) is fine-tuned on labelled JSONL (bert_trainer_data's
 * label_field / words_field + tags_field) or labelled ids in memory, padded per batch, and evaluated
 * by loss, accuracy and macro-F1. Everything else (optimizer, schedule, cadence, checkpoints, resume)
 * is the same.
 * ============================================================================================== */

/** How examples are formed from corpus lines: one of ::bert_grouping_value. */
typedef int32_t bert_grouping;

/** Values of ::bert_grouping. */
enum bert_grouping_value {
  BERT_GROUPING_TRUNCATE_PAD = 0, /**< one line per example, truncated; batches padded to max_length */
  BERT_GROUPING_CONCAT_CHUNK = 1, /**< lines concatenated, cut into max_length blocks with [CLS]/[SEP] */
  BERT_GROUPING_DYNAMIC = 2,      /**< one line per example; length-bucketed batches padded to the longest */
  BERT_GROUPING_PACKED = 3        /**< consecutive lines packed into one sequence: [CLS] a [SEP] b [SEP] */
};

/** Learning-rate schedule after warmup: one of ::bert_lr_schedule_value. */
typedef int32_t bert_lr_schedule;

/** Values of ::bert_lr_schedule. */
enum bert_lr_schedule_value {
  BERT_SCHEDULE_LINEAR = 0,   /**< linear decay to 0 at the last step */
  BERT_SCHEDULE_CONSTANT = 1, /**< constant */
  BERT_SCHEDULE_COSINE = 2    /**< half cosine to 0 */
};

/** Training options (TrainingArguments). Initialise with BERT_TRAINER_PARAMS_INIT(&p). Every string is
 * copied by bert_trainer_create(). */
typedef struct bert_trainer_params {
  size_t struct_size;          /**< set by bert_trainer_params_init() */
  const char* output_dir;      /**< NULL: checkpoints/log/final model: OUTPUT_DIR/checkpoint-STEP/,
                                  train_log.jsonl, config.json + model.safetensors + tokenizer files.
                                  Required unless save_steps == 0 and save_final_model == 0. */
  /* Data. */
  size_t max_length;           /**< 128: tokens per example incl. [CLS]/[SEP]; <= max_position_embeddings */
  bert_grouping grouping;      /**< BERT_GROUPING_DYNAMIC */
  double mlm_probability;      /**< 0.15, in (0, 1) */
  int whole_word_mask;         /**< flag, 0: mask whole words ("##" pieces with their word) */
  int at_least_one_mask;       /**< flag, 1: every example gets at least one masked token */
  int masked_only_logits;      /**< flag, 1: run the MLM head only on masked positions (same loss, faster) */
  int pad_to_max_length;       /**< flag, 0: pad every batch to max_length (truncate_pad always does) */
  double eval_split;           /**< 0.1: fraction of the training lines held out for evaluation when no
                                  eval data is given (seeded split); 0 = no evaluation */
  const char* cache_dir;       /**< NULL: the encoded-dataset cache lives next to the first data file */
  int use_cache;               /**< flag, 1: reuse/write the encoded-dataset cache (FILE.HASH.bertc-tok) */
  /* Batches. */
  size_t batch_size;           /**< 8: examples per micro-batch */
  size_t eval_batch_size;      /**< 0: same as batch_size */
  size_t grad_accum;           /**< 1: micro-batches per optimizer step */
  /* Optimization (AdamW, torch.optim.AdamW math; no decay on biases and LayerNorm weights). */
  double learning_rate;        /**< 5e-5 */
  double weight_decay;         /**< 0.01 */
  double adam_beta1;           /**< 0.9 */
  double adam_beta2;           /**< 0.999 */
  double adam_epsilon;         /**< 1e-8 */
  double max_grad_norm;        /**< 1.0; <= 0 disables clipping */
  bert_lr_schedule schedule;   /**< BERT_SCHEDULE_LINEAR */
  uint64_t warmup_steps;       /**< 0 */
  double warmup_ratio;         /**< 0: used when warmup_steps == 0, as a share of the total steps */
  uint64_t max_steps;          /**< 0: > 0 overrides num_epochs */
  double num_epochs;           /**< 3.0 */
  /* Cadence (0 = never). */
  uint64_t logging_steps;      /**< 50 */
  uint64_t eval_steps;         /**< 0 */
  uint64_t save_steps;         /**< 0 */
  size_t save_total_limit;     /**< 0 = keep all; never deletes the best or the newest checkpoint */
  int load_best_model_at_end;  /**< flag, 0: reload the checkpoint with the best metric_for_best_model
                                  at the end (needs eval_steps > 0 and save_steps a multiple of it) */
  int save_final_model;        /**< flag, 1: bert_trainer_train() saves the final model into output_dir */
  /* Environment. */
  uint64_t seed;               /**< 42: data order, masks, dropout, eval split */
  size_t threads;              /**< 0 = the library default (all free cores; see "Handles and
                                  threads": set it for bit-reproducible runs): intra-op threads of this
                                  trainer's calls (per call, on the calling thread) */
  const char* device;          /**< "cpu"; "cuda"/"cuda:N" only with a CUDA LibTorch build */
  const char* log_file;        /**< NULL: OUTPUT_DIR/train_log.jsonl */
  const char* metric_for_best_model; /**< (1.1) NULL = "loss": the eval metric that picks the best
                                  checkpoint (best_metric, load_best_model_at_end): "loss" (lower is
                                  better), "accuracy" or, for classifiers, "f1" (higher is better) */
  /* (1.2) Data parallelism across processes and machines (c10d + Gloo); see "Data-parallel
   * training" below. A program built against an older header (a smaller struct_size) always gets
   * world_size 1: it never joins a group by accident. */
  size_t world_size;           /**< 0 = from the launcher: WORLD_SIZE (torchrun, bertc launch) or
                                  SLURM_NTASKS (srun), else 1. 1 = not distributed */
  int32_t rank;                /**< -1 = RANK or SLURM_PROCID (else 0); otherwise in [0, world_size) */
  int32_t local_rank;          /**< -1 = LOCAL_RANK or SLURM_LOCALID; rank among this machine's processes */
  int32_t local_world_size;    /**< 0 = LOCAL_WORLD_SIZE or SLURM_NTASKS_PER_NODE, else world_size:
                                  processes on this machine; threads 0 means cores / this */
  const char* master;          /**< NULL = MASTER_ADDR:MASTER_PORT (under torchrun, whose agent serves
                                  its own store there — TORCHELASTIC_USE_AGENT_STORE=True —
                                  MASTER_PORT + 1). The rendezvous: "host:port" (a c10d TCPStore that
                                  rank 0 serves on that port; the others connect) or "file:///path"
                                  (a c10d FileStore on a filesystem every rank shares) */
  double dist_timeout_seconds; /**< 300: how long the rendezvous and every collective wait for the
                                  other ranks before failing; in (0, 604800] */
} bert_trainer_params;

/** Writes the defaults above into *params (see bert_tokenizer_params_init() for the statuses). */
BERT_API bert_status bert_trainer_params_init(bert_trainer_params* params, size_t struct_size);
/** bert_trainer_params_init() with the caller's sizeof. */
#define BERT_TRAINER_PARAMS_INIT(params) bert_trainer_params_init((params), sizeof *(params))

/** Training or evaluation data: either files or token ids in memory (set exactly one). Initialise
 * with BERT_TRAINER_DATA_INIT(&d) (all empty).
 * Files: plain text (one example per line) or, with jsonl_field, JSON Lines with that string field.
 * Blank lines are skipped. The files are tokenized once (in parallel) and cached.
 * Memory: num_sequences sequences of word-piece ids WITHOUT [CLS]/[SEP]; sequence i is
 * token_ids[offsets[i] .. offsets[i+1]) (offsets has num_sequences + 1 entries, offsets[0] == 0).
 * (1.1) Fine-tuning a classifier: files are JSON Lines. Sequence classification reads the text from
 * jsonl_field (NULL: "text") and the label from label_field (NULL: "label"), a label name of the
 * model's label map or an integer id. Token classification reads an array of words from words_field
 * (NULL: "words") and one tag per word from tags_field (NULL: "tags"); each word is tokenized on its
 * own and its tag goes on its first word piece (-100 on the others, as HF's word_ids() alignment).
 * Examples longer than max_length are truncated. In memory: `labels` holds one label id per sequence
 * (sequence task) or one per token id (token task; -100 = no label), num_labels entries. The label
 * fields and labels are for classifiers: set on a masked LM's data they are an error.
 * Everything is copied by bert_trainer_create(); the caller keeps ownership. */
typedef struct bert_trainer_data {
  size_t struct_size;       /**< set by bert_trainer_data_init() */
  const char* const* files; /**< text or JSONL file paths; NULL when token_ids is used */
  size_t num_files;         /**< number of entries in files */
  const char* jsonl_field;  /**< NULL or "": plain text */
  const int32_t* token_ids; /**< in-memory word-piece ids of all sequences, back to back */
  const size_t* offsets;    /**< num_sequences + 1 boundaries into token_ids */
  size_t num_sequences;     /**< number of in-memory sequences */
  const char* label_field;  /**< (1.1) sequence classification JSONL: the label field (NULL or "": "label") */
  const char* words_field;  /**< (1.1) token classification JSONL: the words field (NULL or "": "words") */
  const char* tags_field;   /**< (1.1) token classification JSONL: the tags field (NULL or "": "tags") */
  const int32_t* labels;    /**< (1.1) in-memory labels of a classifier's data (see above) */
  size_t num_labels;        /**< (1.1) entries in labels: num_sequences (sequence task) or
                               offsets[num_sequences] (token task), checked */
} bert_trainer_data;

/** Empties *data (see bert_tokenizer_params_init() for the statuses). */
BERT_API bert_status bert_trainer_data_init(bert_trainer_data* data, size_t struct_size);
/** bert_trainer_data_init() with the caller's sizeof. */
#define BERT_TRAINER_DATA_INIT(data) bert_trainer_data_init((data), sizeof *(data))

/** (1.1) The distinct labels of classification training data, sorted (as HF's run_glue / run_ner build
 * their label lists): the label field (task BERT_TASK_SEQUENCE_CLASSIFICATION) or every tag
 * (BERT_TASK_TOKEN_CLASSIFICATION) of data->files, read as bert_trainer_create() reads them (integer
 * labels as their decimal text; files only). Use it to give a new head its labels (bert_task_params.labels). On
 * success *out_labels is an array of *out_count NUL-terminated strings, released with
 * bert_labels_free(). Returns BERT_ERR_INVALID_ARGUMENT (NULL argument; no files; task not a
 * classifier), BERT_ERR_IO, BERT_ERR_FORMAT (bad JSON, missing field), BERT_ERR_INVALID_UTF8,
 * BERT_ERR_LIMIT, BERT_ERR_OUT_OF_MEMORY. Thread-safe. */
BERT_API bert_status bert_trainer_data_labels(const bert_trainer_data* data, bert_task task, char*** out_labels,
                                              size_t* out_count);
/** (1.1) Releases bert_trainer_data_labels()'s array; NULL does nothing. */
BERT_API void bert_labels_free(char** labels, size_t count);

/** One optimizer step's outcome (a result struct: set struct_size). */
typedef struct bert_trainer_step_result {
  size_t struct_size;          /**< set by the caller to sizeof(bert_trainer_step_result) */
  uint64_t step;               /**< global step after the update (1-based) */
  uint64_t total_steps;        /**< steps the run will take in all */
  double loss;                 /**< mean loss (MLM or classification) of the step's micro-batches */
  double learning_rate;        /**< the rate used by this update */
  double grad_norm;            /**< total L2 norm before clipping */
  double epoch;                /**< fractional epoch after the step */
  uint64_t tokens;             /**< non-padding tokens processed */
  uint64_t masked_tokens;      /**< predicted positions (classifiers: labels) */
} bert_trainer_step_result;

/** Result of bert_trainer_evaluate() (a result struct: set struct_size). */
typedef struct bert_trainer_eval_result {
  size_t struct_size;          /**< set by the caller to sizeof(bert_trainer_eval_result) */
  double loss;                 /**< mean cross-entropy over all masked eval tokens (classifiers: labels) */
  double perplexity;           /**< exp(loss); NaN for classifiers */
  double accuracy;             /**< share of masked tokens (classifiers: examples / tagged words) whose
                                  argmax prediction is right */
  uint64_t masked_tokens;      /**< masked tokens (classifiers: labels) scored */
  size_t examples;             /**< eval examples */
  double f1;                   /**< (1.1) classifiers: macro-F1, the unweighted mean of each label's F1
                                  over the labels that occur as gold or prediction (scikit-learn's
                                  f1_score(average="macro"); for tags: per tag, entity-free); NaN for MLM */
} bert_trainer_eval_result;

/** State of a trainer, from bert_trainer_get_info() (a result struct: set struct_size). */
typedef struct bert_trainer_info {
  size_t struct_size;          /**< set by the caller to sizeof(bert_trainer_info) */
  uint64_t global_step;        /**< optimizer steps taken so far */
  uint64_t total_steps;        /**< steps the run will take in all */
  double epoch;                /**< fractional epoch reached */
  size_t train_examples;       /**< after grouping (0 without training data) */
  size_t eval_examples;        /**< evaluation examples after grouping */
  uint64_t train_tokens;       /**< real tokens in the training examples, incl. [CLS]/[SEP] */
  double train_padding_share;  /**< share of padding tokens in one epoch of training batches */
  double best_metric;          /**< best metric_for_best_model at a checkpoint, NaN when none */
  const char* best_checkpoint; /**< "" when none; valid until the next call on this trainer */
  int cache_hit;               /**< 1 when the training data came from the encoded-dataset cache */
  int32_t rank;                /**< (1.2) this process's rank (0 unless data-parallel) */
  int32_t world_size;          /**< (1.2) processes training together (1 unless data-parallel) */
} bert_trainer_info;

/** @name Data-parallel training (1.2)
 * With world_size > 1 (set in bert_trainer_params or by a launcher's environment) every process
 * ("rank") creates a trainer with the same model files, data, seed and options; bert_trainer_create()
 * then joins the group through the rendezvous (`master`) and checks that every rank agrees — a rank
 * with different training or eval data, seed, model config or initial weights, or options makes every
 * rank fail with BERT_ERR_INVALID_ARGUMENT naming what differs. Then:
 *  - A step takes world_size x grad_accum micro-batches of batch_size from the global batch order —
 *    the order a 1-process run with grad_accum x world_size uses — and rank r computes micro-batches
 *    r x grad_accum ... (r+1) x grad_accum - 1 of them. Masks and dropout are functions of the
 *    micro-batch number, so after K steps every rank holds bit-identical weights, equal (to the
 *    rounding of the summation order) to that 1-process run's.
 *  - Gradients are summed over the ranks (Gloo ring all-reduce of flat buckets, after the backward
 *    passes) before clipping and AdamW; the step's loss, token and label counts and evaluation are
 *    all-reduced too, so results and events are the same on every rank. Evaluation batches are
 *    split among the ranks.
 *  - Rank 0 alone writes train_log.jsonl, checkpoints and the final model (other ranks never write
 *    into output_dir). Resuming needs every rank to see the same checkpoint (a shared filesystem, or
 *    copies) and the world size the checkpoint was written with (BERT_ERR_INVALID_ARGUMENT names both).
 *  - threads 0 gives each process cores / local_world_size intra-op threads.
 *  - Every call that runs a collective (create, step, train, evaluate, resume) fails with BERT_ERR_IO
 *    when another rank is lost — its process died or nothing arrived within dist_timeout_seconds —
 *    and the message names the lost ranks ("lost rank 1"); such a trainer is unusable: free it and
 *    resume all ranks from the last checkpoint. A rank that stops early (cancelled, error) makes the
 *    others fail this way.
 *  - Not done: elastic membership (ranks joining or leaving a run), model parallelism, GPUs (NCCL).
 *    Hosts that write to sockets whose peer died get SIGPIPE unless they ignore it (the bertc tool
 *    does): a process hosting a trainer with world_size > 1 should set SIGPIPE to SIG_IGN.
 * @{ */
/** @} */

/** Creates a trainer for `model` (trained in place: after training the same handle holds the new
 * weights) with `tokenizer` (its vocabulary size must equal the model's). `train` may be NULL for a
 * trainer fed only through bert_trainer_step_batch(); `eval` NULL means: hold out eval_split of the
 * training lines (or no evaluation when eval_split is 0). Tokenizes file data (with cache), builds
 * the examples, validates everything, and creates output_dir. The trainer borrows `model`, which
 * must outlive it; it keeps its own reference to the tokenizer (which may be freed earlier).
 * On success *out owns the trainer (bert_trainer_free()).
 * The call may leave a warning in bert_last_error() (e.g. the dataset cache could not be written).
 * Returns BERT_ERR_INVALID_ARGUMENT (NULL model/tokenizer/out; both or neither of files/token ids;
 * token id outside the vocabulary; empty dataset after filtering; batch_size larger than the
 * training set; mlm_probability outside (0, 1); max_length > max_position_embeddings or < 3; other
 * out-of-range option or unknown enum value; vocab size mismatch; eval_steps without eval data;
 * (1.1) for a classifier: a label the model's label map lacks or an id outside it, a line whose words
 * and tags differ in length, in-memory data without labels, grouping concat_chunk or packed,
 * metric_for_best_model unknown — each message names the file and line; (1.2) a world_size / rank /
 * master combination that is impossible or a launcher variable that does not parse, ranks that disagree
 * on data, seed, model or options),
 * BERT_ERR_IO (a data file missing or unreadable; output_dir cannot be created or written; (1.2) the
 * rendezvous failed or timed out, or a rank was lost while checking the configuration),
 * BERT_ERR_FORMAT (bad JSONL line; a field missing or of the wrong type), BERT_ERR_INVALID_UTF8 (a data
 * line is not UTF-8),
 * BERT_ERR_UNSUPPORTED (device "cuda" in a build without CUDA; struct_size from a newer header),
 * BERT_ERR_OUT_OF_MEMORY. Thread-safe (different trainers). */
BERT_API bert_status bert_trainer_create(bert_model* model, const bert_tokenizer* tokenizer,
                                         const bert_trainer_data* train, const bert_trainer_data* eval,
                                         const bert_trainer_params* params, bert_trainer** out);

/** Runs one optimizer step (grad_accum micro-batches of the training data), then logs / evaluates /
 * checkpoints when this step hits logging_steps / eval_steps / save_steps; `progress` (may be NULL)
 * receives those events. Steps beyond total_steps are allowed (the schedule stays at its end value).
 * `out` may be NULL. Returns BERT_ERR_INVALID_ARGUMENT (NULL trainer; no training data; out->struct_size
 * not set; called from a progress callback of a trainer call on the same model),
 * BERT_ERR_CANCELLED (the callback returned non-zero: the step itself is complete and counted),
 * BERT_ERR_IO (log or checkpoint write failed; the previous checkpoint is intact; (1.2) another rank
 * was lost — the message names it),
 * BERT_ERR_UNSUPPORTED (out->struct_size from a newer header), BERT_ERR_OUT_OF_MEMORY.
 * Not thread-safe for one trainer; holds the model exclusively. */
BERT_API bert_status bert_trainer_step(bert_trainer* trainer, bert_progress_fn progress, void* user_data,
                                       bert_trainer_step_result* out);

/** One optimizer step on a batch from memory: rows x cols row-major token ids that already contain
 * [CLS]/[SEP] and padding ([PAD] id). attention_mask NULL means "not [PAD]". labels NULL means the
 * trainer masks the batch with its MLM collator; otherwise labels hold the target id at predicted
 * positions and -100 elsewhere (input_ids then already carry [MASK] where wanted). (1.1) For a
 * classifier labels are required: `rows` label ids (sequence classification) or rows x cols (token
 * classification; -100 where none). No accumulation, no logging cadence. `out` may be NULL. Returns BERT_ERR_INVALID_ARGUMENT (NULL trainer/input_ids,
 * rows or cols 0, cols > max_length, id or label outside the vocabulary), BERT_ERR_UNSUPPORTED,
 * BERT_ERR_OUT_OF_MEMORY. Not thread-safe for one trainer. */
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
 * BERT_ERR_IO ((1.2) another rank was lost), BERT_ERR_UNSUPPORTED, BERT_ERR_OUT_OF_MEMORY. Not thread-safe for one trainer. */
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
 * settings or training data differ from this trainer's — the message names the field; (1.2) it was
 * written with another world size, or the ranks resumed different checkpoints), BERT_ERR_IO
 * (no checkpoint found, files missing; (1.2) another rank was lost), BERT_ERR_FORMAT (corrupt checkpoint files),
 * BERT_ERR_OUT_OF_MEMORY. Not thread-safe for one trainer; holds the model exclusively. */
BERT_API bert_status bert_trainer_resume(bert_trainer* trainer, const char* checkpoint);

/** Fills *out (only out->struct_size bytes) with the trainer's position and data statistics.
 * Returns BERT_ERR_INVALID_ARGUMENT (NULL argument, struct_size too small), BERT_ERR_UNSUPPORTED
 * (struct_size from a newer header). Not thread-safe for one trainer. */
BERT_API bert_status bert_trainer_get_info(bert_trainer* trainer, bert_trainer_info* out);

/** Releases a trainer (the model and tokenizer stay with their owners); NULL does nothing. */
BERT_API void bert_trainer_free(bert_trainer* trainer);

/* BERTC-SECTION: trainer (end) */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BERTC_H_ */
