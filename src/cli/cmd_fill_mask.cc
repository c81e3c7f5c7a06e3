// bertc fill-mask: top-k predictions for every [MASK] of each input text.
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bertc.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/pretrain_common.h"

namespace bertc::cli {
namespace {

struct ResultDeleter {
  void operator()(bert_fill_mask_result* r) const { bert_fill_mask_result_free(r); }
};

}  // namespace

int FillMaskCommand(int argc, char** argv) {
  Args args("fill-mask", "Predict the words hidden behind [MASK] (top-k with probabilities), like Hugging Face's fill-mask pipeline.",
            "bertc fill-mask --model DIR [--tokenizer DIR] [options] [TEXT...]");
  args.Option("model", "DIR", "", "model directory (config.json + model.safetensors)")
      .Option("tokenizer", "DIR", "", "tokenizer directory (default: the model directory)")
      .Option("top-k", "N", "5", "predictions per [MASK]")
      .Multi("targets", "WORD", "restrict predictions to these words")
      .Flag("expand-targets", false, "score multi-piece targets jointly over several [MASK]s (beyond HF)")
      .Flag("json", false, "one JSON object per input")
      .Option("threads", "N", "0", "threads (0 = all cores)")
      .Positional("TEXT...", "texts with [MASK] (default: lines of stdin)", true);
  if (!args.Parse(argc, argv)) return 0;
  if (args.str("model").empty()) throw UsageError("fill-mask: --model DIR is required");
  bert_fill_mask_params p;
  Check(BERT_FILL_MASK_PARAMS_INIT(&p), "bertc library");
  p.top_k = static_cast<int>(args.integer("top-k", 1, 1 << 24));
  p.threads = static_cast<size_t>(args.integer("threads", 0, 1024));
  p.expand_multi_piece_targets = args.flag("expand-targets") ? 1 : 0;
  std::vector<const char*> targets;
  for (const auto& t : args.list("targets")) targets.push_back(t.c_str());
  if (!targets.empty()) {
    p.targets = targets.data();
    p.num_targets = targets.size();
  }
  std::vector<std::string> texts = args.positional();
  if (texts.empty()) {
    std::istringstream in(ReadStdin());
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) texts.push_back(line);
    }
  }
  if (texts.empty()) throw UsageError("fill-mask: no input text (give TEXT or lines on stdin)");

  ModelPtr model = LoadModel(args.str("model"));
  TokenizerPtr tok = LoadTokenizer(args.str("tokenizer").empty() ? args.str("model") : args.str("tokenizer"));

  std::vector<const char*> ptrs;
  for (const auto& s : texts) ptrs.push_back(s.c_str());
  bert_fill_mask_result* r = nullptr;
  Check(bert_fill_mask_batch(model.get(), tok.get(), ptrs.data(), nullptr, ptrs.size(), &p, &r), "fill-mask failed");
  std::unique_ptr<bert_fill_mask_result, ResultDeleter> result(r);

  const bool json = args.flag("json");
  for (size_t q = 0; q < bert_fill_mask_result_num_queries(result.get()); ++q) {
    std::string out = json ? "{\"text\":" + JsonString(texts[q]) + ",\"masks\":[" : texts[q] + "\n";
    const size_t masks = bert_fill_mask_result_num_masks(result.get(), q);
    for (size_t mi = 0; mi < masks; ++mi) {
      if (json) out += (mi ? ",[" : "[");
      else if (masks > 1) out += "  [MASK] #" + std::to_string(mi + 1) + "\n";
      const size_t n = bert_fill_mask_result_num_predictions(result.get(), q, mi);
      for (size_t k = 0; k < n; ++k) {
        bert_fill_mask_prediction pred;
        pred.struct_size = sizeof pred;
        Check(bert_fill_mask_result_get(result.get(), q, mi, k, &pred), "fill-mask result");
        char score[32];
        std::snprintf(score, sizeof score, json ? "%.6g" : "%.4f", pred.score);
        if (json) {
          out += std::string(k ? "," : "") + "{\"score\":" + score + ",\"token\":" + std::to_string(pred.token_id) +
                 ",\"token_str\":" + JsonString(pred.token) + ",\"sequence\":" + JsonString(pred.sequence) + "}";
        } else {
          char line[512];
          std::snprintf(line, sizeof line, "  %zu. %-16s %s   %s\n", k + 1, pred.token, score, pred.sequence);
          out += line;
        }
      }
      if (json) out += "]";
    }
    if (json) out += "]}\n";
    std::fputs(out.c_str(), stdout);
  }
  return 0;
}

}  // namespace bertc::cli
