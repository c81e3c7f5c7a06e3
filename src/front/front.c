/* libbertc's front library: libbertc.so.1 as applications link it, without LibTorch.
 *
 * Why: two LibTorch builds in one process collide (a Python program that imports PyPI's torch 2.x, a
 * C++ engine with its own LibTorch). Their C++ inline-function statics (c10::Dispatcher's singleton
 * and ~100 others) are STB_GNU_UNIQUE symbols, which the dynamic linker binds process-wide to the
 * first definition whatever the loading flags, so one Torch's start-up code registers operators into
 * the other's objects and the host dies (SIGSEGV / abort). bertc therefore keeps its LibTorch in its
 * own copies (<libdir>/bertc-torch/, UNIQUE bindings rewritten to GLOBAL at build time by
 * scripts/isolate_torch.py), and the implementation (libbertc-impl.so.1) is loaded by this front on
 * the first bertc call: RTLD_LOCAL, plus RTLD_DEEPBIND when another c10 is in the global scope (a C/C++
 * host linked with its own LibTorch), so that bertc's symbols never resolve to the host's Torch.
 *
 * The front also detects what cannot work and says so instead of crashing: another Torch present
 * while bertc's copies are missing or not rewritten, DEEPBIND needed under AddressSanitizer (which
 * refuses it). Every bertc call then returns BERT_ERR_UNSUPPORTED, and bert_last_error() names both
 * Torch versions and what to do.
 *
 * Environment (for tests and unusual layouts): BERTC_IMPL_LIBRARY (path of the implementation),
 * BERTC_TORCH_DIR (bertc's LibTorch copies), BERTC_DEEPBIND=0/1 (override the choice),
 * BERTC_FRONT_DEBUG=1 (print the probe to stderr). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front/front.h"

#ifndef BERTC_IMPL_SONAME
#define BERTC_IMPL_SONAME "libbertc-impl.so.1"
#endif
/* The SONAME suffix of the LibTorch bertc was built against (Debian: libc10.so.1.13). */
#ifndef BERTC_TORCH_SONAME_SUFFIX
#define BERTC_TORCH_SONAME_SUFFIX ".so.1.13"
#endif
#ifndef BERTC_TORCH_VERSION
#define BERTC_TORCH_VERSION "1.13"
#endif

static void** g_table;
static char g_message[8192];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* ---- what is loaded: foreign Torch libraries ------------------------------------------------------ */

struct probe {
  char text[4096];
  size_t len;
  int foreign;          /* a libc10/libtorch_cpu that is not bertc's LibTorch */
  char foreign_version[64];
  char foreign_path[PATH_MAX];
};

/* Copies s into out[n], cutting it when longer. */
static void copy_str(char* out, size_t n, const char* s) {
  size_t l = strlen(s);
  if (l >= n) l = n - 1;
  memcpy(out, s, l);
  out[l] = '\0';
}

static const char* soname_of(struct dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
    const ElfW(Dyn)* d = (const ElfW(Dyn)*)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    const char* strtab = NULL;
    ElfW(Xword) so = 0;
    int has = 0;
    for (; d->d_tag != DT_NULL; ++d) {
      if (d->d_tag == DT_STRTAB) strtab = (const char*)d->d_un.d_ptr; /* relocated by ld.so */
      if (d->d_tag == DT_SONAME) {
        so = d->d_un.d_val;
        has = 1;
      }
    }
    if (strtab != NULL && has) return strtab + so;
  }
  return NULL;
}

/* Torch version of a loaded libc10: a PyPI wheel (<torch>/lib/x.so, <torch>/version.py), a LibTorch
 * distribution (<root>/lib/x.so, <root>/build-version), else the SONAME's version. */
static void version_of(const char* path, const char* soname, char* out, size_t n) {
  char dir[PATH_MAX], file[PATH_MAX + 32], line[256];
  snprintf(out, n, "unknown");
  if (soname != NULL && strstr(soname, ".so.") != NULL) copy_str(out, n, strstr(soname, ".so.") + 4);
  if (realpath(path, dir) == NULL) return;
  for (int up = 0; up < 2; ++up) {
    char* slash = strrchr(dir, '/');
    if (slash == NULL) return;
    *slash = '\0';
  }
  snprintf(file, sizeof file, "%s/version.py", dir);
  FILE* f = fopen(file, "r");
  if (f != NULL) {
    while (fgets(line, sizeof line, f) != NULL) {
      char* q = strstr(line, "__version__ = '");
      if (q != NULL) {
        q += 15;
        char* e = strchr(q, '\'');
        if (e != NULL) *e = '\0';
        copy_str(out, n, q);
        break;
      }
    }
    fclose(f);
    return;
  }
  snprintf(file, sizeof file, "%s/build-version", dir);
  if ((f = fopen(file, "r")) != NULL) {
    if (fgets(line, sizeof line, f) != NULL) {
      line[strcspn(line, "\n")] = '\0';
      copy_str(out, n, line);
    }
    fclose(f);
  }
}

