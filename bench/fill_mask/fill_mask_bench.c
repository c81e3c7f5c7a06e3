/* Fill-mask latency and throughput through the public C API.
 *
 *   bench_fill_mask <model_dir> <tokenizer_dir> <threads> <iterations> <batch_size> <queries.txt>
 *
 * Prints one JSON object: single-query latency p50/p95 (ms, over `iterations` calls after warm-up,
 * cycling through the queries of queries.txt) and batch throughput (queries/s for bert_fill_mask_batch of
 * `batch_size` queries, top_k 5). Run by bench/fill_mask/run.sh next to HF's pipeline.
 *
 * `threads` may be a comma-separated list ("0,1,2"): the settings are then measured interleaved in one
 * process (query i runs once with every setting, in an order that rotates with i), so that a noisy or
 * shared machine's drift hits all of them alike, and one JSON object per setting is printed, each with
 * a "threads" member. This is how the busy-host comparison (default vs 1 vs all threads) is taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bertc.h"

/* The query set (bench/fill_mask/queries.txt, shared with hf_fill_mask.py): one query per line. */
enum { kMaxQueries = 64, kMaxQueryBytes = 1024 };
static char kQueryText[kMaxQueries][kMaxQueryBytes];
static const char* kQueries[kMaxQueries];
static int kNumQueries = 0;

static void load_queries(const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL) {
    perror(path);
    exit(1);
  }
  while (kNumQueries < kMaxQueries && fgets(kQueryText[kNumQueries], kMaxQueryBytes, f) != NULL) {
    char* line = kQueryText[kNumQueries];
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] != '\0') kQueries[kNumQueries++] = line;
  }
  fclose(f);
  if (kNumQueries == 0) {
    fprintf(stderr, "%s: no queries\n", path);
    exit(1);
  }
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Process CPU time: at 1 thread it is the work itself, unlike wall time not inflated when other
 * processes take the core (a shared, loaded machine). */
static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static void check(bert_status st, const char* what) {
  if (st != BERT_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, bert_status_str(st), bert_last_error());
    exit(1);
  }
}

enum { kMaxSettings = 8 };

int main(int argc, char** argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s <model_dir> <tokenizer_dir> <threads[,threads...]> <iterations> <batch_size> <queries.txt>\n",
            argv[0]);
    return 2;
  }
  load_queries(argv[6]);
  int settings[kMaxSettings], num_settings = 0;
  for (const char* p = argv[3]; *p != '\0' && num_settings < kMaxSettings;) {
    char* end = NULL;
    const long t = strtol(p, &end, 10);
    if (end == p || t < 0 || t > 1024 || (*end != ',' && *end != '\0')) {
      fprintf(stderr, "threads must be a number or a comma-separated list of numbers: %s\n", argv[3]);
      return 2;
    }
    settings[num_settings++] = (int)t;
    p = *end == ',' ? end + 1 : end;
  }
  const int iterations = atoi(argv[4]), batch = atoi(argv[5]);
  if (iterations < 1 || batch < 1 || num_settings == 0) return 2;
  bert_model* model = NULL;
  bert_tokenizer* tok = NULL;
  check(bert_model_load(argv[1], &model), "bert_model_load");
  check(bert_tokenizer_load(argv[2], &tok), "bert_tokenizer_load");
  bert_fill_mask_params params[kMaxSettings];
  for (int s = 0; s < num_settings; ++s) {
    check(BERT_FILL_MASK_PARAMS_INIT(&params[s]), "params init");
    params[s].threads = (size_t)settings[s];
    params[s].top_k = 5;
  }

  for (int i = 0; i < 5; ++i) { /* warm-up */
    for (int s = 0; s < num_settings; ++s) {
      bert_fill_mask_result* r = NULL;
      check(bert_fill_mask(model, tok, kQueries[i % kNumQueries], strlen(kQueries[i % kNumQueries]), &params[s], &r),
            "bert_fill_mask");
      bert_fill_mask_result_free(r);
    }
  }
  double* lat = malloc(sizeof(double) * (size_t)iterations * (size_t)num_settings);
  double* cpu = malloc(sizeof(double) * (size_t)iterations * (size_t)num_settings);
  for (int i = 0; i < iterations; ++i) {
    for (int k = 0; k < num_settings; ++k) {
      const int s = (i + k) % num_settings; /* rotate: no setting always runs first after a switch */
      bert_fill_mask_result* r = NULL;
      const double c0 = cpu_ms(), t0 = now_ms();
      check(bert_fill_mask(model, tok, kQueries[i % kNumQueries], strlen(kQueries[i % kNumQueries]), &params[s], &r),
            "bert_fill_mask");
      lat[s * iterations + i] = now_ms() - t0;
      cpu[s * iterations + i] = cpu_ms() - c0;
      bert_fill_mask_result_free(r);
    }
  }

  const char** texts = malloc(sizeof(char*) * (size_t)batch);
  for (int i = 0; i < batch; ++i) texts[i] = kQueries[i % kNumQueries];
  for (int s = 0; s < num_settings; ++s) {
    double* l = lat + s * iterations;
    double* c = cpu + s * iterations;
    qsort(l, (size_t)iterations, sizeof(double), cmp_double);
    qsort(c, (size_t)iterations, sizeof(double), cmp_double);
    const double cpu_p50 = c[(iterations - 1) / 2];
    const double p50 = l[(iterations - 1) / 2];
    const double p95 = l[(int)((iterations - 1) * 0.95 + 0.5)];

    bert_fill_mask_result* r = NULL;
    check(bert_fill_mask_batch(model, tok, texts, NULL, (size_t)batch, &params[s], &r), "bert_fill_mask_batch");
    bert_fill_mask_result_free(r); /* warm-up */
    const int rounds = 3;
    const double t0 = now_ms();
    for (int i = 0; i < rounds; ++i) {
      check(bert_fill_mask_batch(model, tok, texts, NULL, (size_t)batch, &params[s], &r), "bert_fill_mask_batch");
      bert_fill_mask_result_free(r);
    }
    const double qps = rounds * batch / ((now_ms() - t0) / 1e3);
    if (num_settings > 1) printf("{\"threads\": %d, ", settings[s]);
    else printf("{");
    printf("\"p50_ms\": %.3f, \"p95_ms\": %.3f, \"batch_qps\": %.2f, \"cpu_p50_ms\": %.3f}\n", p50, p95, qps, cpu_p50);
  }
  free(lat);
  free(cpu);
  free(texts);
  bert_tokenizer_free(tok);
  bert_model_free(model);
  return 0;
}
