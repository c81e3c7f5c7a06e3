// bertc: the command-line face of the library, built on the public C API (include/bertc.h) only.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "bertc.h"
#include "cli/args.h"
#include "cli/commands.h"

namespace bertc::cli {

void Check(bert_status status, const std::string& what) {
  if (status == BERT_OK) return;
  const char* msg = bert_last_error();
  throw ExitError(status == BERT_ERR_CANCELLED ? 130 : 1,
                  what + ": " + (msg && *msg ? msg : bert_status_str(status)));
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void PrintLibraryWarning() {
  const char* msg = bert_last_error();
  if (msg == nullptr || *msg == '\0') return;
  const char* prefix = "warning: ";
  if (std::strncmp(msg, prefix, std::strlen(prefix)) == 0) msg += std::strlen(prefix);
  std::fprintf(stderr, "bertc: warning: %s\n", msg);
}

std::string ReadStdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

namespace {

const char kUsage[] =
    "Usage: bertc <command> [options]\n"
    "\n"
    "Train a WordPiece tokenizer, pre-train BERT with masked-language modelling, evaluate it,\n"
    "answer fill-mask queries, and fine-tune it to classify texts or tag words. Files are Hugging Face\n"
    "compatible (vocab.txt, tokenizer.json, config.json, model.safetensors).\n"
    "\n"
    "Commands:\n"
    "  tokenizer train     train a WordPiece vocabulary on text files\n"
    "  tokenizer encode    text -> token ids (stdin or arguments)\n"
    "  tokenizer decode    token ids -> text\n"
    "  pretrain            masked-language-model pre-training with eval and checkpoints\n"
    "  eval                loss, perplexity and masked-token accuracy of a model on a text file\n"
    "  fill-mask           top-k predictions for each [MASK] in a text\n"
    "  finetune            fine-tune for sequence classification or token classification (JSONL)\n"
    "  classify            label texts with a sequence classifier (--data: evaluate it)\n"
    "  tag                 tag words with a token classifier (--data: evaluate it)\n"
    "  launch -n N -- CMD  run N ranks of a data-parallel 'pretrain' / 'finetune' on this machine\n"
    "  plot                render a run's loss curves to PNG (gnuplot) or SVG\n"
    "  version [--verbose] print the library version (--verbose: build, BLAS and GEMM kernel in use)\n"
    "\n"
    "Run 'bertc <command> --help' for a command's options.\n"
    "Exit status: 0 ok, 1 failure, 2 bad usage, 130 interrupted (a checkpoint is written first).\n";

int Dispatch(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  if (cmd == "version" || cmd == "--version") {
    std::printf("bertc %s\n", bert_version());
    if (argc > 2 && (std::strcmp(argv[2], "--verbose") == 0 || std::strcmp(argv[2], "-v") == 0)) {
      // Build, BLAS library and the GEMM kernels it runs on this CPU (bert_build_info), one per line.
      const nlohmann::json info = nlohmann::json::parse(bert_build_info(), nullptr, false);
      if (info.is_object()) {
        for (auto it = info.begin(); it != info.end(); ++it) {
          if (it->is_object()) {
            for (auto in = it->begin(); in != it->end(); ++in) {
              std::printf("%s.%s: %s\n", it.key().c_str(), in.key().c_str(),
                          in->is_string() ? in->get<std::string>().c_str() : in->dump().c_str());
            }
          } else {
            std::printf("%s: %s\n", it.key().c_str(), it->is_string() ? it->get<std::string>().c_str() : it->dump().c_str());
          }
        }
      }
    }
    return 0;
  }
  if (bert_check_version(BERTC_VERSION_NUMBER) != BERT_OK) {
    std::fprintf(stderr, "bertc: %s\n", bert_last_error());
    return 1;
  }
  if (cmd == "tokenizer") return TokenizerCommand(argc - 2, argv + 2);
  if (cmd == "pretrain") return PretrainCommand(argc - 2, argv + 2);
  if (cmd == "launch") return LaunchCommand(argc - 2, argv + 2);
  if (cmd == "eval") return EvalCommand(argc - 2, argv + 2);
  if (cmd == "fill-mask") return FillMaskCommand(argc - 2, argv + 2);
  if (cmd == "plot") return PlotCommand(argc - 2, argv + 2);
  if (cmd == "finetune") return FinetuneCommand(argc - 2, argv + 2);
  if (cmd == "classify") return ClassifyCommand(argc - 2, argv + 2);
  if (cmd == "tag") return TagCommand(argc - 2, argv + 2);
  throw UsageError("unknown command '" + cmd + "' (see 'bertc --help')");
}

}  // namespace
}  // namespace bertc::cli

int main(int argc, char** argv) {
  try {
    return bertc::cli::Dispatch(argc, argv);
  } catch (const bertc::cli::UsageError& e) {
    std::fprintf(stderr, "bertc: %s\n", e.what());
    return 2;
  } catch (const bertc::cli::ExitError& e) {
    if (*e.what()) std::fprintf(stderr, "bertc: %s\n", e.what());
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bertc: %s\n", e.what());
    return 1;
  }
}
