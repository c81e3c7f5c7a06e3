// BertPreTokenizer (Hugging Face semantics) fused with the normalizer: one pass over the raw text
// yields the words (pre-tokens) of the normalized text, split on whitespace with every punctuation
// character isolated. Each byte of a word remembers the byte range of the ORIGINAL character it
// came from, so token offsets map back to the input exactly as HF's alignments do.
#ifndef BERTC_TOKENIZER_PRE_TOKENIZER_H_
#define BERTC_TOKENIZER_PRE_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/normalizer.h"
#include "tokenizer/unicode.h"

namespace bertc::tok {

// One normalized word. Reused between words and calls (no allocation once warm).
struct WordBuffer {
  std::string bytes;                // normalized UTF-8
  std::vector<uint32_t> orig_start; // per byte of `bytes`: start of the source character
  std::vector<uint32_t> orig_end;   // per byte of `bytes`: end of the source character
  size_t chars = 0;                 // number of code points in `bytes`
  bool track_offsets = true;        // false: orig_* are not filled (training)

  void Clear() {
    bytes.clear();
    orig_start.clear();
    orig_end.clear();
    chars = 0;
  }
  bool empty() const { return bytes.empty(); }
  void Push(const char* p, size_t n, uint32_t start, uint32_t end) {
    bytes.append(p, n);
    if (track_offsets) {
      orig_start.insert(orig_start.end(), n, start);
      orig_end.insert(orig_end.end(), n, end);
    }
    ++chars;
  }
};

// Calls on_word(const WordBuffer&) for every word of normalize(text), in order. Offsets stored in
// the buffer are byte offsets into `text` plus `base`. `text` must be valid UTF-8.
template <class OnWord>
void SplitWords(std::string_view text, uint32_t base, const Normalizer& norm, WordBuffer& word, OnWord&& on_word) {
  word.Clear();
  auto flush = [&] {
    if (!word.empty()) {
      on_word(static_cast<const WordBuffer&>(word));
      word.Clear();
    }
  };
  const char* p = text.data();
  const size_t n = text.size();
  char32_t out[Normalizer::kMaxExpansion];
  char utf8[4];
  size_t i = 0;
  while (i < n) {
    const auto b = static_cast<unsigned char>(p[i]);
    if (b < 0x80) {
      const auto start = static_cast<uint32_t>(base + i);
      ++i;
      char mapped;
      switch (norm.Ascii(b, &mapped)) {
        case Normalizer::kDrop:
          continue;
        case Normalizer::kSpace:
          flush();
          continue;
        case Normalizer::kKeep:
          break;
      }
      const uint8_t cls = CharClasses(static_cast<unsigned char>(mapped));
      if (cls & kClassWhitespace) {
        flush();
      } else if (cls & kClassPunctuation) {
        flush();
        word.Push(&mapped, 1, start, start + 1);
        flush();
      } else {
        word.Push(&mapped, 1, start, start + 1);
      }
      continue;
    }
    size_t len;
    const char32_t c = DecodeUtf8(p + i, &len);
    const auto start = static_cast<uint32_t>(base + i);
    const auto end = static_cast<uint32_t>(base + i + len);
    i += len;
    const int m = norm.Normalize(c, out);
    for (int k = 0; k < m; ++k) {
      const char32_t nc = out[k];
      const uint8_t cls = CharClasses(nc);
      const auto nb = static_cast<size_t>(EncodeUtf8(nc, utf8));
      if (cls & kClassWhitespace) {
        flush();
      } else if (cls & kClassPunctuation) {
        flush();
        word.Push(utf8, nb, start, end);
        flush();
      } else {
        word.Push(utf8, nb, start, end);
      }
    }
  }
  flush();
}

// Convenience for tests: the words of `text` with their original byte offsets.
std::vector<std::pair<std::string, std::pair<size_t, size_t>>> PreTokenize(std::string_view text,
                                                                           const Normalizer& norm);

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_PRE_TOKENIZER_H_
