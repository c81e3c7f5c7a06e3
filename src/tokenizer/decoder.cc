#include "tokenizer/decoder.h"

#include <utility>

namespace bertc::tok {

namespace {

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  if (s->find(from) == std::string::npos) return;
  std::string out;
  out.reserve(s->size());
  size_t pos = 0;
  for (;;) {
    const size_t hit = s->find(from, pos);
    if (hit == std::string::npos) break;
    out.append(*s, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
  out.append(*s, pos, std::string::npos);
  *s = std::move(out);
}

}  // namespace

std::string CleanupTokenization(std::string_view text) {
  std::string s(text);
  // Same order as HF tokenizers' decoders::wordpiece::cleanup.
  static const std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},   {" ?", "?"},   {" !", "!"},   {" ,", ","},   {" ' ", "'"},           {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"},           {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
  };
  for (const auto& [from, to] : kRules) ReplaceAll(&s, from, to);
  return s;
}

std::string DecodeWordPieces(const std::vector<std::string_view>& tokens, const DecoderOptions& options) {
  std::string out;
  std::string piece;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string_view t = tokens[i];
    piece.clear();
    if (i != 0) {
      if (!options.prefix.empty() && t.substr(0, options.prefix.size()) == options.prefix) {
        piece.append(t.substr(options.prefix.size()));
      } else {
        piece.push_back(' ');
        piece.append(t);
      }
    } else {
      piece.append(t);
    }
    if (options.cleanup) {
      out += CleanupTokenization(piece);
    } else {
      out += piece;
    }
  }
  return out;
}

}  // namespace bertc::tok
