// The ABI boundary must turn every exception into a status + message, never let one escape.
#include "api/guard.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace bertc::api {
const char* CurrentMessage();
namespace {

std::string Msg() { return CurrentMessage(); }

TEST(Guard, SuccessClearsMessage) {
  SetMessage("stale");
  EXPECT_EQ(Guard("f", [] {}), BERT_OK);
  EXPECT_EQ(Msg(), "");
}

TEST(Guard, BodyMayLeaveAWarningOnSuccess) {
  EXPECT_EQ(Guard("f", [] { SetMessage("careful"); }), BERT_OK);
  EXPECT_EQ(Msg(), "careful");
}

TEST(Guard, MapsEveryCoreErrorCode) {
  const std::pair<ErrorCode, bert_status> cases[] = {
      {ErrorCode::kInvalidArgument, BERT_ERR_INVALID_ARGUMENT}, {ErrorCode::kIo, BERT_ERR_IO},
      {ErrorCode::kFormat, BERT_ERR_FORMAT},          {ErrorCode::kInvalidUtf8, BERT_ERR_INVALID_UTF8},
      {ErrorCode::kOutOfMemory, BERT_ERR_OUT_OF_MEMORY}, {ErrorCode::kCancelled, BERT_ERR_CANCELLED},
      {ErrorCode::kUnsupported, BERT_ERR_UNSUPPORTED},  {ErrorCode::kInternal, BERT_ERR_INTERNAL},
  };
  for (auto [code, status] : cases) {
    EXPECT_EQ(Guard("bert_thing", [&] { throw Error(code, "why"); }), status);
    EXPECT_EQ(Msg(), "bert_thing: why");
  }
}

TEST(Guard, BadAllocIsOutOfMemory) {
  EXPECT_EQ(Guard("f", [] { throw std::bad_alloc(); }), BERT_ERR_OUT_OF_MEMORY);
  EXPECT_NE(Msg().find("out of memory"), std::string::npos);
}

TEST(Guard, HugeAllocationIsOutOfMemory) {
  EXPECT_EQ(Guard("f", [] { throw std::bad_alloc(); }), BERT_ERR_OUT_OF_MEMORY);
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan's operator new aborts (or returns null) instead of throwing std::bad_alloc";
#endif
  EXPECT_EQ(Guard("f", [] {
              std::vector<char> v;
              v.reserve(static_cast<size_t>(1) << 62);
            }),
            BERT_ERR_OUT_OF_MEMORY);
}

TEST(Guard, TorchErrorsAreTranslatedWithoutBacktrace) {
  EXPECT_EQ(Guard("f", [] { TORCH_CHECK(false, "shape mismatch 3 vs 4"); }), BERT_ERR_INTERNAL);
  EXPECT_NE(Msg().find("shape mismatch 3 vs 4"), std::string::npos);
  EXPECT_EQ(Msg().find("Exception raised from"), std::string::npos);
  EXPECT_EQ(Guard("f", [] { TORCH_CHECK_INDEX(false, "index 9 out of range"); }), BERT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(Guard("f", [] { TORCH_CHECK_VALUE(false, "bad value"); }), BERT_ERR_INVALID_ARGUMENT);
}

TEST(Guard, JsonErrorsAreFormatErrors) {
  EXPECT_EQ(Guard("f", [] { auto j = nlohmann::json::parse("{not json"); (void)j; }), BERT_ERR_FORMAT);
}

TEST(Guard, UnknownExceptionsAreInternal) {
  EXPECT_EQ(Guard("f", [] { throw std::logic_error("oops"); }), BERT_ERR_INTERNAL);
  EXPECT_NE(Msg().find("oops"), std::string::npos);
  EXPECT_EQ(Guard("f", [] { throw 42; }), BERT_ERR_INTERNAL);
}

struct ParamsV1 {
  size_t struct_size;
  int a;
};
// Appended fields must grow sizeof (here: an 8-byte field), see docs/internals.md "Params".
struct ParamsV2 {
  size_t struct_size;
  int a;
  int64_t b;
};

TEST(CopyParams, NullMeansDefaults) {
  ParamsV2 d{sizeof(ParamsV2), 1, 2};
  ParamsV2 p = CopyParams<ParamsV2>(nullptr, d, "p");
  EXPECT_EQ(p.a, 1);
  EXPECT_EQ(p.b, 2);
}

TEST(CopyParams, OlderCallerKeepsDefaultsForNewFields) {
  ParamsV1 old{sizeof(ParamsV1), 7};
  ParamsV2 d{sizeof(ParamsV2), 1, 2};
  ParamsV2 p = CopyParams(reinterpret_cast<const ParamsV2*>(&old), d, "p");
  EXPECT_EQ(p.a, 7);
  EXPECT_EQ(p.b, 2);
  EXPECT_EQ(p.struct_size, sizeof(ParamsV2));
}

TEST(CopyParams, RejectsZeroAndNewerSizes) {
  ParamsV1 d{sizeof(ParamsV1), 1};
  ParamsV1 zero{0, 5};
  EXPECT_EQ(Guard("f", [&] { CopyParams(&zero, d, "params"); }), BERT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(Msg().find("struct_size"), std::string::npos);
  ParamsV2 newer{sizeof(ParamsV2), 5, 6};
  EXPECT_EQ(Guard("f", [&] { CopyParams(reinterpret_cast<const ParamsV1*>(&newer), d, "params"); }),
            BERT_ERR_UNSUPPORTED);
}

}  // namespace
}  // namespace bertc::api
