/* GEMM backends on the shapes bertc trains with: OpenBLAS's cblas_sgemm (what LibTorch's addmm runs,
 * with whatever kernel OpenBLAS picked for this CPU) vs oneDNN's dnnl_sgemm (bertc's dense layers; it
 * dispatches on the instruction set). Row-major C[M,N] = op(A) op(B), float32, best of 5 timings.
 *
 *   bench_gemm [threads]      (bench/gemm/run.sh runs it with OpenBLAS's own pick and with the generic
 *                              kernel a CPU newer than OpenBLAS gets: OPENBLAS_CORETYPE=Prescott)
 * No bertc in this process, so OpenBLAS's own kernel choice is what runs. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>

typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                               float*, int);
enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void cpu_model(char* out, size_t n) {
  snprintf(out, n, "unknown");
  FILE* f = fopen("/proc/cpuinfo", "r");
  if (f == NULL) return;
  char line[512];
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "model name", 10) == 0) {
      const char* v = strchr(line, ':');
      if (v != NULL) {
        snprintf(out, n, "%s", v + 2);
        out[strcspn(out, "\n")] = 0;
      }
      break;
    }
  }
  fclose(f);
}

static const char* isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

struct shape {
  const char* name;
  int m, n, k;
  char ta, tb;
};

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 2;
  void* blas = dlopen("libblas.so.3", RTLD_NOW | RTLD_GLOBAL);
  /* POSIX: dlsym's object pointer converted through memcpy (ISO C has no direct cast). */
  cblas_sgemm_fn sgemm = NULL;
  char* (*corename)(void) = NULL;
  void (*set_threads)(int) = NULL;
  if (blas != NULL) {
    void* p = dlsym(blas, "cblas_sgemm");
    memcpy(&sgemm, &p, sizeof p);
    p = dlsym(blas, "openblas_get_corename");
    memcpy(&corename, &p, sizeof p);
    p = dlsym(blas, "openblas_set_num_threads");
    memcpy(&set_threads, &p, sizeof p);
  }
  if (sgemm == NULL) {
    fprintf(stderr, "bench_gemm: libblas.so.3 with cblas_sgemm not found: %s\n", dlerror());
    return 1;
  }
  if (set_threads != NULL) set_threads(threads);
  omp_set_num_threads(threads);
  char cpu[256];
  cpu_model(cpu, sizeof cpu);
  const dnnl_version_t* v = dnnl_version();
  const char* forced = getenv("OPENBLAS_CORETYPE");
  printf("# cpu: %s; threads %d\n# BLAS: %s, kernel %s%s%s%s\n# oneDNN %d.%d.%d, isa %s\n", cpu, threads,
         corename != NULL ? "OpenBLAS" : "libblas.so.3 (not OpenBLAS)", corename != NULL ? corename() : "?",
         forced != NULL ? " (OPENBLAS_CORETYPE=" : "", forced != NULL ? forced : "", forced != NULL ? ")" : "",
         v->major, v->minor, v->patch, isa_name(dnnl_get_effective_cpu_isa()));
  /* demo: ~1,500 real tokens per step (dynamic padding), hidden 128, FFN 512, ~220 masked rows, vocab
   * 8,000; packed: 1,024 tokens, hidden 256, FFN 1,024, ~154 masked rows, vocab 30,522. fwd = x W^T,
   * dX = dY W, dW = dY^T x. */
  const struct shape shapes[] = {
      {"demo qkv fwd", 1500, 384, 128, 'N', 'T'},   {"demo qkv dX", 1500, 128, 384, 'N', 'N'},
      {"demo qkv dW", 384, 128, 1500, 'T', 'N'},    {"demo ffn1 fwd", 1500, 512, 128, 'N', 'T'},
      {"demo ffn2 fwd", 1500, 128, 512, 'N', 'T'},  {"demo ffn1 dW", 512, 128, 1500, 'T', 'N'},
      {"demo ffn2 dX", 1500, 512, 128, 'N', 'N'},   {"demo head fwd", 220, 8000, 128, 'N', 'T'},
      {"demo head dX", 220, 128, 8000, 'N', 'N'},   {"demo head dW", 8000, 128, 220, 'T', 'N'},
      {"pk qkv fwd", 1024, 768, 256, 'N', 'T'},     {"pk ffn1 fwd", 1024, 1024, 256, 'N', 'T'},
      {"pk ffn2 fwd", 1024, 256, 1024, 'N', 'T'},   {"pk ffn1 dW", 1024, 256, 1024, 'T', 'N'},
      {"pk ffn2 dX", 1024, 1024, 256, 'N', 'N'},    {"pk head fwd", 154, 30522, 256, 'N', 'T'},
      {"pk head dW", 30522, 256, 154, 'T', 'N'},    {"1024^3 (peak)", 1024, 1024, 1024, 'N', 'N'},
  };
  const int count = (int)(sizeof shapes / sizeof shapes[0]);
  double sum_blas = 0, sum_dnnl = 0;
  printf("%-14s %6s %6s %6s %2s  %14s %14s %8s\n", "shape", "M", "N", "K", "op", "OpenBLAS GF/s", "oneDNN GF/s",
         "ratio");
  for (int s = 0; s < count; ++s) {
    const struct shape* p = &shapes[s];
    float* a = malloc(sizeof(float) * (size_t)p->m * p->k);
    float* b = malloc(sizeof(float) * (size_t)p->k * p->n);
    float* c = malloc(sizeof(float) * (size_t)p->m * p->n);
    if (a == NULL || b == NULL || c == NULL) {
      fprintf(stderr, "bench_gemm: out of memory\n");
      return 1;
    }
    for (size_t i = 0; i < (size_t)p->m * p->k; ++i) a[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    for (size_t i = 0; i < (size_t)p->k * p->n; ++i) b[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    const int lda = p->ta == 'N' ? p->k : p->m, ldb = p->tb == 'N' ? p->n : p->k;
    const double flops = 2.0 * p->m * p->n * p->k;
    const int iters = flops > 1e9 ? 3 : (int)(1e9 / flops) + 1;
    double best_blas = 1e30, best_dnnl = 1e30;
    for (int rep = 0; rep < 5; ++rep) {
      double t = now();
      for (int i = 0; i < iters; ++i) {
        sgemm(kRowMajor, p->ta == 'N' ? kNoTrans : kTrans, p->tb == 'N' ? kNoTrans : kTrans, p->m, p->n, p->k, 1.f, a,
              lda, b, ldb, 0.f, c, p->n);
      }
      t = (now() - t) / iters;
      if (t < best_blas) best_blas = t;
      t = now();
      for (int i = 0; i < iters; ++i) {
        if (dnnl_sgemm(p->ta, p->tb, p->m, p->n, p->k, 1.f, a, lda, b, ldb, 0.f, c, p->n) != dnnl_success) {
          fprintf(stderr, "bench_gemm: dnnl_sgemm failed on %s\n", p->name);
          return 1;
        }
      }
      t = (now() - t) / iters;
      if (t < best_dnnl) best_dnnl = t;
    }
    if (s + 1 < count) {
      sum_blas += best_blas;
      sum_dnnl += best_dnnl;
    }
    printf("%-14s %6d %6d %6d %c%c  %14.1f %14.1f %7.2fx\n", p->name, p->m, p->n, p->k, p->ta, p->tb,
           flops / best_blas / 1e9, flops / best_dnnl / 1e9, best_blas / best_dnnl);
    free(a);
    free(b);
    free(c);
  }
  printf("all training shapes: OpenBLAS %.2f ms, oneDNN %.2f ms: oneDNN %.2fx\n", sum_blas * 1e3, sum_dnnl * 1e3,
         sum_blas / sum_dnnl);
  return 0;
}
