#include "data/grouping.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "data/rng.h"

namespace bertc::data {

Grouping ParseGrouping(std::string_view name) {
  if (name == "truncate_pad") return Grouping::kTruncatePad;
  if (name == "concat_chunk") return Grouping::kConcatChunk;
  if (name == "dynamic") return Grouping::kDynamic;
  if (name == "packed") return Grouping::kPacked;
  throw InvalidArgument("unknown grouping '" + std::string(name) +
                        "' (expected truncate_pad, concat_chunk, dynamic or packed)");
}

const char* GroupingName(Grouping g) {
  switch (g) {
    case Grouping::kTruncatePad: return "truncate_pad";
    case Grouping::kConcatChunk: return "concat_chunk";
    case Grouping::kDynamic: return "dynamic";
    case Grouping::kPacked: return "packed";
  }
  return "?";
}

ExampleSet BuildExamples(const EncodedDataset& ds, const std::vector<uint32_t>* indices, Grouping grouping,
                         int max_length, const SpecialIds& ids) {
  if (max_length < 3) throw InvalidArgument("max_length must be at least 3, got " + std::to_string(max_length));
  const size_t body = static_cast<size_t>(max_length) - 2;
  const size_t n = indices != nullptr ? indices->size() : ds.size();
  auto line = [&](size_t k) { return ds[indices != nullptr ? (*indices)[k] : k]; };
  ExampleSet out;
  std::vector<int32_t> cur;
  cur.reserve(static_cast<size_t>(max_length));
  switch (grouping) {
    case Grouping::kTruncatePad:
    case Grouping::kDynamic:
      for (size_t k = 0; k < n; ++k) {
        const TokenSpan s = line(k);
        if (s.size == 0) continue;
        cur.assign(1, ids.cls);
        cur.insert(cur.end(), s.begin(), s.begin() + std::min(body, s.size));
        cur.push_back(ids.sep);
        out.Add(cur.data(), cur.data() + cur.size());
      }
      break;
    case Grouping::kConcatChunk: {
      cur.assign(1, ids.cls);
      for (size_t k = 0; k < n; ++k) {
        const TokenSpan s = line(k);
        for (size_t i = 0; i < s.size; ++i) {
          cur.push_back(s[i]);
          if (cur.size() == body + 1) {
            cur.push_back(ids.sep);
            out.Add(cur.data(), cur.data() + cur.size());
            cur.assign(1, ids.cls);
          }
        }
      }
      if (cur.size() > 1) {
        cur.push_back(ids.sep);
        out.Add(cur.data(), cur.data() + cur.size());
      }
      break;
    }
    case Grouping::kPacked: {
      cur.assign(1, ids.cls);
      for (size_t k = 0; k < n; ++k) {
        const TokenSpan s = line(k);
        if (s.size == 0) continue;
        const size_t len = std::min(body, s.size);
        if (cur.size() + len + 1 > static_cast<size_t>(max_length)) {
          out.Add(cur.data(), cur.data() + cur.size());
          cur.assign(1, ids.cls);
        }
        cur.insert(cur.end(), s.begin(), s.begin() + len);
        cur.push_back(ids.sep);
      }
      if (cur.size() > 1) out.Add(cur.data(), cur.data() + cur.size());
      break;
    }
  }
  return out;
}

size_t BatchesPerEpoch(size_t num_examples, const BatchPlanOptions& options) {
  const size_t b = static_cast<size_t>(std::max(1, options.batch_size));
  return options.drop_last ? num_examples / b : (num_examples + b - 1) / b;
}

std::vector<std::vector<uint32_t>> PlanEpoch(const ExampleSet& examples, const BatchPlanOptions& options,
                                            uint64_t epoch) {
  if (options.batch_size <= 0) throw InvalidArgument("batch size must be positive");
  const size_t n = examples.size();
  const size_t b = static_cast<size_t>(options.batch_size);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  if (options.shuffle) CounterRng(options.seed, 0xE90C, epoch).Shuffle(order);
  if (options.grouping == Grouping::kDynamic) {
    const size_t window = b * static_cast<size_t>(std::max(1, options.bucket_window));
    for (size_t w = 0; w < n; w += window) {
      auto first = order.begin() + static_cast<std::ptrdiff_t>(w);
      auto last = order.begin() + static_cast<std::ptrdiff_t>(std::min(n, w + window));
      std::stable_sort(first, last, [&](uint32_t x, uint32_t y) { return examples.length(x) > examples.length(y); });
    }
  }
  std::vector<std::vector<uint32_t>> batches;
  batches.reserve(BatchesPerEpoch(n, options));
  for (size_t i = 0; i < n; i += b) {
    if (options.drop_last && i + b > n) break;
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(i),
                         order.begin() + static_cast<std::ptrdiff_t>(std::min(n, i + b)));
  }
  // Length-sorted batches would otherwise arrive longest first within each window.
  if (options.grouping == Grouping::kDynamic && options.shuffle) CounterRng(options.seed, 0xB0C5, epoch).Shuffle(batches);
  return batches;
}

int PaddedWidth(const ExampleSet& examples, const std::vector<uint32_t>& batch, bool pad_to_max, int max_length) {
  if (pad_to_max) return max_length;
  size_t w = 0;
  for (uint32_t i : batch) w = std::max(w, examples.length(i));
  return static_cast<int>(w);
}

PaddingStats MeasurePadding(const ExampleSet& examples, const std::vector<std::vector<uint32_t>>& batches,
                            bool pad_to_max, int max_length) {
  PaddingStats s;
  for (const auto& batch : batches) {
    const uint64_t w = static_cast<uint64_t>(PaddedWidth(examples, batch, pad_to_max, max_length));
    s.padded_tokens += w * batch.size();
    for (uint32_t i : batch) s.real_tokens += examples.length(i);
  }
  return s;
}

}  // namespace bertc::data
