// BertNormalizer (Hugging Face semantics), applied so that every output character keeps the byte
// range of the input character HF aligns it with:
//   clean_text           drop NUL, U+FFFD and control characters; any whitespace becomes ' '
//   handle_chinese_chars put a space before and after every CJK ideograph
//   strip_accents        NFD of the whole text (combining marks are canonically reordered ACROSS
//                        input characters, see AccentStripper), then drop non-spacing marks (Mn);
//                        defaults to `lowercase`
//   lowercase            full Unicode lowercase (U+0130 becomes "i" U+0307)
// ASCII text takes a table-driven fast path (AsciiKind) that never touches ICU.
#ifndef BERTC_TOKENIZER_NORMALIZER_H_
#define BERTC_TOKENIZER_NORMALIZER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // What normalizer + pre-tokenizer do with an ASCII byte: part of a word, dropped, a word
  // boundary (whitespace), or a punctuation character that is a word of its own.
  enum AsciiKind : uint8_t { kWordByte = 0, kDropByte = 1, kBoundaryByte = 2, kPunctByte = 3 };

  explicit Normalizer(NormalizerOptions options = {});

  const NormalizerOptions& options() const { return options_; }

  // ASCII fast path: kDrop, kSpace, or kKeep with *out set to the (lowercased) byte.
  AsciiAction Ascii(unsigned char b, char* out) const {
    *out = static_cast<char>(ascii_map_[b]);
    return static_cast<AsciiAction>(ascii_action_[b]);
  }

  AsciiKind Kind(unsigned char b) const { return static_cast<AsciiKind>(ascii_kind_[b]); }
  char MapAscii(unsigned char b) const { return static_cast<char>(ascii_map_[b]); }
  const uint8_t* ascii_kinds() const { return ascii_kind_; }
  const uint8_t* ascii_map() const { return ascii_map_; }

  bool strip_accents() const { return strip_accents_; }

  // Normalizes one code point on its own into out[0..n), returns n (0 when the character is
  // dropped). With strip_accents this misses HF's canonical reordering of combining marks across
  // characters; SplitWords and NormalizeString use AccentStripper for that.
  int Normalize(char32_t c, char32_t out[kMaxExpansion]) const;

  // clean_text's verdict on a non-ASCII code point: 0 keep, 1 drop, 2 whitespace (becomes ' ').
  int Clean(char32_t c) const;
  // Full canonical decomposition of `c` (identity when it has none) into out[0..n) with the
  // canonical combining class of each character. Returns n.
  int Decompose(char32_t c, char32_t out[kMaxExpansion], uint8_t ccc[kMaxExpansion]) const;
  // Lowercases `c` into out[0..n) when the `lowercase` option is on (n = 1 or 2), else copies it.
  int Lower(char32_t c, char32_t out[2]) const;

  // Whole-string normalization (tests, diagnostics). `text` must be valid UTF-8.
  std::string NormalizeString(std::string_view text) const;

 private:
  int StripAndLower(char32_t c, char32_t* out) const;

  NormalizerOptions options_;
  bool strip_accents_;
  uint8_t ascii_action_[128];
  uint8_t ascii_map_[128];
  uint8_t ascii_kind_[128];
};

// HF's strip_accents step over a stream of characters: NormalizedString::nfd() of the whole text
// followed by filter(!Mn) and lowercase. NFD canonically reorders runs of combining marks even
// when they come from different input characters, and HF's alignment of the result is
// POSITIONAL: the i-th output character that starts a decomposition takes the byte range of the
// i-th input character, whatever that character was (so a reordered mark takes its neighbour's
// range); the other characters of a decomposition take the range of the input character before
// the current position. Characters are buffered per reordering group (a starter and the marks
// after it) and emitted on the next starter or Flush().
class AccentStripper {
 public:
  // Start of a new text; `base` is its first byte offset (HF aligns a leading added character there).
  void Reset(uint32_t base) {
    items_.clear();
    aligns_.clear();
    prev_start_ = prev_end_ = base;
  }
  bool empty() const { return items_.empty(); }

  // A character (already through clean_text, not dropped) that bypasses the stripper, e.g. ASCII:
  // the caller must Flush() first. It becomes the "previous character" for alignment.
  void NoteBypass(uint32_t start, uint32_t end) {
    prev_start_ = start;
    prev_end_ = end;
  }

  // Adds input character `c` spanning [start, end). emit(char32_t, start, end) receives every
  // output character (after mark removal and lowercasing) of the groups this completes.
  template <class Emit>
  void Add(const Normalizer& norm, char32_t c, uint32_t start, uint32_t end, Emit&& emit) {
    char32_t d[Normalizer::kMaxExpansion];
    uint8_t ccc[Normalizer::kMaxExpansion];
    const int n = norm.Decompose(c, d, ccc);
    if (n > 0 && ccc[0] == 0 && !items_.empty()) Flush(norm, emit);
    for (int k = 0; k < n; ++k) items_.push_back({d[k], ccc[k], k > 0});
    aligns_.push_back({start, end});
  }

  template <class Emit>
  void Flush(const Normalizer& norm, Emit&& emit) {
    if (items_.empty()) return;
    Reorder();
    size_t p = 0;
    char32_t low[2];
    for (const Item& it : items_) {
      uint32_t s, e;
      if (!it.added) {
        s = aligns_[p].start;
        e = aligns_[p].end;
        ++p;
      } else if (p > 0) {
        s = aligns_[p - 1].start;
        e = aligns_[p - 1].end;
      } else {
        s = prev_start_;
        e = prev_end_;
      }
      if (IsMn(it.c)) continue;
      const int m = norm.Lower(it.c, low);
      for (int k = 0; k < m; ++k) emit(low[k], s, e);
    }
    prev_start_ = aligns_.back().start;
    prev_end_ = aligns_.back().end;
    items_.clear();
    aligns_.clear();
  }

 private:
  struct Item {
    char32_t c;
    uint8_t ccc;
    bool added;  // not the first character of its input character's decomposition
  };
  struct Align {
    uint32_t start, end;
  };
  static bool IsMn(char32_t c);
  void Reorder();  // stable sort of every run of non-starters by combining class

  std::vector<Item> items_;
  std::vector<Align> aligns_;
  uint32_t prev_start_ = 0, prev_end_ = 0;
};

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_NORMALIZER_H_
