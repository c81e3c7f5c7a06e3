#include "data/labeled.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "common/error.h"
#include "data/mlm_collator.h"

namespace bertc::data {
namespace {

// A toy word-piece encoder: one id per character of every whitespace-separated word, the first
// character's id is 10 + (char - 'a'), later ones 40 + (char - 'a') ("##" pieces).
void ToyEncode(std::string_view text, std::vector<int32_t>& out) {
  bool start = true;
  for (char c : text) {
    if (c == ' ') {
      start = true;
      continue;
    }
    out.push_back((start ? 10 : 40) + (c - 'a'));
    start = false;
  }
}

std::string WriteTemp(const std::string& content) {
  char path[] = "/tmp/bertc_labeled_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << content;
  return path;
}

LabeledReadOptions Opts(LabelTask task, int max_length = 16) {
  LabeledReadOptions o;
  o.task = task;
  o.max_length = max_length;
  o.ids.cls = 2;
  o.ids.sep = 3;
  o.ids.pad = 0;
  o.threads = 2;
  return o;
}

ErrorCode CodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return static_cast<ErrorCode>(0);
}

TEST(Labeled, SequenceLabelsByNameAndId) {
  const std::string f = WriteTemp("{\"text\": \"ab c\", \"label\": \"pos\"}\n\n{\"text\": \"d\", \"label\": 0}\n");
  const std::vector<std::string> labels{"neg", "pos"};
  EXPECT_EQ(CollectLabels({f}, Opts(LabelTask::kSequence)), (std::vector<std::string>{"0", "pos"}));
  ExampleSet s = ReadLabeledJsonl({f}, ToyEncode, labels, Opts(LabelTask::kSequence));
  ASSERT_EQ(s.size(), 2u);
  ASSERT_EQ(s.labels(), ExampleSet::Labels::kPerExample);
  EXPECT_EQ(s.example_label(0), 1);
  EXPECT_EQ(s.example_label(1), 0);
  const TokenSpan e = s[0];
  EXPECT_EQ(std::vector<int32_t>(e.data, e.data + e.size), (std::vector<int32_t>{2, 10, 41, 12, 3}));
  std::remove(f.c_str());
}

TEST(Labeled, TokenLabelsOnFirstPieceOfEachWord) {
  const std::string f = WriteTemp("{\"words\": [\"ab\", \"c\", \"de\"], \"tags\": [\"x\", \"y\", \"x\"]}\n"
                                  "{\"words\": [], \"tags\": []}\n");
  ExampleSet s = ReadLabeledJsonl({f}, ToyEncode, {"x", "y"}, Opts(LabelTask::kToken));
  ASSERT_EQ(s.size(), 1u);  // the line without words is skipped
  ASSERT_EQ(s.labels(), ExampleSet::Labels::kPerToken);
  const TokenSpan e = s[0];
  EXPECT_EQ(std::vector<int32_t>(e.data, e.data + e.size), (std::vector<int32_t>{2, 10, 41, 12, 13, 44, 3}));
  const int32_t* l = s.token_labels(0);
  EXPECT_EQ(std::vector<int32_t>(l, l + e.size), (std::vector<int32_t>{-100, 0, -100, 1, 0, -100, -100}));
  // Truncation keeps max_length tokens, the labels aligned.
  ExampleSet t = ReadLabeledJsonl({f}, ToyEncode, {"x", "y"}, Opts(LabelTask::kToken, 5));
  ASSERT_EQ(t.length(0), 5u);
  const int32_t* tl = t.token_labels(0);
  EXPECT_EQ(std::vector<int32_t>(tl, tl + 5), (std::vector<int32_t>{-100, 0, -100, 1, -100}));
  std::remove(f.c_str());
}

TEST(Labeled, BadInputNamesFileAndLine) {
  const std::string unknown = WriteTemp("{\"text\": \"a\", \"label\": \"pos\"}\n{\"text\": \"b\", \"label\": \"meh\"}\n");
  try {
    ReadLabeledJsonl({unknown}, ToyEncode, {"neg", "pos"}, Opts(LabelTask::kSequence));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(unknown + ":2: unknown label 'meh'"), std::string::npos) << e.what();
  }
  const std::string mismatch = WriteTemp("{\"words\": [\"a\", \"b\"], \"tags\": [\"x\"]}\n");
  try {
    ReadLabeledJsonl({mismatch}, ToyEncode, {"x"}, Opts(LabelTask::kToken));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(":1: 2 words but 1 tags"), std::string::npos) << e.what();
  }
  const std::string bad_json = WriteTemp("{\"text\": \"a\", \"label\": \n");
  EXPECT_EQ(CodeOf([&] { ReadLabeledJsonl({bad_json}, ToyEncode, {"a"}, Opts(LabelTask::kSequence)); }),
            ErrorCode::kFormat);
  const std::string no_field = WriteTemp("{\"sentence\": \"a\", \"label\": 0}\n");
  EXPECT_EQ(CodeOf([&] { ReadLabeledJsonl({no_field}, ToyEncode, {"a"}, Opts(LabelTask::kSequence)); }),
            ErrorCode::kFormat);
  const std::string bad_utf8 = WriteTemp("{\"text\": \"a\xff\", \"label\": 0}\n");
  EXPECT_EQ(CodeOf([&] { ReadLabeledJsonl({bad_utf8}, ToyEncode, {"a"}, Opts(LabelTask::kSequence)); }),
            ErrorCode::kInvalidUtf8);
  const std::string out_of_range = WriteTemp("{\"text\": \"a\", \"label\": 2}\n");
  EXPECT_EQ(CodeOf([&] { ReadLabeledJsonl({out_of_range}, ToyEncode, {"a", "b"}, Opts(LabelTask::kSequence)); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { ReadLabeledJsonl({"/nonexistent.jsonl"}, ToyEncode, {"a"}, Opts(LabelTask::kSequence)); }),
            ErrorCode::kIo);
  for (const auto& f : {unknown, mismatch, bad_json, no_field, bad_utf8, out_of_range}) std::remove(f.c_str());
}

