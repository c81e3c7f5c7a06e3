// C ABI of the WordPiece tokenizer: training, loading/saving, encode/decode, encoding accessors.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "api/guard.h"
#include "api/handles.h"
#include "bertc.h"
#include "common/error.h"
#include "tokenizer/trainer.h"
#include "tokenizer/unicode.h"

// A flat list of rows: each input's main encoding followed by its overflow windows. The arrays of
// all rows live in a few shared blocks (bertc::tok::EncodingBatch), not in per-row vectors.
struct bert_encoding {
  bertc::tok::EncodingBatch batch;
};

static_assert(sizeof(bert_offset) == sizeof(bertc::tok::Offset), "bert_offset layout");
static_assert(offsetof(bert_offset, end) == offsetof(bertc::tok::Offset, end), "bert_offset layout");

namespace {

using bertc::api::CopyParams;
using bertc::api::RequireNonNull;

bert_tokenizer_params TokenizerDefaults() {
  bert_tokenizer_params p;
  std::memset(&p, 0, sizeof(p));
  p.struct_size = sizeof(p);
  p.vocab_size = 30522;
  p.min_frequency = 2;
  p.limit_alphabet = 1000;
  p.lowercase = 1;
  p.strip_accents = BERT_STRIP_ACCENTS_AUTO;
  p.clean_text = 1;
  p.handle_chinese_chars = 1;
  p.algorithm = BERT_TOKENIZER_ALGO_HF;
  p.threads = 0;
  p.model_max_length = 512;
  return p;
}

bert_encode_params EncodeDefaults() {
  bert_encode_params p;
  std::memset(&p, 0, sizeof(p));
  p.struct_size = sizeof(p);
  p.add_special_tokens = 1;
  p.truncation = BERT_TRUNCATION_NONE;
  p.padding = BERT_PADDING_NONE;
  p.padding_side = BERT_PADDING_RIGHT;
  return p;
}

bertc::tok::TrainerOptions ToTrainerOptions(const bert_tokenizer_params& p) {
  bertc::tok::TrainerOptions o;
  o.vocab_size = p.vocab_size;
  o.min_frequency = p.min_frequency;
  o.limit_alphabet = p.limit_alphabet;
  if (p.initial_alphabet != nullptr) o.initial_alphabet = p.initial_alphabet;
  if (p.special_tokens != nullptr) {
    o.special_tokens.clear();
    for (size_t i = 0; i < p.num_special_tokens; ++i) {
      RequireNonNull(p.special_tokens[i], "params.special_tokens[i]");
      o.special_tokens.emplace_back(p.special_tokens[i]);
    }
  } else if (p.num_special_tokens != 0) {
    throw bertc::InvalidArgument("params.special_tokens is NULL but num_special_tokens is not 0");
  }
  if (p.unk_token) o.unk_token = p.unk_token;
  if (p.cls_token) o.cls_token = p.cls_token;
  if (p.sep_token) o.sep_token = p.sep_token;
  if (p.pad_token) o.pad_token = p.pad_token;
  if (p.mask_token) o.mask_token = p.mask_token;
  o.normalizer.lowercase = p.lowercase != 0;
  switch (p.strip_accents) {
    case BERT_STRIP_ACCENTS_AUTO: break;
    case BERT_STRIP_ACCENTS_KEEP: o.normalizer.strip_accents = false; break;
    case BERT_STRIP_ACCENTS_STRIP: o.normalizer.strip_accents = true; break;
    default: throw bertc::InvalidArgument("params.strip_accents " + std::to_string(p.strip_accents) + " is unknown");
  }
  o.normalizer.clean_text = p.clean_text != 0;
  o.normalizer.handle_chinese_chars = p.handle_chinese_chars != 0;
  const int32_t algo = p.algorithm;
  if (algo != BERT_TOKENIZER_ALGO_HF && algo != BERT_TOKENIZER_ALGO_LIKELIHOOD) {
    throw bertc::InvalidArgument("params.algorithm " + std::to_string(algo) + " is unknown");
  }
  o.algorithm = algo == BERT_TOKENIZER_ALGO_LIKELIHOOD ? bertc::tok::TrainerAlgorithm::kLikelihood
                                                             : bertc::tok::TrainerAlgorithm::kHf;
  o.threads = bertc::api::CheckThreads(p.threads, "params.threads");
  o.model_max_length = p.model_max_length > 0 ? p.model_max_length : 512;
  if (p.progress != nullptr) {
    const bert_progress_fn fn = p.progress;
    void* user = p.progress_user_data;
    o.progress = [fn, user](const bertc::tok::TrainProgress& tp) {
      bert_event ev{};
      ev.struct_size = sizeof(ev);
      ev.kind = tp.stage == bertc::tok::TrainProgress::kCount ? BERT_EVENT_TOKENIZER_COUNT : BERT_EVENT_TOKENIZER_MERGE;
      ev.current = tp.current;
      ev.total = tp.total;
      bertc::api::StampGrowthField(ev, bertc::api::kGrowthEvent);
      return fn(user, &ev) == 0;
    };
  }
  return o;
}

bertc::tok::EncodeOptions ToEncodeOptions(const bert_encode_params& p) {
  bertc::tok::EncodeOptions o;
  o.add_special_tokens = p.add_special_tokens != 0;
  switch (p.truncation) {
    case BERT_TRUNCATION_NONE: o.truncation = bertc::tok::TruncationStrategy::kNone; break;
    case BERT_TRUNCATION_LONGEST_FIRST: o.truncation = bertc::tok::TruncationStrategy::kLongestFirst; break;
    case BERT_TRUNCATION_ONLY_FIRST: o.truncation = bertc::tok::TruncationStrategy::kOnlyFirst; break;
    case BERT_TRUNCATION_ONLY_SECOND: o.truncation = bertc::tok::TruncationStrategy::kOnlySecond; break;
    default: throw bertc::InvalidArgument("params.truncation " + std::to_string(p.truncation) + " is unknown");
  }
  switch (p.padding) {
    case BERT_PADDING_NONE: o.padding = bertc::tok::PaddingStrategy::kNone; break;
    case BERT_PADDING_LONGEST: o.padding = bertc::tok::PaddingStrategy::kLongest; break;
    case BERT_PADDING_MAX_LENGTH: o.padding = bertc::tok::PaddingStrategy::kMaxLength; break;
    default: throw bertc::InvalidArgument("params.padding " + std::to_string(p.padding) + " is unknown");
  }
  const int32_t side = p.padding_side;
  if (side != BERT_PADDING_RIGHT && side != BERT_PADDING_LEFT) {
    throw bertc::InvalidArgument("params.padding_side is unknown");
  }
  o.padding_side = side == BERT_PADDING_LEFT ? bertc::tok::PaddingSide::kLeft : bertc::tok::PaddingSide::kRight;
  o.max_length = p.max_length;
  o.stride = p.stride;
  o.return_overflowing = p.return_overflowing != 0;
  o.pad_length = p.pad_length;
  o.pad_to_multiple_of = p.pad_to_multiple_of;
  o.split_special_tokens = p.split_special_tokens != 0;
  o.threads = bertc::api::CheckThreads(p.threads, "params.threads");
  return o;
}

std::string_view Text(const char* s, const size_t* lengths, size_t i, const char* what) {
  if (s == nullptr) {
    if (lengths != nullptr && lengths[i] != 0) throw bertc::InvalidArgument(std::string(what) + " is NULL");
    if (lengths == nullptr) throw bertc::InvalidArgument(std::string(what) + " is NULL");
    return {};
  }
  return lengths != nullptr ? std::string_view(s, lengths[i]) : std::string_view(s);
}

// A malloc'ed NUL-terminated copy (released by bert_string_free).
char* MallocString(const std::string& s) {
  char* buf = static_cast<char*>(std::malloc(s.size() + 1));
  if (buf == nullptr) throw std::bad_alloc();
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return buf;
}

bertc::tok::DecodeOptions DecodeOptionsFrom(unsigned flags) {
  constexpr unsigned kKnown = BERT_DECODE_SKIP_SPECIAL_TOKENS | BERT_DECODE_NO_CLEANUP;
  if ((flags & ~kKnown) != 0) throw bertc::InvalidArgument("flags " + std::to_string(flags) + " has unknown bits");
  bertc::tok::DecodeOptions o;
  o.skip_special_tokens = (flags & BERT_DECODE_SKIP_SPECIAL_TOKENS) != 0;
  o.cleanup = (flags & BERT_DECODE_NO_CLEANUP) == 0;
  return o;
}

const bertc::tok::EncodingBatch::Row* RowOf(const bert_encoding* enc, size_t row) {
  if (enc == nullptr || row >= enc->batch.size()) return nullptr;
  return &enc->batch.row(row);
}

// Prefixes a UTF-8 error with the batch index so callers know which input is bad.
template <class Fn>
auto WithInputIndex(size_t i, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const bertc::Error& e) {
    if (e.code() != bertc::ErrorCode::kInvalidUtf8) throw;
    throw bertc::Error(e.code(), "input " + std::to_string(i) + ": " + e.what());
  }
}

}  // namespace

