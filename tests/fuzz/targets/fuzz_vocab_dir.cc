// A vocab.txt directory from untrusted bytes: "vocab.txt\n=====\ntokenizer_config.json". Parse,
// encode, and check that the saved vocab.txt + config reload to the same tokenizer.
#include <string>

#include "fuzz_common.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [vocab, config] = bertc::fuzz::Split(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!vocab.empty() && vocab.front() == '{') return 0;  // that is tokenizer.json: the other target
  bertc::fuzz::Refusable([&, vocab = vocab, config = config] {
    auto tok = bertc::tok::Tokenizer::FromMemory(vocab, config);
    bertc::tok::EncodeOptions o;
    std::vector<int32_t> ids;
    bertc::fuzz::Refusable([&] { ids = tok->Encode("the quick [UNK] brown fox's caf\xc3\xa9", nullptr, o).ids; });
    auto back = bertc::tok::Tokenizer::FromMemory(tok->VocabText(), tok->ConfigJson());
    bertc::fuzz::Require(back->VocabText() == tok->VocabText());
    if (!ids.empty()) bertc::fuzz::Require(back->Encode("the quick [UNK] brown fox's caf\xc3\xa9", nullptr, o).ids == ids);
  });
  return 0;
}
