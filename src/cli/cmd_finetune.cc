// bertc finetune / classify / tag: fine-tuning a sequence or token classifier on JSONL data, and
// using (or evaluating) it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bertc.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/pretrain_common.h"
#include "cli/progress.h"

namespace bertc::cli {
namespace {

struct ClassifyResultDeleter {
  void operator()(bert_classify_result* r) const { bert_classify_result_free(r); }
};
struct TagResultDeleter {
  void operator()(bert_tag_result* r) const { bert_tag_result_free(r); }
};
using ClassifyResultPtr = std::unique_ptr<bert_classify_result, ClassifyResultDeleter>;
using TagResultPtr = std::unique_ptr<bert_tag_result, TagResultDeleter>;

bert_task ParseTask(const std::string& cmd, const std::string& task) {
  if (task == "sequence") return BERT_TASK_SEQUENCE_CLASSIFICATION;
  if (task == "token") return BERT_TASK_TOKEN_CLASSIFICATION;
  throw UsageError(cmd + ": --task must be sequence or token");
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// Labelled JSONL files as a bert_trainer_data (the strings stay owned here).
struct LabeledFiles : DataFiles {
  LabeledFiles(const std::vector<std::string>& files, const Args& args)
      : DataFiles(files, args.str("text-field")),
        label(args.str("label-field")),
        words(args.str("words-field")),
        tags(args.str("tags-field")) {
    data.label_field = label.c_str();
    data.words_field = words.c_str();
    data.tags_field = tags.c_str();
  }
  std::string label, words, tags;
};

void AddLabeledFieldOptions(Args& args) {
  args.Option("text-field", "NAME", "text", "sequence task: JSONL field with the text")
      .Option("label-field", "NAME", "label", "sequence task: JSONL field with the label (name or id)")
      .Option("words-field", "NAME", "words", "token task: JSONL field with the words (array)")
      .Option("tags-field", "NAME", "tags", "token task: JSONL field with one tag per word (array)");
}

void AddInferenceOptions(Args& args) {
  args.Option("tokenizer", "DIR", "", "tokenizer directory (default: the model directory)")
      .Option("batch-size", "N", "32", "texts per forward pass")
      .Option("max-length", "N", "0", "tokens per text incl. [CLS]/[SEP] (0 = the model's limit)")
      .Flag("truncation", false, "cut longer texts to --max-length instead of failing")
      .Option("threads", "N", "0", "threads (0 = all cores)")
      .Flag("json", false, "JSON output (one object per input; with --data, one summary object)");
}

bert_classify_params InferenceParams(const Args& args) {
  bert_classify_params p;
  Check(BERT_CLASSIFY_PARAMS_INIT(&p), "bertc library");
  p.batch_size = static_cast<size_t>(args.integer("batch-size", 1, 65536));
  p.max_length = static_cast<size_t>(args.integer("max-length", 0, 1 << 20));
  p.truncation = args.flag("truncation") ? 1 : 0;
  p.threads = static_cast<size_t>(args.integer("threads", 0, 1024));
  return p;
}

std::vector<std::string> InputLines(const Args& args) {
  std::vector<std::string> texts = args.positional();
  if (texts.empty()) {
    std::istringstream in(ReadStdin());
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) texts.push_back(line);
    }
  }
  return texts;
}

std::vector<std::string> ModelLabels(const bert_model* model) {
  bert_model_params mp;
  Check(BERT_MODEL_PARAMS_INIT(&mp), "bertc library");
  Check(bert_model_config(model, &mp), "model");
  std::vector<std::string> labels;
  for (size_t i = 0; i < mp.num_labels; ++i) labels.emplace_back(mp.labels[i], mp.label_lengths[i]);
  return labels;
}

// Reads JSONL lines of `path` (blank lines skipped).
std::vector<nlohmann::json> ReadJsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ExitError(1, "cannot open '" + path + "'");
  std::vector<nlohmann::json> out;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw ExitError(1, path + ":" + std::to_string(n) + ": not a JSON object");
    out.push_back(std::move(j));
  }
  return out;
}

