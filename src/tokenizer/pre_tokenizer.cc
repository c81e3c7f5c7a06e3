#include "tokenizer/pre_tokenizer.h"

namespace bertc::tok {

std::vector<std::pair<std::string, std::pair<size_t, size_t>>> PreTokenize(std::string_view text,
                                                                           const Normalizer& norm) {
  ValidateUtf8(text, "PreTokenize");
  std::vector<std::pair<std::string, std::pair<size_t, size_t>>> out;
  WordBuffer word;
  SplitWords(text, 0, norm, word, [&](const WordBuffer& w) {
    const auto span = w.Span(0, w.bytes.size());
    out.push_back({std::string(w.bytes.view()), {span.first, span.second}});
  });
  return out;
}

}  // namespace bertc::tok
