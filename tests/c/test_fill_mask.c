/* ABI: bert_fill_mask, bert_fill_mask_batch, result accessors, bert_score_text. Uses the tiny HF model
 * of tests/fixtures/model/tiny_mlm (vocab 1000, max_position_embeddings 64). */
#define _POSIX_C_SOURCE 200809L /* fork, waitpid, setrlimit under strict C11 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bertc.h"

#define TINY BERTC_FIXTURES_DIR "/model/tiny_mlm"

static bert_model* g_model;
static bert_tokenizer* g_tok;

static int setup(void** state) {
  (void)state;
  if (bert_model_load(TINY, &g_model) != BERT_OK) return -1;
  if (bert_tokenizer_load(TINY, &g_tok) != BERT_OK) return -1;
  return 0;
}

static int teardown(void** state) {
  (void)state;
  bert_model_free(g_model);
  bert_tokenizer_free(g_tok);
  return 0;
}

static bert_fill_mask_prediction get(const bert_fill_mask_result* r, size_t q, size_t m, size_t k) {
  bert_fill_mask_prediction p;
  memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  assert_int_equal(bert_fill_mask_result_get(r, q, m, k, &p), BERT_OK);
  return p;
}

/* Values from tests/fixtures/model/tiny_fill_mask.json (HF pipeline('fill-mask')). */
static void test_matches_hf_pipeline(void** state) {
  (void)state;
  bert_fill_mask_result* r = NULL;
  assert_int_equal(bert_fill_mask(g_model, g_tok, "the [MASK] of the house.", strlen("the [MASK] of the house."), NULL, &r), BERT_OK);
  assert_int_equal(bert_fill_mask_result_num_queries(r), 1);
  assert_int_equal(bert_fill_mask_result_num_masks(r, 0), 1);
  assert_int_equal(bert_fill_mask_result_num_predictions(r, 0, 0), 5);
  bert_fill_mask_prediction p = get(r, 0, 0, 0);
  assert_int_equal(p.token_id, 966);
  assert_string_equal(p.token, "ref");
  assert_string_equal(p.sequence, "the ref of the house.");
  assert_true(fabs(p.score - 0.0273260903) < 1e-6);
  assert_int_equal(p.num_token_ids, 1);
  assert_int_equal(p.token_ids[0], 966);
  p = get(r, 0, 0, 3);
  assert_string_equal(p.token, "##ue");
  assert_string_equal(p.sequence, "theue of the house.");
  bert_fill_mask_result_free(r);

  /* Two masks: special tokens kept in the sequence, as HF does. */
  assert_int_equal(bert_fill_mask(g_model, g_tok, "a [MASK] and a [MASK].", strlen("a [MASK] and a [MASK]."), NULL, &r), BERT_OK);
  assert_int_equal(bert_fill_mask_result_num_masks(r, 0), 2);
  p = get(r, 0, 1, 0);
  assert_int_equal(p.token_id, 359);
  assert_string_equal(p.sequence, "[CLS] a [MASK] and aage. [SEP]");
  bert_fill_mask_result_free(r);
}

