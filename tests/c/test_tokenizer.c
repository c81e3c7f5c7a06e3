/* Tokenizer ABI: training, load/save, encode/decode, bad input, cancellation, threads. */
#define _POSIX_C_SOURCE 200809L /* strdup, mkdtemp under strict C11 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bertc.h"

static const char* kCorpus[] = {
    "The quick brown fox jumps over the lazy dog.",
    "A stitch in time saves nine; the early bird catches the worm.",
    "Trending hashtags on [MASK] today: cats, dogs and foxes!",
    "She sells sea shells by the sea shore, doesn't she?",
    "Caf\xc3\xa9 na\xc3\xafve r\xc3\xa9sum\xc3\xa9 and \xe4\xb8\xad\xe6\x96\x87 text.",
};
#define N_CORPUS (sizeof(kCorpus) / sizeof(kCorpus[0]))

static bert_tokenizer* train_small(void) {
  bert_tokenizer_params p;
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(&p), BERT_OK);
  p.vocab_size = 150;
  p.min_frequency = 1;
  p.threads = 2;
  bert_tokenizer* tok = NULL;
  assert_int_equal(bert_tokenizer_train_from_lines(kCorpus, NULL, N_CORPUS, &p, &tok), BERT_OK);
  assert_non_null(tok);
  return tok;
}

static char* make_temp_dir(void) {
  char* tmpl = strdup("/tmp/bertc_c_tok_XXXXXX");
  assert_non_null(mkdtemp(tmpl));
  return tmpl;
}

static void write_file(const char* path, const char* content, size_t len) {
  FILE* f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(content, 1, len, f), len);
  fclose(f);
}

static void test_defaults(void** state) {
  (void)state;
  bert_tokenizer_params p;
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(&p), BERT_OK);
  assert_int_equal(p.struct_size, sizeof(p));
  assert_int_equal(p.vocab_size, 30522);
  assert_int_equal(p.min_frequency, 2);
  assert_int_equal(p.lowercase, 1);
  assert_int_equal(p.algorithm, BERT_TOKENIZER_ALGO_HF);
  bert_encode_params e;
  assert_int_equal(BERT_ENCODE_PARAMS_INIT(&e), BERT_OK);
  assert_int_equal(e.struct_size, sizeof(e));
  assert_int_equal(e.add_special_tokens, 1);
  assert_int_equal(e.truncation, BERT_TRUNCATION_NONE);
}

