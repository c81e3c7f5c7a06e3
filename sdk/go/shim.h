/* C helpers of the Go binding (package bertc). Declarations only: this header is included by the cgo
 * preambles, one of which has //export functions, so it must not define anything. */
#ifndef BERTC_GO_SHIM_H_
#define BERTC_GO_SHIM_H_

#include <stddef.h>
#include <stdint.h>

#include <bertc.h>

/* The header version this package was compiled against, as a constant cgo can read. */
enum { bertcgo_header_version = BERTC_VERSION_NUMBER };

/* The progress trampoline: exactly bert_progress_fn. user_data carries a cgo.Handle (a uintptr_t),
 * never a Go pointer; it forwards to the exported Go function bertcgoProgress. */
int bertcgo_progress(void* user_data, const bert_event* event);

/* Installs the trampoline with `handle` in a tokenizer params struct (handle 0: no callback). */
void bertcgo_tokenizer_params_set_progress(bert_tokenizer_params* params, uintptr_t handle);

/* bert_trainer_step / bert_trainer_train with the trampoline and `handle` (0: no callback). */
bert_status bertcgo_trainer_step(bert_trainer* trainer, uintptr_t handle, bert_trainer_step_result* out);
bert_status bertcgo_trainer_train(bert_trainer* trainer, uintptr_t handle);

/* Everything about one row of an encoding, gathered in a single cgo call. */
typedef struct bertcgo_row {
  size_t rows; /* bert_encoding_count(enc) */
  size_t length;
  const int32_t* ids;
  const int32_t* type_ids;
  const int32_t* attention_mask;
  const int32_t* special_tokens_mask;
  const bert_offset* offsets;
  const int8_t* sequence_ids;
  size_t input_index;
  int is_overflow;
} bertcgo_row;

void bertcgo_encoding_row(const bert_encoding* enc, size_t row, bertcgo_row* out);

/* An identifier of the calling OS thread (to recognise calls made from inside a progress callback). */
uintptr_t bertcgo_thread_id(void);

#endif /* BERTC_GO_SHIM_H_ */
