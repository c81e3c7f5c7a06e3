#include "tokenizer/files.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <utility>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json_read.h"
#include "common/limits.h"
#include "tokenizer/unicode.h"

namespace bertc::tok {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

namespace {

std::string JoinPath(const std::string& dir, const std::string& file) {
  if (dir.empty() || dir.back() == '/') return dir + file;
  return dir + "/" + file;
}

Json ParseJson(std::string_view content, const std::string& name) {
  Json j = Json::parse(content.begin(), content.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw FormatError(name + ": not valid JSON");
  if (!j.is_object()) throw FormatError(name + ": expected a JSON object");
  return j;
}

// A token name in transformers configs is a string or an AddedToken object {"content": ...}.
bool TokenName(const Json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return false;
  if (it->is_string()) {
    *out = it->get<std::string>();
    return true;
  }
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    *out = (*it)["content"].get<std::string>();
    return true;
  }
  return false;
}

template <class T>
T Field(const Json& j, const char* key, T fallback, const std::string& name) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const Json::exception&) {
    throw FormatError(name + ": field '" + key + "' has the wrong type");
  }
}

OrderedJson AddedTokenJson(const AddedToken& t) {
  OrderedJson a;
  a["id"] = t.id;
  a["content"] = t.content;
  a["single_word"] = t.single_word;
  a["lstrip"] = t.lstrip;
  a["rstrip"] = t.rstrip;
  a["normalized"] = t.normalized;
  a["special"] = t.special;
  return a;
}

std::string Dump(const OrderedJson& j) { return j.dump(2, ' ', false) + "\n"; }

bool LooksLikeJson(std::string_view content) {
  for (const char c : content) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    return c == '{';
  }
  return false;
}

// model.vocab ({token: id}) as a list indexed by id. Ids may leave gaps, as HF writes them for a
// vocab.txt that repeats a line (the token keeps its last id): a gap gets the string of the next
// present token, which shadows it, so the gap stays a hole (no token decodes there) and the
// tokenizer saves back to the same ids in both formats.
std::vector<std::string> VocabFromIds(const Json& vocab, const std::string& name) {
  std::vector<std::pair<int32_t, const std::string*>> entries;
  entries.reserve(vocab.size());
  int32_t max_id = -1;
  CheckVocabSize(vocab.size(), name + ":");
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    CheckTokenBytes(it.key().size(), name + ":");
    const int32_t id = JsonInt<int32_t>(it.value(), name + ": vocab id of '" + it.key() + "'");
    if (id < 0) throw FormatError(name + ": vocab id of '" + it.key() + "' is negative");
    entries.emplace_back(id, &it.key());
    max_id = std::max(max_id, id);
  }
  if (entries.empty()) throw FormatError(name + ": model.vocab is empty");
  // Holes cost memory but carry no tokens: a file may not claim more ids than twice its entries.
  const size_t size = static_cast<size_t>(max_id) + 1;
  CheckVocabSize(size, name + ": (with gaps)");
  if (size > 2 * entries.size() + 1024) {
    throw FormatError(name + ": vocab ids go up to " + std::to_string(max_id) + " for " +
                      std::to_string(entries.size()) + " tokens (too many gaps)");
  }
  std::vector<std::string> out(size);
  std::vector<bool> seen(size, false);
  for (const auto& [id, token] : entries) {
    if (seen[static_cast<size_t>(id)]) {
      throw FormatError(name + ": vocab id " + std::to_string(id) + " is given to two tokens");
    }
    seen[static_cast<size_t>(id)] = true;
    out[static_cast<size_t>(id)] = *token;
  }
  const std::string* next = nullptr;  // the next present token after a hole
  for (size_t i = size; i-- > 0;) {
    if (seen[i]) {
      next = &out[i];
    } else {
      out[i] = *next;  // the last id is always present, so `next` is set
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> ParseVocabTxt(std::string_view content, const std::string& name) {
  std::vector<std::string> tokens;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(pos, end - pos);
    ++line_no;
    const size_t bad = FindInvalidUtf8(line);
    if (bad != std::string_view::npos) {
      throw FormatError(name + ": line " + std::to_string(line_no) + " is not valid UTF-8 (byte " +
                        std::to_string(pos + bad) + ")");
    }
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r' ||
                             line.back() == '\v' || line.back() == '\f')) {
      line.remove_suffix(1);
    }
    CheckTokenBytes(line.size(), name + ": line " + std::to_string(line_no) + ":");
    CheckVocabSize(tokens.size() + 1, name + ":");
    tokens.emplace_back(line);
    pos = end + 1;
  }
  if (tokens.empty()) throw FormatError(name + ": the vocabulary file is empty");
  return tokens;
}

