#include "infer/fill_mask.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>


#include "common/error.h"
#include "model/bert.h"
#include "model/intra_op_threads.h"
#include "tokenizer/tokenizer.h"

namespace bertc::infer {
namespace {

using model::BertImpl;

using model::ScopedIntraOpThreads;

struct Context {
  const BertImpl& model;
  const tok::Tokenizer& tok;
  int32_t mask_id;
  int32_t pad_id;
  int64_t vocab;
  int64_t max_len;
};

Context MakeContext(const BertImpl& model, const tok::Tokenizer& tok) {
  const auto& cfg = model.config();
  model::CheckVocabMatches(cfg, static_cast<int64_t>(tok.vocab_size()));
  const int32_t mask_id = tok.mask_id();
  if (mask_id < 0) throw InvalidArgument("the tokenizer has no mask token ('" + tok.config().mask_token + "')");
  const int32_t pad = tok.pad_id() >= 0 ? tok.pad_id() : static_cast<int32_t>(cfg.pad_token_id);
  return {model, tok, mask_id, pad, cfg.vocab_size, cfg.max_position_embeddings};
}

// Tokenizes like the pipeline (special tokens added, no truncation) and checks the length.
tok::Encoding EncodeChecked(const Context& ctx, std::string_view text) {
  tok::EncodeOptions opt;
  tok::Encoding enc = ctx.tok.Encode(text, nullptr, opt);
  if (static_cast<int64_t>(enc.ids.size()) > ctx.max_len) {
    throw InvalidArgument("the input has " + std::to_string(enc.ids.size()) +
                          " tokens, more than the model's max_position_embeddings " + std::to_string(ctx.max_len) +
                          " (it is not truncated; Hugging Face's pipeline fails on such input too)");
  }
  return enc;
}

// One row of a batch and the positions whose logits are wanted.
struct Row {
  std::vector<int32_t> ids;
  std::vector<int64_t> positions;  // ascending
};

// Runs rows (any lengths) as one padded batch; returns logits [sum(positions), V] in row order.
at::Tensor BatchLogits(const Context& ctx, const std::vector<const Row*>& rows) {
  size_t longest = 0, wanted = 0;
  for (const Row* r : rows) {
    longest = std::max(longest, r->ids.size());
    wanted += r->positions.size();
  }
  const int64_t b = static_cast<int64_t>(rows.size()), t = static_cast<int64_t>(longest);
  at::Tensor ids = at::full({b, t}, static_cast<int64_t>(ctx.pad_id), at::kLong);
  at::Tensor mask = at::zeros({b, t}, at::kLong);
  at::Tensor sel = at::zeros({b, t}, at::kBool);
  auto ids_a = ids.accessor<int64_t, 2>();
  auto mask_a = mask.accessor<int64_t, 2>();
  auto sel_a = sel.accessor<bool, 2>();
  for (int64_t i = 0; i < b; ++i) {
    const Row& r = *rows[static_cast<size_t>(i)];
    for (size_t j = 0; j < r.ids.size(); ++j) {
      ids_a[i][static_cast<int64_t>(j)] = r.ids[j];
      mask_a[i][static_cast<int64_t>(j)] = 1;
    }
    for (int64_t p : r.positions) sel_a[i][p] = true;
  }
  // Rows of equal length need no attention mask (all ones: HF adds zeros); token types are all 0.
  const bool padded = std::any_of(rows.begin(), rows.end(), [&](const Row* r) { return r->ids.size() != longest; });
  at::Tensor out = ctx.model.Predict(ids, at::Tensor(), padded ? mask : at::Tensor(), sel);
  TORCH_INTERNAL_ASSERT(out.size(0) == static_cast<int64_t>(wanted));
  return out;
}

// Runs many rows in length-sorted chunks; returns per row its [positions, V] logits.
std::vector<at::Tensor> RowLogits(const Context& ctx, const std::vector<Row>& rows, size_t chunk_rows) {
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rows[a].ids.size() < rows[b].ids.size(); });
  std::vector<at::Tensor> out(rows.size());
  for (size_t start = 0; start < order.size(); start += chunk_rows) {
    const size_t end = std::min(order.size(), start + chunk_rows);
    std::vector<const Row*> chunk;
    for (size_t k = start; k < end; ++k) chunk.push_back(&rows[order[k]]);
    at::Tensor logits = BatchLogits(ctx, chunk);
    int64_t offset = 0;
    for (size_t k = start; k < end; ++k) {
      const int64_t n = static_cast<int64_t>(rows[order[k]].positions.size());
      out[order[k]] = logits.slice(0, offset, offset + n);
      offset += n;
    }
  }
  return out;
}

