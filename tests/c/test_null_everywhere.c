/* Every exported bert_* function with NULL in each of its pointer positions (one at a time, the other
 * arguments valid): a documented status or value, never a crash, and outputs left untouched.
 * kCovered lists the functions exercised here; check_null_coverage.sh (ctest c_null_everywhere_covers_exports)
 * fails when libbertc exports a bert_* function missing from it: add the new function here. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bertc.h"

#define TINY BERTC_FIXTURES_DIR "/model/tiny_mlm"
#define INVALID BERT_ERR_INVALID_ARGUMENT

static const char* const kCovered[] = {
    "bert_build_info", "bert_check_version", "bert_classify", "bert_classify_params_init",
    "bert_classify_result_free", "bert_classify_result_get", "bert_classify_result_num_texts", "bert_clear_error",
    "bert_encode_params_init", "bert_encoding_attention_mask", "bert_encoding_count", "bert_encoding_free",
    "bert_encoding_ids", "bert_encoding_input_index", "bert_encoding_is_overflow", "bert_encoding_length",
    "bert_encoding_offsets", "bert_encoding_sequence_ids", "bert_encoding_special_tokens_mask",
    "bert_encoding_type_ids", "bert_fill_mask", "bert_fill_mask_batch", "bert_fill_mask_params_init",
    "bert_fill_mask_result_free", "bert_fill_mask_result_get", "bert_fill_mask_result_num_masks",
    "bert_fill_mask_result_num_predictions", "bert_fill_mask_result_num_queries", "bert_labels_free",
    "bert_last_error", "bert_limits_init", "bert_model_config", "bert_model_create", "bert_model_free",
    "bert_model_label", "bert_model_load", "bert_model_load_for_task", "bert_model_load_from_memory",
    "bert_model_num_labels", "bert_model_num_parameters", "bert_model_params_init", "bert_model_save",
    "bert_model_task", "bert_score_text", "bert_set_limits", "bert_status_str", "bert_string_free", "bert_tag",
    "bert_tag_result_free", "bert_tag_result_get_group", "bert_tag_result_get_word", "bert_tag_result_num_groups",
    "bert_tag_result_num_texts", "bert_tag_result_num_words", "bert_tag_words", "bert_task_params_init",
    "bert_tokenizer_decode", "bert_tokenizer_decode_batch", "bert_tokenizer_encode", "bert_tokenizer_encode_batch",
    "bert_tokenizer_free", "bert_tokenizer_id_to_token", "bert_tokenizer_load", "bert_tokenizer_load_from_memory",
    "bert_tokenizer_params_init", "bert_tokenizer_save", "bert_tokenizer_save_to_memory",
    "bert_tokenizer_special_token_id", "bert_tokenizer_token_to_id", "bert_tokenizer_train",
    "bert_tokenizer_train_from_lines", "bert_tokenizer_vocab_size", "bert_trainer_create", "bert_trainer_data_init",
    "bert_trainer_data_labels", "bert_trainer_evaluate", "bert_trainer_free", "bert_trainer_get_info",
    "bert_trainer_params_init", "bert_trainer_resume", "bert_trainer_save_checkpoint", "bert_trainer_step",
    "bert_trainer_step_batch", "bert_trainer_train", "bert_version", "bert_version_number",
};

static bert_tokenizer* g_tok;
static bert_model* g_model;
static char g_dir[64];
/* A sentinel for outputs that must stay untouched on failure. */
static char g_sentinel;
#define SENTINEL ((void*)&g_sentinel)

static void expect_invalid(bert_status st, const char* func) {
  assert_int_equal(st, INVALID);
  assert_non_null(strstr(bert_last_error(), func)); /* "function: message" */
}

static int setup(void** state) {
  (void)state;
  snprintf(g_dir, sizeof g_dir, "/tmp/bertc_c_null_%d", (int)getpid());
  if (bert_tokenizer_load(TINY, &g_tok) != BERT_OK) return -1;
  return bert_model_load(TINY, &g_model) == BERT_OK ? 0 : -1;
}