static void test_null_arguments(void** state) {
  (void)state;
  bert_tokenizer* tok = train_small();
  bert_tokenizer* out = NULL;
  bert_encoding* enc = NULL;
  const char* files[] = {"x"};
  assert_int_equal(bert_tokenizer_train(NULL, 1, NULL, &out), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "bert_tokenizer_train"));
  assert_int_equal(bert_tokenizer_train(files, 1, NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_train(files, 0, NULL, &out), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_train_from_lines(NULL, NULL, 3, NULL, &out), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_train_from_lines(kCorpus, NULL, N_CORPUS, NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_load(NULL, &out), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_load("x", NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_save(NULL, "/tmp/x"), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_save(tok, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_encode(NULL, "a", 1, NULL, 0, NULL, &enc), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_encode(tok, "a", 1, NULL, 0, NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_encode(tok, NULL, 3, NULL, 0, NULL, &enc), BERT_ERR_INVALID_ARGUMENT);
  assert_null(enc);
  assert_int_equal(bert_tokenizer_encode_batch(NULL, kCorpus, NULL, NULL, NULL, 1, NULL, &enc), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_encode_batch(tok, NULL, NULL, NULL, NULL, 1, NULL, &enc), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_encode_batch(tok, kCorpus, NULL, NULL, NULL, 1, NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  char* text = NULL;
  int32_t ids[] = {1, 2};
  assert_int_equal(bert_tokenizer_decode(NULL, ids, 2, 0, &text, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_decode(tok, NULL, 2, 0, &text, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_decode(tok, ids, 2, 0, NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  int32_t id = 7;
  const char* token = NULL;
  assert_int_equal(bert_tokenizer_token_to_id(NULL, "a", strlen("a"), &id), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_token_to_id(tok, NULL, 5, &id), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_token_to_id(tok, "a", strlen("a"), NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(id, 7); /* untouched on failure */
  assert_int_equal(bert_tokenizer_id_to_token(NULL, 0, &token, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_id_to_token(tok, 0, NULL, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_id_to_token(tok, -1, &token, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_id_to_token(tok, 1 << 30, &token, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_special_token_id(NULL, BERT_SPECIAL_CLS, &id), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_special_token_id(tok, (bert_special_token)99, &id), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_vocab_size(NULL), 0);
  assert_int_equal(bert_encoding_count(NULL), 0);
  assert_int_equal(bert_encoding_length(NULL, 0), 0);
  assert_null(bert_encoding_ids(NULL, 0));
  assert_null(bert_encoding_offsets(NULL, 0));
  assert_int_equal(bert_encoding_input_index(NULL, 0), (size_t)-1);
  bert_tokenizer_free(NULL);
  bert_encoding_free(NULL);
  bert_string_free(NULL);
  bert_tokenizer_free(tok);
}

static void test_encode_decode(void** state) {
  (void)state;
  bert_tokenizer* tok = train_small();
  int32_t cls = -1, sep = -1, mask = -1, pad = -1;
  assert_int_equal(bert_tokenizer_special_token_id(tok, BERT_SPECIAL_CLS, &cls), BERT_OK);
  assert_int_equal(bert_tokenizer_special_token_id(tok, BERT_SPECIAL_SEP, &sep), BERT_OK);
  assert_int_equal(bert_tokenizer_special_token_id(tok, BERT_SPECIAL_MASK, &mask), BERT_OK);
  assert_int_equal(bert_tokenizer_special_token_id(tok, BERT_SPECIAL_PAD, &pad), BERT_OK);
  assert_int_equal(pad, 0);
  assert_int_equal(cls, 2);
  const char* text = "the fox on [MASK].";
  bert_encoding* enc = NULL;
  assert_int_equal(bert_tokenizer_encode(tok, text, strlen(text), NULL, 0, NULL, &enc), BERT_OK);
  assert_int_equal(bert_encoding_count(enc), 1);
  const size_t n = bert_encoding_length(enc, 0);
  assert_true(n >= 5);
  const int32_t* ids = bert_encoding_ids(enc, 0);
  assert_int_equal(ids[0], cls);
  assert_int_equal(ids[n - 1], sep);
  int found_mask = 0;
  const bert_offset* off = bert_encoding_offsets(enc, 0);
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] == mask) {
      found_mask = 1;
      assert_int_equal(off[i].start, 11);
      assert_int_equal(off[i].end, 17);
    }
  }
  assert_true(found_mask);
  assert_int_equal(bert_encoding_special_tokens_mask(enc, 0)[0], 1);
  assert_int_equal(bert_encoding_sequence_ids(enc, 0)[0], -1);
  assert_int_equal(bert_encoding_sequence_ids(enc, 0)[1], 0);
  assert_null(bert_encoding_ids(enc, 1));
  char* out = NULL;
  size_t out_len = 0;
  assert_int_equal(bert_tokenizer_decode(tok, ids, n, BERT_DECODE_SKIP_SPECIAL_TOKENS, &out, &out_len), BERT_OK);
  assert_string_equal(out, "the fox on.");
  assert_int_equal(out_len, strlen(out));
  bert_string_free(out);
  assert_int_equal(bert_tokenizer_decode(tok, ids, n, 0, &out, NULL), BERT_OK);
  assert_string_equal(out, "[CLS] the fox on [MASK]. [SEP]");
  bert_string_free(out);
  bert_encoding_free(enc);

  /* split_special_tokens: [MASK] becomes text. */
  bert_encode_params ep;
  assert_int_equal(BERT_ENCODE_PARAMS_INIT(&ep), BERT_OK);
  ep.split_special_tokens = 1;
  assert_int_equal(bert_tokenizer_encode(tok, text, strlen(text), NULL, 0, &ep, &enc), BERT_OK);
  for (size_t i = 0; i < bert_encoding_length(enc, 0); ++i) assert_int_not_equal(bert_encoding_ids(enc, 0)[i], mask);
  bert_encoding_free(enc);

  /* Pair + truncation + padding + overflow. */
  assert_int_equal(BERT_ENCODE_PARAMS_INIT(&ep), BERT_OK);
  ep.truncation = BERT_TRUNCATION_ONLY_FIRST;
  ep.max_length = 8;
  ep.stride = 1;
  ep.return_overflowing = 1;
  ep.padding = BERT_PADDING_MAX_LENGTH;
  ep.pad_length = 10;
  const char* a = kCorpus[0];
  const char* b = "lazy dog";
  assert_int_equal(bert_tokenizer_encode(tok, a, strlen(a), b, strlen(b), &ep, &enc), BERT_OK);
  assert_true(bert_encoding_count(enc) > 1);
  for (size_t r = 0; r < bert_encoding_count(enc); ++r) {
    assert_int_equal(bert_encoding_length(enc, r), 10);
    assert_int_equal(bert_encoding_input_index(enc, r), 0);
    assert_int_equal(bert_encoding_is_overflow(enc, r), r > 0);
    assert_int_equal(bert_encoding_attention_mask(enc, r)[9], 0);
    assert_int_equal(bert_encoding_ids(enc, r)[9], pad);
    assert_int_equal(bert_encoding_type_ids(enc, r)[0], 0);
  }
  bert_encoding_free(enc);

  /* only_second without a pair is an error. */
  ep.truncation = BERT_TRUNCATION_ONLY_SECOND;
  enc = NULL;
  assert_int_equal(bert_tokenizer_encode(tok, a, strlen(a), NULL, 0, &ep, &enc), BERT_ERR_INVALID_ARGUMENT);
  assert_null(enc);

  /* Token lookups. */
  int32_t id = 0;
  assert_int_equal(bert_tokenizer_token_to_id(tok, "[SEP]", strlen("[SEP]"), &id), BERT_OK);
  assert_int_equal(id, sep);
  assert_int_equal(bert_tokenizer_token_to_id(tok, "no-such-token", strlen("no-such-token"), &id), BERT_OK);
  assert_int_equal(id, -1);
  /* Not NUL-terminated: only token_len bytes count. */
  assert_int_equal(bert_tokenizer_token_to_id(tok, "[SEP]xyz", 5, &id), BERT_OK);
  assert_int_equal(id, sep);
  const char* token = NULL;
  size_t token_len = 0;
  assert_int_equal(bert_tokenizer_id_to_token(tok, mask, &token, &token_len), BERT_OK);
  assert_string_equal(token, "[MASK]");
  assert_int_equal(token_len, 6);
  assert_true(bert_tokenizer_vocab_size(tok) <= 150);
  /* A role outside bert_special_token_value (any int32 a binding may pass) is refused. */
  id = 77;
  assert_int_equal(bert_tokenizer_special_token_id(tok, 5, &id), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_special_token_id(tok, -1, &id), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(bert_tokenizer_special_token_id(tok, INT32_MAX, &id), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(id, 77);
  bert_tokenizer_free(tok);
}

/* decode_batch gives what decode gives, per sequence; flags are checked. */
static void test_decode_batch(void** state) {
  (void)state;
  bert_tokenizer* tok = train_small();
  bert_encoding* enc = NULL;
  assert_int_equal(bert_tokenizer_encode_batch(tok, kCorpus, NULL, NULL, NULL, 3, NULL, &enc), BERT_OK);
  const int32_t* ids[4];
  size_t lengths[4];
  for (size_t r = 0; r < 3; ++r) {
    ids[r] = bert_encoding_ids(enc, r);
    lengths[r] = bert_encoding_length(enc, r);
  }
  ids[3] = NULL; /* an empty sequence */
  lengths[3] = 0;
  char* texts[4] = {NULL, NULL, NULL, NULL};
  size_t text_lengths[4] = {0, 0, 0, 0};
  assert_int_equal(bert_tokenizer_decode_batch(tok, ids, lengths, 4, BERT_DECODE_SKIP_SPECIAL_TOKENS, texts,
                                               text_lengths),
                   BERT_OK);
  for (size_t r = 0; r < 4; ++r) {
    char* one = NULL;
    assert_int_equal(bert_tokenizer_decode(tok, ids[r], lengths[r], BERT_DECODE_SKIP_SPECIAL_TOKENS, &one, NULL),
                     BERT_OK);
    assert_string_equal(texts[r], one);
    assert_int_equal(text_lengths[r], strlen(one));
    bert_string_free(one);
    bert_string_free(texts[r]);
  }
  char* untouched[1] = {(char*)texts};
  assert_int_equal(bert_tokenizer_decode_batch(tok, ids, lengths, 1, 4u, untouched, NULL), BERT_ERR_INVALID_ARGUMENT);
  assert_ptr_equal(untouched[0], (char*)texts);
  bert_encoding_free(enc);
  bert_tokenizer_free(tok);
}

static void test_invalid_utf8(void** state) {
  (void)state;
  bert_tokenizer* tok = train_small();
  const char bad[] = "good text \xe4\xb8 broken";
  bert_encoding* enc = NULL;
  assert_int_equal(bert_tokenizer_encode(tok, bad, sizeof(bad) - 1, NULL, 0, NULL, &enc), BERT_ERR_INVALID_UTF8);
  assert_null(enc);
  assert_non_null(strstr(bert_last_error(), "byte 10"));
  const char* batch[] = {"fine", "also fine", "bad \xff"};
  assert_int_equal(bert_tokenizer_encode_batch(tok, batch, NULL, NULL, NULL, 3, NULL, &enc), BERT_ERR_INVALID_UTF8);
  assert_null(enc);
  assert_non_null(strstr(bert_last_error(), "input 2"));
  assert_non_null(strstr(bert_last_error(), "byte 4"));
  /* Training on a bad line reports the line and offset. */
  const char* lines[] = {"ok", "x\xc0\xafy"};
  bert_tokenizer* out = NULL;
  assert_int_equal(bert_tokenizer_train_from_lines(lines, NULL, 2, NULL, &out), BERT_ERR_INVALID_UTF8);
  assert_null(out);
  assert_non_null(strstr(bert_last_error(), "byte 1"));
  /* Text with an embedded NUL is valid (explicit length). */
  const char nul[] = "a\0b";
  assert_int_equal(bert_tokenizer_encode(tok, nul, 3, NULL, 0, NULL, &enc), BERT_OK);
  bert_encoding_free(enc);
  bert_tokenizer_free(tok);
}

static void test_bad_training_input(void** state) {
  (void)state;
  bert_tokenizer* out = NULL;
  const char* files[] = {"/nonexistent/bertc/corpus.txt"};
  assert_int_equal(bert_tokenizer_train(files, 1, NULL, &out), BERT_ERR_IO);
  assert_non_null(strstr(bert_last_error(), "corpus.txt"));
  const char* empty[] = {"", "   "};
  assert_int_equal(bert_tokenizer_train_from_lines(empty, NULL, 2, NULL, &out), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "no words"));
  bert_tokenizer_params p;
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(&p), BERT_OK);
  p.vocab_size = 10;
  assert_int_equal(bert_tokenizer_train_from_lines(kCorpus, NULL, N_CORPUS, &p, &out), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "vocab_size"));
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(&p), BERT_OK);
  const char* dup[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[UNK]"};
  p.special_tokens = dup;
  p.num_special_tokens = 6;
  assert_int_equal(bert_tokenizer_train_from_lines(kCorpus, NULL, N_CORPUS, &p, &out), BERT_ERR_INVALID_ARGUMENT);
  assert_non_null(strstr(bert_last_error(), "twice"));
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(&p), BERT_OK);
  p.struct_size = sizeof(p) + 8;
  assert_int_equal(bert_tokenizer_train_from_lines(kCorpus, NULL, N_CORPUS, &p, &out), BERT_ERR_UNSUPPORTED);
  assert_null(out);
}

static int cancel_on_merge(void* user, const bert_event* ev) {
  int* calls = (int*)user;
  ++*calls;
  return ev->kind == BERT_EVENT_TOKENIZER_MERGE;
}

static void test_cancel(void** state) {
  (void)state;
  char* dir = make_temp_dir();
  char path[512];
  snprintf(path, sizeof(path), "%s/corpus.txt", dir);
  char buf[4096] = "";
  for (size_t i = 0; i < N_CORPUS; ++i) {
    strcat(buf, kCorpus[i]);
    strcat(buf, "\n");
  }
  write_file(path, buf, strlen(buf));
  int calls = 0;
  bert_tokenizer_params p;
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(&p), BERT_OK);
  p.vocab_size = 150;
  p.progress = cancel_on_merge;
  p.progress_user_data = &calls;
  bert_tokenizer* out = NULL;
  const char* files[] = {path};
  assert_int_equal(bert_tokenizer_train(files, 1, &p, &out), BERT_ERR_CANCELLED);
  assert_null(out);
  assert_true(calls >= 2); /* at least one count event, then the merge event that cancels */
  p.progress = NULL;
  assert_int_equal(bert_tokenizer_train(files, 1, &p, &out), BERT_OK);
  bert_tokenizer_free(out);
  unlink(path);
  rmdir(dir);
  free(dir);
}

static int count_entries(const char* dir) {
  DIR* d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static void encode_ids(const bert_tokenizer* tok, const char* text, int32_t* out, size_t* n) {
  bert_encoding* enc = NULL;
  assert_int_equal(bert_tokenizer_encode(tok, text, strlen(text), NULL, 0, NULL, &enc), BERT_OK);
  *n = bert_encoding_length(enc, 0);
  memcpy(out, bert_encoding_ids(enc, 0), *n * sizeof(int32_t));
  bert_encoding_free(enc);
}

static void test_save_load_round_trip(void** state) {
  (void)state;
  bert_tokenizer* tok = train_small();
  char* dir = make_temp_dir();
  assert_int_equal(bert_tokenizer_save(tok, dir), BERT_OK);
  assert_int_equal(count_entries(dir), 5); /* vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json config.json */
  bert_tokenizer* dir_tok = NULL;
  assert_int_equal(bert_tokenizer_load(dir, &dir_tok), BERT_OK);
  char path[512];
  snprintf(path, sizeof(path), "%s/vocab.txt", dir);
  bert_tokenizer* vocab_tok = NULL;
  assert_int_equal(bert_tokenizer_load(path, &vocab_tok), BERT_OK);
  snprintf(path, sizeof(path), "%s/tokenizer.json", dir);
  bert_tokenizer* json_tok = NULL;
  assert_int_equal(bert_tokenizer_load(path, &json_tok), BERT_OK);
  assert_int_equal(bert_tokenizer_vocab_size(dir_tok), bert_tokenizer_vocab_size(tok));
  assert_int_equal(bert_tokenizer_vocab_size(vocab_tok), bert_tokenizer_vocab_size(tok));
  int32_t a[256], b[256];
  size_t na, nb;
  for (size_t i = 0; i < N_CORPUS; ++i) {
    encode_ids(tok, kCorpus[i], a, &na);
    const bert_tokenizer* others[] = {dir_tok, vocab_tok, json_tok};
    for (int k = 0; k < 3; ++k) {
      encode_ids(others[k], kCorpus[i], b, &nb);
      assert_int_equal(na, nb);
      assert_memory_equal(a, b, na * sizeof(int32_t));
    }
  }
  /* A save that fails (target is a non-empty directory) reports I/O and leaves no temp file. */
  char blocked[512];
  snprintf(blocked, sizeof(blocked), "%s/blocked.json", dir);
  assert_int_equal(mkdir(blocked, 0700), 0);
  char inner[600];
  snprintf(inner, sizeof(inner), "%s/keep", blocked);
  write_file(inner, "x", 1);
  assert_int_equal(bert_tokenizer_save(tok, blocked), BERT_ERR_IO);
  assert_int_equal(count_entries(dir), 6);
  /* Overwriting an existing good file works and keeps it loadable. */
  assert_int_equal(bert_tokenizer_save(tok, path), BERT_OK);
  assert_int_equal(count_entries(dir), 6);
  bert_tokenizer_free(json_tok);
  json_tok = NULL;
  assert_int_equal(bert_tokenizer_load(path, &json_tok), BERT_OK);
  unlink(inner);
  rmdir(blocked);
  bert_tokenizer_free(json_tok);
  bert_tokenizer_free(vocab_tok);
  bert_tokenizer_free(dir_tok);
  bert_tokenizer_free(tok);
  const char* names[] = {"vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config.json"};
  for (int i = 0; i < 5; ++i) {
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
  free(dir);
}

static void test_load_errors(void** state) {
  (void)state;
  bert_tokenizer* out = NULL;
  assert_int_equal(bert_tokenizer_load("/nonexistent/bertc/vocab.txt", &out), BERT_ERR_IO);
  char* dir = make_temp_dir();
  assert_int_equal(bert_tokenizer_load(dir, &out), BERT_ERR_IO); /* empty directory */
  char path[512];
  snprintf(path, sizeof(path), "%s/tokenizer.json", dir);
  write_file(path, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": [1,2", 44);
  assert_int_equal(bert_tokenizer_load(path, &out), BERT_ERR_FORMAT);
  write_file(path, "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}", 39);
  assert_int_equal(bert_tokenizer_load(path, &out), BERT_ERR_UNSUPPORTED);
  unlink(path);
  snprintf(path, sizeof(path), "%s/vocab.txt", dir);
  write_file(path, "", 0);
  assert_int_equal(bert_tokenizer_load(path, &out), BERT_ERR_FORMAT);
  write_file(path, "[PAD]\nhello\n", 12); /* no [UNK] */
  assert_int_equal(bert_tokenizer_load(path, &out), BERT_ERR_FORMAT);
  assert_non_null(strstr(bert_last_error(), "[UNK]"));
  write_file(path, "[UNK]\n\xff\xfe\n", 9);
  assert_int_equal(bert_tokenizer_load(path, &out), BERT_ERR_FORMAT);
  assert_non_null(strstr(bert_last_error(), "line 2"));
  assert_null(out);
  unlink(path);
  rmdir(dir);
  free(dir);
}

typedef struct {
  const bert_tokenizer* tok;
  int ok;
} thread_arg;

static void* encode_worker(void* p) {
  thread_arg* arg = (thread_arg*)p;
  arg->ok = 1;
  for (int iter = 0; iter < 200; ++iter) {
    bert_encoding* enc = NULL;
    if (bert_tokenizer_encode_batch(arg->tok, kCorpus, NULL, NULL, NULL, N_CORPUS, NULL, &enc) != BERT_OK) {
      arg->ok = 0;
      return NULL;
    }
    bert_encoding* one = NULL;
    const char* t = kCorpus[iter % N_CORPUS];
    if (bert_tokenizer_encode(arg->tok, t, strlen(t), NULL, 0, NULL, &one) != BERT_OK ||
        bert_encoding_length(one, 0) != bert_encoding_length(enc, (size_t)(iter % N_CORPUS)) ||
        memcmp(bert_encoding_ids(one, 0), bert_encoding_ids(enc, (size_t)(iter % N_CORPUS)),
               bert_encoding_length(one, 0) * sizeof(int32_t)) != 0) {
      arg->ok = 0;
    }
    bert_encoding_free(one);
    bert_encoding_free(enc);
  }
  return NULL;
}

static void test_concurrent_encode(void** state) {
  (void)state;
  bert_tokenizer* tok = train_small();
  pthread_t threads[4];
  thread_arg args[4];
  for (int i = 0; i < 4; ++i) {
    args[i].tok = tok;
    assert_int_equal(pthread_create(&threads[i], NULL, encode_worker, &args[i]), 0);
  }
  for (int i = 0; i < 4; ++i) {
    pthread_join(threads[i], NULL);
    assert_true(args[i].ok);
  }
  bert_tokenizer_free(tok);
}

static void test_fixture_vocab(void** state) {
  (void)state;
  bert_tokenizer* tok = NULL;
  if (bert_tokenizer_load(BERTC_FIXTURES_DIR "/tokenizer/bert_base_uncased", &tok) != BERT_OK) {
    skip();
  }
  const char* text = "The capital of France is [MASK].";
  bert_encoding* enc = NULL;
  assert_int_equal(bert_tokenizer_encode(tok, text, strlen(text), NULL, 0, NULL, &enc), BERT_OK);
  const int32_t want[] = {101, 1996, 3007, 1997, 2605, 2003, 103, 1012, 102};
  assert_int_equal(bert_encoding_length(enc, 0), 9);
  assert_memory_equal(bert_encoding_ids(enc, 0), want, sizeof(want));
  bert_encoding_free(enc);
  bert_tokenizer_free(tok);
}

/* Sizes no allocation can satisfy are "out of memory", never "internal error" (a bertc bug). */
static void test_huge_sizes(void** state) {
  (void)state;
  bert_tokenizer* tok = train_small();
  const char* texts[2] = {"a", "b"};
  bert_encoding* enc = (bert_encoding*)&texts; /* must stay untouched */
  assert_int_equal(bert_tokenizer_encode_batch(tok, texts, NULL, NULL, NULL, SIZE_MAX, NULL, &enc),
                   BERT_ERR_OUT_OF_MEMORY);
  assert_ptr_equal(enc, (bert_encoding*)&texts);
  bert_encode_params ep;
  assert_int_equal(BERT_ENCODE_PARAMS_INIT(&ep), BERT_OK);
  ep.padding = BERT_PADDING_MAX_LENGTH;
  ep.pad_length = SIZE_MAX;
  assert_int_equal(bert_tokenizer_encode(tok, "a", 1, NULL, 0, &ep, &enc), BERT_ERR_OUT_OF_MEMORY);
  int32_t ids[1] = {5};
  char* text = (char*)texts;
  assert_int_equal(bert_tokenizer_decode(tok, ids, SIZE_MAX, 0, &text, NULL), BERT_ERR_OUT_OF_MEMORY);
  assert_ptr_equal(text, (char*)texts);
  bert_tokenizer* t2 = NULL;
  assert_int_equal(bert_tokenizer_train_from_lines(texts, NULL, SIZE_MAX, NULL, &t2), BERT_ERR_OUT_OF_MEMORY);
  assert_null(t2);
  bert_tokenizer_free(tok);
}

/* A struct_size that cuts a field in two is refused, not half-read. */
static void test_torn_struct_size(void** state) {
  (void)state;
  bert_tokenizer* tok = train_small();
  bert_encoding* enc = NULL;
  bert_encode_params ep;
  assert_int_equal(BERT_ENCODE_PARAMS_INIT(&ep), BERT_OK);
  ep.struct_size = sizeof(size_t) + 4; /* half of max_length... */
  assert_int_equal(bert_tokenizer_encode(tok, "a", 1, NULL, 0, &ep, &enc), BERT_ERR_INVALID_ARGUMENT);
  assert_null(enc);
  ep.struct_size = offsetof(bert_encode_params, max_length); /* smaller than ABI 1.0's struct */
  assert_int_equal(bert_tokenizer_encode(tok, "a", 1, NULL, 0, &ep, &enc), BERT_ERR_INVALID_ARGUMENT);
  assert_null(enc);
  /* *_params_init refuses the same sizes and writes nothing for a newer header's size. */
  assert_int_equal(bert_encode_params_init(&ep, offsetof(bert_encode_params, max_length)), BERT_ERR_INVALID_ARGUMENT);
  ep.struct_size = 1234;
  assert_int_equal(bert_encode_params_init(&ep, sizeof ep + 8), BERT_ERR_UNSUPPORTED);
  assert_int_equal(ep.struct_size, 1234);
  bert_tokenizer_free(tok);
}

#if defined(__SANITIZE_ADDRESS__)
#define BERTC_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BERTC_TEST_ASAN 1
#endif
#endif

/* Runs fn in a child whose address space is capped near its current size, so that creating
 * threads fails early; returns the child's exit status (its bert_status), or -signal. */
static int run_capped(int (*fn)(void)) {
  fflush(NULL);
  const pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
#ifndef BERTC_TEST_ASAN
    FILE* f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f != NULL) {
      if (fscanf(f, "%lu", &pages) != 1) pages = 0;
      fclose(f);
    }
    if (pages > 0) {
      const rlim_t cap = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)256 << 20);
      struct rlimit rl = {cap, cap};
      setrlimit(RLIMIT_AS, &rl);
    }
#endif
    _exit(fn());
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static bert_tokenizer* g_capped_tok;

static int encode_with_threads(int threads) {
  enum { N = 4000 };
  static const char* texts[N];
  for (int i = 0; i < N; ++i) texts[i] = "the quick brown fox jumps over the lazy dog";
  bert_encode_params ep;
  assert_int_equal(BERT_ENCODE_PARAMS_INIT(&ep), BERT_OK);
  ep.threads = threads;
  bert_encoding* enc = NULL;
  const bert_status st = bert_tokenizer_encode_batch(g_capped_tok, texts, NULL, NULL, NULL, N, &ep, &enc);
  if (st == BERT_OK && bert_encoding_count(enc) != N) return 100;
  bert_encoding_free(enc);
  return (int)st;
}
static int encode_100000_threads(void) { return encode_with_threads(100000); }
static int encode_1000_threads(void) { return encode_with_threads(1000); }

/* An absurd thread count is refused up front; a thread that cannot be created (resource limits) makes
 * the call use fewer threads instead of aborting the process. */
static void test_thread_limits(void** state) {
  (void)state;
  g_capped_tok = train_small();
  assert_int_equal(run_capped(encode_100000_threads), BERT_ERR_INVALID_ARGUMENT);
  assert_int_equal(run_capped(encode_1000_threads), BERT_OK);
  bert_tokenizer_params p;
  assert_int_equal(BERT_TOKENIZER_PARAMS_INIT(&p), BERT_OK);
  p.threads = 100000;
  bert_tokenizer* tok = NULL;
  assert_int_equal(bert_tokenizer_train_from_lines(kCorpus, NULL, N_CORPUS, &p, &tok), BERT_ERR_INVALID_ARGUMENT);
  assert_null(tok);
  bert_tokenizer_free(g_capped_tok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),        cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_encode_decode),   cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_bad_training_input), cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_save_load_round_trip), cmocka_unit_test(test_load_errors),
      cmocka_unit_test(test_concurrent_encode), cmocka_unit_test(test_fixture_vocab),
      cmocka_unit_test(test_huge_sizes),      cmocka_unit_test(test_torn_struct_size),
      cmocka_unit_test(test_thread_limits),     cmocka_unit_test(test_decode_batch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
