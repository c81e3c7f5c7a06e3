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

// Sets the calling thread's message (returned by bert_last_error).
void SetMessage(std::string message);
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
  if (size > sizeof(Params)) {
    throw Error(ErrorCode::kUnsupported,
                std::string(name) + ".struct_size " + std::to_string(size) + " is larger than this library's " +
                    std::to_string(sizeof(Params)) + ": the header is newer than the loaded libbertc");
  }
  std::memcpy(static_cast<void*>(&out), static_cast<const void*>(user), size);
  out.struct_size = sizeof(Params);
  return out;
}

}  // namespace bertc::api

#endif  // BERTC_API_GUARD_H_
