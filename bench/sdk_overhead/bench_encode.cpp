// Call overhead of the C++ SDK: the bench_encode.c loop through bertc.hpp (Encoding with owned vectors).
#include <bertc.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 2) return std::fprintf(stderr, "usage: %s TOKENIZER_DIR [CALLS]\n", argv[0]), 2;
  const long calls = argc > 2 ? std::atol(argv[2]) : 200000;
  const auto tok = bertc::Tokenizer::load(argv[1]);
  const std::string_view text = "The quick brown fox jumps over the lazy dog near the river bank.";
  long sink = 0;
  auto once = [&] {
    for (int32_t id : tok.encode(text).ids) sink += id;
  };
  for (long i = 0; i < calls / 10 + 1; ++i) once();
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) once();
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"sdk\":\"cpp\",\"us_per_call\":%.3f,\"calls\":%ld,\"checksum\":%ld}\n", dt / double(calls) * 1e6,
              calls, sink % 1000);
  return 0;
}