static int teardown(void** state) {
  (void)state;
  bert_tokenizer_free(g_tok);
  bert_model_free(g_model);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void test_status_and_versions(void** state) {
  (void)state;
  assert_non_null(bert_status_str((bert_status)-7));
  assert_non_null(bert_last_error());
  bert_clear_error();
  assert_non_null(bert_version());
  assert_non_null(bert_build_info());
  assert_int_equal(bert_version_number(), BERTC_VERSION_NUMBER);
  assert_int_equal(bert_check_version(0), BERTC_VERSION_MAJOR == 0 ? BERT_OK : BERT_ERR_UNSUPPORTED);
  /* Every *_init with NULL: invalid argument; with the right size: struct_size set. */
  expect_invalid(bert_tokenizer_params_init(NULL, sizeof(bert_tokenizer_params)), "bert_tokenizer_params_init");
  expect_invalid(bert_encode_params_init(NULL, sizeof(bert_encode_params)), "bert_encode_params_init");
  expect_invalid(bert_model_params_init(NULL, sizeof(bert_model_params)), "bert_model_params_init");
  expect_invalid(bert_fill_mask_params_init(NULL, sizeof(bert_fill_mask_params)), "bert_fill_mask_params_init");
  expect_invalid(bert_trainer_params_init(NULL, sizeof(bert_trainer_params)), "bert_trainer_params_init");
  expect_invalid(bert_trainer_data_init(NULL, sizeof(bert_trainer_data)), "bert_trainer_data_init");
  expect_invalid(bert_limits_init(NULL, sizeof(bert_limits)), "bert_limits_init");
  expect_invalid(bert_set_limits(NULL), "bert_set_limits");
  bert_tokenizer_params tp;
  bert_encode_params ep;
  bert_model_params mp;
  bert_fill_mask_params fp;
  bert_trainer_params trp;
  bert_trainer_data td;
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(&tp), BERT_OK);
  assert_int_equal(BERT_ENCODE_PARAMS_INIT(&ep), BERT_OK);
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&mp), BERT_OK);
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(&fp), BERT_OK);
  assert_int_equal(BERT_TRAINER_PARAMS_INIT(&trp), BERT_OK);
  assert_int_equal(BERT_TRAINER_DATA_INIT(&td), BERT_OK);
  assert_int_equal(tp.struct_size, sizeof tp);
  assert_int_equal(ep.struct_size, sizeof ep);
  assert_int_equal(mp.struct_size, sizeof mp);
  assert_int_equal(fp.struct_size, sizeof fp);
  assert_int_equal(trp.struct_size, sizeof trp);
  assert_int_equal(td.struct_size, sizeof td);
}

