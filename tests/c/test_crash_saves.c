/* kill -9 during every kind of save, and disk full during every kind of save: the previous files
 * always load, a partially written file is never taken for a good one, and training resumes.
 *
 * A child saves in a loop (alternating two versions A and B); the parent SIGKILLs it at a random
 * moment, then checks that the destination loads and holds exactly version A or B (byte for byte).
 * 100 trials per kind (tokenizer, model, checkpoint). Disk full: the child saves under a small
 * RLIMIT_FSIZE and must get BERT_ERR_IO with the old files untouched. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "bertc.h"

#define TINY BERTC_FIXTURES_DIR "/model/tiny_mlm"
#define TRIALS 100

static char g_root[128];
static bert_tokenizer* g_tok[2];
static bert_model* g_model[2];

static void run(const char* cmd) { assert_int_equal(system(cmd), 0); }

static char* read_all(const char* path, size_t* n) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  const long size = ftell(f);
  rewind(f);
  char* buf = malloc((size_t)size + 1);
  if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    fclose(f);
    free(buf);
    return NULL;
  }
  fclose(f);
  *n = (size_t)size;
  return buf;
}

/* 1 when file `a` has exactly the bytes of file `b`. */
static int same_file(const char* a, const char* b) {
  size_t na = 0, nb = 0;
  char* x = read_all(a, &na);
  char* y = read_all(b, &nb);
  const int same = x != NULL && y != NULL && na == nb && memcmp(x, y, na) == 0;
  free(x);
  free(y);
  return same;
}

static void path(char* out, size_t n, const char* dir, const char* name) { snprintf(out, n, "%s/%s", dir, name); }

/* A random delay of 0..max_us microseconds. */
static void random_sleep(unsigned max_us) {
  struct timespec ts = {0, (long)((unsigned)rand() % (max_us + 1)) * 1000};
  nanosleep(&ts, NULL);
}

/* Forks a child that runs save(i) for i = 0, 1, 2, ... until killed; kills it after a random delay. */
static void kill_during(void (*save)(unsigned), unsigned max_us) {
  fflush(NULL);
  const pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    for (unsigned i = 0;; ++i) save(i);
  }
  random_sleep(max_us);
  kill(pid, SIGKILL);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* ---- tokenizer ---------------------------------------------------------------------------------- */

static char g_tok_dir[256], g_tok_ref[2][256];

static void save_tokenizer(unsigned i) {
  if (bert_tokenizer_save(g_tok[i % 2], g_tok_dir) != BERT_OK) _exit(3);
}

static void check_tokenizer_dir(const char* dir) {
  bert_tokenizer* t = NULL;
  assert_int_equal(bert_tokenizer_load(dir, &t), BERT_OK);
  const size_t v = bert_tokenizer_vocab_size(t);
  bert_tokenizer_free(t);
  static const char* const files[] = {"tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"};
  for (size_t f = 0; f < 4; ++f) {
    char have[300], a[300], b[300];
    path(have, sizeof have, dir, files[f]);
    path(a, sizeof a, g_tok_ref[0], files[f]);
    path(b, sizeof b, g_tok_ref[1], files[f]);
    if (!same_file(have, a) && !same_file(have, b)) fail_msg("%s is neither version A nor B", have);
  }
  assert_true(v == bert_tokenizer_vocab_size(g_tok[0]) || v == bert_tokenizer_vocab_size(g_tok[1]));
}

static void test_kill_during_tokenizer_save(void** state) {
  (void)state;
  assert_int_equal(bert_tokenizer_save(g_tok[0], g_tok_dir), BERT_OK);
  for (int trial = 0; trial < TRIALS; ++trial) {
    kill_during(save_tokenizer, 20000);
    check_tokenizer_dir(g_tok_dir);
  }
}

/* ---- model -------------------------------------------------------------------------------------- */

static char g_model_dir[256], g_model_ref[2][256];

static void save_model(unsigned i) {
  if (bert_model_save(g_model[i % 2], g_model_dir) != BERT_OK) _exit(3);
}

