// Reading a text corpus: one example per line (plain text) or one JSON object per line with a chosen
// string field (JSONL). Blank lines are skipped. A seeded split divides the examples into train/test.
#ifndef BERTC_DATA_CORPUS_H_
#define BERTC_DATA_CORPUS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertc::data {

struct CorpusOptions {
  // Empty: every file is plain text. Otherwise every file is JSONL and this field (a string) is the
  // example text; a line that is not a JSON object or lacks the field is a format error.
  std::string jsonl_field;
};

// Examples stored back to back in one buffer (no per-line allocation).
class Corpus {
 public:
  size_t size() const { return offsets_.size() - 1; }
  bool empty() const { return size() == 0; }
  std::string_view operator[](size_t i) const {
    return std::string_view(text_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  void Add(std::string_view line) {
    text_.append(line);
    offsets_.push_back(text_.size());
  }
  size_t bytes() const { return text_.size(); }

 private:
  std::string text_;
  std::vector<size_t> offsets_{0};
};

// Reads `files` in order. Throws Error(kIo) naming a missing/unreadable file, Error(kFormat) for a
// bad JSONL line (with file:line). Lines are stripped of a trailing '\r'; blank lines are skipped.
Corpus ReadCorpus(const std::vector<std::string>& files, const CorpusOptions& options = {});

// Adds the examples of one in-memory buffer (same rules as a plain-text file).
void AppendTextLines(std::string_view text, Corpus& corpus);

struct Split {
  std::vector<uint32_t> train;  // example indices, ascending
  std::vector<uint32_t> test;   // example indices, ascending
};

// Seeded random split: round(n * test_fraction) examples go to test (at least 1 when the fraction is
// > 0 and n >= 2), the rest to train. test_fraction must be in [0, 1).
Split SplitIndices(size_t n, double test_fraction, uint64_t seed);

}  // namespace bertc::data

#endif  // BERTC_DATA_CORPUS_H_
