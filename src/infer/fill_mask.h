// Fill-mask and pseudo-log-likelihood scoring on a BertForMaskedLM, with the semantics of Hugging
// Face's pipeline('fill-mask') (transformers 4.49 FillMaskPipeline) plus two extensions:
// multi-piece targets scored jointly, and ScoreTexts().
//
// All functions are const on the model: they run under c10::InferenceMode without dropout, never
// touch train()/eval(), and so may be called from many threads on one model at once.
#ifndef BERTC_INFER_FILL_MASK_H_
#define BERTC_INFER_FILL_MASK_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertc::tok {
class Tokenizer;
}
namespace bertc::model {
class BertImpl;
}

namespace bertc::infer {

struct FillMaskOptions {
  int top_k = 5;  // must be in [1, vocab_size]; with targets it is capped at their number (as HF)
  // Restrict predictions to these words. As HF: a word found verbatim in the vocabulary is used as is;
  // otherwise it is tokenized and (unless expand_multi_piece_targets) only its first piece is used;
  // duplicates are merged. Scores stay softmax probabilities over the whole vocabulary.
  std::vector<std::string> targets;
  // Beyond HF: a target that splits into k > 1 pieces is scored by expanding its [MASK] into k
  // [MASK]s and predicting the pieces left to right, each conditioned on the ones before; its score
  // is the product of the k probabilities (a joint probability, comparable with one-piece scores).
  bool expand_multi_piece_targets = false;
  // Intra-op threads for this call on the calling OS thread (0 = model::DefaultIntraOpThreads()).
  // Restored when the call returns; other threads are not affected.
  int threads = 0;
};

struct FillMaskPrediction {
  double score = 0;                // probability (joint for an expanded multi-piece target)
  int32_t token_id = -1;           // HF "token" (first piece of an expanded target)
  std::string token;               // HF "token_str": decode([token]) (the whole word when expanded)
  std::string sequence;            // HF "sequence": the input with this prediction filled in
  std::vector<int32_t> token_ids;  // all pieces (one unless expanded)
};

// One query: for each [MASK] in the text (in order), the top-k predictions, best first.
struct FillMaskResult {
  std::vector<std::vector<FillMaskPrediction>> masks;
};

// Throws Error(kInvalidArgument): no [MASK] in the text (HF: PipelineException), more tokens than
// max_position_embeddings (HF fails as well; nothing is truncated), top_k outside [1, vocab], no
// usable target, tokenizer/model vocabulary size mismatch, a tokenizer without [MASK].
// Error(kInvalidUtf8) for invalid text.
FillMaskResult FillMask(const model::BertImpl& model, const tok::Tokenizer& tokenizer, std::string_view text,
                        const FillMaskOptions& options);

// Several queries, run as padded batches. Results are in input order; any bad query fails the call.
std::vector<FillMaskResult> FillMaskBatch(const model::BertImpl& model, const tok::Tokenizer& tokenizer,
                                          const std::vector<std::string_view>& texts, const FillMaskOptions& options);

struct TextScore {
  double log_likelihood = 0;  // sum over tokens of log P(token | text with that token masked), natural log
  size_t num_tokens = 0;      // tokens scored ([CLS]/[SEP] excluded)
};

// Pseudo-log-likelihood (Salazar et al. 2020) of each text: every token is masked in turn and its
// log-probability summed; all masked copies run in batches of `batch_rows`. An empty text scores 0
// over 0 tokens. Same errors as FillMask (except the [MASK] requirement).
std::vector<TextScore> ScoreTexts(const model::BertImpl& model, const tok::Tokenizer& tokenizer,
                                  const std::vector<std::string_view>& texts, int threads = 0, int batch_rows = 64);

}  // namespace bertc::infer

#endif  // BERTC_INFER_FILL_MASK_H_
