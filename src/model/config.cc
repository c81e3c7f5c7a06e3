#include "model/config.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bertc::model {
namespace {

using nlohmann::json;

bool KnownActivation(const std::string& act) {
  return act == "gelu" || act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast" || act == "relu" ||
         act == "silu" || act == "swish";
}

template <class T>
void ReadField(const json& j, const char* key, T& out, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) throw FormatError(source + ": field '" + key + "' must be a string");
    out = it->template get<std::string>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer()) {
      // HF writes integers; accept an integral float (e.g. 512.0) but nothing else.
      if (it->is_number_float()) {
        const double v = it->template get<double>();
        if (std::floor(v) == v && std::fabs(v) < 9e15) {
          out = static_cast<T>(v);
          return;
        }
      }
      throw FormatError(source + ": field '" + key + "' must be an integer");
    }
    out = it->template get<T>();
  } else {
    if (!it->is_number()) throw FormatError(source + ": field '" + key + "' must be a number");
    out = it->template get<T>();
  }
}

}  // namespace

const char* TaskName(Task task) {
  switch (task) {
    case Task::kMaskedLM: return "masked_lm";
    case Task::kSequenceClassification: return "sequence_classification";
    case Task::kTokenClassification: return "token_classification";
  }
  return "unknown";
}

const char* ArchitectureName(Task task) {
  switch (task) {
    case Task::kMaskedLM: return "BertForMaskedLM";
    case Task::kSequenceClassification: return "BertForSequenceClassification";
    case Task::kTokenClassification: return "BertForTokenClassification";
  }
  return "BertForMaskedLM";
}

int64_t BertConfig::LabelId(std::string_view name) const {
  for (size_t i = 0; i < id2label.size(); ++i) {
    if (id2label[i] == name) return static_cast<int64_t>(i);
  }
  return -1;
}

bool BertConfig::operator==(const BertConfig& o) const {
  return vocab_size == o.vocab_size && hidden_size == o.hidden_size && num_hidden_layers == o.num_hidden_layers &&
         num_attention_heads == o.num_attention_heads && intermediate_size == o.intermediate_size &&
         hidden_act == o.hidden_act && hidden_dropout_prob == o.hidden_dropout_prob &&
         attention_probs_dropout_prob == o.attention_probs_dropout_prob &&
         max_position_embeddings == o.max_position_embeddings && type_vocab_size == o.type_vocab_size &&
         layer_norm_eps == o.layer_norm_eps && initializer_range == o.initializer_range &&
         pad_token_id == o.pad_token_id && position_embedding_type == o.position_embedding_type && task == o.task &&
         id2label == o.id2label && ClassifierDropout() == o.ClassifierDropout();
}

