/* bench_pretrain: MLM pre-training measurements through the public C API.
 *
 *   bench_pretrain padding   tokenizer=DIR train=FILE [max_length=128 batch=8]
 *       share of padding tokens per grouping on the training file
 *   bench_pretrain throughput tokenizer=DIR train=FILE [hidden=256 layers=4 heads=4 seq=128 batch=8
 *       steps=20 warmup=3 threads=2 mode=identical|defaults dropout=0.1 mlm=0.15]
 *       steady-state tokens/s (non-padding), samples/s and peak RSS. mode=identical: truncate_pad to
 *       max_length and logits at every position (HF's math); mode=defaults: dynamic padding and
 *       masked-only logits (bertc's defaults); grouping=packed packs lines into max_length rows instead.
 *   bench_pretrain experiment tokenizer=DIR train=FILE test=FILE out=DIR [steps=400 ...]
 *       trains a small BERT, prints the eval-loss curve, then fill-mask top-5 accuracy on test
 *       sentences vs a unigram-frequency baseline.
 * Output: one JSON object per line. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bertc.h"

static const char* arg(int argc, char** argv, const char* key, const char* def) {
  size_t n = strlen(key);
  for (int i = 2; i < argc; ++i) {
    if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
  }
  return def;
}
static long argl(int argc, char** argv, const char* key, long def) {
  const char* v = arg(argc, argv, key, NULL);
  return v ? atol(v) : def;
}
static double argd(int argc, char** argv, const char* key, double def) {
  const char* v = arg(argc, argv, key, NULL);
  return v ? atof(v) : def;
}
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static void check(bert_status s, const char* what) {
  if (s != BERT_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, bert_status_str(s), bert_last_error());
    exit(1);
  }
}
static double peak_rss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

/* dropout < 0 keeps the library default (0.1 hidden and attention dropout). */
static bert_model* make_model(size_t vocab, long hidden, long layers, long heads, long seq, uint64_t seed,
                              double dropout) {
  bert_model_params mp;
  check(BERT_MODEL_PARAMS_INIT(&mp), "params init");
  if (dropout >= 0) mp.hidden_dropout_prob = mp.attention_probs_dropout_prob = dropout;
  mp.vocab_size = vocab;
  mp.hidden_size = (size_t)hidden;
  mp.num_hidden_layers = (size_t)layers;
  mp.num_attention_heads = (size_t)heads;
  mp.intermediate_size = 4 * (size_t)hidden;
  mp.max_position_embeddings = seq < 512 ? 512 : (size_t)seq;
  mp.seed = seed;
  bert_model* m = NULL;
  check(bert_model_create(&mp, &m), "bert_model_create");
  return m;
}

static int padding(int argc, char** argv, bert_tokenizer* tok, bert_trainer_data* data) {
  const char* names[] = {"truncate_pad", "concat_chunk", "dynamic", "packed"};
  bert_model* m = make_model(bert_tokenizer_vocab_size(tok), 32, 1, 2, 512, 1, -1);
  for (int g = 0; g < 4; ++g) {
    bert_trainer_params p;
    check(BERT_TRAINER_PARAMS_INIT(&p), "params init");
    p.max_length = (size_t)argl(argc, argv, "max_length", 128);
    p.batch_size = (size_t)argl(argc, argv, "batch", 8);
    p.grouping = (bert_grouping)g;
    p.eval_split = 0;
    p.save_final_model = 0;
    p.threads = 2;
    bert_trainer* t = NULL;
    check(bert_trainer_create(m, tok, data, NULL, &p, &t), "bert_trainer_create");
    bert_trainer_info info;
    info.struct_size = sizeof info;
    check(bert_trainer_get_info(t, &info), "get_info");
    printf("{\"grouping\":\"%s\",\"max_length\":%zu,\"batch\":%zu,\"examples\":%lld,\"real_tokens\":%lld,"
           "\"padding_share\":%.4f}\n",
           names[g], p.max_length, p.batch_size, (long long)info.train_examples, (long long)info.train_tokens,
           info.train_padding_share);
    bert_trainer_free(t);
  }
  bert_model_free(m);
  return 0;
}

