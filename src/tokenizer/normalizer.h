// BertNormalizer (Hugging Face semantics), applied one input character at a time so that every
// output character keeps the byte range of the input character it came from:
//   clean_text           drop NUL, U+FFFD and control characters; any whitespace becomes ' '
//   handle_chinese_chars put a space before and after every CJK ideograph
//   strip_accents        NFD, then drop non-spacing marks (Mn); defaults to `lowercase`
//   lowercase            full Unicode lowercase (U+0130 becomes "i" U+0307)
#ifndef BERTC_TOKENIZER_NORMALIZER_H_
#define BERTC_TOKENIZER_NORMALIZER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bertc::tok {

struct NormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  std::optional<bool> strip_accents;  // unset: follow `lowercase` (HF's strip_accents=None)
  bool lowercase = true;

  bool StripAccents() const { return strip_accents.value_or(lowercase); }
  bool operator==(const NormalizerOptions& o) const {
    return clean_text == o.clean_text && handle_chinese_chars == o.handle_chinese_chars &&
           strip_accents == o.strip_accents && lowercase == o.lowercase;
  }
};

class Normalizer {
 public:
  // Longest output for one input character (NFD expansion, padding, lowercase expansion).
  static constexpr int kMaxExpansion = 32;

  // What the normalizer does with an ASCII byte.
  enum AsciiAction : uint8_t { kKeep = 0, kDrop = 1, kSpace = 2 };

  explicit Normalizer(NormalizerOptions options = {});

  const NormalizerOptions& options() const { return options_; }

  // ASCII fast path: kDrop, kSpace, or kKeep with *out set to the (lowercased) byte.
  AsciiAction Ascii(unsigned char b, char* out) const {
    *out = static_cast<char>(ascii_map_[b]);
    return static_cast<AsciiAction>(ascii_action_[b]);
  }

  // Normalizes any code point into out[0..n), returns n (0 when the character is dropped).
  int Normalize(char32_t c, char32_t out[kMaxExpansion]) const;

  // Whole-string normalization (tests, diagnostics). `text` must be valid UTF-8.
  std::string NormalizeString(std::string_view text) const;

 private:
  int StripAndLower(char32_t c, char32_t* out) const;

  NormalizerOptions options_;
  bool strip_accents_;
  uint8_t ascii_action_[128];
  uint8_t ascii_map_[128];
};

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_NORMALIZER_H_
