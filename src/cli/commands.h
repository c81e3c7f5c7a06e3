// The bertc tool's subcommands. Each takes the arguments after its name and returns an exit status:
// 0 success, 1 failure reported by the library, 2 bad usage, 130 interrupted (work saved first).
#ifndef BERTC_CLI_COMMANDS_H_
#define BERTC_CLI_COMMANDS_H_

#include <string>

#include "bertc.h"

namespace bertc::cli {

int TokenizerCommand(int argc, char** argv);  // bertc tokenizer train|encode|decode
int PretrainCommand(int argc, char** argv);   // bertc pretrain
int EvalCommand(int argc, char** argv);       // bertc eval
int FillMaskCommand(int argc, char** argv);   // bertc fill-mask
int PlotCommand(int argc, char** argv);       // bertc plot
int FinetuneCommand(int argc, char** argv);   // bertc finetune
int ClassifyCommand(int argc, char** argv);   // bertc classify
int TagCommand(int argc, char** argv);        // bertc tag
int LaunchCommand(int argc, char** argv);     // bertc launch -n N -- COMMAND

// Throws ExitError(1, "<what>: <last error>") when `status` is not BERT_OK.
void Check(bert_status status, const std::string& what);

// JSON string literal for `s` (UTF-8 passed through, control characters escaped).
std::string JsonString(const std::string& s);

// Prints the library's warning from the last call (bert_last_error() after a success), if any.
void PrintLibraryWarning();

// Reads all of stdin.
std::string ReadStdin();

}  // namespace bertc::cli

#endif  // BERTC_CLI_COMMANDS_H_
