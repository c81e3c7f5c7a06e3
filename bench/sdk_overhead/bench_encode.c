/* Call overhead baseline: encode one 12-word sentence through the C API, many times.
 *   bench_encode_c TOKENIZER_DIR [CALLS]
 * Prints {"sdk":"c","us_per_call":X,"calls":N}. Each call reads the ids back, as the SDKs do. */
#define _POSIX_C_SOURCE 200809L
#include <bertc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char kText[] = "The quick brown fox jumps over the lazy dog near the river bank.";

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long encode_once(const bert_tokenizer* tok) {
  bert_encoding* enc = NULL;
  if (bert_tokenizer_encode(tok, kText, sizeof kText - 1, NULL, 0, NULL, &enc) != BERT_OK) {
    fprintf(stderr, "encode: %s\n", bert_last_error());
    exit(1);
  }
  long sum = 0;
  const int32_t* ids = bert_encoding_ids(enc, 0);
  for (size_t i = 0; i < bert_encoding_length(enc, 0); ++i) sum += ids[i];
  bert_encoding_free(enc);
  return sum;
}

int main(int argc, char** argv) {
  if (argc < 2) return fprintf(stderr, "usage: %s TOKENIZER_DIR [CALLS]\n", argv[0]), 2;
  const long calls = argc > 2 ? atol(argv[2]) : 200000;
  bert_tokenizer* tok = NULL;
  if (bert_tokenizer_load(argv[1], &tok) != BERT_OK) return fprintf(stderr, "%s\n", bert_last_error()), 1;
  long sink = 0;
  for (long i = 0; i < calls / 10 + 1; ++i) sink += encode_once(tok); /* warm-up */
  const double t0 = now();
  for (long i = 0; i < calls; ++i) sink += encode_once(tok);
  const double dt = now() - t0;
  printf("{\"sdk\":\"c\",\"us_per_call\":%.3f,\"calls\":%ld,\"checksum\":%ld}\n", dt / (double)calls * 1e6, calls,
         sink % 1000);
  bert_tokenizer_free(tok);
  return 0;
}
