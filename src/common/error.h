// Error type used by the bertc core. The core throws bertc::Error (or standard exceptions); the ABI
// layer in src/api turns every exception into a bert_status and a message.
#ifndef BERTC_COMMON_ERROR_H_
#define BERTC_COMMON_ERROR_H_

#include <stdexcept>
#include <string>
#include <utility>

namespace bertc {

// Mirrors bert_status without depending on the C header (the core knows nothing of the ABI).
enum class ErrorCode {
  kInvalidArgument = 1,
  kIo = 2,
  kFormat = 3,
  kInvalidUtf8 = 4,
  kOutOfMemory = 5,
  kCancelled = 6,
  kUnsupported = 7,
  kInternal = 8,
  kLimit = 9,  // a host-set limit (common/limits.h) was exceeded
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] inline void Fail(ErrorCode code, std::string message) { throw Error(code, std::move(message)); }

inline Error InvalidArgument(std::string m) { return Error(ErrorCode::kInvalidArgument, std::move(m)); }
inline Error IoError(std::string m) { return Error(ErrorCode::kIo, std::move(m)); }
inline Error FormatError(std::string m) { return Error(ErrorCode::kFormat, std::move(m)); }
inline Error Utf8Error(std::string m) { return Error(ErrorCode::kInvalidUtf8, std::move(m)); }
inline Error Cancelled(std::string m = "cancelled by the progress callback") {
  return Error(ErrorCode::kCancelled, std::move(m));
}
inline Error Unsupported(std::string m) { return Error(ErrorCode::kUnsupported, std::move(m)); }

}  // namespace bertc

#endif  // BERTC_COMMON_ERROR_H_