static void test_targets_and_top_k(void** state) {
  (void)state;
  const char* targets[] = {"people", "church"};
  bert_fill_mask_params params;
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(&params), BERT_OK);
  params.top_k = 3; /* capped to the 2 targets */
  params.targets = targets;
  params.num_targets = 2;
  bert_fill_mask_result* r = NULL;
  assert_int_equal(bert_fill_mask(g_model, g_tok, "the first [MASK] in the state", strlen("the first [MASK] in the state"), &params, &r), BERT_OK);
  assert_int_equal(bert_fill_mask_result_num_predictions(r, 0, 0), 2);
  bert_fill_mask_prediction p = get(r, 0, 0, 0);
  assert_string_equal(p.token, "church");
  assert_true(fabs(p.score - 0.00503313402) < 1e-7);
  assert_string_equal(get(r, 0, 0, 1).token, "people");
  /* Out-of-range accessors. */
  assert_int_equal(bert_fill_mask_result_get(r, 0, 0, 2, &p), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_fill_mask_result_get(r, 1, 0, 0, &p), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_fill_mask_result_get(r, 0, 1, 0, &p), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_fill_mask_result_get(r, 0, 0, 0, NULL), BERT_ERR_INVALID_ARGUMENT);
  p.struct_size = 0;
  assert_int_equal(bert_fill_mask_result_get(r, 0, 0, 0, &p), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_fill_mask_result_num_predictions(r, 0, 5), 0);
  assert_int_equal(bert_fill_mask_result_num_masks(r, 3), 0);
  assert_int_equal(bert_fill_mask_result_num_queries(NULL), 0);
  bert_fill_mask_result_free(r);

  /* Multi-piece target, expanded (beyond HF). */
  const char* multi[] = {"housework"};
  params.targets = multi;
  params.num_targets = 1;
  params.expand_multi_piece_targets = 1;
  assert_int_equal(bert_fill_mask(g_model, g_tok, "the first [MASK] in the state", strlen("the first [MASK] in the state"), &params, &r), BERT_OK);
  p = get(r, 0, 0, 0);
  assert_true(p.num_token_ids > 1);
  assert_string_equal(p.token, "housework");
  assert_string_equal(p.sequence, "the first housework in the state");
  assert_true(p.score > 0 && p.score < 1);
  bert_fill_mask_result_free(r);

  /* Targets with explicit lengths (not NUL-terminated) give the same result as NUL-terminated ones. */
  const char* padded[] = {"peopleXX", "churchYYY"};
  const size_t padded_lengths[] = {6, 6};
  params.targets = padded;
  params.target_lengths = padded_lengths;
  params.num_targets = 2;
  params.expand_multi_piece_targets = 0;
  const char* q = "the first [MASK] in the statexyz"; /* text_len cuts "xyz" */
  assert_int_equal(bert_fill_mask(g_model, g_tok, q, strlen(q) - 3, &params, &r), BERT_OK);
  assert_string_equal(get(r, 0, 0, 0).token, "church");
  assert_true(fabs(get(r, 0, 0, 0).score - 0.00503313402) < 1e-7);
  bert_fill_mask_result_free(r);

  /* Non-NULL targets with num_targets 0 is a mistake, not "the whole vocabulary". */
  params.target_lengths = NULL;
  params.num_targets = 0;
  r = NULL;
  assert_int_equal(bert_fill_mask(g_model, g_tok, q, strlen(q), &params, &r), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "num_targets"));
  assert_null(r);
}

static void expect_fail(const char* text, const bert_fill_mask_params* params, bert_status want, const char* needle) {
  bert_fill_mask_result* r = (bert_fill_mask_result*)0x1;
  assert_int_equal(bert_fill_mask(g_model, g_tok, text, strlen(text), params, &r), want);
  assert_ptr_equal(r, (bert_fill_mask_result*)0x1);
  if (strstr(bert_last_error(), needle) == NULL) fail_msg("'%s' not in '%s'", needle, bert_last_error());
}

static void test_bad_input(void** state) {
  (void)state;
  bert_fill_mask_result* r = NULL;
  assert_int_equal(bert_fill_mask(NULL, g_tok, "a [MASK]", strlen("a [MASK]"), NULL, &r), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_fill_mask(g_model, NULL, "a [MASK]", strlen("a [MASK]"), NULL, &r), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_fill_mask(g_model, g_tok, NULL, 5, NULL, &r), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_fill_mask(g_model, g_tok, "a [MASK]", strlen("a [MASK]"), NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  expect_fail("no mask token here", NULL, BERT_ERR_INVALID_ARGUMENT, "no mask token");
  char long_text[400] = "";
  for (int i = 0; i < 70; ++i) strcat(long_text, "the ");
  strcat(long_text, "[MASK]");
  expect_fail(long_text, NULL, BERT_ERR_INVALID_ARGUMENT, "max_position_embeddings");
  expect_fail("a [MASK] \xc3\x28", NULL, BERT_ERR_INVALID_UTF8, "");
  bert_fill_mask_params params;
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(&params), BERT_OK);
  params.top_k = 0;
  expect_fail("a [MASK]", &params, BERT_ERR_INVALID_ARGUMENT, "top_k");
  params.top_k = -3;
  expect_fail("a [MASK]", &params, BERT_ERR_INVALID_ARGUMENT, "top_k");
  params.top_k = 1001;
  expect_fail("a [MASK]", &params, BERT_ERR_INVALID_ARGUMENT, "top_k");
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(&params), BERT_OK);
  params.num_targets = 2; /* targets NULL */
  expect_fail("a [MASK]", &params, BERT_ERR_INVALID_ARGUMENT, "targets");
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(&params), BERT_OK);
  params.struct_size = sizeof params + 16;
  expect_fail("a [MASK]", &params, BERT_ERR_UNSUPPORTED, "newer");
}

