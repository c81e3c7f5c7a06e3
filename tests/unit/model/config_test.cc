#include "model/config.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace bertc::model {
namespace {

TEST(BertConfig, DefaultsAreBertBase) {
  BertConfig c;
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_NO_THROW(Validate(c));
}

TEST(BertConfig, JsonRoundTrip) {
  BertConfig c;
  c.vocab_size = 99;
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.intermediate_size = 37;
  c.hidden_act = "gelu_new";
  c.hidden_dropout_prob = 0.25;
  c.attention_probs_dropout_prob = 0.0;
  c.max_position_embeddings = 64;
  c.type_vocab_size = 3;
  c.layer_norm_eps = 1e-5;
  c.initializer_range = 0.05;
  c.pad_token_id = 7;
  const std::string j = ConfigToJson(c);
  EXPECT_NE(j.find("\"BertForMaskedLM\""), std::string::npos);
  EXPECT_NE(j.find("\"model_type\": \"bert\""), std::string::npos);
  EXPECT_EQ(ConfigFromJson(j), c);
}

TEST(BertConfig, MissingFieldsTakeHfDefaults) {
  BertConfig c = ConfigFromJson(R"({"vocab_size": 100, "hidden_size": 64, "num_attention_heads": 4})");
  EXPECT_EQ(c.vocab_size, 100);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.hidden_act, "gelu");
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
}

TEST(BertConfig, ReadsHfMiniLmConfig) {
  // Extra HF fields (architectures, use_cache, gradient_checkpointing, ...) are ignored.
  BertConfig c = ConfigFromJson(R"({"architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1,
    "gradient_checkpointing": false, "hidden_act": "gelu", "hidden_size": 384, "num_attention_heads": 12,
    "num_hidden_layers": 6, "intermediate_size": 1536, "model_type": "bert", "use_cache": true,
    "transformers_version": "4.8.2", "vocab_size": 30522, "classifier_dropout": null})");
  EXPECT_EQ(c.hidden_size, 384);
  EXPECT_EQ(c.num_hidden_layers, 6);
}

void ExpectFormatError(const std::string& json, const std::string& needle) {
  try {
    ConfigFromJson(json);
    FAIL() << "no error for " << json;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFormat) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(BertConfig, BadConfigsAreFormatErrors) {
  ExpectFormatError("{", "not valid JSON");
  ExpectFormatError("[1, 2]", "JSON object");
  ExpectFormatError(R"({"hidden_size": 30, "num_attention_heads": 4})", "not a multiple of num_attention_heads");
  ExpectFormatError(R"({"vocab_size": 0})", "vocab_size must be > 0");
  ExpectFormatError(R"({"num_hidden_layers": -1})", "num_hidden_layers must be > 0");
  ExpectFormatError(R"({"hidden_size": "big"})", "'hidden_size' must be an integer");
  ExpectFormatError(R"({"hidden_act": "mish"})", "hidden_act 'mish'");
  ExpectFormatError(R"({"hidden_dropout_prob": 1.5})", "hidden_dropout_prob");
  ExpectFormatError(R"({"vocab_size": 10, "pad_token_id": 10})", "pad_token_id");
  ExpectFormatError(R"({"model_type": "roberta"})", "model_type");
  ExpectFormatError(R"({"layer_norm_eps": 0})", "layer_norm_eps");
}

TEST(BertConfig, RelativePositionsUnsupported) {
  try {
    ConfigFromJson(R"({"position_embedding_type": "relative_key"})");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  }
}

TEST(BertConfig, VocabMismatchWithTokenizer) {
  BertConfig c;
  EXPECT_NO_THROW(CheckVocabMatches(c, 30522));
  try {
    CheckVocabMatches(c, 8000);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("8000"), std::string::npos);
  }
}

TEST(BertConfig, ReadConfigMissingFileIsIo) {
  try {
    ReadConfig("/nonexistent/dir");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
  }
}

}  // namespace
}  // namespace bertc::model