void Validate(const BertConfig& c) {
  auto positive = [](int64_t v, const char* name) {
    if (v <= 0) throw InvalidArgument(std::string(name) + " must be > 0 (got " + std::to_string(v) + ")");
  };
  positive(c.vocab_size, "vocab_size");
  positive(c.hidden_size, "hidden_size");
  positive(c.num_hidden_layers, "num_hidden_layers");
  positive(c.num_attention_heads, "num_attention_heads");
  positive(c.intermediate_size, "intermediate_size");
  positive(c.max_position_embeddings, "max_position_embeddings");
  positive(c.type_vocab_size, "type_vocab_size");
  // Guard against absurd sizes that would overflow or exhaust memory before any allocation.
  constexpr int64_t kMaxDim = int64_t{1} << 24;
  auto bounded = [&](int64_t v, const char* name) {
    if (v > kMaxDim) throw InvalidArgument(std::string(name) + " is too large (" + std::to_string(v) + ")");
  };
  bounded(c.vocab_size, "vocab_size");
  bounded(c.hidden_size, "hidden_size");
  bounded(c.num_hidden_layers, "num_hidden_layers");
  bounded(c.intermediate_size, "intermediate_size");
  bounded(c.max_position_embeddings, "max_position_embeddings");
  bounded(c.type_vocab_size, "type_vocab_size");
  if (c.hidden_size % c.num_attention_heads != 0) {
    throw InvalidArgument("hidden_size (" + std::to_string(c.hidden_size) +
                          ") is not a multiple of num_attention_heads (" + std::to_string(c.num_attention_heads) + ")");
  }
  if (!KnownActivation(c.hidden_act)) {
    throw InvalidArgument("hidden_act '" + c.hidden_act +
                          "' is not supported (use gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu)");
  }
  auto prob = [](double p, const char* name) {
    if (!(p >= 0.0 && p < 1.0)) throw InvalidArgument(std::string(name) + " must be in [0, 1)");
  };
  prob(c.hidden_dropout_prob, "hidden_dropout_prob");
  prob(c.attention_probs_dropout_prob, "attention_probs_dropout_prob");
  if (!(c.layer_norm_eps > 0.0) || !std::isfinite(c.layer_norm_eps)) {
    throw InvalidArgument("layer_norm_eps must be > 0");
  }
  if (!(c.initializer_range >= 0.0) || !std::isfinite(c.initializer_range)) {
    throw InvalidArgument("initializer_range must be >= 0");
  }
  if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size) {
    throw InvalidArgument("pad_token_id " + std::to_string(c.pad_token_id) + " is outside [0, vocab_size)");
  }
  if (c.position_embedding_type != "absolute") {
    throw Unsupported("position_embedding_type '" + c.position_embedding_type + "' is not supported (only absolute)");
  }
  if (IsClassifier(c.task)) {
    if (c.id2label.empty()) throw InvalidArgument(std::string(ArchitectureName(c.task)) + " needs at least one label");
    if (c.id2label.size() > (size_t{1} << 20)) {
      throw InvalidArgument("too many labels (" + std::to_string(c.id2label.size()) + ")");
    }
    std::vector<std::string_view> sorted(c.id2label.begin(), c.id2label.end());
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (sorted[i].empty()) throw InvalidArgument("label names must not be empty");
      if (i > 0 && sorted[i] == sorted[i - 1]) {
        throw InvalidArgument("label '" + std::string(sorted[i]) + "' appears twice in the label map");
      }
    }
    if (!(c.classifier_dropout < 1.0) || std::isnan(c.classifier_dropout)) {
      throw InvalidArgument("classifier_dropout must be in [0, 1) (or unset)");
    }
  }
}

void CheckVocabMatches(const BertConfig& config, int64_t tokenizer_vocab_size) {
  if (config.vocab_size != tokenizer_vocab_size) {
    throw InvalidArgument("model vocab_size " + std::to_string(config.vocab_size) +
                          " does not match the tokenizer's vocabulary size " + std::to_string(tokenizer_vocab_size));
  }
}

