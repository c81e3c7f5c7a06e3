/* A bertc consumer for the ABI growth test (see CMakeLists.txt). Compiled against the frozen ABI 1.0
 * header (old consumer) or against a grown header whose structs each gained `growth_test_field`
 * (GROWN_HEADER, new consumer); run against today's library or the "future" one. It drives every
 * struct_size-versioned struct through a small pipeline and checks that the library never writes a
 * byte past the consumer's struct.
 *   consumer today|future */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bertc.h"

#define GUARD 32
#define GUARD_BYTE 0xAB

/* A struct of the consumer's size followed by guard bytes the library must never write. */
#define GUARDED(type, name)                  \
  unsigned char name##_buf[sizeof(type) + GUARD]; \
  memset(name##_buf, GUARD_BYTE, sizeof name##_buf); \
  type* name = (type*)(void*)name##_buf

static void assert_guard_intact(const unsigned char* buf, size_t struct_size) {
  for (size_t i = struct_size; i < struct_size + GUARD; ++i) {
    if (buf[i] != GUARD_BYTE) fail_msg("byte %zu after a %zu-byte struct was written", i - struct_size, struct_size);
  }
}
#define ASSERT_GUARD(type, name) assert_guard_intact(name##_buf, sizeof(type))

static int g_future; /* running against the future library */

#ifdef GROWN_HEADER
/* What the future library puts in the appended fields (src/api/guard.h, BERTC_ABI_GROWTH_TEST). */
#define GROWTH_DEFAULT 0x5EEDu
#define GROWTH_RESULT 0xF00Du
#define GROWTH_EVENT 0xE7E7u
#endif

static const char* const kLines[] = {"the cat sat on the mat.", "the dog sat on the log.", "a bird sat in a tree.",
                                     "the cat ran to the house.", "my friend walked to the river."};
enum { kNumLines = 5 };

struct progress {
  int events;
  size_t event_size;
  int growth_ok;
};

static int on_event(void* user, const bert_event* ev) {
  struct progress* p = (struct progress*)user;
  ++p->events;
  p->event_size = ev->struct_size;
  /* A consumer reads a field only when the sender's struct has it. */
  assert_true(ev->struct_size >= offsetof(bert_event, message) + sizeof ev->message);
#ifdef GROWN_HEADER
  p->growth_ok = ev->struct_size >= offsetof(bert_event, growth_test_field) + sizeof(uint64_t) &&
                 ev->growth_test_field == GROWTH_EVENT;
#endif
  return 0;
}

/* The consumer's whole pipeline; every versioned struct goes through the library. */
static void run_pipeline(void) {
  GUARDED(bert_tokenizer_params, tp);
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(tp), BERT_OK);
  ASSERT_GUARD(bert_tokenizer_params, tp);
  assert_int_equal(tp->struct_size, sizeof(bert_tokenizer_params));
  assert_int_equal(tp->vocab_size, 30522);
  tp->vocab_size = 60;
  tp->min_frequency = 1;
  struct progress tok_progress = {0, 0, 0};
  tp->progress = on_event;
  tp->progress_user_data = &tok_progress;
  bert_tokenizer* tok = NULL;
  assert_int_equal(bert_tokenizer_train_from_lines((const char* const*)kLines, NULL, kNumLines, tp, &tok), BERT_OK);
  assert_true(tok_progress.events > 0);

  GUARDED(bert_encode_params, ep);
  assert_int_equal(BERT_ENCODE_PARAMS_INIT(ep), BERT_OK);
  ASSERT_GUARD(bert_encode_params, ep);
  ep->add_special_tokens = 0;
  bert_encoding* enc = NULL;
  assert_int_equal(bert_tokenizer_encode_batch(tok, (const char* const*)kLines, NULL, NULL, NULL, kNumLines, ep, &enc),
                   BERT_OK);
  int32_t ids[256];
  size_t offsets[kNumLines + 1] = {0};
  for (size_t r = 0; r < kNumLines; ++r) {
    const size_t n = bert_encoding_length(enc, r);
    assert_true(offsets[r] + n <= 256);
    memcpy(ids + offsets[r], bert_encoding_ids(enc, r), n * sizeof *ids);
    offsets[r + 1] = offsets[r] + n;
  }
  bert_encoding_free(enc);

  GUARDED(bert_model_params, mp);
  assert_int_equal(BERT_MODEL_PARAMS_INIT(mp), BERT_OK);
  ASSERT_GUARD(bert_model_params, mp);
  mp->vocab_size = bert_tokenizer_vocab_size(tok);
  mp->hidden_size = 16;
  mp->num_hidden_layers = 1;
  mp->num_attention_heads = 2;
  mp->intermediate_size = 32;
  mp->max_position_embeddings = 32;
  mp->seed = 5;
  bert_model* model = NULL;
  assert_int_equal(bert_model_create(mp, &model), BERT_OK);

  GUARDED(bert_model_params, cfg);
  assert_int_equal(BERT_MODEL_PARAMS_INIT(cfg), BERT_OK);
  assert_int_equal(bert_model_config(model, cfg), BERT_OK);
  ASSERT_GUARD(bert_model_params, cfg);
  assert_int_equal(cfg->hidden_size, 16);
  assert_int_equal(cfg->seed, 5);

  GUARDED(bert_trainer_data, data);
  assert_int_equal(BERT_TRAINER_DATA_INIT(data), BERT_OK);
  ASSERT_GUARD(bert_trainer_data, data);
  data->token_ids = ids;
  data->offsets = offsets;
  data->num_sequences = kNumLines;
  GUARDED(bert_trainer_params, trp);
  assert_int_equal(BERT_TRAINER_PARAMS_INIT(trp), BERT_OK);
  ASSERT_GUARD(bert_trainer_params, trp);
  trp->max_length = 16;
  trp->batch_size = 2;
  trp->eval_split = 0;
  trp->save_final_model = 0;
  trp->logging_steps = 1;
  trp->max_steps = 3;
  trp->threads = 1;
  bert_trainer* trainer = NULL;
  assert_int_equal(bert_trainer_create(model, tok, data, data, trp, &trainer), BERT_OK);
  struct progress train_progress = {0, 0, 0};
  GUARDED(bert_trainer_step_result, step);
  step->struct_size = sizeof(bert_trainer_step_result);
  assert_int_equal(bert_trainer_step(trainer, on_event, &train_progress, step), BERT_OK);
  ASSERT_GUARD(bert_trainer_step_result, step);
  assert_int_equal(step->step, 1);
  assert_int_equal(step->struct_size, sizeof(bert_trainer_step_result));
  assert_true(train_progress.events >= 1);
  GUARDED(bert_trainer_eval_result, eval);
  eval->struct_size = sizeof(bert_trainer_eval_result);
  assert_int_equal(bert_trainer_evaluate(trainer, eval), BERT_OK);
  ASSERT_GUARD(bert_trainer_eval_result, eval);
  assert_true(eval->loss > 0);
  GUARDED(bert_trainer_info, info);
  info->struct_size = sizeof(bert_trainer_info);
  assert_int_equal(bert_trainer_get_info(trainer, info), BERT_OK);
  ASSERT_GUARD(bert_trainer_info, info);
  assert_int_equal(info->global_step, 1);

  GUARDED(bert_fill_mask_params, fp);
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(fp), BERT_OK);
  ASSERT_GUARD(bert_fill_mask_params, fp);
  fp->top_k = 3;
  const char* query = "the cat sat on the [MASK].";
  bert_fill_mask_result* res = NULL;
  assert_int_equal(bert_fill_mask(model, tok, query, strlen(query), fp, &res), BERT_OK);
  GUARDED(bert_fill_mask_prediction, pred);
  pred->struct_size = sizeof(bert_fill_mask_prediction);
  assert_int_equal(bert_fill_mask_result_get(res, 0, 0, 0, pred), BERT_OK);
  ASSERT_GUARD(bert_fill_mask_prediction, pred);
  assert_true(pred->score > 0 && pred->score <= 1);
  assert_non_null(pred->token);

  /* Events come with the sender's size: never smaller than the consumer's header (a library is at
   * least as new as the header it serves); the future library's is larger than any real header's. */
  assert_true(train_progress.event_size >= sizeof(bert_event));
