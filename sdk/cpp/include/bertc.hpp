// bertc.hpp — the C++ SDK of bertc: header-only, move-only RAII classes over the C ABI of bertc.h.
//
//   #include <bertc.hpp>
//   auto tok = bertc::Tokenizer::load("runs/demo/tokenizer");
//   auto model = bertc::Model::load("runs/demo/model");
//   for (const auto& p : model.fill_mask(tok, "It [MASK] a long time ago.")[0])
//     std::cout << p.token << " " << p.score << "\n";
//
// Fine-tuning (ABI 1.1): a classifier head on a pre-trained model, trained on labelled JSON Lines:
//
//   auto data = bertc::TrainerData::FromFiles({"train.jsonl"});          // {"text": ..., "label": ...}
//   auto clf = bertc::Model::load_for_task("run", bertc::Task::kSequenceClassification,
//                                          bertc::dataset_labels(data, bertc::Task::kSequenceClassification));
//   bertc::TrainerOptions o;
//   o.output_dir = "clf";
//   bertc::Trainer::create(clf, tok, data, std::nullopt, o).train();
//   bertc::Classification c = clf.classify(tok, "A new day in the city.");  // c.label_name, c.score
//
// Errors. Every operation exists in two forms: `try_x(...)` returns a bertc::Expected<T> (value or
// bertc::Error: status + bertc's message) and never throws, for engines built with -fno-exceptions;
// `x(...)` returns T and throws bertc::Exception (a std::runtime_error carrying the same Error). The
// throwing forms exist only when exceptions are enabled.
//
// Ownership and threads follow bertc.h: Tokenizer and Model are immutable for inference and may be
// shared between threads (const methods are thread-safe); a Trainer borrows its Model and must not
// outlive it; every other object owns plain C++ data. Objects are move-only; a moved-from object is
// empty (calls on it return BERT_ERR_INVALID_ARGUMENT, never crash).
//
// The header needs C++17 and links with libbertc (CMake: target bertc::bertc; pkg-config: bertc).
#ifndef BERTC_HPP_
#define BERTC_HPP_

#include <bertc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define BERTC_HPP_EXCEPTIONS 1
#include <stdexcept>
#else
#define BERTC_HPP_EXCEPTIONS 0
#endif

namespace bertc {

// ---- errors ---------------------------------------------------------------------------------------

// The C status codes (bertc.h: bert_status_code); unknown future codes keep their value.
enum class Status : int32_t {
  kOk = BERT_OK,
  kInvalidArgument = BERT_ERR_INVALID_ARGUMENT,
  kIo = BERT_ERR_IO,
  kFormat = BERT_ERR_FORMAT,
  kInvalidUtf8 = BERT_ERR_INVALID_UTF8,
  kOutOfMemory = BERT_ERR_OUT_OF_MEMORY,
  kCancelled = BERT_ERR_CANCELLED,
  kUnsupported = BERT_ERR_UNSUPPORTED,
  kInternal = BERT_ERR_INTERNAL,
  kLimit = BERT_ERR_LIMIT,
};

// A failed call: its status and bertc's message ("function: what went wrong").
struct Error {
  Status status = Status::kOk;
  std::string message;
  // Static name of the status, e.g. "I/O error".
  const char* status_name() const { return bert_status_str(static_cast<bert_status>(status)); }
};

#if BERTC_HPP_EXCEPTIONS
// Thrown by the throwing forms. what() is "status name: message".
class Exception : public std::runtime_error {
 public:
  explicit Exception(Error e)
      : std::runtime_error(std::string(e.status_name()) + ": " + e.message), error_(std::move(e)) {}
  const Error& error() const noexcept { return error_; }
  Status status() const noexcept { return error_.status; }