BertConfig ConfigFromJson(const std::string& json_text, const std::string& source) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw FormatError(source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw FormatError(source + ": expected a JSON object");
  if (auto mt = j.find("model_type"); mt != j.end() && mt->is_string() && mt->get<std::string>() != "bert") {
    throw FormatError(source + ": model_type is '" + mt->get<std::string>() + "', expected 'bert'");
  }
  BertConfig c;
  ReadField(j, "vocab_size", c.vocab_size, source);
  ReadField(j, "hidden_size", c.hidden_size, source);
  ReadField(j, "num_hidden_layers", c.num_hidden_layers, source);
  ReadField(j, "num_attention_heads", c.num_attention_heads, source);
  ReadField(j, "intermediate_size", c.intermediate_size, source);
  ReadField(j, "hidden_act", c.hidden_act, source);
  ReadField(j, "hidden_dropout_prob", c.hidden_dropout_prob, source);
  ReadField(j, "attention_probs_dropout_prob", c.attention_probs_dropout_prob, source);
  ReadField(j, "max_position_embeddings", c.max_position_embeddings, source);
  ReadField(j, "type_vocab_size", c.type_vocab_size, source);
  ReadField(j, "layer_norm_eps", c.layer_norm_eps, source);
  ReadField(j, "initializer_range", c.initializer_range, source);
  ReadField(j, "pad_token_id", c.pad_token_id, source);
  ReadField(j, "position_embedding_type", c.position_embedding_type, source);
  if (auto a = j.find("architectures"); a != j.end() && !a->is_null()) {
    if (!a->is_array()) throw FormatError(source + ": field 'architectures' must be an array");
    for (const auto& name : *a) {
      if (!name.is_string()) throw FormatError(source + ": 'architectures' must hold strings");
      const std::string n = name.get<std::string>();
      if (n == "BertForSequenceClassification") {
        c.task = Task::kSequenceClassification;
        break;
      }
      if (n == "BertForTokenClassification") {
        c.task = Task::kTokenClassification;
        break;
      }
      if (n == "BertForMaskedLM") break;
    }
  }
  if (IsClassifier(c.task)) {
    if (auto pt = j.find("problem_type"); pt != j.end() && !pt->is_null()) {
      if (!pt->is_string()) throw FormatError(source + ": field 'problem_type' must be a string");
      if (pt->get<std::string>() != "single_label_classification") {
        throw Unsupported(source + ": problem_type '" + pt->get<std::string>() +
                          "' is not supported (only single_label_classification)");
      }
    }
    auto id2label = j.find("id2label");
    if (id2label == j.end() || id2label->is_null()) {
      // HF's PretrainedConfig default: num_labels 2 (or the num_labels field) named LABEL_i.
      int64_t n = 2;
      ReadField(j, "num_labels", n, source);
      if (n <= 0 || n > (int64_t{1} << 20)) throw FormatError(source + ": num_labels out of range");
      for (int64_t i = 0; i < n; ++i) c.id2label.push_back("LABEL_" + std::to_string(i));
    } else {
      if (!id2label->is_object()) throw FormatError(source + ": field 'id2label' must be an object");
      if (id2label->size() > (size_t{1} << 20)) throw FormatError(source + ": id2label has too many labels");
      c.id2label.assign(id2label->size(), std::string());
      std::vector<bool> seen(id2label->size(), false);
      for (auto it = id2label->begin(); it != id2label->end(); ++it) {
        const std::string& key = it.key();
        size_t id = 0;
        bool ok = !key.empty() && key.size() <= 8;
        for (char ch : key) ok = ok && ch >= '0' && ch <= '9';
        if (ok) id = static_cast<size_t>(std::stoul(key));
        if (!ok || id >= c.id2label.size() || seen[id]) {
          throw FormatError(source + ": id2label keys must be the ids 0.." + std::to_string(c.id2label.size() - 1) +
                            " (got '" + key + "')");
        }
        if (!it->is_string()) throw FormatError(source + ": id2label['" + key + "'] must be a string");
        seen[id] = true;
        c.id2label[id] = it->get<std::string>();
      }
    }
    ReadField(j, "classifier_dropout", c.classifier_dropout, source);
  }
  try {
    Validate(c);
  } catch (const Error& e) {
    throw Error(e.code() == ErrorCode::kUnsupported ? ErrorCode::kUnsupported : ErrorCode::kFormat,
                source + ": " + e.what());
  }
  return c;
}

std::string ConfigToJson(const BertConfig& c) {
  json j;  // nlohmann's default object is sorted by key, like HF's to_json_string(sort_keys=True)
  j["architectures"] = json::array({ArchitectureName(c.task)});
  j["model_type"] = "bert";
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_attention_heads"] = c.num_attention_heads;
  j["intermediate_size"] = c.intermediate_size;
  j["hidden_act"] = c.hidden_act;
  j["hidden_dropout_prob"] = c.hidden_dropout_prob;
  j["attention_probs_dropout_prob"] = c.attention_probs_dropout_prob;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["type_vocab_size"] = c.type_vocab_size;
  j["layer_norm_eps"] = c.layer_norm_eps;
  j["initializer_range"] = c.initializer_range;
  j["pad_token_id"] = c.pad_token_id;
  j["position_embedding_type"] = c.position_embedding_type;
  j["torch_dtype"] = "float32";
  j["use_cache"] = true;
  j["classifier_dropout"] = c.classifier_dropout < 0 ? json(nullptr) : json(c.classifier_dropout);
  if (IsClassifier(c.task)) {
    json id2label = json::object(), label2id = json::object();
    for (size_t i = 0; i < c.id2label.size(); ++i) {
      id2label[std::to_string(i)] = c.id2label[i];
      label2id[c.id2label[i]] = i;
    }
    j["id2label"] = id2label;
    j["label2id"] = label2id;
    if (c.task == Task::kSequenceClassification) j["problem_type"] = "single_label_classification";
  }
  return j.dump(2) + "\n";
}

BertConfig ReadConfig(const std::string& dir) {
  const std::string path = dir + "/config.json";
  return ConfigFromJson(ReadFile(path), path);
}

}  // namespace bertc::model
