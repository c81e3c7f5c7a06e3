// tokenizer.json from untrusted bytes: parse, encode a few texts, and check the round trip (what
// ToJson writes loads back to the same tokenizer: same ids for every token and text).
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  bertc::fuzz::Refusable([&] {
    auto tok = bertc::tok::Tokenizer::FromMemory(in, {});
    bertc::tok::EncodeOptions o;
    std::vector<int32_t> first;
    for (std::string_view text : {"Hello, world! [MASK] a", "\xe4\xb8\xad\xe6\x96\x87 caf\xc3\xa9 ##x", ""}) {
      bertc::fuzz::Refusable([&] {
        const auto e = tok->Encode(text, nullptr, o);
        if (first.empty()) first = e.ids;
        tok->Decode(e.ids.data(), e.ids.size());
      });
    }
    const std::string json = tok->ToJson();
    auto back = bertc::tok::Tokenizer::FromMemory(json, {});
    bertc::fuzz::Require(back->vocab_size() == tok->vocab_size());
    bertc::fuzz::Require(back->ToJson() == json);
    for (size_t id = 0; id < tok->vocab_size(); ++id) {
      const std::string* a = tok->IdToToken(static_cast<int32_t>(id));
      const std::string* b = back->IdToToken(static_cast<int32_t>(id));
      bertc::fuzz::Require((a == nullptr) == (b == nullptr) && (a == nullptr || *a == *b));
    }
    if (!first.empty()) {
      bertc::fuzz::Require(back->Encode("Hello, world! [MASK] a", nullptr, o).ids == first);
    }
  });
  return 0;
}
