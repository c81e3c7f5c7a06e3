// The ABI boundary helpers: run a core call, turn every C++ exception into a bert_status plus a
// thread-local message, copy struct_size-versioned params, and validate arguments.
#ifndef BERTC_API_GUARD_H_
#define BERTC_API_GUARD_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "bertc.h"
#include "common/error.h"

namespace bertc::api {

// Sets the calling thread's message (returned by bert_last_error). Never throws (out of memory
// leaves the message empty), so it may follow the assignment of a call's outputs.
void SetMessage(std::string message) noexcept;
void ClearMessage();

// Records `message` as the last error of `function` and returns `status`.
bert_status Fail(bert_status status, const char* function, std::string_view message);

// Maps the exception currently being handled to a status and message. Call only inside catch.
bert_status TranslateCurrentException(const char* function) noexcept;

bert_status ToStatus(ErrorCode code) noexcept;

// The warning of the innermost running Guard on this thread. A body leaves a warning with Warn();
// the Guard publishes it (or "") as the thread's message when the body succeeds, so calls made from a
// progress callback inside the body cannot leave their messages behind as the outer call's.
class WarningScope {
 public:
  WarningScope() noexcept;
  ~WarningScope();
  WarningScope(const WarningScope&) = delete;
  WarningScope& operator=(const WarningScope&) = delete;
  std::string& text() noexcept { return text_; }

