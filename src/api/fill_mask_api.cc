// bert_fill_mask*, bert_score_text: fill-mask queries and pseudo-log-likelihood on a bert_model.
#include <cstring>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "api/guard.h"
#include "api/handles.h"
#include "bertc.h"
#include "common/error.h"
#include "infer/fill_mask.h"

struct bert_fill_mask_result {
  std::vector<bertc::infer::FillMaskResult> queries;
};

namespace {

bert_fill_mask_params FillMaskDefaults() {
  bert_fill_mask_params p;
  std::memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.top_k = 5;
  return p;
}

bertc::infer::FillMaskOptions ToOptions(const bert_fill_mask_params* user) {
  const bert_fill_mask_params p = bertc::api::CopyParams(user, FillMaskDefaults(), "params");
  bertc::infer::FillMaskOptions o;
  // Out-of-range values are reported by the core with the vocabulary size; clamp only what int cannot hold.
  o.top_k = p.top_k > static_cast<size_t>(std::numeric_limits<int>::max()) ? std::numeric_limits<int>::max()
                                                                          : static_cast<int>(p.top_k);
  o.threads = bertc::api::CheckThreads(p.threads, "params.threads");
  o.expand_multi_piece_targets = p.expand_multi_piece_targets != 0;
  if (p.targets != nullptr && p.num_targets == 0) {
    throw bertc::InvalidArgument("params.targets is set but params.num_targets is 0 (NULL targets = whole vocabulary)");
  }
  if (p.num_targets > 0) {
    bertc::api::RequireNonNull(p.targets, "params.targets");
    for (size_t i = 0; i < p.num_targets; ++i) {
      const size_t len = p.target_lengths != nullptr ? p.target_lengths[i] : 0;
      if (p.targets[i] == nullptr && (p.target_lengths == nullptr || len > 0)) {
        throw bertc::InvalidArgument("params.targets[" + std::to_string(i) + "] is NULL");
      }
      if (p.target_lengths == nullptr) {
        o.targets.emplace_back(p.targets[i]);
      } else {
        o.targets.emplace_back(p.targets[i] == nullptr ? "" : p.targets[i], len);
      }
    }
  }
  return o;
}

void RequireModelAndTokenizer(const bert_model* model, const bert_tokenizer* tokenizer) {
  bertc::api::RequireNonNull(model, "model");
  bertc::api::RequireNonNull(tokenizer, "tokenizer");
}

std::vector<std::string_view> Texts(const char* const* texts, const size_t* lengths, size_t n) {
  if (n > 0) bertc::api::RequireNonNull(texts, "texts");
  std::vector<std::string_view> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t len = lengths != nullptr ? lengths[i] : 0;
    if (texts[i] == nullptr && (lengths == nullptr || len > 0)) {
      throw bertc::InvalidArgument("texts[" + std::to_string(i) + "] is NULL");
    }
    if (lengths == nullptr) {
      out.emplace_back(texts[i]);
    } else {
      out.emplace_back(texts[i] == nullptr ? "" : texts[i], len);
    }
  }
  return out;
}

// Runs the batch; on failure names the query when there are several.
std::vector<bertc::infer::FillMaskResult> RunBatch(const bert_model* model, const bert_tokenizer* tokenizer,
                                                   const std::vector<std::string_view>& texts,
                                                   const bertc::infer::FillMaskOptions& options) {
  const bertc::api::ModelReadLock lock(*model);
  try {
    return bertc::infer::FillMaskBatch(*model->impl, *tokenizer->impl, texts, options);
  } catch (const bertc::Error& e) {
    if (texts.size() <= 1) throw;
    // Find which query is at fault for the message (cheap: tokenization only fails fast).
    for (size_t i = 0; i < texts.size(); ++i) {
      try {
        bertc::infer::FillMaskBatch(*model->impl, *tokenizer->impl, {texts[i]}, options);
      } catch (const bertc::Error& q) {
        throw bertc::Error(q.code(), "query " + std::to_string(i) + ": " + q.what());
      }
    }
    throw;
  }
}

}  // namespace

