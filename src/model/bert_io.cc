// Loading and saving BertForMaskedLM as HF does: config.json + model.safetensors.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <unistd.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bert.h"
#include "model/safetensors.h"
#include "model/weights_layout.h"

namespace bertc::model {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWeightsFile = "model.safetensors";
constexpr const char* kConfigFile = "config.json";

std::string ShapeString(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Checkpoint keys HF itself ignores when loading a model of `task`.
bool IsKnownExtra(const std::string& k, Task task) {
  if (task == Task::kSequenceClassification && k.rfind("bert.pooler.", 0) == 0) return false;
  auto ends_with = [&](const char* suffix) {
    const size_t n = std::strlen(suffix);
    return k.size() >= n && k.compare(k.size() - n, n, suffix) == 0;
  };
  return ends_with("embeddings.position_ids") || ends_with("embeddings.token_type_ids") ||
         k.rfind("pooler.", 0) == 0 || k.rfind("bert.pooler.", 0) == 0 || k == "cls.predictions.decoder.weight" ||
         k == "cls.predictions.decoder.bias" || k.rfind("cls.seq_relationship.", 0) == 0;
}

Dtype ToDtype(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return Dtype::kF32;
    case at::kHalf: return Dtype::kF16;
    case at::kBFloat16: return Dtype::kBF16;
    case at::kDouble: return Dtype::kF64;
    case at::kLong: return Dtype::kI64;
    case at::kInt: return Dtype::kI32;
    case at::kShort: return Dtype::kI16;
    case at::kChar: return Dtype::kI8;
    case at::kByte: return Dtype::kU8;
    case at::kBool: return Dtype::kBool;
    default: throw InvalidArgument(std::string("cannot store dtype ") + c10::toString(t) + " in safetensors");
  }
}

at::ScalarType ToScalarType(Dtype d, const std::string& name) {
  switch (d) {
    case Dtype::kF32: return at::kFloat;
    case Dtype::kF16: return at::kHalf;
    case Dtype::kBF16: return at::kBFloat16;
    case Dtype::kF64: return at::kDouble;
    case Dtype::kI64: return at::kLong;
    case Dtype::kI32: return at::kInt;
    case Dtype::kI16: return at::kShort;
    case Dtype::kI8: return at::kChar;
    case Dtype::kU8: return at::kByte;
    case Dtype::kBool: return at::kBool;
    default: throw FormatError("tensor '" + name + "' has dtype " + DtypeName(d) + ", which LibTorch cannot hold");
  }
}

// Creates a fresh, empty staging directory next to `dir` and returns its path. The name carries the
// process id and a random part, and the directory must not exist yet: a process forked from this one
// shares the generator's state, and one killed mid-save leaves its staging directory behind, so a
// name alone could collide with a stale directory full of half-written files.
std::string MakeStagingSibling(const std::string& dir) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::string base = dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  for (int attempt = 0; attempt < 64; ++attempt) {
    char suffix[64];
    std::snprintf(suffix, sizeof suffix, ".tmp-save-%d-%08llx", static_cast<int>(getpid()),
                  static_cast<unsigned long long>(rng() & 0xffffffffULL));
    std::error_code ec;
    if (fs::create_directory(base + suffix, ec)) return base + suffix;
    if (ec) throw IoError("cannot create a staging directory next to '" + dir + "': " + ec.message());
  }
  throw IoError("cannot create a staging directory next to '" + dir + "': every name tried exists");
}

// A temporary file of an interrupted atomic write ("<name>.tmp-<pid>-<hex>", common/atomic_file.cc):
// never carried into the new directory.
bool IsAtomicWriteLeftover(const std::string& name) {
  const size_t at = name.rfind(".tmp-");
  return at != std::string::npos && at > 0 && name.find_first_not_of("0123456789abcdef-", at + 5) == std::string::npos;
}

}  // namespace

void LoadWeights(BertImpl& model, const std::string& safetensors_path, LoadReport* report) {
  LoadWeights(model, SafetensorsFile::Open(safetensors_path), /*borrow=*/false, report);
}