 private:
  std::string text_;
  WarningScope* previous_;
};

// Leaves `warning` as the message of the running call (joined with "; " to an earlier one).
void Warn(const std::string& warning);

// Runs `body` (returning void) and reports success or the translated exception: every call that
// returns a bert_status sets the thread's message exactly once, when it returns.
template <class Body>
bert_status Guard(const char* function, Body&& body) noexcept {
  try {
    WarningScope warning;
    body();
    SetMessage(std::move(warning.text()));
    return BERT_OK;
  } catch (...) {
    return TranslateCurrentException(function);
  }
}

// Throws InvalidArgument when `ptr` is NULL.
inline void RequireNonNull(const void* ptr, const char* name) {
  if (ptr == nullptr) throw InvalidArgument(std::string(name) + " must not be NULL");
}

// ---- struct_size versioning (the rules are in bertc.h, "Versions and growth") ----------------------

// AbiSince1<T>::kMinSize is the end of the last field T had in the first ABI 1.x version that had T
// (1.0 for most; 1.1 for the fine-tuning structs): the smallest struct_size any caller can have. Fields appended later must grow sizeof(T) on every platform (a field that fits in
// the old tail padding would be read from a caller's padding bytes).
template <class T>
struct AbiSince1;
#define BERTC_ABI1_LAST_FIELD(T, field)                                                     \
  template <>                                                                              \
  struct AbiSince1<T> {                                                                    \
    static constexpr size_t kMinSize = offsetof(T, field) + sizeof(static_cast<T*>(nullptr)->field); \
  }
BERTC_ABI1_LAST_FIELD(bert_tokenizer_params, progress_user_data);
BERTC_ABI1_LAST_FIELD(bert_encode_params, threads);
BERTC_ABI1_LAST_FIELD(bert_model_params, seed);
BERTC_ABI1_LAST_FIELD(bert_fill_mask_params, threads);
BERTC_ABI1_LAST_FIELD(bert_fill_mask_prediction, num_token_ids);
BERTC_ABI1_LAST_FIELD(bert_trainer_params, log_file);
BERTC_ABI1_LAST_FIELD(bert_trainer_data, num_sequences);
BERTC_ABI1_LAST_FIELD(bert_trainer_step_result, masked_tokens);
BERTC_ABI1_LAST_FIELD(bert_trainer_eval_result, examples);
BERTC_ABI1_LAST_FIELD(bert_trainer_info, cache_hit);
BERTC_ABI1_LAST_FIELD(bert_limits, max_model_bytes);
// New in 1.1.
BERTC_ABI1_LAST_FIELD(bert_task_params, seed);
BERTC_ABI1_LAST_FIELD(bert_classify_params, threads);
BERTC_ABI1_LAST_FIELD(bert_classification, num_labels);
BERTC_ABI1_LAST_FIELD(bert_tagged_word, word);
BERTC_ABI1_LAST_FIELD(bert_tag_group, text);
#undef BERTC_ABI1_LAST_FIELD

// The ABI growth test (tests/abi_growth) builds the ABI layer against a header whose structs each
// gained `growth_test_field`; the library then fills it so the test can see the new field travel.
enum : uint64_t { kGrowthDefault = 0x5EED, kGrowthResult = 0xF00D, kGrowthEvent = 0xE7E7 };
template <class T>
void StampGrowthField(T& s, uint64_t value) {
#ifdef BERTC_ABI_GROWTH_TEST
  s.growth_test_field = value;
#else
  (void)s;
  (void)value;
#endif
}

// Checks a caller's struct_size for struct T: INVALID_ARGUMENT below ABI 1.0's size or when it cannot
// be the size of any version (it would end inside a field), UNSUPPORTED above this library's size.
template <class T>
void CheckStructSize(size_t size, const char* name) {
  if (size < AbiSince1<T>::kMinSize || (size < sizeof(T) && size % alignof(T) != 0 &&
                                        size != AbiSince1<T>::kMinSize)) {
    throw InvalidArgument(std::string(name) + ".struct_size is " + std::to_string(size) +
                          ", not the size of any version of this struct (initialise it with its *_INIT macro "
                          "or set it to sizeof)");
  }
  if (size > sizeof(T)) {
    throw Error(ErrorCode::kUnsupported,
                std::string(name) + ".struct_size " + std::to_string(size) + " is larger than this library's " +
                    std::to_string(sizeof(T)) + " (libbertc " + BERTC_VERSION_STRING +
                    "): the program was built against a newer bertc.h than the library it loaded");
  }
}

// bert_*_params_init: writes `defaults` into the first `size` bytes of *out and sets out->struct_size.
template <class T>
bert_status InitStruct(const char* function, T* out, size_t size, const T& defaults) noexcept {
  return Guard(function, [&] {
    RequireNonNull(out, "params");
    CheckStructSize<T>(size, "params");
    T values = defaults;
    StampGrowthField(values, kGrowthDefault);
    std::memcpy(static_cast<void*>(out), static_cast<const void*>(&values), size);
    out->struct_size = size;
  });
}

// Copies a caller's params struct over the defaults, honouring struct_size: an older (smaller) struct
// keeps defaults for the fields it lacks; a struct larger than this library knows is refused.
// NULL means defaults.
template <class Params>
Params CopyParams(const Params* user, const Params& defaults, const char* name) {
  Params out = defaults;
  StampGrowthField(out, kGrowthDefault);
  if (user == nullptr) return out;
  CheckStructSize<Params>(user->struct_size, name);
  std::memcpy(static_cast<void*>(&out), static_cast<const void*>(user), user->struct_size);
  out.struct_size = sizeof(Params);
  return out;
}

// Checks a result struct's struct_size before any work is done (CopyResult checks it again).
template <class Result>
void CheckResultSize(const Result* out, const char* name) {
  if (out != nullptr) CheckStructSize<Result>(out->struct_size, name);
}

// Copies `full` into a result struct the caller sized with out->struct_size: only as many bytes as
// the caller's struct has (an older caller gets the fields it knows), its struct_size left as it was.
template <class Result>
void CopyResult(const Result& full, Result* out, const char* name) {
  const size_t size = out->struct_size;
  CheckStructSize<Result>(size, name);
  Result values = full;
  StampGrowthField(values, kGrowthResult);
  std::memcpy(reinterpret_cast<char*>(out) + sizeof(size_t), reinterpret_cast<const char*>(&values) + sizeof(size_t),
              size - sizeof(size_t));
}

// Largest thread count a params struct may ask for (0 = the library default). Larger values are
// refused: they only exhaust the process (OpenMP aborts when it cannot create its team).
inline constexpr size_t kMaxThreads = 1024;

// Checks a `threads` field and returns it as the core's int (0 = default).
inline int CheckThreads(size_t threads, const char* name) {
  if (threads > kMaxThreads) {
    throw InvalidArgument(std::string(name) + " is " + std::to_string(threads) + "; at most " +
                          std::to_string(kMaxThreads) + " (0 = all cores)");
  }
  return static_cast<int>(threads);
}

// Checks that an unsigned option fits the core's signed field.
template <class Int>
Int CheckedInt(uint64_t v, const char* name) {
  if (v > static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
    throw InvalidArgument(std::string(name) + " " + std::to_string(v) + " is too large");
  }
  return static_cast<Int>(v);
}

}  // namespace bertc::api

#endif  // BERTC_API_GUARD_H_
