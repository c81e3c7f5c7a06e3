/* libbertc's front library (see front.c): what the generated forwarding functions need. */
#ifndef BERTC_FRONT_FRONT_H_
#define BERTC_FRONT_FRONT_H_

#include <stddef.h>
#include <string.h>

#include "bertc.h"

/* The implementation's function number `index` (the order of bertc_front_names), loading the
 * implementation on the first call; NULL when it could not be loaded. */
void* bertc_front_resolve(size_t index);

/* The failure path: sets nothing, returns BERT_ERR_UNSUPPORTED (the reason is bert_last_error()). */
bert_status bertc_front_unavailable(const char* function);
const char* bertc_front_error(void);
const char* bertc_front_status_str(bert_status status);

extern const char* const bertc_front_names[];
extern const size_t bertc_front_num_functions;

#endif /* BERTC_FRONT_FRONT_H_ */
