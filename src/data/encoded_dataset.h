// The encoded dataset: the token ids of every corpus example (without special tokens), stored as one
// flat int32 array plus offsets. Built once (in parallel) and cached in a compact binary file that is
// memory-mapped on later runs; the cache is keyed by a fingerprint of the tokenizer and the source
// files (path, size, mtime, content hash), so editing either re-encodes.
//
// File layout (native little-endian):
//   char magic[8] = "BERTCTK1"; uint32 version = 1; uint32 header_bytes = 40;
//   uint64 fingerprint; uint64 num_sequences; uint64 num_tokens;
//   uint64 offsets[num_sequences + 1]; int32 tokens[num_tokens]
#ifndef BERTC_DATA_ENCODED_DATASET_H_
#define BERTC_DATA_ENCODED_DATASET_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/corpus.h"

namespace bertc::data {

struct TokenSpan {
  const int32_t* data = nullptr;
  size_t size = 0;
  const int32_t* begin() const { return data; }
  const int32_t* end() const { return data + size; }
  int32_t operator[](size_t i) const { return data[i]; }
};

// Encodes one example into ids (no [CLS]/[SEP]); appends to `out`. Must be safe to call concurrently.
using EncodeFn = std::function<void(std::string_view text, std::vector<int32_t>& out)>;
// Progress: (done, total) lines; return false to cancel (the call then throws Error(kCancelled)).
using EncodeProgressFn = std::function<bool(size_t done, size_t total)>;

class EncodedDataset {
 public:
  EncodedDataset();
  // Takes ownership of flat arrays; offsets.size() == n + 1, offsets[0] == 0, ascending,
  // offsets.back() == tokens.size(). Throws InvalidArgument otherwise.
  static EncodedDataset FromArrays(std::vector<int32_t> tokens, std::vector<uint64_t> offsets);
  // Encodes every corpus example with `encode` on `threads` threads.
  static EncodedDataset Encode(const Corpus& corpus, const EncodeFn& encode, int threads,
                               const EncodeProgressFn& progress = {});
  // Memory-maps a cache file. Returns false (leaving `out` alone) when the file is absent or its
  // fingerprint differs; throws Error(kFormat) when it is present but corrupt.
  static bool Load(const std::string& path, uint64_t fingerprint, EncodedDataset& out);
  // Writes the cache file atomically. Throws Error(kIo) on failure.
  void Save(const std::string& path, uint64_t fingerprint) const;

  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  size_t num_tokens() const { return n_ == 0 ? 0 : static_cast<size_t>(offsets_[n_]); }
  TokenSpan operator[](size_t i) const {
    return TokenSpan{tokens_ + offsets_[i], static_cast<size_t>(offsets_[i + 1] - offsets_[i])};
  }
  bool memory_mapped() const { return mapped_; }

 private:
  std::shared_ptr<const void> storage_;  // owns the vectors or the mapping
  const int32_t* tokens_ = nullptr;
  const uint64_t* offsets_ = nullptr;
  size_t n_ = 0;
  bool mapped_ = false;
};

// 64-bit FNV-1a, used for fingerprints.
uint64_t Fnv1a64(std::string_view bytes, uint64_t h = 0xcbf29ce484222325ULL);

// Fingerprint of the sources: for each file its absolute path, size, mtime and content hash, plus the
// corpus options and `tokenizer_fingerprint` (e.g. a hash of the vocabulary and normalizer settings).
uint64_t SourceFingerprint(const std::vector<std::string>& files, const CorpusOptions& options,
                           std::string_view tokenizer_fingerprint);

struct EncodeCacheOptions {
  bool use_cache = true;
  std::string cache_dir;  // empty: next to the first data file
  std::string tokenizer_fingerprint;
  int threads = 0;  // <= 0: all cores
  EncodeProgressFn progress;
};

struct EncodeCacheInfo {
  std::string path;      // cache file used or written ("" when caching is off)
  bool hit = false;      // loaded from the cache
  std::string warning;   // e.g. the cache could not be written (the dataset is still usable)
};

// Loads `files` as an encoded dataset, from the cache when it is valid, otherwise by reading and
// encoding them (and then writing the cache, best effort). Throws like ReadCorpus.
EncodedDataset LoadOrEncode(const std::vector<std::string>& files, const CorpusOptions& corpus_options,
                            const EncodeFn& encode, const EncodeCacheOptions& cache_options,
                            EncodeCacheInfo* info = nullptr);

// The cache file path LoadOrEncode uses for these files and options.
std::string CachePath(const std::vector<std::string>& files, const CorpusOptions& options,
                      const std::string& cache_dir);

}  // namespace bertc::data

#endif  // BERTC_DATA_ENCODED_DATASET_H_
