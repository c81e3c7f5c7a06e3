// bert_limits_init / bert_set_limits: the host's limits on untrusted input (common/limits.h).
#include <cstring>

#include "api/guard.h"
#include "bertc.h"
#include "common/limits.h"

namespace {

bert_limits ToC(const bertc::Limits& l) {
  bert_limits out;
  std::memset(&out, 0, sizeof out);
  out.struct_size = sizeof out;
  out.max_text_bytes = l.max_text_bytes;
  out.max_vocab_size = l.max_vocab_size;
  out.max_token_bytes = l.max_token_bytes;
  out.max_model_bytes = l.max_model_bytes;
  return out;
}

}  // namespace

extern "C" {

BERT_API bert_status bert_limits_init(bert_limits* limits, size_t struct_size) {
  return bertc::api::InitStruct(__func__, limits, struct_size, ToC(bertc::CurrentLimits()));
}

BERT_API bert_status bert_set_limits(const bert_limits* limits) {
  return bertc::api::Guard(__func__, [&] {
    bertc::api::RequireNonNull(limits, "limits");
    const bert_limits l = bertc::api::CopyParams(limits, ToC(bertc::CurrentLimits()), "limits");
    bertc::Limits core;
    core.max_text_bytes = l.max_text_bytes;
    core.max_vocab_size = l.max_vocab_size;
    core.max_token_bytes = l.max_token_bytes;
    core.max_model_bytes = l.max_model_bytes;
    bertc::SetLimits(core);
  });
}

}  // extern "C"
