// config.json from untrusted bytes (model and tokenizer readers): parse and validate.
#include <string>

#include "fuzz_common.h"
#include "model/config.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  bertc::fuzz::Refusable([&] {
    const auto c = bertc::model::ConfigFromJson(text);
    const auto json = bertc::model::ConfigToJson(c);
    bertc::fuzz::Require(bertc::model::ConfigFromJson(json) == c);  // what bertc writes it reads back
  });
  // The same bytes as a tokenizer_config.json next to a fixed vocabulary.
  bertc::fuzz::Refusable([&] { bertc::tok::Tokenizer::FromMemory("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n", text); });
  return 0;
}
