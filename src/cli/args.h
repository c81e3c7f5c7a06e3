// A small command-line parser for the bertc tool: long options (--name value, --name=value,
// --flag / --no-flag), positional arguments, generated --help, one-line errors.
#ifndef BERTC_CLI_ARGS_H_
#define BERTC_CLI_ARGS_H_

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace bertc::cli {

// Thrown for bad usage; main prints "bertc: <message>" and exits with status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown by a command to exit with a specific status after printing `what()` (if not empty).
struct ExitError : std::runtime_error {
  ExitError(int code, const std::string& message) : std::runtime_error(message), code(code) {}
  int code;
};

class Args {
 public:
  Args(std::string command, std::string summary, std::string usage);

  // Declarations. `metavar` names the value in --help ("N", "DIR").
  Args& Flag(const std::string& name, bool def, const std::string& help);  // --name / --no-name
  Args& Option(const std::string& name, const std::string& metavar, const std::string& def,
               const std::string& help);
  Args& Multi(const std::string& name, const std::string& metavar, const std::string& help);  // repeatable, takes many values
  Args& Positional(const std::string& metavar, const std::string& help, bool many = false);

  // Parses; returns false when --help was printed (the caller exits 0). Throws UsageError.
  bool Parse(int argc, char** argv);

  bool flag(const std::string& name) const;
  const std::string& str(const std::string& name) const;
  bool given(const std::string& name) const;
  long long integer(const std::string& name, long long min, long long max) const;
  double number(const std::string& name, double min, double max) const;
  const std::vector<std::string>& list(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

  std::string Help() const;

 private:
  struct Spec {
    std::string name, metavar, def, help;
    enum Kind { kFlag, kOption, kMulti } kind;
  };
  const Spec* Find(const std::string& name) const;

  std::string command_, summary_, usage_;
  std::vector<Spec> specs_;
  std::vector<std::pair<std::string, std::string>> positional_specs_;
  bool positional_many_ = false;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> lists_;
  std::map<std::string, bool> flags_;
  std::map<std::string, bool> given_;
  std::vector<std::string> positional_;
};

}  // namespace bertc::cli

#endif  // BERTC_CLI_ARGS_H_