static void test_tokenizer(void** state) {
  (void)state;
  bert_tokenizer* t = SENTINEL;
  const char* files[1] = {NULL};
  expect_invalid(bert_tokenizer_train(NULL, 1, NULL, &t), "bert_tokenizer_train");
  expect_invalid(bert_tokenizer_train(files, 1, NULL, &t), "bert_tokenizer_train");
  files[0] = TINY "/vocab.txt";
  expect_invalid(bert_tokenizer_train(files, 1, NULL, NULL), "bert_tokenizer_train");
  assert_ptr_equal(t, SENTINEL);

  const char* lines[2] = {"hello world", "hello there"};
  const char* null_line[1] = {NULL};
  bert_tokenizer_params tp;
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(&tp), BERT_OK);
  tp.vocab_size = 100;
  tp.min_frequency = 1;
  expect_invalid(bert_tokenizer_train_from_lines(NULL, NULL, 2, &tp, &t), "bert_tokenizer_train_from_lines");
  expect_invalid(bert_tokenizer_train_from_lines(null_line, NULL, 1, &tp, &t), "bert_tokenizer_train_from_lines");
  expect_invalid(bert_tokenizer_train_from_lines(lines, NULL, 2, &tp, NULL), "bert_tokenizer_train_from_lines");
  assert_ptr_equal(t, SENTINEL);
  assert_int_equal(bert_tokenizer_train_from_lines(lines, NULL, 2, NULL, &t), BERT_OK); /* lengths, params NULL */
  bert_tokenizer_free(t);

  t = SENTINEL;
  static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n";
  expect_invalid(bert_tokenizer_load_from_memory(NULL, 5, NULL, 0, &t), "bert_tokenizer_load_from_memory");
  expect_invalid(bert_tokenizer_load_from_memory(vocab, strlen(vocab), NULL, 3, &t), "bert_tokenizer_load_from_memory");
  expect_invalid(bert_tokenizer_load_from_memory(vocab, strlen(vocab), NULL, 0, NULL),
                 "bert_tokenizer_load_from_memory");
  assert_ptr_equal(t, SENTINEL);
  assert_int_equal(bert_tokenizer_load_from_memory(vocab, strlen(vocab), NULL, 0, &t), BERT_OK); /* config NULL */
  bert_tokenizer_free(t);
  t = SENTINEL;
  char* saved = SENTINEL;
  size_t saved_len = 77;
  expect_invalid(bert_tokenizer_save_to_memory(NULL, BERT_TOKENIZER_FILE_JSON, &saved, &saved_len),
                 "bert_tokenizer_save_to_memory");
  expect_invalid(bert_tokenizer_save_to_memory(g_tok, BERT_TOKENIZER_FILE_JSON, NULL, &saved_len),
                 "bert_tokenizer_save_to_memory");
  assert_ptr_equal(saved, SENTINEL);
  assert_int_equal(saved_len, 77);
  assert_int_equal(bert_tokenizer_save_to_memory(g_tok, BERT_TOKENIZER_FILE_VOCAB, &saved, NULL), BERT_OK);
  bert_string_free(saved);
  expect_invalid(bert_tokenizer_load(NULL, &t), "bert_tokenizer_load");
  expect_invalid(bert_tokenizer_load(TINY, NULL), "bert_tokenizer_load");
  assert_ptr_equal(t, SENTINEL);
  expect_invalid(bert_tokenizer_save(NULL, g_dir), "bert_tokenizer_save");
  expect_invalid(bert_tokenizer_save(g_tok, NULL), "bert_tokenizer_save");
  bert_tokenizer_free(NULL);

  bert_encoding* e = SENTINEL;
  expect_invalid(bert_tokenizer_encode(NULL, "a", 1, NULL, 0, NULL, &e), "bert_tokenizer_encode");
  expect_invalid(bert_tokenizer_encode(g_tok, NULL, 1, NULL, 0, NULL, &e), "bert_tokenizer_encode");
  expect_invalid(bert_tokenizer_encode(g_tok, "a", 1, NULL, 0, NULL, NULL), "bert_tokenizer_encode");
  assert_ptr_equal(e, SENTINEL);
  assert_int_equal(bert_tokenizer_encode(g_tok, NULL, 0, NULL, 0, NULL, &e), BERT_OK); /* empty text */
  assert_int_equal(bert_encoding_length(e, 0), 2);                                      /* [CLS] [SEP] */
  bert_encoding_free(e);
  assert_int_equal(bert_tokenizer_encode(g_tok, "a", 1, NULL, 7, NULL, &e), BERT_OK); /* pair NULL: single */
  assert_int_equal(bert_encoding_count(e), 1);
  bert_encoding_free(e);

  const char* texts[1] = {"a b"};
  const char* null_texts[1] = {NULL};
  e = SENTINEL;
  expect_invalid(bert_tokenizer_encode_batch(NULL, texts, NULL, NULL, NULL, 1, NULL, &e), "bert_tokenizer_encode_batch");
  expect_invalid(bert_tokenizer_encode_batch(g_tok, NULL, NULL, NULL, NULL, 1, NULL, &e), "bert_tokenizer_encode_batch");
  expect_invalid(bert_tokenizer_encode_batch(g_tok, null_texts, NULL, NULL, NULL, 1, NULL, &e),
                 "bert_tokenizer_encode_batch");
  expect_invalid(bert_tokenizer_encode_batch(g_tok, texts, NULL, null_texts, NULL, 1, NULL, &e),
                 "bert_tokenizer_encode_batch");
  expect_invalid(bert_tokenizer_encode_batch(g_tok, texts, NULL, NULL, NULL, 1, NULL, NULL), "bert_tokenizer_encode_batch");
  assert_ptr_equal(e, SENTINEL);
  assert_int_equal(bert_tokenizer_encode_batch(g_tok, texts, NULL, texts, NULL, 1, NULL, &e), BERT_OK);
  bert_encoding_free(e);
  assert_int_equal(bert_tokenizer_encode_batch(g_tok, NULL, NULL, NULL, NULL, 0, NULL, &e), BERT_OK);
  assert_int_equal(bert_encoding_count(e), 0);
  bert_encoding_free(e);

  assert_int_equal(bert_encoding_count(NULL), 0);
  assert_int_equal(bert_encoding_length(NULL, 0), 0);
  assert_null(bert_encoding_ids(NULL, 0));
  assert_null(bert_encoding_type_ids(NULL, 0));
  assert_null(bert_encoding_attention_mask(NULL, 0));
  assert_null(bert_encoding_special_tokens_mask(NULL, 0));
  assert_null(bert_encoding_offsets(NULL, 0));
  assert_null(bert_encoding_sequence_ids(NULL, 0));
  assert_true(bert_encoding_input_index(NULL, 0) == (size_t)-1);
  assert_int_equal(bert_encoding_is_overflow(NULL, 0), 0);
  bert_encoding_free(NULL);

  const int32_t ids[2] = {5, 6};
  char* text = SENTINEL;
  size_t len = 77;
  expect_invalid(bert_tokenizer_decode(NULL, ids, 2, 0, &text, &len), "bert_tokenizer_decode");
  expect_invalid(bert_tokenizer_decode(g_tok, NULL, 2, 0, &text, &len), "bert_tokenizer_decode");
  expect_invalid(bert_tokenizer_decode(g_tok, ids, 2, 0, NULL, &len), "bert_tokenizer_decode");
  assert_ptr_equal(text, SENTINEL);
  assert_int_equal(len, 77);
  assert_int_equal(bert_tokenizer_decode(g_tok, NULL, 0, 0, &text, NULL), BERT_OK);
  assert_string_equal(text, "");
  bert_string_free(text);
  bert_string_free(NULL);

  const int32_t* seqs[2] = {ids, NULL};
  const size_t seq_lens[2] = {2, 0};
  const size_t bad_lens[2] = {2, 1};
  char* outs[2] = {SENTINEL, SENTINEL};
  expect_invalid(bert_tokenizer_decode_batch(NULL, seqs, seq_lens, 2, 0, outs, NULL), "bert_tokenizer_decode_batch");
  expect_invalid(bert_tokenizer_decode_batch(g_tok, NULL, seq_lens, 2, 0, outs, NULL), "bert_tokenizer_decode_batch");
  expect_invalid(bert_tokenizer_decode_batch(g_tok, seqs, NULL, 2, 0, outs, NULL), "bert_tokenizer_decode_batch");
  expect_invalid(bert_tokenizer_decode_batch(g_tok, seqs, seq_lens, 2, 0, NULL, NULL), "bert_tokenizer_decode_batch");
  expect_invalid(bert_tokenizer_decode_batch(g_tok, seqs, bad_lens, 2, 0, outs, NULL), "bert_tokenizer_decode_batch");
  assert_ptr_equal(outs[0], SENTINEL);
  assert_ptr_equal(outs[1], SENTINEL);
  assert_int_equal(bert_tokenizer_decode_batch(g_tok, NULL, NULL, 0, 0, NULL, NULL), BERT_OK); /* nothing */
  assert_int_equal(bert_tokenizer_decode_batch(g_tok, seqs, seq_lens, 2, 0, outs, NULL), BERT_OK);
  assert_string_equal(outs[1], "");
  bert_string_free(outs[0]);
  bert_string_free(outs[1]);

  int32_t id = 1234;
  const char* tok_str = SENTINEL;
  expect_invalid(bert_tokenizer_token_to_id(NULL, "a", strlen("a"), &id), "bert_tokenizer_token_to_id");
  expect_invalid(bert_tokenizer_token_to_id(g_tok, NULL, 5, &id), "bert_tokenizer_token_to_id");
  expect_invalid(bert_tokenizer_token_to_id(g_tok, "a", strlen("a"), NULL), "bert_tokenizer_token_to_id");
  expect_invalid(bert_tokenizer_id_to_token(NULL, 0, &tok_str, NULL), "bert_tokenizer_id_to_token");
  expect_invalid(bert_tokenizer_id_to_token(g_tok, 0, NULL, NULL), "bert_tokenizer_id_to_token");
  expect_invalid(bert_tokenizer_special_token_id(NULL, BERT_SPECIAL_MASK, &id), "bert_tokenizer_special_token_id");
  expect_invalid(bert_tokenizer_special_token_id(g_tok, BERT_SPECIAL_MASK, NULL), "bert_tokenizer_special_token_id");
  assert_int_equal(id, 1234);
  assert_ptr_equal(tok_str, SENTINEL);
  assert_int_equal(bert_tokenizer_vocab_size(NULL), 0);
}

