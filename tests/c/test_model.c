/* ABI: bert_model_* (create, load, save, config, num_parameters, free) and their failure modes. */
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

#include "bertc.h"

#define MODEL_FIXTURES BERTC_FIXTURES_DIR "/model"

static bert_model_params tiny_params(void) {
  bert_model_params p;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&p), BERT_OK);
  p.vocab_size = 60;
  p.hidden_size = 16;
  p.num_hidden_layers = 2;
  p.num_attention_heads = 2;
  p.intermediate_size = 32;
  p.max_position_embeddings = 24;
  p.seed = 7;
  return p;
}

static void make_temp_dir(char* buf, size_t n, const char* tag) {
  snprintf(buf, n, "/tmp/bertc_c_model_%s_%d", tag, (int)getpid());
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", buf);
  assert_int_equal(system(cmd), 0);
}

static void remove_tree(const char* path) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  assert_int_equal(system(cmd), 0);
}

static void write_file(const char* path, const void* data, size_t n) {
  FILE* f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
}

static void test_defaults_are_bert_base(void** state) {
  (void)state;
  bert_model_params p;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&p), BERT_OK);
  assert_int_equal(p.struct_size, sizeof p);
  assert_int_equal(p.vocab_size, 30522);
  assert_int_equal(p.hidden_size, 768);
  assert_int_equal(p.num_hidden_layers, 12);
  assert_string_equal(p.hidden_act, "gelu");
  assert_string_equal(p.position_embedding_type, "absolute");
}

static void test_create_config_count_free(void** state) {
  (void)state;
  bert_model_params p = tiny_params();
  bert_model* m = NULL;
  assert_int_equal(bert_model_create(&p, &m), BERT_OK);
  assert_non_null(m);
  bert_model_params back;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&back), BERT_OK);
  assert_int_equal(bert_model_config(m, &back), BERT_OK);
  assert_int_equal(back.struct_size, sizeof back);
  assert_int_equal(back.vocab_size, 60);
  assert_int_equal(back.hidden_size, 16);
  assert_int_equal(back.num_attention_heads, 2);
  assert_int_equal(back.max_position_embeddings, 24);
  assert_string_equal(back.hidden_act, "gelu");
  assert_int_equal(back.seed, 7); /* the seed it was created with (0 for a loaded model) */
  uint64_t n = 0;
  assert_int_equal(bert_model_num_parameters(m, &n), BERT_OK);
  /* embeddings (60+24+2)*16 + 2*16; 2 layers; head 60 + 16*16+16 + 2*16 */
  const uint64_t h = 16, i = 32;
  const uint64_t layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
  assert_int_equal(n, (60 + 24 + 2) * h + 2 * h + 2 * layer + 60 + h * h + h + 2 * h);
  bert_model_free(m);
  bert_model_free(NULL);
}

static void test_config_respects_old_struct_size(void** state) {
  (void)state;
  bert_model* m = NULL;
  bert_model_params p = tiny_params();
  assert_int_equal(bert_model_create(&p, &m), BERT_OK);
  /* The library writes exactly struct_size bytes: the bytes after the caller's struct stay as they were
   * (tests/abi_growth checks the same against a library whose struct really grew). */
  unsigned char buf[sizeof(bert_model_params) + 16];
  memset(buf, 0xAB, sizeof buf);
  bert_model_params* out = (bert_model_params*)(void*)buf;
  out->struct_size = sizeof(bert_model_params);
  assert_int_equal(bert_model_config(m, out), BERT_OK);
  assert_int_equal(out->vocab_size, 60);
  for (size_t i = sizeof(bert_model_params); i < sizeof buf; ++i) assert_int_equal(buf[i], 0xAB);
  bert_model_params small;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&small), BERT_OK);
  small.struct_size = offsetof(bert_model_params, hidden_size); /* smaller than ABI 1.0's: refused */
  assert_int_equal(bert_model_config(m, &small), BERT_ERR_INVALID_ARGUMENT);
  small.struct_size = 0;
  assert_int_equal(bert_model_config(m, &small), BERT_ERR_INVALID_ARGUMENT);
  small.struct_size = sizeof small + 8; /* a newer header's */
  assert_int_equal(bert_model_config(m, &small), BERT_ERR_UNSUPPORTED);
  assert_non_null(strstr(bert_last_error(), "newer bertc.h"));
  bert_model_free(m);
}

