/* Pre-training through the C ABI: params, create/step/train/evaluate, checkpoints, exact resume,
 * in-memory data, cancellation and the bad-input list. Tiny model (hidden 32, 2 layers) on the
 * 8000-word Brown tokenizer fixture and a small synthetic corpus. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <omp.h>
#include <pthread.h>

#include "bertc.h"

#define TOKENIZER_DIR BERTC_FIXTURES_DIR "/tokenizer/hf_brown_8000"

static char g_root[256];
static bert_tokenizer* g_tok;

static const char* kWords[] = {"the", "man", "said", "that", "people", "of", "house", "were", "good", "he",
                               "was", "in", "world", "a", "new", "city", "and", "old", "time", "day"};

static void write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static double absd(double x) { return x < 0 ? -x : x; }
static int finite(double x) { return x == x && x - x == 0; }

static void path_join(char* out, size_t cap, const char* a, const char* b) { snprintf(out, cap, "%s/%s", a, b); }

/* n lines of 4..15 words; line i is deterministic. */
static void write_corpus(const char* path, int n) {
  FILE* f = fopen(path, "wb");
  assert_non_null(f);
  uint32_t x = 12345;
  for (int i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    const int len = 4 + (int)((x >> 16) % 12);
    for (int j = 0; j < len; ++j) {
      x = x * 1103515245u + 12345u;
      fprintf(f, "%s%s", j ? " " : "", kWords[(x >> 16) % 20]);
    }
    fputs(".\n", f);
    if (i % 7 == 0) fputs("\n", f); /* blank lines are skipped */
  }
  fclose(f);
}

static bert_model* tiny_model(int64_t intermediate) {
  bert_model_params mp;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&mp), BERT_OK);
  mp.vocab_size = 8000;
  mp.hidden_size = 32;
  mp.num_hidden_layers = 2;
  mp.num_attention_heads = 2;
  mp.intermediate_size = intermediate;
  mp.max_position_embeddings = 64;
  mp.seed = 1;
  bert_model* m = NULL;
  assert_int_equal(bert_model_create(&mp, &m), BERT_OK);
  return m;
}

static bert_trainer_params tiny_params(const char* out_dir) {
  bert_trainer_params p;
  assert_int_equal(BERT_TRAINER_PARAMS_INIT(&p), BERT_OK);
  p.output_dir = out_dir;
  p.max_length = 32;
  p.batch_size = 4;
  p.learning_rate = 1e-3;
  p.max_steps = 6;
  p.logging_steps = 1;
  p.threads = 1;
  p.seed = 3;
  return p;
}

static char g_corpus[300];
static char g_small[300];
static char g_blank[300];

static int setup(void** state) {
  (void)state;
  snprintf(g_root, sizeof g_root, "/tmp/bertc_c_trainer_%d", (int)getpid());
  mkdir(g_root, 0755);
  path_join(g_corpus, sizeof g_corpus, g_root, "train.txt");
  path_join(g_small, sizeof g_small, g_root, "small.txt");
  path_join(g_blank, sizeof g_blank, g_root, "blank.txt");
  write_corpus(g_corpus, 120);
  write_file(g_small, "one line.\ntwo lines.\n");
  write_file(g_blank, "\n   \n\n");
  return bert_tokenizer_load(TOKENIZER_DIR, &g_tok) == BERT_OK ? 0 : -1;
}

static int teardown(void** state) {
  (void)state;
  bert_tokenizer_free(g_tok);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
  return system(cmd) == 0 ? 0 : -1;
}

static bert_trainer_data files_data(const char** files, size_t n) {
  bert_trainer_data d;
  assert_int_equal(BERT_TRAINER_DATA_INIT(&d), BERT_OK);
  d.files = files;
  d.num_files = n;
  return d;
}

static void test_params_default(void** state) {
  (void)state;
  bert_trainer_params p;
  assert_int_equal(BERT_TRAINER_PARAMS_INIT(&p), BERT_OK);
  assert_int_equal(p.struct_size, sizeof p);
  assert_int_equal(p.max_length, 128);
  assert_int_equal(p.grouping, BERT_GROUPING_DYNAMIC);
  assert_true(absd(p.mlm_probability - 0.15) < 1e-12);
  assert_int_equal(p.batch_size, 8);
  assert_int_equal(p.grad_accum, 1);
  assert_true(absd(p.max_grad_norm - 1.0) < 1e-12);
  assert_int_equal(p.schedule, BERT_SCHEDULE_LINEAR);
  assert_int_equal(p.seed, 42);
  assert_string_equal(p.device, "cpu");
  assert_int_equal(BERT_GROUPING_TRUNCATE_PAD, 0);
  assert_int_equal(BERT_GROUPING_PACKED, 3);
}

