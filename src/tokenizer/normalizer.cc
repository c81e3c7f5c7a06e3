#include "tokenizer/normalizer.h"

#include <algorithm>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "common/error.h"
#include "tokenizer/unicode.h"

namespace bertc::tok {

namespace {

const icu::Normalizer2& Nfd() {
  static const icu::Normalizer2* nfd = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(status);
    if (U_FAILURE(status) || n == nullptr) {
      throw Error(ErrorCode::kInternal, std::string("ICU NFD normalizer unavailable: ") + u_errorName(status));
    }
    return n;
  }();
  return *nfd;
}

int Lowercase(char32_t c, char32_t* out) {
  if (c == 0x130) {  // the one unconditional multi-character lowercase mapping
    out[0] = U'i';
    out[1] = 0x307;
    return 2;
  }
  out[0] = static_cast<char32_t>(u_tolower(static_cast<UChar32>(c)));
  return 1;
}

}  // namespace

Normalizer::Normalizer(NormalizerOptions options) : options_(options), strip_accents_(options.StripAccents()) {
  for (int b = 0; b < 128; ++b) {
    auto c = static_cast<char32_t>(b);
    AsciiAction action = kKeep;
    if (options_.clean_text) {
      if (c == 0 || IsControl(c)) {
        action = kDrop;
      } else if (IsWhitespace(c)) {
        action = kSpace;
        c = U' ';
      }
    }
    if (options_.lowercase && c >= 'A' && c <= 'Z') c += 32;
    ascii_action_[b] = action;
    ascii_map_[b] = static_cast<uint8_t>(c);
    const uint8_t cls = CharClasses(c);
    ascii_kind_[b] = action == kDrop                                    ? kDropByte
                     : (action == kSpace || (cls & kClassWhitespace))   ? kBoundaryByte
                     : (cls & kClassPunctuation)                        ? kPunctByte
                                                                        : kWordByte;
  }
  if (strip_accents_) (void)Nfd();  // fail early, not inside an encode
}

int Normalizer::StripAndLower(char32_t c, char32_t* out) const {
  char32_t decomposed[kMaxExpansion];
  int n = 0;
  if (strip_accents_ && c >= 0xC0) {
    icu::UnicodeString d;
    if (Nfd().getDecomposition(static_cast<UChar32>(c), d)) {
      for (int32_t i = 0; i < d.length() && n < kMaxExpansion / 2; i = d.moveIndex32(i, 1)) {
        const auto dc = static_cast<char32_t>(d.char32At(i));
        if (!IsNonspacingMark(dc)) decomposed[n++] = dc;
      }
    } else if (!IsNonspacingMark(c)) {
      decomposed[n++] = c;
    }
  } else if (!(strip_accents_ && IsNonspacingMark(c))) {
    decomposed[n++] = c;
  }
  if (!options_.lowercase) {
    for (int i = 0; i < n; ++i) out[i] = decomposed[i];
    return n;
  }
  int m = 0;
  for (int i = 0; i < n; ++i) m += Lowercase(decomposed[i], out + m);
  return m;
}

int Normalizer::Normalize(char32_t c, char32_t out[kMaxExpansion]) const {
  if (options_.clean_text) {
    if (c == 0 || c == 0xFFFD || IsControl(c)) return 0;
    if (IsWhitespace(c)) {
      out[0] = U' ';
      return 1;
    }
  }
  if (options_.handle_chinese_chars && IsChineseChar(c)) {
    out[0] = U' ';
    const int n = StripAndLower(c, out + 1);
    out[n + 1] = U' ';
    return n + 2;
  }
  return StripAndLower(c, out);
}

int Normalizer::Clean(char32_t c) const {
  if (!options_.clean_text) return 0;
  if (c == 0 || c == 0xFFFD || IsControl(c)) return 1;
  return IsWhitespace(c) ? 2 : 0;
}

int Normalizer::Decompose(char32_t c, char32_t out[kMaxExpansion], uint8_t ccc[kMaxExpansion]) const {
  const icu::Normalizer2& nfd = Nfd();
  const auto uc = static_cast<UChar32>(c);
  if (c >= 0xC0 && !nfd.isInert(uc)) {
    icu::UnicodeString d;
    if (nfd.getDecomposition(uc, d)) {
      int n = 0;
      for (int32_t i = 0; i < d.length() && n < kMaxExpansion / 2; i = d.moveIndex32(i, 1)) {
        const UChar32 dc = d.char32At(i);
        out[n] = static_cast<char32_t>(dc);
        ccc[n] = u_getCombiningClass(dc);
        ++n;
      }
      return n;
    }
  }
  out[0] = c;
  ccc[0] = c < 0x300 ? 0 : u_getCombiningClass(uc);
  return 1;
}

int Normalizer::Lower(char32_t c, char32_t out[2]) const {
  if (!options_.lowercase) {
    out[0] = c;
    return 1;
  }
  return Lowercase(c, out);
}

bool AccentStripper::IsMn(char32_t c) { return IsNonspacingMark(c); }

void AccentStripper::Reorder() {
  // Canonical ordering (NFD): a stable sort by combining class inside each run of non-starters.
  // Runs are usually 1-3 marks, but hostile text can make one run of a million marks: stable_sort
  // keeps that O(n log n) (an insertion sort was quadratic).
  const size_t n = items_.size();
  for (size_t i = 0; i < n;) {
    if (items_[i].ccc == 0) {
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < n && items_[end].ccc != 0) ++end;
    if (end - i > 1) {
      std::stable_sort(items_.begin() + static_cast<std::ptrdiff_t>(i), items_.begin() + static_cast<std::ptrdiff_t>(end),
                       [](const Item& a, const Item& b) { return a.ccc < b.ccc; });
    }
    i = end;
  }
}

std::string Normalizer::NormalizeString(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  char32_t buf[kMaxExpansion];
  if (!strip_accents_) {
    for (size_t i = 0; i < text.size();) {
      size_t len;
      const char32_t c = DecodeUtf8(text.data() + i, &len);
      i += len;
      const int n = Normalize(c, buf);
      for (int k = 0; k < n; ++k) AppendUtf8(buf[k], &out);
    }
    return out;
  }
  AccentStripper strip;
  strip.Reset(0);
  auto emit = [&](char32_t c, uint32_t, uint32_t) { AppendUtf8(c, &out); };
  for (size_t i = 0; i < text.size();) {
    size_t len;
    const char32_t c = DecodeUtf8(text.data() + i, &len);
    const auto start = static_cast<uint32_t>(i), end = static_cast<uint32_t>(i + len);
    i += len;
    const int clean = Clean(c);
    if (clean == 1) continue;
    if (clean == 2) {
      strip.Flush(*this, emit);
      strip.NoteBypass(start, end);
      out += ' ';
      continue;
    }
    if (options_.handle_chinese_chars && IsChineseChar(c)) {
      strip.Flush(*this, emit);
      out += ' ';
      strip.Add(*this, c, start, end, emit);
      strip.Flush(*this, emit);
      out += ' ';
      continue;
    }
    strip.Add(*this, c, start, end, emit);
  }
  strip.Flush(*this, emit);
  return out;
}

}  // namespace bertc::tok
