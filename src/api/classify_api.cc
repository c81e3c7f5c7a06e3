// bert_classify, bert_tag, bert_tag_words: inference with fine-tuned classification heads.
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "api/guard.h"
#include "api/handles.h"
#include "bertc.h"
#include "common/error.h"
#include "common/limits.h"
#include "infer/classify.h"
#include "model/bert.h"

struct bert_classify_result {
  std::vector<bertc::infer::Classification> texts;
  std::vector<std::string> labels;  // id2label of the model at the time of the call
};

struct bert_tag_result {
  struct Text {
    bertc::infer::TagResult tags;
    std::vector<std::string> word_texts;
    std::vector<std::string> group_texts;
  };
  std::vector<Text> texts;
  std::vector<std::string> labels;
};

namespace {

bert_classify_params ClassifyDefaults() {
  bert_classify_params p;
  std::memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.batch_size = 32;
  p.max_length = 0;
  p.truncation = 0;
  p.threads = 0;
  return p;
}

bertc::infer::ClassifyOptions ToOptions(const bert_classify_params* user) {
  const bert_classify_params p = bertc::api::CopyParams(user, ClassifyDefaults(), "params");
  bertc::infer::ClassifyOptions o;
  if (p.batch_size == 0) throw bertc::InvalidArgument("params.batch_size must be positive");
  o.batch_size = p.batch_size > 65536 ? 65536 : static_cast<int>(p.batch_size);
  if (p.max_length > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw bertc::InvalidArgument("params.max_length " + std::to_string(p.max_length) + " is too large");
  }
  o.max_length = static_cast<int>(p.max_length);
  o.truncation = p.truncation != 0;
  o.threads = bertc::api::CheckThreads(p.threads, "params.threads");
  return o;
}

// Views of `n` texts (`lengths` NULL: NUL-terminated); NULL entries only with a zero length.
std::vector<std::string_view> Texts(const char* const* texts, const size_t* lengths, size_t n, const char* name) {
  if (n > 0) bertc::api::RequireNonNull(texts, name);
  std::vector<std::string_view> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t len = lengths != nullptr ? lengths[i] : 0;
    if (texts[i] == nullptr && (lengths == nullptr || len > 0)) {
      throw bertc::InvalidArgument(std::string(name) + "[" + std::to_string(i) + "] is NULL");
    }
    out.emplace_back(texts[i] == nullptr ? "" : texts[i], lengths != nullptr ? len : std::strlen(texts[i]));
    bertc::CheckTextBytes(out.back().size(), std::string(name) + "[" + std::to_string(i) + "]");
  }
  return out;
}

void RequireInputs(const bert_model* model, const bert_tokenizer* tokenizer, const void* out) {
  bertc::api::RequireNonNull(model, "model");
  bertc::api::RequireNonNull(tokenizer, "tokenizer");
  bertc::api::RequireNonNull(out, "out_result");
}

bert_tag_result* MakeTagResult(std::vector<bertc::infer::TagResult> tags, const std::vector<std::string>& labels,
                               const std::vector<std::string>& texts) {
  auto r = std::make_unique<bert_tag_result>();
  r->labels = labels;
  r->texts.resize(tags.size());
  for (size_t i = 0; i < tags.size(); ++i) {
    auto& t = r->texts[i];
    t.tags = std::move(tags[i]);
    const std::string& text = texts[i];
    for (const auto& w : t.tags.words) t.word_texts.push_back(text.substr(w.start, w.end - w.start));
    for (const auto& g : t.tags.groups) t.group_texts.push_back(text.substr(g.start, g.end - g.start));
  }
  return r.release();
}

}  // namespace

extern "C" {

BERT_API bert_status bert_classify_params_init(bert_classify_params* params, size_t struct_size) {
  return bertc::api::InitStruct(__func__, params, struct_size, ClassifyDefaults());
}

BERT_API bert_status bert_classify(const bert_model* model, const bert_tokenizer* tokenizer, const char* const* texts,
                                   const size_t* lengths, size_t num_texts, const bert_classify_params* params,
                                   bert_classify_result** out_result) {
  return bertc::api::Guard(__func__, [&] {
    RequireInputs(model, tokenizer, out_result);
    const bertc::infer::ClassifyOptions options = ToOptions(params);
    const std::vector<std::string_view> views = Texts(texts, lengths, num_texts, "texts");
    auto result = std::make_unique<bert_classify_result>();
    {
      const bertc::api::ModelReadLock lock(*model);
      result->texts = bertc::infer::Classify(*model->impl, *tokenizer->impl, views, options);
      result->labels = model->impl->config().id2label;
    }
    *out_result = result.release();
  });
}

BERT_API size_t bert_classify_result_num_texts(const bert_classify_result* result) {
  return result == nullptr ? 0 : result->texts.size();
}

BERT_API bert_status bert_classify_result_get(const bert_classify_result* result, size_t text,
                                              bert_classification* out) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(result, "result");
    bertc::api::RequireNonNull(out, "out");
    bertc::api::CheckResultSize(out, "out");
    if (text >= result->texts.size()) {
      throw bertc::InvalidArgument("text " + std::to_string(text) + " is out of range (" +
                                   std::to_string(result->texts.size()) + " texts)");
    }
    const auto& c = result->texts[text];
    bert_classification v;
    std::memset(&v, 0, sizeof v);
    v.struct_size = sizeof v;
    v.label = static_cast<size_t>(c.label);
    v.label_name = result->labels[v.label].c_str();
    v.score = c.scores[v.label];
    v.scores = c.scores.data();
    v.logits = c.logits.data();
    v.num_labels = c.scores.size();
    bertc::api::CopyResult(v, out, "out");
  });
}

