#include "data/labeled.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <unordered_map>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/limits.h"
#include "common/parallel.h"
#include "data/mlm_collator.h"

namespace bertc::data {
namespace {

using nlohmann::json;

// One parsed line: what it says, before tokenization.
struct Record {
  std::string where;  // "file:line"
  std::string text;   // sequence
  std::vector<std::string> words;  // token
  int32_t label = kIgnoreIndex;    // sequence
  std::vector<int32_t> tags;       // token
};

// Calls fn(where, object) for every non-blank line of every file.
template <class Fn>
void ForEachJsonLine(const std::vector<std::string>& files, Fn&& fn) {
  for (const std::string& path : files) {
    const std::string content = ReadFile(path);
    size_t pos = 0, line_no = 0;
    while (pos < content.size()) {
      size_t end = content.find('\n', pos);
      if (end == std::string::npos) end = content.size();
      std::string_view line(content.data() + pos, end - pos);
      pos = end + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      const std::string where = path + ":" + std::to_string(line_no);
      CheckTextBytes(line.size(), where + ": line");
      json j;
      try {
        j = json::parse(line);
      } catch (const json::exception& e) {
        const std::string what = e.what();
        if (what.find("UTF-8") != std::string::npos) throw Utf8Error(where + ": invalid UTF-8: " + what);
        throw FormatError(where + ": not valid JSON: " + what);
      }
      if (!j.is_object()) throw FormatError(where + ": expected a JSON object");
      fn(where, j);
    }
  }
}

const json& Field(const json& j, const std::string& name, const std::string& where) {
  auto it = j.find(name);
  if (it == j.end()) throw FormatError(where + ": no field '" + name + "'");
  return *it;
}

std::string LabelText(const json& v, const std::string& what, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  throw FormatError(where + ": " + what + " must be a string or an integer");
}

class LabelMap {
 public:
  explicit LabelMap(const std::vector<std::string>& names) : names_(names) {
    for (size_t i = 0; i < names.size(); ++i) ids_.emplace(names[i], static_cast<int32_t>(i));
  }
  int32_t Id(const json& v, const std::string& what, const std::string& where) const {
    if (v.is_string()) {
      auto it = ids_.find(v.get<std::string>());
      if (it != ids_.end()) return it->second;
      throw InvalidArgument(where + ": unknown " + what + " '" + v.get<std::string>() + "' (the model's labels: " +
                            List() + ")");
    }
    if (v.is_number_integer()) {
      // A name that happens to be a number wins over an id.
      auto it = ids_.find(std::to_string(v.get<int64_t>()));
      if (it != ids_.end()) return it->second;
      const int64_t id = v.get<int64_t>();
      if (id >= 0 && id < static_cast<int64_t>(names_.size())) return static_cast<int32_t>(id);
      throw InvalidArgument(where + ": " + what + " id " + std::to_string(id) + " is outside [0, " +
                            std::to_string(names_.size()) + ") (the model's labels: " + List() + ")");
    }
    throw FormatError(where + ": " + what + " must be a string or an integer");
  }