static int g_events[8];
static int count_events(void* user, const bert_event* ev) {
  (void)user;
  if (ev->kind >= 0 && ev->kind < 8) g_events[ev->kind]++;
  if (ev->kind == BERT_EVENT_CHECKPOINT) assert_non_null(ev->path);
  return 0;
}

static void test_train_eval_checkpoint_final_model(void** state) {
  (void)state;
  char out[300];
  path_join(out, sizeof out, g_root, "run");
  bert_model* m = tiny_model(64);
  const char* files[] = {g_corpus};
  bert_trainer_data d = files_data(files, 1);
  bert_trainer_params p = tiny_params(out);
  p.eval_split = 0.2;
  p.eval_steps = 3;
  p.save_steps = 3;
  p.save_total_limit = 1;
  p.load_best_model_at_end = 1;
  bert_trainer* t = NULL;
  assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &t), BERT_OK);
  bert_trainer_info info;
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  assert_int_equal(bert_trainer_get_info(t, &info), BERT_OK);
  assert_int_equal(info.total_steps, 6);
  assert_int_equal(info.train_examples + info.eval_examples, 120);
  assert_int_equal(info.eval_examples, 24);
  assert_true(info.train_padding_share > 0 && info.train_padding_share < 0.5);
  bert_trainer_eval_result before;
  before.struct_size = sizeof before;
  assert_int_equal(bert_trainer_evaluate(t, &before), BERT_OK);
  assert_true(before.loss > 0 && before.perplexity > 1); /* perplexity = exp(loss), checked in unit_train */
  memset(g_events, 0, sizeof g_events);
  assert_int_equal(bert_trainer_train(t, count_events, NULL), BERT_OK);
  assert_int_equal(g_events[BERT_EVENT_TRAIN_STEP], 6);
  assert_int_equal(g_events[BERT_EVENT_EVAL], 2);
  assert_int_equal(g_events[BERT_EVENT_CHECKPOINT], 2);
  bert_trainer_eval_result after;
  after.struct_size = sizeof after;
  assert_int_equal(bert_trainer_evaluate(t, &after), BERT_OK);
  assert_true(after.loss < before.loss);
  assert_int_equal(bert_trainer_get_info(t, &info), BERT_OK);
  assert_int_equal(info.global_step, 6);
  assert_true(strstr(info.best_checkpoint, "checkpoint-") != NULL);
  assert_true(finite(info.best_metric));
  /* The final model and tokenizer load back. */
  bert_model* loaded = NULL;
  assert_int_equal(bert_model_load(out, &loaded), BERT_OK);
  bert_model_free(loaded);
  bert_tokenizer* tok2 = NULL;
  assert_int_equal(bert_tokenizer_load(out, &tok2), BERT_OK);
  bert_tokenizer_free(tok2);
  char ck[400];
  snprintf(ck, sizeof ck, "%s/checkpoint-6/trainer_state.json", out);
  assert_int_equal(access(ck, F_OK), 0);
  /* Second run on the same files uses the encoded-dataset cache. */
  bert_trainer* t2 = NULL;
  assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &t2), BERT_OK);
  assert_int_equal(bert_trainer_get_info(t2, &info), BERT_OK);
  assert_int_equal(info.cache_hit, 1);
  bert_trainer_free(t2);
  bert_trainer_free(t);
  bert_model_free(m);
}

static void run_steps(bert_trainer* t, int n, double* losses) {
  for (int i = 0; i < n; ++i) {
    bert_trainer_step_result r;
    r.struct_size = sizeof r;
    assert_int_equal(bert_trainer_step(t, NULL, NULL, &r), BERT_OK);
    losses[i] = r.loss;
  }
}

