// bertc pretrain / bertc eval: masked-language-model pre-training and evaluation.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bertc.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/pretrain_common.h"

namespace bertc::cli {
namespace {

// Google's BERT miniatures (Turc et al. 2019) and BERT-base.
struct Preset {
  const char* name;
  size_t hidden, layers, heads;
};
constexpr Preset kPresets[] = {
    {"tiny", 128, 2, 2}, {"mini", 256, 4, 4}, {"small", 512, 4, 8}, {"medium", 512, 8, 8}, {"base", 768, 12, 12}};

bert_model_params ModelParamsFromConfig(const std::string& spec, size_t vocab_size, uint64_t seed) {
  bert_model_params p;
  Check(BERT_MODEL_PARAMS_INIT(&p), "bertc library");
  p.vocab_size = vocab_size;
  p.seed = seed;
  for (const auto& preset : kPresets) {
    if (spec == preset.name) {
      p.hidden_size = preset.hidden;
      p.num_hidden_layers = preset.layers;
      p.num_attention_heads = preset.heads;
      p.intermediate_size = 4 * preset.hidden;
      return p;
    }
  }
  std::ifstream in(spec);
  if (!in) {
    throw UsageError("pretrain: --config must be tiny, mini, small, medium, base or a config.json path; cannot open '" +
                     spec + "'");
  }
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ExitError(1, "pretrain: " + spec + " is not a JSON object");
  auto get_int = [&](const char* k, size_t& field) {
    if (!j.contains(k)) return;
    if (!j[k].is_number_unsigned()) {
      throw ExitError(1, "pretrain: " + spec + ": \"" + k + "\" must be a non-negative integer");
    }
    field = j[k].get<size_t>();
  };
  auto get_num = [&](const char* k, double& field) {
    if (j.contains(k) && j[k].is_number()) field = j[k].get<double>();
  };
  get_int("hidden_size", p.hidden_size);
  get_int("num_hidden_layers", p.num_hidden_layers);
  get_int("num_attention_heads", p.num_attention_heads);
  get_int("intermediate_size", p.intermediate_size);
  get_int("max_position_embeddings", p.max_position_embeddings);
  get_int("type_vocab_size", p.type_vocab_size);
  get_num("hidden_dropout_prob", p.hidden_dropout_prob);
  get_num("attention_probs_dropout_prob", p.attention_probs_dropout_prob);
  get_num("layer_norm_eps", p.layer_norm_eps);
  get_num("initializer_range", p.initializer_range);
  static thread_local std::string act;
  if (j.contains("hidden_act") && j["hidden_act"].is_string()) {
    act = j["hidden_act"].get<std::string>();
    p.hidden_act = act.c_str();
  }
  if (j.contains("vocab_size") && j["vocab_size"].is_number_integer() &&
      j["vocab_size"].get<int64_t>() != static_cast<int64_t>(vocab_size)) {
    throw ExitError(1, "pretrain: " + spec + " has vocab_size " + std::to_string(j["vocab_size"].get<int64_t>()) +
                           " but the tokenizer has " + std::to_string(vocab_size) + " tokens");
  }
  return p;
}

struct RunProgress {
  Progress bar{"pretrain"};
  bool quiet = false;  // ranks other than 0 of a data-parallel run print nothing
};

int OnTrainEvent(void* user, const bert_event* ev) {
  auto* p = static_cast<RunProgress*>(user);
  if (p->quiet) return Interrupted() ? 1 : 0;
  char buf[256];
  switch (ev->kind) {
    case BERT_EVENT_TRAIN_STEP:
      std::snprintf(buf, sizeof buf, "loss %.4f lr %.2e gnorm %.2f %.0f tok/s", ev->loss, ev->learning_rate,
                    ev->grad_norm, ev->tokens_per_second);
      p->bar.Update(ev->current, ev->total, buf);
      break;
    case BERT_EVENT_EVAL:
      std::snprintf(buf, sizeof buf, "step %llu: eval loss %.4f  perplexity %.2f  masked accuracy %.2f%%",
                    static_cast<unsigned long long>(ev->current), ev->eval_loss, ev->eval_perplexity,
                    100.0 * ev->eval_accuracy);
      p->bar.Line(buf);
      break;
    case BERT_EVENT_CHECKPOINT:
      p->bar.Line(std::string("checkpoint: ") + (ev->path ? ev->path : "?"));
      break;
    case BERT_EVENT_ENCODE:
      p->bar.Update(ev->current, ev->total, "lines encoded");
      break;
    default:
      break;
  }
  return Interrupted() ? 1 : 0;
}

}  // namespace

void AddDataOptions(Args& args) {
  args.Option("max-length", "N", "128", "tokens per example including [CLS]/[SEP]")
      .Option("mlm-probability", "P", "0.15", "share of tokens to mask (80% [MASK], 10% random, 10% kept)")
      .Flag("whole-word-mask", false, "mask all pieces of a word together")
      .Option("batch-size", "N", "32", "examples per micro-batch")
      .Option("jsonl-field", "NAME", "", "read JSONL files and take this field as the text")
      .Option("seed", "N", "42", "seed for data order, masking, dropout and init")
      .Option("threads", "N", "0", "intra-op threads (0 = all cores)");
}

int PretrainCommand(int argc, char** argv) {
  Args args("pretrain", "Pre-train BERT with masked-language modelling, with evaluation and checkpoints.",
            "bertc pretrain --tokenizer DIR --train FILE... --out DIR [options]");
  args.Option("tokenizer", "DIR", "", "tokenizer directory (from 'bertc tokenizer train')")
      .Multi("train", "FILE", "training text files (one example per line)")
      .Multi("eval", "FILE", "evaluation text files (default: hold out --split of the training lines)")
      .Option("split", "P", "0.1", "held-out share of training lines when --eval is not given (0 = no eval)")
      .Option("config", "PRESET|FILE", "mini", "model: tiny, mini, small, medium, base, or a config.json")
      .Option("dropout", "P", "", "set hidden and attention dropout of --config to P (presets: 0.1)")
      .Option("init-model", "DIR", "", "start from an existing model instead of a fresh --config")
      .Option("out", "DIR", "", "output directory: checkpoints, train_log.jsonl, final model");
  AddDataOptions(args);
  args.Option("grouping", "MODE", "dynamic", "truncate_pad | concat_chunk | dynamic | packed")
      .Flag("masked-only-logits", true, "compute MLM logits only at masked positions (same loss, faster)")
      .Option("grad-accum", "N", "1", "micro-batches per optimizer step")
      .Option("lr", "LR", "5e-4", "peak learning rate (AdamW)")
      .Option("weight-decay", "W", "0.01", "AdamW weight decay (not on biases and LayerNorm weights)")
      .Option("adam-beta1", "B", "0.9", "AdamW first-moment decay")
      .Option("adam-beta2", "B", "0.999", "AdamW second-moment decay (0.98 steadies short, high-lr runs)")
      .Option("adam-epsilon", "E", "1e-8", "AdamW denominator epsilon")
      .Option("max-grad-norm", "N", "1.0", "clip the global gradient norm to N (0 = no clipping)")
      .Option("warmup", "N", "0", "linear warmup steps")
      .Option("schedule", "NAME", "linear", "learning-rate schedule after warmup: linear | constant | cosine")
      .Option("max-steps", "N", "0", "optimizer steps (overrides --epochs)")
      .Option("epochs", "E", "1", "passes over the training data")
      .Option("logging-steps", "N", "10", "log every N steps")
      .Option("eval-steps", "N", "0", "evaluate every N steps (0 = only at the end)")
      .Option("save-steps", "N", "0", "checkpoint every N steps (0 = only the final model)")
      .Option("save-total-limit", "N", "0", "keep at most N checkpoints (never the best one; 0 = all)")
      .Flag("load-best-at-end", false, "finish with the checkpoint of lowest eval loss")
      .Option("resume", "latest|DIR", "", "continue from a checkpoint (latest = newest in --out)")
      .Option("device", "DEV", "cpu", "cpu, or cuda with a CUDA LibTorch build");
  AddDistributedOptions(args);
  if (!args.Parse(argc, argv)) return 0;
  for (const char* req : {"tokenizer", "out"}) {
    if (args.str(req).empty()) throw UsageError(std::string("pretrain: --") + req + " is required");
  }
  if (args.list("train").empty()) throw UsageError("pretrain: --train FILE is required");

  bert_trainer_params tp;
  Check(BERT_TRAINER_PARAMS_INIT(&tp), "bertc library");
  FillCommonTrainerParams(args, "pretrain", tp);
  const std::string& grouping = args.str("grouping");
  if (grouping == "truncate_pad") tp.grouping = BERT_GROUPING_TRUNCATE_PAD;
  else if (grouping == "concat_chunk") tp.grouping = BERT_GROUPING_CONCAT_CHUNK;
  else if (grouping == "dynamic") tp.grouping = BERT_GROUPING_DYNAMIC;
  else if (grouping == "packed") tp.grouping = BERT_GROUPING_PACKED;
  else throw UsageError("pretrain: --grouping must be truncate_pad, concat_chunk, dynamic or packed");
  const std::string& schedule = args.str("schedule");
  if (schedule == "linear") tp.schedule = BERT_SCHEDULE_LINEAR;
  else if (schedule == "constant") tp.schedule = BERT_SCHEDULE_CONSTANT;
  else if (schedule == "cosine") tp.schedule = BERT_SCHEDULE_COSINE;
  else throw UsageError("pretrain: --schedule must be linear, constant or cosine");
  tp.masked_only_logits = args.flag("masked-only-logits") ? 1 : 0;
  tp.grad_accum = static_cast<size_t>(args.integer("grad-accum", 1, 1 << 20));
  tp.learning_rate = args.number("lr", 0, 10);
  tp.weight_decay = args.number("weight-decay", 0, 10);
  tp.adam_beta1 = args.number("adam-beta1", 0, 0.999999);
  tp.adam_beta2 = args.number("adam-beta2", 0, 0.999999);
  tp.adam_epsilon = args.number("adam-epsilon", 0, 1);
  tp.max_grad_norm = args.number("max-grad-norm", 0, 1e30);
  tp.warmup_steps = static_cast<uint64_t>(args.integer("warmup", 0, 1LL << 40));
  tp.max_steps = static_cast<uint64_t>(args.integer("max-steps", 0, 1LL << 40));
  tp.num_epochs = args.number("epochs", 0, 1e6);
  tp.logging_steps = static_cast<uint64_t>(args.integer("logging-steps", 0, 1LL << 40));
  tp.eval_steps = static_cast<uint64_t>(args.integer("eval-steps", 0, 1LL << 40));
  tp.save_steps = static_cast<uint64_t>(args.integer("save-steps", 0, 1LL << 40));
  tp.save_total_limit = static_cast<size_t>(args.integer("save-total-limit", 0, 1 << 20));
  tp.load_best_model_at_end = args.flag("load-best-at-end") ? 1 : 0;
  tp.eval_split = args.number("split", 0, 0.9);
  const std::string out = args.str("out");
  tp.output_dir = out.c_str();
  const std::string device = args.str("device");
  tp.device = device.c_str();
  FillDistributedParams(args, tp);

  TokenizerPtr tok = LoadTokenizer(args.str("tokenizer"));
  ModelPtr model;
  if (!args.str("init-model").empty()) {
    if (!args.str("dropout").empty()) throw UsageError("pretrain: --dropout applies to --config, not --init-model");
    model = LoadModel(args.str("init-model"));
  } else {
    bert_model_params mp =
        ModelParamsFromConfig(args.str("config"), bert_tokenizer_vocab_size(tok.get()), tp.seed);
    if (!args.str("dropout").empty()) {
      mp.hidden_dropout_prob = mp.attention_probs_dropout_prob = args.number("dropout", 0, 0.999999);
    }
    bert_model* m = nullptr;
    Check(bert_model_create(&mp, &m), "cannot create model");
    model.reset(m);
  }
  uint64_t n_params = 0;
  Check(bert_model_num_parameters(model.get(), &n_params), "model");

  DataFiles train(args.list("train"), args.str("jsonl-field")), eval(args.list("eval"), args.str("jsonl-field"));
  RunProgress progress;
  InstallInterruptHandler();
  std::fprintf(stderr, "bertc: preparing data (tokenizing once; cached next to the data)...\n");
  bert_trainer* t = nullptr;
  Check(bert_trainer_create(model.get(), tok.get(), &train.data, eval.empty() ? nullptr : &eval.data, &tp, &t),
        "cannot set up training");
  TrainerPtr trainer(t);
  PrintLibraryWarning();
  if (!args.str("resume").empty()) {
    const std::string& r = args.str("resume");
    Check(bert_trainer_resume(trainer.get(), r == "latest" ? nullptr : r.c_str()), "cannot resume");
    PrintLibraryWarning();
  }
  bert_trainer_info info;
  info.struct_size = sizeof info;
  Check(bert_trainer_get_info(trainer.get(), &info), "trainer");
  const bool rank0 = info.rank == 0;
  progress.quiet = !rank0;
  if (rank0) {
    std::fprintf(stderr,
                 "bertc: %.2fM parameters, %lld training examples (%.1f%% padding), %lld eval examples, "
                 "step %lld of %lld\n",
                 static_cast<double>(n_params) / 1e6, static_cast<long long>(info.train_examples),
                 100.0 * info.train_padding_share, static_cast<long long>(info.eval_examples),
                 static_cast<long long>(info.global_step), static_cast<long long>(info.total_steps));
    if (info.world_size > 1) {
      std::fprintf(stderr, "bertc: data-parallel over %d processes (global batch %zu x %zu x %d)\n", info.world_size,
                   tp.batch_size, tp.grad_accum, info.world_size);
    }
  }

  const bert_status st = bert_trainer_train(trainer.get(), OnTrainEvent, &progress);
  progress.bar.Finish();
  if (st == BERT_ERR_CANCELLED) {
    const char* path = nullptr;
    Check(bert_trainer_save_checkpoint(trainer.get(), &path), "interrupted, and the checkpoint failed");
    throw ExitError(130, std::string("interrupted: checkpoint written to ") + path +
                             "; continue with the same command plus --resume latest");
  }
  Check(st, "training failed");
  if (info.eval_examples > 0) {  // all-reduced: every rank computes it, rank 0 prints it
    bert_trainer_eval_result ev;
    ev.struct_size = sizeof ev;
    Check(bert_trainer_evaluate(trainer.get(), &ev), "evaluation failed");
    if (rank0) std::printf("final eval: loss %.4f  perplexity %.2f  masked accuracy %.2f%% (%lld masked tokens)\n", ev.loss,
                ev.perplexity, 100.0 * ev.accuracy, static_cast<long long>(ev.masked_tokens));
  }
  if (rank0) {
    std::printf("model saved to %s (load it with bertc fill-mask --model %s, or transformers' from_pretrained)\n",
                out.c_str(), out.c_str());
  }
  return 0;
}

int EvalCommand(int argc, char** argv) {
  Args args("eval", "Masked-LM loss, perplexity and masked-token accuracy of a model on text files.",
            "bertc eval --model DIR [--tokenizer DIR] --data FILE... [options]");
  args.Option("model", "DIR", "", "model directory")
      .Option("tokenizer", "DIR", "", "tokenizer directory (default: the model directory)")
      .Multi("data", "FILE", "evaluation text files (one example per line)")
      .Flag("json", false, "print the result as one JSON object");
  AddDataOptions(args);
  if (!args.Parse(argc, argv)) return 0;
  if (args.str("model").empty()) throw UsageError("eval: --model DIR is required");
  if (args.list("data").empty()) throw UsageError("eval: --data FILE is required");
  bert_trainer_params tp;
  Check(BERT_TRAINER_PARAMS_INIT(&tp), "bertc library");
  FillCommonTrainerParams(args, "eval", tp);
  tp.eval_split = 0;
  tp.world_size = 1;  // one process evaluates, whatever a launcher's environment says
  tp.save_final_model = 0;
  tp.output_dir = nullptr;
  ModelPtr model = LoadModel(args.str("model"));
  TokenizerPtr tok = LoadTokenizer(args.str("tokenizer").empty() ? args.str("model") : args.str("tokenizer"));
  DataFiles data(args.list("data"), args.str("jsonl-field"));
  bert_trainer* t = nullptr;
  Check(bert_trainer_create(model.get(), tok.get(), nullptr, &data.data, &tp, &t), "cannot set up evaluation");
  TrainerPtr trainer(t);
  bert_trainer_eval_result ev;
  ev.struct_size = sizeof ev;
  Check(bert_trainer_evaluate(trainer.get(), &ev), "evaluation failed");
  if (args.flag("json")) {
    std::printf("{\"loss\":%.6f,\"perplexity\":%.6f,\"accuracy\":%.6f,\"masked_tokens\":%lld,\"examples\":%lld}\n",
                ev.loss, ev.perplexity, ev.accuracy, static_cast<long long>(ev.masked_tokens),
                static_cast<long long>(ev.examples));
  } else {
    std::printf("examples        %lld\nmasked tokens   %lld\nloss            %.4f\nperplexity      %.2f\n"
                "masked accuracy %.2f%%\n",
                static_cast<long long>(ev.examples), static_cast<long long>(ev.masked_tokens), ev.loss, ev.perplexity,
                100.0 * ev.accuracy);
  }
  return 0;
}

}  // namespace bertc::cli
