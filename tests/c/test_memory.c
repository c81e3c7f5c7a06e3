/* Loading from memory (engines keep assets in their own archives): tokenizers from tokenizer.json /
 * vocab.txt bytes, models from config.json + safetensors bytes (copied or borrowed zero-copy), and
 * saving a tokenizer to a buffer. Same results and statuses as the file paths. */
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
#define BASE_TOKENIZER BERTC_FIXTURES_DIR "/tokenizer/bert_base_uncased"

static const char* const kTexts[] = {"The quick brown fox jumped over the lazy dog.", "Héllo, WORLD! don't stop",
                                     "a [MASK] of the house", "unaffable tokenization"};
enum { kNumTexts = sizeof kTexts / sizeof kTexts[0] };

/* Reads a whole file into a malloc'ed buffer (8-byte aligned, as malloc guarantees). */
static char* read_all(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  const long n = ftell(f);
  assert_true(n >= 0);
  rewind(f);
  char* buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  *size = (size_t)n;
  return buf;
}

/* Both tokenizers give the same ids for every test text. */
static void assert_same_encoding(const bert_tokenizer* a, const bert_tokenizer* b) {
  assert_int_equal(bert_tokenizer_vocab_size(a), bert_tokenizer_vocab_size(b));
  for (size_t i = 0; i < kNumTexts; ++i) {
    bert_encoding* ea = NULL;
    bert_encoding* eb = NULL;
    assert_int_equal(bert_tokenizer_encode(a, kTexts[i], strlen(kTexts[i]), NULL, 0, NULL, &ea), BERT_OK);
    assert_int_equal(bert_tokenizer_encode(b, kTexts[i], strlen(kTexts[i]), NULL, 0, NULL, &eb), BERT_OK);
    assert_int_equal(bert_encoding_length(ea, 0), bert_encoding_length(eb, 0));
    assert_memory_equal(bert_encoding_ids(ea, 0), bert_encoding_ids(eb, 0), bert_encoding_length(ea, 0) * 4);
    bert_encoding_free(ea);
    bert_encoding_free(eb);
  }
}

static void test_tokenizer_json_and_vocab_from_memory(void** state) {
  (void)state;
  bert_tokenizer* from_file = NULL;
  assert_int_equal(bert_tokenizer_load(BASE_TOKENIZER, &from_file), BERT_OK);
  size_t json_size = 0, vocab_size = 0, config_size = 0;
  char* json = read_all(BASE_TOKENIZER "/tokenizer.json", &json_size);
  char* vocab = read_all(BASE_TOKENIZER "/vocab.txt", &vocab_size);

  bert_tokenizer* t = NULL;
  assert_int_equal(bert_tokenizer_load_from_memory(json, json_size, NULL, 0, &t), BERT_OK);
  assert_same_encoding(from_file, t);
  bert_tokenizer_free(t);
  t = NULL;
  assert_int_equal(bert_tokenizer_load_from_memory(vocab, vocab_size, NULL, 0, &t), BERT_OK); /* lowercase default */
  assert_same_encoding(from_file, t);
  bert_tokenizer_free(t);

  /* vocab.txt + tokenizer_config.json, as a directory holds them. */
  bert_tokenizer* tiny = NULL;
  assert_int_equal(bert_tokenizer_load(TINY, &tiny), BERT_OK);
  size_t tiny_vocab_size = 0;
  char* tiny_vocab = read_all(TINY "/vocab.txt", &tiny_vocab_size);
  char* config = read_all(TINY "/tokenizer_config.json", &config_size);
  t = NULL;
  assert_int_equal(bert_tokenizer_load_from_memory(tiny_vocab, tiny_vocab_size, config, config_size, &t), BERT_OK);
  assert_same_encoding(tiny, t);
  bert_tokenizer_free(t);
  bert_tokenizer_free(tiny);
  free(tiny_vocab);

  /* The buffer is not retained: overwrite it after loading. */
  t = NULL;
  assert_int_equal(bert_tokenizer_load_from_memory(json, json_size, NULL, 0, &t), BERT_OK);
  memset(json, 'x', json_size);
  assert_same_encoding(from_file, t);
  bert_tokenizer_free(t);

  free(json);
  free(vocab);
  free(config);
  bert_tokenizer_free(from_file);
}