static void test_resume_is_bit_identical(void** state) {
  (void)state;
  char out[300];
  path_join(out, sizeof out, g_root, "resume");
  const char* files[] = {g_corpus};
  bert_trainer_data d = files_data(files, 1);
  bert_trainer_params p = tiny_params(out);
  p.eval_split = 0;
  p.batch_size = 16; /* 120 lines / 16 = 8 batches per epoch: 12 steps cross an epoch boundary */
  p.max_steps = 12;
  double straight[12], resumed[12];
  bert_model* m1 = tiny_model(64);
  bert_trainer* t = NULL;
  assert_int_equal(bert_trainer_create(m1, g_tok, &d, NULL, &p, &t), BERT_OK);
  run_steps(t, 12, straight);
  bert_trainer_free(t);
  bert_model_free(m1);

  bert_model* m2 = tiny_model(64);
  assert_int_equal(bert_trainer_create(m2, g_tok, &d, NULL, &p, &t), BERT_OK);
  run_steps(t, 5, resumed);
  const char* path = NULL;
  assert_int_equal(bert_trainer_save_checkpoint(t, &path), BERT_OK);
  assert_non_null(strstr(path, "checkpoint-5"));
  bert_trainer_free(t);
  bert_model_free(m2);

  bert_model* m3 = tiny_model(64);
  assert_int_equal(bert_trainer_create(m3, g_tok, &d, NULL, &p, &t), BERT_OK);
  assert_int_equal(bert_trainer_resume(t, NULL), BERT_OK);
  run_steps(t, 7, resumed + 5);
  for (int i = 0; i < 12; ++i) assert_memory_equal(&straight[i], &resumed[i], sizeof(double));
  /* Resuming with a different model config or batch size is refused. */
  bert_model* other = tiny_model(48);
  bert_trainer* t2 = NULL;
  assert_int_equal(bert_trainer_create(other, g_tok, &d, NULL, &p, &t2), BERT_OK);
  assert_int_equal(bert_trainer_resume(t2, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "model config"));
  bert_trainer_free(t2);
  bert_trainer_params p2 = p;
  p2.batch_size = 8;
  assert_int_equal(bert_trainer_create(m3, g_tok, &d, NULL, &p2, &t2), BERT_OK);
  assert_int_equal(bert_trainer_resume(t2, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "batch_size"));
  char missing[400];
  snprintf(missing, sizeof missing, "%s/checkpoint-999", out);
  assert_int_equal(bert_trainer_resume(t2, missing), BERT_ERR_IO);
  bert_trainer_free(t2);
  bert_model_free(other);
  bert_trainer_free(t);
  bert_model_free(m3);
}

static void test_memory_data_and_step_batch(void** state) {
  (void)state;
  bert_model* m = tiny_model(64);
  int32_t ids[40];
  size_t offsets[9];
  offsets[0] = 0;
  for (int i = 0; i < 40; ++i) ids[i] = 100 + (i * 37) % 900;
  for (int s = 1; s <= 8; ++s) offsets[s] = (size_t)(s * 5);
  bert_trainer_data d;
  memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  d.token_ids = ids;
  d.offsets = offsets;
  d.num_sequences = 8;
  bert_trainer_params p = tiny_params(NULL);
  p.save_final_model = 0;
  p.eval_split = 0;
  bert_trainer* t = NULL;
  assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &t), BERT_OK);
  bert_trainer_step_result r;
  r.struct_size = sizeof r;
  assert_int_equal(bert_trainer_step(t, NULL, NULL, &r), BERT_OK);
  assert_int_equal(r.step, 1);
  assert_true(finite(r.loss) && r.masked_tokens > 0);
  /* A caller's batch with its own labels: [CLS] w [MASK] w [SEP] [PAD]. */
  int32_t batch[12] = {2, 150, 4, 170, 3, 0, 2, 151, 152, 4, 3, 0};
  int32_t labels[12] = {-100, -100, 160, -100, -100, -100, -100, -100, -100, 153, -100, -100};
  assert_int_equal(bert_trainer_step_batch(t, batch, NULL, labels, 2, 6, &r), BERT_OK);
  assert_int_equal(r.step, 2);
  assert_int_equal(r.masked_tokens, 2);
  assert_int_equal(r.tokens, 10);
  assert_int_equal(bert_trainer_step_batch(t, batch, NULL, NULL, 2, 6, &r), BERT_OK); /* collator masks */
  batch[1] = 8000;
  assert_int_equal(bert_trainer_step_batch(t, batch, NULL, NULL, 2, 6, &r), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_trainer_step_batch(t, batch, NULL, NULL, 0, 6, &r), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_trainer_save_checkpoint(t, NULL), BERT_ERR_INVALID_ARGUMENT); /* no output_dir */
  assert_int_equal(bert_trainer_evaluate(t, NULL), BERT_ERR_INVALID_ARGUMENT);          /* no eval data */
  bert_trainer_free(t);
  /* Out-of-vocabulary ids in memory data. */
  ids[3] = 9000;
  assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  bert_model_free(m);
}

