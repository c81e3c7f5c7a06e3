// The WordPiece model: a vocabulary and a linear-time greedy longest-match-first encoder.
//
// Encoding is LinMaxMatch (Song et al. 2021, "Fast WordPiece Tokenization"): a byte trie over the
// vocabulary with failure links and failure pops, so a word of n bytes is segmented in O(n) trie
// steps with no backtracking, and the result equals HF's greedy MaxMatch exactly (including
// falling back to a single [UNK] for the whole word when some suffix cannot be matched).
// Encode() allocates nothing beyond growing the caller's output vector.
#ifndef BERTC_TOKENIZER_WORDPIECE_H_
#define BERTC_TOKENIZER_WORDPIECE_H_

#include <absl/container/flat_hash_map.h>
#include <absl/strings/string_view.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertc::tok {

// Token strings <-> ids (id = position). Immutable after construction.
class Vocab {
 public:
  Vocab() = default;
  // Throws FormatError on an empty vocabulary. Duplicate strings keep the LAST id for lookup
  // (as HF does when it reads vocab.txt) but every line keeps its id.
  explicit Vocab(std::vector<std::string> tokens);

  size_t size() const { return tokens_.size(); }
  // -1 when absent.
  int32_t Find(std::string_view token) const {
    auto it = ids_.find(absl::string_view(token.data(), token.size()));
    return it == ids_.end() ? -1 : it->second;
  }
  const std::string& Token(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }
  bool ValidId(int32_t id) const { return id >= 0 && static_cast<size_t>(id) < tokens_.size(); }
  // A valid id whose string maps back to it: not an earlier line of a repeated token (a hole, as in
  // HF, where such an id has no token: decode skips it).
  bool Present(int32_t id) const { return ValidId(id) && Find(Token(id)) == id; }
  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  std::vector<std::string> tokens_;
  absl::flat_hash_map<std::string, int32_t> ids_;
};

// One output piece of a word: its id and its byte range inside the word.
struct WordPiece {
  int32_t id;
  uint32_t start;
  uint32_t end;
};

class WordPieceModel {
 public:
  struct Options {
    std::string unk_token = "[UNK]";
    std::string continuing_subword_prefix = "##";
    size_t max_input_chars_per_word = 100;
  };

  // Throws FormatError when unk_token is not in the vocabulary.
  WordPieceModel(const Vocab& vocab, Options options);

  const Options& options() const { return options_; }
  int32_t unk_id() const { return unk_id_; }

  // Appends the pieces of `word` (normalized UTF-8, `chars` code points) to `out`.
  void Encode(std::string_view word, size_t chars, std::vector<WordPiece>* out) const;

  // Reference greedy MaxMatch exactly as HF writes it (quadratic; used by tests).
  void EncodeGreedy(std::string_view word, std::vector<WordPiece>* out) const;

 private:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  struct Node {
    uint32_t fail = kNone;     // failure link
    uint32_t pops_begin = 0;   // failure pops: parts_[pops_begin, pops_begin + pops_len)
    uint32_t pops_len = 0;
    int32_t token = -1;        // id when the path to this node is a vocabulary token
    uint32_t token_len = 0;    // bytes of the word the token consumes
    uint32_t edge_begin = 0;   // edges in edge_bytes_/edge_child_ (after Freeze)
    uint32_t edge_count = 0;
    uint32_t dense = kNone;    // after Freeze, nodes with many edges: 256 children at dense_[dense * 256]
  };
  static constexpr uint32_t kDenseMinEdges = 8;
  // One element of a failure-pops list: a token (id, bytes it consumes), or kRef: all the pops of
  // node `len`, in order.
  struct Part {
    static constexpr int32_t kRef = -1;
    int32_t id;
    uint32_t len;
  };

  uint32_t Child(uint32_t node, unsigned char byte) const {
    if (frozen_) {
      // Frozen: both roots and every busy node have a dense table; the others keep their edges
      // contiguous and sorted by byte (cache-friendly, no hashing).
      const Node& n = nodes_[node];
      if (n.dense != kNone) return dense_[static_cast<size_t>(n.dense) * 256 + byte];
      const unsigned char* b = edge_bytes_.data() + n.edge_begin;
      for (uint32_t k = 0; k < n.edge_count; ++k) {
        if (b[k] == byte) return edge_child_[n.edge_begin + k];
        if (b[k] > byte) break;
      }
      return kNone;
    }
    if (node == root_) return root_children_[byte];
    if (node == suffix_root_) return suffix_children_[byte];
    auto it = edges_.find((static_cast<uint64_t>(node) << 8) | byte);
    return it == edges_.end() ? kNone : it->second;
  }
  uint32_t AddChild(uint32_t node, unsigned char byte, std::vector<std::vector<std::pair<unsigned char, uint32_t>>>* kids);
  void Build();

  const Vocab* vocab_;
  Options options_;
  int32_t unk_id_ = -1;
  uint32_t root_ = 0;
  uint32_t suffix_root_ = 1;  // the state after a complete piece: matches continuation pieces
  std::vector<Node> nodes_;
  std::vector<Part> parts_;
  uint32_t root_children_[256];
  uint32_t suffix_children_[256];
  absl::flat_hash_map<uint64_t, uint32_t> edges_;  // while building
  bool frozen_ = false;
  std::vector<unsigned char> edge_bytes_;
  std::vector<uint32_t> edge_child_;
  std::vector<uint32_t> dense_;
};

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_WORDPIECE_H_