 private:
  Error error_;
};
#endif

// A value or an Error (a small std::expected for C++17).
template <class T>
class Expected {
 public:
  Expected(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Expected(Error error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  // The error (status kOk when there is a value).
  const Error& error() const { return error_; }
  // The value; only when ok(). Without exceptions a missing value aborts.
  T& value() & {
    check();
    return *value_;
  }
  const T& value() const& {
    check();
    return *value_;
  }
  T&& value() && {
    check();
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void check() const {
    if (value_) return;
#if BERTC_HPP_EXCEPTIONS
    throw Exception(error_);
#else
    std::abort();
#endif
  }
  std::optional<T> value_;
  Error error_;
};

// Expected<void>.
template <>
class Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  void value() const {
    if (ok_) return;
#if BERTC_HPP_EXCEPTIONS
    throw Exception(error_);
#else
    std::abort();
#endif
  }

 private:
  Error error_;
  bool ok_ = true;
};

namespace detail {

// The message belongs to the calling thread's last call: read it right away.
inline Error LastError(bert_status status) {
  return Error{static_cast<Status>(status), std::string(bert_last_error())};
}

inline Error Invalid(const char* what) {
  return Error{Status::kInvalidArgument, std::string("bertc.hpp: ") + what};
}

inline Expected<void> Check(bert_status status) {
  if (status == BERT_OK) return {};
  return LastError(status);
}

// One-time check that the loaded library serves this header.
inline const Expected<void>& VersionCheck() {
  static const Expected<void> result = Check(bert_check_version(BERTC_VERSION_NUMBER));
  return result;
}

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};

struct StringFree {
  void operator()(char* s) const { bert_string_free(s); }
};
using OwnedString = std::unique_ptr<char, StringFree>;

// C arrays of pointer + length for a list of strings (the strings stay owned by the caller).
struct TextArray {
  explicit TextArray(const std::vector<std::string_view>& texts) {
    ptrs.reserve(texts.size());
    lengths.reserve(texts.size());
    for (std::string_view t : texts) {
      ptrs.push_back(t.data());
      lengths.push_back(t.size());
    }
  }
  std::vector<const char*> ptrs;
  std::vector<size_t> lengths;
};

// NUL-terminated copies for the name-like strings params structs take.
struct CStrings {
  explicit CStrings(const std::vector<std::string>& items) {
    ptrs.reserve(items.size());
    for (const std::string& s : items) ptrs.push_back(s.c_str());
  }
  std::vector<const char*> ptrs;
};

}  // namespace detail

// The loaded library's version ("1.0.0") and the check a program may run at start-up.
inline const char* version() { return bert_version(); }
// How the loaded library was built and runs here, as a JSON object (bert_build_info): version, abi,
// libtorch, compiler, blas {library, kernel, chosen_by, generic}, cpu {model, isa}, default_threads.
inline const char* build_info() { return bert_build_info(); }
inline Expected<void> check_version() { return detail::VersionCheck(); }

// Process-wide limits on untrusted input (bert_set_limits); beyond one, a call fails with kLimit.
struct Limits {
  uint64_t max_text_bytes = 0, max_vocab_size = 0, max_token_bytes = 0, max_model_bytes = 0;
};

inline Expected<Limits> try_get_limits() {
  bert_limits l;
  if (auto e = detail::Check(BERT_LIMITS_INIT(&l)); !e) return e.error();
  return Limits{l.max_text_bytes, l.max_vocab_size, l.max_token_bytes, l.max_model_bytes};
}

inline Expected<void> try_set_limits(const Limits& limits) {
  bert_limits l;
  if (auto e = detail::Check(BERT_LIMITS_INIT(&l)); !e) return e;
  l.max_text_bytes = limits.max_text_bytes;
  l.max_vocab_size = limits.max_vocab_size;
  l.max_token_bytes = limits.max_token_bytes;
  l.max_model_bytes = limits.max_model_bytes;
  return detail::Check(bert_set_limits(&l));
}

#if BERTC_HPP_EXCEPTIONS
inline Limits get_limits() { return try_get_limits().value(); }
inline void set_limits(const Limits& limits) { try_set_limits(limits).value(); }
#endif

// ---- progress -------------------------------------------------------------------------------------

enum class EventKind : int32_t {
  kTokenizerCount = BERT_EVENT_TOKENIZER_COUNT,
  kTokenizerMerge = BERT_EVENT_TOKENIZER_MERGE,
  kEncode = BERT_EVENT_ENCODE,
  kTrainStep = BERT_EVENT_TRAIN_STEP,
  kEval = BERT_EVENT_EVAL,
  kCheckpoint = BERT_EVENT_CHECKPOINT,
};

// A progress report (bert_event), copied.
struct Event {
  EventKind kind{};
  uint64_t current = 0, total = 0;
  double elapsed_seconds = 0, loss = 0, learning_rate = 0, grad_norm = 0, tokens_per_second = 0;
  double eval_loss = 0, eval_perplexity = 0, eval_accuracy = 0, epoch = 0;
  std::string path, message;
  double eval_f1 = 0;  // (1.1) kEval of a classifier: macro-F1 over the labels; NaN for a masked LM
};

// Return true to continue, false to cancel (the call then fails with Status::kCancelled).
using Progress = std::function<bool(const Event&)>;

namespace detail {

struct ProgressContext {
  const Progress* fn = nullptr;
#if BERTC_HPP_EXCEPTIONS
  std::exception_ptr error;  // an exception from the callback, rethrown after the C call
#endif
};

inline int ProgressTrampoline(void* user, const bert_event* ev) {
  auto* ctx = static_cast<ProgressContext*>(user);
  Event e;
  e.kind = static_cast<EventKind>(ev->kind);
  e.current = ev->current;
  e.total = ev->total;
  e.elapsed_seconds = ev->elapsed_seconds;
  e.loss = ev->loss;
  e.learning_rate = ev->learning_rate;
  e.grad_norm = ev->grad_norm;
  e.tokens_per_second = ev->tokens_per_second;
  e.eval_loss = ev->eval_loss;
  e.eval_perplexity = ev->eval_perplexity;
  e.eval_accuracy = ev->eval_accuracy;
  e.epoch = ev->epoch;
  if (ev->path != nullptr) e.path = ev->path;
  if (ev->message != nullptr) e.message = ev->message;
  // Appended in 1.1: read only what the sending library's struct holds.
  e.eval_f1 = offsetof(bert_event, eval_f1) < ev->struct_size ? ev->eval_f1
                                                               : std::numeric_limits<double>::quiet_NaN();
#if BERTC_HPP_EXCEPTIONS
  try {
    return (*ctx->fn)(e) ? 0 : 1;
  } catch (...) {  // never unwind through C: cancel, rethrow after the call
    ctx->error = std::current_exception();
    return 1;
  }
#else
  return (*ctx->fn)(e) ? 0 : 1;
#endif
}

// Runs a C call with an optional progress function; rethrows what the callback threw.
template <class Call>
Expected<void> WithProgress(const Progress* progress, Call&& call) {
  ProgressContext ctx;
  ctx.fn = progress;
  const bool has = progress != nullptr && *progress;
  const bert_status st = call(has ? &ProgressTrampoline : nullptr, has ? &ctx : nullptr);
  Expected<void> r = Check(st);
#if BERTC_HPP_EXCEPTIONS
  if (ctx.error) std::rethrow_exception(ctx.error);
#endif
  return r;
}

}  // namespace detail

// ---- tokenizer ------------------------------------------------------------------------------------

// Options of tokenizer training (bert_tokenizer_params). Unset optionals keep the library defaults.
struct TokenizerTrainOptions {
  std::optional<size_t> vocab_size;           // 30522
  std::optional<uint64_t> min_frequency;      // 2
  std::optional<size_t> limit_alphabet;       // 1000
  std::vector<std::string> special_tokens;    // empty: [PAD] [UNK] [CLS] [SEP] [MASK]
  std::optional<bool> lowercase;              // true
  bert_strip_accents strip_accents = BERT_STRIP_ACCENTS_AUTO;
  std::optional<bool> clean_text, handle_chinese_chars;
  bert_tokenizer_algorithm algorithm = BERT_TOKENIZER_ALGO_HF;
  size_t threads = 0;                         // 0 = all cores
  std::optional<size_t> model_max_length;     // 512
  Progress progress;                          // BERT_EVENT_TOKENIZER_COUNT / _MERGE
};

enum class Truncation : int32_t {
  kNone = BERT_TRUNCATION_NONE,
  kLongestFirst = BERT_TRUNCATION_LONGEST_FIRST,
  kOnlyFirst = BERT_TRUNCATION_ONLY_FIRST,
  kOnlySecond = BERT_TRUNCATION_ONLY_SECOND,
};
enum class Padding : int32_t {
  kNone = BERT_PADDING_NONE,
  kLongest = BERT_PADDING_LONGEST,
  kMaxLength = BERT_PADDING_MAX_LENGTH,
};

// Options of encode (bert_encode_params); the defaults are the library's.
struct EncodeOptions {
  bool add_special_tokens = true;
  Truncation truncation = Truncation::kNone;
  size_t max_length = 0;  // 0 = model_max_length
  size_t stride = 0;
  bool return_overflowing = false;
  Padding padding = Padding::kNone;
  size_t pad_length = 0;
  size_t pad_to_multiple_of = 0;
  bool pad_left = false;
  bool split_special_tokens = false;  // "[MASK]" in the text is plain text (untrusted input)
  size_t threads = 0;                 // batch encode threads; 0 = all cores
};

// One encoded row (owned copies of the bert_encoding arrays).
struct Encoding {
  std::vector<int32_t> ids, type_ids, attention_mask, special_tokens_mask;
  std::vector<bert_offset> offsets;  // byte ranges in the input text
  std::vector<int8_t> sequence_ids;  // 0 / 1 / -1 (special or padding)
  size_t input_index = 0;            // which input of a batch
  bool overflow = false;             // an overflow window
};

enum class TokenizerFile : int32_t {
  kJson = BERT_TOKENIZER_FILE_JSON,
  kVocab = BERT_TOKENIZER_FILE_VOCAB,
  kConfig = BERT_TOKENIZER_FILE_CONFIG,
};

// A WordPiece tokenizer. Immutable: const methods are thread-safe.
class Tokenizer {
 public:
  Tokenizer() = default;

  static Expected<Tokenizer> try_load(const std::string& path) {
    return Make([&](bert_tokenizer** out) { return bert_tokenizer_load(path.c_str(), out); });
  }
  // tokenizer.json or vocab.txt content, plus an optional tokenizer_config.json.
  static Expected<Tokenizer> try_load_from_memory(std::string_view data, std::string_view config = {}) {
    return Make([&](bert_tokenizer** out) {
      return bert_tokenizer_load_from_memory(data.data(), data.size(), config.empty() ? nullptr : config.data(),
                                             config.size(), out);
    });
  }
  static Expected<Tokenizer> try_train(const std::vector<std::string>& files, const TokenizerTrainOptions& options = {}) {
    const detail::CStrings paths(files);
    return Train(options, [&](const bert_tokenizer_params* p, bert_tokenizer** out) {
      return bert_tokenizer_train(paths.ptrs.data(), paths.ptrs.size(), p, out);
    });
  }
  static Expected<Tokenizer> try_train_from_lines(const std::vector<std::string_view>& lines,
                                                  const TokenizerTrainOptions& options = {}) {
    const detail::TextArray arr(lines);
    return Train(options, [&](const bert_tokenizer_params* p, bert_tokenizer** out) {
      return bert_tokenizer_train_from_lines(arr.ptrs.data(), arr.lengths.data(), arr.ptrs.size(), p, out);
    });
  }

  Expected<void> try_save(const std::string& path) const {
    if (!h_) return detail::Invalid("empty Tokenizer");
    return detail::Check(bert_tokenizer_save(h_.get(), path.c_str()));
  }
  Expected<std::string> try_save_to_memory(TokenizerFile file = TokenizerFile::kJson) const {
    if (!h_) return detail::Invalid("empty Tokenizer");
    char* data = nullptr;
    size_t size = 0;
    const bert_status st = bert_tokenizer_save_to_memory(h_.get(), static_cast<int32_t>(file), &data, &size);
    if (st != BERT_OK) return detail::LastError(st);
    detail::OwnedString owned(data);
    return std::string(data, size);
  }

  Expected<Encoding> try_encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                                const EncodeOptions& options = {}) const {
    if (!h_) return detail::Invalid("empty Tokenizer");
    bert_encode_params p;
    if (auto e = Params(options, &p); !e) return e.error();
    bert_encoding* enc = nullptr;
    const bert_status st = bert_tokenizer_encode(h_.get(), text.data(), text.size(), pair ? pair->data() : nullptr,
                                                 pair ? pair->size() : 0, &p, &enc);
    if (st != BERT_OK) return detail::LastError(st);
    std::vector<Encoding> rows = Rows(enc);
    return std::move(rows.front());
  }
  // Encodes each text; with return_overflowing a text may give several rows (see input_index).
  Expected<std::vector<Encoding>> try_encode_batch(const std::vector<std::string_view>& texts,
                                                   const EncodeOptions& options = {}) const {
    if (!h_) return detail::Invalid("empty Tokenizer");
    bert_encode_params p;
    if (auto e = Params(options, &p); !e) return e.error();
    const detail::TextArray arr(texts);
    bert_encoding* enc = nullptr;
    const bert_status st = bert_tokenizer_encode_batch(h_.get(), arr.ptrs.data(), arr.lengths.data(), nullptr,
                                                       nullptr, arr.ptrs.size(), &p, &enc);
    if (st != BERT_OK) return detail::LastError(st);
    return Rows(enc);
  }

