// Helpers shared by the tokenizer unit tests: fixture paths and small file utilities.
#ifndef BERTC_TESTS_UNIT_TOKENIZER_TEST_UTIL_H_
#define BERTC_TESTS_UNIT_TOKENIZER_TEST_UTIL_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace bertc::tok::testing {

inline std::string FixturePath(const std::string& rel) { return std::string(BERTC_FIXTURES_DIR) + "/tokenizer/" + rel; }
inline std::string BrownPath(const std::string& file) {
  const std::string dir = BERTC_BROWN_DIR;
  return dir.empty() ? std::string() : dir + "/" + file;
}
inline bool FileExists(const std::string& p) {
  std::ifstream f(p);
  return !p.empty() && f.good();
}
inline std::string Slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
inline std::vector<std::string> Lines(const std::string& p) {
  std::vector<std::string> out;
  std::ifstream f(p, std::ios::binary);
  std::string line;
  while (std::getline(f, line)) out.push_back(line);
  return out;
}
inline std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    const size_t e = s.find(sep, pos);
    out.push_back(s.substr(pos, e == std::string::npos ? std::string::npos : e - pos));
    if (e == std::string::npos) break;
    pos = e + 1;
  }
  return out;
}
// A fresh temporary directory (removed by the OS's tmp cleaning; tests use unique names).
inline std::string TempDir(const std::string& tag) {
  std::string tmpl = "/tmp/bertc_tok_" + tag + "_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const char* d = mkdtemp(buf.data());
  return d ? std::string(d) : std::string();
}

}  // namespace bertc::tok::testing

#endif  // BERTC_TESTS_UNIT_TOKENIZER_TEST_UTIL_H_
