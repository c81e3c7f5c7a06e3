#include "tokenizer/wordpiece.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "common/error.h"

namespace bertc::tok {

Vocab::Vocab(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  if (tokens_.empty()) throw FormatError("the vocabulary is empty");
  if (tokens_.size() > 0x7FFFFFFF) throw FormatError("the vocabulary has more than 2^31 tokens");
  ids_.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) ids_[tokens_[i]] = static_cast<int32_t>(i);
}

WordPieceModel::WordPieceModel(const Vocab& vocab, Options options) : vocab_(&vocab), options_(std::move(options)) {
  unk_id_ = vocab.Find(options_.unk_token);
  if (unk_id_ < 0) throw FormatError("the unknown token '" + options_.unk_token + "' is not in the vocabulary");
  Build();
}

uint32_t WordPieceModel::AddChild(uint32_t node, unsigned char byte,
                                  std::vector<std::vector<std::pair<unsigned char, uint32_t>>>* kids) {
  uint32_t child = Child(node, byte);
  if (child != kNone) return child;
  child = static_cast<uint32_t>(nodes_.size());
  nodes_.emplace_back();
  kids->emplace_back();
  if (node == root_) {
    root_children_[byte] = child;
  } else if (node == suffix_root_) {
    suffix_children_[byte] = child;
  } else {
    edges_[(static_cast<uint64_t>(node) << 8) | byte] = child;
  }
  (*kids)[node].push_back({byte, child});
  return child;
}

void WordPieceModel::Build() {
  for (auto& c : root_children_) c = kNone;
  for (auto& c : suffix_children_) c = kNone;
  nodes_.assign(2, Node{});
  std::vector<std::vector<std::pair<unsigned char, uint32_t>>> kids(2);
  const std::string& prefix = options_.continuing_subword_prefix;
  // Every token is reachable from the root (a word may start with any token, even "##x"); tokens
  // with the prefix are also reachable, prefix stripped, from the suffix root.
  for (size_t id = 0; id < vocab_->size(); ++id) {
    const auto tid = static_cast<int32_t>(id);
    const std::string& t = vocab_->Token(tid);
    if (t.empty() || vocab_->Find(t) != tid) continue;  // duplicates: the last one wins, as in lookup
    uint32_t node = root_;
    for (const char ch : t) node = AddChild(node, static_cast<unsigned char>(ch), &kids);
    nodes_[node].token = tid;
    nodes_[node].token_len = static_cast<uint32_t>(t.size());
    if (!prefix.empty() && t.size() > prefix.size() && t.compare(0, prefix.size(), prefix) == 0) {
      node = suffix_root_;
      for (size_t k = prefix.size(); k < t.size(); ++k) node = AddChild(node, static_cast<unsigned char>(t[k]), &kids);
      nodes_[node].token = tid;
      nodes_[node].token_len = static_cast<uint32_t>(t.size() - prefix.size());
    }
  }
  // Breadth-first: failure links and pops (LinMaxMatch, Algorithm 2). A token node fails to the
  // suffix root popping itself; any other node inherits its parent's pops and follows the parent's
  // failure chain until some state has an edge on the same byte.
  std::deque<uint32_t> queue;
  for (const uint32_t r : {root_, suffix_root_}) {
    for (auto [byte, child] : kids[r]) {
      (void)byte;
      queue.push_back(child);
    }
  }
  // Children of both roots: token -> (suffix_root, [self]); otherwise no failure link.
  auto own_pop = [&](Node& n) {
    n.fail = suffix_root_;
    n.pops_begin = static_cast<uint32_t>(parts_.size());
    n.pops_len = 1;
    parts_.push_back({n.token, n.token_len});
  };
  for (const uint32_t c : queue) {
    if (nodes_[c].token >= 0) own_pop(nodes_[c]);
  }
  // Failure pops of v (child of u on `byte`) = pops(u), then the pops of each node on u's failure
  // chain that has no edge on `byte`. Stored by reference (Part::kRef to the node whose pops
  // follow), never copied: copies made the pops of long tokens quadratic in memory (a 10 KB
  // vocab.txt used 744 MB). A list of one reference shares that node's range, so every stored list
  // is either one pop or >= 2 parts, and expanding a node's pops costs O(pops emitted).
  std::vector<uint32_t> refs;
  while (!queue.empty()) {
    const uint32_t u = queue.front();
    queue.pop_front();
    for (auto [byte, v] : kids[u]) {
      queue.push_back(v);
      Node& nv = nodes_[v];
      if (nv.token >= 0) {
        own_pop(nv);
        continue;
      }
      refs.clear();
      if (nodes_[u].pops_len > 0) refs.push_back(u);
      uint32_t z = nodes_[u].fail;
      while (z != kNone && Child(z, byte) == kNone) {
        if (nodes_[z].pops_len > 0) refs.push_back(z);
        z = nodes_[z].fail;
      }
      if (z == kNone) continue;  // no failure link: the word cannot be split here
      nodes_[v].fail = Child(z, byte);
      if (refs.size() == 1) {
        nodes_[v].pops_begin = nodes_[refs[0]].pops_begin;  // the same list: share it
        nodes_[v].pops_len = nodes_[refs[0]].pops_len;
      } else if (refs.size() > 1) {
        nodes_[v].pops_begin = static_cast<uint32_t>(parts_.size());
        nodes_[v].pops_len = static_cast<uint32_t>(refs.size());
        for (const uint32_t r : refs) parts_.push_back({Part::kRef, r});
      }
    }
  }
  // Freeze: per-node sorted edge lists replace the hash map on the hot path.
  for (size_t node = 0; node < nodes_.size(); ++node) {
    auto& list = kids[node];
    std::sort(list.begin(), list.end());
    nodes_[node].edge_begin = static_cast<uint32_t>(edge_bytes_.size());
    nodes_[node].edge_count = static_cast<uint32_t>(list.size());
    for (const auto& [byte, child] : list) {
      edge_bytes_.push_back(byte);
      edge_child_.push_back(child);
    }
    if (node == root_ || node == suffix_root_ || list.size() >= kDenseMinEdges) {
      nodes_[node].dense = static_cast<uint32_t>(dense_.size() / 256);
      dense_.resize(dense_.size() + 256, kNone);
      for (const auto& [byte, child] : list) dense_[dense_.size() - 256 + byte] = child;
    }
  }
  frozen_ = true;
  edges_ = {};
}