std::string Decode(const Context& ctx, const std::vector<int32_t>& ids, bool skip_special) {
  tok::DecodeOptions opt;
  opt.skip_special_tokens = skip_special;
  opt.cleanup = true;
  return ctx.tok.Decode(ids.data(), ids.size(), opt);
}

// The pipeline's "sequence": padding ids dropped, special tokens skipped only for a single mask.
std::string FilledSequence(const Context& ctx, std::vector<int32_t> ids, bool single_mask) {
  ids.erase(std::remove(ids.begin(), ids.end(), ctx.pad_id), ids.end());
  return Decode(ctx, ids, single_mask);
}

struct Target {
  std::vector<int32_t> pieces;  // one piece, or several when expanded
};

// HF FillMaskPipeline.get_target_ids (+ the multi-piece extension).
std::vector<Target> ResolveTargets(const Context& ctx, const FillMaskOptions& opt) {
  std::vector<Target> out;
  std::set<std::vector<int32_t>> seen;
  for (const std::string& word : opt.targets) {
    std::vector<int32_t> pieces;
    const int32_t id = ctx.tok.TokenToId(word);
    if (id >= 0) {
      pieces.push_back(id);
    } else {
      ctx.tok.EncodeIds(word, &pieces);
      if (pieces.empty()) continue;  // HF: "does not exist in the model vocabulary ... ignoring it"
      if (!opt.expand_multi_piece_targets) pieces.resize(1);  // HF: first piece only
    }
    if (seen.insert(pieces).second) out.push_back({std::move(pieces)});
  }
  if (out.empty()) throw InvalidArgument("at least one usable target must be given (all targets tokenize to nothing)");
  return out;
}

void CheckOptions(const Context& ctx, const FillMaskOptions& opt) {
  if (opt.top_k <= 0 || opt.top_k > ctx.vocab) {
    throw InvalidArgument("top_k must be in [1, " + std::to_string(ctx.vocab) + "] (the vocabulary size), got " +
                          std::to_string(opt.top_k));
  }
}

struct Query {
  tok::Encoding enc;
  std::vector<int64_t> masks;
};

Query PrepareQuery(const Context& ctx, std::string_view text) {
  Query q;
  q.enc = EncodeChecked(ctx, text);
  for (size_t i = 0; i < q.enc.ids.size(); ++i) {
    if (q.enc.ids[i] == ctx.mask_id) q.masks.push_back(static_cast<int64_t>(i));
  }
  if (q.masks.empty()) {
    throw InvalidArgument("no mask token (" + ctx.tok.config().mask_token + ") found in the input");
  }
  return q;
}

FillMaskPrediction MakePrediction(const Context& ctx, const Query& q, size_t mask_index, double score,
                                  const std::vector<int32_t>& pieces) {
  FillMaskPrediction p;
  p.score = score;
  p.token_id = pieces.front();
  p.token_ids = pieces;
  p.token = Decode(ctx, pieces, false);
  std::vector<int32_t> ids = q.enc.ids;
  const auto pos = static_cast<size_t>(q.masks[mask_index]);
  ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(pos));
  ids.insert(ids.begin() + static_cast<std::ptrdiff_t>(pos), pieces.begin(), pieces.end());
  p.sequence = FilledSequence(ctx, std::move(ids), q.masks.size() == 1);
  return p;
}

