// BertPreTokenizer (Hugging Face semantics) fused with the normalizer: one pass over the raw text
// yields the words (pre-tokens) of the normalized text, split on whitespace with every punctuation
// character isolated. Each byte of a word maps back to the byte range of the ORIGINAL character
// HF aligns it with (WordBuffer::Span), so token offsets match HF's alignments.
#ifndef BERTC_TOKENIZER_PRE_TOKENIZER_H_
#define BERTC_TOKENIZER_PRE_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/normalizer.h"
#include "tokenizer/unicode.h"

namespace bertc::tok {

// A growable byte buffer whose appends inline to a bounds check and a store (std::string's
// resize/append are out-of-line calls that dominated the per-word cost).
class ByteBuffer {
 public:
  const char* data() const { return buf_.get(); }
  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  void clear() { len_ = 0; }
  std::string_view view() const { return {buf_.get(), len_}; }
  operator std::string_view() const { return view(); }  // NOLINT: used where a view is wanted
  // Grows by n bytes and returns where they start (contents unspecified).
  char* Extend(size_t n) {
    if (len_ + n > cap_) Grow(len_ + n);
    char* p = buf_.get() + len_;
    len_ += n;
    return p;
  }
  void push_back(char c) { *Extend(1) = c; }
  void append(const char* p, size_t n) {
    char* d = Extend(n);
    for (size_t k = 0; k < n; ++k) d[k] = p[k];
  }

 private:
  void Grow(size_t need) {
    size_t cap = cap_ < 64 ? 64 : cap_ * 2;
    while (cap < need) cap *= 2;
    std::unique_ptr<char[]> b(new char[cap]);
    for (size_t k = 0; k < len_; ++k) b[k] = buf_[k];
    buf_ = std::move(b);
    cap_ = cap;
  }
  std::unique_ptr<char[]> buf_;
  size_t len_ = 0, cap_ = 0;
};

// One normalized word. Reused between words and calls (no allocation once warm).
// Offsets: while every byte of the word is an ASCII byte copied 1:1 from consecutive input bytes
// (the common case), the word only records where it starts (`origin`); per-byte maps are built
// only once some byte does not map 1:1 (a non-ASCII character, a dropped control character).
struct WordBuffer {
  ByteBuffer bytes;                 // normalized UTF-8
  std::vector<uint32_t> orig_start; // per byte of `bytes` (when !identity): start of the source character
  std::vector<uint32_t> orig_end;   // per byte of `bytes` (when !identity): end of the source character
  size_t chars = 0;                 // number of code points in `bytes`
  uint32_t origin = 0;              // input offset of bytes[0] (identity words)
  bool identity = true;             // byte k of the word came from input byte origin + k
  bool track_offsets = true;        // false: offsets are not recorded (training, ids only)
  AccentStripper strip;             // scratch of the strip_accents path

  void Clear() {
    bytes.clear();
    orig_start.clear();
    orig_end.clear();
    chars = 0;
    identity = true;
  }
  bool empty() const { return bytes.empty(); }

  // Original byte range of word bytes [start, end) (end > start).
  std::pair<uint32_t, uint32_t> Span(size_t start, size_t end) const {
    if (identity) return {origin + static_cast<uint32_t>(start), origin + static_cast<uint32_t>(end)};
    return {orig_start[start], orig_end[end - 1]};
  }

  // Appends n ASCII bytes src[0..n) mapped through `map`, taken from input offset `at`.
  void AppendAscii(const char* src, size_t n, const uint8_t* map, uint32_t at) {
    const size_t old = bytes.size();
    if (old == 0) {
      origin = at;
    } else if (identity && origin + old != at) {
      Materialize();
    }
    char* dst = bytes.Extend(n);
    for (size_t k = 0; k < n; ++k) dst[k] = static_cast<char>(map[static_cast<unsigned char>(src[k])]);
    chars += n;
    if (!identity && track_offsets) {
      for (size_t k = 0; k < n; ++k) {
        orig_start.push_back(at + static_cast<uint32_t>(k));
        orig_end.push_back(at + static_cast<uint32_t>(k) + 1);
      }
    }
  }