  Expected<std::string> try_decode(const std::vector<int32_t>& ids, bool skip_special_tokens = true,
                                   bool cleanup = true) const {
    if (!h_) return detail::Invalid("empty Tokenizer");
    char* text = nullptr;
    size_t len = 0;
    const bert_status st = bert_tokenizer_decode(h_.get(), ids.data(), ids.size(), Flags(skip_special_tokens, cleanup),
                                                 &text, &len);
    if (st != BERT_OK) return detail::LastError(st);
    detail::OwnedString owned(text);
    return std::string(text, len);
  }
  Expected<std::vector<std::string>> try_decode_batch(const std::vector<std::vector<int32_t>>& seqs,
                                                      bool skip_special_tokens = true, bool cleanup = true) const {
    if (!h_) return detail::Invalid("empty Tokenizer");
    std::vector<const int32_t*> ids;
    std::vector<size_t> lengths;
    for (const auto& s : seqs) {
      ids.push_back(s.data());
      lengths.push_back(s.size());
    }
    std::vector<char*> texts(seqs.size(), nullptr);
    std::vector<size_t> text_lengths(seqs.size(), 0);
    const bert_status st = bert_tokenizer_decode_batch(h_.get(), ids.data(), lengths.data(), seqs.size(),
                                                       Flags(skip_special_tokens, cleanup), texts.data(),
                                                       text_lengths.data());
    if (st != BERT_OK) return detail::LastError(st);
    std::vector<std::string> out;
    out.reserve(seqs.size());
    for (size_t i = 0; i < seqs.size(); ++i) {
      detail::OwnedString owned(texts[i]);
      out.emplace_back(texts[i], text_lengths[i]);
    }
    return out;
  }

  // The id of an exact vocabulary entry, or -1.
  Expected<int32_t> try_token_to_id(std::string_view token) const {
    if (!h_) return detail::Invalid("empty Tokenizer");
    int32_t id = -1;
    if (auto e = detail::Check(bert_tokenizer_token_to_id(h_.get(), token.data(), token.size(), &id)); !e) {
      return e.error();
    }
    return id;
  }
  Expected<std::string> try_id_to_token(int32_t id) const {
    if (!h_) return detail::Invalid("empty Tokenizer");
    const char* token = nullptr;
    size_t len = 0;
    if (auto e = detail::Check(bert_tokenizer_id_to_token(h_.get(), id, &token, &len)); !e) return e.error();
    return std::string(token, len);
  }
  // The id of a special role (BERT_SPECIAL_*), -1 when the vocabulary lacks it.
  Expected<int32_t> try_special_token_id(bert_special_token role) const {
    if (!h_) return detail::Invalid("empty Tokenizer");
    int32_t id = -1;
    if (auto e = detail::Check(bert_tokenizer_special_token_id(h_.get(), role, &id)); !e) return e.error();
    return id;
  }
  size_t vocab_size() const { return bert_tokenizer_vocab_size(h_.get()); }

#if BERTC_HPP_EXCEPTIONS
  static Tokenizer load(const std::string& path) { return try_load(path).value(); }
  static Tokenizer load_from_memory(std::string_view data, std::string_view config = {}) {
    return try_load_from_memory(data, config).value();
  }
  static Tokenizer train(const std::vector<std::string>& files, const TokenizerTrainOptions& options = {}) {
    return try_train(files, options).value();
  }
  static Tokenizer train_from_lines(const std::vector<std::string_view>& lines,
                                    const TokenizerTrainOptions& options = {}) {
    return try_train_from_lines(lines, options).value();
  }
  void save(const std::string& path) const { try_save(path).value(); }
  std::string save_to_memory(TokenizerFile file = TokenizerFile::kJson) const {
    return try_save_to_memory(file).value();
  }
  Encoding encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                  const EncodeOptions& options = {}) const {
    return try_encode(text, pair, options).value();
  }
  std::vector<Encoding> encode_batch(const std::vector<std::string_view>& texts,
                                     const EncodeOptions& options = {}) const {
    return try_encode_batch(texts, options).value();
  }
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = true, bool cleanup = true) const {
    return try_decode(ids, skip_special_tokens, cleanup).value();
  }
  std::vector<std::string> decode_batch(const std::vector<std::vector<int32_t>>& seqs, bool skip_special_tokens = true,
                                        bool cleanup = true) const {
    return try_decode_batch(seqs, skip_special_tokens, cleanup).value();
  }
  int32_t token_to_id(std::string_view token) const { return try_token_to_id(token).value(); }
  std::string id_to_token(int32_t id) const { return try_id_to_token(id).value(); }
  int32_t special_token_id(bert_special_token role) const { return try_special_token_id(role).value(); }
#endif

  // The C handle, for calls this SDK does not wrap. Owned by this object.
  const bert_tokenizer* get() const { return h_.get(); }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  using Handle = std::unique_ptr<bert_tokenizer, detail::Deleter<bert_tokenizer, bert_tokenizer_free>>;
  explicit Tokenizer(bert_tokenizer* h) : h_(h) {}

  template <class Fn>
  static Expected<Tokenizer> Make(Fn&& fn) {
    if (auto v = detail::VersionCheck(); !v) return v.error();
    bert_tokenizer* h = nullptr;
    const bert_status st = fn(&h);
    if (st != BERT_OK) return detail::LastError(st);
    return Tokenizer(h);
  }

  template <class Fn>
  static Expected<Tokenizer> Train(const TokenizerTrainOptions& o, Fn&& fn) {
    if (auto v = detail::VersionCheck(); !v) return v.error();
    bert_tokenizer_params p;
    if (auto e = detail::Check(BERT_TOKENIZER_PARAMS_INIT(&p)); !e) return e.error();
    if (o.vocab_size) p.vocab_size = *o.vocab_size;
    if (o.min_frequency) p.min_frequency = *o.min_frequency;
    if (o.limit_alphabet) p.limit_alphabet = *o.limit_alphabet;
    const detail::CStrings specials(o.special_tokens);
    if (!o.special_tokens.empty()) {
      p.special_tokens = specials.ptrs.data();
      p.num_special_tokens = specials.ptrs.size();
    }
    if (o.lowercase) p.lowercase = *o.lowercase ? 1 : 0;
    p.strip_accents = o.strip_accents;
    if (o.clean_text) p.clean_text = *o.clean_text ? 1 : 0;
    if (o.handle_chinese_chars) p.handle_chinese_chars = *o.handle_chinese_chars ? 1 : 0;
    p.algorithm = o.algorithm;
    p.threads = o.threads;
    if (o.model_max_length) p.model_max_length = *o.model_max_length;
    bert_tokenizer* h = nullptr;
    const Expected<void> r = detail::WithProgress(o.progress ? &o.progress : nullptr,
                                                  [&](bert_progress_fn fn_ptr, void* user) {
                                                    p.progress = fn_ptr;
                                                    p.progress_user_data = user;
                                                    return fn(&p, &h);
                                                  });
    if (!r) return r.error();
    return Tokenizer(h);
  }

  static Expected<void> Params(const EncodeOptions& o, bert_encode_params* p) {
    if (auto e = detail::Check(BERT_ENCODE_PARAMS_INIT(p)); !e) return e;
    p->add_special_tokens = o.add_special_tokens ? 1 : 0;
    p->truncation = static_cast<int32_t>(o.truncation);
    p->max_length = o.max_length;
    p->stride = o.stride;
    p->return_overflowing = o.return_overflowing ? 1 : 0;
    p->padding = static_cast<int32_t>(o.padding);
    p->pad_length = o.pad_length;
    p->pad_to_multiple_of = o.pad_to_multiple_of;
    p->padding_side = o.pad_left ? BERT_PADDING_LEFT : BERT_PADDING_RIGHT;
    p->split_special_tokens = o.split_special_tokens ? 1 : 0;
    p->threads = o.threads;
    return {};
  }

  static unsigned Flags(bool skip_special_tokens, bool cleanup) {
    return (skip_special_tokens ? BERT_DECODE_SKIP_SPECIAL_TOKENS : 0u) | (cleanup ? 0u : BERT_DECODE_NO_CLEANUP);
  }

  // Copies every row of `enc` and frees it.
  static std::vector<Encoding> Rows(bert_encoding* enc) {
    std::unique_ptr<bert_encoding, detail::Deleter<bert_encoding, bert_encoding_free>> owned(enc);
    std::vector<Encoding> rows(bert_encoding_count(enc));
    for (size_t r = 0; r < rows.size(); ++r) {
      const size_t n = bert_encoding_length(enc, r);
      Encoding& e = rows[r];
      auto copy = [n](auto* src, auto& dst) { dst.assign(src, src + n); };
      copy(bert_encoding_ids(enc, r), e.ids);
      copy(bert_encoding_type_ids(enc, r), e.type_ids);
      copy(bert_encoding_attention_mask(enc, r), e.attention_mask);
      copy(bert_encoding_special_tokens_mask(enc, r), e.special_tokens_mask);
      copy(bert_encoding_offsets(enc, r), e.offsets);
      copy(bert_encoding_sequence_ids(enc, r), e.sequence_ids);
      e.input_index = bert_encoding_input_index(enc, r);
      e.overflow = bert_encoding_is_overflow(enc, r) != 0;
    }
    return rows;
  }

  Handle h_;
};

