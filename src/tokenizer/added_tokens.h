// Added (special) tokens: strings such as [MASK] or <S> that are matched whole in the RAW input,
// before normalization, and are never split. Matching is leftmost-longest, like HF's
// AddedVocabulary (Aho-Corasick, LeftmostLongest).
#ifndef BERTC_TOKENIZER_ADDED_TOKENS_H_
#define BERTC_TOKENIZER_ADDED_TOKENS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertc::tok {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = true;
  // Stored for the tokenizer.json round trip; bertc matches every added token on the raw text.
  bool normalized = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
};

// A match of an added token in a text: bytes [start, end) are token `id`.
struct AddedMatch {
  size_t start;
  size_t end;
  int32_t id;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);

  bool empty() const { return nodes_.size() <= 1; }
  // Appends the matches in `text`, left to right, non-overlapping, longest at each start. O(text +
  // tokens) whatever the tokens (a long token that almost matches everywhere included).
  void FindAll(std::string_view text, std::vector<AddedMatch>* out) const;

 private:
  struct Node {
    int32_t id = -1;
    std::vector<std::pair<unsigned char, uint32_t>> next;
  };
  // Aho-Corasick state over the reversed tokens: the longest token that is a suffix of the state.
  struct RevNode {
    int32_t id = -1;
    uint32_t len = 0;
    uint32_t fail = 0;
    std::vector<std::pair<unsigned char, uint32_t>> next;
  };
  uint32_t Next(uint32_t node, unsigned char b) const;
  uint32_t RevNext(uint32_t node, unsigned char b) const;
  void FindAllLinear(std::string_view text, std::vector<AddedMatch>* out) const;
  std::vector<Node> nodes_;
  std::vector<RevNode> rev_;
  bool first_byte_[256] = {};
};

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_ADDED_TOKENS_H_