static void test_model(void** state) {
  (void)state;
  bert_model* m = SENTINEL;
  expect_invalid(bert_model_create(NULL, NULL), "bert_model_create");
  bert_model_params mp;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&mp), BERT_OK);
  expect_invalid(bert_model_create(&mp, NULL), "bert_model_create");
  mp.hidden_act = NULL;
  expect_invalid(bert_model_create(&mp, &m), "bert_model_create");
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&mp), BERT_OK);
  mp.position_embedding_type = NULL;
  expect_invalid(bert_model_create(&mp, &m), "bert_model_create");
  expect_invalid(bert_model_load(NULL, &m), "bert_model_load");
  expect_invalid(bert_model_load(TINY, NULL), "bert_model_load");
  assert_ptr_equal(m, SENTINEL);
  expect_invalid(bert_model_save(NULL, g_dir), "bert_model_save");
  expect_invalid(bert_model_save(g_model, NULL), "bert_model_save");
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&mp), BERT_OK);
  expect_invalid(bert_model_config(NULL, &mp), "bert_model_config");
  expect_invalid(bert_model_config(g_model, NULL), "bert_model_config");
  assert_int_equal(mp.hidden_size, 768); /* untouched: still the default */

  static const char config[] = "{}";
  static const char weights[16] = {0};
  expect_invalid(bert_model_load_from_memory(NULL, 2, weights, sizeof weights, 0, &m), "bert_model_load_from_memory");
  expect_invalid(bert_model_load_from_memory(config, 2, NULL, 16, 0, &m), "bert_model_load_from_memory");
  expect_invalid(bert_model_load_from_memory(config, 2, weights, sizeof weights, 0, NULL),
                 "bert_model_load_from_memory");
  assert_ptr_equal(m, SENTINEL);
  uint64_t n = 99;
  expect_invalid(bert_model_num_parameters(NULL, &n), "bert_model_num_parameters");
  expect_invalid(bert_model_num_parameters(g_model, NULL), "bert_model_num_parameters");
  assert_int_equal(n, 99);
  bert_model_free(NULL);
}