// ---- model ----------------------------------------------------------------------------------------

// (1.1) The head on the encoder (bert_task), as Hugging Face's architectures.
enum class Task : int32_t {
  kMaskedLm = BERT_TASK_MASKED_LM,                             // BertForMaskedLM
  kSequenceClassification = BERT_TASK_SEQUENCE_CLASSIFICATION,  // BertForSequenceClassification
  kTokenClassification = BERT_TASK_TOKEN_CLASSIFICATION,        // BertForTokenClassification
};

// BertConfig (bert_model_params). Default-constructed = the library's defaults (BERT-base masked LM).
struct ModelConfig {
  size_t vocab_size = 30522, hidden_size = 768, num_hidden_layers = 12, num_attention_heads = 12;
  size_t intermediate_size = 3072;
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1, attention_probs_dropout_prob = 0.1;
  size_t max_position_embeddings = 512, type_vocab_size = 2;
  double layer_norm_eps = 1e-12, initializer_range = 0.02;
  int32_t pad_token_id = 0;
  std::string position_embedding_type = "absolute";
  uint64_t seed = 42;
  // (1.1) The head. Classifiers need labels (id i = labels[i], config.json id2label), or only
  // num_labels for LABEL_0, LABEL_1, ...; classifier_dropout unset = hidden_dropout_prob.
  Task task = Task::kMaskedLm;
  std::vector<std::string> labels;
  size_t num_labels = 0;  // config(): labels.size()
  std::optional<double> classifier_dropout;
};

// (1.1) The head Model::load_for_task() puts on a checkpoint (bert_task_params).
struct TaskOptions {
  Task task = Task::kSequenceClassification;
  // Label names (id i = labels[i]); empty: keep the checkpoint's (only when it already has this head).
  std::vector<std::string> labels;
  std::optional<double> classifier_dropout;  // unset: the checkpoint's (or hidden_dropout_prob)
  uint64_t seed = 42;                        // initialisation of a new head
  // (1.3) The encoder's dropout while training, in [0, 1), replacing the checkpoint's as
  // from_pretrained(dir, hidden_dropout_prob=..., attention_probs_dropout_prob=...); unset: the
  // checkpoint's. Saved in config.json.
  std::optional<double> hidden_dropout_prob;
  std::optional<double> attention_probs_dropout_prob;
};

// (1.1) Options of classify / tag / tag_words (bert_classify_params); the defaults are the library's.
struct ClassifyOptions {
  size_t batch_size = 32;   // texts per forward pass (sorted by length, padded to the longest)
  size_t max_length = 0;    // 0 = the model's max_position_embeddings; tokens incl. [CLS]/[SEP]
  bool truncation = false;  // false: a longer text is an error (as HF); true: cut (tag: words beyond untagged)
  size_t threads = 0;       // 0 = library default; applies to this call only
};

// (1.1) One text's classification (HF pipeline("text-classification", top_k=None)).
struct Classification {
  size_t label = 0;            // id of the most probable label (the lowest id on ties)
  std::string label_name;      // its name (config.json id2label)
  double score = 0;            // its probability
  std::vector<double> scores;  // the probability of every label, by id
  std::vector<double> logits;  // the classifier's raw logits, by id
};

// (1.1) One tagged word: the label of its first token (HF aggregation_strategy "first").
struct TaggedWord {
  size_t start = 0, end = 0;  // byte range in the text (tag_words: in the words joined by single spaces)
  size_t word_index = 0;      // tag: index among the text's words; tag_words: the input word
  size_t label = 0;           // id of its label
  std::string label_name;     // the label's name (with any B-/I- prefix)
  double score = 0;           // the label's probability at the word's first token
  std::string word;           // the word's text
};

// (1.1) Adjacent words with one tag (HF's entity); groups labelled "O" are left out.
struct TagGroup {
  size_t start = 0, end = 0;  // byte range of its words
  size_t first_word = 0;      // index of its first word in TaggedText::words
  size_t num_words = 0;
  std::string label_name;     // the tag without its B-/I- prefix (HF "entity_group")
  double score = 0;           // mean of the words' scores
  std::string text;           // the text of bytes start..end (HF "word")
};

// (1.1) The tags of one text: every tagged word and the groups.
struct TaggedText {
  std::vector<TaggedWord> words;
  std::vector<TagGroup> groups;
};

// Options of fill-mask and scoring (bert_fill_mask_params).
struct FillMaskOptions {
  size_t top_k = 5;
  std::vector<std::string> targets;  // empty: the whole vocabulary
  bool expand_multi_piece_targets = false;
  size_t threads = 0;  // 0 = the free cores (bertc.h); applies to this call only
};

// One fill-mask candidate (HF pipeline keys: score, token, token_str, sequence).
struct Prediction {
  double score = 0;
  int32_t token_id = -1;
  std::string token;     // token_str
  std::string sequence;  // the input with this prediction filled in
  std::vector<int32_t> token_ids;
};

// Predictions per [MASK] of one query (best first).
using FillMaskResult = std::vector<std::vector<Prediction>>;

// Pseudo-log-likelihood of a text and the number of tokens it sums over.
struct TextScore {
  double log_likelihood = 0;
  size_t num_tokens = 0;
};

// A BERT model with its head: a BertForMaskedLM (fill_mask, score_text, pre-training) or (1.1) a
// BertForSequenceClassification (classify) / BertForTokenClassification (tag, tag_words), fine-tuned
// with a Trainer. Inference (fill_mask, score_text, classify, tag, save, config) is thread-safe.
class Model {
 public:
  Model() = default;

  static Expected<Model> try_create(const ModelConfig& c = {}) {
    if (auto v = detail::VersionCheck(); !v) return v.error();
    bert_model_params p;
    if (auto e = detail::Check(BERT_MODEL_PARAMS_INIT(&p)); !e) return e.error();
    p.vocab_size = c.vocab_size;
    p.hidden_size = c.hidden_size;
    p.num_hidden_layers = c.num_hidden_layers;
    p.num_attention_heads = c.num_attention_heads;
    p.intermediate_size = c.intermediate_size;
    p.hidden_act = c.hidden_act.c_str();
    p.hidden_dropout_prob = c.hidden_dropout_prob;
    p.attention_probs_dropout_prob = c.attention_probs_dropout_prob;
    p.max_position_embeddings = c.max_position_embeddings;
    p.type_vocab_size = c.type_vocab_size;
    p.layer_norm_eps = c.layer_norm_eps;
    p.initializer_range = c.initializer_range;
    p.pad_token_id = c.pad_token_id;
    p.position_embedding_type = c.position_embedding_type.c_str();
    p.seed = c.seed;
    p.task = static_cast<bert_task>(c.task);
    const detail::CStrings labels(c.labels);
    const std::vector<size_t> label_lengths = Lengths(c.labels);
    if (!c.labels.empty()) {
      if (c.num_labels != 0 && c.num_labels != c.labels.size()) {
        return detail::Invalid("ModelConfig: num_labels differs from the number of labels");
      }
      p.labels = labels.ptrs.data();
      p.label_lengths = label_lengths.data();
      p.num_labels = c.labels.size();
    } else {
      p.num_labels = c.num_labels;  // LABEL_0, LABEL_1, ...
    }
    if (c.classifier_dropout) p.classifier_dropout = *c.classifier_dropout;
    return Make([&](bert_model** out) { return bert_model_create(&p, out); });
  }
  // config.json + model.safetensors (the head from "architectures"; a checkpoint without the head's
  // weights loads with a new head and a warning()).
  static Expected<Model> try_load(const std::string& dir) {
    return Make([&](bert_model** out) { return bert_model_load(dir.c_str(), out); });
  }
  // (1.1) Loads `dir` with the head options.task, like AutoModelFor*Classification.from_pretrained:
  // a checkpoint that has the head keeps it (labels, if given, must equal its label map); otherwise the
  // encoder is kept and a new head for options.labels is initialised, and warning() holds Hugging
  // Face's "Some weights ... are newly initialized ... You should probably TRAIN this model".
  static Expected<Model> try_load_for_task(const std::string& dir, const TaskOptions& options) {
    bert_task_params p;
    if (auto e = detail::Check(BERT_TASK_PARAMS_INIT(&p)); !e) return e.error();
    p.task = static_cast<bert_task>(options.task);
    const detail::CStrings labels(options.labels);
    const std::vector<size_t> label_lengths = Lengths(options.labels);
    if (!options.labels.empty()) {
      p.labels = labels.ptrs.data();
      p.label_lengths = label_lengths.data();
      p.num_labels = options.labels.size();
    }
    if (options.classifier_dropout) p.classifier_dropout = *options.classifier_dropout;
    p.seed = options.seed;
    if (options.hidden_dropout_prob) p.hidden_dropout_prob = *options.hidden_dropout_prob;
    if (options.attention_probs_dropout_prob) p.attention_probs_dropout_prob = *options.attention_probs_dropout_prob;
    return Make([&](bert_model** out) { return bert_model_load_for_task(dir.c_str(), &p, out); });
  }
  static Expected<Model> try_load_for_task(const std::string& dir, Task task,
                                           const std::vector<std::string>& labels = {}) {
    TaskOptions o;
    o.task = task;
    o.labels = labels;
    return try_load_for_task(dir, o);
  }
  // config.json + model.safetensors bytes. With borrow, `weights` must outlive the model unchanged.
  static Expected<Model> try_load_from_memory(std::string_view config_json, std::string_view weights,
                                              bool borrow = false) {
    return Make([&](bert_model** out) {
      return bert_model_load_from_memory(config_json.data(), config_json.size(), weights.data(), weights.size(),
                                         borrow ? BERT_MODEL_LOAD_BORROW : 0u, out);
    });
  }

