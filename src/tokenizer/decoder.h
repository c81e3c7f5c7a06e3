// The WordPiece decoder (Hugging Face semantics): tokens are joined with spaces except that a
// token with the continuation prefix is glued to the previous one (prefix removed); with cleanup,
// each token then gets HF's `cleanup` (" ." -> ".", " n't" -> "n't", " 's" -> "'s", ...).
#ifndef BERTC_TOKENIZER_DECODER_H_
#define BERTC_TOKENIZER_DECODER_H_

#include <string>
#include <string_view>
#include <vector>

namespace bertc::tok {

struct DecoderOptions {
  std::string prefix = "##";
  bool cleanup = true;
};

// Decodes `tokens` (already filtered, e.g. special tokens skipped).
std::string DecodeWordPieces(const std::vector<std::string_view>& tokens, const DecoderOptions& options);

// HF's `cleanup` of one decoded token (also transformers' clean_up_tokenization on whole strings).
std::string CleanupTokenization(std::string_view text);

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_DECODER_H_
