// Definitions of the opaque C handles that more than one src/api/*_api.cc file needs.
// Each handle wraps the C++ core object; ABI files include this header to reach the core
// (e.g. fill-mask takes a bert_tokenizer*). Add handles here; never remove or reorder members.
#ifndef BERTC_API_HANDLES_H_
#define BERTC_API_HANDLES_H_

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <shared_mutex>
#include <vector>

#include "bertc.h"
#include "common/error.h"
#include "tokenizer/tokenizer.h"

// A loaded or trained tokenizer. Immutable after creation: encode/decode on it are thread-safe.
struct bert_tokenizer {
  std::shared_ptr<const bertc::tok::Tokenizer> impl;
};

namespace bertc::model {
class BertImpl;  // model/bert.h (LibTorch); forward-declared so this header stays torch-free
}  // namespace bertc::model

// A BERT model (with its task head) and config. Readers (fill-mask, classify, save, config) take `mu` shared;
// anything that changes the weights in place (a trainer step) takes it exclusively. Take it only
// through ModelReadLock / ModelWriteLock below.
struct bert_model {
  std::shared_ptr<bertc::model::BertImpl> impl;
  mutable std::shared_mutex mu;
  uint64_t seed = 0;      // bert_model_create's seed; 0 for a loaded model
  bool borrowed = false;  // some parameters alias a caller's buffer (BERT_MODEL_LOAD_BORROW)
  // bert_model_config's label arrays (pointing into the config's id2label, which never changes).
  mutable std::mutex labels_mu;
  mutable std::vector<const char*> label_ptrs;
  mutable std::vector<size_t> label_lengths;
};

namespace bertc::api {

// Models whose `mu` the calling thread holds exclusively: a trainer call that is running the
// caller's progress callback. Locking `mu` again on that thread would be EDEADLK (std::system_error)
// or a deadlock, so readers called from the callback skip the lock (the weights are consistent
// between steps, and inference does not depend on train()/eval()), and writers are refused.
inline std::vector<const bert_model*>& ModelsHeldExclusively() {
  thread_local std::vector<const bert_model*> held;
  return held;
}

inline bool HoldsExclusively(const bert_model* m) {
  const auto& held = ModelsHeldExclusively();
  return std::find(held.begin(), held.end(), m) != held.end();
}

// Shared lock for calls that only read the model.
class ModelReadLock {
 public:
  explicit ModelReadLock(const bert_model& m) {
    if (!HoldsExclusively(&m)) lock_ = std::shared_lock<std::shared_mutex>(m.mu);
  }

 private:
  std::shared_lock<std::shared_mutex> lock_;
};

// Exclusive lock for calls that change the model (trainer create/step/train/evaluate/resume).
class ModelWriteLock {
 public:
  explicit ModelWriteLock(const bert_model& m) : model_(&m) {
    if (HoldsExclusively(&m)) {
      throw InvalidArgument(
          "the model is held by a trainer call on this thread (a progress callback may read the model, "
          "but not start a trainer call on it)");
    }
    auto& held = ModelsHeldExclusively();
    held.reserve(held.size() + 1);  // the push_back below cannot throw
    lock_ = std::unique_lock<std::shared_mutex>(m.mu);
    held.push_back(model_);
  }
  ~ModelWriteLock() {
    auto& held = ModelsHeldExclusively();
    const auto it = std::find(held.begin(), held.end(), model_);
    if (it != held.end()) held.erase(it);
  }
  ModelWriteLock(const ModelWriteLock&) = delete;
  ModelWriteLock& operator=(const ModelWriteLock&) = delete;

 private:
  const bert_model* model_;
  std::unique_lock<std::shared_mutex> lock_;
};

}  // namespace bertc::api

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