 private:
  std::string List() const {
    std::string s = "[";
    for (size_t i = 0; i < names_.size() && i < 20; ++i) s += (i ? ", " : "") + names_[i];
    return s + (names_.size() > 20 ? ", ...]" : "]");
  }
  const std::vector<std::string>& names_;
  std::unordered_map<std::string, int32_t> ids_;
};

void AddSequence(ExampleSet& out, std::vector<int32_t>& row, const std::vector<int32_t>& pieces, int32_t label,
                 const LabeledReadOptions& o) {
  const size_t keep = std::min(pieces.size(), static_cast<size_t>(o.max_length - 2));
  row.assign(1, o.ids.cls);
  row.insert(row.end(), pieces.begin(), pieces.begin() + static_cast<std::ptrdiff_t>(keep));
  row.push_back(o.ids.sep);
  out.AddWithLabel(row.data(), row.data() + row.size(), label);
}

}  // namespace

std::vector<std::string> CollectLabels(const std::vector<std::string>& files, const LabeledReadOptions& options) {
  std::set<std::string> labels;
  const bool token = options.task == LabelTask::kToken;
  ForEachJsonLine(files, [&](const std::string& where, const json& j) {
    if (token) {
      const json& tags = Field(j, options.fields.tags, where);
      if (!tags.is_array()) throw FormatError(where + ": field '" + options.fields.tags + "' must be an array");
      for (const json& t : tags) labels.insert(LabelText(t, "a tag", where));
    } else {
      labels.insert(LabelText(Field(j, options.fields.label, where), "the label", where));
    }
  });
  return {labels.begin(), labels.end()};
}

ExampleSet ReadLabeledJsonl(const std::vector<std::string>& files, const EncodeFn& encode,
                            const std::vector<std::string>& label_names, const LabeledReadOptions& o) {
  if (o.max_length < 3) throw InvalidArgument("max_length must be at least 3");
  if (label_names.empty()) throw InvalidArgument("the model has no labels");
  const LabelMap map(label_names);
  const bool token = o.task == LabelTask::kToken;
  std::vector<Record> records;
  ForEachJsonLine(files, [&](const std::string& where, const json& j) {
    Record r;
    r.where = where;
    if (token) {
      const json& words = Field(j, o.fields.words, where);
      const json& tags = Field(j, o.fields.tags, where);
      if (!words.is_array()) throw FormatError(where + ": field '" + o.fields.words + "' must be an array of strings");
      if (!tags.is_array()) throw FormatError(where + ": field '" + o.fields.tags + "' must be an array");
      if (words.size() != tags.size()) {
        throw InvalidArgument(where + ": " + std::to_string(words.size()) + " words but " + std::to_string(tags.size()) +
                              " tags (one tag per word expected)");
      }
      if (words.empty()) return;
      for (size_t i = 0; i < words.size(); ++i) {
        if (!words[i].is_string()) throw FormatError(where + ": word " + std::to_string(i) + " is not a string");
        r.words.push_back(words[i].get<std::string>());
        r.tags.push_back(map.Id(tags[i], "tag", where));
      }
    } else {
      const json& text = Field(j, o.fields.text, where);
      if (!text.is_string()) throw FormatError(where + ": field '" + o.fields.text + "' must be a string");
      r.text = text.get<std::string>();
      r.label = map.Id(Field(j, o.fields.label, where), "label", where);
    }
    records.push_back(std::move(r));
  });
  // Tokenize in parallel; each record's pieces (and, for words, the first piece of each word).
  std::vector<std::vector<int32_t>> pieces(records.size());
  std::vector<std::vector<int32_t>> piece_labels(token ? records.size() : 0);
  ParallelForRange(records.size(), ResolveThreads(o.threads), 64, [&](size_t begin, size_t end) {
    std::vector<int32_t> word_pieces;
    for (size_t i = begin; i < end; ++i) {
      const Record& r = records[i];
      try {
        if (!token) {
          encode(r.text, pieces[i]);
          continue;
        }
        const size_t budget = static_cast<size_t>(o.max_length - 2);
        for (size_t w = 0; w < r.words.size() && pieces[i].size() < budget; ++w) {
          word_pieces.clear();
          encode(r.words[w], word_pieces);
          for (size_t p = 0; p < word_pieces.size() && pieces[i].size() < budget; ++p) {
            pieces[i].push_back(word_pieces[p]);
            piece_labels[i].push_back(p == 0 ? r.tags[w] : kIgnoreIndex);
          }
        }
      } catch (const Error& e) {
        throw Error(e.code(), r.where + ": " + e.what());
      }
    }
  });
  ExampleSet out;
  std::vector<int32_t> row, labels;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!token) {
      AddSequence(out, row, pieces[i], records[i].label, o);
      continue;
    }
    if (pieces[i].empty()) continue;  // nothing to tag (words that encode to no piece)
    row.assign(1, o.ids.cls);
    row.insert(row.end(), pieces[i].begin(), pieces[i].end());
    row.push_back(o.ids.sep);
    labels.assign(1, kIgnoreIndex);
    labels.insert(labels.end(), piece_labels[i].begin(), piece_labels[i].end());
    labels.push_back(kIgnoreIndex);
    out.AddWithTokenLabels(row.data(), row.data() + row.size(), labels.data());
  }
  return out;
}

