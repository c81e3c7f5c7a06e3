// model.safetensors from untrusted bytes: parse, and read every tensor a model could load.
#include <string>

#include "fuzz_common.h"
#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  bertc::fuzz::Refusable([&] {
    const auto file = bertc::model::SafetensorsFile::Borrow(in);
    for (const auto& t : file.tensors()) {
      const auto bytes = file.Bytes(t);
      bertc::fuzz::Require(bytes.size() == t.end - t.begin);
      bertc::fuzz::Refusable([&] {
        const auto values = file.ToFloat32(t);
        bertc::fuzz::Require(static_cast<int64_t>(values.size()) == t.numel());
      });
    }
  });
  return 0;
}
