// Single-threaded row-major sgemm benchmark: OpenBLAS vs BLIS vs oneDNN.
// OpenBLAS and BLIS both export cblas_sgemm/sgemm_, so both are dlopen()ed
// with RTLD_LOCAL (each resolves its own internal symbols); oneDNN is linked.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <dirent.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dnnl.h>
#include <dnnl_debug.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };  // CBLAS enum values
typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float,
                               const float *, int, const float *, int, float,
                               float *, int);
static cblas_sgemm_fn ob_sgemm, bl_sgemm;

#define NLIB 3
static const char *LIBNAME[NLIB] = {"OpenBLAS", "BLIS", "oneDNN"};

static void gemm(int lib, int ta, int tb, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta,
                 float *C, int ldc) {
  if (lib == 0)
    ob_sgemm(RowMajor, ta ? Trans : NoTrans, tb ? Trans : NoTrans, M, N, K,
             alpha, A, lda, B, ldb, beta, C, ldc);
  else if (lib == 1)
    bl_sgemm(RowMajor, ta ? Trans : NoTrans, tb ? Trans : NoTrans, M, N, K,
             alpha, A, lda, B, ldb, beta, C, ldc);
  else if (dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda,
                      B, ldb, beta, C, ldc) != dnnl_success) {
    fprintf(stderr, "dnnl_sgemm failed\n");
    exit(1);
  }
}

static void *xdlsym(void *h, const char *s) {
  void *p = dlsym(h, s);
  if (!p) { fprintf(stderr, "dlsym %s: %s\n", s, dlerror()); exit(1); }
  return p;
}
static void *xdlopen(const char *env, const char *def) {
  const char *path = getenv(env) ? getenv(env) : def;
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) { fprintf(stderr, "dlopen %s: %s\n", path, dlerror()); exit(1); }
  return h;
}
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
static double cpu_s(clockid_t who) {  // precise (sched_clock) CPU time
  struct timespec t;
  clock_gettime(who, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
static float *alloc(size_t n) {
  float *p = aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64);
  if (!p) { perror("aligned_alloc"); exit(1); }
  for (size_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX * 2.f - 1.f;
  return p;
}
static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
static int count_tasks(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  while ((e = readdir(d))) if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void dump_tasks(void) {  // per-thread CPU ticks (utime+stime)
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof buf, f)) { if (f) fclose(f); continue; }
    fclose(f);
    char *p = strrchr(buf, ')');  // fields after comm
    unsigned long ut = 0, st = 0;
    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    *p = 0;
    printf("  tid %s%s (%s): CPU %.2f s\n", e->d_name,
           atoi(e->d_name) == getpid() ? " [calling thread]" : "",
           strchr(buf, '(') + 1, (ut + st) / (double)sysconf(_SC_CLK_TCK));
  }
  closedir(d);
}

// ---- correctness: every lib, all 4 trans combos, padded ld, alpha/beta != 1
static int check(void) {
  const int M = 37, N = 29, K = 53, pad = 3;
  float alpha = 1.5f, beta = 0.5f;
  int bad = 0;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
      int lda = ac + pad, ldb = bc + pad, ldc = N + pad;
      float *A = alloc((size_t)ar * lda), *B = alloc((size_t)br * ldb);
      float *C0 = alloc((size_t)M * ldc), *C = alloc((size_t)M * ldc);
      for (int lib = 0; lib < NLIB; lib++) {
        memcpy(C, C0, sizeof(float) * M * ldc);
        gemm(lib, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        double maxerr = 0;
        for (int i = 0; i < M; i++)
          for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
              s += (double)(ta ? A[k * lda + i] : A[i * lda + k]) *
                   (tb ? B[j * ldb + k] : B[k * ldb + j]);
            double ref = alpha * s + beta * C0[i * ldc + j];
            double e = fabs(C[i * ldc + j] - ref) / (1 + fabs(ref));
            if (e > maxerr) maxerr = e;
          }
        int ok = maxerr < 1e-5;
        bad += !ok;
        printf("<!-- check %-8s %c%c 37x29x53: max rel err %.2e %s -->\n",
               LIBNAME[lib], ta ? 'T' : 'N', tb ? 'T' : 'N', maxerr,
               ok ? "OK" : "FAIL");
      }
      free(A); free(B); free(C0); free(C);
    }
  return bad;
}

typedef struct { const char *layer; int big, n, M, N, K, ta, tb; float beta; char op[8]; } Shape;

