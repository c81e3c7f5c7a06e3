// Reading numbers from untrusted JSON (tokenizer.json, config.json, checkpoint files) without
// undefined behaviour: every number is checked against the type it becomes, and a bad one is a
// FormatError naming the field. (nlohmann's get<int>() on 1e30 is a float-to-int overflow, UB.)
#ifndef BERTC_COMMON_JSON_READ_H_
#define BERTC_COMMON_JSON_READ_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "common/error.h"

namespace bertc {

// `v` as an integer of type Int: a JSON integer, or an integral float (HF configs sometimes write
// 512.0), within Int's range. `what` names the field in the error.
template <class Int, class Json>
Int JsonInt(const Json& v, const std::string& what) {
  static_assert(std::is_integral_v<Int>, "integers only");
  if (v.is_number_unsigned()) {
    const uint64_t u = v.template get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<Int>::max())) return static_cast<Int>(u);
  } else if (v.is_number_integer()) {
    const int64_t i = v.template get<int64_t>();
    if constexpr (std::is_signed_v<Int>) {
      if (i >= static_cast<int64_t>(std::numeric_limits<Int>::min()) &&
          i <= static_cast<int64_t>(std::numeric_limits<Int>::max())) {
        return static_cast<Int>(i);
      }
    } else if (i >= 0 && static_cast<uint64_t>(i) <= static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
      return static_cast<Int>(i);
    }
  } else if (v.is_number_float()) {
    const double d = v.template get<double>();
    // Compare in double before converting; 2^63 bounds keep the cast defined for 64-bit types.
    const double lo = static_cast<double>(std::numeric_limits<Int>::min());
    const double hi = std::min(static_cast<double>(std::numeric_limits<Int>::max()), 9.2e18);
    if (std::isfinite(d) && std::floor(d) == d && d >= lo && d <= hi) return static_cast<Int>(d);
  } else {
    throw FormatError(what + " must be an integer, not " + std::string(v.type_name()));
  }
  throw FormatError(what + " is out of range (" + v.dump() + ")");
}

// `v` as a finite number.
template <class Json>
double JsonDouble(const Json& v, const std::string& what) {
  if (!v.is_number()) throw FormatError(what + " must be a number, not " + std::string(v.type_name()));
  const double d = v.template get<double>();
  if (!std::isfinite(d)) throw FormatError(what + " is not finite");
  return d;
}

// obj[key] as Int, or `fallback` when absent or null.
template <class Int, class Json>
Int JsonIntField(const Json& obj, const char* key, Int fallback, const std::string& source) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  return JsonInt<Int>(*it, source + ": field '" + key + "'");
}

}  // namespace bertc

#endif  // BERTC_COMMON_JSON_READ_H_
