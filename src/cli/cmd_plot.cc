// bertc plot: loss curves (train and eval vs step) from a run's metrics JSONL, as PNG via gnuplot
// when it is installed, otherwise as a self-contained SVG.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"

namespace bertc::cli {
namespace {

struct Series {
  std::string name, color;
  std::vector<std::pair<double, double>> points;
};

bool HaveGnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

void WriteSvg(const std::string& path, const std::vector<Series>& series, const std::string& title) {
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : series) {
    for (auto [x, y] : s.points) {
      x0 = std::min(x0, x); x1 = std::max(x1, x);
      y0 = std::min(y0, y); y1 = std::max(y1, y);
    }
  }
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  const double W = 800, H = 480, L = 70, R = 20, T = 40, B = 50;
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return H - B - (y - y0) / (y1 - y0) * (H - T - B); };
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
     << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  os << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << title << "</text>\n";
  os << "<line x1=\"" << L << "\" y1=\"" << H - B << "\" x2=\"" << W - R << "\" y2=\"" << H - B << "\" stroke=\"black\"/>\n";
  os << "<line x1=\"" << L << "\" y1=\"" << T << "\" x2=\"" << L << "\" y2=\"" << H - B << "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 5; ++i) {
    const double x = x0 + (x1 - x0) * i / 5, y = y0 + (y1 - y0) * i / 5;
    os << "<text x=\"" << px(x) << "\" y=\"" << H - B + 18 << "\" text-anchor=\"middle\">" << std::lround(x) << "</text>\n";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", y);
    os << "<text x=\"" << L - 6 << "\" y=\"" << py(y) + 4 << "\" text-anchor=\"end\">" << buf << "</text>\n";
  }
  os << "<text x=\"" << W / 2 << "\" y=\"" << H - 12 << "\" text-anchor=\"middle\">step</text>\n";
  os << "<text x=\"16\" y=\"" << H / 2 << "\" transform=\"rotate(-90 16 " << H / 2 << ")\" text-anchor=\"middle\">loss</text>\n";
  int row = 0;
  for (const auto& s : series) {
    if (s.points.empty()) continue;
    os << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.5\" points=\"";
    for (auto [x, y] : s.points) os << px(x) << "," << py(y) << " ";
    os << "\"/>\n";
    os << "<text x=\"" << W - R - 120 << "\" y=\"" << T + 16 * ++row << "\" fill=\"" << s.color << "\">" << s.name << "</text>\n";
  }
  os << "</svg>\n";
  std::ofstream f(path);
  f << os.str();
  if (!f) throw ExitError(1, "plot: cannot write " + path);
}

void WritePng(const std::string& path, const std::vector<Series>& series, const std::string& title) {
  char dir_tmpl[] = "/tmp/bertc-plot-XXXXXX";
  const char* dir = mkdtemp(dir_tmpl);
  if (dir == nullptr) throw ExitError(1, "plot: cannot create a temporary directory");
  std::ostringstream script;
  script << "set terminal pngcairo size 900,540 font ',11'\nset output '" << path << "'\n"
         << "set title '" << title << "'\nset xlabel 'step'\nset ylabel 'loss'\nset grid\nset key top right\n"
         << "plot ";
  bool first = true;
  for (size_t i = 0; i < series.size(); ++i) {
    if (series[i].points.empty()) continue;
    const std::string data = std::string(dir) + "/s" + std::to_string(i) + ".dat";
    std::ofstream f(data);
    for (auto [x, y] : series[i].points) f << x << " " << y << "\n";
    script << (first ? "" : ", ") << "'" << data << "' with linespoints lw 2 pt 7 ps 0.4 lc rgb '"
           << series[i].color << "' title '" << series[i].name << "'";
    first = false;
  }
  script << "\n";
  const std::string gp = std::string(dir) + "/plot.gp";
  std::ofstream(gp) << script.str();
  const int rc = std::system(("gnuplot '" + gp + "'").c_str());
  std::system(("rm -rf '" + std::string(dir) + "'").c_str());
  if (rc != 0) throw ExitError(1, "plot: gnuplot failed");
}

}  // namespace

int PlotCommand(int argc, char** argv) {
  Args args("plot", "Render a run's loss curves (train and eval loss vs step) from its metrics log.",
            "bertc plot --run DIR [--out FILE]");
  args.Option("run", "DIR", "", "training output directory (reads DIR/train_log.jsonl)")
      .Option("metrics", "FILE", "", "metrics JSONL file (default: RUN/train_log.jsonl)")
      .Option("out", "FILE", "", "output image: .png needs gnuplot, .svg is written directly (default: RUN/loss.png, or .svg without gnuplot)")
      .Option("title", "TEXT", "bertc pre-training", "plot title");
  if (!args.Parse(argc, argv)) return 0;
  if (!args.given("run") && !args.given("metrics")) throw UsageError("plot: --run DIR is required");
  const std::string metrics = args.given("metrics") ? args.str("metrics") : args.str("run") + "/train_log.jsonl";
  std::ifstream in(metrics);
  if (!in) throw ExitError(1, "plot: cannot open " + metrics);
  Series train{"train loss", "#1f77b4", {}}, eval{"eval loss", "#d62728", {}};
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw ExitError(1, metrics + ":" + std::to_string(lineno) + ": not a JSON object");
    if (!j.contains("step")) continue;
    const double step = j["step"].get<double>();
    if (j.contains("loss") && j["loss"].is_number()) train.points.emplace_back(step, j["loss"].get<double>());
    if (j.contains("eval_loss") && j["eval_loss"].is_number()) eval.points.emplace_back(step, j["eval_loss"].get<double>());
  }
  if (train.points.empty() && eval.points.empty()) throw ExitError(1, "plot: no loss values in " + metrics);
  std::string out = args.str("out");
  const bool gnuplot = HaveGnuplot();
  if (out.empty()) out = (args.given("run") ? args.str("run") : std::string(".")) + (gnuplot ? "/loss.png" : "/loss.svg");
  const bool png = out.size() > 4 && out.compare(out.size() - 4, 4, ".png") == 0;
  if (png && !gnuplot) throw ExitError(1, "plot: PNG output needs gnuplot (apt-get install gnuplot-nox), or use --out FILE.svg");
  if (png) WritePng(out, {train, eval}, args.str("title"));
  else WriteSvg(out, {train, eval}, args.str("title"));
  std::printf("%s (%zu train points, %zu eval points)\n", out.c_str(), train.points.size(), eval.points.size());
  return 0;
}

}  // namespace bertc::cli