// Joint probabilities of multi-piece targets at one mask: expand it into k masks and predict the
// pieces left to right (piece j conditioned on pieces < j), batched over targets per step.
std::vector<double> ScoreMultiPiece(const Context& ctx, const Query& q, size_t mask_index,
                                    const std::vector<const Target*>& targets) {
  std::vector<double> joint(targets.size(), 1.0);
  std::vector<Row> rows(targets.size());
  const auto pos = static_cast<size_t>(q.masks[mask_index]);
  size_t max_k = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    const size_t k = targets[i]->pieces.size();
    max_k = std::max(max_k, k);
    rows[i].ids = q.enc.ids;
    rows[i].ids.insert(rows[i].ids.begin() + static_cast<std::ptrdiff_t>(pos), k - 1, ctx.mask_id);
    if (static_cast<int64_t>(rows[i].ids.size()) > ctx.max_len) {
      throw InvalidArgument("expanding a target into " + std::to_string(k) +
                            " pieces makes the input longer than max_position_embeddings");
    }
  }
  for (size_t step = 0; step < max_k; ++step) {
    std::vector<Row> active;
    std::vector<size_t> which;
    for (size_t i = 0; i < targets.size(); ++i) {
      if (step >= targets[i]->pieces.size()) continue;
      Row r = rows[i];
      for (size_t s = 0; s < step; ++s) r.ids[pos + s] = targets[i]->pieces[s];
      r.positions = {static_cast<int64_t>(pos + step)};
      active.push_back(std::move(r));
      which.push_back(i);
    }
    std::vector<at::Tensor> logits = RowLogits(ctx, active, 32);
    for (size_t a = 0; a < active.size(); ++a) {
      at::Tensor probs = at::softmax(logits[a][0], -1);
      joint[which[a]] *= probs[targets[which[a]]->pieces[step]].item<float>();
    }
  }
  return joint;
}

FillMaskResult Predict(const Context& ctx, const Query& q, const at::Tensor& mask_logits, const FillMaskOptions& opt,
                       const std::vector<Target>* targets) {
  FillMaskResult result;
  // Softmax probabilities only where needed: p = exp(logit - logsumexp(logits)), the top k taken on
  // the logits (same order), instead of normalising the whole vocabulary row.
  const at::Tensor logits = mask_logits.contiguous();  // [masks, V]
  const at::Tensor lse = at::logsumexp(logits, -1);
  const auto lse_a = lse.accessor<float, 1>();
  for (size_t m = 0; m < q.masks.size(); ++m) {
    std::vector<FillMaskPrediction> preds;
    const at::Tensor row = logits[static_cast<int64_t>(m)];
    const float* row_data = row.data_ptr<float>();
    const float row_lse = lse_a[static_cast<int64_t>(m)];
    auto prob = [&](int64_t id) { return static_cast<double>(std::exp(row_data[id] - row_lse)); };
    if (targets == nullptr) {
      auto [values, indices] = at::topk(row, opt.top_k);
      const auto ind = indices.accessor<int64_t, 1>();
      for (int64_t i = 0; i < ind.size(0); ++i) {
        preds.push_back(MakePrediction(ctx, q, m, prob(ind[i]), {static_cast<int32_t>(ind[i])}));
      }
    } else {
      std::vector<std::pair<double, const Target*>> scored;
      std::vector<const Target*> multi;
      for (const Target& t : *targets) {
        if (t.pieces.size() == 1) {
          scored.emplace_back(prob(t.pieces[0]), &t);
        } else {
          multi.push_back(&t);
        }
      }
      if (!multi.empty()) {
        std::vector<double> joint = ScoreMultiPiece(ctx, q, m, multi);
        for (size_t i = 0; i < multi.size(); ++i) scored.emplace_back(joint[i], multi[i]);
      }
      std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      const size_t k = std::min(scored.size(), static_cast<size_t>(opt.top_k));  // HF caps top_k
      for (size_t i = 0; i < k; ++i) preds.push_back(MakePrediction(ctx, q, m, scored[i].first, scored[i].second->pieces));
    }
    result.masks.push_back(std::move(preds));
  }
  return result;
}

}  // namespace