static int throughput(int argc, char** argv, bert_tokenizer* tok, bert_trainer_data* data) {
  const long hidden = argl(argc, argv, "hidden", 256), layers = argl(argc, argv, "layers", 4);
  const long heads = argl(argc, argv, "heads", 4), seq = argl(argc, argv, "seq", 128);
  const long steps = argl(argc, argv, "steps", 20), warm = argl(argc, argv, "warmup", 3);
  const char* mode = arg(argc, argv, "mode", "defaults");
  const int identical = strcmp(mode, "identical") == 0;
  bert_model_params defaults;
  check(BERT_MODEL_PARAMS_INIT(&defaults), "params init");
  const double dropout = argd(argc, argv, "dropout", defaults.hidden_dropout_prob);
  bert_model* m = make_model(bert_tokenizer_vocab_size(tok), hidden, layers, heads, seq, 42, dropout);
  bert_trainer_params p;
  check(BERT_TRAINER_PARAMS_INIT(&p), "params init");
  p.max_length = (size_t)seq;
  p.batch_size = (size_t)argl(argc, argv, "batch", 8);
  p.threads = (size_t)argl(argc, argv, "threads", 2);
  p.eval_split = 0;
  p.save_final_model = 0;
  p.max_steps = steps + warm;
  p.learning_rate = 1e-4;
  p.logging_steps = 0;
  p.grouping = identical ? BERT_GROUPING_TRUNCATE_PAD : BERT_GROUPING_DYNAMIC;
  const char* grouping = arg(argc, argv, "grouping", NULL); /* defaults mode: dynamic (default) or packed */
  if (!identical && grouping && strcmp(grouping, "packed") == 0) p.grouping = BERT_GROUPING_PACKED;
  p.masked_only_logits = identical ? 0 : 1;
  p.at_least_one_mask = identical ? 0 : 1;
  p.mlm_probability = argd(argc, argv, "mlm", p.mlm_probability);
  bert_trainer* t = NULL;
  check(bert_trainer_create(m, tok, data, NULL, &p, &t), "bert_trainer_create");
  bert_trainer_step_result r;
  r.struct_size = sizeof r;
  for (long i = 0; i < warm; ++i) check(bert_trainer_step(t, NULL, NULL, &r), "step");
  long long tokens = 0;
  double loss = 0;
  const double t0 = now();
  for (long i = 0; i < steps; ++i) {
    check(bert_trainer_step(t, NULL, NULL, &r), "step");
    tokens += r.tokens;
    loss = r.loss;
  }
  const double dt = now() - t0;
  bert_trainer_info info;
  info.struct_size = sizeof info;
  check(bert_trainer_get_info(t, &info), "get_info");
  /* Encoder GEMMs (QKV, attention output, FFN in/out), forward + backward = 3x forward, per padded token. */
  const double gemm_flops_per_token = 3.0 * 2.0 * (4.0 * hidden * hidden + 2.0 * hidden * 4.0 * hidden) * layers;
  const double padded_tps = (double)tokens / dt / (1.0 - info.train_padding_share);
  printf("{\"encoder_gemm_gflops\":%.2f}\n", padded_tps * gemm_flops_per_token / 1e9);
  printf("{\"impl\":\"bertc\",\"mode\":\"%s\",\"grouping\":\"%s\",\"hidden\":%ld,\"layers\":%ld,\"seq\":%ld,\"batch\":%zu,\"threads\":%zu,"
         "\"mlm\":%.2f,\"dropout\":%.2f,\"steps\":%ld,\"seconds\":%.3f,\"tokens_per_s\":%.1f,\"padded_tokens_per_s\":%.1f,\"samples_per_s\":%.2f,"
         "\"padding_share\":%.4f,\"last_loss\":%.4f,\"peak_rss_mib\":%.1f}\n",
         mode, p.grouping == BERT_GROUPING_PACKED ? "packed" : identical ? "truncate_pad" : "dynamic", hidden, layers,
         seq, p.batch_size, p.threads, p.mlm_probability, dropout, steps, dt, (double)tokens / dt,
         (double)tokens / dt / (1.0 - info.train_padding_share), (double)((size_t)steps * p.batch_size) / dt,
         info.train_padding_share, loss, peak_rss_mib());
  bert_trainer_free(t);
  bert_model_free(m);
  return 0;
}

