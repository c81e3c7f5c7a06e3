#include "tokenizer/trainer.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/limits.h"
#include "common/parallel.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/trainer_internal.h"
#include "tokenizer/unicode.h"

namespace bertc::tok {

namespace {

using Counts = absl::flat_hash_map<std::string, uint64_t>;

void CheckProgress(const TrainerOptions& o, const TrainProgress& p) {
  if (o.progress && !o.progress(p)) throw Cancelled();
}

// Counts the words of lines[begin, end) into `out`. `where(i)` names line i for messages.
template <class Where>
void CountLines(const std::vector<std::string_view>& lines, size_t begin, size_t end, const Normalizer& norm,
                Counts* out, Where&& where) {
  WordBuffer word;
  word.track_offsets = false;
  for (size_t i = begin; i < end; ++i) {
    CheckTextBytes(lines[i].size(), "training line");
    const size_t bad = FindInvalidUtf8(lines[i]);
    if (bad != std::string_view::npos) throw Utf8Error(where(i, bad));
    SplitWords(lines[i], 0, norm, word, [&](const WordBuffer& w) {
      const std::string_view v = w.bytes.view();
      auto it = out->find(absl::string_view(v.data(), v.size()));
      if (it != out->end()) {
        ++it->second;
      } else {
        out->emplace(std::string(v), 1);
      }
    });
  }
}

template <class Where>
void CountBlock(const std::vector<std::string_view>& lines, const Normalizer& norm, int threads, Counts* total,
                Where&& where) {
  const size_t parts = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(threads), lines.size()));
  std::vector<Counts> local(parts);
  ParallelForRange(parts, static_cast<int>(parts), 1, [&](size_t pb, size_t pe) {
    for (size_t p = pb; p < pe; ++p) {
      const size_t b = lines.size() * p / parts, e = lines.size() * (p + 1) / parts;
      CountLines(lines, b, e, norm, &local[p], where);
    }
  });
  for (Counts& c : local) {
    if (total->empty()) {
      *total = std::move(c);
      continue;
    }
    for (auto& [w, n] : c) (*total)[w] += n;
  }
}