static void test_batch(void** state) {
  (void)state;
  const char* texts[] = {"[MASK]", "the [MASK] of the house.", "a [MASK] and a [MASK]."};
  bert_fill_mask_result* r = NULL;
  assert_int_equal(bert_fill_mask_batch(g_model, g_tok, texts, NULL, 3, NULL, &r), BERT_OK);
  assert_int_equal(bert_fill_mask_result_num_queries(r), 3);
  assert_string_equal(get(r, 0, 0, 0).token, "life");
  assert_string_equal(get(r, 1, 0, 0).token, "ref");
  assert_int_equal(bert_fill_mask_result_num_masks(r, 2), 2);
  bert_fill_mask_result_free(r);
  assert_int_equal(bert_fill_mask_batch(g_model, g_tok, NULL, NULL, 0, NULL, &r), BERT_OK);
  assert_int_equal(bert_fill_mask_result_num_queries(r), 0);
  bert_fill_mask_result_free(r);
  const char* bad[] = {"a [MASK]", "nothing"};
  assert_int_equal(bert_fill_mask_batch(g_model, g_tok, bad, NULL, 2, NULL, &r), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "query 1"));
  const char* with_null[] = {"a [MASK]", NULL};
  assert_int_equal(bert_fill_mask_batch(g_model, g_tok, with_null, NULL, 2, NULL, &r), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_fill_mask_batch(g_model, g_tok, NULL, NULL, 2, NULL, &r), BERT_ERR_INVALID_ARGUMENT);
}

static void test_score_text(void** state) {
  (void)state;
  const char* texts[] = {"the man of the house.", "", "house the of man the."};
  double scores[3] = {1, 1, 1};
  size_t counts[3] = {0, 0, 0};
  assert_int_equal(bert_score_text(g_model, g_tok, texts, NULL, 3, NULL, scores, counts), BERT_OK);
  assert_true(scores[0] < 0);
  assert_true(scores[2] < 0);
  assert_true(scores[1] == 0);
  assert_int_equal(counts[1], 0);
  assert_int_equal(counts[0], counts[2]);
  assert_true(counts[0] >= 5);
  double again = 0;
  assert_int_equal(bert_score_text(g_model, g_tok, texts, NULL, 1, NULL, &again, NULL), BERT_OK);
  assert_true(fabs(again - scores[0]) < 1e-4);
  assert_int_equal(bert_score_text(NULL, g_tok, texts, NULL, 1, NULL, scores, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_score_text(g_model, g_tok, texts, NULL, 1, NULL, NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  char long_text[400] = "";
  for (int i = 0; i < 70; ++i) strcat(long_text, "the ");
  const char* too_long[] = {long_text};
  assert_int_equal(bert_score_text(g_model, g_tok, too_long, NULL, 1, NULL, scores, NULL), BERT_ERR_INVALID_ARGUMENT);
}

struct worker {
  int ok;
  int threads;
};

static void* fill_mask_worker(void* arg) {
  struct worker* w = (struct worker*)arg;
  bert_fill_mask_params params;
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(&params), BERT_OK);
  params.threads = w->threads;
  w->ok = 1;
  for (int i = 0; i < 20; ++i) {
    bert_fill_mask_result* r = NULL;
    if (bert_fill_mask(g_model, g_tok, "the [MASK] of the house.", strlen("the [MASK] of the house."), &params, &r) != BERT_OK) {
      w->ok = 0;
      break;
    }
    bert_fill_mask_prediction p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    if (bert_fill_mask_result_get(r, 0, 0, 0, &p) != BERT_OK || p.token_id != 966 ||
        fabs(p.score - 0.0273260903) > 1e-6) {
      w->ok = 0;
    }
    bert_fill_mask_result_free(r);
  }
  return NULL;
}

static void test_concurrent_calls(void** state) {
  (void)state;
  enum { N = 6 };
  pthread_t t[N];
  struct worker w[N];
  for (int i = 0; i < N; ++i) {
    w[i].ok = 0;
    w[i].threads = i % 3; /* 0 (default), 1, 2 */
    assert_int_equal(pthread_create(&t[i], NULL, fill_mask_worker, &w[i]), 0);
  }
  for (int i = 0; i < N; ++i) {
    pthread_join(t[i], NULL);
    assert_int_equal(w[i].ok, 1);
  }
}

static void test_vocab_mismatch(void** state) {
  (void)state;
  bert_model_params mp;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&mp), BERT_OK);
  mp.vocab_size = 999;
  mp.hidden_size = 8;
  mp.num_hidden_layers = 1;
  mp.num_attention_heads = 2;
  mp.intermediate_size = 8;
  bert_model* m = NULL;
  assert_int_equal(bert_model_create(&mp, &m), BERT_OK);
  bert_fill_mask_result* r = NULL;
  assert_int_equal(bert_fill_mask(m, g_tok, "a [MASK]", strlen("a [MASK]"), NULL, &r), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "vocab"));
  bert_model_free(m);
}