std::string LabelOf(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  return v.dump();
}

// Gold/predicted counts -> accuracy, macro-F1 (labels seen as gold or prediction), confusion matrix.
struct Scores {
  explicit Scores(size_t n) : n(n), counts(n * n, 0) {}
  size_t n;
  std::vector<long long> counts;
  void Add(size_t gold, size_t pred) { ++counts[gold * n + pred]; }
  // One more label (a gold label the model does not have: never predicted, so always an error).
  void Grow() {
    std::vector<long long> c((n + 1) * (n + 1), 0);
    for (size_t g = 0; g < n; ++g) {
      for (size_t q = 0; q < n; ++q) c[g * (n + 1) + q] = counts[g * n + q];
    }
    counts.swap(c);
    ++n;
  }
  long long Total() const {
    long long t = 0;
    for (long long c : counts) t += c;
    return t;
  }
  double Accuracy() const {
    long long right = 0;
    for (size_t i = 0; i < n; ++i) right += counts[i * n + i];
    return Total() ? static_cast<double>(right) / static_cast<double>(Total()) : 0.0;
  }
  double MacroF1() const {
    double sum = 0;
    size_t present = 0;
    for (size_t l = 0; l < n; ++l) {
      long long gold = 0, pred = 0;
      for (size_t k = 0; k < n; ++k) {
        gold += counts[l * n + k];
        pred += counts[k * n + l];
      }
      if (gold + pred == 0) continue;
      sum += 2.0 * static_cast<double>(counts[l * n + l]) / static_cast<double>(gold + pred);
      ++present;
    }
    return present ? sum / static_cast<double>(present) : 0.0;
  }
};

// The index of gold label `g` in `labels`; a label the model does not have is appended (to labels and
// scores) and counted in `unknown`: evaluation data may hold labels the training data never had.
size_t GoldIndex(const std::string& g, std::vector<std::string>& labels, Scores& s, size_t model_labels,
                 long long& unknown) {
  const auto it = std::find(labels.begin(), labels.end(), g);
  const size_t i = static_cast<size_t>(it - labels.begin());
  if (i >= model_labels) ++unknown;
  if (it != labels.end()) return i;
  labels.push_back(g);
  s.Grow();
  return labels.size() - 1;
}

void ReportUnknown(const char* cmd, long long unknown, const std::vector<std::string>& labels, size_t model_labels) {
  if (unknown == 0) return;
  std::string names;
  for (size_t k = model_labels; k < labels.size() && k < model_labels + 8; ++k) names += (names.empty() ? "'" : ", '") + labels[k] + "'";
  if (labels.size() > model_labels + 8) names += ", ...";
  std::fprintf(stderr, "bertc: %s: warning: %lld gold label(s) the model does not have (%s), counted as errors\n", cmd,
               unknown, names.c_str());
}

void PrintConfusion(const Scores& s, const std::vector<std::string>& labels) {
  size_t w = 6;
  for (const auto& l : labels) w = std::max(w, std::min<size_t>(l.size(), 14) + 1);
  std::printf("confusion matrix (rows: gold, columns: predicted)\n%*s", static_cast<int>(w), "");
  for (const auto& l : labels) std::printf(" %*.*s", static_cast<int>(w), static_cast<int>(w), l.c_str());
  std::printf("\n");
  for (size_t g = 0; g < s.n; ++g) {
    std::printf("%*.*s", static_cast<int>(w), static_cast<int>(w), labels[g].c_str());
    for (size_t p = 0; p < s.n; ++p) std::printf(" %*lld", static_cast<int>(w), s.counts[g * s.n + p]);
    std::printf("\n");
  }
}

struct FinetuneProgress {
  Progress bar{"finetune"};
  bool quiet = false;  // ranks other than 0 of a data-parallel run print nothing
};