void WordPieceModel::Encode(std::string_view word, size_t chars, std::vector<WordPiece>* out) const {
  if (word.empty()) return;
  const auto n = static_cast<uint32_t>(word.size());
  if (chars > options_.max_input_chars_per_word) {
    out->push_back({unk_id_, 0, n});
    return;
  }
  const size_t mark = out->size();
  uint32_t pos = 0;  // start of the next piece to be emitted
  std::vector<uint32_t> stack;  // parts still to expand, last on top (only for nested lists)
  auto emit = [&](const Node& node) {
    if (node.pops_len == 1 && parts_[node.pops_begin].id != Part::kRef) {  // the common case: one pop
      const Part& p = parts_[node.pops_begin];
      out->push_back({p.id, pos, pos + p.len});
      pos += p.len;
      return;
    }
    for (uint32_t k = node.pops_len; k-- > 0;) stack.push_back(node.pops_begin + k);
    while (!stack.empty()) {
      const Part& p = parts_[stack.back()];
      stack.pop_back();
      if (p.id == Part::kRef) {
        const Node& r = nodes_[p.len];
        for (uint32_t k = r.pops_len; k-- > 0;) stack.push_back(r.pops_begin + k);
      } else {
        out->push_back({p.id, pos, pos + p.len});
        pos += p.len;
      }
    }
  };
  uint32_t u = root_;
  for (uint32_t i = 0; i < n; ++i) {
    const auto byte = static_cast<unsigned char>(word[i]);
    uint32_t next;
    while ((next = Child(u, byte)) == kNone) {
      const Node& nu = nodes_[u];
      if (nu.fail == kNone) goto unknown;
      emit(nu);
      u = nu.fail;
    }
    u = next;
  }
  while (u != suffix_root_) {
    const Node& nu = nodes_[u];
    if (nu.fail == kNone) goto unknown;
    emit(nu);
    u = nu.fail;
  }
  return;
unknown:
  out->resize(mark);
  out->push_back({unk_id_, 0, n});
}

void WordPieceModel::EncodeGreedy(std::string_view word, std::vector<WordPiece>* out) const {
  if (word.empty()) return;
  size_t chars = 0;
  for (const char ch : word) chars += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  const auto n = static_cast<uint32_t>(word.size());
  if (chars > options_.max_input_chars_per_word) {
    out->push_back({unk_id_, 0, n});
    return;
  }
  const size_t mark = out->size();
  size_t start = 0;
  while (start < word.size()) {
    size_t end = word.size();
    int32_t found = -1;
    while (start < end) {
      std::string sub(word.substr(start, end - start));
      if (start > 0) sub = options_.continuing_subword_prefix + sub;
      found = vocab_->Find(sub);
      if (found >= 0) break;
      do {
        --end;
      } while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
    }
    if (found < 0) {
      out->resize(mark);
      out->push_back({unk_id_, 0, n});
      return;
    }
    out->push_back({found, static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
    start = end;
  }
}

}  // namespace bertc::tok