void ApplyTokenizerConfigJson(std::string_view content, const std::string& name, TokenizerConfig* config) {
  const Json j = ParseJson(content, name);
  try {
    if (j.contains("do_lower_case") && j["do_lower_case"].is_boolean()) {
      config->normalizer.lowercase = j["do_lower_case"].get<bool>();
    }
    if (j.contains("strip_accents") && j["strip_accents"].is_boolean()) {
      config->normalizer.strip_accents = j["strip_accents"].get<bool>();
    }
    if (j.contains("tokenize_chinese_chars") && j["tokenize_chinese_chars"].is_boolean()) {
      config->normalizer.handle_chinese_chars = j["tokenize_chinese_chars"].get<bool>();
    }
    TokenName(j, "unk_token", &config->model.unk_token);
    TokenName(j, "cls_token", &config->cls_token);
    TokenName(j, "sep_token", &config->sep_token);
    TokenName(j, "pad_token", &config->pad_token);
    TokenName(j, "mask_token", &config->mask_token);
    for (const char* key : {"model_max_length", "max_len"}) {
      if (j.contains(key) && j[key].is_number_unsigned()) {
        const auto v = j[key].get<uint64_t>();
        if (v > 0 && v < (uint64_t{1} << 40)) {  // transformers writes 1e30 for "no limit"
          config->model_max_length = static_cast<size_t>(v);
          break;
        }
      }
    }
  } catch (const Json::exception& e) {
    throw FormatError(name + ": " + e.what());
  }
}

