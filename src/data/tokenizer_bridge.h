// What the data pipeline needs from a WordPiece tokenizer: a thread-safe encode function for
// EncodedDataset, the special ids, the "##" continuation flags for whole-word masking, and a
// fingerprint that changes whenever the tokenizer would encode differently (cache invalidation).
#ifndef BERTC_DATA_TOKENIZER_BRIDGE_H_
#define BERTC_DATA_TOKENIZER_BRIDGE_H_

#include <memory>
#include <string>
#include <vector>

#include "data/encoded_dataset.h"
#include "data/grouping.h"
#include "tokenizer/tokenizer.h"

namespace bertc::data {

struct TokenizerHooks {
  EncodeFn encode;                    // word-piece ids without [CLS]/[SEP]
  SpecialIds ids;
  int vocab_size = 0;
  std::vector<uint8_t> is_continuation;  // per id: 1 for "##" pieces
  std::string fingerprint;               // hash of the tokenizer.json image
};

// Throws InvalidArgument when the tokenizer lacks [PAD], or [MASK] when `need_mask` (MLM).
TokenizerHooks HooksFor(std::shared_ptr<const tok::Tokenizer> tokenizer, bool need_mask = true);

}  // namespace bertc::data

#endif  // BERTC_DATA_TOKENIZER_BRIDGE_H_