static int cancel_at_2(void* user, const bert_event* ev) {
  (void)user;
  return ev->kind == BERT_EVENT_TRAIN_STEP && ev->current >= 2;
}

static void test_cancel(void** state) {
  (void)state;
  char out[300];
  path_join(out, sizeof out, g_root, "cancel");
  bert_model* m = tiny_model(64);
  const char* files[] = {g_corpus};
  bert_trainer_data d = files_data(files, 1);
  bert_trainer_params p = tiny_params(out);
  bert_trainer* t = NULL;
  assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &t), BERT_OK);
  assert_int_equal(bert_trainer_train(t, cancel_at_2, NULL), BERT_ERR_CANCELLED);
  bert_trainer_info info;
  info.struct_size = sizeof info;
  assert_int_equal(bert_trainer_get_info(t, &info), BERT_OK);
  assert_int_equal(info.global_step, 2);
  assert_int_equal(bert_trainer_train(t, NULL, NULL), BERT_OK); /* continues */
  assert_int_equal(bert_trainer_get_info(t, &info), BERT_OK);
  assert_int_equal(info.global_step, 6);
  bert_trainer_free(t);
  bert_model_free(m);
}

static bert_status create_with(bert_model* m, const char* file, bert_trainer_params* p) {
  const char* files[] = {file};
  bert_trainer_data d = files_data(files, 1);
  bert_trainer* t = NULL;
  bert_status s = bert_trainer_create(m, g_tok, &d, NULL, p, &t);
  bert_trainer_free(t);
  return s;
}

