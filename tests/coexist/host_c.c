/* A C host whose executable also links another LibTorch (a Python torch's libtorch_cpu + libc10; no
 * C++ headers needed): that Torch's static initialisers run and its symbols sit in the global scope, as
 * in a LibTorch C++ program. bertc must work (RESULT lines equal to a process without that Torch) or
 * fail cleanly with BERT_ERR_UNSUPPORTED at its first call (exit 3), never crash.
 *   host_c MODEL_DIR */
#include <stdio.h>
#include <string.h>

#include "bertc.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  bert_status st = bert_check_version(BERTC_VERSION_NUMBER);
  bert_tokenizer* tok = NULL;
  bert_model* m = NULL;
  bert_fill_mask_result* r = NULL;
  if (st == BERT_OK) st = bert_tokenizer_load(argv[1], &tok);
  if (st == BERT_OK) st = bert_model_load(argv[1], &m);
  bert_fill_mask_params p;
  if (st == BERT_OK) st = BERT_FILL_MASK_PARAMS_INIT(&p);
  p.top_k = 3;
  const char* text = "the first [MASK] in the state";
  if (st == BERT_OK) st = bert_fill_mask(m, tok, text, strlen(text), &p, &r);
  if (st != BERT_OK) {
    printf("FAILED %s: %s\n", bert_status_str(st), bert_last_error());
    return st == BERT_ERR_UNSUPPORTED ? 3 : 1;
  }
  for (size_t k = 0; k < 3; ++k) {
    bert_fill_mask_prediction pr;
    pr.struct_size = sizeof pr;
    if (bert_fill_mask_result_get(r, 0, 0, k, &pr) != BERT_OK) return 1;
    printf("RESULT %s %a\n", pr.token, (double)pr.score);
  }
  bert_fill_mask_result_free(r);
  bert_model_free(m);
  bert_tokenizer_free(tok);
  return 0;
}