std::shared_ptr<const Tokenizer> ParseTokenizerJson(std::string_view content, const std::string& name,
                                                    size_t model_max_length) {
  const Json j = ParseJson(content, name);
  TokenizerConfig config;
  config.model_max_length = model_max_length;
  const auto model_it = j.find("model");
  if (model_it == j.end() || !model_it->is_object()) throw FormatError(name + ": no 'model' object");
  const Json& model = *model_it;
  const std::string model_type = Field<std::string>(model, "type", "WordPiece", name);
  if (model_type != "WordPiece") throw Unsupported(name + ": model type '" + model_type + "' is not WordPiece");
  config.model.unk_token = Field<std::string>(model, "unk_token", "[UNK]", name);
  config.model.continuing_subword_prefix = Field<std::string>(model, "continuing_subword_prefix", "##", name);
  config.model.max_input_chars_per_word =
      JsonIntField<size_t>(model, "max_input_chars_per_word", 100, name + ": model");
  const auto vocab_it = model.find("vocab");
  if (vocab_it == model.end() || !vocab_it->is_object()) throw FormatError(name + ": model.vocab must be an object");
  std::vector<std::string> vocab = VocabFromIds(*vocab_it, name);

  const auto norm_it = j.find("normalizer");
  if (norm_it == j.end() || norm_it->is_null()) {
    config.normalizer = NormalizerOptions{false, false, false, false};
  } else {
    const std::string type = Field<std::string>(*norm_it, "type", "", name);
    if (type != "BertNormalizer") throw Unsupported(name + ": normalizer '" + type + "' is not supported");
    config.normalizer.clean_text = Field<bool>(*norm_it, "clean_text", true, name);
    config.normalizer.handle_chinese_chars = Field<bool>(*norm_it, "handle_chinese_chars", true, name);
    config.normalizer.lowercase = Field<bool>(*norm_it, "lowercase", true, name);
    if (norm_it->contains("strip_accents") && (*norm_it)["strip_accents"].is_boolean()) {
      config.normalizer.strip_accents = (*norm_it)["strip_accents"].get<bool>();
    }
  }
  const auto pre_it = j.find("pre_tokenizer");
  const std::string pre_type =
      (pre_it == j.end() || pre_it->is_null()) ? "null" : Field<std::string>(*pre_it, "type", "", name);
  if (pre_type != "BertPreTokenizer") throw Unsupported(name + ": pre_tokenizer '" + pre_type + "' is not supported");

  const auto post_it = j.find("post_processor");
  if (post_it == j.end() || post_it->is_null()) {
    config.post_processor = false;
  } else {
    const std::string type = Field<std::string>(*post_it, "type", "", name);
    try {
      if (type == "BertProcessing") {
        config.cls_token = (*post_it).at("cls").at(0).get<std::string>();
        config.sep_token = (*post_it).at("sep").at(0).get<std::string>();
      } else if (type == "TemplateProcessing") {
        const Json& single = (*post_it).at("single");
        const Json& pair = (*post_it).at("pair");
        const bool bert_single = single.size() == 3 && single[0].contains("SpecialToken") &&
                                 single[1].contains("Sequence") && single[2].contains("SpecialToken");
        auto type_id = [&](const Json& piece) { return JsonIntField<int32_t>(piece, "type_id", 0, name + ": pair"); };
        const bool bert_pair = pair.size() == 5 && pair[3].contains("Sequence") && type_id(pair[3]["Sequence"]) == 1 &&
                               pair[4].contains("SpecialToken") && type_id(pair[4]["SpecialToken"]) == 1;
        if (!bert_single || !bert_pair) {
          throw Unsupported(name + ": only the BERT template [CLS] $A [SEP] / $B [SEP] is supported");
        }
        config.cls_token = single[0]["SpecialToken"].at("id").get<std::string>();
        config.sep_token = single[2]["SpecialToken"].at("id").get<std::string>();
      } else {
        throw Unsupported(name + ": post_processor '" + type + "' is not supported");
      }
    } catch (const Json::exception& e) {
      throw FormatError(name + ": malformed post_processor: " + e.what());
    }
  }
  const auto dec_it = j.find("decoder");
  if (dec_it != j.end() && !dec_it->is_null()) {
    const std::string type = Field<std::string>(*dec_it, "type", "", name);
    if (type != "WordPiece") throw Unsupported(name + ": decoder '" + type + "' is not supported");
    config.decoder_cleanup = Field<bool>(*dec_it, "cleanup", true, name);
    const std::string prefix = Field<std::string>(*dec_it, "prefix", "##", name);
    if (prefix != config.model.continuing_subword_prefix) {
      throw Unsupported(name + ": decoder prefix differs from the model's continuing_subword_prefix");
    }
  }
  const auto pad_it = j.find("padding");
  if (pad_it != j.end() && pad_it->is_object()) {
    config.pad_token = Field<std::string>(*pad_it, "pad_token", config.pad_token, name);
  }
  std::vector<AddedToken> added;
  const auto added_it = j.find("added_tokens");
  if (added_it != j.end() && !added_it->is_null()) {
    if (!added_it->is_array()) throw FormatError(name + ": added_tokens must be an array");
    for (const Json& a : *added_it) {
      AddedToken t;
      try {
        t.id = JsonInt<int32_t>(a.at("id"), name + ": added token id");
        t.content = a.at("content").get<std::string>();
      } catch (const Json::exception& e) {
        throw FormatError(name + ": malformed added token: " + e.what());
      }
      t.special = Field<bool>(a, "special", false, name);
      t.normalized = Field<bool>(a, "normalized", !t.special, name);
      t.single_word = Field<bool>(a, "single_word", false, name);
      t.lstrip = Field<bool>(a, "lstrip", false, name);
      t.rstrip = Field<bool>(a, "rstrip", false, name);
      if (t.single_word || t.lstrip || t.rstrip) {
        throw Unsupported(name + ": added token '" + t.content + "' uses single_word/lstrip/rstrip");
      }
      added.push_back(std::move(t));
    }
  }
  // An added token outside the model vocab (HF puts those after it) extends the vocabulary.
  return std::make_shared<const Tokenizer>(std::move(vocab), std::move(config), std::move(added));
}

