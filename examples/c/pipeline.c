/* The whole bertc pipeline from C, in memory: train a WordPiece tokenizer on a few sentences, encode
 * them, create a small BERT, pre-train it with masked-language modelling, and ask fill-mask queries.
 *
 *   cc pipeline.c $(pkg-config --cflags --libs bertc) -o pipeline && ./pipeline [OUT_DIR [STEPS]]
 *
 * Every call returns a bert_status; on failure bert_last_error() says why. */
#include <bertc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                                         \
  do {                                                                                      \
    bert_status st_ = (call);                                                               \
    if (st_ != BERT_OK) {                                                                   \
      fprintf(stderr, "%s failed: %s (%s)\n", #call, bert_last_error(), bert_status_str(st_)); \
      exit(1);                                                                              \
    }                                                                                       \
  } while (0)

static const char* const kSubjects[] = {"the cat", "the dog", "a bird", "my friend", "the teacher"};
static const char* const kVerbs[] = {"sat on", "looked at", "walked to", "ran past"};
static const char* const kObjects[] = {"the mat", "the house", "a tree", "the river", "the garden"};

int main(int argc, char** argv) {
  const char* out_dir = argc > 1 ? argv[1] : NULL;
  const int steps = argc > 2 ? atoi(argv[2]) : 150;
  CHECK(bert_check_version(BERTC_VERSION_NUMBER));

  /* 1. A small corpus in memory. */
  enum { kLines = 400 };
  static char storage[kLines][96];
  const char* lines[kLines];
  size_t lengths[kLines];
  unsigned seed = 7;
  for (int i = 0; i < kLines; ++i) {
    seed = seed * 1103515245u + 12345u;
    snprintf(storage[i], sizeof storage[i], "%s %s %s.", kSubjects[(seed >> 8) % 5], kVerbs[(seed >> 12) % 4],
             kObjects[(seed >> 16) % 5]);
    lines[i] = storage[i];
    lengths[i] = strlen(storage[i]);
  }

  /* 2. Train a WordPiece tokenizer. */
  bert_tokenizer_params tp;
  CHECK(BERT_TOKENIZER_PARAMS_INIT(&tp));
  tp.vocab_size = 100;
  tp.min_frequency = 1;
  bert_tokenizer* tok = NULL;
  CHECK(bert_tokenizer_train_from_lines(lines, lengths, kLines, &tp, &tok));
  printf("tokenizer: %zu tokens\n", bert_tokenizer_vocab_size(tok));

  /* 3. Encode the corpus (without [CLS]/[SEP]: the trainer adds them) into one flat id array. */
  bert_encode_params ep;
  CHECK(BERT_ENCODE_PARAMS_INIT(&ep));
  ep.add_special_tokens = 0;
  bert_encoding* enc = NULL;
  CHECK(bert_tokenizer_encode_batch(tok, lines, lengths, NULL, NULL, kLines, &ep, &enc));
  size_t total = 0;
  for (size_t r = 0; r < bert_encoding_count(enc); ++r) total += bert_encoding_length(enc, r);
  int32_t* ids = malloc(total * sizeof *ids);
  size_t* offsets = malloc((bert_encoding_count(enc) + 1) * sizeof *offsets);
  if (ids == NULL || offsets == NULL) return 1;
  offsets[0] = 0;
  for (size_t r = 0; r < bert_encoding_count(enc); ++r) {
    memcpy(ids + offsets[r], bert_encoding_ids(enc, r), bert_encoding_length(enc, r) * sizeof *ids);
    offsets[r + 1] = offsets[r] + bert_encoding_length(enc, r);
  }
  bert_trainer_data data;
  CHECK(BERT_TRAINER_DATA_INIT(&data));
  data.token_ids = ids;
  data.offsets = offsets;
  data.num_sequences = bert_encoding_count(enc);

  /* 4. A small BERT sized for the vocabulary. */
  bert_model_params mp;
  CHECK(BERT_MODEL_PARAMS_INIT(&mp));
  mp.vocab_size = bert_tokenizer_vocab_size(tok);
  mp.hidden_size = 64;
  mp.num_hidden_layers = 2;
  mp.num_attention_heads = 2;
  mp.intermediate_size = 128;
  mp.max_position_embeddings = 32;
  bert_model* model = NULL;
  CHECK(bert_model_create(&mp, &model));
  uint64_t n_params = 0;
  CHECK(bert_model_num_parameters(model, &n_params));
  printf("model: %llu parameters\n", (unsigned long long)n_params);

  /* 5. Pre-train with masked-language modelling, step by step. */
  bert_trainer_params trp;
  CHECK(BERT_TRAINER_PARAMS_INIT(&trp));
  trp.output_dir = out_dir; /* NULL: nothing written to disk */
  trp.save_final_model = out_dir != NULL;
  trp.max_length = 16;
  trp.batch_size = 16;
  trp.learning_rate = 3e-3;
  trp.max_steps = steps > 0 ? (uint64_t)steps : 150;
  trp.eval_split = 0.1;
  trp.seed = 1;
  bert_trainer* trainer = NULL;
  CHECK(bert_trainer_create(model, tok, &data, NULL, &trp, &trainer));
  bert_trainer_eval_result before = {.struct_size = sizeof before};
  CHECK(bert_trainer_evaluate(trainer, &before));
  CHECK(bert_trainer_train(trainer, NULL, NULL));
  bert_trainer_eval_result after = {.struct_size = sizeof after};
  CHECK(bert_trainer_evaluate(trainer, &after));
  printf("eval loss %.3f -> %.3f, masked accuracy %.1f%% -> %.1f%%\n", before.loss, after.loss, 100 * before.accuracy,
         100 * after.accuracy);

  /* 6. Fill-mask. */
  bert_fill_mask_params fp;
  CHECK(BERT_FILL_MASK_PARAMS_INIT(&fp));
  fp.top_k = 3;
  bert_fill_mask_result* res = NULL;
  const char* query = "the cat sat on the [MASK].";
  CHECK(bert_fill_mask(model, tok, query, strlen(query), &fp, &res));
  for (size_t k = 0; k < bert_fill_mask_result_num_predictions(res, 0, 0); ++k) {
    bert_fill_mask_prediction p = {.struct_size = sizeof p};
    CHECK(bert_fill_mask_result_get(res, 0, 0, k, &p));
    printf("  %zu. %-10s %.3f  %s\n", k + 1, p.token, p.score, p.sequence);
  }

  int ok = after.loss < before.loss || steps < 50; /* a short run (valgrind) need not learn */
  bert_fill_mask_result_free(res);
  bert_trainer_free(trainer);
  bert_model_free(model);
  bert_encoding_free(enc);
  bert_tokenizer_free(tok);
  free(ids);
  free(offsets);
  if (!ok) {
    fprintf(stderr, "training did not lower the eval loss\n");
    return 1;
  }
  return 0;
}