  Expected<void> try_save(const std::string& dir) const {
    if (!h_) return detail::Invalid("empty Model");
    return detail::Check(bert_model_save(h_.get(), dir.c_str()));
  }
  Expected<ModelConfig> try_config() const {
    if (!h_) return detail::Invalid("empty Model");
    bert_model_params p;
    if (auto e = detail::Check(BERT_MODEL_PARAMS_INIT(&p)); !e) return e.error();
    if (auto e = detail::Check(bert_model_config(h_.get(), &p)); !e) return e.error();
    ModelConfig c;
    c.vocab_size = p.vocab_size;
    c.hidden_size = p.hidden_size;
    c.num_hidden_layers = p.num_hidden_layers;
    c.num_attention_heads = p.num_attention_heads;
    c.intermediate_size = p.intermediate_size;
    c.hidden_act = p.hidden_act;
    c.hidden_dropout_prob = p.hidden_dropout_prob;
    c.attention_probs_dropout_prob = p.attention_probs_dropout_prob;
    c.max_position_embeddings = p.max_position_embeddings;
    c.type_vocab_size = p.type_vocab_size;
    c.layer_norm_eps = p.layer_norm_eps;
    c.initializer_range = p.initializer_range;
    c.pad_token_id = p.pad_token_id;
    c.position_embedding_type = p.position_embedding_type;
    c.seed = p.seed;
    c.task = static_cast<Task>(p.task);
    c.labels.reserve(p.num_labels);
    for (size_t i = 0; i < p.num_labels; ++i) {
      c.labels.emplace_back(p.labels[i], p.label_lengths != nullptr ? p.label_lengths[i] : std::strlen(p.labels[i]));
    }
    c.num_labels = p.num_labels;
    if (p.classifier_dropout >= 0) c.classifier_dropout = p.classifier_dropout;
    return c;
  }
  // (1.1) The head, and a classifier's label names by id (empty for a masked LM).
  // Accessors: they leave bert_last_error() (a load's warning) alone.
  Expected<Task> try_task() const {
    if (!h_) return detail::Invalid("empty Model");
    return static_cast<Task>(bert_model_task(h_.get()));
  }
  Expected<std::vector<std::string>> try_labels() const {
    if (!h_) return detail::Invalid("empty Model");
    std::vector<std::string> labels(bert_model_num_labels(h_.get()));
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = bert_model_label(h_.get(), i);
    return labels;
  }
  Expected<uint64_t> try_num_parameters() const {
    if (!h_) return detail::Invalid("empty Model");
    uint64_t n = 0;
    if (auto e = detail::Check(bert_model_num_parameters(h_.get(), &n)); !e) return e.error();
    return n;
  }