#ifndef GROWN_HEADER
  if (g_future) assert_true(train_progress.event_size > sizeof(bert_event));
#endif
#ifdef GROWN_HEADER
  /* New consumer on the future library: the appended fields are real and carry the library's values. */
  assert_int_equal(tp->growth_test_field, GROWTH_DEFAULT);
  assert_int_equal(mp->growth_test_field, GROWTH_DEFAULT);
  assert_int_equal(trp->growth_test_field, GROWTH_DEFAULT);
  assert_int_equal(step->growth_test_field, GROWTH_RESULT);
  assert_int_equal(eval->growth_test_field, GROWTH_RESULT);
  assert_int_equal(info->growth_test_field, GROWTH_RESULT);
  assert_int_equal(pred->growth_test_field, GROWTH_RESULT);
  assert_int_equal(cfg->growth_test_field, GROWTH_RESULT);
  assert_true(train_progress.growth_ok);
  assert_true(tok_progress.growth_ok);
#endif

  GUARDED(bert_limits, limits);
  assert_int_equal(BERT_LIMITS_INIT(limits), BERT_OK);
  ASSERT_GUARD(bert_limits, limits);
  assert_int_equal(bert_set_limits(limits), BERT_OK); /* the same values back */
#ifdef GROWN_HEADER
  assert_int_equal(limits->growth_test_field, GROWTH_DEFAULT);
