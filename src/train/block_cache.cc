#include "train/block_cache.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

namespace bertc::train {
namespace {

constexpr size_t kMinCachedBytes = size_t{1} << 20;  // smaller blocks: glibc's heap serves them well
constexpr size_t kRound = size_t{1} << 16;
constexpr size_t kMaxCachedBytes = size_t{4} << 30;  // free blocks kept at most
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
        p = it->second;
        free_bytes_ -= it->first;
        free_.erase(it);
      }
    }
    if (p == nullptr) {
      if (posix_memalign(&p, kAlignment, size) != 0) throw std::bad_alloc();
      std::lock_guard<std::mutex> lock(mu_);
      sizes_[p] = size;
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
      for (auto& [size, p] : free_) {
        sizes_.erase(p);
        std::free(p);
      }
      free_.clear();
      free_bytes_ = 0;
    }
  }
  size_t FreeBytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return free_bytes_;
  }

 private:
  static constexpr uint8_t kPriority = 1;

  static void Release(void* p) {
    CachingCpuAllocator& a = Get();
    std::lock_guard<std::mutex> lock(a.mu_);
    auto it = a.sizes_.find(p);
    if (it == a.sizes_.end()) return;  // not ours (cannot happen: small blocks carry c10's deleter)
    if (a.users_ > 0 && a.free_bytes_ + it->second <= kMaxCachedBytes) {
      a.free_.emplace(it->second, p);
      a.free_bytes_ += it->second;
    } else {
      a.sizes_.erase(it);
      std::free(p);
    }
  }

  mutable std::mutex mu_;
  mutable std::multimap<size_t, void*> free_;
  mutable std::unordered_map<void*, size_t> sizes_;  // every live or cached block of ours
  mutable size_t free_bytes_ = 0;
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