  // Appends one character (n UTF-8 bytes at p) that came from input bytes [start, end).
  void Push(const char* p, size_t n, uint32_t start, uint32_t end) {
    if (identity) {
      if (bytes.empty()) origin = start;
      if (n == 1 && end == start + 1 && start == origin + bytes.size()) {
        bytes.push_back(*p);
        ++chars;
        return;
      }
      Materialize();
    }
    bytes.append(p, n);
    if (track_offsets) {
      orig_start.insert(orig_start.end(), n, start);
      orig_end.insert(orig_end.end(), n, end);
    }
    ++chars;
  }

 private:
  void Materialize() {
    identity = false;
    if (!track_offsets) return;
    orig_start.resize(bytes.size());
    orig_end.resize(bytes.size());
    for (size_t k = 0; k < bytes.size(); ++k) {
      orig_start[k] = origin + static_cast<uint32_t>(k);
      orig_end[k] = origin + static_cast<uint32_t>(k) + 1;
    }
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
  char utf8[4];
  // One normalized character with the input range HF aligns it with.
  auto emit = [&](char32_t nc, uint32_t start, uint32_t end) {
    const uint8_t cls = CharClasses(nc);
    if (cls & kClassWhitespace) {
      flush();
      return;
    }
    const auto nb = static_cast<size_t>(EncodeUtf8(nc, utf8));
    if (cls & kClassPunctuation) {
      flush();
      word.Push(utf8, nb, start, end);
      flush();
    } else {
      word.Push(utf8, nb, start, end);
    }
  };
  const char* p = text.data();
  const size_t n = text.size();
  const uint8_t* kinds = norm.ascii_kinds();
  const uint8_t* map = norm.ascii_map();
  const bool strip = norm.strip_accents();
  AccentStripper& st = word.strip;
  st.Reset(base);
  char32_t out[Normalizer::kMaxExpansion];
  size_t i = 0;
  while (i < n) {
    const auto b = static_cast<unsigned char>(p[i]);
    if (b < 0x80) {
      const auto kind = static_cast<Normalizer::AsciiKind>(kinds[b]);
      if (kind == Normalizer::kDropByte) {
        ++i;
        continue;
      }
      if (!st.empty()) st.Flush(norm, emit);
      if (kind == Normalizer::kWordByte) {
        size_t j = i + 1;
        while (j < n && static_cast<unsigned char>(p[j]) < 0x80 &&
               kinds[static_cast<unsigned char>(p[j])] == Normalizer::kWordByte) {
          ++j;
        }
        word.AppendAscii(p + i, j - i, map, static_cast<uint32_t>(base + i));
        i = j;
      } else if (kind == Normalizer::kBoundaryByte) {
        flush();
        ++i;
      } else {  // punctuation: a word of its own
        flush();
        const char mapped = static_cast<char>(map[b]);
        word.Push(&mapped, 1, static_cast<uint32_t>(base + i), static_cast<uint32_t>(base + i + 1));
        flush();
        ++i;
      }
      st.NoteBypass(static_cast<uint32_t>(base + i - 1), static_cast<uint32_t>(base + i));
      continue;
    }
    size_t len;
    const char32_t c = DecodeUtf8(p + i, &len);
    const auto start = static_cast<uint32_t>(base + i);
    const auto end = static_cast<uint32_t>(base + i + len);
    i += len;
    if (!strip) {
      const int m = norm.Normalize(c, out);
      for (int k = 0; k < m; ++k) emit(out[k], start, end);
      continue;
    }
    // strip_accents: clean_text and the CJK padding come first, then NFD over the whole text.
    const int clean = norm.Clean(c);
    if (clean == 1) continue;
    if (clean == 2) {
      st.Flush(norm, emit);
      st.NoteBypass(start, end);
      flush();
      continue;
    }
    if (norm.options().handle_chinese_chars && IsChineseChar(c)) {
      st.Flush(norm, emit);
      flush();
      st.Add(norm, c, start, end, emit);
      st.Flush(norm, emit);
      flush();
      continue;
    }
    st.Add(norm, c, start, end, emit);
  }
  st.Flush(norm, emit);
  flush();
}

// Convenience for tests: the words of `text` with their original byte offsets.
std::vector<std::pair<std::string, std::pair<size_t, size_t>>> PreTokenize(std::string_view text,
                                                                           const Normalizer& norm);

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_PRE_TOKENIZER_H_