std::shared_ptr<const Tokenizer> Tokenizer::Load(const std::string& path) {
  if (path.empty()) throw InvalidArgument("the tokenizer path is empty");
  if (!PathExists(path)) throw IoError(path + ": no such file or directory");
  std::string dir;
  std::string file = path;
  if (IsDirectory(path)) {
    dir = path;
    const std::string json = JoinPath(dir, "tokenizer.json");
    const std::string vocab = JoinPath(dir, "vocab.txt");
    if (PathExists(json)) {
      file = json;
    } else if (PathExists(vocab)) {
      file = vocab;
    } else {
      throw IoError(path + ": the directory has neither tokenizer.json nor vocab.txt");
    }
  } else {
    const size_t slash = path.rfind('/');
    dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  }
  TokenizerConfig config;
  const std::string tcfg = JoinPath(dir, "tokenizer_config.json");
  const std::string scfg = JoinPath(dir, "config.json");
  if (PathExists(tcfg)) {
    ApplyTokenizerConfigJson(ReadFile(tcfg), tcfg, &config);
  } else if (PathExists(scfg)) {
    const std::string content = ReadFile(scfg);
    const Json probe = Json::parse(content, nullptr, false);
    if (probe.is_object() && probe.contains("do_lower_case")) ApplyTokenizerConfigJson(content, scfg, &config);
  }
  const std::string content = ReadFile(file);
  if (LooksLikeJson(content)) return ParseTokenizerJson(content, file, config.model_max_length);
  return std::make_shared<const Tokenizer>(ParseVocabTxt(content, file), config);
}

std::shared_ptr<const Tokenizer> Tokenizer::FromMemory(std::string_view content, std::string_view config_json) {
  TokenizerConfig config;
  if (!config_json.empty()) ApplyTokenizerConfigJson(config_json, "tokenizer_config.json (memory)", &config);
  if (LooksLikeJson(content)) return ParseTokenizerJson(content, "tokenizer.json (memory)", config.model_max_length);
  return std::make_shared<const Tokenizer>(ParseVocabTxt(content, "vocab.txt (memory)"), config);
}

std::string Tokenizer::VocabText() const {
  size_t bytes = 0;
  for (const std::string& t : vocab_.tokens()) bytes += t.size() + 1;
  std::string out;
  out.reserve(bytes);
  for (const std::string& t : vocab_.tokens()) {
    out += t;
    out += '\n';
  }
  return out;
}

std::string Tokenizer::ConfigJson() const { return TokenizerConfigJson(*this); }

std::string Tokenizer::ToJson() const {
  OrderedJson j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  OrderedJson added = OrderedJson::array();
  for (const AddedToken& t : added_) added.push_back(AddedTokenJson(t));
  j["added_tokens"] = added;
  const NormalizerOptions& n = config_.normalizer;
  if (!n.clean_text && !n.handle_chinese_chars && !n.lowercase && !n.StripAccents()) {
    j["normalizer"] = nullptr;
  } else {
    OrderedJson norm;
    norm["type"] = "BertNormalizer";
    norm["clean_text"] = n.clean_text;
    norm["handle_chinese_chars"] = n.handle_chinese_chars;
    if (n.strip_accents.has_value()) {
      norm["strip_accents"] = *n.strip_accents;
    } else {
      norm["strip_accents"] = nullptr;
    }
    norm["lowercase"] = n.lowercase;
    j["normalizer"] = norm;
  }
  j["pre_tokenizer"] = OrderedJson{{"type", "BertPreTokenizer"}};
  if (config_.post_processor) {
    OrderedJson post;
    post["type"] = "BertProcessing";
    post["sep"] = OrderedJson::array({config_.sep_token, sep_id()});
    post["cls"] = OrderedJson::array({config_.cls_token, cls_id()});
    j["post_processor"] = post;
  } else {
    j["post_processor"] = nullptr;
  }
  OrderedJson dec;
  dec["type"] = "WordPiece";
  dec["prefix"] = config_.model.continuing_subword_prefix;
  dec["cleanup"] = config_.decoder_cleanup;
  j["decoder"] = dec;
  OrderedJson model;
  model["type"] = "WordPiece";
  model["unk_token"] = config_.model.unk_token;
  model["continuing_subword_prefix"] = config_.model.continuing_subword_prefix;
  model["max_input_chars_per_word"] = config_.model.max_input_chars_per_word;
  OrderedJson vocab = OrderedJson::object();
  for (size_t i = 0; i < vocab_.size(); ++i) {
    // Holes (earlier lines of a repeated token) are left out, as HF writes them; see VocabFromIds.
    if (vocab_.Present(static_cast<int32_t>(i))) vocab[vocab_.Token(static_cast<int32_t>(i))] = i;
  }
  model["vocab"] = std::move(vocab);
  j["model"] = std::move(model);
  return Dump(j);
}