extern "C" {

BERT_API bert_status bert_tokenizer_params_init(bert_tokenizer_params* params, size_t struct_size) {
  return bertc::api::InitStruct(__func__, params, struct_size, TokenizerDefaults());
}

BERT_API bert_status bert_tokenizer_train(const char* const* files, size_t num_files,
                                          const bert_tokenizer_params* params, bert_tokenizer** out) {
  return bertc::api::Guard(__func__, [&] {
    RequireNonNull(files, "files");
    RequireNonNull(out, "out");
    if (num_files == 0) throw bertc::InvalidArgument("num_files is 0: give at least one training file");
    const auto p = CopyParams(params, TokenizerDefaults(), "params");
    std::vector<std::string> paths;
    for (size_t i = 0; i < num_files; ++i) {
      RequireNonNull(files[i], "files[i]");
      paths.emplace_back(files[i]);
    }
    auto tok = bertc::tok::TrainFromFiles(paths, ToTrainerOptions(p));
    *out = new bert_tokenizer{std::move(tok)};
  });
}

BERT_API bert_status bert_tokenizer_train_from_lines(const char* const* lines, const size_t* lengths,
                                                     size_t num_lines, const bert_tokenizer_params* params,
                                                     bert_tokenizer** out) {
  return bertc::api::Guard(__func__, [&] {
    if (num_lines > 0) RequireNonNull(lines, "lines");
    RequireNonNull(out, "out");
    const auto p = CopyParams(params, TokenizerDefaults(), "params");
    std::vector<std::string_view> views;
    views.reserve(num_lines);
    for (size_t i = 0; i < num_lines; ++i) views.push_back(Text(lines[i], lengths, i, "lines[i]"));
    auto tok = bertc::tok::TrainFromLines(views, ToTrainerOptions(p));
    *out = new bert_tokenizer{std::move(tok)};
  });
}

BERT_API bert_status bert_tokenizer_load(const char* path, bert_tokenizer** out) {
  return bertc::api::Guard(__func__, [&] {
    RequireNonNull(path, "path");
    RequireNonNull(out, "out");
    auto tok = bertc::tok::Tokenizer::Load(path);
    *out = new bert_tokenizer{std::move(tok)};
  });
}

BERT_API bert_status bert_tokenizer_load_from_memory(const char* data, size_t size, const char* config,
                                                     size_t config_size, bert_tokenizer** out) {
  return bertc::api::Guard(__func__, [&] {
    if (size > 0) RequireNonNull(data, "data");
    if (config_size > 0) RequireNonNull(config, "config");
    RequireNonNull(out, "out");
    if (size == 0) throw bertc::FormatError("the tokenizer data is empty");
    auto tok = bertc::tok::Tokenizer::FromMemory(std::string_view(data, size),
                                                 std::string_view(config == nullptr ? "" : config, config_size));
    *out = new bert_tokenizer{std::move(tok)};
  });
}

BERT_API bert_status bert_tokenizer_save(const bert_tokenizer* tokenizer, const char* path) {
  return bertc::api::Guard(__func__, [&] {
    RequireNonNull(tokenizer, "tokenizer");
    RequireNonNull(path, "path");
    const std::string p = path;
    auto ends = [&](const char* suffix) {
      const size_t n = std::strlen(suffix);
      return p.size() >= n && p.compare(p.size() - n, n, suffix) == 0;
    };
    if (ends(".json")) {
      tokenizer->impl->SaveJson(p);
    } else if (ends(".txt")) {
      tokenizer->impl->SaveVocab(p);
    } else {
      tokenizer->impl->Save(p);
    }
  });
}

BERT_API bert_status bert_tokenizer_save_to_memory(const bert_tokenizer* tokenizer, bert_tokenizer_file file,
                                                   char** out_data, size_t* out_size) {
  return bertc::api::Guard(__func__, [&] {
    RequireNonNull(tokenizer, "tokenizer");
    RequireNonNull(out_data, "out_data");
    std::string content;
    switch (file) {
      case BERT_TOKENIZER_FILE_JSON: content = tokenizer->impl->ToJson(); break;
      case BERT_TOKENIZER_FILE_VOCAB: content = tokenizer->impl->VocabText(); break;
      case BERT_TOKENIZER_FILE_CONFIG: content = tokenizer->impl->ConfigJson(); break;
      default: throw bertc::InvalidArgument("file " + std::to_string(file) + " is not a bert_tokenizer_file value");
    }
    *out_data = MallocString(content);
    if (out_size != nullptr) *out_size = content.size();
  });
}

BERT_API void bert_tokenizer_free(bert_tokenizer* tokenizer) { delete tokenizer; }

BERT_API bert_status bert_encode_params_init(bert_encode_params* params, size_t struct_size) {
  return bertc::api::InitStruct(__func__, params, struct_size, EncodeDefaults());
}

BERT_API bert_status bert_tokenizer_encode(const bert_tokenizer* tokenizer, const char* text, size_t text_len,
                                           const char* pair, size_t pair_len, const bert_encode_params* params,
                                           bert_encoding** out) {
  return bertc::api::Guard(__func__, [&] {
    RequireNonNull(tokenizer, "tokenizer");
    RequireNonNull(out, "out");
    if (text == nullptr && text_len != 0) throw bertc::InvalidArgument("text is NULL");
    const auto p = CopyParams(params, EncodeDefaults(), "params");
    const std::string_view a(text == nullptr ? "" : text, text_len);
    const std::string_view b(pair == nullptr ? "" : pair, pair == nullptr ? 0 : pair_len);
    const std::vector<std::string_view> as{a};
    const std::vector<std::string_view> bs{b};
    auto enc = std::make_unique<bert_encoding>();
    enc->batch = tokenizer->impl->EncodeBatchFlat(as, pair != nullptr ? &bs : nullptr, ToEncodeOptions(p));
    *out = enc.release();
  });
}

BERT_API bert_status bert_tokenizer_encode_batch(const bert_tokenizer* tokenizer, const char* const* texts,
                                                 const size_t* lengths, const char* const* pairs,
                                                 const size_t* pair_lengths, size_t num_texts,
                                                 const bert_encode_params* params, bert_encoding** out) {
  return bertc::api::Guard(__func__, [&] {
    const size_t n = num_texts;
    RequireNonNull(tokenizer, "tokenizer");
    RequireNonNull(out, "out");
    if (n > 0) RequireNonNull(texts, "texts");
    const auto p = CopyParams(params, EncodeDefaults(), "params");
    std::vector<std::string_view> a, b;
    a.reserve(n);
    for (size_t i = 0; i < n; ++i) a.push_back(Text(texts[i], lengths, i, "texts[i]"));
    if (pairs != nullptr) {
      for (size_t i = 0; i < n; ++i) b.push_back(Text(pairs[i], pair_lengths, i, "pairs[i]"));
    }
    const auto opt = ToEncodeOptions(p);
    // Validate first so the error names the input; encoding then cannot fail on UTF-8.
    for (size_t i = 0; i < n; ++i) {
      WithInputIndex(i, [&] {
        bertc::tok::ValidateUtf8(a[i], "text");
        if (pairs != nullptr) bertc::tok::ValidateUtf8(b[i], "second text");
        return 0;
      });
    }
    auto enc = std::make_unique<bert_encoding>();
    enc->batch = tokenizer->impl->EncodeBatchFlat(a, pairs != nullptr ? &b : nullptr, opt);
    *out = enc.release();
  });
}

BERT_API size_t bert_encoding_count(const bert_encoding* enc) { return enc == nullptr ? 0 : enc->batch.size(); }

BERT_API size_t bert_encoding_length(const bert_encoding* enc, size_t row) {
  const auto* r = RowOf(enc, row);
  return r == nullptr ? 0 : r->length;
}

BERT_API const int32_t* bert_encoding_ids(const bert_encoding* enc, size_t row) {
  const auto* r = RowOf(enc, row);
  return r == nullptr ? nullptr : r->ids;
}

BERT_API const int32_t* bert_encoding_type_ids(const bert_encoding* enc, size_t row) {
  const auto* r = RowOf(enc, row);
  return r == nullptr ? nullptr : r->type_ids;
}

BERT_API const int32_t* bert_encoding_attention_mask(const bert_encoding* enc, size_t row) {
  const auto* r = RowOf(enc, row);
  return r == nullptr ? nullptr : r->attention_mask;
}

BERT_API const int32_t* bert_encoding_special_tokens_mask(const bert_encoding* enc, size_t row) {
  const auto* r = RowOf(enc, row);
  return r == nullptr ? nullptr : r->special_tokens_mask;
}

BERT_API const bert_offset* bert_encoding_offsets(const bert_encoding* enc, size_t row) {
  const auto* r = RowOf(enc, row);
  return r == nullptr ? nullptr : reinterpret_cast<const bert_offset*>(r->offsets);
}

BERT_API const int8_t* bert_encoding_sequence_ids(const bert_encoding* enc, size_t row) {
  const auto* r = RowOf(enc, row);
  return r == nullptr ? nullptr : r->sequence_ids;
}

BERT_API size_t bert_encoding_input_index(const bert_encoding* enc, size_t row) {
  const auto* r = RowOf(enc, row);
  return r == nullptr ? static_cast<size_t>(-1) : r->input;
}

BERT_API int bert_encoding_is_overflow(const bert_encoding* enc, size_t row) {
  const auto* r = RowOf(enc, row);
  return r != nullptr && r->overflow ? 1 : 0;
}

BERT_API void bert_encoding_free(bert_encoding* enc) { delete enc; }

BERT_API bert_status bert_tokenizer_decode(const bert_tokenizer* tokenizer, const int32_t* ids, size_t num_ids,
                                           unsigned flags, char** out_text, size_t* out_len) {
  return bertc::api::Guard(__func__, [&] {
    RequireNonNull(tokenizer, "tokenizer");
    RequireNonNull(out_text, "out_text");
    if (num_ids > 0) RequireNonNull(ids, "ids");
    const std::string s = tokenizer->impl->Decode(ids, num_ids, DecodeOptionsFrom(flags));
    *out_text = MallocString(s);
    if (out_len != nullptr) *out_len = s.size();
  });
}

BERT_API bert_status bert_tokenizer_decode_batch(const bert_tokenizer* tokenizer, const int32_t* const* ids,
                                                 const size_t* lengths, size_t num_seqs, unsigned flags,
                                                 char** out_texts, size_t* out_lengths) {
  return bertc::api::Guard(__func__, [&] {
    RequireNonNull(tokenizer, "tokenizer");
    if (num_seqs > 0) {
      RequireNonNull(ids, "ids");
      RequireNonNull(lengths, "lengths");
      RequireNonNull(out_texts, "out_texts");
    }
    const bertc::tok::DecodeOptions options = DecodeOptionsFrom(flags);
    for (size_t i = 0; i < num_seqs; ++i) {
      if (ids[i] == nullptr && lengths[i] > 0) {
        throw bertc::InvalidArgument("ids[" + std::to_string(i) + "] is NULL but lengths[" + std::to_string(i) +
                                     "] is " + std::to_string(lengths[i]));
      }
    }
    std::vector<std::string> texts(num_seqs);
    for (size_t i = 0; i < num_seqs; ++i) texts[i] = tokenizer->impl->Decode(ids[i], lengths[i], options);
    // Allocate every buffer before handing any out: on failure nothing leaks and nothing is written.
    std::vector<std::unique_ptr<char, decltype(&std::free)>> buffers;
    buffers.reserve(num_seqs);
    for (const std::string& t : texts) buffers.emplace_back(MallocString(t), &std::free);
    for (size_t i = 0; i < num_seqs; ++i) {
      out_texts[i] = buffers[i].release();
      if (out_lengths != nullptr) out_lengths[i] = texts[i].size();
    }
  });
}

BERT_API void bert_string_free(char* str) { std::free(str); }

BERT_API bert_status bert_tokenizer_token_to_id(const bert_tokenizer* tokenizer, const char* token,
                                                size_t token_len, int32_t* out_id) {
  return bertc::api::Guard(__func__, [&] {
    RequireNonNull(tokenizer, "tokenizer");
    if (token_len > 0) RequireNonNull(token, "token");
    RequireNonNull(out_id, "out_id");
    *out_id = tokenizer->impl->TokenToId(std::string_view(token == nullptr ? "" : token, token_len));
  });
}

BERT_API bert_status bert_tokenizer_id_to_token(const bert_tokenizer* tokenizer, int32_t id,
                                                const char** out_token, size_t* out_len) {
  return bertc::api::Guard(__func__, [&] {
    RequireNonNull(tokenizer, "tokenizer");
    RequireNonNull(out_token, "out_token");
    const std::string* t = tokenizer->impl->IdToToken(id);
    if (t == nullptr) {
      throw bertc::InvalidArgument("id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                   std::to_string(tokenizer->impl->vocab_size()) + ")");
    }
    *out_token = t->c_str();
    if (out_len != nullptr) *out_len = t->size();
  });
}

BERT_API size_t bert_tokenizer_vocab_size(const bert_tokenizer* tokenizer) {
  return tokenizer == nullptr ? 0 : tokenizer->impl->vocab_size();
}

BERT_API bert_status bert_tokenizer_special_token_id(const bert_tokenizer* tokenizer, bert_special_token role,
                                                     int32_t* out_id) {
  return bertc::api::Guard(__func__, [&] {
    RequireNonNull(tokenizer, "tokenizer");
    RequireNonNull(out_id, "out_id");
    const auto& t = *tokenizer->impl;
    switch (role) {
      case BERT_SPECIAL_PAD: *out_id = t.pad_id(); return;
      case BERT_SPECIAL_UNK: *out_id = t.unk_id(); return;
      case BERT_SPECIAL_CLS: *out_id = t.cls_id(); return;
      case BERT_SPECIAL_SEP: *out_id = t.sep_id(); return;
      case BERT_SPECIAL_MASK: *out_id = t.mask_id(); return;
    }
    throw bertc::InvalidArgument("role " + std::to_string(role) + " is not a bert_special_token value");
  });
}

}  // extern "C"