static void check_model_dir(const char* dir) {
  bert_model* m = NULL;
  assert_int_equal(bert_model_load(dir, &m), BERT_OK);
  bert_model_free(m);
  char w[300], c[300], wa[300], wb[300], ca[300], cb[300];
  path(w, sizeof w, dir, "model.safetensors");
  path(c, sizeof c, dir, "config.json");
  path(wa, sizeof wa, g_model_ref[0], "model.safetensors");
  path(wb, sizeof wb, g_model_ref[1], "model.safetensors");
  path(ca, sizeof ca, g_model_ref[0], "config.json");
  path(cb, sizeof cb, g_model_ref[1], "config.json");
  /* Both files of one save: A's or B's (never a mix that could load as a third, torn model). */
  const int a = same_file(w, wa) && same_file(c, ca);
  const int b = same_file(w, wb) && same_file(c, cb);
  if (!a && !b) fail_msg("%s holds neither version A nor version B", dir);
}

static void test_kill_during_model_save(void** state) {
  (void)state;
  assert_int_equal(bert_model_save(g_model[0], g_model_dir), BERT_OK);
  for (int trial = 0; trial < TRIALS; ++trial) {
    kill_during(save_model, 30000);
    check_model_dir(g_model_dir);
  }
}

/* ---- checkpoint --------------------------------------------------------------------------------- */

static char g_ckpt_out[256];
static bert_trainer* g_trainer;
static bert_model* g_train_model;
static const int32_t kIds[] = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25};
static const size_t kOffsets[] = {0, 4, 8, 12, 16};

static bert_trainer* make_trainer(bert_model* m) {
  bert_trainer_params p;
  assert_int_equal(BERT_TRAINER_PARAMS_INIT(&p), BERT_OK);
  p.output_dir = g_ckpt_out;
  p.max_length = 16;
  p.batch_size = 2;
  p.eval_split = 0;
  p.save_final_model = 0;
  p.save_total_limit = 2;
  p.logging_steps = 0;
  p.threads = 1;
  bert_trainer_data d;
  assert_int_equal(BERT_TRAINER_DATA_INIT(&d), BERT_OK);
  d.token_ids = kIds;
  d.offsets = kOffsets;
  d.num_sequences = 4;
  bert_trainer* t = NULL;
  assert_int_equal(bert_trainer_create(m, g_tok[0], &d, NULL, &p, &t), BERT_OK);
  return t;
}

static void step_and_checkpoint(unsigned i) {
  (void)i;
  if (bert_trainer_step(g_trainer, NULL, NULL, NULL) != BERT_OK) _exit(3);
  if (bert_trainer_save_checkpoint(g_trainer, NULL) != BERT_OK) _exit(4);
}

static void test_kill_during_checkpoint_save(void** state) {
  (void)state;
  assert_int_equal(bert_trainer_save_checkpoint(g_trainer, NULL), BERT_OK); /* a previous one exists */
  for (int trial = 0; trial < TRIALS; ++trial) {
    kill_during(step_and_checkpoint, 40000);
    /* A fresh trainer resumes from the newest complete checkpoint and trains on. */
    bert_model* m = NULL;
    assert_int_equal(bert_model_load(TINY, &m), BERT_OK);
    bert_trainer* t = make_trainer(m);
    assert_int_equal(bert_trainer_resume(t, NULL), BERT_OK);
    bert_trainer_step_result r = {.struct_size = sizeof r};
    assert_int_equal(bert_trainer_step(t, NULL, NULL, &r), BERT_OK);
    assert_true(r.loss == r.loss && r.loss > 0);
    bert_trainer_free(t);
    bert_model_free(m);
  }
}

/* ---- disk full ---------------------------------------------------------------------------------- */

/* Runs save() in a child whose files may not grow past `bytes` (EFBIG instead of SIGXFSZ); returns
 * the child's exit code, the bert_status of save(). */
