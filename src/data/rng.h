// Counter-based random numbers for the data pipeline. A stream is a pure function of
// (seed, key...), so a shuffle or a mask drawn at step k is the same whether the run started at
// step 0 or resumed at step k: nothing depends on global RNG state (torch's included).
#ifndef BERTC_DATA_RNG_H_
#define BERTC_DATA_RNG_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace bertc::data {

// splitmix64 finalizer: a bijective 64-bit mix with good avalanche.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Deterministic stream keyed by (seed, a, b, c); splitmix64 sequence from the derived state.
class CounterRng {
 public:
  explicit CounterRng(uint64_t seed, uint64_t a = 0, uint64_t b = 0, uint64_t c = 0)
      : state_(Mix64(Mix64(Mix64(Mix64(seed) ^ a) ^ b) ^ c)) {}

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }

  // Uniform integer in [0, n) (n > 0), without modulo bias (rejection of the short top range).
  uint64_t Below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      const uint64_t x = Next();
      if (x >= threshold) return x % n;
    }
  }

  template <class T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(Below(i));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  uint64_t state_;
};

}  // namespace bertc::data

#endif  // BERTC_DATA_RNG_H_
