// bert_model_load_from_memory's checks without LibTorch: "config.json\n=====\nmodel.safetensors" must
// either be refused or fit (every tensor the config implies is in the file with its shape), so the
// model's memory is bounded by the input's.
#include <string>

#include "fuzz_common.h"
#include "model/config.h"
#include "model/safetensors.h"
#include "model/weights_layout.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [config, weights] = bertc::fuzz::Split(std::string_view(reinterpret_cast<const char*>(data), size));
  bertc::fuzz::Refusable([&, config = config, weights = weights] {
    const auto c = bertc::model::ConfigFromJson(std::string(config));
    const auto file = bertc::model::SafetensorsFile::Borrow(weights);
    bertc::model::CheckWeightsFitConfig(c, file);
    // Accepted: the float32 parameters cannot be much larger than the file (f16 doubles, the head adds V+H*H).
    double bytes = 0;
    for (const auto& [name, shape] : bertc::model::ExpectedParameterShapes(c)) {
      double n = 4;
      for (int64_t d : shape) n *= static_cast<double>(d);
      bytes += n;
    }
    const double h = static_cast<double>(c.hidden_size), v = static_cast<double>(c.vocab_size);
    bertc::fuzz::Require(bytes <= 2.0 * static_cast<double>(weights.size()) + 4.0 * (v + h * h + 3 * h) + 64);
  });
  return 0;
}