  Expected<FillMaskResult> try_fill_mask(const Tokenizer& tok, std::string_view text,
                                         const FillMaskOptions& options = {}) const {
    auto all = try_fill_mask_batch(tok, {text}, options);
    if (!all) return all.error();
    return std::move(all.value().front());
  }
  Expected<std::vector<FillMaskResult>> try_fill_mask_batch(const Tokenizer& tok,
                                                            const std::vector<std::string_view>& texts,
                                                            const FillMaskOptions& options = {}) const {
    if (!h_ || !tok) return detail::Invalid("empty Model or Tokenizer");
    bert_fill_mask_params p;
    const detail::CStrings targets(options.targets);
    if (auto e = Params(options, targets, &p); !e) return e.error();
    const detail::TextArray arr(texts);
    bert_fill_mask_result* res = nullptr;
    const bert_status st =
        bert_fill_mask_batch(h_.get(), tok.get(), arr.ptrs.data(), arr.lengths.data(), arr.ptrs.size(), &p, &res);
    if (st != BERT_OK) return detail::LastError(st);
    std::unique_ptr<bert_fill_mask_result, detail::Deleter<bert_fill_mask_result, bert_fill_mask_result_free>> owned(
        res);
    std::vector<FillMaskResult> out(bert_fill_mask_result_num_queries(res));
    for (size_t q = 0; q < out.size(); ++q) {
      out[q].resize(bert_fill_mask_result_num_masks(res, q));
      for (size_t m = 0; m < out[q].size(); ++m) {
        const size_t n = bert_fill_mask_result_num_predictions(res, q, m);
        for (size_t r = 0; r < n; ++r) {
          bert_fill_mask_prediction pr{};
          pr.struct_size = sizeof pr;
          if (auto e = detail::Check(bert_fill_mask_result_get(res, q, m, r, &pr)); !e) return e.error();
          out[q][m].push_back(Prediction{pr.score, pr.token_id, pr.token, pr.sequence,
                                         std::vector<int32_t>(pr.token_ids, pr.token_ids + pr.num_token_ids)});
        }
      }
    }
    return out;
  }
  Expected<std::vector<TextScore>> try_score_text(const Tokenizer& tok, const std::vector<std::string_view>& texts,
                                                  size_t threads = 0) const {
    if (!h_ || !tok) return detail::Invalid("empty Model or Tokenizer");
    bert_fill_mask_params p;
    if (auto e = detail::Check(BERT_FILL_MASK_PARAMS_INIT(&p)); !e) return e.error();
    p.threads = threads;
    const detail::TextArray arr(texts);
    std::vector<double> scores(texts.size());
    std::vector<size_t> counts(texts.size());
    const bert_status st = bert_score_text(h_.get(), tok.get(), arr.ptrs.data(), arr.lengths.data(), texts.size(), &p,
                                           scores.data(), counts.data());
    if (st != BERT_OK) return detail::LastError(st);
    std::vector<TextScore> out(texts.size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = TextScore{scores[i], counts[i]};
    return out;
  }

  // (1.1) Sequence classification of one text / of many (run as length-sorted padded batches).
  Expected<Classification> try_classify(const Tokenizer& tok, std::string_view text,
                                        const ClassifyOptions& options = {}) const {
    auto all = try_classify_batch(tok, {text}, options);
    if (!all) return all.error();
    return std::move(all.value().front());
  }
  Expected<std::vector<Classification>> try_classify_batch(const Tokenizer& tok,
                                                           const std::vector<std::string_view>& texts,
                                                           const ClassifyOptions& options = {}) const {
    if (!h_ || !tok) return detail::Invalid("empty Model or Tokenizer");
    bert_classify_params p;
    if (auto e = Params(options, &p); !e) return e.error();
    const detail::TextArray arr(texts);
    bert_classify_result* res = nullptr;
    const bert_status st =
        bert_classify(h_.get(), tok.get(), arr.ptrs.data(), arr.lengths.data(), arr.ptrs.size(), &p, &res);
    if (st != BERT_OK) return detail::LastError(st);
    std::unique_ptr<bert_classify_result, detail::Deleter<bert_classify_result, bert_classify_result_free>> owned(res);
    std::vector<Classification> out(bert_classify_result_num_texts(res));
    for (size_t i = 0; i < out.size(); ++i) {
      bert_classification c{};
      c.struct_size = sizeof c;
      if (auto e = detail::Check(bert_classify_result_get(res, i, &c)); !e) return e.error();
      out[i] = Classification{c.label, c.label_name, c.score, std::vector<double>(c.scores, c.scores + c.num_labels),
                              std::vector<double>(c.logits, c.logits + c.num_labels)};
    }
    return out;
  }

  // (1.1) Token classification (HF pipeline("token-classification", aggregation_strategy="first")) of
  // one text / of many.
  Expected<TaggedText> try_tag(const Tokenizer& tok, std::string_view text,
                               const ClassifyOptions& options = {}) const {
    auto all = try_tag_batch(tok, {text}, options);
    if (!all) return all.error();
    return std::move(all.value().front());
  }
  Expected<std::vector<TaggedText>> try_tag_batch(const Tokenizer& tok, const std::vector<std::string_view>& texts,
                                                  const ClassifyOptions& options = {}) const {
    if (!h_ || !tok) return detail::Invalid("empty Model or Tokenizer");
    bert_classify_params p;
    if (auto e = Params(options, &p); !e) return e.error();
    const detail::TextArray arr(texts);
    bert_tag_result* res = nullptr;
    const bert_status st =
        bert_tag(h_.get(), tok.get(), arr.ptrs.data(), arr.lengths.data(), arr.ptrs.size(), &p, &res);
    if (st != BERT_OK) return detail::LastError(st);
    return Tags(res);
  }
  // (1.1) Tagging of pre-split words (HF is_split_into_words): each word is tokenized on its own and
  // tagged by its first piece; offsets refer to the words joined by single spaces.
  Expected<TaggedText> try_tag_words(const Tokenizer& tok, const std::vector<std::string_view>& words,
                                     const ClassifyOptions& options = {}) const {
    auto all = try_tag_words_batch(tok, {words}, options);
    if (!all) return all.error();
    return std::move(all.value().front());
  }
  Expected<std::vector<TaggedText>> try_tag_words_batch(const Tokenizer& tok,
                                                        const std::vector<std::vector<std::string_view>>& texts,
                                                        const ClassifyOptions& options = {}) const {
    if (!h_ || !tok) return detail::Invalid("empty Model or Tokenizer");
    bert_classify_params p;
    if (auto e = Params(options, &p); !e) return e.error();
    std::vector<std::string_view> flat;
    std::vector<size_t> counts;
    counts.reserve(texts.size());
    for (const auto& t : texts) {
      flat.insert(flat.end(), t.begin(), t.end());
      counts.push_back(t.size());
    }
    const detail::TextArray arr(flat);
    bert_tag_result* res = nullptr;
    const bert_status st = bert_tag_words(h_.get(), tok.get(), arr.ptrs.data(), arr.lengths.data(), counts.data(),
                                          counts.size(), &p, &res);
    if (st != BERT_OK) return detail::LastError(st);
    return Tags(res);
  }

#if BERTC_HPP_EXCEPTIONS
  static Model create(const ModelConfig& c = {}) { return try_create(c).value(); }
  static Model load(const std::string& dir) { return try_load(dir).value(); }
  static Model load_from_memory(std::string_view config_json, std::string_view weights, bool borrow = false) {
    return try_load_from_memory(config_json, weights, borrow).value();
  }
  void save(const std::string& dir) const { try_save(dir).value(); }
  ModelConfig config() const { return try_config().value(); }
  uint64_t num_parameters() const { return try_num_parameters().value(); }
  FillMaskResult fill_mask(const Tokenizer& tok, std::string_view text, const FillMaskOptions& options = {}) const {
    return try_fill_mask(tok, text, options).value();
  }
  std::vector<FillMaskResult> fill_mask_batch(const Tokenizer& tok, const std::vector<std::string_view>& texts,
                                              const FillMaskOptions& options = {}) const {
    return try_fill_mask_batch(tok, texts, options).value();
  }
  std::vector<TextScore> score_text(const Tokenizer& tok, const std::vector<std::string_view>& texts,
                                    size_t threads = 0) const {
    return try_score_text(tok, texts, threads).value();
  }
  static Model load_for_task(const std::string& dir, const TaskOptions& options) {
    return try_load_for_task(dir, options).value();
  }
  static Model load_for_task(const std::string& dir, Task task, const std::vector<std::string>& labels = {}) {
    return try_load_for_task(dir, task, labels).value();
  }
  Task task() const { return try_task().value(); }
  std::vector<std::string> labels() const { return try_labels().value(); }
  Classification classify(const Tokenizer& tok, std::string_view text, const ClassifyOptions& options = {}) const {
    return try_classify(tok, text, options).value();
  }
  std::vector<Classification> classify_batch(const Tokenizer& tok, const std::vector<std::string_view>& texts,
                                             const ClassifyOptions& options = {}) const {
    return try_classify_batch(tok, texts, options).value();
  }
  TaggedText tag(const Tokenizer& tok, std::string_view text, const ClassifyOptions& options = {}) const {
    return try_tag(tok, text, options).value();
  }
  std::vector<TaggedText> tag_batch(const Tokenizer& tok, const std::vector<std::string_view>& texts,
                                    const ClassifyOptions& options = {}) const {
    return try_tag_batch(tok, texts, options).value();
  }
  TaggedText tag_words(const Tokenizer& tok, const std::vector<std::string_view>& words,
                    const ClassifyOptions& options = {}) const {
    return try_tag_words(tok, words, options).value();
  }
  std::vector<TaggedText> tag_words_batch(const Tokenizer& tok,
                                          const std::vector<std::vector<std::string_view>>& texts,
                                          const ClassifyOptions& options = {}) const {
    return try_tag_words_batch(tok, texts, options).value();
  }
#endif

  // The warning bertc left when this model was created or loaded (e.g. a newly initialised head), or "".
  const std::string& warning() const { return warning_; }

  const bert_model* get() const { return h_.get(); }
  bert_model* get() { return h_.get(); }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  using Handle = std::unique_ptr<bert_model, detail::Deleter<bert_model, bert_model_free>>;
  explicit Model(bert_model* h, std::string warning = {}) : h_(h), warning_(std::move(warning)) {}

  template <class Fn>
  static Expected<Model> Make(Fn&& fn) {
    if (auto v = detail::VersionCheck(); !v) return v.error();
    bert_model* h = nullptr;
    const bert_status st = fn(&h);
    if (st != BERT_OK) return detail::LastError(st);
    return Model(h, bert_last_error());  // a successful call leaves its warning, or ""
  }

  static std::vector<size_t> Lengths(const std::vector<std::string>& items) {
    std::vector<size_t> out;
    out.reserve(items.size());
    for (const std::string& s : items) out.push_back(s.size());
    return out;
  }

  static Expected<void> Params(const ClassifyOptions& o, bert_classify_params* p) {
    if (auto e = detail::Check(BERT_CLASSIFY_PARAMS_INIT(p)); !e) return e;
    p->batch_size = o.batch_size;
    p->max_length = o.max_length;
    p->truncation = o.truncation ? 1 : 0;
    p->threads = o.threads;
    return {};
  }

  // Copies every text of `res` and frees it.
  static Expected<std::vector<TaggedText>> Tags(bert_tag_result* res) {
    std::unique_ptr<bert_tag_result, detail::Deleter<bert_tag_result, bert_tag_result_free>> owned(res);
    std::vector<TaggedText> out(bert_tag_result_num_texts(res));
    for (size_t t = 0; t < out.size(); ++t) {
      out[t].words.resize(bert_tag_result_num_words(res, t));
      for (size_t i = 0; i < out[t].words.size(); ++i) {
        bert_tagged_word w{};
        w.struct_size = sizeof w;
        if (auto e = detail::Check(bert_tag_result_get_word(res, t, i, &w)); !e) return e.error();
        out[t].words[i] = TaggedWord{w.start, w.end, w.word_index, w.label, w.label_name, w.score, w.word};
      }
      out[t].groups.resize(bert_tag_result_num_groups(res, t));
      for (size_t i = 0; i < out[t].groups.size(); ++i) {
        bert_tag_group g{};
        g.struct_size = sizeof g;
        if (auto e = detail::Check(bert_tag_result_get_group(res, t, i, &g)); !e) return e.error();
        out[t].groups[i] = TagGroup{g.start, g.end, g.first_word, g.num_words, g.label_name, g.score, g.text};
      }
    }
    return out;
  }

  static Expected<void> Params(const FillMaskOptions& o, const detail::CStrings& targets, bert_fill_mask_params* p) {
    if (auto e = detail::Check(BERT_FILL_MASK_PARAMS_INIT(p)); !e) return e;
    p->top_k = o.top_k;
    if (!o.targets.empty()) {
      p->targets = targets.ptrs.data();
      p->num_targets = targets.ptrs.size();
    }
    p->expand_multi_piece_targets = o.expand_multi_piece_targets ? 1 : 0;
    p->threads = o.threads;
    return {};
  }

  Handle h_;
  std::string warning_;
};

// ---- trainer --------------------------------------------------------------------------------------

// Training or evaluation data: files (plain text, or JSONL with jsonl_field) or in-memory token ids
// without [CLS]/[SEP] (sequence i = token_ids[offsets[i], offsets[i+1])).
// (1.1) Fine-tuning a classifier: files are JSON Lines with the text in jsonl_field ("text") and the
// label (a name of the model's label map or an integer id) in label_field ("label") for sequence
// classification, or the words in words_field ("words") and one tag per word in tags_field ("tags")
// for token classification. In memory, `labels` holds one label id per sequence (sequence task) or
// one per token id (token task; -100 = no label). Empty strings mean the defaults.
struct TrainerData {
  std::vector<std::string> files;
  std::string jsonl_field;
  std::vector<int32_t> token_ids;
  std::vector<size_t> offsets;
  std::string label_field, words_field, tags_field;  // (1.1)
  std::vector<int32_t> labels;                       // (1.1)

