// The ABI boundary helpers: run a core call, turn every C++ exception into a bert_status plus a
// thread-local message, copy struct_size-versioned params, and validate arguments.
#ifndef BERTC_API_GUARD_H_
#define BERTC_API_GUARD_H_

#include <cstddef>
#include <cstring>
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

// Runs `body` (returning void) and reports success or the translated exception. On success the
// thread's message is cleared first, so a body may set a warning with SetMessage().
template <class Body>
bert_status Guard(const char* function, Body&& body) noexcept {
  try {
    ClearMessage();
    body();
    return BERT_OK;
  } catch (...) {
    return TranslateCurrentException(function);
  }
}

// Throws InvalidArgument when `ptr` is NULL.
inline void RequireNonNull(const void* ptr, const char* name) {
  if (ptr == nullptr) throw InvalidArgument(std::string(name) + " must not be NULL");
}

// Copies a caller's params struct over the defaults, honouring struct_size: an older (smaller) struct
// keeps defaults for the fields it lacks; a struct larger than this library knows is refused.
// NULL means defaults.
template <class Params>
Params CopyParams(const Params* user, const Params& defaults, const char* name) {
  Params out = defaults;
  if (user == nullptr) return out;
  const size_t size = user->struct_size;
  if (size < sizeof(size_t)) {
    throw InvalidArgument(std::string(name) + ".struct_size is " + std::to_string(size) +
                          "; initialise params with the matching *_params_default()");
  }
  if (size % alignof(Params) != 0 && size < sizeof(Params)) {
    // Every struct a header ever declared has a size that is a multiple of its alignment (it starts
    // with a size_t); any other value would copy half of a field.
    throw InvalidArgument(std::string(name) + ".struct_size " + std::to_string(size) +
                          " is not the size of any version of this struct");
  }
  if (size > sizeof(Params)) {
    throw Error(ErrorCode::kUnsupported,
                std::string(name) + ".struct_size " + std::to_string(size) + " is larger than this library's " +
                    std::to_string(sizeof(Params)) + ": the header is newer than the loaded libbertc");
  }
  std::memcpy(static_cast<void*>(&out), static_cast<const void*>(user), size);
  out.struct_size = sizeof(Params);
  return out;
}

// Copies `full` into a result struct the caller sized with out->struct_size: only as many bytes as
// the caller's struct has (an older caller gets the fields it knows), its struct_size left as it was.
template <class Result>
void CopyResult(const Result& full, Result* out, const char* name) {
  const size_t size = out->struct_size;
  if (size < sizeof(size_t) || (size % alignof(Result) != 0 && size < sizeof(Result))) {
    throw InvalidArgument(std::string(name) + "->struct_size is " + std::to_string(size) + "; set it to sizeof the struct");
  }
  std::memcpy(reinterpret_cast<char*>(out) + sizeof(size_t), reinterpret_cast<const char*>(&full) + sizeof(size_t),
              (size < sizeof(Result) ? size : sizeof(Result)) - sizeof(size_t));
}

// Checks a result struct's struct_size before any work is done (CopyResult checks it again).
template <class Result>
void CheckResultSize(const Result* out, const char* name) {
  if (out == nullptr) return;
  const size_t size = out->struct_size;
  if (size < sizeof(size_t) || (size % alignof(Result) != 0 && size < sizeof(Result))) {
    throw InvalidArgument(std::string(name) + "->struct_size is " + std::to_string(size) + "; set it to sizeof the struct");
  }
}

// Reads a C enum's raw value without loading an out-of-range enumerator (UB in C++).
template <class E>
int EnumValue(const E& e) {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
  int v;
  std::memcpy(&v, &e, sizeof(v));
  return v;
}

// Largest thread count a params struct may ask for (0 or negative = all cores). Larger values are
// refused: they only exhaust the process (OpenMP aborts when it cannot create its team).
inline constexpr int kMaxThreads = 1024;

inline void CheckThreads(int threads, const char* name) {
  if (threads > kMaxThreads) {
    throw InvalidArgument(std::string(name) + " is " + std::to_string(threads) + "; at most " +
                          std::to_string(kMaxThreads) + " (0 = all cores)");
  }
}

}  // namespace bertc::api

#endif  // BERTC_API_GUARD_H_
