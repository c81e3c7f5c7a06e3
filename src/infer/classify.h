// Inference with classification heads, with the semantics of Hugging Face's pipelines:
//   Classify  pipeline("text-classification", top_k=None): softmax over the labels of the
//             sequence classifier's logits, for a batch of texts.
//   Tag       pipeline("token-classification", aggregation_strategy="first"): words are a token
//             followed by its subword tokens (a token is a subword when its string length differs
//             from the length of the text it covers, i.e. a "##" piece; [UNK] never is); each word
//             takes the label of its first token (score = that label's probability there); adjacent
//             words with the same tag (B-/I- prefixes stripped, a B- starts a new group) form groups
//             scored by the mean of their words, and groups labelled "O" are dropped (ignore_labels).
//   TagWords  the same on pre-split words (HF is_split_into_words / word_ids()): each word is
//             tokenized on its own and labelled by its first piece.
//
// All functions are const on the model: they run under c10::InferenceMode without dropout and may be
// called from many threads on one model at once.
#ifndef BERTC_INFER_CLASSIFY_H_
#define BERTC_INFER_CLASSIFY_H_

#include <cstddef>
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

struct ClassifyOptions {
  int batch_size = 32;      // texts per forward pass (length-sorted, padded to the longest)
  int max_length = 0;       // tokens per text incl. [CLS]/[SEP]; 0 = max_position_embeddings
  bool truncation = false;  // false: a longer text is an InvalidArgument error (as HF's pipeline)
  int threads = 0;          // intra-op threads of this call (0 = default)
};

struct Classification {
  int64_t label = 0;            // argmax (the first on ties)
  std::vector<double> scores;   // softmax probability per label id
  std::vector<double> logits;   // raw logits per label id
};

// Throws InvalidArgument (not a sequence classifier; vocabulary mismatch; too long without
// truncation; bad options), Utf8Error (naming the text), LimitError.
std::vector<Classification> Classify(const model::BertImpl& model, const tok::Tokenizer& tokenizer,
                                     const std::vector<std::string_view>& texts, const ClassifyOptions& options);

struct TaggedWord {
  size_t start = 0, end = 0;  // bytes of the word in the text (TagWords: in the words joined by ' ')
  size_t word_index = 0;      // Tag: index among the words found; TagWords: index of the input word
  int64_t label = 0;
  double score = 0;
};

struct TagGroup {
  size_t start = 0, end = 0;  // bytes, first word's start to last word's end
  size_t first_word = 0, num_words = 0;  // into TagResult::words
  std::string label;          // tag without its B-/I- prefix (HF entity_group)
  double score = 0;           // mean of the words' scores
};

struct TagResult {
  std::vector<TaggedWord> words;
  std::vector<TagGroup> groups;
};

// Throws like Classify (the model must be a token classifier).
std::vector<TagResult> Tag(const model::BertImpl& model, const tok::Tokenizer& tokenizer,
                           const std::vector<std::string_view>& texts, const ClassifyOptions& options);
// texts[i] is a list of words. Words that tokenize to nothing (or, with truncation, lie beyond
// max_length) are not listed.
std::vector<TagResult> TagWords(const model::BertImpl& model, const tok::Tokenizer& tokenizer,
                                const std::vector<std::vector<std::string_view>>& texts,
                                const ClassifyOptions& options);

// HF's grouping of tagged words (exposed for tests): `labels` are the label names by id.
std::vector<TagGroup> GroupWords(const std::vector<TaggedWord>& words, const std::vector<std::string>& labels);

}  // namespace bertc::infer

#endif  // BERTC_INFER_CLASSIFY_H_