int main(int argc, char **argv) {
  double budget = argc > 1 ? atof(argv[1]) : 0.25;  // seconds per shape per lib
  const int ROUNDS = 5;                              // interleaving rounds

  void *hob = xdlopen("OPENBLAS_LIB", "libopenblas.so.0");
  void *hbl = xdlopen("BLIS_LIB", "libblis.so.4");
  ob_sgemm = (cblas_sgemm_fn)xdlsym(hob, "cblas_sgemm");
  bl_sgemm = (cblas_sgemm_fn)xdlsym(hbl, "cblas_sgemm");
  Dl_info di1, di2;
  dladdr((void *)ob_sgemm, &di1); dladdr((void *)bl_sgemm, &di2);

  // ---- force one thread on the calling thread
  ((void (*)(int))xdlsym(hob, "openblas_set_num_threads"))(1);
  ((void (*)(long))xdlsym(hbl, "bli_thread_set_num_threads"))(1);
  omp_set_num_threads(1);  // oneDNN (Debian: DNNL_CPU_RUNTIME=OMP) + BLIS-openmp

  const dnnl_version_t *v = dnnl_version();
  printf("<!-- OpenBLAS: %s | %s | corename=%s | threads=%d -->\n", di1.dli_fname,
         ((char *(*)(void))xdlsym(hob, "openblas_get_config"))(),
         ((char *(*)(void))xdlsym(hob, "openblas_get_corename"))(),
         ((int (*)(void))xdlsym(hob, "openblas_get_num_threads"))());
  printf("<!-- BLIS: %s | %s | arch=%s | openmp=%ld -->\n", di2.dli_fname,
         ((const char *(*)(void))xdlsym(hbl, "bli_info_get_version_str"))(),
         ((const char *(*)(int))xdlsym(hbl, "bli_arch_string"))(
             ((int (*)(void))xdlsym(hbl, "bli_arch_query_id"))()),
         ((long (*)(void))xdlsym(hbl, "bli_info_get_enable_openmp"))());
  printf("<!-- oneDNN: %d.%d.%d (%s) cpu_runtime=%u isa=%s omp_max_threads=%d -->\n",
         v->major, v->minor, v->patch, v->hash, v->cpu_runtime,
         dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()), omp_get_max_threads());

  int bad = check();

  // ---- shapes
  Shape sh[128];
  int ns = 0;
  struct { const char *name; int in, out, big; } L[] = {
      {"784->1024", 784, 1024, 1}, {"1024->1024", 1024, 1024, 1},
      {"1024->10", 1024, 10, 1},   {"64->128", 64, 128, 0},
      {"128->10", 128, 10, 0}};
  int NS[] = {16, 64, 256, 512};
  for (int l = 0; l < 5; l++)
    for (int i = 0; i < 4; i++) {
      int n = NS[i], in = L[l].in, out = L[l].out;
      sh[ns++] = (Shape){L[l].name, L[l].big, n, n, out, in, 0, 0, 0.f, "fwd"};
      sh[ns++] = (Shape){L[l].name, L[l].big, n, in, out, n, 1, 0, 1.f, "dW"};
      sh[ns++] = (Shape){L[l].name, L[l].big, n, n, in, out, 0, 1, 0.f, "dX"};
    }
  sh[ns++] = (Shape){"square", -1, 0, 1024, 1024, 1024, 0, 0, 0.f, "NN"};

  double other_cpu[NLIB] = {0}, lib_cpu[NLIB] = {0};
  int max_tasks = count_tasks();
  double lg[3][NLIB] = {{0}};  // log-sum: all, big MLP, small-n (n<=64, MLP)
  int cnt[3] = {0};

  printf("\n| shape (layer, n, op: M x N x K, tA tB) | OpenBLAS | BLIS | oneDNN |\n");
  printf("|---|---:|---:|---:|\n");
  for (int s = 0; s < ns; s++) {
    Shape *S = &sh[s];
    int M = S->M, N = S->N, K = S->K;
    int ar = S->ta ? K : M, ac = S->ta ? M : K, br = S->tb ? N : K, bc = S->tb ? K : N;
    float *A = alloc((size_t)ar * ac), *B = alloc((size_t)br * bc);
    float *C = alloc((size_t)M * N);
    double flop = 2.0 * M * N * K;
    // calibrate: calls per sample so one sample >= ~100us; warm-up
    long reps[NLIB];
    for (int lib = 0; lib < NLIB; lib++) {
      for (int w = 0; w < 3; w++)
        gemm(lib, S->ta, S->tb, M, N, K, 1.f, A, ac, B, bc, S->beta, C, N);
      double t0 = now(); int c = 0;
      do { gemm(lib, S->ta, S->tb, M, N, K, 1.f, A, ac, B, bc, S->beta, C, N); c++; }
      while (now() - t0 < 0.01);
      double per = (now() - t0) / c;
      reps[lib] = per > 1e-4 ? 1 : (long)(1e-4 / per) + 1;
    }
    double *samp[NLIB]; int nsamp[NLIB] = {0};
    for (int lib = 0; lib < NLIB; lib++) samp[lib] = malloc(sizeof(double) * 200000);
    for (int r = 0; r < ROUNDS; r++)
      for (int lib = 0; lib < NLIB; lib++) {
        double c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID), t0c = cpu_s(CLOCK_THREAD_CPUTIME_ID);
        double tend = now() + budget / ROUNDS;
        do {
          double t0 = now();
          for (long i = 0; i < reps[lib]; i++)
            gemm(lib, S->ta, S->tb, M, N, K, 1.f, A, ac, B, bc, S->beta, C, N);
          double t1 = now();
          samp[lib][nsamp[lib]++] = (t1 - t0) / reps[lib];
          if (t1 > tend && nsamp[lib] >= 3 * (r + 1)) break;
        } while (nsamp[lib] < 200000);
        double dt = cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0c;
        lib_cpu[lib] += dt;
        other_cpu[lib] += (cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c0) - dt;
        int t = count_tasks(); if (t > max_tasks) max_tasks = t;
      }
    char name[96];
    if (S->big < 0) snprintf(name, sizeof name, "square 1024^3, NN");
    else snprintf(name, sizeof name, "%s n=%d %s: %dx%dx%d %c%c", S->layer, S->n, S->op,
                  M, N, K, S->ta ? 'T' : 'N', S->tb ? 'T' : 'N');
    printf("| %s |", name);
    for (int lib = 0; lib < NLIB; lib++) {
      qsort(samp[lib], nsamp[lib], sizeof(double), cmpd);
      double gf = flop / samp[lib][nsamp[lib] / 2] * 1e-9;
      printf(" %.1f |", gf);
      lg[0][lib] += log(gf);
      if (S->big == 1) lg[1][lib] += log(gf);
      if (S->big >= 0 && S->n <= 64) lg[2][lib] += log(gf);
      free(samp[lib]);
    }
    cnt[0]++; if (S->big == 1) cnt[1]++; if (S->big >= 0 && S->n <= 64) cnt[2]++;
    printf("\n");
    fflush(stdout);
    free(A); free(B); free(C);
  }
  const char *gname[3] = {"all shapes", "large-MLP shapes (784/1024 layers)", "small-n shapes (n<=64)"};
  for (int g = 0; g < 3; g++) {
    printf("| **geomean, %s (%d)** |", gname[g], cnt[g]);
    for (int lib = 0; lib < NLIB; lib++) printf(" **%.1f** |", exp(lg[g][lib] / cnt[g]));
    printf("\n");
  }
  printf("\nGeomean GFLOP/s: all %d shapes: OpenBLAS %.1f, BLIS %.1f, oneDNN %.1f; "
         "large-MLP %d shapes: OpenBLAS %.1f, BLIS %.1f, oneDNN %.1f\n",
         cnt[0], exp(lg[0][0] / cnt[0]), exp(lg[0][1] / cnt[0]), exp(lg[0][2] / cnt[0]),
         cnt[1], exp(lg[1][0] / cnt[1]), exp(lg[1][1] / cnt[1]), exp(lg[1][2] / cnt[1]));
  printf("\nThreading check: max tasks in /proc/self/task = %d (1 = calling thread only; an extra idle task is OpenBLAS's pthread pool unless OPENBLAS_NUM_THREADS=1)\n",
         max_tasks);
  for (int lib = 0; lib < NLIB; lib++)
    printf("  %-8s: calling-thread CPU %.2f s, CPU used by other threads %.3f s\n",
           LIBNAME[lib], lib_cpu[lib], other_cpu[lib]);
  dump_tasks();
  printf("Correctness vs naive double reference: %s\n", bad ? "FAILED" : "all OK");
  return bad ? 1 : 0;
}
