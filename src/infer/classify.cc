#include "infer/classify.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"
#include "model/bert.h"
#include "model/intra_op_threads.h"
#include "tokenizer/tokenizer.h"

namespace bertc::infer {
namespace {

using model::BertImpl;
using model::Task;

struct Context {
  const BertImpl& model;
  const tok::Tokenizer& tok;
  int32_t pad_id;
  size_t max_length;
  int batch_size;
  bool truncation;
};

Context MakeContext(const BertImpl& model, const tok::Tokenizer& tok, const ClassifyOptions& o, Task want) {
  const auto& cfg = model.config();
  if (cfg.task != want) {
    throw InvalidArgument(std::string("this needs a ") + model::ArchitectureName(want) + ", but the model is a " +
                          model::ArchitectureName(cfg.task));
  }
  model::CheckVocabMatches(cfg, static_cast<int64_t>(tok.vocab_size()));
  if (o.batch_size <= 0) throw InvalidArgument("batch_size must be positive");
  if (o.max_length < 0 || o.max_length == 1 || o.max_length == 2) {
    throw InvalidArgument("max_length must be 0 (the model's limit) or at least 3");
  }
  if (o.max_length > cfg.max_position_embeddings) {
    throw InvalidArgument("max_length " + std::to_string(o.max_length) + " exceeds the model's max_position_embeddings " +
                          std::to_string(cfg.max_position_embeddings));
  }
  const size_t max_length = static_cast<size_t>(o.max_length > 0 ? o.max_length : cfg.max_position_embeddings);
  const int32_t pad = tok.pad_id() >= 0 ? tok.pad_id() : static_cast<int32_t>(cfg.pad_token_id);
  return {model, tok, pad, max_length, o.batch_size, o.truncation};
}

// Fits `pieces` (no specials) into max_length - 2 or fails; returns how many are kept.
size_t Fit(const Context& ctx, size_t pieces, size_t index) {
  const size_t budget = ctx.max_length - 2;
  if (pieces <= budget) return pieces;
  if (ctx.truncation) return budget;
  throw InvalidArgument("text " + std::to_string(index) + " has " + std::to_string(pieces + 2) +
                        " tokens, more than max_length " + std::to_string(ctx.max_length) +
                        " (set truncation to cut it; Hugging Face's pipeline fails on such input too)");
}

// Rows of word-piece ids (with [CLS]/[SEP]) -> per row the logits: [L] (sequence) or [T, L] (token).
// Rows run in length-sorted batches padded to their longest row.
std::vector<at::Tensor> RunRows(const Context& ctx, const std::vector<std::vector<int32_t>>& rows) {
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rows[a].size() < rows[b].size(); });
  std::vector<at::Tensor> out(rows.size());
  const size_t chunk = static_cast<size_t>(ctx.batch_size);
  for (size_t start = 0; start < order.size(); start += chunk) {
    const size_t end = std::min(order.size(), start + chunk);
    size_t longest = 0;
    for (size_t k = start; k < end; ++k) longest = std::max(longest, rows[order[k]].size());
    const int64_t b = static_cast<int64_t>(end - start), t = static_cast<int64_t>(longest);
    at::Tensor ids = at::full({b, t}, static_cast<int64_t>(ctx.pad_id), at::kLong);
    at::Tensor mask = at::zeros({b, t}, at::kLong);
    auto ids_a = ids.accessor<int64_t, 2>();
    auto mask_a = mask.accessor<int64_t, 2>();
    bool padded = false;
    for (size_t k = start; k < end; ++k) {
      const auto& r = rows[order[k]];
      const int64_t i = static_cast<int64_t>(k - start);
      for (size_t j = 0; j < r.size(); ++j) {
        ids_a[i][static_cast<int64_t>(j)] = r[j];
        mask_a[i][static_cast<int64_t>(j)] = 1;
      }
      padded |= r.size() != longest;
    }
    const at::Tensor logits = ctx.model.PredictClasses(ids, at::Tensor(), padded ? mask : at::Tensor()).contiguous();
    for (size_t k = start; k < end; ++k) out[order[k]] = logits[static_cast<int64_t>(k - start)];
  }
  return out;
}

// Softmax in double of float32 logits (HF's pipeline does it in float32 numpy: same to ~1e-7).
std::vector<double> Softmax(const float* logits, size_t n) {
  std::vector<double> p(n);
  double mx = -INFINITY, sum = 0;
  for (size_t i = 0; i < n; ++i) mx = std::max(mx, static_cast<double>(logits[i]));
  for (size_t i = 0; i < n; ++i) sum += (p[i] = std::exp(static_cast<double>(logits[i]) - mx));
  for (double& v : p) v /= sum;
  return p;
}

