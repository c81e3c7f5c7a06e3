// The ABI boundary must turn every exception into a status + message, never let one escape.
#include "api/guard.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <cstring>
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
  EXPECT_EQ(Guard("f", [] { Warn("careful"); }), BERT_OK);
  EXPECT_EQ(Msg(), "careful");
  EXPECT_EQ(Guard("f", [] { Warn("one"); Warn("two"); }), BERT_OK);
  EXPECT_EQ(Msg(), "one; two");
}

// A call made inside the body (e.g. from a progress callback) leaves its own message behind; the outer
// call's message must win when the outer call returns.
TEST(Guard, NestedCallsDoNotLeakTheirMessages) {
  EXPECT_EQ(Guard("outer", [] {
              EXPECT_EQ(Guard("inner", [] { throw InvalidArgument("inner failed"); }), BERT_ERR_INVALID_ARGUMENT);
              EXPECT_EQ(Msg(), "inner: inner failed");
            }),
            BERT_OK);
  EXPECT_EQ(Msg(), "");
  EXPECT_EQ(Guard("outer", [] {
              Warn("outer warning");
              EXPECT_EQ(Guard("inner", [] { Warn("inner warning"); }), BERT_OK);
            }),
            BERT_OK);
  EXPECT_EQ(Msg(), "outer warning");
  EXPECT_EQ(Guard("outer", [] {
              EXPECT_EQ(Guard("inner", [] {}), BERT_OK);
              throw IoError("disk full");
            }),
            BERT_ERR_IO);
  EXPECT_EQ(Msg(), "outer: disk full");
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

// Two versions of a params struct, as bertc.h would declare them in ABI 1.0 and in a later minor
// version that appended a field (which must grow sizeof: here an 8-byte field).
struct ParamsV1 {
  size_t struct_size;
  int64_t a;
};
struct ParamsV2 {
  size_t struct_size;
  int64_t a;
  int64_t b;
};
}  // namespace
template <>
struct AbiSince1<ParamsV1> {
  static constexpr size_t kMinSize = sizeof(ParamsV1);
};
template <>
struct AbiSince1<ParamsV2> {
  static constexpr size_t kMinSize = sizeof(ParamsV1);
};
namespace {

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

TEST(CopyParams, RejectsTooSmallAndNewerSizes) {
  ParamsV2 d{sizeof(ParamsV2), 1, 2};
  ParamsV2 zero{0, 5, 6};
  EXPECT_EQ(Guard("f", [&] { CopyParams(&zero, d, "params"); }), BERT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(Msg().find("struct_size"), std::string::npos);
  ParamsV2 half{sizeof(ParamsV1) + 4, 5, 6};  // ends inside field b
  EXPECT_EQ(Guard("f", [&] { CopyParams(&half, d, "params"); }), BERT_ERR_INVALID_ARGUMENT);
  ParamsV2 newer{sizeof(ParamsV2), 5, 6};
  ParamsV1 d1{sizeof(ParamsV1), 1};
  EXPECT_EQ(Guard("f", [&] { CopyParams(reinterpret_cast<const ParamsV1*>(&newer), d1, "params"); }),
            BERT_ERR_UNSUPPORTED);
  EXPECT_NE(Msg().find("newer bertc.h"), std::string::npos);
}

TEST(InitStruct, WritesExactlyTheCallersSize) {
  const ParamsV2 d{sizeof(ParamsV2), 1, 2};
  // An ABI 1.0 caller's struct inside a larger buffer: the bytes after it stay untouched.
  unsigned char buf[sizeof(ParamsV2) + 8];
  std::memset(buf, 0xAB, sizeof buf);
  auto* old = reinterpret_cast<ParamsV2*>(buf);
  EXPECT_EQ(InitStruct("init", old, sizeof(ParamsV1), d), BERT_OK);
  EXPECT_EQ(old->struct_size, sizeof(ParamsV1));
  EXPECT_EQ(old->a, 1);
  for (size_t i = sizeof(ParamsV1); i < sizeof buf; ++i) EXPECT_EQ(buf[i], 0xAB) << i;
  ParamsV2 now;
  EXPECT_EQ(InitStruct("init", &now, sizeof now, d), BERT_OK);
  EXPECT_EQ(now.b, 2);
  EXPECT_EQ(InitStruct("init", &now, sizeof now + 8, d), BERT_ERR_UNSUPPORTED);
  EXPECT_EQ(InitStruct("init", &now, 4, d), BERT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(InitStruct<ParamsV2>("init", nullptr, sizeof now, d), BERT_ERR_INVALID_ARGUMENT);
}

TEST(CopyResult, OlderCallerGetsOnlyItsFields) {
  const ParamsV2 full{sizeof(ParamsV2), 3, 4};
  unsigned char buf[sizeof(ParamsV2) + 8];
  std::memset(buf, 0xAB, sizeof buf);
  auto* out = reinterpret_cast<ParamsV2*>(buf);
  out->struct_size = sizeof(ParamsV1);
  CopyResult(full, out, "out");
  EXPECT_EQ(out->struct_size, sizeof(ParamsV1));
  EXPECT_EQ(out->a, 3);
  for (size_t i = sizeof(ParamsV1); i < sizeof buf; ++i) EXPECT_EQ(buf[i], 0xAB) << i;
}

}  // namespace
}  // namespace bertc::api