std::string TokenizerConfigJson(const Tokenizer& tok) {
  const TokenizerConfig& c = tok.config();
  OrderedJson j;
  OrderedJson decoder = OrderedJson::object();
  for (const AddedToken& t : tok.added_tokens()) {
    OrderedJson a = AddedTokenJson(t);
    a.erase("id");
    decoder[std::to_string(t.id)] = a;
  }
  j["added_tokens_decoder"] = decoder;
  j["clean_up_tokenization_spaces"] = true;
  j["cls_token"] = c.cls_token;
  j["do_basic_tokenize"] = true;
  j["do_lower_case"] = c.normalizer.lowercase;
  j["mask_token"] = c.mask_token;
  j["model_max_length"] = c.model_max_length;
  j["never_split"] = nullptr;
  j["pad_token"] = c.pad_token;
  j["sep_token"] = c.sep_token;
  if (c.normalizer.strip_accents.has_value()) {
    j["strip_accents"] = *c.normalizer.strip_accents;
  } else {
    j["strip_accents"] = nullptr;
  }
  j["tokenize_chinese_chars"] = c.normalizer.handle_chinese_chars;
  j["tokenizer_class"] = "BertTokenizer";
  j["unk_token"] = c.model.unk_token;
  return Dump(j);
}

std::string SpecialTokensMapJson(const Tokenizer& tok) {
  const TokenizerConfig& c = tok.config();
  OrderedJson j;
  OrderedJson extra = OrderedJson::array();
  for (const AddedToken& t : tok.added_tokens()) {
    if (!t.special) continue;
    if (t.content == c.cls_token || t.content == c.sep_token || t.content == c.pad_token ||
        t.content == c.mask_token || t.content == c.model.unk_token) {
      continue;
    }
    extra.push_back(t.content);
  }
  if (!extra.empty()) j["additional_special_tokens"] = extra;
  j["cls_token"] = c.cls_token;
  j["mask_token"] = c.mask_token;
  j["pad_token"] = c.pad_token;
  j["sep_token"] = c.sep_token;
  j["unk_token"] = c.model.unk_token;
  return Dump(j);
}

std::string SeedConfigJson(const Tokenizer& tok) {
  const TokenizerConfig& c = tok.config();
  OrderedJson j;
  j["do_lower_case"] = c.normalizer.lowercase;
  j["unk_token"] = c.model.unk_token;
  j["sep_token"] = c.sep_token;
  j["pad_token"] = c.pad_token;
  j["cls_token"] = c.cls_token;
  j["mask_token"] = c.mask_token;
  j["model_max_length"] = c.model_max_length;
  j["max_len"] = c.model_max_length;
  return Dump(j);
}

void Tokenizer::SaveVocab(const std::string& path) const { WriteFileAtomic(path, VocabText()); }

void Tokenizer::SaveJson(const std::string& path) const { WriteFileAtomic(path, ToJson()); }

void Tokenizer::Save(const std::string& dir) const {
  if (dir.empty()) throw InvalidArgument("the output directory is empty");
  MakeDirs(dir);
  // Build every file in memory first so that a failure leaves nothing half-updated.
  const std::string json = ToJson();
  const std::string tcfg = TokenizerConfigJson(*this);
  const std::string smap = SpecialTokensMapJson(*this);
  // Every file is written completely before any is renamed into place (a full disk changes nothing);
  // tokenizer.json, which loading reads first, goes last.
  AtomicFileSet files;
  files.Add(JoinPath(dir, "vocab.txt"), VocabText());
  files.Add(JoinPath(dir, "tokenizer_config.json"), tcfg);
  files.Add(JoinPath(dir, "special_tokens_map.json"), smap);
  const std::string cfg = JoinPath(dir, "config.json");
  bool write_cfg = !PathExists(cfg);
  if (!write_cfg) {
    const Json existing = Json::parse(ReadFile(cfg), nullptr, false);
    // Never clobber a model's config.json; refresh one that is ours (or unreadable).
    write_cfg = !existing.is_object() || !(existing.contains("model_type") || existing.contains("architectures"));
  }
  if (write_cfg) files.Add(cfg, SeedConfigJson(*this));
  files.Add(JoinPath(dir, "tokenizer.json"), json);
  files.Commit();
}

}  // namespace bertc::tok
