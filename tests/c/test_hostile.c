/* Hostile input: the cases a fuzzing trial found (issue 13), each at a size that took minutes or
 * gigabytes before the fix, run in a child process with a memory cap and a time alarm so that a
 * regression fails (signal / out of memory) instead of hanging the machine; plus the host limits
 * of bert_set_limits(). Timings are never asserted: the alarm is only a hang guard. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bertc.h"

#define TINY BERTC_FIXTURES_DIR "/model/tiny_mlm"
#define BASE BERTC_FIXTURES_DIR "/tokenizer/bert_base_uncased"

#if defined(__SANITIZE_ADDRESS__)
#define BERTC_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BERTC_TEST_ASAN 1
#endif
#endif

/* Runs fn in a child with at most `extra_mb` MiB of address space beyond what it has now and a 120 s
 * alarm; returns fn's result (0 = pass) or 100 + signal. */
static int run_bounded(int (*fn)(void), long extra_mb) {
  fflush(NULL);
  const pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
#ifndef BERTC_TEST_ASAN /* ASan reserves terabytes of address space: no cap there */
    FILE* f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f != NULL) {
      if (fscanf(f, "%lu", &pages) != 1) pages = 0;
      fclose(f);
    }
    const rlim_t cap = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (rlim_t)extra_mb * 1024 * 1024;
    struct rlimit rl = {cap, cap};
    setrlimit(RLIMIT_AS, &rl);
#else
    (void)extra_mb;
#endif
    alarm(120);
    _exit(fn());
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status)) return 100 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

static char* repeat(const char* unit, size_t times) {
  const size_t n = strlen(unit);
  char* s = malloc(n * times + 1);
  if (s == NULL) return NULL;
  for (size_t i = 0; i < times; ++i) memcpy(s + i * n, unit, n);
  s[n * times] = '\0';
  return s;
}

/* 3. 800 KB of combining marks (two classes, so they must be reordered): was 44.6 s (quadratic). */
static int combining_marks(void) {
  bert_tokenizer* tok = NULL;
  if (bert_tokenizer_load(BASE, &tok) != BERT_OK) return 1;
  char* text = repeat("\xcc\x81\xcc\x96", 200000); /* U+0301 (ccc 230), U+0316 (ccc 220) */
  bert_encoding* enc = NULL;
  const bert_status st = bert_tokenizer_encode(tok, text, strlen(text), NULL, 0, NULL, &enc);
  const int ok = st == BERT_OK && bert_encoding_length(enc, 0) >= 2;
  bert_encoding_free(enc);
  free(text);
  bert_tokenizer_free(tok);
  return ok ? 0 : 2;
}