int OnFinetuneEvent(void* user, const bert_event* ev) {
  auto* p = static_cast<FinetuneProgress*>(user);
  if (p->quiet) return Interrupted() ? 1 : 0;
  char buf[256];
  switch (ev->kind) {
    case BERT_EVENT_TRAIN_STEP:
      std::snprintf(buf, sizeof buf, "loss %.4f lr %.2e %.0f tok/s", ev->loss, ev->learning_rate,
                    ev->tokens_per_second);
      p->bar.Update(ev->current, ev->total, buf);
      break;
    case BERT_EVENT_EVAL:
      std::snprintf(buf, sizeof buf, "step %llu: eval loss %.4f  accuracy %.2f%%  macro-F1 %.2f%%",
                    static_cast<unsigned long long>(ev->current), ev->eval_loss, 100.0 * ev->eval_accuracy,
                    100.0 * ev->eval_f1);
      p->bar.Line(buf);
      break;
    case BERT_EVENT_CHECKPOINT:
      p->bar.Line(std::string("checkpoint: ") + (ev->path ? ev->path : "?"));
      break;
    default:
      break;
  }
  return Interrupted() ? 1 : 0;
}

}  // namespace

int FinetuneCommand(int argc, char** argv) {
  Args args("finetune",
            "Fine-tune a pre-trained model (bertc's or Hugging Face's) for sequence classification (a label per "
            "text) or token classification (a tag per word) on JSON Lines data.",
            "bertc finetune --task sequence|token --model DIR --train FILE.jsonl... --out DIR [options]");
  args.Option("task", "sequence|token", "", "sequence classification or token classification")
      .Option("model", "DIR", "", "pre-trained (or fine-tuned) model directory; its encoder is kept")
      .Option("tokenizer", "DIR", "", "tokenizer directory (default: the model directory)")
      .Multi("train", "FILE", "training JSONL files")
      .Multi("eval", "FILE", "evaluation JSONL files (default: hold out --split of the training lines)")
      .Option("split", "P", "0.1", "held-out share of training lines when --eval is not given (0 = no eval)")
      .Option("labels", "A,B,...", "", "label names in id order (default: the sorted labels of the training data, "
                                       "or the model's own when it already has this head)")
      .Flag("random-init", false, "start from a randomly initialised encoder of the same shape (a baseline)")
      .Option("out", "DIR", "", "output directory: checkpoints, train_log.jsonl, final model");
  AddLabeledFieldOptions(args);
  args.Option("max-length", "N", "128", "tokens per example incl. [CLS]/[SEP] (longer ones are truncated)")
      .Option("batch-size", "N", "32", "examples per micro-batch")
      .Option("grad-accum", "N", "1", "micro-batches per optimizer step")
      .Option("lr", "LR", "5e-5", "peak learning rate (AdamW)")
      .Option("weight-decay", "W", "0.01", "AdamW weight decay")
      .Option("warmup-ratio", "R", "0", "share of the steps spent warming up linearly")
      .Option("dropout", "P", "", "hidden and attention dropout of the encoder while fine-tuning (default: the model's config)")
      .Option("classifier-dropout", "P", "", "dropout before the classifier (default: hidden_dropout_prob)")
      .Option("max-grad-norm", "N", "1.0", "clip the global gradient norm (0 = off)")
      .Option("max-steps", "N", "0", "optimizer steps (overrides --epochs)")
      .Option("epochs", "E", "3", "passes over the training data")
      .Option("logging-steps", "N", "50", "log every N steps")
      .Option("eval-steps", "N", "0", "evaluate every N steps (0 = only at the end)")
      .Option("save-steps", "N", "0", "checkpoint every N steps (0 = only the final model)")
      .Option("save-total-limit", "N", "0", "keep at most N checkpoints (never the best one; 0 = all)")
      .Option("metric", "NAME", "loss", "metric that picks the best checkpoint: loss | accuracy | f1")
      .Flag("load-best-at-end", false, "finish with the best checkpoint by --metric")
      .Option("resume", "latest|DIR", "", "continue from a checkpoint (latest = newest in --out)")
      .Option("seed", "N", "42", "seed for data order, dropout and the new head")
      .Option("threads", "N", "0", "intra-op threads (0 = all cores)")
      .Flag("json", false, "print the final evaluation as one JSON object");
  AddDistributedOptions(args);
  if (!args.Parse(argc, argv)) return 0;
  for (const char* req : {"task", "model", "out"}) {
    if (args.str(req).empty()) throw UsageError(std::string("finetune: --") + req + " is required");
  }
  if (args.list("train").empty()) throw UsageError("finetune: --train FILE is required");
  const bert_task task = ParseTask("finetune", args.str("task"));
  const std::string& model_dir = args.str("model");
  TokenizerPtr tok = LoadTokenizer(args.str("tokenizer").empty() ? model_dir : args.str("tokenizer"));
  LabeledFiles train(args.list("train"), args), eval(args.list("eval"), args);

  // Labels: --labels, else the training data's (unless the model already has this head).
  std::vector<std::string> labels;
  if (!args.str("labels").empty()) {
    labels = SplitComma(args.str("labels"));
  } else {
    char** found = nullptr;
    size_t n = 0;
    Check(bert_trainer_data_labels(&train.data, task, &found, &n), "cannot read the training labels");
    for (size_t i = 0; i < n; ++i) labels.emplace_back(found[i]);
    bert_labels_free(found, n);
  }
  std::vector<const char*> label_ptrs;
  for (const auto& l : labels) label_ptrs.push_back(l.c_str());

  bert_task_params hp;
  Check(BERT_TASK_PARAMS_INIT(&hp), "bertc library");
  hp.task = task;
  hp.seed = static_cast<uint64_t>(args.integer("seed", 0, 1LL << 62));
  if (!args.str("classifier-dropout").empty()) hp.classifier_dropout = args.number("classifier-dropout", 0, 0.999999);
  if (!args.str("dropout").empty()) {
    hp.hidden_dropout_prob = hp.attention_probs_dropout_prob = args.number("dropout", 0, 0.999999);
  }
  ModelPtr model;
  {
    // A checkpoint that already has this head keeps its label map unless --labels says otherwise.
    bert_model* probe = nullptr;
    Check(bert_model_load(model_dir.c_str(), &probe), "cannot load model '" + model_dir + "'");
    ModelPtr existing(probe);
    bert_model_params mp;
    Check(BERT_MODEL_PARAMS_INIT(&mp), "bertc library");
    Check(bert_model_config(existing.get(), &mp), "model");
    const bool same_head = mp.task == task;
    if (!(same_head && args.str("labels").empty())) {
      hp.labels = label_ptrs.data();
      hp.num_labels = label_ptrs.size();
    }
    if (args.flag("random-init")) {
      // The same shape, every weight fresh: the "no pre-training" baseline.
      mp.task = task;
      mp.labels = hp.labels != nullptr ? hp.labels : mp.labels;
      mp.label_lengths = hp.labels != nullptr ? nullptr : mp.label_lengths;
      mp.num_labels = hp.labels != nullptr ? hp.num_labels : mp.num_labels;
      mp.seed = hp.seed;
      if (hp.classifier_dropout >= 0) mp.classifier_dropout = hp.classifier_dropout;
      if (hp.hidden_dropout_prob >= 0) mp.hidden_dropout_prob = hp.hidden_dropout_prob;
      if (hp.attention_probs_dropout_prob >= 0) mp.attention_probs_dropout_prob = hp.attention_probs_dropout_prob;
      bert_model* m = nullptr;
      Check(bert_model_create(&mp, &m), "cannot create the model");
      model.reset(m);
    } else {
      bert_model* m = nullptr;
      Check(bert_model_load_for_task(model_dir.c_str(), &hp, &m), "cannot load model '" + model_dir + "'");
      PrintLibraryWarning();
      model.reset(m);
    }
  }
  const std::vector<std::string> model_labels = ModelLabels(model.get());

  bert_trainer_params tp;
  Check(BERT_TRAINER_PARAMS_INIT(&tp), "bertc library");
  tp.max_length = static_cast<size_t>(args.integer("max-length", 3, 1 << 20));
  tp.batch_size = static_cast<size_t>(args.integer("batch-size", 1, 1 << 20));
  tp.grad_accum = static_cast<size_t>(args.integer("grad-accum", 1, 1 << 20));
  tp.learning_rate = args.number("lr", 0, 10);
  tp.weight_decay = args.number("weight-decay", 0, 10);
  tp.warmup_ratio = args.number("warmup-ratio", 0, 0.999999);
  tp.max_grad_norm = args.number("max-grad-norm", 0, 1e30);
  tp.max_steps = static_cast<uint64_t>(args.integer("max-steps", 0, 1LL << 40));
  tp.num_epochs = args.number("epochs", 0, 1e6);
  tp.logging_steps = static_cast<uint64_t>(args.integer("logging-steps", 0, 1LL << 40));
  tp.eval_steps = static_cast<uint64_t>(args.integer("eval-steps", 0, 1LL << 40));
  tp.save_steps = static_cast<uint64_t>(args.integer("save-steps", 0, 1LL << 40));
  tp.save_total_limit = static_cast<size_t>(args.integer("save-total-limit", 0, 1 << 20));
  tp.load_best_model_at_end = args.flag("load-best-at-end") ? 1 : 0;
  tp.eval_split = args.number("split", 0, 0.9);
  tp.seed = hp.seed;
  tp.threads = static_cast<size_t>(args.integer("threads", 0, 1024));
  tp.grouping = BERT_GROUPING_DYNAMIC;
  const std::string metric = args.str("metric");
  if (metric != "loss" && metric != "accuracy" && metric != "f1") {
    throw UsageError("finetune: --metric must be loss, accuracy or f1");
  }
  tp.metric_for_best_model = metric.c_str();
  const std::string out = args.str("out");
  tp.output_dir = out.c_str();
  FillDistributedParams(args, tp);

  FinetuneProgress progress;
  InstallInterruptHandler();
  bert_trainer* t = nullptr;
  Check(bert_trainer_create(model.get(), tok.get(), &train.data, eval.empty() ? nullptr : &eval.data, &tp, &t),
        "cannot set up fine-tuning");
  TrainerPtr trainer(t);
  PrintLibraryWarning();
  if (!args.str("resume").empty()) {
    const std::string& r = args.str("resume");
    Check(bert_trainer_resume(trainer.get(), r == "latest" ? nullptr : r.c_str()), "cannot resume");
  }
  bert_trainer_info info;
  info.struct_size = sizeof info;
  Check(bert_trainer_get_info(trainer.get(), &info), "trainer");
  progress.quiet = info.rank != 0;
  if (info.rank == 0) std::fprintf(stderr, "bertc: %s with %zu labels, %lld training examples, %lld eval examples, step %lld of %lld\n",
               task == BERT_TASK_SEQUENCE_CLASSIFICATION ? "sequence classification" : "token classification",
               model_labels.size(), static_cast<long long>(info.train_examples),
               static_cast<long long>(info.eval_examples), static_cast<long long>(info.global_step),
               static_cast<long long>(info.total_steps));
  const bert_status st = bert_trainer_train(trainer.get(), OnFinetuneEvent, &progress);
  progress.bar.Finish();
  if (st == BERT_ERR_CANCELLED) {
    const char* path = nullptr;
    Check(bert_trainer_save_checkpoint(trainer.get(), &path), "interrupted, and the checkpoint failed");
    throw ExitError(130, std::string("interrupted: checkpoint written to ") + path +
                             "; continue with the same command plus --resume latest");
  }
  Check(st, "fine-tuning failed");
  if (info.rank != 0) {
    bert_trainer_eval_result ev;  // evaluation is a collective: take part, rank 0 reports
    ev.struct_size = sizeof ev;
    if (info.eval_examples > 0) Check(bert_trainer_evaluate(trainer.get(), &ev), "evaluation failed");
    return 0;
  }
  if (info.eval_examples > 0) {
    bert_trainer_eval_result ev;
    ev.struct_size = sizeof ev;
    Check(bert_trainer_evaluate(trainer.get(), &ev), "evaluation failed");
    if (args.flag("json")) {
      std::printf("{\"loss\":%.6f,\"accuracy\":%.6f,\"f1\":%.6f,\"labels\":%llu,\"examples\":%zu}\n", ev.loss,
                  ev.accuracy, ev.f1, static_cast<unsigned long long>(ev.masked_tokens), ev.examples);
    } else {
      std::printf("final eval: loss %.4f  accuracy %.2f%%  macro-F1 %.2f%% (%llu %s)\n", ev.loss, 100.0 * ev.accuracy,
                  100.0 * ev.f1, static_cast<unsigned long long>(ev.masked_tokens),
                  task == BERT_TASK_SEQUENCE_CLASSIFICATION ? "examples" : "tagged words");
    }
  }
  std::fprintf(stderr, "bertc: model saved to %s (bertc %s --model %s, or transformers' from_pretrained)\n",
               out.c_str(), task == BERT_TASK_SEQUENCE_CLASSIFICATION ? "classify" : "tag", out.c_str());
  return 0;
}

