// UTF-8 helpers and the character classes BERT tokenization uses. The classes mirror what
// Hugging Face tokenizers computes (Rust `char::is_whitespace` plus the `unicode_categories`
// crate, whose tables are Unicode 8.0): categories are taken from ICU but characters assigned
// after Unicode 8.0 are treated as they were then (unassigned: no class), which is what makes
// e.g. U+2E43 (a Unicode 9 punctuation mark) stay inside a word exactly as in HF.
#ifndef BERTC_TOKENIZER_UNICODE_H_
#define BERTC_TOKENIZER_UNICODE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bertc::tok {

// Decodes the code point at `p` from UTF-8 that is known to be valid; sets *len to its byte length.
inline char32_t DecodeUtf8(const char* p, size_t* len) {
  const auto b0 = static_cast<unsigned char>(p[0]);
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  if (b0 < 0xE0) {
    *len = 2;
    return (char32_t(b0 & 0x1F) << 6) | (static_cast<unsigned char>(p[1]) & 0x3F);
  }
  if (b0 < 0xF0) {
    *len = 3;
    return (char32_t(b0 & 0x0F) << 12) | (char32_t(static_cast<unsigned char>(p[1]) & 0x3F) << 6) |
           (static_cast<unsigned char>(p[2]) & 0x3F);
  }
  *len = 4;
  return (char32_t(b0 & 0x07) << 18) | (char32_t(static_cast<unsigned char>(p[1]) & 0x3F) << 12) |
         (char32_t(static_cast<unsigned char>(p[2]) & 0x3F) << 6) | (static_cast<unsigned char>(p[3]) & 0x3F);
}

// Writes `c` as UTF-8 to `out` (room for 4 bytes) and returns the number of bytes written.
inline int EncodeUtf8(char32_t c, char* out) {
  if (c < 0x80) {
    out[0] = static_cast<char>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<char>(0xC0 | (c >> 6));
    out[1] = static_cast<char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (c >> 12));
    out[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (c >> 18));
  out[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (c & 0x3F));
  return 4;
}

inline void AppendUtf8(char32_t c, std::string* out) {
  char buf[4];
  out->append(buf, static_cast<size_t>(EncodeUtf8(c, buf)));
}

// Byte offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or std::string_view::npos.
size_t FindInvalidUtf8(std::string_view s);

// Throws Error(kInvalidUtf8) "<what>: invalid UTF-8 at byte N" when `s` is not valid UTF-8.
// `base` is added to the reported offset (for text that is part of a larger input).
void ValidateUtf8(std::string_view s, std::string_view what, size_t base = 0);

// Number of code points in valid UTF-8.
size_t CountChars(std::string_view s);

// Character classes (see the file comment for the Unicode version they follow).
enum CharClass : uint8_t {
  kClassWhitespace = 1,  // White_Space property (Rust char::is_whitespace)
  kClassControl = 2,     // Cc/Cf/Co/Cs except \t \n \r (HF BertNormalizer is_control)
  kClassPunctuation = 4, // ASCII punctuation or Unicode P* (HF BertPreTokenizer)
  kClassNonspacingMark = 8,  // Mn (dropped when stripping accents)
  kClassChinese = 16,    // CJK ideograph blocks BERT pads with spaces
};

// Bit set of CharClass values for `c`.
uint8_t CharClasses(char32_t c);

inline bool IsWhitespace(char32_t c) { return CharClasses(c) & kClassWhitespace; }
inline bool IsControl(char32_t c) { return CharClasses(c) & kClassControl; }
inline bool IsPunctuation(char32_t c) { return CharClasses(c) & kClassPunctuation; }
inline bool IsNonspacingMark(char32_t c) { return CharClasses(c) & kClassNonspacingMark; }
inline bool IsChineseChar(char32_t c) { return CharClasses(c) & kClassChinese; }

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_UNICODE_H_