/* 4. vocab {a, ##a, one 40 KB token}: the WordPiece failure pops exhausted 8 GB. */
static int long_token_vocab(void) {
  char* long_token = repeat("a", 40000);
  const size_t n = strlen(long_token) + 64;
  char* vocab = malloc(n);
  snprintf(vocab, n, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n##a\n%sb\n", long_token);
  bert_tokenizer* tok = NULL;
  bert_status st = bert_tokenizer_load_from_memory(vocab, strlen(vocab), NULL, 0, &tok);
  int ok = st == BERT_OK;
  if (ok) {
    bert_encoding* enc = NULL;
    st = bert_tokenizer_encode(tok, long_token, 90, NULL, 0, NULL, &enc); /* 90 x "a" */
    ok = st == BERT_OK && bert_encoding_length(enc, 0) == 92;           /* [CLS] a ##a*89 [SEP] */
    bert_encoding_free(enc);
  }
  bert_tokenizer_free(tok);
  free(vocab);
  free(long_token);
  return ok ? 0 : 2;
}

/* 5. A 3000-word pair truncated to 5 tokens, overflow not requested: exhausted 8 GB. */
static int pair_truncation(void) {
  bert_tokenizer* tok = NULL;
  if (bert_tokenizer_load(BASE, &tok) != BERT_OK) return 1;
  char* a = repeat("house ", 3000);
  char* b = repeat("state ", 3000);
  bert_encode_params p;
  BERT_ENCODE_PARAMS_INIT(&p);
  p.truncation = BERT_TRUNCATION_LONGEST_FIRST;
  p.max_length = 5;
  bert_encoding* enc = NULL;
  const bert_status st = bert_tokenizer_encode(tok, a, strlen(a), b, strlen(b), &p, &enc);
  const int ok = st == BERT_OK && bert_encoding_count(enc) == 1 && bert_encoding_length(enc, 0) == 5;
  bert_encoding_free(enc);
  free(a);
  free(b);
  bert_tokenizer_free(tok);
  return ok ? 0 : 2;
}

/* 6. A 5 KB added token that almost matches everywhere in 400 KB of text: was 11 s per 200 KB. */
static int long_added_token(void) {
  char* token = repeat("a", 5000);
  const size_t n = strlen(token) + 512;
  char* json = malloc(n);
  snprintf(json, n,
           "{\"added_tokens\":[{\"id\":6,\"content\":\"%sb\",\"special\":true}],"
           "\"normalizer\":{\"type\":\"BertNormalizer\"},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
           "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":\"WordPiece\",\"vocab\":"
           "{\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3,\"[MASK]\":4,\"a\":5}}}",
           token);
  bert_tokenizer* tok = NULL;
  int ok = bert_tokenizer_load_from_memory(json, strlen(json), NULL, 0, &tok) == BERT_OK;
  char* text = repeat("a", 400000);
  if (ok) {
    memcpy(text + 100000, token, 5000); /* one real match in the middle */
    text[105000] = 'b';
    bert_encoding* enc = NULL;
    ok = bert_tokenizer_encode(tok, text, strlen(text), NULL, 0, NULL, &enc) == BERT_OK;
    int found = 0;
    for (size_t i = 0; ok && i < bert_encoding_length(enc, 0); ++i) found += bert_encoding_ids(enc, 0)[i] == 6;
    ok = ok && found == 1;
    bert_encoding_free(enc);
  }
  free(text);
  free(json);
  free(token);
  bert_tokenizer_free(tok);
  return ok ? 0 : 2;
}

/* 7. A config.json with num_hidden_layers 2^24 next to a small weights file: ran 72 s to 7.4 GB, and
 * crashed under an address-space limit. Now refused before anything is allocated. */
static int huge_config(void) {
  static char dir[128];
  snprintf(dir, sizeof dir, "/tmp/bertc_c_hostile_%d", (int)getpid());
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && cp %s/model.safetensors %s/ && "
                            "sed 's/\"num_hidden_layers\": *[0-9]*/\"num_hidden_layers\": 16777216/' %s/config.json "
                            "> %s/config.json",
           dir, dir, TINY, dir, TINY, dir);
  if (system(cmd) != 0) return 1;
  bert_model* m = NULL;
  const bert_status st = bert_model_load(dir, &m);
  const int ok = st == BERT_ERR_FORMAT && strstr(bert_last_error(), "num_hidden_layers") != NULL && m == NULL;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) return 1;
  /* A model too large for the memory: a status, not a crash. */
  bert_model_params p;
  BERT_MODEL_PARAMS_INIT(&p);
  p.vocab_size = 1u << 24;
  p.hidden_size = 8192;
  p.num_attention_heads = 16;
  const bert_status big = bert_model_create(&p, &m);
  return ok && big == BERT_ERR_OUT_OF_MEMORY ? 0 : 2;
}

static void test_quadratic_cases_are_linear(void** state) {
  (void)state;
  assert_int_equal(run_bounded(combining_marks, 600), 0);
  assert_int_equal(run_bounded(long_token_vocab, 600), 0);
  assert_int_equal(run_bounded(pair_truncation, 600), 0);
  assert_int_equal(run_bounded(long_added_token, 600), 0);
  assert_int_equal(run_bounded(huge_config, 600), 0);
}

