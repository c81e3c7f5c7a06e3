/* C helpers of the Go binding: the progress trampoline and a few call batchers. */
#include <pthread.h>

#include "_cgo_export.h"
#include "shim.h"

int bertcgo_progress(void* user_data, const bert_event* event) {
  /* Go's exported functions cannot take a const pointer; the Go side only reads the event. */
  return bertcgoProgress((uintptr_t)user_data, (bert_event*)event);
}

void bertcgo_tokenizer_params_set_progress(bert_tokenizer_params* params, uintptr_t handle) {
  params->progress = handle != 0 ? bertcgo_progress : NULL;
  params->progress_user_data = (void*)handle;
}

bert_status bertcgo_trainer_step(bert_trainer* trainer, uintptr_t handle, bert_trainer_step_result* out) {
  return bert_trainer_step(trainer, handle != 0 ? bertcgo_progress : NULL, (void*)handle, out);
}

bert_status bertcgo_trainer_train(bert_trainer* trainer, uintptr_t handle) {
  return bert_trainer_train(trainer, handle != 0 ? bertcgo_progress : NULL, (void*)handle);
}

void bertcgo_encoding_row(const bert_encoding* enc, size_t row, bertcgo_row* out) {
  out->rows = bert_encoding_count(enc);
  out->length = bert_encoding_length(enc, row);
  out->ids = bert_encoding_ids(enc, row);
  out->type_ids = bert_encoding_type_ids(enc, row);
  out->attention_mask = bert_encoding_attention_mask(enc, row);
  out->special_tokens_mask = bert_encoding_special_tokens_mask(enc, row);
  out->offsets = bert_encoding_offsets(enc, row);
  out->sequence_ids = bert_encoding_sequence_ids(enc, row);
  out->input_index = bert_encoding_input_index(enc, row);
  out->is_overflow = bert_encoding_is_overflow(enc, row);
}

uintptr_t bertcgo_thread_id(void) { return (uintptr_t)pthread_self(); }
