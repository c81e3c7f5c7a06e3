#include "cli/args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace bertc::cli {

Args::Args(std::string command, std::string summary, std::string usage)
    : command_(std::move(command)), summary_(std::move(summary)), usage_(std::move(usage)) {}

Args& Args::Flag(const std::string& name, bool def, const std::string& help) {
  specs_.push_back({name, "", def ? "true" : "false", help, Spec::kFlag});
  flags_[name] = def;
  return *this;
}

Args& Args::Option(const std::string& name, const std::string& metavar, const std::string& def,
                   const std::string& help) {
  specs_.push_back({name, metavar, def, help, Spec::kOption});
  values_[name] = def;
  return *this;
}

Args& Args::Multi(const std::string& name, const std::string& metavar, const std::string& help) {
  specs_.push_back({name, metavar, "", help, Spec::kMulti});
  lists_[name];
  return *this;
}

Args& Args::Positional(const std::string& metavar, const std::string& help, bool many) {
  positional_specs_.emplace_back(metavar, help);
  positional_many_ = many;
  return *this;
}

const Args::Spec* Args::Find(const std::string& name) const {
  for (const auto& s : specs_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool Args::Parse(int argc, char** argv) {
  bool only_positional = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (only_positional || a.size() < 2 || a.rfind("-", 0) != 0 || a == "-") {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::fputs(Help().c_str(), stdout);
      return false;
    }
    if (a.rfind("--", 0) != 0) throw UsageError(command_ + ": unknown option '" + a + "' (see --help)");
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const Spec* spec = Find(name);
    if (spec == nullptr && name.rfind("no-", 0) == 0) {
      const Spec* neg = Find(name.substr(3));
      if (neg != nullptr && neg->kind == Spec::kFlag) {
        if (has_value) throw UsageError(command_ + ": --" + name + " takes no value");
        flags_[neg->name] = false;
        given_[neg->name] = true;
        continue;
      }
    }
    if (spec == nullptr) throw UsageError(command_ + ": unknown option '--" + name + "' (see --help)");
    given_[name] = true;
    if (spec->kind == Spec::kFlag) {
      if (has_value) {
        if (value == "true" || value == "1" || value == "yes") flags_[name] = true;
        else if (value == "false" || value == "0" || value == "no") flags_[name] = false;
        else throw UsageError(command_ + ": --" + name + " expects true or false, got '" + value + "'");
      } else {
        flags_[name] = true;
      }
      continue;
    }
    if (spec->kind == Spec::kMulti) {
      if (has_value) {
        lists_[name].push_back(value);
        continue;
      }
      int taken = 0;
      while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
        lists_[name].push_back(argv[++i]);
        ++taken;
      }
      if (taken == 0) throw UsageError(command_ + ": --" + name + " needs at least one " + spec->metavar);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) throw UsageError(command_ + ": --" + name + " needs a value (" + spec->metavar + ")");
      value = argv[++i];
    }
    values_[name] = value;
  }
  if (!positional_many_ && positional_.size() > positional_specs_.size()) {
    throw UsageError(command_ + ": unexpected argument '" + positional_[positional_specs_.size()] + "' (see --help)");
  }
  return true;
}

bool Args::flag(const std::string& name) const { return flags_.at(name); }
const std::string& Args::str(const std::string& name) const { return values_.at(name); }
bool Args::given(const std::string& name) const { return given_.count(name) > 0; }
const std::vector<std::string>& Args::list(const std::string& name) const { return lists_.at(name); }

long long Args::integer(const std::string& name, long long min, long long max) const {
  const std::string& v = str(name);
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno == ERANGE) {
    throw UsageError(command_ + ": --" + name + " expects an integer, got '" + v + "'");
  }
  if (x < min || x > max) {
    throw UsageError(command_ + ": --" + name + " must be in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "], got " + v);
  }
  return x;
}

double Args::number(const std::string& name, double min, double max) const {
  const std::string& v = str(name);
  errno = 0;
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(x)) {
    throw UsageError(command_ + ": --" + name + " expects a number, got '" + v + "'");
  }
  if (x < min || x > max) {
    std::ostringstream os;
    os << command_ << ": --" << name << " must be in [" << min << ", " << max << "], got " << v;
    throw UsageError(os.str());
  }
  return x;
}

std::string Args::Help() const {
  std::ostringstream os;
  os << "Usage: " << usage_ << "\n\n" << summary_ << "\n";
  if (!positional_specs_.empty()) {
    os << "\nArguments:\n";
    for (const auto& [m, h] : positional_specs_) {
      os << "  " << m;
      for (size_t i = m.size(); i < 28; ++i) os << ' ';
      os << h << "\n";
    }
  }
  os << "\nOptions:\n";
  for (const auto& s : specs_) {
    std::string left = "  --" + s.name;
    if (s.kind == Spec::kFlag) left = "  --[no-]" + s.name;
    else if (s.kind == Spec::kMulti) left += " " + s.metavar + "...";
    else left += " " + s.metavar;
    os << left;
    if (left.size() < 30) {
      os << std::string(30 - left.size(), ' ');
    } else {
      os << "\n" << std::string(30, ' ');
    }
    os << s.help;
    if (s.kind == Spec::kFlag) os << " (default: " << (s.def == "true" ? "on" : "off") << ")";
    else if (!s.def.empty()) os << " (default: " << s.def << ")";
    os << "\n";
  }
  os << "  -h, --help                  show this help and exit\n";
  return os.str();
}

}  // namespace bertc::cli
