#include "data/tokenizer_bridge.h"

#include <cstdio>

#include "common/error.h"

namespace bertc::data {

TokenizerHooks HooksFor(std::shared_ptr<const tok::Tokenizer> tokenizer, bool need_mask) {
  if (!tokenizer) throw InvalidArgument("tokenizer must not be null");
  if (tokenizer->pad_id() < 0) throw InvalidArgument("the tokenizer has no [PAD] token, needed for batching");
  if (need_mask && tokenizer->mask_id() < 0) throw InvalidArgument("the tokenizer has no [MASK] token, needed for MLM");
  TokenizerHooks h;
  h.ids.cls = tokenizer->cls_id();
  h.ids.sep = tokenizer->sep_id();
  h.ids.pad = tokenizer->pad_id();
  h.ids.mask = tokenizer->mask_id();
  h.ids.unk = tokenizer->unk_id();
  h.vocab_size = static_cast<int>(tokenizer->vocab_size());
  const std::string& prefix = tokenizer->model().options().continuing_subword_prefix;
  h.is_continuation.assign(tokenizer->vocab_size(), 0);
  for (size_t id = 0; id < tokenizer->vocab_size(); ++id) {
    const std::string* token = tokenizer->IdToToken(static_cast<int32_t>(id));
    if (token != nullptr && !prefix.empty() && token->size() > prefix.size() && token->compare(0, prefix.size(), prefix) == 0) {
      h.is_continuation[id] = 1;
    }
  }
  char hex[24];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(Fnv1a64(tokenizer->ToJson())));
  h.fingerprint = hex;
  h.encode = [tokenizer](std::string_view text, std::vector<int32_t>& out) { tokenizer->EncodeIds(text, &out); };
  return h;
}

}  // namespace bertc::data
