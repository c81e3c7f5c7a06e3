#include "tokenizer/pre_tokenizer.h"

namespace bertc::tok {

std::vector<std::pair<std::string, std::pair<size_t, size_t>>> PreTokenize(std::string_view text,
                                                                           const Normalizer& norm) {
  ValidateUtf8(text, "PreTokenize");
  std::vector<std::pair<std::string, std::pair<size_t, size_t>>> out;
  WordBuffer word;
  SplitWords(text, 0, norm, word, [&](const WordBuffer& w) {
    out.push_back({w.bytes, {w.orig_start.front(), w.orig_end.back()}});
  });
  return out;
}

}  // namespace bertc::tok