int ClassifyCommand(int argc, char** argv) {
  Args args("classify",
            "Classify texts with a fine-tuned sequence classifier (Hugging Face's text-classification pipeline), or "
            "evaluate it on labelled JSONL (--data: accuracy, macro-F1, confusion matrix).",
            "bertc classify --model DIR [options] [TEXT...]   |   bertc classify --model DIR --data FILE.jsonl");
  args.Option("model", "DIR", "", "fine-tuned model directory")
      .Option("data", "FILE", "", "labelled JSONL to evaluate on instead of classifying TEXT")
      .Option("text-field", "NAME", "text", "--data: field with the text")
      .Option("label-field", "NAME", "label", "--data: field with the gold label")
      .Option("show", "N", "0", "--data: also print the first N texts with gold and predicted labels");
  AddInferenceOptions(args);
  args.Positional("TEXT...", "texts (default: lines of stdin)", true);
  if (!args.Parse(argc, argv)) return 0;
  if (args.str("model").empty()) throw UsageError("classify: --model DIR is required");
  ModelPtr model = LoadModel(args.str("model"));
  TokenizerPtr tok = LoadTokenizer(args.str("tokenizer").empty() ? args.str("model") : args.str("tokenizer"));
  const bert_classify_params p = InferenceParams(args);
  const std::vector<std::string> labels = ModelLabels(model.get());

  std::vector<std::string> texts, gold;
  const bool evaluate = !args.str("data").empty();
  if (evaluate) {
    const std::string& tf = args.str("text-field");
    const std::string& lf = args.str("label-field");
    for (const auto& j : ReadJsonl(args.str("data"))) {
      if (!j.contains(tf) || !j[tf].is_string() || !j.contains(lf)) {
        throw ExitError(1, "classify: a line of " + args.str("data") + " lacks '" + tf + "' or '" + lf + "'");
      }
      texts.push_back(j[tf].get<std::string>());
      gold.push_back(LabelOf(j[lf]));
    }
  } else {
    texts = InputLines(args);
  }
  if (texts.empty()) throw UsageError("classify: no input text");
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& s : texts) {
    ptrs.push_back(s.data());
    lens.push_back(s.size());
  }
  bert_classify_result* r = nullptr;
  Check(bert_classify(model.get(), tok.get(), ptrs.data(), lens.data(), ptrs.size(), &p, &r), "classify failed");
  ClassifyResultPtr result(r);
  const bool json = args.flag("json");
  if (!evaluate) {
    for (size_t i = 0; i < texts.size(); ++i) {
      bert_classification c;
      c.struct_size = sizeof c;
      Check(bert_classify_result_get(result.get(), i, &c), "classify result");
      if (json) {
        std::string out = "{\"text\":" + JsonString(texts[i]) + ",\"label\":" + JsonString(c.label_name) +
                          ",\"score\":" + std::to_string(c.score) + ",\"scores\":{";
        for (size_t k = 0; k < c.num_labels; ++k) {
          char num[32];
          std::snprintf(num, sizeof num, "%.6g", c.scores[k]);
          out += (k ? "," : "") + JsonString(labels[k]) + ":" + num;
        }
        std::printf("%s}}\n", out.c_str());
      } else {
        std::printf("%s\t%.4f\t%s\n", c.label_name, c.score, texts[i].c_str());
      }
    }
    return 0;
  }
  Scores s(labels.size());
  std::vector<std::string> all_labels = labels;
  long long unknown = 0;
  const long long show = args.integer("show", 0, 1LL << 40);
  for (size_t i = 0; i < texts.size(); ++i) {
    bert_classification c;
    c.struct_size = sizeof c;
    Check(bert_classify_result_get(result.get(), i, &c), "classify result");
    s.Add(GoldIndex(gold[i], all_labels, s, labels.size(), unknown), c.label);
    if (static_cast<long long>(i) < show && !json) {
      std::printf("%-12s -> %-12s %.3f  %s\n", gold[i].c_str(), c.label_name, c.score, texts[i].c_str());
    }
  }
  ReportUnknown("classify", unknown, all_labels, labels.size());
  if (json) {
    std::string out = "{\"examples\":" + std::to_string(s.Total()) + ",\"accuracy\":" + std::to_string(s.Accuracy()) +
                      ",\"macro_f1\":" + std::to_string(s.MacroF1()) + ",\"unknown_gold\":" + std::to_string(unknown) +
                      ",\"labels\":[";
    for (size_t k = 0; k < all_labels.size(); ++k) out += (k ? "," : "") + JsonString(all_labels[k]);
    out += "],\"confusion\":[";
    for (size_t g = 0; g < s.n; ++g) {
      out += g ? ",[" : "[";
      for (size_t q = 0; q < s.n; ++q) out += (q ? "," : "") + std::to_string(s.counts[g * s.n + q]);
      out += "]";
    }
    std::printf("%s]}\n", out.c_str());
  } else {
    std::printf("examples %lld  accuracy %.2f%%  macro-F1 %.2f%%\n", s.Total(), 100.0 * s.Accuracy(),
                100.0 * s.MacroF1());
    PrintConfusion(s, all_labels);
  }
  return 0;
}