static void expect_format(const char* json, const char* field) {
  bert_tokenizer* tok = NULL;
  assert_int_equal(bert_tokenizer_load_from_memory(json, strlen(json), NULL, 0, &tok), BERT_ERR_FORMAT);
  if (strstr(bert_last_error(), field) == NULL) fail_msg("'%s' not in '%s'", field, bert_last_error());
  assert_null(tok);
}

#define MINIMAL_MODEL(vocab_extra)                                                                       \
  "\"normalizer\":{\"type\":\"BertNormalizer\"},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"      \
  "\"decoder\":null,\"model\":{\"type\":\"WordPiece\"" vocab_extra ",\"vocab\":{\"[PAD]\":0,\"[UNK]\":1," \
  "\"[CLS]\":2,\"[SEP]\":3,\"[MASK]\":4,\"a\":5}}"

/* 1. Huge floats where integers belong: a clear format error naming the field (was UB). */
static void test_huge_numbers_in_tokenizer_json(void** state) {
  (void)state;
  expect_format("{\"added_tokens\":[{\"id\":1e30,\"content\":\"x\"}],\"post_processor\":null," MINIMAL_MODEL("") "}",
                "added token id");
  expect_format("{\"added_tokens\":[],\"post_processor\":null," MINIMAL_MODEL(",\"max_input_chars_per_word\":1e30") "}",
                "max_input_chars_per_word");
  expect_format("{\"added_tokens\":[{\"id\":-3000000000,\"content\":\"x\"}],\"post_processor\":null," MINIMAL_MODEL("")
                "}",
                "added token id");
  expect_format("{\"added_tokens\":[],\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":["
                "{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
                "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}],\"pair\":["
                "{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
                "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"B\",\"type_id\":1e30}},"
                "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":1}}]}," MINIMAL_MODEL("") "}",
                "type_id");
  expect_format("{\"added_tokens\":[],\"post_processor\":null,\"normalizer\":null,\"pre_tokenizer\":{\"type\":"
                "\"BertPreTokenizer\"},\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"[UNK]\":1e30}}}",
                "vocab id");
}

/* Encodes a few texts, returns a checksum of all ids (identical tokenizers give identical sums). */
static uint64_t fingerprint(const bert_tokenizer* tok) {
  static const char* const texts[] = {"a b c a", "the cat sat on a mat", "b a [UNK] c", "zzz a"};
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < 4; ++i) {
    bert_encoding* enc = NULL;
    assert_int_equal(bert_tokenizer_encode(tok, texts[i], strlen(texts[i]), NULL, 0, NULL, &enc), BERT_OK);
    for (size_t k = 0; k < bert_encoding_length(enc, 0); ++k) h = (h ^ (uint64_t)bert_encoding_ids(enc, 0)[k]) * 1099511628211ull;
    bert_encoding_free(enc);
  }
  h ^= bert_tokenizer_vocab_size(tok);
  for (int32_t id = 0; id < (int32_t)bert_tokenizer_vocab_size(tok); ++id) {
    const char* token = NULL;
    const bert_status st = bert_tokenizer_id_to_token(tok, id, &token, NULL);
    h = (h ^ (uint64_t)(st == BERT_OK ? (unsigned char)token[0] + 1000u * (uint64_t)strlen(token) : 7u)) * 1099511628211ull;
  }
  return h;
}

/* Loads, saves (directory, tokenizer.json, and vocab.txt when `vocab_txt` — a vocab.txt alone carries
 * no normalizer or post-processor settings) and reloads: always the same tokenizer. */