extern "C" {

BERT_API bert_status bert_fill_mask_params_init(bert_fill_mask_params* params, size_t struct_size) {
  return bertc::api::InitStruct(__func__, params, struct_size, FillMaskDefaults());
}

BERT_API bert_status bert_fill_mask(const bert_model* model, const bert_tokenizer* tokenizer, const char* text,
                                    size_t text_len, const bert_fill_mask_params* params,
                                    bert_fill_mask_result** out_result) {
  return bertc::api::Guard(__func__, [&] {
    RequireModelAndTokenizer(model, tokenizer);
    if (text_len > 0) bertc::api::RequireNonNull(text, "text");
    bertc::api::RequireNonNull(out_result, "out_result");
    const bertc::infer::FillMaskOptions options = ToOptions(params);
    auto result = std::make_unique<bert_fill_mask_result>();
    result->queries = RunBatch(model, tokenizer, {std::string_view(text == nullptr ? "" : text, text_len)}, options);
    *out_result = result.release();
  });
}

BERT_API bert_status bert_fill_mask_batch(const bert_model* model, const bert_tokenizer* tokenizer,
                                          const char* const* texts, const size_t* lengths, size_t num_texts,
                                          const bert_fill_mask_params* params, bert_fill_mask_result** out_result) {
  return bertc::api::Guard(__func__, [&] {
    RequireModelAndTokenizer(model, tokenizer);
    bertc::api::RequireNonNull(out_result, "out_result");
    const std::vector<std::string_view> views = Texts(texts, lengths, num_texts);
    const bertc::infer::FillMaskOptions options = ToOptions(params);
    auto result = std::make_unique<bert_fill_mask_result>();
    if (!views.empty()) result->queries = RunBatch(model, tokenizer, views, options);
    *out_result = result.release();
  });
}

BERT_API size_t bert_fill_mask_result_num_queries(const bert_fill_mask_result* result) {
  return result == nullptr ? 0 : result->queries.size();
}

BERT_API size_t bert_fill_mask_result_num_masks(const bert_fill_mask_result* result, size_t query) {
  if (result == nullptr || query >= result->queries.size()) return 0;
  return result->queries[query].masks.size();
}

BERT_API size_t bert_fill_mask_result_num_predictions(const bert_fill_mask_result* result, size_t query,
                                                      size_t mask) {
  if (result == nullptr || query >= result->queries.size() || mask >= result->queries[query].masks.size()) return 0;
  return result->queries[query].masks[mask].size();
}

BERT_API bert_status bert_fill_mask_result_get(const bert_fill_mask_result* result, size_t query, size_t mask,
                                               size_t rank, bert_fill_mask_prediction* out) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(result, "result");
    bertc::api::RequireNonNull(out, "out");
    bertc::api::CheckResultSize(out, "out");
    if (query >= result->queries.size()) {
      throw bertc::InvalidArgument("query " + std::to_string(query) + " out of range (" +
                                   std::to_string(result->queries.size()) + " queries)");
    }
    const auto& masks = result->queries[query].masks;
    if (mask >= masks.size()) {
      throw bertc::InvalidArgument("mask " + std::to_string(mask) + " out of range (" + std::to_string(masks.size()) +
                                   " masks)");
    }
    if (rank >= masks[mask].size()) {
      throw bertc::InvalidArgument("rank " + std::to_string(rank) + " out of range (" +
                                   std::to_string(masks[mask].size()) + " predictions)");
    }
    const bertc::infer::FillMaskPrediction& p = masks[mask][rank];
    bert_fill_mask_prediction full;
    std::memset(&full, 0, sizeof full);
    full.struct_size = sizeof full;
    full.score = p.score;
    full.token_id = p.token_id;
    full.token = p.token.c_str();
    full.sequence = p.sequence.c_str();
    full.token_ids = p.token_ids.data();
    full.num_token_ids = p.token_ids.size();
    bertc::api::CopyResult(full, out, "out");
  });
}

BERT_API void bert_fill_mask_result_free(bert_fill_mask_result* result) { delete result; }

BERT_API bert_status bert_score_text(const bert_model* model, const bert_tokenizer* tokenizer,
                                     const char* const* texts, const size_t* lengths, size_t num_texts,
                                     const bert_fill_mask_params* params, double* out_scores,
                                     size_t* out_num_tokens) {
  return bertc::api::Guard(__func__, [&] {
    RequireModelAndTokenizer(model, tokenizer);
    if (num_texts > 0) bertc::api::RequireNonNull(out_scores, "out_scores");
    const std::vector<std::string_view> views = Texts(texts, lengths, num_texts);
    const bertc::infer::FillMaskOptions options = ToOptions(params);
    std::vector<bertc::infer::TextScore> scores;
    {
      const bertc::api::ModelReadLock lock(*model);
      scores = bertc::infer::ScoreTexts(*model->impl, *tokenizer->impl, views, options.threads);
    }
    for (size_t i = 0; i < scores.size(); ++i) {
      out_scores[i] = scores[i].log_likelihood;
      if (out_num_tokens != nullptr) out_num_tokens[i] = scores[i].num_tokens;
    }
  });
}

}  // extern "C"