static void test_fill_mask(void** state) {
  (void)state;
  bert_fill_mask_result* r = SENTINEL;
  expect_invalid(bert_fill_mask(NULL, g_tok, "a [MASK]", strlen("a [MASK]"), NULL, &r), "bert_fill_mask");
  expect_invalid(bert_fill_mask(g_model, NULL, "a [MASK]", strlen("a [MASK]"), NULL, &r), "bert_fill_mask");
  expect_invalid(bert_fill_mask(g_model, g_tok, NULL, 5, NULL, &r), "bert_fill_mask");
  expect_invalid(bert_fill_mask(g_model, g_tok, "a [MASK]", strlen("a [MASK]"), NULL, NULL), "bert_fill_mask");
  bert_fill_mask_params fp;
  assert_int_equal(BERT_FILL_MASK_PARAMS_INIT(&fp), BERT_OK);
  fp.num_targets = 1; /* targets NULL */
  expect_invalid(bert_fill_mask(g_model, g_tok, "a [MASK]", strlen("a [MASK]"), &fp, &r), "bert_fill_mask");
  assert_ptr_equal(r, SENTINEL);

  const char* texts[1] = {"a [MASK]"};
  const char* null_texts[1] = {NULL};
  expect_invalid(bert_fill_mask_batch(NULL, g_tok, texts, NULL, 1, NULL, &r), "bert_fill_mask_batch");
  expect_invalid(bert_fill_mask_batch(g_model, NULL, texts, NULL, 1, NULL, &r), "bert_fill_mask_batch");
  expect_invalid(bert_fill_mask_batch(g_model, g_tok, NULL, NULL, 1, NULL, &r), "bert_fill_mask_batch");
  expect_invalid(bert_fill_mask_batch(g_model, g_tok, null_texts, NULL, 1, NULL, &r), "bert_fill_mask_batch");
  expect_invalid(bert_fill_mask_batch(g_model, g_tok, texts, NULL, 1, NULL, NULL), "bert_fill_mask_batch");
  assert_ptr_equal(r, SENTINEL);
  assert_int_equal(bert_fill_mask_batch(g_model, g_tok, NULL, NULL, 0, NULL, &r), BERT_OK);
  assert_int_equal(bert_fill_mask_result_num_queries(r), 0);
  bert_fill_mask_result_free(r);

  assert_int_equal(bert_fill_mask(g_model, g_tok, "a [MASK]", strlen("a [MASK]"), NULL, &r), BERT_OK); /* params NULL */
  bert_fill_mask_prediction p;
  memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  expect_invalid(bert_fill_mask_result_get(NULL, 0, 0, 0, &p), "bert_fill_mask_result_get");
  expect_invalid(bert_fill_mask_result_get(r, 0, 0, 0, NULL), "bert_fill_mask_result_get");
  assert_null(p.token);
  bert_fill_mask_result_free(r);
  assert_int_equal(bert_fill_mask_result_num_queries(NULL), 0);
  assert_int_equal(bert_fill_mask_result_num_masks(NULL, 0), 0);
  assert_int_equal(bert_fill_mask_result_num_predictions(NULL, 0, 0), 0);
  bert_fill_mask_result_free(NULL);

  const char* plain[1] = {"a b"};
  double score = 5;
  size_t count = 5;
  expect_invalid(bert_score_text(NULL, g_tok, plain, NULL, 1, NULL, &score, &count), "bert_score_text");
  expect_invalid(bert_score_text(g_model, NULL, plain, NULL, 1, NULL, &score, &count), "bert_score_text");
  expect_invalid(bert_score_text(g_model, g_tok, NULL, NULL, 1, NULL, &score, &count), "bert_score_text");
  expect_invalid(bert_score_text(g_model, g_tok, null_texts, NULL, 1, NULL, &score, &count), "bert_score_text");
  expect_invalid(bert_score_text(g_model, g_tok, plain, NULL, 1, NULL, NULL, &count), "bert_score_text");
  assert_true(score == 5);
  assert_int_equal(count, 5);
  assert_int_equal(bert_score_text(g_model, g_tok, plain, NULL, 1, NULL, &score, NULL), BERT_OK);
  assert_true(score < 0);
}