#endif

  bert_fill_mask_result_free(res);
  bert_trainer_free(trainer);
  bert_model_free(model);
  bert_tokenizer_free(tok);
}

static void test_consumer(void** state) {
  (void)state;
#ifdef GROWN_HEADER
  if (!g_future) {
    /* Built against a newer header than the library it loaded: clear refusals, nothing written. */
    assert_int_equal(bert_check_version(BERTC_VERSION_NUMBER), BERT_ERR_UNSUPPORTED);
    GUARDED(bert_tokenizer_params, tp);
    assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(tp), BERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(bert_last_error(), "newer bertc.h"));
    assert_int_equal(tp_buf[0], GUARD_BYTE);
    GUARDED(bert_encode_params, ep);
    assert_int_equal(BERT_ENCODE_PARAMS_INIT(ep), BERT_ERR_UNSUPPORTED);
    GUARDED(bert_model_params, mp);
    assert_int_equal(BERT_MODEL_PARAMS_INIT(mp), BERT_ERR_UNSUPPORTED);
    GUARDED(bert_fill_mask_params, fp);
    assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(fp), BERT_ERR_UNSUPPORTED);
    GUARDED(bert_trainer_params, trp);
    assert_int_equal(BERT_TRAINER_PARAMS_INIT(trp), BERT_ERR_UNSUPPORTED);
    GUARDED(bert_trainer_data, td);
    assert_int_equal(BERT_TRAINER_DATA_INIT(td), BERT_ERR_UNSUPPORTED);
    /* A grown struct filled by hand is refused where it is used, too. */
    bert_encode_params grown;
    memset(&grown, 0, sizeof grown);
    grown.struct_size = sizeof grown;
    bert_tokenizer* tok = NULL;
    static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ncat\n";
    assert_int_equal(bert_tokenizer_load_from_memory(vocab, strlen(vocab), NULL, 0, &tok), BERT_OK);
    bert_encoding* enc = NULL;
    assert_int_equal(bert_tokenizer_encode(tok, "cat", 3, NULL, 0, &grown, &enc), BERT_ERR_UNSUPPORTED);
    assert_null(enc);
    char want[64];
    snprintf(want, sizeof want, "struct_size %zu", sizeof grown);
    assert_non_null(strstr(bert_last_error(), want));
    bert_tokenizer_free(tok);
    return;
  }
#endif
  assert_int_equal(bert_check_version(BERTC_VERSION_NUMBER), BERT_OK);
  run_pipeline();
}

int main(int argc, char** argv) {
  if (argc != 2 || (strcmp(argv[1], "today") != 0 && strcmp(argv[1], "future") != 0)) {
    fprintf(stderr, "usage: %s today|future\n", argv[0]);
    return 2;
  }
  g_future = strcmp(argv[1], "future") == 0;
  /* Make sure the run really uses the library it was told about (the future one is a minor ahead). */
  printf("header %s, library %s (%s)\n", BERTC_VERSION_STRING, bert_version(), argv[1]);
  if (bert_version_number() != (unsigned)TODAY_VERSION_NUMBER + (g_future ? 100u : 0u)) {
    fprintf(stderr, "loaded library %s is not the %s one\n", bert_version(), argv[1]);
    return 1;
  }
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_consumer)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