std::vector<FillMaskResult> FillMaskBatch(const BertImpl& model, const tok::Tokenizer& tokenizer,
                                          const std::vector<std::string_view>& texts, const FillMaskOptions& options) {
  ScopedIntraOpThreads threads(options.threads);
  c10::InferenceMode inference;
  const Context ctx = MakeContext(model, tokenizer);
  CheckOptions(ctx, options);
  std::vector<Target> targets;
  if (!options.targets.empty()) targets = ResolveTargets(ctx, options);
  std::vector<Query> queries;
  queries.reserve(texts.size());
  std::vector<Row> rows;
  rows.reserve(texts.size());
  for (std::string_view text : texts) {
    queries.push_back(PrepareQuery(ctx, text));
    rows.push_back({queries.back().enc.ids, queries.back().masks});
  }
  std::vector<at::Tensor> logits = RowLogits(ctx, rows, 32);
  std::vector<FillMaskResult> out;
  out.reserve(texts.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    out.push_back(Predict(ctx, queries[i], logits[i], options, options.targets.empty() ? nullptr : &targets));
  }
  return out;
}

FillMaskResult FillMask(const BertImpl& model, const tok::Tokenizer& tokenizer, std::string_view text,
                        const FillMaskOptions& options) {
  return std::move(FillMaskBatch(model, tokenizer, {text}, options).front());
}

std::vector<TextScore> ScoreTexts(const BertImpl& model, const tok::Tokenizer& tokenizer,
                                  const std::vector<std::string_view>& texts, int threads, int batch_rows) {
  ScopedIntraOpThreads scoped(threads);
  c10::InferenceMode inference;
  const Context ctx = MakeContext(model, tokenizer);
  if (batch_rows <= 0) batch_rows = 64;
  std::vector<TextScore> out(texts.size());
  // One row per (text, token): the token replaced by [MASK].
  std::vector<Row> rows;
  std::vector<std::pair<size_t, int32_t>> owner;  // (text index, original id)
  for (size_t t = 0; t < texts.size(); ++t) {
    const tok::Encoding enc = EncodeChecked(ctx, texts[t]);
    for (size_t i = 0; i < enc.ids.size(); ++i) {
      if (enc.special_tokens_mask[i] != 0) continue;  // [CLS]/[SEP] added by the post-processor
      Row r;
      r.ids = enc.ids;
      r.ids[i] = ctx.mask_id;
      r.positions = {static_cast<int64_t>(i)};
      rows.push_back(std::move(r));
      owner.emplace_back(t, enc.ids[i]);
    }
  }
  // Rows of one text have equal length, so chunks of consecutive rows need no padding.
  for (size_t start = 0; start < rows.size(); start += static_cast<size_t>(batch_rows)) {
    const size_t end = std::min(rows.size(), start + static_cast<size_t>(batch_rows));
    std::vector<const Row*> chunk;
    for (size_t k = start; k < end; ++k) chunk.push_back(&rows[k]);
    at::Tensor logp = at::log_softmax(BatchLogits(ctx, chunk), -1);
    std::vector<int64_t> ids;
    for (size_t k = start; k < end; ++k) ids.push_back(owner[k].second);
    at::Tensor picked = logp.gather(1, at::tensor(ids, at::kLong).unsqueeze(1)).squeeze(1).to(at::kDouble);
    auto a = picked.accessor<double, 1>();
    for (size_t k = start; k < end; ++k) {
      out[owner[k].first].log_likelihood += a[static_cast<int64_t>(k - start)];
      out[owner[k].first].num_tokens += 1;
    }
  }
  return out;
}

}  // namespace bertc::infer