static void test_classify(void** state) {
  (void)state;
  static const char* const labels[] = {"neg", "pos"};
  bert_task_params hp;
  assert_int_equal(BERT_TASK_PARAMS_INIT(&hp), BERT_OK);
  bert_model* seq = SENTINEL;
  expect_invalid(bert_task_params_init(NULL, sizeof hp), "bert_task_params_init");
  expect_invalid(bert_model_load_for_task(NULL, &hp, &seq), "bert_model_load_for_task");
  expect_invalid(bert_model_load_for_task(TINY, &hp, NULL), "bert_model_load_for_task");
  expect_invalid(bert_model_load_for_task(TINY, &hp, &seq), "bert_model_load_for_task"); /* no labels */
  assert_ptr_equal(seq, SENTINEL);
  hp.labels = labels;
  hp.num_labels = 2;
  assert_int_equal(bert_model_load_for_task(TINY, &hp, &seq), BERT_OK);
  hp.task = BERT_TASK_TOKEN_CLASSIFICATION;
  bert_model* tagger = NULL;
  assert_int_equal(bert_model_load_for_task(TINY, NULL, &tagger), INVALID); /* NULL params: sequence, no labels */
  assert_int_equal(bert_model_load_for_task(TINY, &hp, &tagger), BERT_OK);

  const char* texts[1] = {"a b"};
  const char* null_texts[1] = {NULL};
  bert_classify_result* cr = SENTINEL;
  expect_invalid(bert_classify_params_init(NULL, sizeof(bert_classify_params)), "bert_classify_params_init");
  expect_invalid(bert_classify(NULL, g_tok, texts, NULL, 1, NULL, &cr), "bert_classify");
  expect_invalid(bert_classify(seq, NULL, texts, NULL, 1, NULL, &cr), "bert_classify");
  expect_invalid(bert_classify(seq, g_tok, NULL, NULL, 1, NULL, &cr), "bert_classify");
  expect_invalid(bert_classify(seq, g_tok, null_texts, NULL, 1, NULL, &cr), "bert_classify");
  expect_invalid(bert_classify(seq, g_tok, texts, NULL, 1, NULL, NULL), "bert_classify");
  expect_invalid(bert_classify(g_model, g_tok, texts, NULL, 1, NULL, &cr), "bert_classify"); /* a masked LM */
  expect_invalid(bert_classify(tagger, g_tok, texts, NULL, 1, NULL, &cr), "bert_classify");  /* a tagger */
  assert_ptr_equal(cr, SENTINEL);
  assert_int_equal(bert_classify(seq, g_tok, texts, NULL, 1, NULL, &cr), BERT_OK);
  bert_classification c;
  memset(&c, 0, sizeof c);
  c.struct_size = sizeof c;
  expect_invalid(bert_classify_result_get(NULL, 0, &c), "bert_classify_result_get");
  expect_invalid(bert_classify_result_get(cr, 0, NULL), "bert_classify_result_get");
  expect_invalid(bert_classify_result_get(cr, 1, &c), "bert_classify_result_get");
  assert_null(c.label_name);
  assert_int_equal(bert_classify_result_num_texts(NULL), 0);
  bert_classify_result_free(cr);
  bert_classify_result_free(NULL);

  bert_tag_result* tr = SENTINEL;
  static const size_t counts[1] = {2};
  static const char* const words[2] = {"a", "b"};
  expect_invalid(bert_tag(NULL, g_tok, texts, NULL, 1, NULL, &tr), "bert_tag");
  expect_invalid(bert_tag(tagger, NULL, texts, NULL, 1, NULL, &tr), "bert_tag");
  expect_invalid(bert_tag(tagger, g_tok, NULL, NULL, 1, NULL, &tr), "bert_tag");
  expect_invalid(bert_tag(tagger, g_tok, texts, NULL, 1, NULL, NULL), "bert_tag");
  expect_invalid(bert_tag(seq, g_tok, texts, NULL, 1, NULL, &tr), "bert_tag");
  expect_invalid(bert_tag_words(NULL, g_tok, words, NULL, counts, 1, NULL, &tr), "bert_tag_words");
  expect_invalid(bert_tag_words(tagger, NULL, words, NULL, counts, 1, NULL, &tr), "bert_tag_words");
  expect_invalid(bert_tag_words(tagger, g_tok, NULL, NULL, counts, 1, NULL, &tr), "bert_tag_words");
  expect_invalid(bert_tag_words(tagger, g_tok, words, NULL, NULL, 1, NULL, &tr), "bert_tag_words");
  expect_invalid(bert_tag_words(tagger, g_tok, words, NULL, counts, 1, NULL, NULL), "bert_tag_words");
  assert_ptr_equal(tr, SENTINEL);
  assert_int_equal(bert_tag_words(tagger, g_tok, words, NULL, counts, 1, NULL, &tr), BERT_OK);
  bert_tagged_word w;
  memset(&w, 0, sizeof w);
  w.struct_size = sizeof w;
  bert_tag_group g;
  memset(&g, 0, sizeof g);
  g.struct_size = sizeof g;
  expect_invalid(bert_tag_result_get_word(NULL, 0, 0, &w), "bert_tag_result_get_word");
  expect_invalid(bert_tag_result_get_word(tr, 0, 0, NULL), "bert_tag_result_get_word");
  expect_invalid(bert_tag_result_get_group(NULL, 0, 0, &g), "bert_tag_result_get_group");
  expect_invalid(bert_tag_result_get_group(tr, 0, 0, NULL), "bert_tag_result_get_group");
  assert_null(w.word);
  assert_int_equal(bert_tag_result_num_texts(NULL), 0);
  assert_int_equal(bert_tag_result_num_words(NULL, 0), 0);
  assert_int_equal(bert_tag_result_num_groups(NULL, 0), 0);
  bert_tag_result_free(tr);
  assert_int_equal(bert_tag(tagger, g_tok, texts, NULL, 1, NULL, &tr), BERT_OK);
  bert_tag_result_free(tr);
  bert_tag_result_free(NULL);

  bert_trainer_data d;
  assert_int_equal(BERT_TRAINER_DATA_INIT(&d), BERT_OK);
  char** found = SENTINEL;
  size_t n = 7;
  expect_invalid(bert_trainer_data_labels(NULL, BERT_TASK_SEQUENCE_CLASSIFICATION, &found, &n), "bert_trainer_data_labels");
  expect_invalid(bert_trainer_data_labels(&d, BERT_TASK_SEQUENCE_CLASSIFICATION, &found, &n), "bert_trainer_data_labels");
  expect_invalid(bert_trainer_data_labels(&d, BERT_TASK_SEQUENCE_CLASSIFICATION, NULL, &n), "bert_trainer_data_labels");
  expect_invalid(bert_trainer_data_labels(&d, BERT_TASK_SEQUENCE_CLASSIFICATION, &found, NULL), "bert_trainer_data_labels");
  expect_invalid(bert_trainer_data_labels(&d, BERT_TASK_MASKED_LM, &found, &n), "bert_trainer_data_labels");
  assert_ptr_equal(found, SENTINEL);
  assert_int_equal(n, 7);
  bert_labels_free(NULL, 0);
  assert_int_equal(bert_model_task(NULL), -1);
  assert_int_equal(bert_model_num_labels(NULL), 0);
  assert_null(bert_model_label(NULL, 0));
  assert_null(bert_model_label(seq, 2));
  assert_string_equal(bert_model_label(seq, 1), "pos");
  bert_model_free(seq);
  bert_model_free(tagger);
}

