#include "model/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bertc::model {
namespace {

std::string Image(const std::string& header, const std::string& data, uint64_t header_len_override = 0) {
  const uint64_t n = header_len_override ? header_len_override : header.size();
  std::string out(8, '\0');
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

void ExpectFormat(const std::string& image, const std::string& needle) {
  try {
    SafetensorsFile::Parse(image, "t.safetensors");
    FAIL() << "accepted: " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFormat) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Safetensors, ParsesValidImage) {
  const float v[3] = {1.f, -2.f, 3.5f};
  std::string data(reinterpret_cast<const char*>(v), 12);
  auto f = SafetensorsFile::Parse(
      Image(R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})", data));
  ASSERT_NE(f.Find("a"), nullptr);
  EXPECT_EQ(f.Find("b"), nullptr);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.ToFloat32(*f.Find("a")), std::vector<float>({1.f, -2.f, 3.5f}));
}

TEST(Safetensors, RejectsCorruptFiles) {
  const std::string d12(12, '\0');
  ExpectFormat("abc", "too short");
  ExpectFormat(Image("{}", "", 1000), "runs past the end");
  ExpectFormat(Image("{}", "", uint64_t{1} << 60), "too large");
  ExpectFormat(Image("{not json", ""), "not valid JSON");
  ExpectFormat(Image("[]", ""), "not a JSON object");
  ExpectFormat(Image(R"({"a":{"dtype":"Q8","shape":[3],"data_offsets":[0,12]}})", d12), "unknown safetensors dtype");
  ExpectFormat(Image(R"({"a":{"dtype":"F32","shape":[-3],"data_offsets":[0,12]}})", d12), "negative");
  ExpectFormat(Image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", d12), "outside");
  ExpectFormat(Image(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}})", d12), "needs 16");
  ExpectFormat(Image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[12,0]}})", d12), "outside");
  ExpectFormat(Image(R"({"a":{"dtype":"F32","shape":[3]}})", d12), "data_offsets");
  ExpectFormat(Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                        "b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", d12), "overlaps");
  ExpectFormat(Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", d12), "hole");
  ExpectFormat(Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", d12), "trailing");
  ExpectFormat(Image(R"({"a":{"dtype":"F32","shape":[4611686018427387904, 4],"data_offsets":[0,12]}})", d12),
               "overflows");
}

TEST(Safetensors, IntegerTensorIsNotFloat) {
  std::string d(8, '\0');
  auto f = SafetensorsFile::Parse(Image(R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", d));
  EXPECT_THROW(f.ToFloat32(*f.Find("ids")), Error);
}

TEST(Safetensors, HalfAndBFloat16Conversions) {
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
  EXPECT_EQ(BFloat16ToFloat(0x3f80), 1.0f);
  for (float f : {0.f, 1.f, -1.5f, 65504.f, 1e-5f, 3.14159f, -0.000123f}) {
    EXPECT_EQ(HalfToFloat(FloatToHalf(f)), HalfToFloat(FloatToHalf(HalfToFloat(FloatToHalf(f)))));
    EXPECT_NEAR(HalfToFloat(FloatToHalf(f)), f, std::fabs(f) * 1e-3 + 1e-7);
    EXPECT_NEAR(BFloat16ToFloat(FloatToBFloat16(f)), f, std::fabs(f) * 1e-2);
  }
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3f80);
}

TEST(Safetensors, WriteReadRoundTrip) {
  const std::string dir = testing::TempDir() + "/st_" + std::to_string(getpid());
  MakeDirs(dir);
  const std::string path = dir + "/x.safetensors";
  const float a[6] = {1, 2, 3, 4, 5, 6};
  const uint16_t h[2] = {FloatToHalf(0.5f), FloatToHalf(-8.f)};
  WriteSafetensors(path, {{"z.a", Dtype::kF32, {2, 3}, a, sizeof a}, {"b", Dtype::kF16, {2}, h, sizeof h}});
  const std::string raw = ReadFile(path);
  uint64_t n;
  std::memcpy(&n, raw.data(), 8);
  EXPECT_EQ(n % 8, 0u);  // header padded like the reference writer
  auto f = SafetensorsFile::Open(path);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  ASSERT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.tensors()[0].name, "b");  // sorted by name
  EXPECT_EQ(f.Find("z.a")->shape, std::vector<int64_t>({2, 3}));
  EXPECT_EQ(f.ToFloat32(*f.Find("b")), std::vector<float>({0.5f, -8.f}));
  EXPECT_EQ(f.ToFloat32(*f.Find("z.a"))[5], 6.f);
  EXPECT_THROW(WriteSafetensors(path, {{"a", Dtype::kF32, {2}, a, 4}}), Error);                       // size
  EXPECT_THROW(WriteSafetensors(path, {{"a", Dtype::kF32, {1}, a, 4}, {"a", Dtype::kF32, {1}, a, 4}}), Error);
  EXPECT_EQ(SafetensorsFile::Open(path).tensors().size(), 2u);  // failed writes left the file intact
  std::filesystem::remove_all(dir);
}

TEST(Safetensors, MissingFileIsIo) {
  try {
    SafetensorsFile::Open("/nonexistent.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
  }
}

}  // namespace
}  // namespace bertc::model
