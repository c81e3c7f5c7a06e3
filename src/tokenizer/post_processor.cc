#include "tokenizer/post_processor.h"

#include <algorithm>
#include <string>
#include <utility>

#include "common/error.h"

namespace bertc::tok {

void Encoding::Reserve(size_t n) {
  ids.reserve(n);
  type_ids.reserve(n);
  attention_mask.reserve(n);
  special_tokens_mask.reserve(n);
  offsets.reserve(n);
  sequence_ids.reserve(n);
}

void Encoding::Push(int32_t id, Offset off, int32_t type_id, int32_t special, int8_t seq, int32_t attention) {
  ids.push_back(id);
  type_ids.push_back(type_id);
  attention_mask.push_back(attention);
  special_tokens_mask.push_back(special);
  offsets.push_back(off);
  sequence_ids.push_back(seq);
}

void Encoding::AppendTokens(const Encoding& o) {
  ids.insert(ids.end(), o.ids.begin(), o.ids.end());
  type_ids.insert(type_ids.end(), o.type_ids.begin(), o.type_ids.end());
  attention_mask.insert(attention_mask.end(), o.attention_mask.begin(), o.attention_mask.end());
  special_tokens_mask.insert(special_tokens_mask.end(), o.special_tokens_mask.begin(), o.special_tokens_mask.end());
  offsets.insert(offsets.end(), o.offsets.begin(), o.offsets.end());
  sequence_ids.insert(sequence_ids.end(), o.sequence_ids.begin(), o.sequence_ids.end());
}

namespace {

Encoding Slice(const Encoding& e, size_t start, size_t stop) {
  Encoding out;
  auto cut = [&](const auto& v, auto& dst) { dst.assign(v.begin() + start, v.begin() + stop); };
  cut(e.ids, out.ids);
  cut(e.type_ids, out.type_ids);
  cut(e.attention_mask, out.attention_mask);
  cut(e.special_tokens_mask, out.special_tokens_mask);
  cut(e.offsets, out.offsets);
  cut(e.sequence_ids, out.sequence_ids);
  return out;
}

// `first` followed by `second` (tokens only; no overflow windows).
Encoding Concat(const Encoding& first, const Encoding& second) {
  Encoding out;
  out.Reserve(first.size() + second.size());
  out.AppendTokens(first);
  out.AppendTokens(second);
  return out;
}

// The result of HF's Encoding::merge_with(a, b) as its bindings return it (one level of overflow):
// main a+b, then for each window a_i of a: a_i+b, a_i+b_1, ..., a_i+b_m, then a+b_1, ..., a+b_m.
// Built directly, and only when the windows are returned: HF's recursive merge also builds (and
// drops) a second level, and builds every pairing even when no window is asked for.
Encoding MergePair(const Encoding& a, const Encoding& b, bool windows) {
  Encoding merged = Concat(a, b);
  if (!windows) return merged;
  merged.overflowing.reserve(a.overflowing.size() * (1 + b.overflowing.size()) + b.overflowing.size());
  for (const Encoding& a_i : a.overflowing) {
    merged.overflowing.push_back(Concat(a_i, b));
    for (const Encoding& b_j : b.overflowing) merged.overflowing.push_back(Concat(a_i, b_j));
  }
  for (const Encoding& b_j : b.overflowing) merged.overflowing.push_back(Concat(a, b_j));
  return merged;
}

void SetSequence(Encoding* e, int8_t seq) {
  std::fill(e->type_ids.begin(), e->type_ids.end(), seq);
  std::fill(e->sequence_ids.begin(), e->sequence_ids.end(), seq);
  for (Encoding& o : e->overflowing) SetSequence(&o, seq);
}

Encoding Wrap(const Encoding& e, bool first, const PostProcessorConfig& c) {
  Encoding out;
  out.Reserve(e.size() + 2);
  const int32_t type = first ? 0 : 1;
  if (first) out.Push(c.cls_id, {0, 0}, type, 1, -1);
  out.AppendTokens(e);
  out.Push(c.sep_id, {0, 0}, type, 1, -1);
  for (const Encoding& o : e.overflowing) out.overflowing.push_back(Wrap(o, first, c));
  return out;
}

void PadOne(Encoding* e, size_t target, PaddingSide side, int32_t pad_id, int32_t pad_type_id) {
  for (Encoding& o : e->overflowing) PadOne(&o, target, side, pad_id, pad_type_id);
  if (e->size() >= target) return;
  const size_t n = target - e->size();
  auto pad = [&](auto& v, auto value) {
    if (side == PaddingSide::kRight) {
      v.insert(v.end(), n, value);
    } else {
      v.insert(v.begin(), n, value);
    }
  };
  pad(e->ids, pad_id);
  pad(e->type_ids, pad_type_id);
  pad(e->attention_mask, 0);
  pad(e->special_tokens_mask, 1);
  pad(e->offsets, Offset{0, 0});
  pad(e->sequence_ids, static_cast<int8_t>(-1));
}

}  // namespace

void Truncate(Encoding* enc, size_t max_len, size_t stride, TruncationDirection direction, bool windows) {
  const size_t len = enc->size();
  if (max_len >= len) return;
  if (max_len == 0) {
    Encoding whole = std::move(*enc);
    *enc = Encoding{};
    if (windows) enc->overflowing.push_back(std::move(whole));
    return;
  }
  if (stride >= max_len) {
    throw InvalidArgument("stride " + std::to_string(stride) + " must be strictly less than the truncation length " +
                          std::to_string(max_len) + " (max_length minus the special tokens)");
  }
  const size_t step = max_len - stride;
  if (!windows) {  // only the head: the overflow windows are not returned
    *enc = direction == TruncationDirection::kRight ? Slice(*enc, 0, max_len) : Slice(*enc, len - max_len, len);
    return;
  }
  std::vector<std::pair<size_t, size_t>> parts;
  if (direction == TruncationDirection::kRight) {
    for (size_t start = 0; start < len; start += step) {
      const size_t stop = std::min(start + max_len, len);
      parts.push_back({start, stop});
      if (stop == len) break;
    }
  } else {
    for (size_t stop = len;; stop -= step) {
      const size_t start = stop > max_len ? stop - max_len : 0;
      parts.push_back({start, stop});
      if (start == 0 || stop <= step) break;
    }
  }
  Encoding head = Slice(*enc, parts[0].first, parts[0].second);
  for (size_t i = 1; i < parts.size(); ++i) head.overflowing.push_back(Slice(*enc, parts[i].first, parts[i].second));
  *enc = std::move(head);
}

Encoding PostProcess(Encoding a, std::optional<Encoding> b, const EncodeOptions& opt, size_t max_length,
                     const PostProcessorConfig& config) {
  const bool add_special = opt.add_special_tokens && config.enabled;
  const size_t n_added = add_special ? (b ? 3 : 2) : 0;
  const size_t n_added_single = add_special ? 2 : 0;
  if (opt.truncation != TruncationStrategy::kNone && max_length >= n_added_single &&
      max_length - n_added_single < opt.stride) {
    throw InvalidArgument("truncation max_length " + std::to_string(max_length) + " leaves no room for stride " +
                          std::to_string(opt.stride) + " after " + std::to_string(n_added_single) + " special tokens");
  }
  // A max_length below the number of special tokens disables truncation (HF's usize arithmetic
  // wraps around there, so HF does not truncate either).
  if (opt.truncation != TruncationStrategy::kNone && max_length >= n_added) {
    const size_t limit = max_length - n_added;
    const size_t total = a.size() + (b ? b->size() : 0);
    if (limit == 0) {
      Truncate(&a, 0, opt.stride, opt.truncation_direction, opt.return_overflowing);
      if (b) Truncate(&*b, 0, opt.stride, opt.truncation_direction, opt.return_overflowing);
    } else if (total > limit) {
      const size_t to_remove = total - limit;
      if (opt.truncation == TruncationStrategy::kLongestFirst) {
        if (b) {
          size_t n1 = a.size(), n2 = b->size();
          const bool swap = n1 > n2;
          if (swap) std::swap(n1, n2);
          n2 = n1 > limit ? n1 : std::max(n1, limit - n1);
          if (n1 + n2 > limit) {
            n1 = limit / 2;
            n2 = n1 + limit % 2;
          }
          if (swap) std::swap(n1, n2);
          Truncate(&a, n1, opt.stride, opt.truncation_direction, opt.return_overflowing);
          Truncate(&*b, n2, opt.stride, opt.truncation_direction, opt.return_overflowing);
        } else {
          Truncate(&a, total - to_remove, opt.stride, opt.truncation_direction, opt.return_overflowing);
        }
      } else {
        Encoding* target = nullptr;
        if (opt.truncation == TruncationStrategy::kOnlyFirst) {
          target = &a;
        } else if (b) {
          target = &*b;
        } else {
          throw InvalidArgument("truncation only_second needs a second sequence");
        }
        if (target->size() <= to_remove) {
          throw InvalidArgument("the sequence to truncate is too short to respect max_length " +
                                std::to_string(max_length));
        }
        Truncate(target, target->size() - to_remove, opt.stride, opt.truncation_direction, opt.return_overflowing);
      }
    }
  }
  if (!opt.return_overflowing) {  // only the first window is returned: never build the others
    a.overflowing.clear();
    if (b) b->overflowing.clear();
  }
  SetSequence(&a, 0);
  if (b) SetSequence(&*b, 1);
  if (add_special) {
    a = Wrap(a, true, config);
    if (b) b = Wrap(*b, false, config);
  }
  if (!b) return a;
  return MergePair(a, *b, opt.return_overflowing);
}

void PadBatch(std::vector<Encoding>* batch, PaddingStrategy strategy, size_t length, size_t multiple_of,
              PaddingSide side, int32_t pad_id, int32_t pad_type_id) {
  if (strategy == PaddingStrategy::kNone || batch->empty()) return;
  size_t target = length;
  if (strategy == PaddingStrategy::kLongest) {
    target = 0;
    for (const Encoding& e : *batch) target = std::max(target, e.size());
  }
  if (multiple_of > 0 && target % multiple_of != 0) target += multiple_of - target % multiple_of;
  for (Encoding& e : *batch) PadOne(&e, target, side, pad_id, pad_type_id);
}

}  // namespace bertc::tok