  static TrainerData FromFiles(std::vector<std::string> files, std::string jsonl_field = {}) {
    TrainerData d;
    d.files = std::move(files);
    d.jsonl_field = std::move(jsonl_field);
    return d;
  }
  static TrainerData FromIds(std::vector<int32_t> token_ids, std::vector<size_t> offsets,
                             std::vector<int32_t> labels = {}) {
    TrainerData d;
    d.token_ids = std::move(token_ids);
    d.offsets = std::move(offsets);
    d.labels = std::move(labels);
    return d;
  }
};

namespace detail {

// A bert_trainer_data view of a TrainerData (valid while both live). `task` checks the size of
// in-memory labels: bertc reads one per sequence or one per token id.
class TrainerDataView {
 public:
  explicit TrainerDataView(const TrainerData* d) : d_(d), files_(d != nullptr ? d->files : NoFiles()) {}
  Expected<void> Init(Task task) {
    if (d_ == nullptr) return {};
    if (auto e = Check(BERT_TRAINER_DATA_INIT(&data_)); !e) return e;
    if (!d_->label_field.empty()) data_.label_field = d_->label_field.c_str();
    if (!d_->words_field.empty()) data_.words_field = d_->words_field.c_str();
    if (!d_->tags_field.empty()) data_.tags_field = d_->tags_field.c_str();
    if (!d_->files.empty()) {
      if (!d_->labels.empty()) return Invalid("TrainerData: labels go with token ids; files carry their own");
      data_.files = files_.ptrs.data();
      data_.num_files = files_.ptrs.size();
      if (!d_->jsonl_field.empty()) data_.jsonl_field = d_->jsonl_field.c_str();
      return {};
    }
    if (d_->offsets.empty()) return Invalid("TrainerData: no files and no offsets");
    if (d_->offsets.back() > d_->token_ids.size()) return Invalid("TrainerData: offsets beyond token_ids");
    data_.token_ids = d_->token_ids.data();
    data_.offsets = d_->offsets.data();
    data_.num_sequences = d_->offsets.size() - 1;
    if (!d_->labels.empty()) {
      if (task == Task::kMaskedLm) return Invalid("TrainerData: labels are for classifiers");
      const size_t want = task == Task::kSequenceClassification ? data_.num_sequences : d_->offsets.back();
      if (d_->labels.size() != want) {
        return Invalid(task == Task::kSequenceClassification
                           ? "TrainerData: a sequence classifier needs one label per sequence"
                           : "TrainerData: a token classifier needs one label per token id");
      }
      data_.labels = d_->labels.data();
      data_.num_labels = d_->labels.size();
    }
    return {};
  }
  const bert_trainer_data* get() const { return d_ != nullptr ? &data_ : nullptr; }

 private:
  static const std::vector<std::string>& NoFiles() {
    static const std::vector<std::string> none;
    return none;
  }
  const TrainerData* d_;
  CStrings files_;  // points into d_->files (an lvalue: no temporary copy)
  bert_trainer_data data_{};
};

}  // namespace detail

// (1.1) The distinct labels of labelled JSONL files, sorted (as HF's run_glue / run_ner build their
// label lists): the label_field values (kSequenceClassification) or every tag of tags_field
// (kTokenClassification), integer labels as their decimal text. Give them to Model::load_for_task.
inline Expected<std::vector<std::string>> try_dataset_labels(const TrainerData& data, Task task) {
  if (auto v = detail::VersionCheck(); !v) return v.error();
  detail::TrainerDataView view(&data);
  if (auto e = view.Init(task); !e) return e.error();
  char** labels = nullptr;
  size_t n = 0;
  const bert_status st = bert_trainer_data_labels(view.get(), static_cast<bert_task>(task), &labels, &n);
  if (st != BERT_OK) return detail::LastError(st);
  struct Free {
    size_t n;
    void operator()(char** l) const { bert_labels_free(l, n); }
  };
  const std::unique_ptr<char*, Free> owned(labels, Free{n});
  return std::vector<std::string>(labels, labels + n);
}

#if BERTC_HPP_EXCEPTIONS
inline std::vector<std::string> dataset_labels(const TrainerData& data, Task task) {
  return try_dataset_labels(data, task).value();
}
#endif

// Trainer options (bert_trainer_params); unset optionals keep the library defaults.
struct TrainerOptions {
  std::string output_dir;  // empty: nothing written (then save_final_model must be false)
  std::optional<size_t> max_length, batch_size, eval_batch_size, grad_accum, save_total_limit;
  std::optional<bert_grouping> grouping;
  std::optional<double> mlm_probability, eval_split, learning_rate, weight_decay, adam_beta1, adam_beta2,
      adam_epsilon, max_grad_norm, warmup_ratio, num_epochs;
  std::optional<bool> whole_word_mask, at_least_one_mask, masked_only_logits, pad_to_max_length, use_cache,
      load_best_model_at_end, save_final_model;
  std::optional<bert_lr_schedule> schedule;
  std::optional<uint64_t> warmup_steps, max_steps, logging_steps, eval_steps, save_steps, seed;
  std::string cache_dir, device, log_file;
  size_t threads = 0;  // 0 = the free cores (bertc.h); applies to this trainer's calls only
  // (1.1) The eval metric that picks the best checkpoint: empty = "loss" (lower is better),
  // "accuracy" or, for classifiers, "f1" (higher is better).
  std::string metric_for_best_model;
  // (1.2) Data parallelism (bertc.h "Data-parallel training"): unset fields come from the launcher's
  // environment (WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR:MASTER_PORT), else 1 process.
  std::optional<size_t> world_size;
  std::optional<int32_t> rank, local_rank, local_world_size;
  std::string master;  // "host:port" (rank 0 serves it) or "file:///path"; empty: MASTER_ADDR:MASTER_PORT
  std::optional<double> dist_timeout_seconds;  // default 300
};

struct StepResult {
  uint64_t step = 0, total_steps = 0;
  double loss = 0, learning_rate = 0, grad_norm = 0, epoch = 0;
  uint64_t tokens = 0, masked_tokens = 0;
};

// Classifiers: loss and accuracy over labels (masked_tokens counts labels), perplexity NaN, f1 the
// macro-F1 over the labels that occur (scikit-learn average="macro"); masked LMs: f1 NaN.
struct EvalResult {
  double loss = 0, perplexity = 0, accuracy = 0;
  uint64_t masked_tokens = 0;
  size_t examples = 0;
  double f1 = std::numeric_limits<double>::quiet_NaN();  // (1.1)
};

struct TrainerInfo {
  uint64_t global_step = 0, total_steps = 0;
  double epoch = 0;
  size_t train_examples = 0, eval_examples = 0;
  uint64_t train_tokens = 0;
  double train_padding_share = 0, best_metric = 0;
  std::string best_checkpoint;
  bool cache_hit = false;
  int32_t rank = 0, world_size = 1;  // (1.2) this process in a data-parallel run
};

// A training run; the model's task decides which: MLM pre-training of a masked LM, or (1.1) fine-tuning
// of a sequence / token classifier on labelled data (see TrainerData). Borrows the Model (trained in
// place), which must outlive the trainer and must not be moved while it exists; keeps its own
// reference to the tokenizer. Not thread-safe.
class Trainer {
 public:
  Trainer() = default;

