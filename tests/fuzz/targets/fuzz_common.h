// Helpers for the fuzz targets: splitting one input into parts, and the failures a target may
// treat as a correct refusal (bertc::Error, bad_alloc for impossible sizes).
#ifndef BERTC_FUZZ_COMMON_H_
#define BERTC_FUZZ_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "common/error.h"

namespace bertc::fuzz {

// Splits at the first "\n=====\n" (parts a libFuzzer dictionary and seeds can target).
inline std::pair<std::string_view, std::string_view> Split(std::string_view in) {
  const size_t at = in.find("\n=====\n");
  if (at == std::string_view::npos) return {in, {}};
  return {in.substr(0, at), in.substr(at + 7)};
}

// Runs fn and swallows the exceptions the C ABI turns into documented statuses: bertc::Error,
// JSON errors (BERT_ERR_FORMAT), bad_alloc / length_error (BERT_ERR_OUT_OF_MEMORY; libFuzzer's
// -malloc_limit_mb still reports an input that makes bertc allocate far too much). Anything else
// escapes: a finding.
template <class Fn>
void Refusable(Fn&& fn) {
  try {
    fn();
  } catch (const bertc::Error&) {
  } catch (const nlohmann::json::exception&) {
  } catch (const std::bad_alloc&) {
  } catch (const std::length_error&) {
  }
}

// A property that must hold for accepted input: a violation is a bug, reported as a crash.
inline void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace bertc::fuzz

#endif  // BERTC_FUZZ_COMMON_H_