ExampleSet LabeledFromMemory(const int32_t* ids, const size_t* offsets, size_t n, const int32_t* labels,
                             int num_labels, const LabeledReadOptions& o) {
  if (o.max_length < 3) throw InvalidArgument("max_length must be at least 3");
  if (n > 0 && (ids == nullptr && offsets[n] > 0)) throw InvalidArgument("token ids are NULL");
  if (labels == nullptr) throw InvalidArgument("fine-tuning data in memory needs labels");
  const bool token = o.task == LabelTask::kToken;
  ExampleSet out;
  std::vector<int32_t> row, row_labels, pieces;
  const size_t budget = static_cast<size_t>(o.max_length - 2);
  for (size_t i = 0; i < n; ++i) {
    if (offsets[i + 1] < offsets[i]) throw InvalidArgument("offsets must not decrease (sequence " + std::to_string(i) + ")");
    const size_t len = offsets[i + 1] - offsets[i];
    const size_t keep = std::min(len, budget);
    const int32_t* begin = ids + offsets[i];
    if (!token) {
      const int32_t label = labels[i];
      if (label < 0 || label >= num_labels) {
        throw InvalidArgument("label " + std::to_string(label) + " of sequence " + std::to_string(i) +
                              " is outside [0, " + std::to_string(num_labels) + ")");
      }
      pieces.assign(begin, begin + keep);
      AddSequence(out, row, pieces, label, o);
      continue;
    }
    row.assign(1, o.ids.cls);
    row_labels.assign(1, kIgnoreIndex);
    for (size_t k = 0; k < keep; ++k) {
      const int32_t label = labels[offsets[i] + k];
      if (label != kIgnoreIndex && (label < 0 || label >= num_labels)) {
        throw InvalidArgument("label " + std::to_string(label) + " at token " + std::to_string(k) + " of sequence " +
                              std::to_string(i) + " is outside [0, " + std::to_string(num_labels) + ") and not -100");
      }
      row.push_back(begin[k]);
      row_labels.push_back(label);
    }
    row.push_back(o.ids.sep);
    row_labels.push_back(kIgnoreIndex);
    out.AddWithTokenLabels(row.data(), row.data() + row.size(), row_labels.data());
  }
  return out;
}

LabeledBatch CollateLabeled(const ExampleSet& examples, const std::vector<uint32_t>& batch, int width,
                            int32_t pad_id) {
  LabeledBatch b;
  b.rows = static_cast<int64_t>(batch.size());
  b.cols = width;
  const size_t n = static_cast<size_t>(b.rows * b.cols);
  b.input_ids.assign(n, pad_id);
  b.token_type_ids.assign(n, 0);
  b.attention_mask.assign(n, 0);
  const bool per_token = examples.labels() == ExampleSet::Labels::kPerToken;
  if (examples.labels() == ExampleSet::Labels::kNone) throw InvalidArgument("the examples carry no labels");
  b.labels.assign(per_token ? n : batch.size(), kIgnoreIndex);
  for (size_t r = 0; r < batch.size(); ++r) {
    const TokenSpan s = examples[batch[r]];
    const size_t len = std::min(s.size, static_cast<size_t>(width));
    int32_t* row = b.input_ids.data() + r * static_cast<size_t>(width);
    std::copy(s.data, s.data + len, row);
    std::fill(b.attention_mask.begin() + static_cast<std::ptrdiff_t>(r * width),
              b.attention_mask.begin() + static_cast<std::ptrdiff_t>(r * width + len), 1);
    b.real_tokens += static_cast<int64_t>(len);
    if (per_token) {
      const int32_t* l = examples.token_labels(batch[r]);
      for (size_t k = 0; k < len; ++k) {
        b.labels[r * static_cast<size_t>(width) + k] = l[k];
        b.labeled += l[k] != kIgnoreIndex;
      }
    } else {
      b.labels[r] = examples.example_label(batch[r]);
      ++b.labeled;
    }
  }
  return b;
}

int64_t ConfusionMatrix::total() const {
  int64_t t = 0;
  for (int64_t c : counts_) t += c;
  return t;
}

double ConfusionMatrix::Accuracy() const {
  const int64_t t = total();
  if (t == 0) return 0.0;
  int64_t right = 0;
  for (size_t i = 0; i < n_; ++i) right += count(i, i);
  return static_cast<double>(right) / static_cast<double>(t);
}

std::vector<double> ConfusionMatrix::PerLabelF1() const {
  std::vector<double> f1(n_, 0.0);
  for (size_t l = 0; l < n_; ++l) {
    int64_t gold = 0, predicted = 0;
    for (size_t k = 0; k < n_; ++k) {
      gold += count(l, k);
      predicted += count(k, l);
    }
    const int64_t tp = count(l, l);
    if (gold + predicted > 0) f1[l] = 2.0 * static_cast<double>(tp) / static_cast<double>(gold + predicted);
  }
  return f1;
}

double ConfusionMatrix::MacroF1() const {
  const std::vector<double> f1 = PerLabelF1();
  double sum = 0;
  size_t present = 0;
  for (size_t l = 0; l < n_; ++l) {
    int64_t seen = 0;
    for (size_t k = 0; k < n_; ++k) seen += count(l, k) + count(k, l);
    if (seen == 0) continue;
    sum += f1[l];
    ++present;
  }
  return present == 0 ? 0.0 : sum / static_cast<double>(present);
}

}  // namespace bertc::data
