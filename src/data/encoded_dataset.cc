#include "data/encoded_dataset.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/parallel.h"

namespace bertc::data {
namespace {

constexpr char kMagic[8] = {'B', 'E', 'R', 'T', 'C', 'T', 'K', '1'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kHeaderBytes = 40;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;
  uint64_t fingerprint;
  uint64_t num_sequences;
  uint64_t num_tokens;
};
static_assert(sizeof(Header) == kHeaderBytes, "header layout");

struct OwnedArrays {
  std::vector<int32_t> tokens;
  std::vector<uint64_t> offsets;
};

struct Mapping {
  void* addr = nullptr;
  size_t length = 0;
  ~Mapping() {
    if (addr != nullptr && addr != MAP_FAILED) munmap(addr, length);
  }
};

}  // namespace

EncodedDataset::EncodedDataset() {
  static const uint64_t kZero = 0;
  offsets_ = &kZero;
}

EncodedDataset EncodedDataset::FromArrays(std::vector<int32_t> tokens, std::vector<uint64_t> offsets) {
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != tokens.size()) {
    throw InvalidArgument("sequence offsets must start at 0 and end at the token count");
  }
  for (size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] < offsets[i - 1]) throw InvalidArgument("sequence offsets must be non-decreasing");
  }
  auto owned = std::make_shared<OwnedArrays>();
  owned->tokens = std::move(tokens);
  owned->offsets = std::move(offsets);
  EncodedDataset ds;
  ds.tokens_ = owned->tokens.data();
  ds.offsets_ = owned->offsets.data();
  ds.n_ = owned->offsets.size() - 1;
  ds.storage_ = std::move(owned);
  return ds;
}

EncodedDataset EncodedDataset::Encode(const Corpus& corpus, const EncodeFn& encode, int threads,
                                      const EncodeProgressFn& progress) {
  const size_t n = corpus.size();
  std::vector<int32_t> tokens;
  std::vector<uint64_t> offsets;
  offsets.reserve(n + 1);
  offsets.push_back(0);
  constexpr size_t kGrain = 256;
  constexpr size_t kBlock = 16384;  // progress/cancel granularity, reported on the calling thread
  for (size_t block = 0; block < n; block += kBlock) {
    const size_t block_end = std::min(n, block + kBlock);
    const size_t chunks = (block_end - block + kGrain - 1) / kGrain;
    std::vector<std::vector<int32_t>> chunk_tokens(chunks);
    std::vector<std::vector<uint32_t>> chunk_lengths(chunks);
    ParallelForRange(block_end - block, ResolveThreads(threads), kGrain, [&](size_t b, size_t e) {
      const size_t c = b / kGrain;
      auto& out = chunk_tokens[c];
      auto& lengths = chunk_lengths[c];
      for (size_t i = b; i < e; ++i) {
        const size_t before = out.size();
        encode(corpus[block + i], out);
        lengths.push_back(static_cast<uint32_t>(out.size() - before));
      }
    });
    for (size_t c = 0; c < chunks; ++c) {
      tokens.insert(tokens.end(), chunk_tokens[c].begin(), chunk_tokens[c].end());
      for (uint32_t len : chunk_lengths[c]) offsets.push_back(offsets.back() + len);
    }
    if (progress && !progress(block_end, n)) throw Cancelled();
  }
  return FromArrays(std::move(tokens), std::move(offsets));
}

bool EncodedDataset::Load(const std::string& path, uint64_t fingerprint, EncodedDataset& out) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    throw IoError("cannot stat '" + path + "': " + std::strerror(errno));
  }
  const size_t length = static_cast<size_t>(st.st_size);
  if (length < kHeaderBytes) {
    close(fd);
    throw FormatError("'" + path + "' is too short for an encoded dataset");
  }
  auto map = std::make_shared<Mapping>();
  map->addr = mmap(nullptr, length, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map->addr == MAP_FAILED) throw IoError("cannot map '" + path + "': " + std::strerror(errno));
  map->length = length;
  Header h;
  std::memcpy(&h, map->addr, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.header_bytes != kHeaderBytes) {
    throw FormatError("'" + path + "' is not a bertc encoded dataset");
  }
  if (h.version != kVersion) return false;  // written by another version: re-encode
  if (h.fingerprint != fingerprint) return false;
  const uint64_t expected = kHeaderBytes + 8 * (h.num_sequences + 1) + 4 * h.num_tokens;
  if (h.num_sequences > length || h.num_tokens > length || expected != length) {
    throw FormatError("'" + path + "' has a size that does not match its header (truncated?)");
  }
  const auto* base = static_cast<const char*>(map->addr);
  const auto* offsets = reinterpret_cast<const uint64_t*>(base + kHeaderBytes);
  const auto* tokens = reinterpret_cast<const int32_t*>(base + kHeaderBytes + 8 * (h.num_sequences + 1));
  if (offsets[0] != 0 || offsets[h.num_sequences] != h.num_tokens) {
    throw FormatError("'" + path + "' has inconsistent offsets");
  }
  for (uint64_t i = 0; i < h.num_sequences; ++i) {
    if (offsets[i + 1] < offsets[i]) throw FormatError("'" + path + "' has decreasing offsets");
  }
  out.storage_ = map;
  out.offsets_ = offsets;
  out.tokens_ = tokens;
  out.n_ = static_cast<size_t>(h.num_sequences);
  out.mapped_ = true;
  return true;
}

