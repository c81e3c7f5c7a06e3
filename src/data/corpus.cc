#include "data/corpus.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "data/rng.h"

namespace bertc::data {
namespace {

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; });
}

template <class Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    fn(line, line_no);
    pos = end + 1;
  }
}

}  // namespace

void AppendTextLines(std::string_view text, Corpus& corpus) {
  ForEachLine(text, [&](std::string_view line, size_t) {
    if (!IsBlank(line)) corpus.Add(line);
  });
}

Corpus ReadCorpus(const std::vector<std::string>& files, const CorpusOptions& options) {
  if (files.empty()) throw InvalidArgument("no data files given");
  Corpus corpus;
  for (const std::string& path : files) {
    if (IsDirectory(path)) throw IoError("data path '" + path + "' is a directory, expected a file");
    const std::string text = ReadFile(path);
    if (options.jsonl_field.empty()) {
      AppendTextLines(text, corpus);
      continue;
    }
    ForEachLine(text, [&](std::string_view line, size_t line_no) {
      if (IsBlank(line)) return;
      const std::string where = path + ":" + std::to_string(line_no);
      nlohmann::json obj = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
      if (obj.is_discarded() || !obj.is_object()) throw FormatError(where + ": not a JSON object");
      auto it = obj.find(options.jsonl_field);
      if (it == obj.end()) throw FormatError(where + ": no field '" + options.jsonl_field + "'");
      if (!it->is_string()) throw FormatError(where + ": field '" + options.jsonl_field + "' is not a string");
      const std::string& value = it->get_ref<const std::string&>();
      // A JSONL example may span several lines of text; keep it one example.
      if (!IsBlank(value)) corpus.Add(value);
    });
  }
  return corpus;
}

Split SplitIndices(size_t n, double test_fraction, uint64_t seed) {
  if (!(test_fraction >= 0.0 && test_fraction < 1.0)) {
    throw InvalidArgument("test fraction must be in [0, 1), got " + std::to_string(test_fraction));
  }
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  size_t n_test = static_cast<size_t>(std::llround(static_cast<double>(n) * test_fraction));
  if (test_fraction > 0 && n >= 2) n_test = std::clamp<size_t>(n_test, 1, n - 1);
  CounterRng rng(seed, 0x5017);
  rng.Shuffle(order);
  Split split;
  split.test.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_test));
  split.train.assign(order.begin() + static_cast<std::ptrdiff_t>(n_test), order.end());
  std::sort(split.test.begin(), split.test.end());
  std::sort(split.train.begin(), split.train.end());
  return split;
}

}  // namespace bertc::data
