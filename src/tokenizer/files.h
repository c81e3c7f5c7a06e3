// Tokenizer files, Hugging Face compatible: vocab.txt (one token per line, id = line number),
// tokenizer.json (HF `tokenizers` schema: BertNormalizer, BertPreTokenizer, WordPiece model,
// BertProcessing or TemplateProcessing, WordPiece decoder), tokenizer_config.json and
// special_tokens_map.json (transformers), and the tokenizer config.json the seed tutorial writes.
// The loading/saving entry points are Tokenizer::Load / Tokenizer::Save; these are the pieces.
#ifndef BERTC_TOKENIZER_FILES_H_
#define BERTC_TOKENIZER_FILES_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace bertc::tok {

// Parses vocab.txt content (HF rules: lines split on \n, trailing whitespace trimmed). `name` is
// used in messages. Throws FormatError for an empty file or invalid UTF-8 (with the line number).
std::vector<std::string> ParseVocabTxt(std::string_view content, const std::string& name);

// Parses tokenizer.json content. Throws FormatError (malformed JSON, missing fields, bad ids) or
// Unsupported (a pipeline component other than the BERT ones).
std::shared_ptr<const Tokenizer> ParseTokenizerJson(std::string_view content, const std::string& name,
                                                    size_t model_max_length);

// Reads the settings a transformers tokenizer_config.json (or the seed's config.json) carries
// into `config` (do_lower_case, strip_accents, tokenize_chinese_chars, token names,
// model_max_length). Unknown keys are ignored. Throws FormatError for malformed JSON.
void ApplyTokenizerConfigJson(std::string_view content, const std::string& name, TokenizerConfig* config);

std::string TokenizerConfigJson(const Tokenizer& tok);
std::string SpecialTokensMapJson(const Tokenizer& tok);
std::string SeedConfigJson(const Tokenizer& tok);

}  // namespace bertc::tok

#endif  // BERTC_TOKENIZER_FILES_H_
