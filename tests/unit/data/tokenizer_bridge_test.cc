#include "data/tokenizer_bridge.h"

#include <gtest/gtest.h>

#include "common/atomic_file.h"

namespace bertc::data {
namespace {

TEST(TokenizerBridge, HooksFromBrownTokenizer) {
  const std::string dir = BERTC_FIXTURES_DIR "/tokenizer/hf_brown_8000";
  if (!PathExists(dir + "/vocab.txt")) GTEST_SKIP() << "fixture missing";
  auto tok = tok::Tokenizer::Load(dir);
  TokenizerHooks h = HooksFor(tok);
  EXPECT_EQ(h.ids.pad, 0);
  EXPECT_EQ(h.ids.unk, 1);
  EXPECT_EQ(h.ids.cls, 2);
  EXPECT_EQ(h.ids.sep, 3);
  EXPECT_EQ(h.ids.mask, 4);
  EXPECT_EQ(h.vocab_size, 8000);
  EXPECT_EQ(h.fingerprint.size(), 16u);
  std::vector<int32_t> ids;
  h.encode("The unbelievably long word", ids);
  ASSERT_GE(ids.size(), 4u);
  int continuations = 0;
  for (int32_t id : ids) {
    const std::string* t = tok->IdToToken(id);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(h.is_continuation[static_cast<size_t>(id)] != 0, t->rfind("##", 0) == 0) << *t;
    continuations += h.is_continuation[static_cast<size_t>(id)];
  }
  EXPECT_GT(continuations, 0);
}

}  // namespace
}  // namespace bertc::data
