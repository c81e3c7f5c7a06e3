/* ABI contract: status strings, per-thread last error, versions, NULL-safe frees. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bertc.h"

static void test_status_strings(void** state) {
  (void)state;
  assert_string_equal(bert_status_str(BERT_OK), "ok");
  assert_string_equal(bert_status_str(BERT_ERR_INVALID_ARGUMENT), "invalid argument");
  assert_string_equal(bert_status_str(BERT_ERR_IO), "I/O error");
  assert_string_equal(bert_status_str(BERT_ERR_FORMAT), "corrupt or unexpected file format");
  assert_string_equal(bert_status_str(BERT_ERR_INVALID_UTF8), "invalid UTF-8");
  assert_string_equal(bert_status_str(BERT_ERR_OUT_OF_MEMORY), "out of memory");
  assert_string_equal(bert_status_str(BERT_ERR_CANCELLED), "cancelled");
  assert_string_equal(bert_status_str(BERT_ERR_UNSUPPORTED), "unsupported");
  assert_string_equal(bert_status_str(BERT_ERR_INTERNAL), "internal error");
  assert_string_equal(bert_status_str((bert_status)12345), "unknown status");
  assert_string_equal(bert_status_str((bert_status)-1), "unknown status");
}

static void test_status_values_are_stable(void** state) {
  (void)state;
  assert_int_equal(BERT_OK, 0);
  assert_int_equal(BERT_ERR_INVALID_ARGUMENT, 1);
  assert_int_equal(BERT_ERR_IO, 2);
  assert_int_equal(BERT_ERR_FORMAT, 3);
  assert_int_equal(BERT_ERR_INVALID_UTF8, 4);
  assert_int_equal(BERT_ERR_OUT_OF_MEMORY, 5);
  assert_int_equal(BERT_ERR_CANCELLED, 6);
  assert_int_equal(BERT_ERR_UNSUPPORTED, 7);
  assert_int_equal(BERT_ERR_INTERNAL, 8);
}

static void test_versions(void** state) {
  (void)state;
  assert_int_equal(bert_version_number(), BERTC_VERSION_NUMBER);
  assert_string_equal(bert_version(), BERTC_VERSION_STRING);
  assert_int_equal(BERTC_VERSION_NUMBER,
                   BERTC_VERSION_MAJOR * 10000 + BERTC_VERSION_MINOR * 100 + BERTC_VERSION_PATCH);
}

static void test_last_error_starts_empty(void** state) {
  (void)state;
  assert_non_null(bert_last_error());
  bert_clear_error();
  assert_string_equal(bert_last_error(), "");
}

static void test_check_version(void** state) {
  (void)state;
  assert_int_equal(bert_check_version(BERTC_VERSION_NUMBER), BERT_OK);
  assert_string_equal(bert_last_error(), "");
  /* A header from the next major version must be refused with a message. */
  assert_int_equal(bert_check_version(BERTC_VERSION_NUMBER + 10000), BERT_ERR_UNSUPPORTED);
  assert_non_null(strstr(bert_last_error(), "bert_check_version"));
  /* A newer minor than the library has: refused too (functions may be missing). */
  assert_int_equal(bert_check_version(BERTC_VERSION_NUMBER + 100), BERT_ERR_UNSUPPORTED);
  /* An older minor of the same major: accepted. */
  if (BERTC_VERSION_MINOR > 0) assert_int_equal(bert_check_version(BERTC_VERSION_NUMBER - 100), BERT_OK);
}

static void* thread_reads_error(void* arg) {
  const char** out = (const char**)arg;
  *out = bert_last_error();
  return NULL;
}

static void test_last_error_is_per_thread(void** state) {
  (void)state;
  /* A failing call on this thread must not be visible on another thread. */
  bert_status st = bert_check_version(BERTC_VERSION_NUMBER + 10000);
  assert_int_not_equal(st, BERT_OK);
  const char* mine = bert_last_error();
  assert_true(strlen(mine) > 0);
  const char* theirs = NULL;
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, thread_reads_error, (void*)&theirs), 0);
  pthread_join(t, NULL);
  assert_non_null(theirs);
  assert_string_equal(theirs, "");
  assert_true(strlen(bert_last_error()) > 0);
  bert_clear_error();
  assert_string_equal(bert_last_error(), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_strings),    cmocka_unit_test(test_status_values_are_stable),
      cmocka_unit_test(test_versions),          cmocka_unit_test(test_last_error_starts_empty),
      cmocka_unit_test(test_check_version), cmocka_unit_test(test_last_error_is_per_thread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
