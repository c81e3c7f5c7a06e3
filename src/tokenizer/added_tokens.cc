#include "tokenizer/added_tokens.h"

namespace bertc::tok {

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) : nodes_(1) {
  for (const AddedToken& t : tokens) {
    if (t.content.empty()) continue;
    uint32_t node = 0;
    for (const char ch : t.content) {
      const auto b = static_cast<unsigned char>(ch);
      uint32_t nx = Next(node, b);
      if (nx == 0) {
        nx = static_cast<uint32_t>(nodes_.size());
        nodes_.emplace_back();
        nodes_[node].next.push_back({b, nx});
      }
      node = nx;
    }
    nodes_[node].id = t.id;
    first_byte_[static_cast<unsigned char>(t.content[0])] = true;
  }
}

uint32_t AddedTokenMatcher::Next(uint32_t node, unsigned char b) const {
  for (const auto& [byte, child] : nodes_[node].next) {
    if (byte == b) return child;
  }
  return 0;
}

void AddedTokenMatcher::FindAll(std::string_view text, std::vector<AddedMatch>* out) const {
  if (empty()) return;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (!first_byte_[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    uint32_t node = 0;
    size_t best_end = 0;
    int32_t best_id = -1;
    for (size_t j = i; j < n; ++j) {
      node = Next(node, static_cast<unsigned char>(text[j]));
      if (node == 0) break;
      if (nodes_[node].id >= 0) {
        best_end = j + 1;
        best_id = nodes_[node].id;
      }
    }
    if (best_id >= 0) {
      out->push_back({i, best_end, best_id});
      i = best_end;
    } else {
      ++i;
    }
  }
}

}  // namespace bertc::tok
