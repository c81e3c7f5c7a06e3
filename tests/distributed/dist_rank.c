/* One rank of a data-parallel run through the public C API, for tests/distributed/run.sh (started by
 * `bertc launch`, which sets RANK, WORLD_SIZE, MASTER_ADDR, ...; without them it is one process).
 *
 * usage: dist_rank TOKENIZER_DIR DATA_FILE OUT_DIR STEPS
 * Environment knobs of the tests: GRAD_ACCUM (1), SEED_PLUS_RANK (1: each rank a different seed),
 * DIE_AT_STEP / DIE_RANK (that rank SIGKILLs itself after that step), RESUME (1: --resume latest),
 * DIST_TIMEOUT (seconds, 30).
 * Prints "step S loss L" per step; saves its weights to OUT_DIR/rank-R/ at the end. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bertc.h"

static long env_long(const char* name, long fallback) {
  const char* v = getenv(name);
  return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : fallback;
}

static int fail(const char* what) {
  fprintf(stderr, "dist_rank: %s: %s\n", what, bert_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: dist_rank TOKENIZER_DIR DATA_FILE OUT_DIR STEPS\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  bert_tokenizer* tok = NULL;
  if (bert_tokenizer_load(argv[1], &tok) != BERT_OK) return fail("tokenizer");
  bert_model_params mp;
  BERT_MODEL_PARAMS_INIT(&mp);
  mp.vocab_size = bert_tokenizer_vocab_size(tok);
  mp.hidden_size = 32;
  mp.num_hidden_layers = 2;
  mp.num_attention_heads = 2;
  mp.intermediate_size = 64;
  mp.max_position_embeddings = 64;
  mp.seed = 1;
  bert_model* model = NULL;
  if (bert_model_create(&mp, &model) != BERT_OK) return fail("model");

  const char* files[1] = {argv[2]};
  bert_trainer_data data;
  BERT_TRAINER_DATA_INIT(&data);
  data.files = files;
  data.num_files = 1;
  bert_trainer_params tp;
  BERT_TRAINER_PARAMS_INIT(&tp);
  tp.output_dir = argv[3];
  tp.max_length = 32;
  tp.batch_size = 8;
  tp.grad_accum = (size_t)env_long("GRAD_ACCUM", 1);
  tp.learning_rate = 2e-3;
  tp.warmup_steps = 2;
  tp.max_steps = (uint64_t)strtoull(argv[4], NULL, 10);
  tp.save_steps = 4;
  tp.logging_steps = 1;
  tp.eval_split = 0;
  tp.save_final_model = 0;
  tp.use_cache = 0;
  tp.threads = 1;
  tp.seed = 42;
  tp.dist_timeout_seconds = (double)env_long("DIST_TIMEOUT", 30);
  if (env_long("SEED_PLUS_RANK", 0)) tp.seed += (uint64_t)env_long("RANK", 0);
  bert_trainer* trainer = NULL;
  if (bert_trainer_create(model, tok, &data, NULL, &tp, &trainer) != BERT_OK) return fail("create");
  if (env_long("RESUME", 0) && bert_trainer_resume(trainer, NULL) != BERT_OK) return fail("resume");
  bert_trainer_info info = {.struct_size = sizeof info};
  if (bert_trainer_get_info(trainer, &info) != BERT_OK) return fail("info");
  const long die_at = env_long("DIE_AT_STEP", 0), die_rank = env_long("DIE_RANK", 1);
  while (info.global_step < info.total_steps) {
    bert_trainer_step_result r = {.struct_size = sizeof r};
    if (bert_trainer_step(trainer, NULL, NULL, &r) != BERT_OK) return fail("step");
    printf("step %llu loss %.17g tokens %llu\n", (unsigned long long)r.step, r.loss, (unsigned long long)r.tokens);
    fflush(stdout);
    if (die_at > 0 && (long)r.step == die_at && info.rank == die_rank) raise(SIGKILL);
    if (bert_trainer_get_info(trainer, &info) != BERT_OK) return fail("info");
  }
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/rank-%d", argv[3], (int)info.rank);
  if (bert_model_save(model, dir) != BERT_OK) return fail("save");
  fprintf(stderr, "dist_rank: rank %d of %d done at step %llu\n", (int)info.rank, (int)info.world_size,
          (unsigned long long)info.global_step);
  bert_trainer_free(trainer);
  bert_model_free(model);
  bert_tokenizer_free(tok);
  return 0;
}