static int probe_one(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  struct probe* p = data;
  const char* path = info->dlpi_name;
  const char* base = strrchr(path, '/');
  base = base != NULL ? base + 1 : path;
  if (strncmp(base, "libc10.so", 9) != 0 && strncmp(base, "libtorch_cpu.so", 15) != 0) return 0;
  const char* so = soname_of(info);
  const size_t sl = so != NULL ? strlen(so) : 0, el = strlen(BERTC_TORCH_SONAME_SUFFIX);
  const int ours = so != NULL && sl > el && strcmp(so + sl - el, BERTC_TORCH_SONAME_SUFFIX) == 0;
  char version[64];
  version_of(path, so, version, sizeof version);
  if (!ours && !p->foreign) {
    p->foreign = 1;
    copy_str(p->foreign_version, sizeof p->foreign_version, version);
    copy_str(p->foreign_path, sizeof p->foreign_path, path);
  }
  if (p->len < sizeof p->text) {
    p->len += (size_t)snprintf(p->text + p->len, sizeof p->text - p->len, "  %s %s (SONAME %s, Torch %s)\n",
                               ours ? "bertc's:" : "other:  ", path, so != NULL ? so : "-", version);
  }
  return 0;
}

/* 1 when the ELF file defines STB_GNU_UNIQUE dynamic symbols, 0 when not, -1 when unreadable. */
static int has_unique_symbols(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return -1;
  Elf64_Ehdr eh;
  int found = 0, ok = fread(&eh, sizeof eh, 1, f) == 1 && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0;
  for (int i = 0; ok && i < eh.e_shnum && !found; ++i) {
    Elf64_Shdr sh;
    if (fseek(f, (long)(eh.e_shoff + (Elf64_Off)i * eh.e_shentsize), SEEK_SET) != 0 || fread(&sh, sizeof sh, 1, f) != 1) {
      ok = 0;
      break;
    }
    if (sh.sh_type != SHT_DYNSYM || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
    const size_t n = sh.sh_size / sizeof(Elf64_Sym);
    Elf64_Sym* syms = malloc(sh.sh_size);
    if (syms == NULL || fseek(f, (long)sh.sh_offset, SEEK_SET) != 0 || fread(syms, sizeof(Elf64_Sym), n, f) != n) {
      free(syms);
      ok = 0;
      break;
    }
    for (size_t k = 0; k < n && !found; ++k) {
      found = ELF64_ST_BIND(syms[k].st_info) == STB_GNU_UNIQUE && syms[k].st_shndx != SHN_UNDEF;
    }
    free(syms);
  }
  fclose(f);
  return ok ? found : -1;
}

/* ---- loading the implementation ------------------------------------------------------------------- */

static void fail(const char* fmt, const char* a, const char* b, const char* c, const char* d) {
  /* A message longer than the buffer is cut (the probe listing comes last). */
  if (snprintf(g_message, sizeof g_message, fmt, a, b, c, d) < 0) g_message[0] = '\0';
  g_table = NULL;
}

static void load(void) {
  Dl_info self;
  char dir[PATH_MAX] = ".";
  /* Any address inside this library will do: a data object avoids a function-to-object pointer cast. */
  if (dladdr((const void*)&g_once, &self) != 0 && self.dli_fname != NULL) {
    snprintf(dir, sizeof dir, "%s", self.dli_fname);
    char* slash = strrchr(dir, '/');
    if (slash != NULL) *slash = '\0'; else snprintf(dir, sizeof dir, ".");
  }
  char impl[PATH_MAX + 64], torch_dir[PATH_MAX + 64], torch_cpu[PATH_MAX + 128];
  const char* env_impl = getenv("BERTC_IMPL_LIBRARY");
  const char* env_torch = getenv("BERTC_TORCH_DIR");
  if (env_impl != NULL && *env_impl != '\0') {
    snprintf(impl, sizeof impl, "%s", env_impl);
  } else {
    snprintf(impl, sizeof impl, "%s/%s", dir, BERTC_IMPL_SONAME);
  }
  if (env_torch != NULL && *env_torch != '\0') {
    snprintf(torch_dir, sizeof torch_dir, "%s", env_torch);
  } else {
    snprintf(torch_dir, sizeof torch_dir, "%s/bertc-torch", dir);
  }
  snprintf(torch_cpu, sizeof torch_cpu, "%s/libtorch_cpu%s", torch_dir, BERTC_TORCH_SONAME_SUFFIX);

  struct probe p;
  memset(&p, 0, sizeof p);
  dl_iterate_phdr(probe_one, &p);
  int deep = 0;
  if (p.foreign) {
    /* A c10 of the other Torch in the global scope would satisfy bertc's symbol lookups first. */
    void* s = dlsym(RTLD_DEFAULT, "_ZN3c1019UndefinedTensorImpl10_singletonE");
    Dl_info di;
    deep = s != NULL && dladdr(s, &di) != 0 && di.dli_fname != NULL && strstr(di.dli_fname, BERTC_TORCH_SONAME_SUFFIX) == NULL;
    const int unique = has_unique_symbols(torch_cpu);
    if (unique != 0) {
      fail("another Torch is loaded in this process (Torch %s, %s), and bertc's own LibTorch %s copies, which "
           "let it run beside another Torch, are %s; reinstall bertc with its bertc-torch/ directory "
           "(cmake -DBERTC_ISOLATE_TORCH=ON), or use the Torch bertc was built against (Debian's "
           "python3-torch / libtorch1.13) in this process",
           p.foreign_version, p.foreign_path, BERTC_TORCH_VERSION,
           unique < 0 ? "missing (no bertc-torch/libtorch_cpu next to libbertc)" : "not isolated (STB_GNU_UNIQUE symbols)");
      return;
    }
    if (deep && dlsym(RTLD_DEFAULT, "__asan_init") != NULL) {
      fail("another Torch (%s, %s) is linked into this program, and bertc would need RTLD_DEEPBIND to keep apart "
           "from it, which AddressSanitizer refuses; run without ASan, or load that Torch with RTLD_LOCAL%s%s",
           p.foreign_version, p.foreign_path, "", "");
      return;
    }
  }
  const char* env_deep = getenv("BERTC_DEEPBIND");
  if (env_deep != NULL && *env_deep != '\0') deep = atoi(env_deep) != 0;
  if (getenv("BERTC_FRONT_DEBUG") != NULL) {
    fprintf(stderr, "bertc front: implementation %s, torch copies %s, deepbind %d\n%s", impl, torch_dir, deep, p.text);
  }
  void* handle = dlopen(impl, RTLD_NOW | RTLD_LOCAL | (deep ? RTLD_DEEPBIND : 0));
  if (handle == NULL) {
    const char* why = dlerror();
    fail("cannot load bertc's implementation %s: %s%s%s", impl, why != NULL ? why : "?", p.foreign ? "\nTorch libraries loaded:\n" : "",
         p.foreign ? p.text : "");
    return;
  }
  void** table = calloc(bertc_front_num_functions, sizeof *table);
  if (table == NULL) {
    fail("out of memory loading %s%s%s%s", impl, "", "", "");
    return;
  }
  for (size_t i = 0; i < bertc_front_num_functions; ++i) {
    table[i] = dlsym(handle, bertc_front_names[i]);
    Dl_info where;
    /* Refuse a library that resolves back into this front (e.g. BERTC_IMPL_LIBRARY naming the front). */
    if (table[i] == NULL || (dladdr(table[i], &where) != 0 && where.dli_fbase == self.dli_fbase)) {
      fail("bertc's implementation %s lacks %s (it is older than this libbertc %s)%s", impl, bertc_front_names[i],
           BERTC_VERSION_STRING, "");
      free(table);
      return;
    }
  }
  g_table = table;
}

void* bertc_front_resolve(size_t index) {
  pthread_once(&g_once, load);
  return g_table != NULL ? g_table[index] : NULL;
}

bert_status bertc_front_unavailable(const char* function) {
  (void)function;
  return BERT_ERR_UNSUPPORTED;
}

const char* bertc_front_error(void) { return g_message; }

const char* bertc_front_status_str(bert_status status) {
  switch (status) {
    case BERT_OK: return "ok";
    case BERT_ERR_INVALID_ARGUMENT: return "invalid argument";
    case BERT_ERR_IO: return "I/O error";
    case BERT_ERR_FORMAT: return "corrupt or unexpected file format";
    case BERT_ERR_INVALID_UTF8: return "invalid UTF-8";
    case BERT_ERR_OUT_OF_MEMORY: return "out of memory";
    case BERT_ERR_CANCELLED: return "cancelled";
    case BERT_ERR_UNSUPPORTED: return "unsupported";
    case BERT_ERR_INTERNAL: return "internal error";
    case BERT_ERR_LIMIT: return "limit exceeded";
  }
  return "unknown status";
}