int TagCommand(int argc, char** argv) {
  Args args("tag",
            "Tag the words of texts with a fine-tuned token classifier (Hugging Face's token-classification pipeline, "
            "aggregation \"first\"), or evaluate it on JSONL words/tags (--data: token accuracy, macro-F1).",
            "bertc tag --model DIR [options] [TEXT...]   |   bertc tag --model DIR --data FILE.jsonl");
  args.Option("model", "DIR", "", "fine-tuned model directory")
      .Option("data", "FILE", "", "JSONL with words and gold tags to evaluate on")
      .Option("words-field", "NAME", "words", "--data: field with the words")
      .Option("tags-field", "NAME", "tags", "--data: field with the gold tags");
  AddInferenceOptions(args);
  args.Positional("TEXT...", "texts (default: lines of stdin)", true);
  if (!args.Parse(argc, argv)) return 0;
  if (args.str("model").empty()) throw UsageError("tag: --model DIR is required");
  ModelPtr model = LoadModel(args.str("model"));
  TokenizerPtr tok = LoadTokenizer(args.str("tokenizer").empty() ? args.str("model") : args.str("tokenizer"));
  const bert_classify_params p = InferenceParams(args);
  const std::vector<std::string> labels = ModelLabels(model.get());
  const bool json = args.flag("json");

  if (!args.str("data").empty()) {
    const std::string& wf = args.str("words-field");
    const std::string& tf = args.str("tags-field");
    std::vector<std::string> words;
    std::vector<std::vector<std::string>> gold;
    std::vector<size_t> counts;
    for (const auto& j : ReadJsonl(args.str("data"))) {
      if (!j.contains(wf) || !j[wf].is_array() || !j.contains(tf) || !j[tf].is_array() || j[wf].size() != j[tf].size()) {
        throw ExitError(1, "tag: a line of " + args.str("data") + " lacks '" + wf + "'/'" + tf +
                               "' arrays of equal length");
      }
      counts.push_back(j[wf].size());
      gold.emplace_back();
      for (size_t k = 0; k < j[wf].size(); ++k) {
        words.push_back(j[wf][k].is_string() ? j[wf][k].get<std::string>() : j[wf][k].dump());
        gold.back().push_back(LabelOf(j[tf][k]));
      }
    }
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& w : words) {
      ptrs.push_back(w.data());
      lens.push_back(w.size());
    }
    bert_tag_result* r = nullptr;
    Check(bert_tag_words(model.get(), tok.get(), ptrs.data(), lens.data(), counts.data(), counts.size(), &p, &r),
          "tag failed");
    TagResultPtr result(r);
    Scores s(labels.size());
    std::vector<std::string> all_labels = labels;
    long long unknown = 0;
    for (size_t t = 0; t < counts.size(); ++t) {
      for (size_t k = 0; k < bert_tag_result_num_words(result.get(), t); ++k) {
        bert_tagged_word w;
        w.struct_size = sizeof w;
        Check(bert_tag_result_get_word(result.get(), t, k, &w), "tag result");
        s.Add(GoldIndex(gold[t][w.word_index], all_labels, s, labels.size(), unknown), w.label);
      }
    }
    ReportUnknown("tag", unknown, all_labels, labels.size());
    if (json) {
      std::printf("{\"words\":%lld,\"accuracy\":%.6f,\"macro_f1\":%.6f,\"unknown_gold\":%lld}\n", s.Total(),
                  s.Accuracy(), s.MacroF1(), unknown);
    } else {
      std::printf("tagged words %lld  token accuracy %.2f%%  macro-F1 over tags %.2f%%\n", s.Total(),
                  100.0 * s.Accuracy(), 100.0 * s.MacroF1());
    }
    return 0;
  }
  const std::vector<std::string> texts = InputLines(args);
  if (texts.empty()) throw UsageError("tag: no input text");
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& s : texts) {
    ptrs.push_back(s.data());
    lens.push_back(s.size());
  }
  bert_tag_result* r = nullptr;
  Check(bert_tag(model.get(), tok.get(), ptrs.data(), lens.data(), ptrs.size(), &p, &r), "tag failed");
  TagResultPtr result(r);
  for (size_t t = 0; t < texts.size(); ++t) {
    std::string out = json ? "{\"text\":" + JsonString(texts[t]) + ",\"words\":[" : std::string();
    for (size_t k = 0; k < bert_tag_result_num_words(result.get(), t); ++k) {
      bert_tagged_word w;
      w.struct_size = sizeof w;
      Check(bert_tag_result_get_word(result.get(), t, k, &w), "tag result");
      if (json) {
        char num[32];
        std::snprintf(num, sizeof num, "%.6g", w.score);
        out += std::string(k ? "," : "") + "{\"word\":" + JsonString(w.word) + ",\"tag\":" + JsonString(w.label_name) +
               ",\"score\":" + num + ",\"start\":" + std::to_string(w.start) + ",\"end\":" + std::to_string(w.end) + "}";
      } else {
        out += std::string(k ? " " : "") + w.word + "/" + w.label_name;
      }
    }
    if (json) {
      out += "],\"groups\":[";
      for (size_t g = 0; g < bert_tag_result_num_groups(result.get(), t); ++g) {
        bert_tag_group grp;
        grp.struct_size = sizeof grp;
        Check(bert_tag_result_get_group(result.get(), t, g, &grp), "tag result");
        char num[32];
        std::snprintf(num, sizeof num, "%.6g", grp.score);
        out += std::string(g ? "," : "") + "{\"entity_group\":" + JsonString(grp.label_name) +
               ",\"score\":" + num + ",\"word\":" + JsonString(grp.text) + ",\"start\":" + std::to_string(grp.start) +
               ",\"end\":" + std::to_string(grp.end) + "}";
      }
      out += "]}";
    }
    std::printf("%s\n", out.c_str());
  }
  return 0;
}

}  // namespace bertc::cli
