// The whole bertc pipeline from C++ (bertc.hpp): train a tokenizer on a small corpus, create a tiny
// BERT, train a few steps with progress, save, reload, fill-mask top-5, and one handled error.
//   pipeline CORPUS.txt OUT_DIR
#include <bertc.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) return std::fprintf(stderr, "usage: %s CORPUS.txt OUT_DIR\n", argv[0]), 2;
  const std::string corpus = argv[1], out = argv[2];
  bertc::TokenizerTrainOptions to;
  to.vocab_size = 2000;
  auto tok = bertc::Tokenizer::train({corpus}, to);
  bertc::ModelConfig mc;
  mc.vocab_size = tok.vocab_size(), mc.hidden_size = 64, mc.num_hidden_layers = 2, mc.num_attention_heads = 2;
  mc.intermediate_size = 128, mc.max_position_embeddings = 64;
  auto model = bertc::Model::create(mc);
  bertc::TrainerOptions o;
  o.output_dir = out, o.max_length = 64, o.batch_size = 16, o.max_steps = 30, o.logging_steps = 10;
  o.learning_rate = 2e-3;
  auto trainer = bertc::Trainer::create(model, tok, bertc::TrainerData::FromFiles({corpus}), std::nullopt, o);
  trainer.train([](const bertc::Event& e) {
    if (e.kind == bertc::EventKind::kTrainStep) std::printf("step %llu loss %.3f\n", (unsigned long long)e.current, e.loss);
    return true;
  });
  auto reloaded = bertc::Model::load(out);  // the trainer saved the final model + tokenizer there
  const auto masks = reloaded.fill_mask(bertc::Tokenizer::load(out), "He said that the [MASK] was good.");
  for (const auto& p : masks[0]) std::printf("  %-12s %.4f\n", p.token.c_str(), p.score);
  try {
    bertc::Model::load(out + "/no-such-model");
  } catch (const bertc::Exception& e) {
    std::printf("handled: %s\n", e.what());
  }
  return 0;
}
