/* bert_build_info(): the GEMM backends and kernels in use. On a CPU with AVX2 or AVX-512 the kernels
 * are never the generic SSE ones, whether OpenBLAS recognised the CPU or not, and oneDNN (the dense
 * layers' GEMMs) dispatches to AVX2 or AVX-512 (ctest runs this suite
 * a second time with BERTC_SIMULATE_GENERIC_BLAS=1: bertc must correct a generic pick). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bertc.h"

static int has(const char* json, const char* needle) { return strstr(json, needle) != NULL; }

static void test_build_info_describes_the_backend(void** state) {
  (void)state;
  const char* info = bert_build_info();
  assert_non_null(info);
  printf("%s\n", info);
  assert_int_equal(info[0], '{');
  assert_true(has(info, "\"version\":\"" BERTC_VERSION_STRING "\""));
  assert_true(has(info, "\"blas\":{"));
  assert_true(has(info, "\"kernel\":"));
  assert_true(has(info, "\"isa\":"));
  assert_ptr_equal(bert_build_info(), info); /* static */
  __builtin_cpu_init();
  const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const char* forced = getenv("OPENBLAS_CORETYPE");
  if (avx2 && has(info, "OpenBLAS") && forced == NULL) {
    /* Non-generic kernels on AVX2+ CPUs. */
    assert_true(has(info, "\"generic\":false"));
    assert_false(has(info, "\"kernel\":\"Prescott\""));
    if (getenv("BERTC_SIMULATE_GENERIC_BLAS") != NULL) assert_true(has(info, "\"chosen_by\":\"bertc (OpenBLAS chose Prescott"));
  }
  assert_true(has(info, "\"gemm\":{\"dense\":"));
  if (avx2 && has(info, "\"dense\":\"oneDNN")) {
    /* oneDNN dispatches on the instruction set itself: AVX2 or better here, never SSE4.1/AVX. */
    assert_true(has(info, "\"isa\":\"avx2") || has(info, "\"isa\":\"avx512"));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_build_info_describes_the_backend)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
