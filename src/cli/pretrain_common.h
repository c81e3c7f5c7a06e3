// Shared pieces of the commands that load models/tokenizers and drive a trainer.
#ifndef BERTC_CLI_PRETRAIN_COMMON_H_
#define BERTC_CLI_PRETRAIN_COMMON_H_

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "bertc.h"
#include "cli/args.h"
#include "cli/commands.h"

namespace bertc::cli {

struct ModelDeleter {
  void operator()(bert_model* m) const { bert_model_free(m); }
};
struct TokenizerDeleter {
  void operator()(bert_tokenizer* t) const { bert_tokenizer_free(t); }
};
struct TrainerDeleter {
  void operator()(bert_trainer* t) const { bert_trainer_free(t); }
};
using ModelPtr = std::unique_ptr<bert_model, ModelDeleter>;
using TokenizerPtr = std::unique_ptr<bert_tokenizer, TokenizerDeleter>;
using TrainerPtr = std::unique_ptr<bert_trainer, TrainerDeleter>;

inline TokenizerPtr LoadTokenizer(const std::string& path) {
  bert_tokenizer* t = nullptr;
  Check(bert_tokenizer_load(path.c_str(), &t), "cannot load tokenizer '" + path + "'");
  return TokenizerPtr(t);
}

inline ModelPtr LoadModel(const std::string& path) {
  bert_model* m = nullptr;
  Check(bert_model_load(path.c_str(), &m), "cannot load model '" + path + "'");
  PrintLibraryWarning();
  return ModelPtr(m);
}

// File list + optional JSONL field as a bert_trainer_data (the strings stay owned here).
struct DataFiles {
  DataFiles(const std::vector<std::string>& files, const std::string& jsonl_field) : names(files), field(jsonl_field) {
    for (const auto& f : names) ptrs.push_back(f.c_str());
    Check(BERT_TRAINER_DATA_INIT(&data), "bertc library");
    data.files = ptrs.data();
    data.num_files = ptrs.size();
    data.jsonl_field = field.empty() ? nullptr : field.c_str();
  }
  DataFiles(const DataFiles&) = delete;
  DataFiles& operator=(const DataFiles&) = delete;
  bool empty() const { return names.empty(); }
  std::vector<std::string> names;
  std::string field;
  std::vector<const char*> ptrs;
  bert_trainer_data data{};
};

// Options shared by pretrain and eval (see AddDataOptions in cmd_pretrain.cc).
void AddDataOptions(Args& args);

inline void FillCommonTrainerParams(const Args& args, const std::string& cmd, bert_trainer_params& tp) {
  tp.max_length = static_cast<size_t>(args.integer("max-length", 3, 1 << 20));
  const double p = args.number("mlm-probability", 0, 1);
  if (p <= 0 || p >= 1) throw UsageError(cmd + ": --mlm-probability must be in (0, 1), got " + args.str("mlm-probability"));
  tp.mlm_probability = p;
  tp.whole_word_mask = args.flag("whole-word-mask") ? 1 : 0;
  tp.batch_size = static_cast<size_t>(args.integer("batch-size", 1, 1 << 20));
  tp.seed = static_cast<uint64_t>(args.integer("seed", 0, 1LL << 62));
  tp.threads = static_cast<size_t>(args.integer("threads", 0, 1024));
}

// Data-parallel options (pretrain, finetune). Unset ones come from the launcher's environment.
inline void AddDistributedOptions(Args& args) {
  args.Option("world-size", "N", "", "processes training together (default: WORLD_SIZE as torchrun, srun and "
                                     "'bertc launch' set it, else 1)")
      .Option("rank", "R", "", "this process's rank, 0..N-1 (default: RANK or SLURM_PROCID)")
      .Option("local-rank", "R", "", "rank among this machine's processes (default: LOCAL_RANK)")
      .Option("master", "HOST:PORT", "", "rendezvous: rank 0 serves a c10d TCPStore on HOST:PORT, or "
                                         "file:///PATH on a shared filesystem (default: MASTER_ADDR:MASTER_PORT)")
      .Option("dist-timeout", "S", "300", "seconds to wait for the other ranks before failing");
}

inline void FillDistributedParams(const Args& args, bert_trainer_params& tp) {
  // A rank whose peer died must get an error from its socket write (and report the lost rank), not
  // be killed by SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  if (!args.str("world-size").empty()) tp.world_size = static_cast<size_t>(args.integer("world-size", 1, 1 << 20));
  if (!args.str("rank").empty()) tp.rank = static_cast<int32_t>(args.integer("rank", 0, 1 << 20));
  if (!args.str("local-rank").empty()) tp.local_rank = static_cast<int32_t>(args.integer("local-rank", 0, 1 << 20));
  if (!args.str("master").empty()) tp.master = args.str("master").c_str();
  tp.dist_timeout_seconds = args.number("dist-timeout", 0.001, 604800);
}

// This process's rank in the run the trainer joined (0 when not distributed).
inline int TrainerRank(bert_trainer* trainer) {
  bert_trainer_info info;
  info.struct_size = sizeof info;
  Check(bert_trainer_get_info(trainer, &info), "trainer");
  return info.rank;
}

}  // namespace bertc::cli

#endif  // BERTC_CLI_PRETRAIN_COMMON_H_
