// bertc tokenizer train|encode|decode
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bertc.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/pretrain_common.h"
#include "cli/progress.h"

namespace bertc::cli {
namespace {

struct EncodingDeleter {
  void operator()(bert_encoding* e) const { bert_encoding_free(e); }
};
using EncodingPtr = std::unique_ptr<bert_encoding, EncodingDeleter>;

struct TrainProgress {
  Progress bar{"tokenizer"};
};

int OnTrainEvent(void* user, const bert_event* ev) {
  auto* p = static_cast<TrainProgress*>(user);
  if (ev->kind == BERT_EVENT_TOKENIZER_COUNT) {
    p->bar.Update(ev->current >> 10, ev->total >> 10, "KiB of text counted");
  } else if (ev->kind == BERT_EVENT_TOKENIZER_MERGE) {
    p->bar.Update(ev->current, ev->total, "tokens in vocabulary");
  }
  return Interrupted() ? 1 : 0;
}

int Train(int argc, char** argv) {
  Args args("tokenizer train", "Train a BERT WordPiece tokenizer on text files (one sentence or document per line).",
            "bertc tokenizer train --files FILE... --out DIR [options]");
  args.Multi("files", "FILE", "training text files (UTF-8, one example per line)")
      .Option("out", "DIR", "", "output directory: vocab.txt, tokenizer.json, tokenizer_config.json, ...")
      .Option("vocab-size", "N", "30522", "vocabulary size including special tokens")
      .Option("min-frequency", "N", "2", "pairs seen fewer times are never merged")
      .Option("limit-alphabet", "N", "1000", "keep at most N distinct characters (0 = all)")
      .Multi("special-tokens", "TOKEN", "special tokens, ids 0.. in order (default: [PAD] [UNK] [CLS] [SEP] [MASK])")
      .Flag("lowercase", true, "lowercase the text")
      .Option("strip-accents", "auto|on|off", "auto", "strip accents (auto: follow --lowercase)")
      .Option("algorithm", "hf|likelihood", "hf", "hf: Hugging Face WordPieceTrainer merges; likelihood: freq(ab)/(freq(a)freq(b))")
      .Option("threads", "N", "0", "threads for word counting (0 = all cores)");
  if (!args.Parse(argc, argv)) return 0;
  if (args.list("files").empty()) throw UsageError("tokenizer train: --files is required");
  if (args.str("out").empty()) throw UsageError("tokenizer train: --out DIR is required");
  bert_tokenizer_params p;
  Check(BERT_TOKENIZER_PARAMS_INIT(&p), "bertc library");
  p.vocab_size = static_cast<size_t>(args.integer("vocab-size", 1, 10000000));
  p.min_frequency = static_cast<uint64_t>(args.integer("min-frequency", 0, 1LL << 40));
  p.limit_alphabet = static_cast<size_t>(args.integer("limit-alphabet", 0, 10000000));
  p.lowercase = args.flag("lowercase") ? 1 : 0;
  const std::string& sa = args.str("strip-accents");
  if (sa == "auto") p.strip_accents = BERT_STRIP_ACCENTS_AUTO;
  else if (sa == "on") p.strip_accents = BERT_STRIP_ACCENTS_STRIP;
  else if (sa == "off") p.strip_accents = BERT_STRIP_ACCENTS_KEEP;
  else throw UsageError("tokenizer train: --strip-accents must be auto, on or off, got '" + sa + "'");
  const std::string& algo = args.str("algorithm");
  if (algo == "hf") p.algorithm = BERT_TOKENIZER_ALGO_HF;
  else if (algo == "likelihood") p.algorithm = BERT_TOKENIZER_ALGO_LIKELIHOOD;
  else throw UsageError("tokenizer train: --algorithm must be hf or likelihood, got '" + algo + "'");
  p.threads = static_cast<size_t>(args.integer("threads", 0, 1024));
  std::vector<const char*> specials;
  for (const auto& s : args.list("special-tokens")) specials.push_back(s.c_str());
  if (!specials.empty()) {
    p.special_tokens = specials.data();
    p.num_special_tokens = specials.size();
  }
  std::vector<const char*> files;
  for (const auto& f : args.list("files")) files.push_back(f.c_str());
  TrainProgress progress;
  p.progress = OnTrainEvent;
  p.progress_user_data = &progress;
  InstallInterruptHandler();
  bert_tokenizer* t = nullptr;
  Check(bert_tokenizer_train(files.data(), files.size(), &p, &t), "tokenizer training failed");
  TokenizerPtr tok(t);
  progress.bar.Finish();
  Check(bert_tokenizer_save(tok.get(), args.str("out").c_str()), "cannot save tokenizer");
  std::printf("trained a %zu-token WordPiece vocabulary -> %s\n", bert_tokenizer_vocab_size(tok.get()),
              args.str("out").c_str());
  return 0;
}

std::vector<std::string> InputLines(const std::vector<std::string>& positional) {
  if (!positional.empty()) return positional;
  std::vector<std::string> lines;
  std::istringstream in(ReadStdin());
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

int Encode(int argc, char** argv) {
  Args args("tokenizer encode", "Encode text into token ids: each argument, or each line of stdin, is one input.",
            "bertc tokenizer encode --tokenizer DIR [options] [TEXT...]");
  args.Option("tokenizer", "DIR", "", "tokenizer directory or file (vocab.txt / tokenizer.json)")
      .Option("pair", "TEXT", "", "second sequence for every input ([CLS] A [SEP] B [SEP])")
      .Option("max-length", "N", "0", "maximum length including special tokens (0 = model maximum)")
      .Option("truncation", "none|longest_first|only_first|only_second", "none", "truncation strategy")
      .Option("stride", "N", "0", "overlap between overflow windows")
      .Flag("overflow", false, "print overflow windows as extra rows")
      .Option("padding", "none|longest|max_length", "none", "padding strategy")
      .Option("pad-to-multiple-of", "N", "0", "round padded length up to a multiple of N")
      .Flag("special-tokens", true, "add [CLS]/[SEP]")
      .Flag("split-special-tokens", false, "treat [MASK] etc. in the text as plain text")
      .Flag("json", false, "one JSON object per row: ids, tokens, type_ids, attention_mask, offsets")
      .Option("threads", "N", "0", "threads (0 = all cores)")
      .Positional("TEXT...", "texts to encode (default: lines of stdin)", true);
  if (!args.Parse(argc, argv)) return 0;
  if (args.str("tokenizer").empty()) throw UsageError("tokenizer encode: --tokenizer DIR is required");
  bert_encode_params p;
  Check(BERT_ENCODE_PARAMS_INIT(&p), "bertc library");
  p.max_length = static_cast<size_t>(args.integer("max-length", 0, 1 << 30));
  p.stride = static_cast<size_t>(args.integer("stride", 0, 1 << 30));
  p.return_overflowing = args.flag("overflow") ? 1 : 0;
  p.pad_to_multiple_of = static_cast<size_t>(args.integer("pad-to-multiple-of", 0, 1 << 20));
  p.add_special_tokens = args.flag("special-tokens") ? 1 : 0;
  p.split_special_tokens = args.flag("split-special-tokens") ? 1 : 0;
  p.threads = static_cast<size_t>(args.integer("threads", 0, 1024));
  const std::string& tr = args.str("truncation");
  if (tr == "none") p.truncation = BERT_TRUNCATION_NONE;
  else if (tr == "longest_first") p.truncation = BERT_TRUNCATION_LONGEST_FIRST;
  else if (tr == "only_first") p.truncation = BERT_TRUNCATION_ONLY_FIRST;
  else if (tr == "only_second") p.truncation = BERT_TRUNCATION_ONLY_SECOND;
  else throw UsageError("tokenizer encode: unknown --truncation '" + tr + "'");
  const std::string& pad = args.str("padding");
  if (pad == "none") p.padding = BERT_PADDING_NONE;
  else if (pad == "longest") p.padding = BERT_PADDING_LONGEST;
  else if (pad == "max_length") p.padding = BERT_PADDING_MAX_LENGTH;
  else throw UsageError("tokenizer encode: unknown --padding '" + pad + "'");

  TokenizerPtr tok = LoadTokenizer(args.str("tokenizer"));
  const std::vector<std::string> lines = InputLines(args.positional());
  std::vector<const char*> texts, pairs;
  std::vector<size_t> lengths, pair_lengths;
  const std::string& pair = args.str("pair");
  for (const auto& l : lines) {
    texts.push_back(l.data());
    lengths.push_back(l.size());
    pairs.push_back(pair.data());
    pair_lengths.push_back(pair.size());
  }
  bert_encoding* e = nullptr;
  Check(bert_tokenizer_encode_batch(tok.get(), texts.data(), lengths.data(), args.given("pair") ? pairs.data() : nullptr,
                                    args.given("pair") ? pair_lengths.data() : nullptr, texts.size(), &p, &e),
        "encode failed");
  EncodingPtr enc(e);
  const bool json = args.flag("json");
  for (size_t row = 0; row < bert_encoding_count(enc.get()); ++row) {
    const size_t n = bert_encoding_length(enc.get(), row);
    const int32_t* ids = bert_encoding_ids(enc.get(), row);
    const int32_t* types = bert_encoding_type_ids(enc.get(), row);
    const int32_t* mask = bert_encoding_attention_mask(enc.get(), row);
    const bert_offset* offs = bert_encoding_offsets(enc.get(), row);
    std::vector<std::string> tokens(n);
    for (size_t i = 0; i < n; ++i) {
      const char* s = nullptr;
      Check(bert_tokenizer_id_to_token(tok.get(), ids[i], &s, nullptr), "id_to_token");
      tokens[i] = s;
    }
    std::string out;
    if (json) {
      auto ints = [&](const int32_t* v) {
        std::string s = "[";
        for (size_t i = 0; i < n; ++i) s += (i ? "," : "") + std::to_string(v[i]);
        return s + "]";
      };
      out = "{\"input\":" + std::to_string(bert_encoding_input_index(enc.get(), row)) +
            ",\"overflow\":" + (bert_encoding_is_overflow(enc.get(), row) ? "true" : "false") + ",\"ids\":" + ints(ids) +
            ",\"tokens\":[";
      for (size_t i = 0; i < n; ++i) out += (i ? "," : "") + JsonString(tokens[i]);
      out += "],\"type_ids\":" + ints(types) + ",\"attention_mask\":" + ints(mask) + ",\"offsets\":[";
      for (size_t i = 0; i < n; ++i) {
        out += (i ? ",[" : "[") + std::to_string(offs[i].start) + "," + std::to_string(offs[i].end) + "]";
      }
      out += "]}";
    } else {
      for (size_t i = 0; i < n; ++i) out += (i ? " " : "") + tokens[i];
      out += "\n";
      for (size_t i = 0; i < n; ++i) out += (i ? " " : "") + std::to_string(ids[i]);
    }
    std::printf("%s\n", out.c_str());
  }
  return 0;
}

int Decode(int argc, char** argv) {
  Args args("tokenizer decode", "Decode token ids into text (ids as arguments, or one sequence per stdin line).",
            "bertc tokenizer decode --tokenizer DIR [options] [ID...]");
  args.Option("tokenizer", "DIR", "", "tokenizer directory or file")
      .Flag("skip-special-tokens", true, "drop [CLS], [SEP], [PAD], ...")
      .Flag("cleanup", true, "remove spaces before punctuation and in contractions, as Hugging Face does")
      .Positional("ID...", "token ids (default: whitespace-separated ids per stdin line)", true);
  if (!args.Parse(argc, argv)) return 0;
  if (args.str("tokenizer").empty()) throw UsageError("tokenizer decode: --tokenizer DIR is required");
  TokenizerPtr tok = LoadTokenizer(args.str("tokenizer"));
  unsigned flags = 0;
  if (args.flag("skip-special-tokens")) flags |= BERT_DECODE_SKIP_SPECIAL_TOKENS;
  if (!args.flag("cleanup")) flags |= BERT_DECODE_NO_CLEANUP;
  std::vector<std::string> sequences;
  if (!args.positional().empty()) {
    std::string joined;
    for (const auto& a : args.positional()) joined += a + " ";
    sequences.push_back(joined);
  } else {
    sequences = InputLines({});
  }
  for (const auto& seq : sequences) {
    std::vector<int32_t> ids;
    std::istringstream in(seq);
    std::string word;
    while (in >> word) {
      for (char& c : word) {
        if (c == ',' || c == '[' || c == ']') c = ' ';
      }
      std::istringstream inner(word);
      std::string w;
      while (inner >> w) {
        char* end = nullptr;
        const long v = std::strtol(w.c_str(), &end, 10);
        if (*end != '\0' || v < 0 || v > INT32_MAX) throw UsageError("tokenizer decode: '" + w + "' is not a token id");
        ids.push_back(static_cast<int32_t>(v));
      }
    }
    char* text = nullptr;
    size_t len = 0;
    Check(bert_tokenizer_decode(tok.get(), ids.data(), ids.size(), flags, &text, &len), "decode failed");
    std::fwrite(text, 1, len, stdout);
    std::fputc('\n', stdout);
    bert_string_free(text);
  }
  return 0;
}

}  // namespace

int TokenizerCommand(int argc, char** argv) {
  const char* usage =
      "Usage: bertc tokenizer <train|encode|decode> [options]\n\n"
      "  train    train a WordPiece vocabulary on text files\n"
      "  encode   text -> token ids\n"
      "  decode   token ids -> text\n\n"
      "Run 'bertc tokenizer <subcommand> --help' for its options.\n";
  if (argc < 1) {
    std::fputs(usage, stderr);
    return 2;
  }
  const std::string sub = argv[0];
  if (sub == "--help" || sub == "-h") {
    std::fputs(usage, stdout);
    return 0;
  }
  if (sub == "train") return Train(argc - 1, argv + 1);
  if (sub == "encode") return Encode(argc - 1, argv + 1);
  if (sub == "decode") return Decode(argc - 1, argv + 1);
  throw UsageError("tokenizer: unknown subcommand '" + sub + "' (train, encode or decode)");
}

}  // namespace bertc::cli
