// The smallest C++ SDK consumer: bertc.hpp comes with the installed package (same CMake target).
#include <bertc.hpp>

#include <cstdio>

int main() {
  if (!bertc::check_version()) {
    std::fprintf(stderr, "bertc mismatch: %s\n", bertc::check_version().error().message.c_str());
    return 1;
  }
  auto missing = bertc::Tokenizer::try_load("/nonexistent");
  std::printf("bertc.hpp %s ok (%s)\n", bertc::version(), missing.error().status_name());
  return missing ? 1 : 0;
}