static int save_with_fsize_limit(int (*save)(void), rlim_t bytes) {
  fflush(NULL);
  const pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {bytes, bytes};
    setrlimit(RLIMIT_FSIZE, &rl);
    _exit(save());
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

static int full_tokenizer_save(void) { return bert_tokenizer_save(g_tok[1], g_tok_dir); }
static int full_model_save(void) { return bert_model_save(g_model[1], g_model_dir); }
static int full_checkpoint_save(void) {
  if (bert_trainer_step(g_trainer, NULL, NULL, NULL) != BERT_OK) return 99;
  return bert_trainer_save_checkpoint(g_trainer, NULL);
}

static void test_disk_full(void** state) {
  (void)state;
  assert_int_equal(bert_tokenizer_save(g_tok[0], g_tok_dir), BERT_OK);
  assert_int_equal(save_with_fsize_limit(full_tokenizer_save, 512), BERT_ERR_IO);
  check_tokenizer_dir(g_tok_dir);
  char vocab[300], ref[300];
  path(vocab, sizeof vocab, g_tok_dir, "vocab.txt");
  path(ref, sizeof ref, g_tok_ref[0], "vocab.txt");
  assert_true(same_file(vocab, ref)); /* still version A */

  if (bert_model_save(g_model[0], g_model_dir) != BERT_OK) fail_msg("%s", bert_last_error());
  assert_int_equal(save_with_fsize_limit(full_model_save, 16384), BERT_ERR_IO);
  check_model_dir(g_model_dir);
  char w[300], wa[300];
  path(w, sizeof w, g_model_dir, "model.safetensors");
  path(wa, sizeof wa, g_model_ref[0], "model.safetensors");
  assert_true(same_file(w, wa));

  assert_int_equal(save_with_fsize_limit(full_checkpoint_save, 16384), BERT_ERR_IO);
  bert_model* m = NULL;
  assert_int_equal(bert_model_load(TINY, &m), BERT_OK);
  bert_trainer* t = make_trainer(m);
  assert_int_equal(bert_trainer_resume(t, NULL), BERT_OK);
  bert_trainer_free(t);
  bert_model_free(m);
}

/* ---- setup -------------------------------------------------------------------------------------- */

static int setup(void** state) {
  (void)state;
  snprintf(g_root, sizeof g_root, "/tmp/bertc_c_crash_%d", (int)getpid());
  mkdir(g_root, 0755);
  srand((unsigned)getpid());
  const char* lines[] = {"the cat sat on the mat", "the dog sat on the log", "a bird in a tree"};
  bert_tokenizer_params tp;
  BERT_TOKENIZER_PARAMS_INIT(&tp);
  tp.min_frequency = 1;
  tp.vocab_size = 40;
  if (bert_tokenizer_train_from_lines(lines, NULL, 3, &tp, &g_tok[1]) != BERT_OK) return -1;
  if (bert_tokenizer_load(TINY, &g_tok[0]) != BERT_OK) return -1;
  if (bert_model_load(TINY, &g_model[0]) != BERT_OK) return -1;
  bert_model_params mp;
  BERT_MODEL_PARAMS_INIT(&mp);
  if (bert_model_config(g_model[0], &mp) != BERT_OK) return -1;
  mp.seed = 99;
  if (bert_model_create(&mp, &g_model[1]) != BERT_OK) return -1;
  snprintf(g_tok_dir, sizeof g_tok_dir, "%s/tok", g_root);
  snprintf(g_model_dir, sizeof g_model_dir, "%s/model", g_root);
  snprintf(g_ckpt_out, sizeof g_ckpt_out, "%s/run", g_root);
  for (int v = 0; v < 2; ++v) {
    snprintf(g_tok_ref[v], sizeof g_tok_ref[v], "%s/tok_ref%d", g_root, v);
    snprintf(g_model_ref[v], sizeof g_model_ref[v], "%s/model_ref%d", g_root, v);
    if (bert_tokenizer_save(g_tok[v], g_tok_ref[v]) != BERT_OK) return -1;
    if (bert_model_save(g_model[v], g_model_ref[v]) != BERT_OK) return -1;
  }
  if (bert_model_load(TINY, &g_train_model) != BERT_OK) return -1;
  g_trainer = make_trainer(g_train_model);
  return 0;
}

static int teardown(void** state) {
  (void)state;
  bert_trainer_free(g_trainer);
  bert_model_free(g_train_model);
  for (int v = 0; v < 2; ++v) {
    bert_tokenizer_free(g_tok[v]);
    bert_model_free(g_model[v]);
  }
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
  run(cmd);
  return 0;
}

int main(int argc, char** argv) {
  /* fork() and OpenMP thread pools do not mix: re-run with one OpenMP thread before anything starts. */
  if (getenv("OMP_NUM_THREADS") == NULL || strcmp(getenv("OMP_NUM_THREADS"), "1") != 0) {
    setenv("OMP_NUM_THREADS", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);
    perror("execv");
    return 1;
  }
  (void)argc;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill_during_tokenizer_save),
      cmocka_unit_test(test_kill_during_model_save),
      cmocka_unit_test(test_kill_during_checkpoint_save),
      cmocka_unit_test(test_disk_full),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
