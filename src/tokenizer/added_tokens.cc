#include "tokenizer/added_tokens.h"

#include <algorithm>
#include <deque>

namespace bertc::tok {

namespace {

// Adds `bytes` to a trie of nodes with sorted-or-not edge lists; returns the final node.
template <class Node>
uint32_t Insert(std::vector<Node>* nodes, const std::string& bytes, bool reversed) {
  uint32_t node = 0;
  const size_t n = bytes.size();
  for (size_t k = 0; k < n; ++k) {
    const auto b = static_cast<unsigned char>(bytes[reversed ? n - 1 - k : k]);
    uint32_t nx = 0;
    for (const auto& [byte, child] : (*nodes)[node].next) {
      if (byte == b) nx = child;
    }
    if (nx == 0) {
      nx = static_cast<uint32_t>(nodes->size());
      nodes->emplace_back();
      (*nodes)[node].next.push_back({b, nx});
    }
    node = nx;
  }
  return node;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) : nodes_(1), rev_(1) {
  for (const AddedToken& t : tokens) {
    if (t.content.empty()) continue;
    nodes_[Insert(&nodes_, t.content, false)].id = t.id;
    RevNode& r = rev_[Insert(&rev_, t.content, true)];
    r.id = t.id;
    r.len = static_cast<uint32_t>(t.content.size());
    first_byte_[static_cast<unsigned char>(t.content[0])] = true;
  }
  // Aho-Corasick over the reversed tokens: fail links, and per state the longest token that is a
  // suffix of it (its own, or its fail state's).
  std::deque<uint32_t> queue;
  for (const auto& [byte, child] : rev_[0].next) {
    (void)byte;
    rev_[child].fail = 0;
    queue.push_back(child);
  }
  while (!queue.empty()) {
    const uint32_t u = queue.front();
    queue.pop_front();
    if (rev_[u].id < 0) {
      rev_[u].id = rev_[rev_[u].fail].id;
      rev_[u].len = rev_[rev_[u].fail].len;
    }
    for (const auto& [byte, v] : rev_[u].next) {
      uint32_t f = rev_[u].fail;
      while (f != 0 && RevNext(f, byte) == 0) f = rev_[f].fail;
      const uint32_t t = RevNext(f, byte);
      rev_[v].fail = t == v ? 0 : t;
      queue.push_back(v);
    }
  }
  for (auto& n : rev_) std::sort(n.next.begin(), n.next.end());
}

uint32_t AddedTokenMatcher::Next(uint32_t node, unsigned char b) const {
  for (const auto& [byte, child] : nodes_[node].next) {
    if (byte == b) return child;
  }
  return 0;
}

uint32_t AddedTokenMatcher::RevNext(uint32_t node, unsigned char b) const {
  for (const auto& [byte, child] : rev_[node].next) {
    if (byte == b) return child;
  }
  return 0;
}

void AddedTokenMatcher::FindAll(std::string_view text, std::vector<AddedMatch>* out) const {
  if (empty()) return;
  const size_t n = text.size();
  const size_t mark = out->size();
  // Fast path: walk the trie from every position whose byte can start a token. Usually a few
  // bytes per candidate; a budget bounds the worst case (a long token that almost matches at every
  // position), after which the linear scan below takes over.
  size_t budget = 8 * n + 256;
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
      if (budget-- == 0) {
        out->resize(mark);
        FindAllLinear(text, out);
        return;
      }
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

void AddedTokenMatcher::FindAllLinear(std::string_view text, std::vector<AddedMatch>* out) const {
  // The longest token starting at each position, from one right-to-left Aho-Corasick pass over the
  // reversed tokens (a token starting at i is a reversed token ending there), then the same greedy
  // leftmost-longest choice as the fast path. O(text + tokens).
  const size_t n = text.size();
  std::vector<uint32_t> longest(n, 0);
  std::vector<int32_t> id_at(n, -1);
  uint32_t state = 0;
  for (size_t k = n; k-- > 0;) {
    const auto b = static_cast<unsigned char>(text[k]);
    uint32_t nx;
    while ((nx = RevNext(state, b)) == 0 && state != 0) state = rev_[state].fail;
    state = nx;
    if (rev_[state].id >= 0) {
      longest[k] = rev_[state].len;
      id_at[k] = rev_[state].id;
    }
  }
  for (size_t i = 0; i < n;) {
    if (longest[i] > 0) {
      out->push_back({i, i + longest[i], id_at[i]});
      i += longest[i];
    } else {
      ++i;
    }
  }
}

}  // namespace bertc::tok
