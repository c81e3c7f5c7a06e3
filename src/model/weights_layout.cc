#include "model/weights_layout.h"

#include "common/error.h"
#include "model/safetensors.h"

namespace bertc::model {

std::string ShapeText(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Candidate checkpoint names for one of our parameters: as is, without "bert." (BertModel saves),
// and with TF-era LayerNorm.gamma/beta names; cls.predictions.bias may appear as the decoder's bias.
std::vector<std::string> Candidates(const std::string& name) {
  std::vector<std::string> c{name};
  if (name.rfind("bert.", 0) == 0) c.push_back(name.substr(5));
  const size_t n = c.size();
  for (size_t i = 0; i < n; ++i) {
    const std::string k = c[i];  // a copy: push_back below may reallocate
    auto swap_suffix = [&](const std::string& from, const std::string& to) {
      if (k.size() >= from.size() && k.compare(k.size() - from.size(), from.size(), from) == 0) {
        c.push_back(k.substr(0, k.size() - from.size()) + to);
      }
    };
    swap_suffix("LayerNorm.weight", "LayerNorm.gamma");
    swap_suffix("LayerNorm.bias", "LayerNorm.beta");
  }
  if (name == "cls.predictions.bias") c.push_back("cls.predictions.decoder.bias");
  return c;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> ExpectedParameterShapes(const BertConfig& c) {
  const int64_t v = c.vocab_size, h = c.hidden_size, i = c.intermediate_size;
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  auto add = [&](std::string name, std::vector<int64_t> shape) { out.emplace_back(std::move(name), std::move(shape)); };
  auto layer_norm = [&](const std::string& prefix) {
    add(prefix + ".weight", {h});
    add(prefix + ".bias", {h});
  };
  auto linear = [&](const std::string& prefix, int64_t out_f, int64_t in_f) {
    add(prefix + ".weight", {out_f, in_f});
    add(prefix + ".bias", {out_f});
  };
  add("bert.embeddings.word_embeddings.weight", {v, h});
  add("bert.embeddings.position_embeddings.weight", {c.max_position_embeddings, h});
  add("bert.embeddings.token_type_embeddings.weight", {c.type_vocab_size, h});
  layer_norm("bert.embeddings.LayerNorm");
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    linear(p + "attention.self.query", h, h);
    linear(p + "attention.self.key", h, h);
    linear(p + "attention.self.value", h, h);
    linear(p + "attention.output.dense", h, h);
    layer_norm(p + "attention.output.LayerNorm");
    linear(p + "intermediate.dense", i, h);
    linear(p + "output.dense", h, i);
    layer_norm(p + "output.LayerNorm");
  }
  switch (c.task) {
    case Task::kMaskedLM:
      add("cls.predictions.bias", {v});
      linear("cls.predictions.transform.dense", h, h);
      layer_norm("cls.predictions.transform.LayerNorm");
      break;
    case Task::kSequenceClassification:
      linear("bert.pooler.dense", h, h);
      linear("classifier", c.num_labels(), h);
      break;
    case Task::kTokenClassification:
      linear("classifier", c.num_labels(), h);
      break;
  }
  return out;
}

bool IsHeadParameter(const std::string& name) {
  return name.rfind("cls.", 0) == 0 || name.rfind("classifier.", 0) == 0 || name.rfind("bert.pooler.", 0) == 0;
}

void CheckWeightsFitConfig(const BertConfig& config, const SafetensorsFile& file, bool encoder_only) {
  // Bounded by the file before anything is allocated: every encoder tensor the config implies must be
  // in the file with its shape, so a config.json cannot demand more memory than the weights hold.
  // (Every layer is 16 tensors: far more layers than the file has tensors is refused before the
  // expected names are even listed.)
  if (config.num_hidden_layers > static_cast<int64_t>(file.tensors().size()) + 64) {
    throw FormatError(file.source() + ": config.json has num_hidden_layers " + std::to_string(config.num_hidden_layers) +
                      " but the file holds only " + std::to_string(file.tensors().size()) + " tensors");
  }
  for (const auto& [name, shape] : ExpectedParameterShapes(config)) {
    const TensorInfo* info = nullptr;
    for (const auto& cand : Candidates(name)) {
      if ((info = file.Find(cand)) != nullptr) break;
    }
    if (info == nullptr) {
      if (IsHeadParameter(name)) continue;  // a checkpoint of another architecture: the head is initialised
      throw FormatError(file.source() + ": missing tensors: " + name + " (config.json implies it)");
    }
    if (info->dtype != Dtype::kF32 && info->dtype != Dtype::kF16 && info->dtype != Dtype::kBF16 &&
        info->dtype != Dtype::kF64) {
      throw FormatError(file.source() + ": tensor '" + info->name + "' has dtype " + DtypeName(info->dtype) +
                        " (weights must be F32, F16, BF16 or F64)");
    }
    if (encoder_only && IsHeadParameter(name)) continue;
    if (info->shape != shape) {
      throw FormatError(file.source() + ": tensor '" + info->name + "' has shape " + ShapeText(info->shape) +
                        " but config.json implies " + ShapeText(shape));
    }
  }
}

}  // namespace bertc::model
