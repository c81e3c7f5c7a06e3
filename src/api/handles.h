// Definitions of the opaque C handles that more than one src/api/*_api.cc file needs.
// Each handle wraps the C++ core object; ABI files include this header to reach the core
// (e.g. fill-mask takes a bert_tokenizer*). Add handles here; never remove or reorder members.
#ifndef BERTC_API_HANDLES_H_
#define BERTC_API_HANDLES_H_

#include <memory>
#include <string>
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

namespace bertc::train {
class Trainer;  // train/trainer.h (LibTorch)
}  // namespace bertc::train

// An MLM pre-training run on a bert_model (trained in place) and a bert_tokenizer, which must
// outlive it. Driven by one thread at a time.
struct bert_trainer {
  std::shared_ptr<bertc::train::Trainer> impl;
  bert_model* model = nullptr;
  std::shared_ptr<const bertc::tok::Tokenizer> tokenizer;
  std::string last_path;        // bert_trainer_save_checkpoint's out_path
  std::string best_checkpoint;  // bert_trainer_get_info's best_checkpoint
  int64_t train_tokens = 0;
  double train_padding_share = 0;
  bool cache_hit = false;
};

#endif  // BERTC_API_HANDLES_H_