static void assert_round_trips(bert_tokenizer* tok, int vocab_txt) {
  const uint64_t want = fingerprint(tok);
  char dir[128];
  snprintf(dir, sizeof dir, "/tmp/bertc_c_dup_%d", (int)getpid());
  assert_int_equal(bert_tokenizer_save(tok, dir), BERT_OK);
  bert_tokenizer* back = NULL;
  assert_int_equal(bert_tokenizer_load(dir, &back), BERT_OK);
  assert_true(fingerprint(back) == want);
  bert_tokenizer_free(back);
  const bert_tokenizer_file kinds[2] = {BERT_TOKENIZER_FILE_JSON, BERT_TOKENIZER_FILE_VOCAB};
  for (int k = 0; k < (vocab_txt ? 2 : 1); ++k) {
    char* data = NULL;
    size_t n = 0;
    assert_int_equal(bert_tokenizer_save_to_memory(tok, kinds[k], &data, &n), BERT_OK);
    back = NULL;
    assert_int_equal(bert_tokenizer_load_from_memory(data, n, NULL, 0, &back), BERT_OK);
    assert_true(fingerprint(back) == want);
    /* ... and saving the reloaded one gives the same bytes. */
    char* again = NULL;
    size_t m = 0;
    assert_int_equal(bert_tokenizer_save_to_memory(back, kinds[k], &again, &m), BERT_OK);
    assert_int_equal(m, n);
    assert_memory_equal(again, data, n);
    bert_string_free(again);
    bert_string_free(data);
    bert_tokenizer_free(back);
  }
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

/* 2. Repeated vocabulary lines and added tokens repeating a vocabulary entry: as HF, a token keeps
 * its last id and the earlier id is a hole; whatever is saved loads back identically. */
static void test_duplicates_round_trip(void** state) {
  (void)state;
  static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\nb\na\nc\n[UNK]\n##a\n";
  bert_tokenizer* tok = NULL;
  assert_int_equal(bert_tokenizer_load_from_memory(vocab, strlen(vocab), NULL, 0, &tok), BERT_OK);
  int32_t id = -1;
  assert_int_equal(bert_tokenizer_token_to_id(tok, "a", 1, &id), BERT_OK);
  assert_int_equal(id, 7); /* the last line wins */
  assert_int_equal(bert_tokenizer_special_token_id(tok, BERT_SPECIAL_UNK, &id), BERT_OK);
  assert_int_equal(id, 9);
  const char* token = NULL;
  assert_int_equal(bert_tokenizer_id_to_token(tok, 5, &token, NULL), BERT_ERR_INVALID_ARGUMENT); /* a hole */
  const int32_t ids[3] = {5, 6, 7};
  char* text = NULL;
  assert_int_equal(bert_tokenizer_decode(tok, ids, 3, 0, &text, NULL), BERT_OK);
  assert_string_equal(text, "b a"); /* the hole is skipped, as HF skips unknown ids */
  bert_string_free(text);
  assert_round_trips(tok, 1);
  bert_tokenizer_free(tok);

  /* An added token that repeats a vocabulary entry under a new id. */
  static const char json[] =
      "{\"added_tokens\":[{\"id\":7,\"content\":\"a\",\"special\":false}],\"post_processor\":null,"
      "\"normalizer\":{\"type\":\"BertNormalizer\"},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
      "\"decoder\":null,\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,"
      "\"[SEP]\":3,\"[MASK]\":4,\"a\":5,\"b\":6}}}";
  assert_int_equal(bert_tokenizer_load_from_memory(json, strlen(json), NULL, 0, &tok), BERT_OK);
  assert_int_equal(bert_tokenizer_token_to_id(tok, "a", 1, &id), BERT_OK);
  assert_int_equal(id, 7);
  assert_round_trips(tok, 0);
  bert_tokenizer_free(tok);
}

static void restore_limits(void) {
  bert_limits l;
  assert_int_equal(BERT_LIMITS_INIT(&l), BERT_OK);
  l.max_text_bytes = (uint64_t)1 << 30;
  l.max_vocab_size = (uint64_t)1 << 24;
  l.max_token_bytes = 65536;
  l.max_model_bytes = (uint64_t)1 << 40;
  assert_int_equal(bert_set_limits(&l), BERT_OK);
}

static void test_limits(void** state) {
  (void)state;
  bert_limits l;
  assert_int_equal(BERT_LIMITS_INIT(&l), BERT_OK);
  assert_true(l.max_text_bytes == ((uint64_t)1 << 30));
  assert_true(l.max_vocab_size == ((uint64_t)1 << 24));
  assert_true(l.max_token_bytes == 65536);
  assert_true(l.max_model_bytes == ((uint64_t)1 << 40));
  assert_int_equal(bert_set_limits(NULL), BERT_ERR_INVALID_ARGUMENT);

  bert_tokenizer* tok = NULL;
  bert_model* model = NULL;
  assert_int_equal(bert_tokenizer_load(TINY, &tok), BERT_OK);
  assert_int_equal(bert_model_load(TINY, &model), BERT_OK);

  l.max_text_bytes = 16;
  assert_int_equal(bert_set_limits(&l), BERT_OK);
  bert_encoding* enc = NULL;
  assert_int_equal(bert_tokenizer_encode(tok, "short text", 10, NULL, 0, NULL, &enc), BERT_OK);
  bert_encoding_free(enc);
  enc = NULL;
  const char* longer = "a text of more than sixteen bytes";
  assert_int_equal(bert_tokenizer_encode(tok, longer, strlen(longer), NULL, 0, NULL, &enc), BERT_ERR_LIMIT);
  assert_non_null(strstr(bert_last_error(), "max_text_bytes"));
  assert_null(enc);
  const char* texts[2] = {"short", longer};
  assert_int_equal(bert_tokenizer_encode_batch(tok, texts, NULL, NULL, NULL, 2, NULL, &enc), BERT_ERR_LIMIT);
  bert_fill_mask_result* r = NULL;
  const char* query = "the [MASK] of the house said";
  assert_int_equal(bert_fill_mask(model, tok, query, strlen(query), NULL, &r), BERT_ERR_LIMIT);
  assert_null(r);
  bert_tokenizer* trained = NULL;
  assert_int_equal(bert_tokenizer_train_from_lines(texts, NULL, 2, NULL, &trained), BERT_ERR_LIMIT);
  assert_null(trained);
  restore_limits();

  assert_int_equal(BERT_LIMITS_INIT(&l), BERT_OK);
  l.max_vocab_size = 100; /* tiny_mlm has 1000 */
  assert_int_equal(bert_set_limits(&l), BERT_OK);
  bert_tokenizer* t2 = NULL;
  assert_int_equal(bert_tokenizer_load(TINY, &t2), BERT_ERR_LIMIT);
  assert_non_null(strstr(bert_last_error(), "max_vocab_size"));
  assert_int_equal(bert_tokenizer_load(TINY "/vocab.txt", &t2), BERT_ERR_LIMIT);
  bert_tokenizer_params tp;
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(&tp), BERT_OK); /* vocab_size 30522 > 100 */
  const char* lines[1] = {"a b c"};
  assert_int_equal(bert_tokenizer_train_from_lines(lines, NULL, 1, &tp, &t2), BERT_ERR_LIMIT);
  assert_null(t2);
  restore_limits();

  assert_int_equal(BERT_LIMITS_INIT(&l), BERT_OK);
  l.max_token_bytes = 4; /* "[PAD]" is 5 bytes */
  assert_int_equal(bert_set_limits(&l), BERT_OK);
  assert_int_equal(bert_tokenizer_load(TINY "/vocab.txt", &t2), BERT_ERR_LIMIT);
  assert_non_null(strstr(bert_last_error(), "max_token_bytes"));
  restore_limits();

  assert_int_equal(BERT_LIMITS_INIT(&l), BERT_OK);
  l.max_model_bytes = 1000;
  assert_int_equal(bert_set_limits(&l), BERT_OK);
  bert_model* m2 = NULL;
  assert_int_equal(bert_model_load(TINY, &m2), BERT_ERR_LIMIT);
  assert_non_null(strstr(bert_last_error(), "max_model_bytes"));
  assert_int_equal(bert_model_create(NULL, &m2), BERT_ERR_LIMIT);
  assert_null(m2);
  restore_limits();
  assert_int_equal(bert_model_load(TINY, &m2), BERT_OK);
  bert_model_free(m2);

  bert_model_free(model);
  bert_tokenizer_free(tok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_huge_numbers_in_tokenizer_json),
      cmocka_unit_test(test_duplicates_round_trip),
      cmocka_unit_test(test_quadratic_cases_are_linear),
      cmocka_unit_test(test_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
