// A caching CPU allocator for the trainer's large tensors.
//
// Every training step allocates and frees the same large tensors (logits [B*T, V] of ~125 MB at
// seq 128 / vocab 30522, vocab-sized gradients, activations). glibc serves blocks above its mmap
// threshold (at most 32 MB) with fresh mmap()s, so each such tensor costs tens of thousands of page
// faults and the kernel zeroing every page, step after step: 10-30 % of a CPU step. This allocator
// keeps freed blocks of >= 1 MiB and hands them out again (best fit, at most 2x the request). It keeps
// at most as many free bytes as were ever in use at once (least recently freed blocks go first), so
// with dynamic padding, where every step has other shapes, it at most doubles that footprint.
//
// It is installed as LibTorch's CPU allocator only inside a ScopedBlockCache (the trainer opens one
// around each step and evaluation), so tensors made elsewhere in the process are untouched. Blocks
// it handed out may be freed at any time later, from any thread; the cache itself lives as long as
// some BlockCacheUser exists (one per trainer) and is emptied when the last one goes away.
#ifndef BERTC_TRAIN_BLOCK_CACHE_H_
#define BERTC_TRAIN_BLOCK_CACHE_H_

#include <cstddef>

namespace bertc::train {

// Keeps the cache alive (one per trainer).
class BlockCacheUser {
 public:
  BlockCacheUser();
  ~BlockCacheUser();
  BlockCacheUser(const BlockCacheUser&) = delete;
  BlockCacheUser& operator=(const BlockCacheUser&) = delete;
};

// Routes LibTorch's CPU allocations through the cache for its lifetime (nestable, any thread).
class ScopedBlockCache {
 public:
  ScopedBlockCache();
  ~ScopedBlockCache();
  ScopedBlockCache(const ScopedBlockCache&) = delete;
  ScopedBlockCache& operator=(const ScopedBlockCache&) = delete;
};

// Bytes currently held in the cache (free blocks), for tests.
size_t BlockCacheFreeBytes();

}  // namespace bertc::train

#endif  // BERTC_TRAIN_BLOCK_CACHE_H_
