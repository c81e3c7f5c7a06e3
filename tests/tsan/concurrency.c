/* The concurrency the header promises, for ThreadSanitizer (scripts/tsan.sh): 8 threads share one
 * tokenizer and one model doing encode, encode_batch, decode, fill-mask and scoring, while a trainer
 * on a second model runs with a progress callback that reads the model being trained. Results must
 * equal the single-threaded ones. Intra-op threads are 1 (TSan cannot see OpenMP's barriers). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bertc.h"

#define TINY BERTC_FIXTURES_DIR "/model/tiny_mlm"
#define CHECK(x)                                                                    \
  do {                                                                              \
    if (!(x)) {                                                                     \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #x, bert_last_error()); \
      exit(1);                                                                      \
    }                                                                               \
  } while (0)

static bert_tokenizer* g_tok;
static bert_model* g_model;
static const char* const kQueries[] = {"the [MASK] of the house.", "a [MASK] and a [MASK].", "he [MASK] that."};
static double g_want[3];
static int32_t g_want_ids[3][64];
static size_t g_want_len[3];

static double top(const char* q) {
  bert_fill_mask_params p;
  CHECK(BERT_FILL_MASK_PARAMS_INIT(&p) == BERT_OK);
  p.threads = 1;
  bert_fill_mask_result* r = NULL;
  CHECK(bert_fill_mask(g_model, g_tok, q, strlen(q), &p, &r) == BERT_OK);
  bert_fill_mask_prediction pr = {.struct_size = sizeof pr};
  CHECK(bert_fill_mask_result_get(r, 0, 0, 0, &pr) == BERT_OK);
  const double s = pr.score;
  bert_fill_mask_result_free(r);
  return s;
}

static void* worker(void* arg) {
  const int t = (int)(intptr_t)arg;
  bert_encode_params ep;
  CHECK(BERT_ENCODE_PARAMS_INIT(&ep) == BERT_OK);
  ep.threads = 1;
  for (int i = 0; i < 6; ++i) {
    const int q = (t + i) % 3;
    bert_encoding* enc = NULL;
    CHECK(bert_tokenizer_encode(g_tok, kQueries[q], strlen(kQueries[q]), NULL, 0, &ep, &enc) == BERT_OK);
    CHECK(bert_encoding_length(enc, 0) == g_want_len[q]);
    CHECK(memcmp(bert_encoding_ids(enc, 0), g_want_ids[q], g_want_len[q] * 4) == 0);
    char* text = NULL;
    CHECK(bert_tokenizer_decode(g_tok, bert_encoding_ids(enc, 0), bert_encoding_length(enc, 0), 0, &text, NULL) ==
          BERT_OK);
    bert_string_free(text);
    bert_encoding_free(enc);
    CHECK(bert_tokenizer_encode_batch(g_tok, kQueries, NULL, NULL, NULL, 3, &ep, &enc) == BERT_OK);
    bert_encoding_free(enc);
    CHECK(top(kQueries[q]) == g_want[q]);
    bert_fill_mask_params p;
    CHECK(BERT_FILL_MASK_PARAMS_INIT(&p) == BERT_OK);
    p.threads = 1;
    double score = 0;
    CHECK(bert_score_text(g_model, g_tok, kQueries, NULL, 1, &p, &score, NULL) == BERT_OK);
  }
  return NULL;
}

struct reader {
  bert_model* model;
  int events;
};

static int read_model(void* user, const bert_event* ev) {
  struct reader* r = (struct reader*)user;
  (void)ev;
  bert_fill_mask_params p;
  BERT_FILL_MASK_PARAMS_INIT(&p);
  p.threads = 1;
  bert_fill_mask_result* res = NULL;
  CHECK(bert_fill_mask(r->model, g_tok, kQueries[0], strlen(kQueries[0]), &p, &res) == BERT_OK);
  bert_fill_mask_result_free(res);
  ++r->events;
  return 0;
}

static void* trainer_thread(void* arg) {
  (void)arg;
  struct reader r = {NULL, 0};
  CHECK(bert_model_load(TINY, &r.model) == BERT_OK);
  static const int32_t ids[] = {10, 11, 12, 13, 14, 15, 16, 17};
  static const size_t offsets[] = {0, 4, 8};
  bert_trainer_data d;
  CHECK(BERT_TRAINER_DATA_INIT(&d) == BERT_OK);
  d.token_ids = ids;
  d.offsets = offsets;
  d.num_sequences = 2;
  bert_trainer_params tp;
  CHECK(BERT_TRAINER_PARAMS_INIT(&tp) == BERT_OK);
  tp.max_length = 16;
  tp.batch_size = 2;
  tp.eval_split = 0;
  tp.save_final_model = 0;
  tp.max_steps = 4;
  tp.logging_steps = 1;
  tp.threads = 1;
  bert_trainer* t = NULL;
  CHECK(bert_trainer_create(r.model, g_tok, &d, NULL, &tp, &t) == BERT_OK);
  CHECK(bert_trainer_train(t, read_model, &r) == BERT_OK);
  CHECK(r.events == 4);
  bert_trainer_free(t);
  bert_model_free(r.model);
  return NULL;
}

int main(void) {
  CHECK(bert_tokenizer_load(TINY, &g_tok) == BERT_OK);
  CHECK(bert_model_load(TINY, &g_model) == BERT_OK);
  for (int q = 0; q < 3; ++q) {
    g_want[q] = top(kQueries[q]);
    bert_encoding* enc = NULL;
    CHECK(bert_tokenizer_encode(g_tok, kQueries[q], strlen(kQueries[q]), NULL, 0, NULL, &enc) == BERT_OK);
    g_want_len[q] = bert_encoding_length(enc, 0);
    memcpy(g_want_ids[q], bert_encoding_ids(enc, 0), g_want_len[q] * 4);
    bert_encoding_free(enc);
  }
  pthread_t threads[9];
  for (int t = 0; t < 8; ++t) CHECK(pthread_create(&threads[t], NULL, worker, (void*)(intptr_t)t) == 0);
  CHECK(pthread_create(&threads[8], NULL, trainer_thread, NULL) == 0);
  for (int t = 0; t < 9; ++t) pthread_join(threads[t], NULL);
  bert_model_free(g_model);
  bert_tokenizer_free(g_tok);
  printf("tsan concurrency: 8 inference threads + 1 trainer with a model-reading callback: ok\n");
  return 0;
}
