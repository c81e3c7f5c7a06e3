// Tokenizer benchmark: training time and encode throughput on a corpus file, one measurement per
// invocation so that peak RSS (printed) belongs to that measurement alone.
//   bench_tokenizer train <corpus> <vocab_size> <threads> [hf|likelihood]
//   bench_tokenizer encode <corpus> <tokenizer path> <threads> [full|ids]
// Prints one line: "<what> seconds=<s> mb_per_s=<x> peak_rss_mb=<m> ..." (machine-readable).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/parallel.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/trainer.h"

namespace {

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int Usage() {
  std::fprintf(stderr,
               "usage: bench_tokenizer train <corpus> <vocab_size> <threads> [hf|likelihood]\n"
               "       bench_tokenizer encode <corpus> <tokenizer> <threads> [full|ids]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 5) return Usage();
  const std::string mode = argv[1], corpus = argv[2];
  const int threads = std::atoi(argv[4]);
  if (mode == "train") {
    bertc::tok::TrainerOptions o;
    o.vocab_size = std::strtoul(argv[3], nullptr, 10);
    o.threads = threads;
    o.special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    if (argc > 5 && std::string(argv[5]) == "likelihood") o.algorithm = bertc::tok::TrainerAlgorithm::kLikelihood;
    const double t0 = Now();
    auto tok = bertc::tok::TrainFromFiles({corpus}, o);
    const double t1 = Now();
    std::printf("train vocab=%zu threads=%d seconds=%.3f peak_rss_mb=%.1f\n", tok->vocab_size(), threads, t1 - t0,
                PeakRssMb());
    return 0;
  }
  if (mode == "encode") {
    auto tok = bertc::tok::Tokenizer::Load(argv[3]);
    std::ifstream f(corpus, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string text = ss.str();
    std::vector<std::string_view> lines;
    for (size_t p = 0; p < text.size();) {
      size_t e = text.find('\n', p);
      if (e == std::string::npos) e = text.size();
      lines.emplace_back(text.data() + p, e - p);
      p = e + 1;
    }
    const bool ids_only = argc > 5 && std::string(argv[5]) == "ids";
    bertc::tok::EncodeOptions opt;
    opt.threads = threads;
    size_t tokens = 0;
    double best = 1e30;
    for (int rep = 0; rep < 3; ++rep) {  // best of 3
      const double t0 = Now();
      tokens = 0;
      if (ids_only) {
        std::vector<size_t> counts(lines.size());
        bertc::ParallelForRange(lines.size(), bertc::ResolveThreads(threads), 512, [&](size_t b, size_t e) {
          std::vector<int32_t> ids;
          for (size_t i = b; i < e; ++i) {
            ids.clear();
            tok->EncodeIds(lines[i], &ids);
            counts[i] = ids.size();
          }
        });
        for (size_t c : counts) tokens += c;
      } else {
        const auto batch = tok->EncodeBatchFlat(lines, nullptr, opt);  // what bert_tokenizer_encode_batch returns
        for (const auto& r : batch.rows()) tokens += r.length;
      }
      best = std::min(best, Now() - t0);
    }
    std::printf("encode mode=%s threads=%d seconds=%.4f mb_per_s=%.2f tokens=%zu peak_rss_mb=%.1f\n",
                ids_only ? "ids" : "full", threads, best, static_cast<double>(text.size()) / 1e6 / best, tokens,
                PeakRssMb());
    return 0;
  }
  return Usage();
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_tokenizer: %s\n", e.what());
  return 1;
}
