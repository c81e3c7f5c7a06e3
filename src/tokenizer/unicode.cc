#include "tokenizer/unicode.h"

#include <unicode/uchar.h>

#include <memory>
#include <vector>

#include "common/error.h"

namespace bertc::tok {

size_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // ASCII run, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char b0 = p[i];
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    char32_t min;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
    }
    size_t dummy;
    const char32_t c = DecodeUtf8(s.data() + i, &dummy);
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

void ValidateUtf8(std::string_view s, std::string_view what, size_t base) {
  const size_t bad = FindInvalidUtf8(s);
  if (bad != std::string_view::npos) {
    throw Utf8Error(std::string(what) + ": invalid UTF-8 at byte " + std::to_string(base + bad));
  }
}

size_t CountChars(std::string_view s) {
  size_t n = 0;
  for (const char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  return n;
}

namespace {

bool AssignedByUnicode8(char32_t c) {
  UVersionInfo age;
  u_charAge(static_cast<UChar32>(c), age);
  return age[0] < 8 || (age[0] == 8 && age[1] == 0);
}

bool IsChineseRange(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

uint8_t ComputeClasses(char32_t c) {
  uint8_t out = 0;
  const auto uc = static_cast<UChar32>(c);
  if (u_isUWhiteSpace(uc)) out |= kClassWhitespace;
  if (IsChineseRange(c)) out |= kClassChinese;
  if (c < 0x80) {
    if ((c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E)) {
      out |= kClassPunctuation;
    }
    if ((c < 0x20 || c == 0x7F) && c != '\t' && c != '\n' && c != '\r') out |= kClassControl;
    return out;
  }
  if (!AssignedByUnicode8(c)) return out;
  switch (u_charType(uc)) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      out |= kClassControl;
      break;
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
      out |= kClassPunctuation;
      break;
    case U_NON_SPACING_MARK:
      out |= kClassNonspacingMark;
      break;
    default:
      break;
  }
  return out;
}

// Classes of the Basic Multilingual Plane, computed once (64 KiB); other planes ask ICU.
const uint8_t* BmpTable() {
  static const std::unique_ptr<uint8_t[]> table = [] {
    std::unique_ptr<uint8_t[]> t(new uint8_t[0x10000]);
    for (char32_t c = 0; c < 0x10000; ++c) t[c] = ComputeClasses(c);
    return t;
  }();
  return table.get();
}

}  // namespace

uint8_t CharClasses(char32_t c) {
  if (c < 0x10000) return BmpTable()[c];
  return ComputeClasses(c);
}

}  // namespace bertc::tok