void LoadWeights(BertImpl& model, const SafetensorsFile& file, bool borrow, LoadReport* report,
                 std::optional<uint64_t> head_seed, const std::vector<std::string>& fresh_groups) {
  const std::string& safetensors_path = file.source();
  LoadReport local;
  LoadReport& rep = report ? *report : local;
  std::set<std::string> used;
  std::vector<std::pair<at::Tensor, at::Tensor>> assignments;  // (parameter, loaded value)
  std::vector<size_t> borrowed;  // assignments whose value aliases the file's bytes
  std::vector<std::string> missing_bert, missing_head;
  std::map<std::string, std::pair<size_t, size_t>> head_groups;  // group -> (missing, total)
  for (auto& item : model.named_parameters()) {
    const std::string& name = item.key();
    const std::string group = HeadGroup(name);
    if (!group.empty()) ++head_groups[group].second;
    const TensorInfo* info = nullptr;
    const bool fresh = !group.empty() && std::find(fresh_groups.begin(), fresh_groups.end(), group) != fresh_groups.end();
    for (const auto& cand : Candidates(name)) {
      if (fresh) break;
      if ((info = file.Find(cand)) != nullptr) break;
    }
    if (info == nullptr) {
      if (group.empty()) {
        missing_bert.push_back(name);
      } else {
        missing_head.push_back(name);
        ++head_groups[group].first;
      }
      continue;
    }
    used.insert(info->name);
    const at::Tensor& param = item.value();
    if (at::IntArrayRef(info->shape) != param.sizes()) {
      if (name.rfind("classifier.", 0) == 0) {
        throw InvalidArgument(safetensors_path + ": the checkpoint's classifier has shape " + ShapeString(info->shape) +
                              " but this model has " + std::to_string(model.config().num_labels()) +
                              " labels: its label map disagrees with the checkpoint's");
      }
      throw FormatError(safetensors_path + ": tensor '" + info->name + "' has shape " + ShapeString(info->shape) +
                        " but the model (config.json) expects " + ShapeString(param.sizes()));
    }
    if (name == "bert.embeddings.word_embeddings.weight") rep.source_dtype = DtypeName(info->dtype);
    const std::string_view raw = file.Bytes(*info);
    if (borrow && info->dtype == Dtype::kF32 && reinterpret_cast<uintptr_t>(raw.data()) % alignof(float) == 0 &&
        !raw.empty()) {
      // Zero-copy: the parameter aliases the caller's buffer (never written: inference only, and a
      // trainer copies the weights first).
      at::Tensor t = at::from_blob(const_cast<char*>(raw.data()), param.sizes(), at::kFloat);
      assignments.emplace_back(param, std::move(t));
      borrowed.push_back(assignments.size() - 1);
      continue;
    }
    std::vector<float> values = file.ToFloat32(*info);
    at::Tensor t = at::empty(param.sizes(), at::kFloat);
    if (!values.empty()) std::memcpy(t.data_ptr<float>(), values.data(), values.size() * sizeof(float));
    assignments.emplace_back(param, std::move(t));
  }
  if (!missing_bert.empty()) {
    std::string list;
    for (size_t i = 0; i < missing_bert.size() && i < 5; ++i) list += (i ? ", " : "") + missing_bert[i];
    if (missing_bert.size() > 5) list += ", ... (" + std::to_string(missing_bert.size()) + " in all)";
    throw FormatError(safetensors_path + ": missing tensors: " + list);
  }
  // Each head group (MLM head, pooler, classifier) is either wholly absent (a checkpoint of another
  // architecture: initialise it, as HF does with a warning) or the file is damaged.
  for (const auto& [group, counts] : head_groups) {
    if (counts.first > 0 && counts.first != counts.second) {
      for (const auto& name : missing_head) {
        if (HeadGroup(name) == group) {
          throw FormatError(safetensors_path + ": missing tensor '" + name + "' (the rest of its head is present)");
        }
      }
    }
  }
  const bool init_head = !missing_head.empty();
  {
    at::NoGradGuard no_grad;
    size_t next_borrowed = 0;
    for (size_t i = 0; i < assignments.size(); ++i) {
      auto& [param, value] = assignments[i];
      if (next_borrowed < borrowed.size() && borrowed[next_borrowed] == i) {
        param.set_data(value);
        ++next_borrowed;
      } else {
        param.copy_(value);
      }
    }
  }
  if (init_head) {
    model.InitParameters(missing_head, head_seed);
    rep.head_initialized = true;
    rep.initialized_keys = missing_head;
    const Task task = model.config().task;
    if (task == Task::kMaskedLM) {
      rep.warnings.push_back("'" + safetensors_path +
                             "' has no MLM head (a BertModel checkpoint): cls.predictions.* were newly initialized; "
                             "fill-mask output is meaningless until the model is trained");
    } else {
      std::string list;
      for (size_t i = 0; i < missing_head.size(); ++i) list += (i ? "', '" : "'") + missing_head[i];
      rep.warnings.push_back(std::string("Some weights of ") + ArchitectureName(task) +
                             " were not initialized from the model checkpoint at '" + safetensors_path +
                             "' and are newly initialized: [" + list +
                             "']. You should probably TRAIN this model on a down-stream task to be able to use it "
                             "for predictions and inference.");
    }
  }
  std::vector<std::string> unexpected;
  for (const auto& t : file.tensors()) {
    if (used.count(t.name)) continue;
    rep.unused_keys.push_back(t.name);
    if (!IsKnownExtra(t.name, model.config().task)) unexpected.push_back(t.name);
  }
  if (!unexpected.empty()) {
    std::string list;
    for (size_t i = 0; i < unexpected.size() && i < 8; ++i) list += (i ? "', '" : "'") + unexpected[i];
    if (unexpected.size() > 8) list += "', ... (" + std::to_string(unexpected.size()) + " in all)";
    else list += "'";
    rep.warnings.push_back("Some weights of the model checkpoint at '" + safetensors_path + "' were not used when "
                           "initializing " + ArchitectureName(model.config().task) + ": [" + list + "]");
  }
}