WordCounts Sorted(Counts&& counts) {
  WordCounts out(std::make_move_iterator(counts.begin()), std::make_move_iterator(counts.end()));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

WordCounts CountWordsInFiles(const std::vector<std::string>& files, const TrainerOptions& options) {
  if (files.empty()) throw InvalidArgument("no training files given");
  const Normalizer norm(options.normalizer);
  const int threads = ResolveThreads(options.threads);
  uint64_t total_bytes = 0;
  for (const std::string& f : files) {
    if (!PathExists(f) || IsDirectory(f)) throw IoError(f + ": no such file");
    std::FILE* fp = std::fopen(f.c_str(), "rb");
    if (fp == nullptr) throw IoError(f + ": cannot open for reading");
    std::fseek(fp, 0, SEEK_END);
    const long size = std::ftell(fp);
    std::fclose(fp);
    if (size > 0) total_bytes += static_cast<uint64_t>(size);
  }
  Counts counts;
  uint64_t done = 0;
  constexpr size_t kBlock = size_t{8} << 20;
  std::string buf;
  std::vector<std::string_view> lines;
  std::vector<size_t> line_no;  // first line number of each line (1-based), for messages
  std::vector<uint64_t> line_off;
  for (const std::string& f : files) {
    std::FILE* fp = std::fopen(f.c_str(), "rb");
    if (fp == nullptr) throw IoError(f + ": cannot open for reading");
    std::string carry;
    uint64_t file_off = 0;  // file offset of carry[0]
    size_t next_line = 1;
    bool eof = false;
    try {
      while (!eof) {
        buf = carry;
        const size_t old = buf.size();
        buf.resize(old + kBlock);
        const size_t got = std::fread(&buf[old], 1, kBlock, fp);
        if (got < kBlock) {
          if (std::ferror(fp)) throw IoError(f + ": read error");
          eof = true;
        }
        buf.resize(old + got);
        size_t cut = eof ? buf.size() : buf.rfind('\n');
        if (cut == std::string::npos) cut = 0;  // one line longer than a block: read more
        else if (!eof) cut += 1;
        lines.clear();
        line_no.clear();
        line_off.clear();
        for (size_t p = 0; p < cut;) {
          size_t e = buf.find('\n', p);
          if (e == std::string::npos || e >= cut) e = cut;
          lines.emplace_back(buf.data() + p, e - p);
          line_no.push_back(next_line++);
          line_off.push_back(file_off + p);
          p = e + 1;
        }
        CountBlock(lines, norm, threads, &counts, [&](size_t i, size_t bad) {
          return f + ":" + std::to_string(line_no[i]) + ": invalid UTF-8 at byte " + std::to_string(line_off[i] + bad) +
                 " of the file";
        });
        carry.assign(buf, cut, std::string::npos);
        file_off += cut;
        done += got;
        CheckProgress(options, {TrainProgress::kCount, done, total_bytes});
      }
    } catch (...) {
      std::fclose(fp);
      throw;
    }
    std::fclose(fp);
  }
  return Sorted(std::move(counts));
}

WordCounts CountWordsInLines(const std::vector<std::string_view>& lines, const TrainerOptions& options) {
  const Normalizer norm(options.normalizer);
  Counts counts;
  constexpr size_t kBlock = 65536;
  for (size_t b = 0; b < lines.size(); b += kBlock) {
    const size_t e = std::min(lines.size(), b + kBlock);
    std::vector<std::string_view> block(lines.begin() + static_cast<std::ptrdiff_t>(b),
                                        lines.begin() + static_cast<std::ptrdiff_t>(e));
    CountBlock(block, norm, ResolveThreads(options.threads), &counts, [&](size_t i, size_t bad) {
      return "line " + std::to_string(b + i) + ": invalid UTF-8 at byte " + std::to_string(bad);
    });
    CheckProgress(options, {TrainProgress::kCount, e, lines.size()});
  }
  return Sorted(std::move(counts));
}

namespace internal {

std::string MergeState::Merged(int32_t a, int32_t b, const std::string& prefix) const {
  const std::string& sb = vocab[static_cast<size_t>(b)];
  if (!prefix.empty() && sb.compare(0, prefix.size(), prefix) == 0) return vocab[static_cast<size_t>(a)] + sb.substr(prefix.size());
  return vocab[static_cast<size_t>(a)] + sb;
}

MergeState InitMergeState(const WordCounts& counts, const TrainerOptions& options) {
  MergeState s;
  std::set<std::string> seen;
  for (const std::string& t : options.special_tokens) {
    if (t.empty()) throw InvalidArgument("a special token is empty");
    ValidateUtf8(t, "special token");
    if (!seen.insert(t).second) throw InvalidArgument("special token '" + t + "' is listed twice");
    s.Intern(t);
  }
  for (const std::string* name : {&options.unk_token, &options.cls_token, &options.sep_token}) {
    if (!seen.count(*name)) throw InvalidArgument("the special tokens must include '" + *name + "'");
  }
  if (counts.empty()) throw InvalidArgument("the corpus contains no words (empty input?)");
  // Alphabet with counts.
  std::map<char32_t, uint64_t> alphabet;
  for (const auto& [word, n] : counts) {
    for (size_t i = 0; i < word.size();) {
      size_t len;
      alphabet[DecodeUtf8(word.data() + i, &len)] += n;
      i += len;
    }
  }
  ValidateUtf8(options.initial_alphabet, "initial_alphabet");
  for (size_t i = 0; i < options.initial_alphabet.size();) {
    size_t len;
    alphabet[DecodeUtf8(options.initial_alphabet.data() + i, &len)] = UINT64_MAX;
    i += len;
  }
  std::vector<std::pair<uint64_t, char32_t>> kept;
  for (const auto& [c, n] : alphabet) kept.push_back({n, c});
  if (options.limit_alphabet > 0 && kept.size() > options.limit_alphabet) {
    std::sort(kept.begin(), kept.end());
    kept.erase(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(kept.size() - options.limit_alphabet));
  }
  std::vector<char32_t> chars;
  for (const auto& kc : kept) chars.push_back(kc.second);
  std::sort(chars.begin(), chars.end());
  absl::flat_hash_map<char32_t, int32_t> initial_id;
  for (const char32_t c : chars) {
    std::string t;
    AppendUtf8(c, &t);
    initial_id[c] = s.Intern(t);
  }
  // "##c" for chars that occur inside words, by code point.
  std::set<char32_t> inner;
  for (const auto& [word, n] : counts) {
    (void)n;
    size_t len;
    for (size_t i = 0; i < word.size(); i += len) {
      const char32_t c = DecodeUtf8(word.data() + i, &len);
      if (i > 0 && initial_id.count(c)) inner.insert(c);
    }
  }
  absl::flat_hash_map<char32_t, int32_t> inner_id;
  for (const char32_t c : inner) {
    std::string t = options.continuing_subword_prefix;
    AppendUtf8(c, &t);
    inner_id[c] = s.Intern(t);
  }
  s.words.reserve(counts.size());
  s.counts.reserve(counts.size());
  for (const auto& [word, n] : counts) {
    std::vector<int32_t> sym;
    size_t len;
    for (size_t i = 0; i < word.size(); i += len) {
      const char32_t c = DecodeUtf8(word.data() + i, &len);
      if (!initial_id.count(c)) continue;  // outside the (limited) alphabet: dropped, as HF does
      sym.push_back(i == 0 ? initial_id[c] : inner_id[c]);
    }
    s.words.push_back(std::move(sym));
    s.counts.push_back(n);
  }
  if (options.vocab_size < s.vocab.size()) {
    throw InvalidArgument("vocab_size " + std::to_string(options.vocab_size) +
                          " is smaller than the special tokens plus the alphabet of this corpus (" +
                          std::to_string(s.vocab.size()) + " tokens: " + std::to_string(options.special_tokens.size()) +
                          " special, " + std::to_string(chars.size()) + " characters, " +
                          std::to_string(inner.size()) + " continuation characters)");
  }
  return s;
}

void MergeInWord(std::vector<int32_t>* word, int32_t a, int32_t b, int32_t t,
                 std::vector<std::pair<uint64_t, int>>* changes) {
  std::vector<int32_t>& w = *word;
  size_t out = 0;
  for (size_t i = 0; i < w.size();) {
    if (i + 1 < w.size() && w[i] == a && w[i + 1] == b) {
      if (out > 0) {
        changes->push_back({PairKey(w[out - 1], a), -1});
        changes->push_back({PairKey(w[out - 1], t), 1});
      }
      if (i + 2 < w.size()) {
        changes->push_back({PairKey(b, w[i + 2]), -1});
        changes->push_back({PairKey(t, w[i + 2]), 1});
      }
      w[out++] = t;
      i += 2;
    } else {
      w[out++] = w[i++];
    }
  }
  w.resize(out);
}

void ReportMerge(const TrainerOptions& options, size_t vocab_now, bool force) {
  if (!options.progress) return;
  if (!force && vocab_now % 256 != 0) return;
  CheckProgress(options, {TrainProgress::kMerge, vocab_now, options.vocab_size});
}

}  // namespace internal

std::vector<std::string> BuildVocab(const WordCounts& counts, const TrainerOptions& options) {
  internal::MergeState state = internal::InitMergeState(counts, options);
  if (options.algorithm == TrainerAlgorithm::kLikelihood) return internal::BuildVocabLikelihood(std::move(state), options);
  return internal::BuildVocabHf(std::move(state), options);
}

namespace {

std::shared_ptr<const Tokenizer> Assemble(std::vector<std::string> vocab, const TrainerOptions& options) {
  TokenizerConfig config;
  config.normalizer = options.normalizer;
  config.model.unk_token = options.unk_token;
  config.model.continuing_subword_prefix = options.continuing_subword_prefix;
  config.cls_token = options.cls_token;
  config.sep_token = options.sep_token;
  config.pad_token = options.pad_token;
  config.mask_token = options.mask_token;
  config.model_max_length = options.model_max_length;
  std::vector<AddedToken> added;
  for (size_t i = 0; i < options.special_tokens.size(); ++i) {
    AddedToken t;
    t.content = options.special_tokens[i];
    t.id = static_cast<int32_t>(i);
    added.push_back(t);
  }
  return std::make_shared<const Tokenizer>(std::move(vocab), std::move(config), std::move(added));
}

}  // namespace

std::shared_ptr<const Tokenizer> TrainFromFiles(const std::vector<std::string>& files, const TrainerOptions& options) {
  CheckVocabSize(options.vocab_size, "the requested");
  return Assemble(BuildVocab(CountWordsInFiles(files, options), options), options);
}

std::shared_ptr<const Tokenizer> TrainFromLines(const std::vector<std::string_view>& lines,
                                                const TrainerOptions& options) {
  CheckVocabSize(options.vocab_size, "the requested");
  return Assemble(BuildVocab(CountWordsInLines(lines, options), options), options);
}

}  // namespace bertc::tok