void EncodedDataset::Save(const std::string& path, uint64_t fingerprint) const {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.header_bytes = kHeaderBytes;
  h.fingerprint = fingerprint;
  h.num_sequences = n_;
  h.num_tokens = num_tokens();
  WriteFileAtomic(path, [&](std::FILE* f) {
    bool ok = std::fwrite(&h, sizeof h, 1, f) == 1;
    ok = ok && std::fwrite(offsets_, sizeof(uint64_t), n_ + 1, f) == n_ + 1;
    if (num_tokens() > 0) ok = ok && std::fwrite(tokens_, sizeof(int32_t), num_tokens(), f) == num_tokens();
    if (!ok) throw IoError("cannot write '" + path + "': " + std::strerror(errno));
  });
}

uint64_t Fnv1a64(std::string_view bytes, uint64_t h) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

namespace {
uint64_t HashU64(uint64_t h, uint64_t v) {
  return Fnv1a64(std::string_view(reinterpret_cast<const char*>(&v), sizeof v), h);
}
}  // namespace

uint64_t SourceFingerprint(const std::vector<std::string>& files, const CorpusOptions& options,
                           std::string_view tokenizer_fingerprint) {
  namespace fs = std::filesystem;
  uint64_t h = Fnv1a64("bertc-encoded-dataset-v1");
  h = Fnv1a64(tokenizer_fingerprint, HashU64(h, tokenizer_fingerprint.size()));
  h = Fnv1a64(options.jsonl_field, HashU64(h, options.jsonl_field.size()));
  for (const std::string& file : files) {
    std::error_code ec;
    const std::string abs = fs::absolute(file, ec).lexically_normal().string();
    h = Fnv1a64(abs, HashU64(h, abs.size()));
    struct stat st {};
    if (stat(file.c_str(), &st) != 0) throw IoError("cannot read data file '" + file + "': " + std::strerror(errno));
    h = HashU64(h, static_cast<uint64_t>(st.st_size));
    h = HashU64(h, static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000ULL + static_cast<uint64_t>(st.st_mtim.tv_nsec));
    h = HashU64(h, Fnv1a64(ReadFile(file)));
  }
  return h;
}

std::string CachePath(const std::vector<std::string>& files, const CorpusOptions& options,
                      const std::string& cache_dir) {
  namespace fs = std::filesystem;
  if (files.empty()) throw InvalidArgument("no data files given");
  uint64_t h = Fnv1a64(options.jsonl_field);
  for (const std::string& f : files) {
    std::error_code ec;
    h = Fnv1a64(fs::absolute(f, ec).lexically_normal().string(), h);
  }
  const fs::path first(files.front());
  const fs::path dir = cache_dir.empty() ? first.parent_path() : fs::path(cache_dir);
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".%08x.bertc-tok", static_cast<unsigned>(h & 0xffffffffu));
  return (dir / (first.filename().string() + suffix)).string();
}

EncodedDataset LoadOrEncode(const std::vector<std::string>& files, const CorpusOptions& corpus_options,
                            const EncodeFn& encode, const EncodeCacheOptions& cache_options,
                            EncodeCacheInfo* info) {
  EncodeCacheInfo local;
  EncodeCacheInfo& inf = info != nullptr ? *info : local;
  inf = EncodeCacheInfo{};
  if (files.empty()) throw InvalidArgument("no data files given");
  for (const std::string& f : files) {
    if (!PathExists(f)) throw IoError("data file '" + f + "' does not exist");
  }
  uint64_t fingerprint = 0;
  if (cache_options.use_cache) {
    fingerprint = SourceFingerprint(files, corpus_options, cache_options.tokenizer_fingerprint);
    inf.path = CachePath(files, corpus_options, cache_options.cache_dir);
    EncodedDataset cached;
    bool ok = false;
    try {
      ok = EncodedDataset::Load(inf.path, fingerprint, cached);
    } catch (const Error& e) {
      inf.warning = std::string("ignoring the encoded-dataset cache: ") + e.what();
    }
    if (ok) {
      inf.hit = true;
      return cached;
    }
  }
  const Corpus corpus = ReadCorpus(files, corpus_options);
  EncodedDataset ds = EncodedDataset::Encode(corpus, encode, cache_options.threads, cache_options.progress);
  if (cache_options.use_cache) {
    try {
      if (!cache_options.cache_dir.empty()) MakeDirs(cache_options.cache_dir);
      ds.Save(inf.path, fingerprint);
    } catch (const Error& e) {
      inf.warning = std::string("could not write the encoded-dataset cache (continuing without it): ") + e.what();
      inf.path.clear();
    }
  }
  return ds;
}

}  // namespace bertc::data