size_t Argmax(const std::vector<double>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

// Number of Unicode code points in UTF-8 `s` (Python's len()).
size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::pair<char, std::string> SplitTag(const std::string& name) {
  if (name.rfind("B-", 0) == 0) return {'B', name.substr(2)};
  if (name.rfind("I-", 0) == 0) return {'I', name.substr(2)};
  return {'I', name};  // not in B-/I- form: a continuation (HF's default)
}

}  // namespace

std::vector<Classification> Classify(const BertImpl& model, const tok::Tokenizer& tokenizer,
                                     const std::vector<std::string_view>& texts, const ClassifyOptions& options) {
  const model::ScopedIntraOpThreads scoped_threads(options.threads);
  const Context ctx = MakeContext(model, tokenizer, options, Task::kSequenceClassification);
  std::vector<std::vector<int32_t>> rows(texts.size());
  std::vector<int32_t> pieces;
  for (size_t i = 0; i < texts.size(); ++i) {
    pieces.clear();
    try {
      tokenizer.EncodeIds(texts[i], &pieces);
    } catch (const Error& e) {
      throw Error(e.code(), "text " + std::to_string(i) + ": " + e.what());
    }
    const size_t keep = Fit(ctx, pieces.size(), i);
    rows[i].reserve(keep + 2);
    rows[i].push_back(tokenizer.cls_id());
    rows[i].insert(rows[i].end(), pieces.begin(), pieces.begin() + static_cast<std::ptrdiff_t>(keep));
    rows[i].push_back(tokenizer.sep_id());
  }
  c10::InferenceMode guard;
  const std::vector<at::Tensor> logits = RunRows(ctx, rows);
  std::vector<Classification> out(texts.size());
  const size_t n = static_cast<size_t>(model.config().num_labels());
  for (size_t i = 0; i < texts.size(); ++i) {
    const float* l = logits[i].data_ptr<float>();
    out[i].logits.assign(l, l + n);
    out[i].scores = Softmax(l, n);
    out[i].label = static_cast<int64_t>(Argmax(out[i].scores));
  }
  return out;
}

std::vector<TagGroup> GroupWords(const std::vector<TaggedWord>& words, const std::vector<std::string>& labels) {
  std::vector<TagGroup> groups;
  size_t begin = 0;
  auto flush = [&](size_t end) {
    if (end == begin) return;
    TagGroup g;
    g.first_word = begin;
    g.num_words = end - begin;
    g.start = words[begin].start;
    g.end = words[end - 1].end;
    g.label = SplitTag(labels[static_cast<size_t>(words[begin].label)]).second;
    double sum = 0;
    for (size_t k = begin; k < end; ++k) sum += words[k].score;
    g.score = sum / static_cast<double>(end - begin);
    if (g.label != "O") groups.push_back(std::move(g));  // HF's ignore_labels=["O"]
    begin = end;
  };
  for (size_t i = 1; i < words.size(); ++i) {
    const auto [bi, tag] = SplitTag(labels[static_cast<size_t>(words[i].label)]);
    const std::string last_tag = SplitTag(labels[static_cast<size_t>(words[i - 1].label)]).second;
    if (!(tag == last_tag && bi != 'B')) flush(i);
  }
  flush(words.size());
  return groups;
}