Bert LoadBert(const std::string& dir, LoadReport* report) {
  if (!IsDirectory(dir)) throw IoError("model directory '" + dir + "' does not exist");
  const std::string weights = dir + "/" + kWeightsFile;
  if (!PathExists(weights)) {
    if (PathExists(dir + "/pytorch_model.bin")) {
      throw Unsupported("'" + dir + "' holds pytorch_model.bin (pickle); only model.safetensors is supported");
    }
    throw IoError("'" + weights + "' does not exist");
  }
  BertConfig config = ReadConfig(dir);
  const SafetensorsFile file = SafetensorsFile::Open(weights);
  CheckWeightsFitConfig(config, file);
  // Random init is overwritten by the checkpoint; a fixed seed keeps a re-initialised head reproducible.
  Bert model(config, /*seed=*/0);
  LoadWeights(*model, file, /*borrow=*/false, report);
  model->eval();
  return model;
}

Bert LoadBertForTask(const std::string& dir, const HeadSpec& head, LoadReport* report) {
  if (!IsDirectory(dir)) throw IoError("model directory '" + dir + "' does not exist");
  const std::string weights = dir + "/" + kWeightsFile;
  if (!PathExists(weights)) {
    if (PathExists(dir + "/pytorch_model.bin")) {
      throw Unsupported("'" + dir + "' holds pytorch_model.bin (pickle); only model.safetensors is supported");
    }
    throw IoError("'" + weights + "' does not exist");
  }
  const BertConfig stored = ReadConfig(dir);
  BertConfig config = stored;
  auto label_list = [](const std::vector<std::string>& l) {
    std::string s = "[";
    for (size_t i = 0; i < l.size() && i < 12; ++i) s += (i ? ", " : "") + l[i];
    return s + (l.size() > 12 ? ", ... (" + std::to_string(l.size()) + ")]" : "]");
  };
  if (stored.task == head.task) {
    if (!head.labels.empty() && IsClassifier(head.task) && head.labels != stored.id2label) {
      throw InvalidArgument("the label map " + label_list(head.labels) + " disagrees with the checkpoint's " +
                            label_list(stored.id2label) + " in '" + dir + "'");
    }
  } else {
    if (IsClassifier(head.task) && head.labels.empty()) {
      throw InvalidArgument("'" + dir + "' is a " + ArchitectureName(stored.task) + " checkpoint: a new " +
                            ArchitectureName(head.task) + " head needs its labels");
    }
    config.task = head.task;
    config.id2label = IsClassifier(head.task) ? head.labels : std::vector<std::string>();
  }
  if (head.classifier_dropout >= 0) config.classifier_dropout = head.classifier_dropout;
  if (head.hidden_dropout_prob >= 0) config.hidden_dropout_prob = head.hidden_dropout_prob;
  if (head.attention_probs_dropout_prob >= 0) config.attention_probs_dropout_prob = head.attention_probs_dropout_prob;
  try {
    Validate(config);
  } catch (const Error& e) {
    throw InvalidArgument(std::string("cannot build the requested head: ") + e.what());
  }
  const SafetensorsFile file = SafetensorsFile::Open(weights);
  const bool new_head = stored.task != head.task;
  CheckWeightsFitConfig(config, file, /*encoder_only=*/new_head);
  Bert model(config, /*seed=*/0);
  // A new head never takes the old head's tensors (an MLM head, or another task's classifier); the
  // pooler is kept where the checkpoint has one (HF BertModel / BertForPreTraining saves).
  const std::vector<std::string> fresh =
      new_head ? std::vector<std::string>{"cls", "classifier"} : std::vector<std::string>{};
  LoadWeights(*model, file, /*borrow=*/false, report, head.seed, fresh);
  model->eval();
  return model;
}

