// Status names, the per-thread message and versions.
#include "api/guard.h"
#include "bertc.h"
#include "common/gemm_backend.h"
#include "model/dense.h"
#include "model/intra_op_threads.h"

#include <nlohmann/json.hpp>
#include <cstdlib>
#include <thread>

#include <string>

namespace bertc::api {
const char* CurrentMessage();
}

extern "C" {

BERT_API const char* bert_status_str(bert_status status) {
  switch (status) {
    case BERT_OK: return "ok";
    case BERT_ERR_INVALID_ARGUMENT: return "invalid argument";
    case BERT_ERR_IO: return "I/O error";
    case BERT_ERR_FORMAT: return "corrupt or unexpected file format";
    case BERT_ERR_INVALID_UTF8: return "invalid UTF-8";
    case BERT_ERR_OUT_OF_MEMORY: return "out of memory";
    case BERT_ERR_CANCELLED: return "cancelled";
    case BERT_ERR_UNSUPPORTED: return "unsupported";
    case BERT_ERR_INTERNAL: return "internal error";
    case BERT_ERR_LIMIT: return "limit exceeded";
  }
  return "unknown status";
}

BERT_API const char* bert_last_error(void) { return bertc::api::CurrentMessage(); }

BERT_API void bert_clear_error(void) { bertc::api::ClearMessage(); }

BERT_API const char* bert_version(void) { return BERTC_VERSION_STRING; }

BERT_API const char* bert_build_info(void) {
  static const std::string info = [] {
    try {
      const bertc::GemmBackend& g = bertc::SelectGemmBackend();
      nlohmann::ordered_json j;
      j["version"] = BERTC_VERSION_STRING;
      j["abi"] = BERTC_VERSION_MAJOR;
      j["libtorch"] = bertc::model::LibTorchVersion();
#if defined(__clang__)
      j["compiler"] = "clang " __clang_version__;
#elif defined(__GNUC__)
      j["compiler"] = "gcc " __VERSION__;
#endif
      j["blas"] = {{"library", g.library}, {"kernel", g.kernel}, {"chosen_by", g.chosen_by}, {"generic", g.generic}};
      const bertc::model::DenseBackend& d = bertc::model::DenseGemmBackend();
      j["gemm"] = {{"dense", d.description}, {"isa", d.isa}};
      j["cpu"] = {{"model", g.cpu}, {"isa", g.isa}};
      const char* omp = std::getenv("OMP_NUM_THREADS");
      j["default_threads"] = omp != nullptr ? std::string("OMP_NUM_THREADS=") + omp
                                            : std::string("adaptive: the free cores of ") +
                                                  std::to_string(std::thread::hardware_concurrency());
      return j.dump();
    } catch (...) {
      return std::string("{}");
    }
  }();
  return info.c_str();
}

namespace {
// Runs when libbertc is loaded, before the host's threads can be in a BLAS call through it: corrects
// OpenBLAS's kernel choice on CPUs it does not recognise (common/gemm_backend.h).
__attribute__((constructor)) void SelectKernelsAtLoad() {
  try {
    bertc::SelectGemmBackend();
  } catch (...) {
  }
}
}  // namespace

BERT_API unsigned bert_version_number(void) { return BERTC_VERSION_NUMBER; }

BERT_API bert_status bert_check_version(unsigned expected) {
  return bertc::api::Guard(__func__, [&] {
    const unsigned have = BERTC_VERSION_NUMBER;
    if (expected / 10000 != have / 10000 || (expected / 100) % 100 > (have / 100) % 100) {
      auto dotted = [](unsigned v) {
        return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
      };
      throw bertc::Unsupported("header version " + dotted(expected) + " (" + std::to_string(expected) +
                               ") is not served by library version " + dotted(have) +
                               ": the library needs the same major version and at least the header's minor");
    }
  });
}

}  // extern "C"