TEST(Labeled, FromMemoryAndCollate) {
  const std::vector<int32_t> ids{5, 6, 7, 8};
  const std::vector<size_t> offsets{0, 3, 4};
  const std::vector<int32_t> seq_labels{1, 0};
  ExampleSet s = LabeledFromMemory(ids.data(), offsets.data(), 2, seq_labels.data(), 2, Opts(LabelTask::kSequence));
  LabeledBatch b = CollateLabeled(s, {1, 0}, 5, 0);
  EXPECT_EQ(b.input_ids, (std::vector<int32_t>{2, 8, 3, 0, 0, 2, 5, 6, 7, 3}));
  EXPECT_EQ(b.attention_mask, (std::vector<int32_t>{1, 1, 1, 0, 0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(b.labels, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(b.real_tokens, 8);
  const std::vector<int32_t> bad{1, 2};
  EXPECT_EQ(CodeOf([&] { LabeledFromMemory(ids.data(), offsets.data(), 2, bad.data(), 2, Opts(LabelTask::kSequence)); }),
            ErrorCode::kInvalidArgument);
  const std::vector<int32_t> tok_labels{0, -100, 1, 0};
  ExampleSet t = LabeledFromMemory(ids.data(), offsets.data(), 2, tok_labels.data(), 2, Opts(LabelTask::kToken));
  LabeledBatch tb = CollateLabeled(t, {0, 1}, 5, 0);
  EXPECT_EQ(tb.labels, (std::vector<int32_t>{-100, 0, -100, 1, -100, -100, 0, -100, -100, -100}));
  EXPECT_EQ(tb.labeled, 3);
}

TEST(Labeled, MetricsMatchScikitLearnMacroF1) {
  // y_true = [0, 0, 1, 1, 2], y_pred = [0, 1, 1, 1, 0]: per-label F1 = 1/2, 4/5, 0 -> macro 0.43333
  ConfusionMatrix m(4);  // label 3 never occurs and is not averaged
  const int gold[] = {0, 0, 1, 1, 2}, pred[] = {0, 1, 1, 1, 0};
  for (int i = 0; i < 5; ++i) m.Add(gold[i], pred[i]);
  EXPECT_DOUBLE_EQ(m.Accuracy(), 0.6);
  EXPECT_NEAR(m.MacroF1(), (0.5 + 0.8 + 0.0) / 3, 1e-12);
  EXPECT_EQ(m.total(), 5);
  EXPECT_DOUBLE_EQ(ConfusionMatrix(3).MacroF1(), 0.0);
}

}  // namespace
}  // namespace bertc::data