static int log_step(void* user, const bert_event* ev) {
  (void)user;
  if (ev->kind == BERT_EVENT_EVAL) {
    printf("{\"step\":%llu,\"eval_loss\":%.4f,\"eval_perplexity\":%.2f,\"eval_accuracy\":%.4f,\"elapsed\":%.1f}\n",
           (unsigned long long)ev->current, ev->eval_loss, ev->eval_perplexity, ev->eval_accuracy,
           ev->elapsed_seconds);
    fflush(stdout);
  }
  return 0;
}

/* Lowercased alphabetic word (no punctuation attached), else 0. */
static int clean_word(const char* w, size_t n, char* out, size_t cap) {
  if (n == 0 || n + 1 > cap) return 0;
  for (size_t i = 0; i < n; ++i) {
    if (!isalpha((unsigned char)w[i])) return 0;
    out[i] = (char)tolower((unsigned char)w[i]);
  }
  out[n] = 0;
  return 1;
}

static int experiment(int argc, char** argv, bert_tokenizer* tok, bert_trainer_data* data) {
  const char* test_file = arg(argc, argv, "test", NULL);
  const char* out = arg(argc, argv, "out", "/tmp/bertc_pretrain_experiment");
  if (!test_file) {
    fprintf(stderr, "experiment needs test=FILE\n");
    return 2;
  }
  const size_t vocab = bert_tokenizer_vocab_size(tok);
  const long seq = argl(argc, argv, "seq", 64);
  bert_model* m = make_model(vocab, argl(argc, argv, "hidden", 128), argl(argc, argv, "layers", 2),
                             argl(argc, argv, "heads", 2), seq, 42, argd(argc, argv, "dropout", -1));
  const char* test_files[] = {test_file};
  bert_trainer_data eval;
  check(BERT_TRAINER_DATA_INIT(&eval), "data init");
  eval.files = test_files;
  eval.num_files = 1;
  bert_trainer_params p;
  check(BERT_TRAINER_PARAMS_INIT(&p), "params init");
  p.output_dir = out;
  p.max_length = (size_t)seq;
  {
    const char* g = arg(argc, argv, "grouping", "dynamic");
    p.grouping = strcmp(g, "packed") == 0         ? BERT_GROUPING_PACKED
                 : strcmp(g, "concat_chunk") == 0 ? BERT_GROUPING_CONCAT_CHUNK
                 : strcmp(g, "truncate_pad") == 0 ? BERT_GROUPING_TRUNCATE_PAD
                                                  : BERT_GROUPING_DYNAMIC;
    const char* sc = arg(argc, argv, "schedule", "linear");
    p.schedule = strcmp(sc, "cosine") == 0 ? BERT_SCHEDULE_COSINE
                 : strcmp(sc, "constant") == 0 ? BERT_SCHEDULE_CONSTANT
                                              : BERT_SCHEDULE_LINEAR;
  }
  p.mlm_probability = argd(argc, argv, "mlm", 0.15);
  p.weight_decay = argd(argc, argv, "weight_decay", p.weight_decay);
  p.batch_size = (size_t)argl(argc, argv, "batch", 32);
  p.learning_rate = argd(argc, argv, "lr", 1e-3);
  p.warmup_steps = (uint64_t)argl(argc, argv, "warmup", 40);
  p.max_steps = (uint64_t)argl(argc, argv, "steps", 400);
  p.eval_steps = (uint64_t)argl(argc, argv, "eval_steps", 50);
  p.logging_steps = 50;
  p.eval_batch_size = 64;
  p.threads = (size_t)argl(argc, argv, "threads", 2);
  p.save_steps = p.max_steps;
  p.save_total_limit = 1;
  bert_trainer* t = NULL;
  check(bert_trainer_create(m, tok, data, &eval, &p, &t), "bert_trainer_create");
  printf("{\"ln_vocab\":%.4f,\"steps\":%lld,\"batch\":%zu,\"seq\":%zu,\"lr\":%g,\"warmup\":%lld,\"mlm\":%.2f,"
         "\"grouping\":%d,\"schedule\":%d}\n",
         log((double)vocab), (long long)p.max_steps, p.batch_size, p.max_length, p.learning_rate,
         (long long)p.warmup_steps, p.mlm_probability, (int)p.grouping, (int)p.schedule);
  bert_trainer_eval_result e0;
  e0.struct_size = sizeof e0;
  check(bert_trainer_evaluate(t, &e0), "evaluate");
  printf("{\"step\":0,\"eval_loss\":%.4f,\"eval_perplexity\":%.2f,\"eval_accuracy\":%.4f}\n", e0.loss,
         e0.perplexity, e0.accuracy);
  const double t0 = now();
  check(bert_trainer_train(t, log_step, NULL), "train");
  printf("{\"train_seconds\":%.1f}\n", now() - t0);
  bert_trainer_free(t);

  /* Unigram baseline: the 5 most frequent single-token alphabetic words of the training text. */
  const char* train_file = data->files[0];
  long* counts = calloc(vocab, sizeof(long));
  FILE* f = fopen(train_file, "rb");
  char line[8192], word[256];
  bert_encode_params ep;
  check(BERT_ENCODE_PARAMS_INIT(&ep), "params init");
  ep.add_special_tokens = 0;
  while (f && fgets(line, sizeof line, f)) {
    bert_encoding* enc = NULL;
    if (bert_tokenizer_encode(tok, line, strlen(line), NULL, 0, &ep, &enc) != BERT_OK) continue;
    const int32_t* ids = bert_encoding_ids(enc, 0);
    for (size_t i = 0; i < bert_encoding_length(enc, 0); ++i) {
      const char* s = NULL;
      if (bert_tokenizer_id_to_token(tok, ids[i], &s, NULL) == BERT_OK && clean_word(s, strlen(s), word, sizeof word)) {
        counts[ids[i]]++;
      }
    }
    bert_encoding_free(enc);
  }
  if (f) fclose(f);
  int32_t top[5] = {-1, -1, -1, -1, -1};
  for (int k = 0; k < 5; ++k) {
    long best = -1;
    for (size_t id = 0; id < vocab; ++id) {
      int taken = 0;
      for (int j = 0; j < k; ++j) taken |= top[j] == (int32_t)id;
      if (!taken && counts[id] > best) {
        best = counts[id];
        top[k] = (int32_t)id;
      }
    }
  }
  free(counts);

  /* Fill-mask on test sentences: mask one alphabetic single-token word per sentence (the k-th such
   * word, k from a fixed LCG), compare top-5 with the baseline. */
  bert_model* trained = NULL;
  check(bert_model_load(out, &trained), "bert_model_load");
  f = fopen(test_file, "rb");
  bert_fill_mask_params fp;
  check(BERT_FILL_MASK_PARAMS_INIT(&fp), "params init");
  /* The baseline ranks single-token alphabetic words only, so the model is scored two ways: its raw
   * top-5 over the whole vocabulary (pieces, punctuation and special tokens included, as HF's
   * pipeline), and its top-5 among the same candidate set as the baseline (the fair comparison). */
  fp.top_k = 64;
  fp.threads = p.threads;
  long queries = 0, model_hits = 0, unigram_hits = 0, model_top1 = 0, word_hits = 0, word_top1 = 0;
  const long max_queries = argl(argc, argv, "queries", 1000);
  uint32_t x = 2024;
  while (f && queries < max_queries && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    /* candidate words */
    size_t starts[256], lens[256];
    int32_t cand_ids[256];
    int nc = 0;
    for (size_t i = 0; line[i] && nc < 256;) {
      while (line[i] == ' ') ++i;
      size_t j = i;
      while (line[j] && line[j] != ' ') ++j;
      if (j > i && clean_word(line + i, j - i, word, sizeof word)) {
        int32_t id = -1;
        if (bert_tokenizer_token_to_id(tok, word, strlen(word), &id) == BERT_OK && id >= 0) {
          starts[nc] = i;
          lens[nc] = j - i;
          cand_ids[nc] = id;
          ++nc;
        }
      }
      i = j;
    }
    if (nc < 3) continue;
    x = x * 1103515245u + 12345u;
    const int k = (int)((x >> 16) % (uint32_t)nc);
    char masked[8300];
    snprintf(masked, sizeof masked, "%.*s[MASK]%s", (int)starts[k], line, line + starts[k] + lens[k]);
    bert_fill_mask_result* res = NULL;
    if (bert_fill_mask(trained, tok, masked, strlen(masked), &fp, &res) != BERT_OK) {
      fprintf(stderr, "fill_mask: %s\n", bert_last_error());
      continue;
    }
    ++queries;
    const size_t np = bert_fill_mask_result_num_predictions(res, 0, 0);
    int words_seen = 0;
    for (size_t r = 0; r < np; ++r) {
      bert_fill_mask_prediction pr;
      pr.struct_size = sizeof pr;
      if (bert_fill_mask_result_get(res, 0, 0, r, &pr) != BERT_OK) continue;
      if (r < 5 && pr.token_id == cand_ids[k]) {
        ++model_hits;
        if (r == 0) ++model_top1;
      }
      const char* ts = NULL;
      char w2[256];
      if (words_seen < 5 && bert_tokenizer_id_to_token(tok, pr.token_id, &ts, NULL) == BERT_OK &&
          clean_word(ts, strlen(ts), w2, sizeof w2)) {
        if (pr.token_id == cand_ids[k]) {
          ++word_hits;
          if (words_seen == 0) ++word_top1;
        }
        ++words_seen;
      }
    }
    for (int j = 0; j < 5; ++j) unigram_hits += top[j] == cand_ids[k];
    bert_fill_mask_result_free(res);
  }
  if (f) fclose(f);
  const char* s[5] = {"", "", "", "", ""};
  for (int j = 0; j < 5; ++j) bert_tokenizer_id_to_token(tok, top[j], &s[j], NULL);
  printf("{\"fill_mask_queries\":%ld,\"model_top5\":%.4f,\"model_top1\":%.4f,\"model_words_top5\":%.4f,"
         "\"model_words_top1\":%.4f,\"unigram_top5\":%.4f,"
         "\"unigram_words\":[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"]}\n",
         queries, queries ? (double)model_hits / queries : 0, queries ? (double)model_top1 / queries : 0,
         queries ? (double)word_hits / queries : 0, queries ? (double)word_top1 / queries : 0,
         queries ? (double)unigram_hits / queries : 0, s[0], s[1], s[2], s[3], s[4]);
  bert_model_free(trained);
  bert_model_free(m);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_pretrain padding|throughput|experiment tokenizer=DIR train=FILE ...\n");
    return 2;
  }
  const char* tok_dir = arg(argc, argv, "tokenizer", NULL);
  const char* train = arg(argc, argv, "train", NULL);
  if (!tok_dir || !train) {
    fprintf(stderr, "tokenizer=DIR and train=FILE are required\n");
    return 2;
  }
  bert_tokenizer* tok = NULL;
  check(bert_tokenizer_load(tok_dir, &tok), "bert_tokenizer_load");
  const char* files[] = {train};
  bert_trainer_data data;
  check(BERT_TRAINER_DATA_INIT(&data), "data init");
  data.files = files;
  data.num_files = 1;
  int rc = 2;
  if (strcmp(argv[1], "padding") == 0) rc = padding(argc, argv, tok, &data);
  else if (strcmp(argv[1], "throughput") == 0) rc = throughput(argc, argv, tok, &data);
  else if (strcmp(argv[1], "experiment") == 0) rc = experiment(argc, argv, tok, &data);
  else fprintf(stderr, "unknown command %s\n", argv[1]);
  bert_tokenizer_free(tok);
  return rc;
}
