// bertc.hpp in a -fno-exceptions build: every call through try_*, errors as values.
#include <bertc.hpp>

#include <cstdio>
#include <string>

#ifdef BERTC_HPP_EXCEPTIONS
#if BERTC_HPP_EXCEPTIONS
#error "this test must be built with -fno-exceptions"
#endif
#endif

int main() {
  const std::string tiny = std::string(BERTC_FIXTURES_DIR) + "/model/tiny_mlm";
  if (!bertc::check_version()) return 1;
  auto missing = bertc::Tokenizer::try_load("/nonexistent");
  if (missing || missing.error().status != bertc::Status::kIo || missing.error().message.empty()) return 2;
  auto tok = bertc::Tokenizer::try_load(tiny);
  auto model = bertc::Model::try_load(tiny);
  if (!tok || !model) return 3;
  auto r = model->try_fill_mask(*tok, "the first [MASK] in the state");
  if (!r || r.value()[0].empty()) return 4;
  auto bad = model->try_fill_mask(*tok, "no mask");
  if (bad || bad.error().status != bertc::Status::kInvalidArgument) return 5;
  // (1.1) Classifiers: results and errors as values too.
  auto seq = bertc::Model::try_load(std::string(BERTC_FIXTURES_DIR) + "/model/tiny_seqcls");
  if (!seq || seq->try_task().value() != bertc::Task::kSequenceClassification) return 6;
  auto c = seq->try_classify(*tok, "The man said that the people of the house were good.");
  if (!c || c->label_name != "press" || c->scores.size() != 3) return 7;
  auto tagged = seq->try_tag(*tok, "a sequence classifier cannot tag");
  if (tagged || tagged.error().status != bertc::Status::kInvalidArgument) return 8;
  auto labels = bertc::try_dataset_labels(bertc::TrainerData::FromFiles({"/nonexistent.jsonl"}),
                                          bertc::Task::kSequenceClassification);
  if (labels || labels.error().status != bertc::Status::kIo) return 9;
  std::printf("%s %.4f %s %.4f\n", r.value()[0][0].token.c_str(), r.value()[0][0].score, c->label_name.c_str(),
              c->score);
  return 0;
}