static void test_tokenizer_save_to_memory_round_trip(void** state) {
  (void)state;
  bert_tokenizer* tok = NULL;
  assert_int_equal(bert_tokenizer_load(TINY, &tok), BERT_OK);
  const bert_tokenizer_file kinds[] = {BERT_TOKENIZER_FILE_JSON, BERT_TOKENIZER_FILE_VOCAB, BERT_TOKENIZER_FILE_CONFIG};
  char* data[3] = {NULL, NULL, NULL};
  size_t sizes[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    assert_int_equal(bert_tokenizer_save_to_memory(tok, kinds[k], &data[k], &sizes[k]), BERT_OK);
    assert_true(sizes[k] > 0);
    assert_int_equal(strlen(data[k]), sizes[k]);
  }
  assert_int_equal(data[0][0], '{');
  assert_non_null(strstr(data[2], "do_lower_case"));
  /* Exactly the bytes bert_tokenizer_save writes. */
  char dir[128];
  snprintf(dir, sizeof dir, "/tmp/bertc_c_memory_%d", (int)getpid());
  assert_int_equal(bert_tokenizer_save(tok, dir), BERT_OK);
  char path[200];
  size_t n = 0;
  snprintf(path, sizeof path, "%s/tokenizer.json", dir);
  char* on_disk = read_all(path, &n);
  assert_int_equal(n, sizes[0]);
  assert_memory_equal(on_disk, data[0], n);
  free(on_disk);
  snprintf(path, sizeof path, "%s/vocab.txt", dir);
  on_disk = read_all(path, &n);
  assert_int_equal(n, sizes[1]);
  assert_memory_equal(on_disk, data[1], n);
  free(on_disk);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);

  /* Both forms load back to the same tokenizer. */
  bert_tokenizer* back = NULL;
  assert_int_equal(bert_tokenizer_load_from_memory(data[0], sizes[0], NULL, 0, &back), BERT_OK);
  assert_same_encoding(tok, back);
  bert_tokenizer_free(back);
  back = NULL;
  assert_int_equal(bert_tokenizer_load_from_memory(data[1], sizes[1], data[2], sizes[2], &back), BERT_OK);
  assert_same_encoding(tok, back);
  bert_tokenizer_free(back);

  char* out = (char*)&n;
  assert_int_equal(bert_tokenizer_save_to_memory(tok, 7, &out, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_ptr_equal(out, (char*)&n);
  for (int k = 0; k < 3; ++k) bert_string_free(data[k]);
  bert_tokenizer_free(tok);
}

static void test_tokenizer_bad_memory(void** state) {
  (void)state;
  bert_tokenizer* t = NULL;
  static const char not_json[] = "{\"version\": \"1.0\", \"model\": ";
  assert_int_equal(bert_tokenizer_load_from_memory(not_json, strlen(not_json), NULL, 0, &t), BERT_ERR_FORMAT);
  assert_non_null(strstr(bert_last_error(), "bert_tokenizer_load_from_memory"));
  static const char no_unk[] = "[PAD]\n[CLS]\n[SEP]\nhello\n";
  assert_int_equal(bert_tokenizer_load_from_memory(no_unk, strlen(no_unk), NULL, 0, &t), BERT_ERR_FORMAT);
  static const char bad_utf8[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n\xff\xfe\n";
  assert_int_equal(bert_tokenizer_load_from_memory(bad_utf8, strlen(bad_utf8), NULL, 0, &t), BERT_ERR_FORMAT);
  static const char ok_vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n";
  static const char bad_config[] = "{\"do_lower_case\": ";
  assert_int_equal(bert_tokenizer_load_from_memory(ok_vocab, strlen(ok_vocab), bad_config, strlen(bad_config), &t),
                   BERT_ERR_FORMAT);
  assert_int_equal(bert_tokenizer_load_from_memory(ok_vocab, 0, NULL, 0, &t), BERT_ERR_FORMAT); /* empty */
  assert_null(t);
  /* Not NUL-terminated: the length is what counts. */
  char unterminated[sizeof ok_vocab];
  memcpy(unterminated, ok_vocab, sizeof ok_vocab);
  unterminated[sizeof ok_vocab - 1] = 'z';
  assert_int_equal(bert_tokenizer_load_from_memory(unterminated, sizeof ok_vocab - 1, NULL, 0, &t), BERT_OK);
  assert_int_equal(bert_tokenizer_vocab_size(t), 6);
  bert_tokenizer_free(t);
}

static double first_score(const bert_model* m, const bert_tokenizer* tok) {
  const char* q = "a [MASK] of the house";
  bert_fill_mask_result* r = NULL;
  assert_int_equal(bert_fill_mask(m, tok, q, strlen(q), NULL, &r), BERT_OK);
  bert_fill_mask_prediction p = {.struct_size = sizeof p};
  assert_int_equal(bert_fill_mask_result_get(r, 0, 0, 0, &p), BERT_OK);
  const double s = p.score;
  bert_fill_mask_result_free(r);
  return s;
}

static void test_model_from_memory_copy_and_borrow(void** state) {
  (void)state;
  bert_tokenizer* tok = NULL;
  assert_int_equal(bert_tokenizer_load(TINY, &tok), BERT_OK);
  bert_model* from_file = NULL;
  assert_int_equal(bert_model_load(TINY, &from_file), BERT_OK);
  const double want = first_score(from_file, tok);
  size_t config_size = 0, weights_size = 0;
  char* config = read_all(TINY "/config.json", &config_size);
  char* weights = read_all(TINY "/model.safetensors", &weights_size);

  /* Copied: the buffers may go away right after. */
  bert_model* copied = NULL;
  assert_int_equal(bert_model_load_from_memory(config, config_size, weights, weights_size, 0, &copied), BERT_OK);
  char* scratch = malloc(weights_size);
  assert_non_null(scratch);
  memcpy(scratch, weights, weights_size);
  bert_model* borrowed = NULL;
  assert_int_equal(
      bert_model_load_from_memory(config, config_size, scratch, weights_size, BERT_MODEL_LOAD_BORROW, &borrowed),
      BERT_OK);
  assert_true(first_score(copied, tok) == want);
  assert_true(first_score(borrowed, tok) == want);
  memset(weights, 0, weights_size); /* the copied model does not care */
  assert_true(first_score(copied, tok) == want);

  /* The borrowing model really reads the caller's buffer (zero-copy): changing it changes the model. */
  char* changed = malloc(weights_size);
  assert_non_null(changed);
  memcpy(changed, scratch, weights_size);
  uint64_t header = 0;
  memcpy(&header, scratch, 8);
  for (size_t i = 8 + (size_t)header; i + 4 <= weights_size; i += 4) {
    float f;
    memcpy(&f, scratch + i, 4);
    f *= 0.5f;
    memcpy(scratch + i, &f, 4);
  }
  assert_true(first_score(borrowed, tok) != want);
  memcpy(scratch, changed, weights_size);
  assert_true(first_score(borrowed, tok) == want);

  /* Training a borrowing model trains a copy: the caller's (read-only) buffer is never written. */
  bert_trainer_params tp;
  assert_int_equal(BERT_TRAINER_PARAMS_INIT(&tp), BERT_OK);
  tp.max_length = 16;
  tp.batch_size = 2;
  tp.eval_split = 0;
  tp.save_final_model = 0;
  tp.learning_rate = 1e-2;
  tp.threads = 1;
  static const int32_t ids[] = {10, 11, 12, 13, 14, 15, 16, 17};
  static const size_t offsets[] = {0, 4, 8};
  bert_trainer_data d;
  assert_int_equal(BERT_TRAINER_DATA_INIT(&d), BERT_OK);
  d.token_ids = ids;
  d.offsets = offsets;
  d.num_sequences = 2;
  bert_trainer* trainer = NULL;
  assert_int_equal(bert_trainer_create(borrowed, tok, &d, NULL, &tp, &trainer), BERT_OK);
  for (int i = 0; i < 3; ++i) assert_int_equal(bert_trainer_step(trainer, NULL, NULL, NULL), BERT_OK);
  bert_trainer_free(trainer);
  assert_memory_equal(scratch, changed, weights_size);
  assert_true(first_score(borrowed, tok) != want); /* the model itself did learn */

  bert_model_free(borrowed);
  free(scratch);
  free(changed);
  bert_model_free(copied);
  bert_model_free(from_file);
  free(config);
  free(weights);
  bert_tokenizer_free(tok);
}

static void test_model_bad_memory(void** state) {
  (void)state;
  size_t config_size = 0, weights_size = 0;
  char* config = read_all(TINY "/config.json", &config_size);
  char* weights = read_all(TINY "/model.safetensors", &weights_size);
  bert_model* m = NULL;
  const unsigned flags[2] = {0, BERT_MODEL_LOAD_BORROW};
  for (int f = 0; f < 2; ++f) {
    /* Truncated weights, empty weights, a torn header, corrupt config: format errors, never a crash. */
    assert_int_equal(bert_model_load_from_memory(config, config_size, weights, weights_size - 1, flags[f], &m),
                     BERT_ERR_FORMAT);
    assert_int_equal(bert_model_load_from_memory(config, config_size, weights, 0, flags[f], &m), BERT_ERR_FORMAT);
    assert_int_equal(bert_model_load_from_memory(config, config_size, weights, 7, flags[f], &m), BERT_ERR_FORMAT);
    assert_int_equal(bert_model_load_from_memory(config, config_size - 2, weights, weights_size, flags[f], &m),
                     BERT_ERR_FORMAT);
    assert_int_equal(bert_model_load_from_memory(config, 0, weights, weights_size, flags[f], &m), BERT_ERR_FORMAT);
    static const char wrong_shape[] = "{\"vocab_size\": 61, \"hidden_size\": 16, \"num_hidden_layers\": 2, "
                                      "\"num_attention_heads\": 2, \"intermediate_size\": 32, "
                                      "\"max_position_embeddings\": 24}";
    assert_int_equal(
        bert_model_load_from_memory(wrong_shape, strlen(wrong_shape), weights, weights_size, flags[f], &m),
        BERT_ERR_FORMAT);
    assert_non_null(strstr(bert_last_error(), "shape"));
  }
  assert_null(m);
  assert_int_equal(bert_model_load_from_memory(config, config_size, weights, weights_size, 4u, &m),
                   BERT_ERR_INVALID_ARGUMENT);
  assert_null(m);
  /* An unaligned borrowed buffer still loads (those tensors are copied). */
  char* odd = malloc(weights_size + 1);
  assert_non_null(odd);
  memcpy(odd + 1, weights, weights_size);
  assert_int_equal(
      bert_model_load_from_memory(config, config_size, odd + 1, weights_size, BERT_MODEL_LOAD_BORROW, &m), BERT_OK);
  bert_model_free(m);
  free(odd);
  free(config);
  free(weights);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tokenizer_json_and_vocab_from_memory),
      cmocka_unit_test(test_tokenizer_save_to_memory_round_trip),
      cmocka_unit_test(test_tokenizer_bad_memory),
      cmocka_unit_test(test_model_from_memory_copy_and_borrow),
      cmocka_unit_test(test_model_bad_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