BERT_API void bert_classify_result_free(bert_classify_result* result) { delete result; }

BERT_API bert_status bert_tag(const bert_model* model, const bert_tokenizer* tokenizer, const char* const* texts,
                              const size_t* lengths, size_t num_texts, const bert_classify_params* params,
                              bert_tag_result** out_result) {
  return bertc::api::Guard(__func__, [&] {
    RequireInputs(model, tokenizer, out_result);
    const bertc::infer::ClassifyOptions options = ToOptions(params);
    const std::vector<std::string_view> views = Texts(texts, lengths, num_texts, "texts");
    std::vector<bertc::infer::TagResult> tags;
    std::vector<std::string> labels;
    {
      const bertc::api::ModelReadLock lock(*model);
      tags = bertc::infer::Tag(*model->impl, *tokenizer->impl, views, options);
      labels = model->impl->config().id2label;
    }
    *out_result = MakeTagResult(std::move(tags), labels, std::vector<std::string>(views.begin(), views.end()));
  });
}

BERT_API bert_status bert_tag_words(const bert_model* model, const bert_tokenizer* tokenizer,
                                    const char* const* words, const size_t* word_lengths,
                                    const size_t* words_per_text, size_t num_texts,
                                    const bert_classify_params* params, bert_tag_result** out_result) {
  return bertc::api::Guard(__func__, [&] {
    RequireInputs(model, tokenizer, out_result);
    if (num_texts > 0) bertc::api::RequireNonNull(words_per_text, "words_per_text");
    const bertc::infer::ClassifyOptions options = ToOptions(params);
    size_t total = 0;
    for (size_t i = 0; i < num_texts; ++i) {
      if (words_per_text[i] > std::numeric_limits<size_t>::max() / 2 - total) {
        throw bertc::InvalidArgument("words_per_text overflows");
      }
      total += words_per_text[i];
    }
    const std::vector<std::string_view> all = Texts(words, word_lengths, total, "words");
    std::vector<std::vector<std::string_view>> split(num_texts);
    std::vector<std::string> joined(num_texts);
    size_t at = 0;
    for (size_t i = 0; i < num_texts; ++i) {
      for (size_t w = 0; w < words_per_text[i]; ++w, ++at) {
        split[i].push_back(all[at]);
        if (w > 0) joined[i] += ' ';
        joined[i].append(all[at].data(), all[at].size());
      }
    }
    std::vector<bertc::infer::TagResult> tags;
    std::vector<std::string> labels;
    {
      const bertc::api::ModelReadLock lock(*model);
      tags = bertc::infer::TagWords(*model->impl, *tokenizer->impl, split, options);
      labels = model->impl->config().id2label;
    }
    *out_result = MakeTagResult(std::move(tags), labels, joined);
  });
}

BERT_API size_t bert_tag_result_num_texts(const bert_tag_result* result) {
  return result == nullptr ? 0 : result->texts.size();
}

BERT_API size_t bert_tag_result_num_words(const bert_tag_result* result, size_t text) {
  return result == nullptr || text >= result->texts.size() ? 0 : result->texts[text].tags.words.size();
}

BERT_API size_t bert_tag_result_num_groups(const bert_tag_result* result, size_t text) {
  return result == nullptr || text >= result->texts.size() ? 0 : result->texts[text].tags.groups.size();
}

BERT_API bert_status bert_tag_result_get_word(const bert_tag_result* result, size_t text, size_t word,
                                              bert_tagged_word* out) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(result, "result");
    bertc::api::RequireNonNull(out, "out");
    bertc::api::CheckResultSize(out, "out");
    if (text >= result->texts.size() || word >= result->texts[text].tags.words.size()) {
      throw bertc::InvalidArgument("text " + std::to_string(text) + ", word " + std::to_string(word) +
                                   " is out of range");
    }
    const auto& t = result->texts[text];
    const auto& w = t.tags.words[word];
    bert_tagged_word v;
    std::memset(&v, 0, sizeof v);
    v.struct_size = sizeof v;
    v.start = w.start;
    v.end = w.end;
    v.word_index = w.word_index;
    v.label = static_cast<size_t>(w.label);
    v.label_name = result->labels[v.label].c_str();
    v.score = w.score;
    v.word = t.word_texts[word].c_str();
    bertc::api::CopyResult(v, out, "out");
  });
}

BERT_API bert_status bert_tag_result_get_group(const bert_tag_result* result, size_t text, size_t group,
                                               bert_tag_group* out) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(result, "result");
    bertc::api::RequireNonNull(out, "out");
    bertc::api::CheckResultSize(out, "out");
    if (text >= result->texts.size() || group >= result->texts[text].tags.groups.size()) {
      throw bertc::InvalidArgument("text " + std::to_string(text) + ", group " + std::to_string(group) +
                                   " is out of range");
    }
    const auto& t = result->texts[text];
    const auto& g = t.tags.groups[group];
    bert_tag_group v;
    std::memset(&v, 0, sizeof v);
    v.struct_size = sizeof v;
    v.start = g.start;
    v.end = g.end;
    v.first_word = g.first_word;
    v.num_words = g.num_words;
    v.label_name = g.label.c_str();
    v.score = g.score;
    v.text = t.group_texts[group].c_str();
    bertc::api::CopyResult(v, out, "out");
  });
}

BERT_API void bert_tag_result_free(bert_tag_result* result) { delete result; }

}  // extern "C"