  static Expected<Trainer> try_create(Model& model, const Tokenizer& tok, const std::optional<TrainerData>& train,
                                      const std::optional<TrainerData>& eval = std::nullopt,
                                      const TrainerOptions& options = {}) {
    if (auto v = detail::VersionCheck(); !v) return v.error();
    if (!model || !tok) return detail::Invalid("empty Model or Tokenizer");
    auto task = model.try_task();
    if (!task) return task.error();
    bert_trainer_params p;
    if (auto e = detail::Check(BERT_TRAINER_PARAMS_INIT(&p)); !e) return e.error();
    const TrainerOptions& o = options;
    if (!o.output_dir.empty()) p.output_dir = o.output_dir.c_str();
    if (o.max_length) p.max_length = *o.max_length;
    if (o.grouping) p.grouping = *o.grouping;
    if (o.mlm_probability) p.mlm_probability = *o.mlm_probability;
    if (o.whole_word_mask) p.whole_word_mask = *o.whole_word_mask;
    if (o.at_least_one_mask) p.at_least_one_mask = *o.at_least_one_mask;
    if (o.masked_only_logits) p.masked_only_logits = *o.masked_only_logits;
    if (o.pad_to_max_length) p.pad_to_max_length = *o.pad_to_max_length;
    if (o.eval_split) p.eval_split = *o.eval_split;
    if (!o.cache_dir.empty()) p.cache_dir = o.cache_dir.c_str();
    if (o.use_cache) p.use_cache = *o.use_cache;
    if (o.batch_size) p.batch_size = *o.batch_size;
    if (o.eval_batch_size) p.eval_batch_size = *o.eval_batch_size;
    if (o.grad_accum) p.grad_accum = *o.grad_accum;
    if (o.learning_rate) p.learning_rate = *o.learning_rate;
    if (o.weight_decay) p.weight_decay = *o.weight_decay;
    if (o.adam_beta1) p.adam_beta1 = *o.adam_beta1;
    if (o.adam_beta2) p.adam_beta2 = *o.adam_beta2;
    if (o.adam_epsilon) p.adam_epsilon = *o.adam_epsilon;
    if (o.max_grad_norm) p.max_grad_norm = *o.max_grad_norm;
    if (o.schedule) p.schedule = *o.schedule;
    if (o.warmup_steps) p.warmup_steps = *o.warmup_steps;
    if (o.warmup_ratio) p.warmup_ratio = *o.warmup_ratio;
    if (o.max_steps) p.max_steps = *o.max_steps;
    if (o.num_epochs) p.num_epochs = *o.num_epochs;
    if (o.logging_steps) p.logging_steps = *o.logging_steps;
    if (o.eval_steps) p.eval_steps = *o.eval_steps;
    if (o.save_steps) p.save_steps = *o.save_steps;
    if (o.save_total_limit) p.save_total_limit = *o.save_total_limit;
    if (o.load_best_model_at_end) p.load_best_model_at_end = *o.load_best_model_at_end;
    if (o.save_final_model) p.save_final_model = *o.save_final_model;
    if (o.seed) p.seed = *o.seed;
    p.threads = o.threads;
    if (!o.device.empty()) p.device = o.device.c_str();
    if (!o.log_file.empty()) p.log_file = o.log_file.c_str();
    if (!o.metric_for_best_model.empty()) p.metric_for_best_model = o.metric_for_best_model.c_str();
    if (o.world_size) p.world_size = *o.world_size;
    if (o.rank) p.rank = *o.rank;
    if (o.local_rank) p.local_rank = *o.local_rank;
    if (o.local_world_size) p.local_world_size = *o.local_world_size;
    if (!o.master.empty()) p.master = o.master.c_str();
    if (o.dist_timeout_seconds) p.dist_timeout_seconds = *o.dist_timeout_seconds;

    detail::TrainerDataView tv(train ? &*train : nullptr), ev(eval ? &*eval : nullptr);
    if (auto e = tv.Init(*task); !e) return e.error();
    if (auto e = ev.Init(*task); !e) return e.error();
    bert_trainer* h = nullptr;
    const bert_status st = bert_trainer_create(model.get(), tok.get(), tv.get(), ev.get(), &p, &h);
    if (st != BERT_OK) return detail::LastError(st);
    return Trainer(h, *task);
  }

  Expected<StepResult> try_step(const Progress& progress = {}) {
    if (!h_) return detail::Invalid("empty Trainer");
    bert_trainer_step_result r{};
    r.struct_size = sizeof r;
    auto st = detail::WithProgress(progress ? &progress : nullptr, [&](bert_progress_fn fn, void* user) {
      return bert_trainer_step(h_.get(), fn, user, &r);
    });
    if (!st) return st.error();
    return ToStep(r);
  }
  // One step on a caller batch (rows x cols ids with [CLS]/[SEP]/[PAD]); empty mask/labels: defaults.
  // Masked LM: labels (rows x cols) hold the target id at predicted positions and -100 elsewhere (empty:
  // the trainer masks the batch). (1.1) Classifiers need labels: `rows` ids (sequence classification)
  // or rows x cols (token classification; -100 where none).
  Expected<StepResult> try_step_batch(const std::vector<int32_t>& input_ids, size_t rows, size_t cols,
                                      const std::vector<int32_t>& attention_mask = {},
                                      const std::vector<int32_t>& labels = {}) {
    if (!h_) return detail::Invalid("empty Trainer");
    const size_t label_count = task_ == Task::kSequenceClassification ? rows : rows * cols;
    if (input_ids.size() != rows * cols || (!attention_mask.empty() && attention_mask.size() != rows * cols) ||
        (!labels.empty() && labels.size() != label_count)) {
      return detail::Invalid(task_ == Task::kSequenceClassification
                                 ? "input_ids / attention_mask must hold rows * cols values, labels rows values"
                                 : "input_ids / attention_mask / labels must hold rows * cols values");
    }
    bert_trainer_step_result r{};
    r.struct_size = sizeof r;
    const bert_status st =
        bert_trainer_step_batch(h_.get(), input_ids.data(), attention_mask.empty() ? nullptr : attention_mask.data(),
                                labels.empty() ? nullptr : labels.data(), rows, cols, &r);
    if (st != BERT_OK) return detail::LastError(st);
    return ToStep(r);
  }
  Expected<void> try_train(const Progress& progress = {}) {
    if (!h_) return detail::Invalid("empty Trainer");
    return detail::WithProgress(progress ? &progress : nullptr, [&](bert_progress_fn fn, void* user) {
      return bert_trainer_train(h_.get(), fn, user);
    });
  }
  Expected<EvalResult> try_evaluate() {
    if (!h_) return detail::Invalid("empty Trainer");
    bert_trainer_eval_result r{};
    r.struct_size = sizeof r;
    if (auto e = detail::Check(bert_trainer_evaluate(h_.get(), &r)); !e) return e.error();
    return EvalResult{r.loss, r.perplexity, r.accuracy, r.masked_tokens, r.examples, r.f1};
  }
  // Writes OUTPUT_DIR/checkpoint-STEP and returns its path.
  Expected<std::string> try_save_checkpoint() {
    if (!h_) return detail::Invalid("empty Trainer");
    const char* path = nullptr;
    if (auto e = detail::Check(bert_trainer_save_checkpoint(h_.get(), &path)); !e) return e.error();
    return std::string(path);
  }
  // Resumes from a checkpoint directory; empty = the newest one in output_dir.
  Expected<void> try_resume(const std::string& checkpoint = {}) {
    if (!h_) return detail::Invalid("empty Trainer");
    return detail::Check(bert_trainer_resume(h_.get(), checkpoint.empty() ? nullptr : checkpoint.c_str()));
  }
  Expected<TrainerInfo> try_info() {
    if (!h_) return detail::Invalid("empty Trainer");
    bert_trainer_info i{};
    i.struct_size = sizeof i;
    if (auto e = detail::Check(bert_trainer_get_info(h_.get(), &i)); !e) return e.error();
    return TrainerInfo{i.global_step,  i.total_steps, i.epoch, i.train_examples, i.eval_examples, i.train_tokens,
                       i.train_padding_share, i.best_metric, i.best_checkpoint, i.cache_hit != 0,
                       i.rank,        i.world_size};
  }

#if BERTC_HPP_EXCEPTIONS
  static Trainer create(Model& model, const Tokenizer& tok, const std::optional<TrainerData>& train,
                        const std::optional<TrainerData>& eval = std::nullopt, const TrainerOptions& options = {}) {
    return try_create(model, tok, train, eval, options).value();
  }
  StepResult step(const Progress& progress = {}) { return try_step(progress).value(); }
  StepResult step_batch(const std::vector<int32_t>& input_ids, size_t rows, size_t cols,
                        const std::vector<int32_t>& attention_mask = {}, const std::vector<int32_t>& labels = {}) {
    return try_step_batch(input_ids, rows, cols, attention_mask, labels).value();
  }
  void train(const Progress& progress = {}) { try_train(progress).value(); }
  EvalResult evaluate() { return try_evaluate().value(); }
  std::string save_checkpoint() { return try_save_checkpoint().value(); }
  void resume(const std::string& checkpoint = {}) { try_resume(checkpoint).value(); }
  TrainerInfo info() { return try_info().value(); }
#endif

  bert_trainer* get() { return h_.get(); }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  using Handle = std::unique_ptr<bert_trainer, detail::Deleter<bert_trainer, bert_trainer_free>>;
  Trainer(bert_trainer* h, Task task) : h_(h), task_(task) {}

  static StepResult ToStep(const bert_trainer_step_result& r) {
    return StepResult{r.step, r.total_steps, r.loss, r.learning_rate, r.grad_norm, r.epoch, r.tokens, r.masked_tokens};
  }

  Handle h_;
  Task task_ = Task::kMaskedLm;  // the model's head: what step_batch's labels hold
};

}  // namespace bertc

#endif  // BERTC_HPP_