static void test_null_arguments(void** state) {
  (void)state;
  bert_model* m = NULL;
  uint64_t n;
  bert_model_params p = tiny_params();
  assert_int_equal(bert_model_create(&p, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "out_model"));
  assert_int_equal(bert_model_load(NULL, &m), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_model_load(MODEL_FIXTURES "/tiny_mlm", NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_model_save(NULL, "/tmp/x"), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_model_config(NULL, &p), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_model_num_parameters(NULL, &n), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_model_create(&p, &m), BERT_OK);
  assert_int_equal(bert_model_save(m, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_model_save(m, ""), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_model_config(m, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_model_num_parameters(m, NULL), BERT_ERR_INVALID_ARGUMENT);
  p.hidden_act = NULL;
  bert_model* m2 = (bert_model*)0x1;
  assert_int_equal(bert_model_create(&p, &m2), BERT_ERR_INVALID_ARGUMENT);
  assert_ptr_equal(m2, (bert_model*)0x1); /* out-parameter untouched on failure */
  bert_model_free(m);
}

static void expect_create_fails(bert_model_params p, bert_status want, const char* needle) {
  bert_model* m = NULL;
  assert_int_equal(bert_model_create(&p, &m), want);
  assert_null(m);
  assert_non_null(strstr(bert_last_error(), needle));
}

static void test_bad_configs(void** state) {
  (void)state;
  bert_model_params p = tiny_params();
  p.num_attention_heads = 3;
  expect_create_fails(p, BERT_ERR_INVALID_ARGUMENT, "not a multiple of num_attention_heads");
  p = tiny_params();
  p.vocab_size = 0;
  expect_create_fails(p, BERT_ERR_INVALID_ARGUMENT, "vocab_size must be > 0");
  p = tiny_params();
  p.num_hidden_layers = -2;
  expect_create_fails(p, BERT_ERR_INVALID_ARGUMENT, "num_hidden_layers");
  p = tiny_params();
  p.hidden_act = "mish";
  expect_create_fails(p, BERT_ERR_INVALID_ARGUMENT, "mish");
  p = tiny_params();
  p.hidden_dropout_prob = 1.0;
  expect_create_fails(p, BERT_ERR_INVALID_ARGUMENT, "hidden_dropout_prob");
  p = tiny_params();
  p.pad_token_id = 60;
  expect_create_fails(p, BERT_ERR_INVALID_ARGUMENT, "pad_token_id");
  p = tiny_params();
  p.position_embedding_type = "relative_key";
  expect_create_fails(p, BERT_ERR_UNSUPPORTED, "relative_key");
  p = tiny_params();
  p.struct_size = sizeof p + 8;
  expect_create_fails(p, BERT_ERR_UNSUPPORTED, "newer");
}

static void test_load_hf_model_and_variants(void** state) {
  (void)state;
  const char* dirs[] = {MODEL_FIXTURES "/tiny_mlm", MODEL_FIXTURES "/tiny_mlm_f16", MODEL_FIXTURES "/tiny_mlm_bf16",
                        MODEL_FIXTURES "/tiny_mlm_gelu_new"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; ++i) {
    bert_model* m = NULL;
    assert_int_equal(bert_model_load(dirs[i], &m), BERT_OK);
    assert_string_equal(bert_last_error(), ""); /* no warning */
    bert_model_params c;
    assert_int_equal(BERT_MODEL_PARAMS_INIT(&c), BERT_OK);
    assert_int_equal(bert_model_config(m, &c), BERT_OK);
    assert_int_equal(c.vocab_size, 1000);
    assert_int_equal(c.hidden_size, 32);
    assert_int_equal(c.seed, 0); /* config.json records no seed */
    bert_model_free(m);
  }
}

static void test_load_bertmodel_only_warns(void** state) {
  (void)state;
  bert_model* m = NULL;
  assert_int_equal(bert_model_load(MODEL_FIXTURES "/tiny_bertmodel", &m), BERT_OK);
  assert_non_null(m);
  assert_non_null(strstr(bert_last_error(), "warning"));
  assert_non_null(strstr(bert_last_error(), "no MLM head"));
  bert_model_free(m);
}

static void test_save_and_reload(void** state) {
  (void)state;
  char dir[256];
  make_temp_dir(dir, sizeof dir, "save");
  bert_model* m = NULL;
  bert_model_params p = tiny_params();
  assert_int_equal(bert_model_create(&p, &m), BERT_OK);
  char sub[300];
  snprintf(sub, sizeof sub, "%s/a/b", dir); /* missing parents are created */
  assert_int_equal(bert_model_save(m, sub), BERT_OK);
  bert_model* back = NULL;
  assert_int_equal(bert_model_load(sub, &back), BERT_OK);
  bert_model_params c;
  assert_int_equal(BERT_MODEL_PARAMS_INIT(&c), BERT_OK);
  assert_int_equal(bert_model_config(back, &c), BERT_OK);
  assert_int_equal(c.vocab_size, 60);
  assert_int_equal(c.intermediate_size, 32);
  uint64_t n1 = 0, n2 = 0;
  bert_model_num_parameters(m, &n1);
  bert_model_num_parameters(back, &n2);
  assert_int_equal(n1, n2);
  /* Saving over a regular file fails with BERT_ERR_IO and leaves the file alone. */
  char file[300];
  snprintf(file, sizeof file, "%s/a/b/config.json", dir);
  assert_int_equal(bert_model_save(m, file), BERT_ERR_IO);
  bert_model* again = NULL;
  assert_int_equal(bert_model_load(sub, &again), BERT_OK);
  bert_model_free(again);
  bert_model_free(back);
  bert_model_free(m);
  remove_tree(dir);
}

static void expect_load_fails(const char* dir, bert_status want, const char* needle) {
  bert_model* m = NULL;
  assert_int_equal(bert_model_load(dir, &m), want);
  assert_null(m);
  if (strstr(bert_last_error(), needle) == NULL) fail_msg("'%s' not in '%s'", needle, bert_last_error());
}

static char* read_whole(const char* path, size_t* n) {
  FILE* f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char* buf = malloc(*n);
  assert_int_equal(fread(buf, 1, *n, f), *n);
  fclose(f);
  return buf;
}

/* Copies tiny_mlm's config.json into `dir` and writes `weights` as model.safetensors. */
static void make_model_dir(const char* dir, const void* weights, size_t n) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/tiny_mlm/config.json' '%s/'", dir, MODEL_FIXTURES, dir);
  assert_int_equal(system(cmd), 0);
  char path[400];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  write_file(path, weights, n);
}

/* Builds a safetensors image with the given header JSON and `data_len` zero bytes. */
static char* image(const char* header, uint64_t header_len_field, size_t data_len, size_t* n) {
  const size_t h = strlen(header);
  *n = 8 + h + data_len;
  char* buf = calloc(1, *n);
  memcpy(buf, &header_len_field, 8);
  memcpy(buf + 8, header, h);
  return buf;
}

static void test_load_bad_files(void** state) {
  (void)state;
  char dir[256];
  make_temp_dir(dir, sizeof dir, "bad");
  expect_load_fails("/nonexistent/bertc/model", BERT_ERR_IO, "does not exist");

  /* Truncated real file. */
  size_t n = 0;
  char* good = read_whole(MODEL_FIXTURES "/tiny_mlm/model.safetensors", &n);
  make_model_dir(dir, good, n - 1000);
  expect_load_fails(dir, BERT_ERR_FORMAT, "");
  /* Header length beyond the file. */
  uint64_t huge = (uint64_t)n * 4;
  memcpy(good, &huge, 8);
  make_model_dir(dir, good, n);
  expect_load_fails(dir, BERT_ERR_FORMAT, "past the end");
  free(good);

  /* Overlapping offsets / wrong dtype / shape mismatch / missing tensors, in small images. */
  size_t m = 0;
  char* img = image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                    strlen("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                           "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}"),
                    12, &m);
  make_model_dir(dir, img, m);
  expect_load_fails(dir, BERT_ERR_FORMAT, "overlaps");
  free(img);
  const char* wrong_dtype = "{\"bert.embeddings.word_embeddings.weight\":{\"dtype\":\"I32\",\"shape\":[1000,32],"
                            "\"data_offsets\":[0,128000]}}";
  img = image(wrong_dtype, strlen(wrong_dtype), 128000, &m);
  make_model_dir(dir, img, m);
  expect_load_fails(dir, BERT_ERR_FORMAT, "dtype I32");
  free(img);
  const char* wrong_shape = "{\"bert.embeddings.word_embeddings.weight\":{\"dtype\":\"F32\",\"shape\":[999,32],"
                            "\"data_offsets\":[0,127872]}}";
  img = image(wrong_shape, strlen(wrong_shape), 127872, &m);
  make_model_dir(dir, img, m);
  expect_load_fails(dir, BERT_ERR_FORMAT, "shape");
  free(img);
  const char* missing = "{\"bert.embeddings.word_embeddings.weight\":{\"dtype\":\"F32\",\"shape\":[1000,32],"
                        "\"data_offsets\":[0,128000]}}";
  img = image(missing, strlen(missing), 128000, &m);
  make_model_dir(dir, img, m);
  expect_load_fails(dir, BERT_ERR_FORMAT, "missing tensors");
  free(img);
  make_model_dir(dir, "abc", 3);
  expect_load_fails(dir, BERT_ERR_FORMAT, "too short");

  /* Bad config.json next to good weights. */
  good = read_whole(MODEL_FIXTURES "/tiny_mlm/model.safetensors", &n);
  make_model_dir(dir, good, n);
  free(good);
  char cfg[400];
  snprintf(cfg, sizeof cfg, "%s/config.json", dir);
  write_file(cfg, "{\"hidden_size\": 32, \"num_attention_heads\": 5}", 45);
  expect_load_fails(dir, BERT_ERR_FORMAT, "num_attention_heads");
  write_file(cfg, "{not json", 9);
  expect_load_fails(dir, BERT_ERR_FORMAT, "JSON");
  unlink(cfg);
  expect_load_fails(dir, BERT_ERR_IO, "config.json");
  remove_tree(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults_are_bert_base),     cmocka_unit_test(test_create_config_count_free),
      cmocka_unit_test(test_config_respects_old_struct_size), cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_bad_configs),                cmocka_unit_test(test_load_hf_model_and_variants),
      cmocka_unit_test(test_load_bertmodel_only_warns),  cmocka_unit_test(test_save_and_reload),
      cmocka_unit_test(test_load_bad_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
