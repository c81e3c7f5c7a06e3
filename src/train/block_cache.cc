#include "train/block_cache.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

namespace bertc::train {
namespace {

constexpr size_t kMinCachedBytes = size_t{1} << 20;  // smaller blocks: glibc's heap serves them well
constexpr size_t kRound = size_t{1} << 16;
constexpr size_t kMaxCachedBytes = size_t{4} << 30;  // free blocks kept at most, whatever the demand
constexpr size_t kAlignment = 64;                    // as c10's alloc_cpu

class CachingCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) const override {
    if (n < kMinCachedBytes) return base_->allocate(n);
    const size_t size = (n + kRound - 1) / kRound * kRound;
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.lower_bound(size);
      if (it != free_.end() && it->first <= 2 * size) {
        p = it->second.ptr;
        free_bytes_ -= it->first;
        NoteLive(it->first);
        free_.erase(it);
      }
    }
    if (p == nullptr) {
      if (posix_memalign(&p, kAlignment, size) != 0) throw std::bad_alloc();
      std::lock_guard<std::mutex> lock(mu_);
      sizes_[p] = size;
      NoteLive(size);
    }
    return {p, p, &Release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &Release; }

  static CachingCpuAllocator& Get() {
    static auto* instance = new CachingCpuAllocator();  // leaked: blocks may outlive static destruction
    return *instance;
  }

  void Enter() {
    std::lock_guard<std::mutex> lock(mu_);
    if (scopes_++ == 0) {
      base_ = c10::GetCPUAllocator();
      c10::SetAllocator(c10::DeviceType::CPU, this, kPriority);
    }
  }
  void Leave() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--scopes_ == 0) c10::SetAllocator(c10::DeviceType::CPU, base_, kPriority);
  }
  void AddUser() {
    std::lock_guard<std::mutex> lock(mu_);
    ++users_;
  }
  void RemoveUser() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--users_ == 0) {
      for (auto& [size, block] : free_) {
        sizes_.erase(block.ptr);
        std::free(block.ptr);
      }
      free_.clear();
      free_bytes_ = 0;
      peak_live_bytes_ = live_bytes_;
    }
  }
  size_t FreeBytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return free_bytes_;
  }

 private:
  static constexpr uint8_t kPriority = 1;

  struct FreeBlock {
    void* ptr;
    uint64_t stamp;  // when it was released: the oldest goes first
  };

  // Caller holds mu_.
  void NoteLive(size_t size) const {
    live_bytes_ += size;
    peak_live_bytes_ = std::max(peak_live_bytes_, live_bytes_);
  }

  // Free blocks are kept up to the peak of bytes in use (one step's working set), so the cache at
  // most doubles the trainer's large-tensor footprint. With dynamic padding every step has other
  // shapes; without this bound, blocks that no later request fits would pile up to kMaxCachedBytes.
  // Caller holds mu_.
  size_t CacheLimit() const { return std::min(kMaxCachedBytes, peak_live_bytes_); }

  // Frees the least recently released blocks until `incoming` more bytes fit. Caller holds mu_.
  bool MakeRoom(size_t incoming) const {
    const size_t limit = CacheLimit();
    if (incoming > limit) return false;
    while (free_bytes_ + incoming > limit && !free_.empty()) {
      auto oldest = free_.begin();
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if (it->second.stamp < oldest->second.stamp) oldest = it;
      }
      free_bytes_ -= oldest->first;
      sizes_.erase(oldest->second.ptr);
      std::free(oldest->second.ptr);
      free_.erase(oldest);
    }
    return true;
  }

  static void Release(void* p) {
    CachingCpuAllocator& a = Get();
    std::lock_guard<std::mutex> lock(a.mu_);
    auto it = a.sizes_.find(p);
    if (it == a.sizes_.end()) return;  // not ours (cannot happen: small blocks carry c10's deleter)
    const size_t size = it->second;
    a.live_bytes_ -= size;
    if (a.users_ > 0 && a.MakeRoom(size)) {
      a.free_.emplace(size, FreeBlock{p, a.next_stamp_++});
      a.free_bytes_ += size;
    } else {
      a.sizes_.erase(it);
      std::free(p);
    }
  }

  mutable std::mutex mu_;
  mutable std::multimap<size_t, FreeBlock> free_;
  mutable std::unordered_map<void*, size_t> sizes_;  // every live or cached block of ours
  mutable size_t free_bytes_ = 0;
  mutable size_t live_bytes_ = 0;       // handed out and not yet released
  mutable size_t peak_live_bytes_ = 0;  // high-water mark of live_bytes_ since the cache was last emptied
  mutable uint64_t next_stamp_ = 0;
  c10::Allocator* base_ = nullptr;
  int scopes_ = 0;
  int users_ = 0;
};

}  // namespace

BlockCacheUser::BlockCacheUser() { CachingCpuAllocator::Get().AddUser(); }
BlockCacheUser::~BlockCacheUser() { CachingCpuAllocator::Get().RemoveUser(); }
ScopedBlockCache::ScopedBlockCache() { CachingCpuAllocator::Get().Enter(); }
ScopedBlockCache::~ScopedBlockCache() { CachingCpuAllocator::Get().Leave(); }
size_t BlockCacheFreeBytes() { return CachingCpuAllocator::Get().FreeBytes(); }

}  // namespace bertc::train