static void test_bad_input(void** state) {
  (void)state;
  char out[300];
  path_join(out, sizeof out, g_root, "bad");
  bert_model* m = tiny_model(64);
  bert_trainer_params p = tiny_params(out);
  p.eval_split = 0;
  char missing[300];
  path_join(missing, sizeof missing, g_root, "missing.txt");
  assert_int_equal(create_with(m, missing, &p), BERT_ERR_IO);
  assert_non_null(strstr(bert_last_error(), "missing.txt"));
  assert_int_equal(create_with(m, g_blank, &p), BERT_ERR_INVALID_ARGUMENT); /* empty after filtering */
  assert_non_null(strstr(bert_last_error(), "empty"));
  p.batch_size = 3;
  assert_int_equal(create_with(m, g_small, &p), BERT_ERR_INVALID_ARGUMENT); /* batch > dataset */
  assert_non_null(strstr(bert_last_error(), "larger than"));
  p.batch_size = 2;
  assert_int_equal(create_with(m, g_small, &p), BERT_OK);
  p.mlm_probability = 0.0;
  assert_int_equal(create_with(m, g_small, &p), BERT_ERR_INVALID_ARGUMENT);
  p.mlm_probability = 1.0;
  assert_int_equal(create_with(m, g_small, &p), BERT_ERR_INVALID_ARGUMENT);
  p.mlm_probability = 0.15;
  p.max_steps = 0;
  p.num_epochs = 1e300; /* an impossible step count must be refused, not cast */
  assert_int_equal(create_with(m, g_small, &p), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "num_epochs"));
  p.num_epochs = 1.0;
  p.max_length = 65;
  assert_int_equal(create_with(m, g_small, &p), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "max_position_embeddings"));
  p.max_length = 32;
  char blocked[400];
  snprintf(blocked, sizeof blocked, "%s/run", g_small); /* a regular file in the way */
  p.output_dir = blocked;
  assert_int_equal(create_with(m, g_small, &p), BERT_ERR_IO);
  p.output_dir = out;
  p.device = "cuda";
  const bert_status cuda = create_with(m, g_small, &p);
  assert_true(cuda == BERT_ERR_UNSUPPORTED || cuda == BERT_OK);
  if (cuda != BERT_OK) assert_non_null(strstr(bert_last_error(), "CUDA"));
  p.device = "cpu";
  p.grouping = (bert_grouping)9;
  assert_int_equal(create_with(m, g_small, &p), BERT_ERR_INVALID_ARGUMENT);
  p.grouping = BERT_GROUPING_PACKED;
  p.batch_size = 1;
  assert_int_equal(create_with(m, g_small, &p), BERT_OK);
  p.batch_size = 2;
  p.grouping = BERT_GROUPING_DYNAMIC;
  p.struct_size = sizeof p + 8;
  assert_int_equal(create_with(m, g_small, &p), BERT_ERR_UNSUPPORTED);
  p.struct_size = sizeof p;
  /* Both kinds of data at once, or none. */
  int32_t ids[2] = {100, 101};
  size_t offs[2] = {0, 2};
  const char* files[] = {g_small};
  bert_trainer_data both = files_data(files, 1);
  both.token_ids = ids;
  both.offsets = offs;
  both.num_sequences = 1;
  bert_trainer* t = NULL;
  assert_int_equal(bert_trainer_create(m, g_tok, &both, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  bert_trainer_data none = files_data(NULL, 0);
  assert_int_equal(bert_trainer_create(m, g_tok, &none, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_trainer_create(NULL, g_tok, NULL, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_trainer_create(m, NULL, NULL, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_trainer_create(m, g_tok, NULL, NULL, &p, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_null(t);
  /* Vocabulary mismatch. */
  bert_model_params mp;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&mp), BERT_OK);
  mp.vocab_size = 500;
  mp.hidden_size = 32;
  mp.num_hidden_layers = 1;
  mp.num_attention_heads = 2;
  mp.intermediate_size = 32;
  bert_model* small = NULL;
  assert_int_equal(bert_model_create(&mp, &small), BERT_OK);
  assert_int_equal(create_with(small, g_small, &p), BERT_ERR_INVALID_ARGUMENT);
  bert_model_free(small);
  assert_int_equal(bert_trainer_step(NULL, NULL, NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_trainer_train(NULL, NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_trainer_resume(NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  bert_trainer_free(NULL);
  bert_model_free(m);
}

static bert_trainer_data ids_data(const int32_t* ids, const size_t* offsets, size_t n) {
  bert_trainer_data d;
  memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  d.token_ids = ids;
  d.offsets = offsets;
  d.num_sequences = n;
  return d;
}

/* num_sequences whose offsets array cannot exist (n + 1 entries overflow) is refused, not read. */
static void test_huge_num_sequences(void** state) {
  (void)state;
  bert_model* m = tiny_model(64);
  bert_trainer_params p = tiny_params(NULL);
  p.save_final_model = 0;
  p.eval_split = 0;
  p.batch_size = 1;
  const int32_t ids[4] = {100, 101, 102, 103};
  const size_t offsets[2] = {0, 4};
  const size_t bad_n[] = {SIZE_MAX, SIZE_MAX / 2, SIZE_MAX / 4, SIZE_MAX / 8};
  for (size_t i = 0; i < sizeof bad_n / sizeof bad_n[0]; ++i) {
    bert_trainer_data d = ids_data(ids, offsets, bad_n[i]);
    bert_trainer* t = NULL;
    assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
    assert_null(t);
  }
  /* offsets[n] so large that token_ids + offsets[n] wraps around */
  const size_t wrap[2] = {0, SIZE_MAX / 2};
  bert_trainer_data d = ids_data(ids, wrap, 1);
  bert_trainer* t = NULL;
  assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  assert_null(t);
  /* Unknown enum values and absurd thread counts are refused. */
  d = ids_data(ids, offsets, 1);
  int bad_enum = -1;
  memcpy(&p.grouping, &bad_enum, sizeof bad_enum);
  assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  p.grouping = BERT_GROUPING_DYNAMIC;
  memcpy(&p.schedule, &bad_enum, sizeof bad_enum);
  assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  p.schedule = BERT_SCHEDULE_LINEAR;
  p.threads = 100000;
  assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &t), BERT_ERR_INVALID_ARGUMENT);
  assert_null(t);
  bert_model_free(m);
}

struct reentry {
  bert_model* model;
  bert_trainer* trainer;
  char save_dir[300];
  int events;
  bert_status fill_mask, save, score, config, step, create, info;
};

static int reentrant_callback(void* user, const bert_event* ev) {
  struct reentry* r = (struct reentry*)user;
  (void)ev;
  if (r->events++ > 0) return 0;
  bert_fill_mask_result* res = NULL;
  r->fill_mask = bert_fill_mask(r->model, g_tok, "the [MASK] said.", strlen("the [MASK] said."), NULL, &res);
  bert_fill_mask_result_free(res);
  r->save = bert_model_save(r->model, r->save_dir);
  const char* texts[1] = {"the man said."};
  double score = 0;
  r->score = bert_score_text(r->model, g_tok, texts, NULL, 1, NULL, &score, NULL);
  bert_model_params mp;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&mp), BERT_OK);
  r->config = bert_model_config(r->model, &mp);
  bert_trainer_info info;
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  r->info = bert_trainer_get_info(r->trainer, &info);
  /* Changing the model from inside its own trainer's callback is refused, not deadlocked. */
  r->step = bert_trainer_step(r->trainer, NULL, NULL, NULL);
  bert_trainer_params p = tiny_params(NULL);
  p.save_final_model = 0;
  bert_trainer* other = NULL;
  r->create = bert_trainer_create(r->model, g_tok, NULL, NULL, &p, &other);
  bert_trainer_free(other);
  return 0;
}

/* A progress callback may read the model being trained (sample predictions, an extra save): the
 * trainer call holds the model's lock on this thread, which must not turn into EDEADLK / I/O error. */
static void test_callback_reads_model(void** state) {
  (void)state;
  char out[300];
  path_join(out, sizeof out, g_root, "reentry");
  bert_model* m = tiny_model(64);
  bert_trainer_params p = tiny_params(out);
  p.eval_split = 0;
  p.max_steps = 2;
  p.save_final_model = 0;
  const char* files[1] = {g_corpus};
  bert_trainer_data d = files_data(files, 1);
  struct reentry r;
  memset(&r, 0, sizeof r);
  r.model = m;
  r.fill_mask = r.save = r.score = r.config = r.step = r.create = r.info = BERT_ERR_INTERNAL;
  path_join(r.save_dir, sizeof r.save_dir, g_root, "reentry_save");
  assert_int_equal(bert_trainer_create(m, g_tok, &d, NULL, &p, &r.trainer), BERT_OK);
  bert_trainer_step_result res;
  memset(&res, 0, sizeof res);
  res.struct_size = sizeof res;
  assert_int_equal(bert_trainer_step(r.trainer, reentrant_callback, &r, &res), BERT_OK);
  /* The callback's failed calls left messages on this thread; the outer call's success wins. */
  assert_string_equal(bert_last_error(), "");
  assert_int_equal(res.step, 1);
  assert_true(r.events >= 1);
  assert_int_equal(r.fill_mask, BERT_OK);
  assert_int_equal(r.save, BERT_OK);
  assert_int_equal(r.score, BERT_OK);
  assert_int_equal(r.config, BERT_OK);
  assert_int_equal(r.info, BERT_OK);
  assert_int_equal(r.step, BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(r.create, BERT_ERR_INVALID_ARGUMENT);
  /* The lock is released afterwards: the model is usable from this thread again. */
  bert_fill_mask_result* fm = NULL;
  assert_int_equal(bert_fill_mask(m, g_tok, "the [MASK] said.", strlen("the [MASK] said."), NULL, &fm), BERT_OK);
  bert_fill_mask_result_free(fm);
  assert_int_equal(bert_trainer_step(r.trainer, NULL, NULL, NULL), BERT_OK);
  bert_trainer_free(r.trainer);
  bert_model_free(m);
}

/* ---- `threads` applies to each call only ------------------------------------------------------ */

struct fill_worker {
  bert_model* model;
  volatile int* stop;
  int calls;
  int own_setting_kept; /* the thread's own OpenMP setting (5) is back after every call */
  int same_results;
  double reference;
};

static double top_score(bert_model* m, size_t threads) {
  bert_fill_mask_params fp;
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(&fp), BERT_OK);
  fp.threads = threads;
  bert_fill_mask_result* res = NULL;
  const char* q = "the [MASK] said that the people were good.";
  if (bert_fill_mask(m, g_tok, q, strlen(q), &fp, &res) != BERT_OK) return -1;
  bert_fill_mask_prediction pr = {.struct_size = sizeof pr};
  const double score = bert_fill_mask_result_get(res, 0, 0, 0, &pr) == BERT_OK ? pr.score : -1;
  bert_fill_mask_result_free(res);
  return score;
}

static void* fill_mask_thread(void* arg) {
  struct fill_worker* w = (struct fill_worker*)arg;
  omp_set_num_threads(5); /* this host thread's own setting */
  w->own_setting_kept = w->same_results = 1;
  do {
    const double s = top_score(w->model, 2);
    ++w->calls;
    if (absd(s - w->reference) > 1e-6 * (1 + absd(w->reference))) w->same_results = 0;
    if (omp_get_max_threads() != 5) w->own_setting_kept = 0;
  } while (!*w->stop || w->calls < 3);
  return NULL;
}

struct train_worker {
  bert_trainer* trainer;
  volatile int* stop;
  int min_seen, max_seen, events;
  int own_setting_kept;
  bert_status status;
};

static int record_threads(void* user, const bert_event* ev) {
  struct train_worker* w = (struct train_worker*)user;
  (void)ev;
  const int n = omp_get_max_threads(); /* what the trainer's call runs with on this thread */
  if (w->events++ == 0 || n < w->min_seen) w->min_seen = n;
  if (n > w->max_seen) w->max_seen = n;
  return 0;
}

static void* train_thread(void* arg) {
  struct train_worker* w = (struct train_worker*)arg;
  omp_set_num_threads(4); /* this host thread's own setting */
  w->status = bert_trainer_train(w->trainer, record_threads, w);
  w->own_setting_kept = omp_get_max_threads() == 4;
  *w->stop = 1;
  return NULL;
}

static void* read_fresh_default(void* arg) {
  *(int*)arg = omp_get_max_threads();
  return NULL;
}

static int fresh_thread_default(void) {
  int n = 0;
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, read_fresh_default, &n), 0);
  pthread_join(t, NULL);
  return n;
}

/* One thread trains with threads = 1 while another fills masks with threads = 2, at the same time:
 * each call runs with its own count, each host thread gets its own setting back, and the host's
 * defaults (this thread's, a new thread's) are unchanged afterwards. */
static void test_threads_are_per_call(void** state) {
  (void)state;
  omp_set_num_threads(3);
  const int fresh_before = fresh_thread_default();
  bert_model* trained = tiny_model(64);
  bert_model* served = tiny_model(64);
  bert_trainer_params p = tiny_params(NULL);
  p.save_final_model = 0;
  p.eval_split = 0;
  p.max_steps = 8;
  p.threads = 1;
  const char* files[1] = {g_corpus};
  bert_trainer_data d = files_data(files, 1);
  bert_trainer* t = NULL;
  assert_int_equal(bert_trainer_create(trained, g_tok, &d, NULL, &p, &t), BERT_OK);

  volatile int stop = 0;
  struct fill_worker fw = {served, &stop, 0, 0, 0, top_score(served, 1)};
  struct train_worker tw;
  memset(&tw, 0, sizeof tw);
  tw.trainer = t;
  tw.stop = &stop;
  assert_true(fw.reference > 0);
  pthread_t a, b;
  assert_int_equal(pthread_create(&a, NULL, fill_mask_thread, &fw), 0);
  assert_int_equal(pthread_create(&b, NULL, train_thread, &tw), 0);
  pthread_join(b, NULL);
  pthread_join(a, NULL);

  assert_int_equal(tw.status, BERT_OK);
  assert_true(tw.events >= 8);
  assert_int_equal(tw.min_seen, 1); /* every logged step ran with the trainer's 1 thread */
  assert_int_equal(tw.max_seen, 1);
  assert_true(tw.own_setting_kept);
  assert_true(fw.calls >= 3);
  assert_true(fw.same_results); /* 2 threads give the 1-thread results */
  assert_true(fw.own_setting_kept);
  assert_int_equal(omp_get_max_threads(), 3); /* this (host) thread: unchanged */
  assert_int_equal(fresh_thread_default(), fresh_before);
  bert_trainer_free(t);
  bert_model_free(trained);
  bert_model_free(served);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_params_default),
      cmocka_unit_test(test_train_eval_checkpoint_final_model),
      cmocka_unit_test(test_resume_is_bit_identical),
      cmocka_unit_test(test_memory_data_and_step_batch),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_huge_num_sequences),
      cmocka_unit_test(test_callback_reads_model),
      cmocka_unit_test(test_threads_are_per_call),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