std::vector<TagResult> Tag(const BertImpl& model, const tok::Tokenizer& tokenizer,
                           const std::vector<std::string_view>& texts, const ClassifyOptions& options) {
  const model::ScopedIntraOpThreads scoped_threads(options.threads);
  const Context ctx = MakeContext(model, tokenizer, options, Task::kTokenClassification);
  std::vector<std::vector<int32_t>> rows(texts.size());
  std::vector<std::vector<tok::Offset>> offsets(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    tok::Encoding enc;
    try {
      enc = tokenizer.EncodeRaw(texts[i], 0, /*split_special_tokens=*/false);
    } catch (const Error& e) {
      throw Error(e.code(), "text " + std::to_string(i) + ": " + e.what());
    }
    const size_t keep = Fit(ctx, enc.ids.size(), i);
    rows[i].push_back(tokenizer.cls_id());
    rows[i].insert(rows[i].end(), enc.ids.begin(), enc.ids.begin() + static_cast<std::ptrdiff_t>(keep));
    rows[i].push_back(tokenizer.sep_id());
    offsets[i].assign(enc.offsets.begin(), enc.offsets.begin() + static_cast<std::ptrdiff_t>(keep));
  }
  c10::InferenceMode guard;
  const std::vector<at::Tensor> logits = RunRows(ctx, rows);
  const auto& labels = model.config().id2label;
  const size_t n = labels.size();
  std::vector<TagResult> out(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const float* l = logits[i].data_ptr<float>();  // [T, L]; token k of the text is row k + 1
    auto& words = out[i].words;
    for (size_t k = 0; k < offsets[i].size(); ++k) {
      const int32_t id = rows[i][k + 1];
      const tok::Offset off = offsets[i][k];
      bool subword = false;
      if (id != tokenizer.unk_id()) {
        const std::string* piece = tokenizer.IdToToken(id);
        subword = piece != nullptr &&
                  CodePoints(*piece) != CodePoints(texts[i].substr(off.start, off.end - off.start));
      }
      if (subword && !words.empty()) {
        words.back().end = off.end;  // a "##" piece extends its word
        continue;
      }
      const std::vector<double> p = Softmax(l + (k + 1) * n, n);
      TaggedWord w;
      w.start = off.start;
      w.end = off.end;
      w.word_index = words.size();
      w.label = static_cast<int64_t>(Argmax(p));
      w.score = p[static_cast<size_t>(w.label)];
      words.push_back(w);
    }
    out[i].groups = GroupWords(words, labels);
  }
  return out;
}

std::vector<TagResult> TagWords(const BertImpl& model, const tok::Tokenizer& tokenizer,
                                const std::vector<std::vector<std::string_view>>& texts,
                                const ClassifyOptions& options) {
  const model::ScopedIntraOpThreads scoped_threads(options.threads);
  const Context ctx = MakeContext(model, tokenizer, options, Task::kTokenClassification);
  struct WordAt {
    size_t word;   // input word index
    size_t token;  // its first piece's position in the row
    size_t start, end;
  };
  std::vector<std::vector<int32_t>> rows(texts.size());
  std::vector<std::vector<WordAt>> firsts(texts.size());
  std::vector<int32_t> pieces;
  for (size_t i = 0; i < texts.size(); ++i) {
    rows[i].push_back(tokenizer.cls_id());
    size_t at = 0;
    const size_t budget = ctx.max_length - 2;
    size_t pieces_total = 0;
    for (size_t w = 0; w < texts[i].size(); ++w) {
      pieces.clear();
      try {
        tokenizer.EncodeIds(texts[i][w], &pieces);
      } catch (const Error& e) {
        throw Error(e.code(), "text " + std::to_string(i) + ", word " + std::to_string(w) + ": " + e.what());
      }
      const size_t start = at;
      at += texts[i][w].size() + 1;  // the words joined by single spaces
      if (pieces.empty()) continue;
      if (pieces_total + pieces.size() > budget) {
        if (!ctx.truncation) {
          size_t all = pieces_total + pieces.size();
          for (size_t v = w + 1; v < texts[i].size(); ++v) {
            std::vector<int32_t> rest;
            tokenizer.EncodeIds(texts[i][v], &rest);
            all += rest.size();
          }
          Fit(ctx, all, i);  // throws with the full count
        }
        if (pieces_total < budget) {
          firsts[i].push_back({w, rows[i].size(), start, start + texts[i][w].size()});
          const size_t keep = budget - pieces_total;
          rows[i].insert(rows[i].end(), pieces.begin(), pieces.begin() + static_cast<std::ptrdiff_t>(keep));
          pieces_total += keep;
        }
        break;
      }
      firsts[i].push_back({w, rows[i].size(), start, start + texts[i][w].size()});
      rows[i].insert(rows[i].end(), pieces.begin(), pieces.end());
      pieces_total += pieces.size();
    }
    rows[i].push_back(tokenizer.sep_id());
  }
  c10::InferenceMode guard;
  const std::vector<at::Tensor> logits = RunRows(ctx, rows);
  const auto& labels = model.config().id2label;
  const size_t n = labels.size();
  std::vector<TagResult> out(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const float* l = logits[i].data_ptr<float>();
    for (const WordAt& f : firsts[i]) {
      const std::vector<double> p = Softmax(l + f.token * n, n);
      TaggedWord w;
      w.start = f.start;
      w.end = f.end;
      w.word_index = f.word;
      w.label = static_cast<int64_t>(Argmax(p));
      w.score = p[static_cast<size_t>(w.label)];
      out[i].words.push_back(w);
    }
    out[i].groups = GroupWords(out[i].words, labels);
  }
  return out;
}

}  // namespace bertc::infer