/* Counts no allocation can satisfy are "out of memory", never "internal error"; outputs untouched. */
static void test_huge_sizes(void** state) {
  (void)state;
  const char* texts[1] = {"a [MASK]."};
  bert_fill_mask_result* r = (bert_fill_mask_result*)texts;
  assert_int_equal(bert_fill_mask_batch(g_model, g_tok, texts, NULL, SIZE_MAX, NULL, &r), BERT_ERR_OUT_OF_MEMORY);
  assert_ptr_equal(r, (bert_fill_mask_result*)texts);
  double score = 42;
  assert_int_equal(bert_score_text(g_model, g_tok, texts, NULL, SIZE_MAX, NULL, &score, NULL), BERT_ERR_OUT_OF_MEMORY);
  assert_true(score == 42);
}

/* A struct_size that is not a whole number of fields is refused (in and out). */
static void test_torn_struct_size(void** state) {
  (void)state;
  bert_fill_mask_result* r = NULL;
  bert_fill_mask_params p;
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(&p), BERT_OK);
  p.struct_size = sizeof(size_t) + 2;
  assert_int_equal(bert_fill_mask(g_model, g_tok, "a [MASK].", strlen("a [MASK]."), &p, &r), BERT_ERR_INVALID_ARGUMENT);
  assert_null(r);
  assert_int_equal(bert_fill_mask(g_model, g_tok, "a [MASK].", strlen("a [MASK]."), NULL, &r), BERT_OK);
  bert_fill_mask_prediction pred;
  memset(&pred, 0, sizeof pred);
  pred.struct_size = sizeof(size_t) + 4; /* half of `score` */
  assert_int_equal(bert_fill_mask_result_get(r, 0, 0, 0, &pred), BERT_ERR_INVALID_ARGUMENT);
  assert_true(pred.score == 0);
  /* Smaller than ABI 1.0's struct: refused (no version of bertc.h ever had it). */
  pred.struct_size = offsetof(bert_fill_mask_prediction, token);
  assert_int_equal(bert_fill_mask_result_get(r, 0, 0, 0, &pred), BERT_ERR_INVALID_ARGUMENT);
  assert_true(pred.score == 0);
  /* Larger than this library's (a newer header): unsupported, untouched. */
  pred.struct_size = sizeof pred + 8;
  assert_int_equal(bert_fill_mask_result_get(r, 0, 0, 0, &pred), BERT_ERR_UNSUPPORTED);
  assert_true(pred.score == 0);
  pred.struct_size = sizeof pred;
  assert_int_equal(bert_fill_mask_result_get(r, 0, 0, 0, &pred), BERT_OK);
  assert_true(pred.score > 0);
  assert_int_equal(pred.struct_size, sizeof pred);
  bert_fill_mask_result_free(r);
}

static int fill_mask_with_threads(void) {
  bert_fill_mask_params p;
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(&p), BERT_OK);
  p.threads = 100000;
  bert_fill_mask_result* r = NULL;
  const bert_status st = bert_fill_mask(g_model, g_tok, "a [MASK].", strlen("a [MASK]."), &p, &r);
  bert_fill_mask_result_free(r);
  return (int)st;
}

/* threads beyond the documented limit is refused instead of asking OpenMP for 100000 threads (which
 * crashes the process when they cannot be created). Run in a child with a capped address space. */
static void test_thread_limit(void** state) {
  (void)state;
  fflush(NULL);
  const pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
#if !defined(__SANITIZE_ADDRESS__)
    unsigned long pages = 0;
    FILE* f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
      if (fscanf(f, "%lu", &pages) != 1) pages = 0;
      fclose(f);
    }
    if (pages > 0) {
      const rlim_t cap = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)512 << 20);
      struct rlimit rl = {cap, cap};
      setrlimit(RLIMIT_AS, &rl);
    }
#endif
    _exit(fill_mask_with_threads());
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), BERT_ERR_INVALID_ARGUMENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_hf_pipeline), cmocka_unit_test(test_targets_and_top_k),
      cmocka_unit_test(test_bad_input),           cmocka_unit_test(test_batch),
      cmocka_unit_test(test_score_text),          cmocka_unit_test(test_concurrent_calls),
      cmocka_unit_test(test_vocab_mismatch),
      cmocka_unit_test(test_huge_sizes),          cmocka_unit_test(test_torn_struct_size),
      cmocka_unit_test(test_thread_limit),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
