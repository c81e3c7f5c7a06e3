// Process-wide limits a host sets on what untrusted input may make bertc do (bert_set_limits in
// bertc.h). Defaults are generous: nothing a real text, vocabulary or model reaches. Checked where
// the input is read, before anything proportional to it is allocated.
#ifndef BERTC_COMMON_LIMITS_H_
#define BERTC_COMMON_LIMITS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "common/error.h"

namespace bertc {

struct Limits {
  uint64_t max_text_bytes = uint64_t{1} << 30;    // one text to encode, fill or score; one corpus line
  uint64_t max_vocab_size = uint64_t{1} << 24;    // tokens (ids) of a loaded or trained vocabulary
  uint64_t max_token_bytes = uint64_t{1} << 16;   // one vocabulary token on load
  uint64_t max_model_bytes = uint64_t{1} << 40;   // float32 parameter bytes of a created or loaded model
};

namespace detail {
inline std::atomic<uint64_t> g_max_text_bytes{Limits{}.max_text_bytes};
inline std::atomic<uint64_t> g_max_vocab_size{Limits{}.max_vocab_size};
inline std::atomic<uint64_t> g_max_token_bytes{Limits{}.max_token_bytes};
inline std::atomic<uint64_t> g_max_model_bytes{Limits{}.max_model_bytes};
}  // namespace detail

inline Limits CurrentLimits() {
  Limits l;
  l.max_text_bytes = detail::g_max_text_bytes.load(std::memory_order_relaxed);
  l.max_vocab_size = detail::g_max_vocab_size.load(std::memory_order_relaxed);
  l.max_token_bytes = detail::g_max_token_bytes.load(std::memory_order_relaxed);
  l.max_model_bytes = detail::g_max_model_bytes.load(std::memory_order_relaxed);
  return l;
}

inline void SetLimits(const Limits& l) {
  detail::g_max_text_bytes.store(l.max_text_bytes, std::memory_order_relaxed);
  detail::g_max_vocab_size.store(l.max_vocab_size, std::memory_order_relaxed);
  detail::g_max_token_bytes.store(l.max_token_bytes, std::memory_order_relaxed);
  detail::g_max_model_bytes.store(l.max_model_bytes, std::memory_order_relaxed);
}

inline Error LimitError(const std::string& what, uint64_t value, const char* limit, uint64_t max) {
  return Error(ErrorCode::kLimit, what + " (" + std::to_string(value) + ") exceeds the limit " + limit + " = " +
                                      std::to_string(max) + " (bert_set_limits)");
}

inline void CheckTextBytes(uint64_t n, const std::string& what) {
  const uint64_t max = detail::g_max_text_bytes.load(std::memory_order_relaxed);
  if (n > max) throw LimitError(what + " length in bytes", n, "max_text_bytes", max);
}

inline void CheckVocabSize(uint64_t n, const std::string& what) {
  const uint64_t max = detail::g_max_vocab_size.load(std::memory_order_relaxed);
  if (n > max) throw LimitError(what + " vocabulary size", n, "max_vocab_size", max);
}

inline void CheckTokenBytes(uint64_t n, const std::string& what) {
  const uint64_t max = detail::g_max_token_bytes.load(std::memory_order_relaxed);
  if (n > max) throw LimitError(what + " token length in bytes", n, "max_token_bytes", max);
}

inline void CheckModelBytes(double n, const std::string& what) {
  const uint64_t max = detail::g_max_model_bytes.load(std::memory_order_relaxed);
  if (n > static_cast<double>(max)) {
    throw LimitError(what + " parameter bytes", n > 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(n),
                     "max_model_bytes", max);
  }
}

}  // namespace bertc

#endif  // BERTC_COMMON_LIMITS_H_
