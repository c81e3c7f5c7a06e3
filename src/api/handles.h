// Definitions of the opaque C handles that more than one src/api/*_api.cc file needs.
// Each handle wraps the C++ core object; ABI files include this header to reach the core
// (e.g. fill-mask takes a bert_tokenizer*). Add handles here; never remove or reorder members.
#ifndef BERTC_API_HANDLES_H_
#define BERTC_API_HANDLES_H_

#include <memory>
#include <shared_mutex>

#include "bertc.h"
#include "tokenizer/tokenizer.h"

// A loaded or trained tokenizer. Immutable after creation: encode/decode on it are thread-safe.
struct bert_tokenizer {
  std::shared_ptr<const bertc::tok::Tokenizer> impl;
};

namespace bertc::model {
class BertForMaskedLMImpl;  // model/bert.h (LibTorch); forward-declared so this header stays torch-free
}  // namespace bertc::model

// A BertForMaskedLM with its config. Readers (fill-mask, score_text, save, config) take `mu` shared;
// anything that changes the weights in place (a trainer step) takes it exclusively.
struct bert_model {
  std::shared_ptr<bertc::model::BertForMaskedLMImpl> impl;
  mutable std::shared_mutex mu;
};

#endif  // BERTC_API_HANDLES_H_
