// Post-processing with Hugging Face semantics: truncation (longest_first / only_first /
// only_second, stride, overflow windows), BERT templates ([CLS] A [SEP], [CLS] A [SEP] B [SEP])
// with type ids and special-token masks, overflow combination of pairs, and padding.
#ifndef BERTC_TOKENIZER_POST_PROCESSOR_H_
#define BERTC_TOKENIZER_POST_PROCESSOR_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "tokenizer/encoding.h"

namespace bertc::tok {

struct PostProcessorConfig {
  bool enabled = true;  // false: a tokenizer without a post-processor (never adds [CLS]/[SEP])
  int32_t cls_id = -1;
  int32_t sep_id = -1;
  int32_t pad_id = 0;
  int32_t pad_type_id = 0;
};

// Cuts `enc` to `max_len` tokens keeping the rest as overflow windows of `max_len` that overlap by
// `stride` (HF Encoding::truncate). Without `windows` only the kept part is built (same result when
// the windows are not returned). Throws InvalidArgument when stride >= max_len > 0.
void Truncate(Encoding* enc, size_t max_len, size_t stride, TruncationDirection direction, bool windows = true);

// Truncation + template + overflow merge for one input (HF TokenizerImpl::post_process without
// padding). `a` and `b` hold raw tokens (sequence ids, offsets, ids; other fields are filled here).
// `max_length` is the resolved limit incl. special tokens. Throws InvalidArgument for impossible
// requests (only_second without a pair, a sequence too short to remove enough tokens, a stride that
// does not fit).
Encoding PostProcess(Encoding a, std::optional<Encoding> b, const EncodeOptions& options, size_t max_length,
                     const PostProcessorConfig& config);

// Pads every encoding (and its overflow windows) of a batch to the longest of the batch or to a
// fixed length, rounded up to a multiple.
void PadBatch(std::vector<Encoding>* batch, PaddingStrategy strategy, size_t length, size_t multiple_of,
              PaddingSide side, int32_t pad_id, int32_t pad_type_id);

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_POST_PROCESSOR_H_