Bert LoadBertFromMemory(std::string_view config_json, std::string_view weights, bool borrow,
                                              LoadReport* report) {
  BertConfig config = ConfigFromJson(std::string(config_json), "config.json (memory)");
  SafetensorsFile file = borrow ? SafetensorsFile::Borrow(weights, "model.safetensors (memory)")
                                : SafetensorsFile::Parse(std::string(weights), "model.safetensors (memory)");
  CheckWeightsFitConfig(config, file);
  Bert model(config, /*seed=*/0);
  LoadWeights(*model, file, borrow, report);
  model->eval();
  return model;
}

void OwnParameters(BertImpl& model) {
  at::NoGradGuard no_grad;
  for (auto& p : model.parameters()) p.set_data(p.detach().clone());
}

void SaveBert(const BertImpl& model, const std::string& dir) {
  if (dir.empty()) throw InvalidArgument("model directory must not be empty");
  std::vector<at::Tensor> keep;  // contiguous float32 copies, alive while writing
  std::vector<TensorToWrite> out;
  for (const auto& item : model.named_parameters()) {
    at::Tensor t = item.value().detach().to(at::kFloat).contiguous();
    keep.push_back(t);
    out.push_back({item.key(), Dtype::kF32, t.sizes().vec(), t.data_ptr(), static_cast<size_t>(t.nbytes())});
  }
  const std::string config_json = ConfigToJson(model.config());

  std::error_code ec;
  const bool exists = fs::exists(dir, ec);
  if (exists && !fs::is_directory(dir, ec)) throw IoError("'" + dir + "' exists and is not a directory");
  bool has_subdirs = false;
  if (exists) {
    for (const auto& e : fs::directory_iterator(dir, ec)) has_subdirs |= e.is_directory();
  }
  if (has_subdirs) {
    // A directory with subdirectories (e.g. trainer checkpoints) cannot be swapped as a whole without
    // moving them: both files are written completely first, then renamed into place (weights first).
    AtomicFileSet files;
    WriteSafetensors(&files, dir + "/" + kWeightsFile, out);
    files.Add(dir + "/" + kConfigFile, config_json);
    files.Commit();
    return;
  }
  const std::string parent = fs::path(dir).parent_path().string();
  if (!parent.empty()) MakeDirs(parent);
  const std::string tmp = MakeStagingSibling(dir);
  try {
    WriteSafetensors(tmp + "/" + kWeightsFile, out);
    WriteFileAtomic(tmp + "/" + kConfigFile, config_json);
    if (exists) {  // keep the other files (tokenizer files) of the existing directory
      for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name == kWeightsFile || name == kConfigFile || !e.is_regular_file() || IsAtomicWriteLeftover(name)) continue;
        fs::create_hard_link(e.path(), fs::path(tmp) / name, ec);
        if (ec) fs::copy_file(e.path(), fs::path(tmp) / name);
      }
    }
    SyncDir(tmp);
    ReplaceDirAtomic(tmp, dir);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw IoError(std::string("cannot save model: ") + e.what());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

void SaveTensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  std::vector<at::Tensor> keep;
  std::vector<TensorToWrite> out;
  for (const auto& [name, tensor] : tensors) {
    at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    keep.push_back(t);
    out.push_back({name, ToDtype(t.scalar_type()), t.sizes().vec(), t.data_ptr(), static_cast<size_t>(t.nbytes())});
  }
  WriteSafetensors(path, out);
}

std::vector<std::pair<std::string, at::Tensor>> LoadTensors(const std::string& path) {
  const SafetensorsFile file = SafetensorsFile::Open(path);
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& info : file.tensors()) {
    at::Tensor t = at::empty(info.shape, ToScalarType(info.dtype, info.name));
    const std::string_view raw = file.Bytes(info);
    if (!raw.empty()) std::memcpy(t.data_ptr(), raw.data(), raw.size());
    out.emplace_back(info.name, std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace bertc::model