static void test_trainer(void** state) {
  (void)state;
  static const int32_t ids[] = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111};
  static const size_t offsets[] = {0, 3, 6, 9, 12};
  bert_trainer_data d;
  assert_int_equal(BERT_TRAINER_DATA_INIT(&d), BERT_OK);
  d.token_ids = ids;
  d.offsets = offsets;
  d.num_sequences = 4;
  bert_trainer_params p;
  assert_int_equal(BERT_TRAINER_PARAMS_INIT(&p), BERT_OK);
  p.output_dir = g_dir;
  p.max_length = 16;
  p.batch_size = 2;
  p.max_steps = 2;
  p.threads = 1;
  p.eval_split = 0;
  p.save_final_model = 0;

  bert_trainer* t = SENTINEL;
  expect_invalid(bert_trainer_create(NULL, g_tok, &d, &d, &p, &t), "bert_trainer_create");
  expect_invalid(bert_trainer_create(g_model, NULL, &d, &d, &p, &t), "bert_trainer_create");
  expect_invalid(bert_trainer_create(g_model, g_tok, &d, &d, &p, NULL), "bert_trainer_create");
  bert_trainer_data no_offsets = d;
  no_offsets.offsets = NULL;
  expect_invalid(bert_trainer_create(g_model, g_tok, &no_offsets, NULL, &p, &t), "bert_trainer_create");
  bert_trainer_data no_ids = d;
  no_ids.token_ids = NULL;
  expect_invalid(bert_trainer_create(g_model, g_tok, &no_ids, NULL, &p, &t), "bert_trainer_create");
  const char* null_file[1] = {NULL};
  bert_trainer_data files;
  assert_int_equal(BERT_TRAINER_DATA_INIT(&files), BERT_OK);
  files.files = null_file;
  files.num_files = 1;
  expect_invalid(bert_trainer_create(g_model, g_tok, &files, NULL, &p, &t), "bert_trainer_create");
  files.files = NULL;
  expect_invalid(bert_trainer_create(g_model, g_tok, &files, NULL, &p, &t), "bert_trainer_create");
  /* params NULL: the defaults' max_length 128 exceeds this model's 64 positions. */
  expect_invalid(bert_trainer_create(g_model, g_tok, &d, NULL, NULL, &t), "bert_trainer_create");
  assert_ptr_equal(t, SENTINEL);
  /* train NULL (step_batch only) and eval NULL are allowed. */
  assert_int_equal(bert_trainer_create(g_model, g_tok, NULL, NULL, &p, &t), BERT_OK);
  assert_int_equal(bert_trainer_step(t, NULL, NULL, NULL), INVALID); /* no training data */
  bert_trainer_free(t);
  assert_int_equal(bert_trainer_create(g_model, g_tok, &d, &d, &p, &t), BERT_OK);

  bert_trainer_step_result sr;
  memset(&sr, 0, sizeof sr);
  sr.struct_size = sizeof sr;
  expect_invalid(bert_trainer_step(NULL, NULL, NULL, &sr), "bert_trainer_step");
  assert_int_equal(sr.step, 0);
  assert_int_equal(bert_trainer_step(t, NULL, NULL, NULL), BERT_OK); /* progress, user_data, out NULL */

  const int32_t batch[4] = {2, 100, 101, 3};
  expect_invalid(bert_trainer_step_batch(NULL, batch, NULL, NULL, 1, 4, &sr), "bert_trainer_step_batch");
  expect_invalid(bert_trainer_step_batch(t, NULL, NULL, NULL, 1, 4, &sr), "bert_trainer_step_batch");
  assert_int_equal(sr.step, 0);
  assert_int_equal(bert_trainer_step_batch(t, batch, NULL, NULL, 1, 4, NULL), BERT_OK);

  expect_invalid(bert_trainer_train(NULL, NULL, NULL), "bert_trainer_train");
  assert_int_equal(bert_trainer_train(t, NULL, NULL), BERT_OK);

  bert_trainer_eval_result er;
  memset(&er, 0, sizeof er);
  er.struct_size = sizeof er;
  expect_invalid(bert_trainer_evaluate(NULL, &er), "bert_trainer_evaluate");
  assert_true(er.loss == 0);
  assert_int_equal(bert_trainer_evaluate(t, NULL), BERT_OK);

  const char* path = SENTINEL;
  expect_invalid(bert_trainer_save_checkpoint(NULL, &path), "bert_trainer_save_checkpoint");
  assert_ptr_equal(path, SENTINEL);
  assert_int_equal(bert_trainer_save_checkpoint(t, NULL), BERT_OK);
  expect_invalid(bert_trainer_resume(NULL, NULL), "bert_trainer_resume");
  assert_int_equal(bert_trainer_resume(t, NULL), BERT_OK); /* NULL = the newest in output_dir */

  bert_trainer_info info;
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  expect_invalid(bert_trainer_get_info(NULL, &info), "bert_trainer_get_info");
  expect_invalid(bert_trainer_get_info(t, NULL), "bert_trainer_get_info");
  assert_null(info.best_checkpoint);
  bert_trainer_free(t);
  bert_trainer_free(NULL);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--list") == 0) {
    for (size_t i = 0; i < sizeof kCovered / sizeof kCovered[0]; ++i) printf("%s\n", kCovered[i]);
    return 0;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_and_versions), cmocka_unit_test(test_tokenizer), cmocka_unit_test(test_model),
      cmocka_unit_test(test_fill_mask), cmocka_unit_test(test_classify),           cmocka_unit_test(test_trainer),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
