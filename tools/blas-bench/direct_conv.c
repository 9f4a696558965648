// A convolution's forward pass two ways, single-threaded, on the shapes of the benchmark
// models: a direct kernel (weights broadcast, output rows vectorised, four filters per pass so
// each input row loaded serves four outputs) against im2col into a chunk's columns plus one
// OpenBLAS sgemm (what Batchwise runs). Output: the time per sample of each and their ratio.
// Build and run:
//   gcc -O3 -march=native -std=c11 tools/blas-bench/direct_conv.c -o /tmp/dc -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas
//   OPENBLAS_NUM_THREADS=1 /tmp/dc
#define _POSIX_C_SOURCE 199309L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { const char *name; int c, h, w, f, k, stride, pad, samples; } conv;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int out_size(int n, int k, int s, int p) { return (n + 2 * p - k) / s + 1; }

// y [n × F × OH × OW] = W ∗ x + b, directly; 1-D layers have h = 1 and a 1 × k kernel.
static void direct(const conv *g, int kh, const float *restrict x, const float *restrict wt, const float *restrict b,
                   float *restrict y, int n) {
    const int oh = out_size(g->h, kh, kh == 1 ? 1 : g->stride, kh == 1 ? 0 : g->pad), ow = out_size(g->w, g->k, g->stride, g->pad);
    const int sh = kh == 1 ? 1 : g->stride, ph = kh == 1 ? 0 : g->pad;
    for (int s = 0; s < n; s++) {
        for (int f0 = 0; f0 < g->f; f0 += 4) {
            const int fb = g->f - f0 < 4 ? g->f - f0 : 4;
            float *out[4];
            for (int q = 0; q < fb; q++) {
                out[q] = y + ((size_t)s * g->f + f0 + q) * oh * ow;
                for (int i = 0; i < oh * ow; i++) out[q][i] = b[f0 + q];
            }
            for (int c = 0; c < g->c; c++) {
                const float *plane = x + ((size_t)s * g->c + c) * g->h * g->w;
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < g->k; kj++) {
                        float wq[4];
                        for (int q = 0; q < fb; q++) wq[q] = wt[(((size_t)(f0 + q) * g->c + c) * kh + ki) * g->k + kj];
                        for (int r = 0; r < oh; r++) {
                            const int ih = r * sh - ph + ki;
                            if (ih < 0 || ih >= g->h) continue;
                            const float *row = plane + ih * g->w;
                            int lo = 0, hi = ow;
                            while (lo < ow && lo * g->stride - g->pad + kj < 0) lo++;
                            while (hi > lo && (hi - 1) * g->stride - g->pad + kj >= g->w) hi--;
                            for (int q = 0; q < fb; q++) {
                                float *restrict o = out[q] + r * ow;
                                const float v = wq[q];
                                if (g->stride == 1) {
                                    const float *restrict in = row - g->pad + kj;
                                    for (int j = lo; j < hi; j++) o[j] += v * in[j];
                                } else {
                                    for (int j = lo; j < hi; j++) o[j] += v * row[j * g->stride - g->pad + kj];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

// im2col of one sample into columns [K × P], then Ŷ [F × P] = W · X̂ and the bias: Batchwise's
// one-sample chunk (its larger chunks only interleave samples).
static void gemm_path(const conv *g, int kh, const float *x, const float *wt, const float *b, float *y, int n, float *cols) {
    const int oh = out_size(g->h, kh, kh == 1 ? 1 : g->stride, kh == 1 ? 0 : g->pad), ow = out_size(g->w, g->k, g->stride, g->pad);
    const int sh = kh == 1 ? 1 : g->stride, ph = kh == 1 ? 0 : g->pad, p = oh * ow, kk = g->c * kh * g->k;
    for (int s = 0; s < n; s++) {
        const float *xs = x + (size_t)s * g->c * g->h * g->w;
        for (int c = 0; c < g->c; c++)
            for (int ki = 0; ki < kh; ki++)
                for (int kj = 0; kj < g->k; kj++) {
                    float *d = cols + ((size_t)(c * kh + ki) * g->k + kj) * p;
                    for (int r = 0; r < oh; r++) {
                        const int ih = r * sh - ph + ki;
                        for (int j = 0; j < ow; j++) {
                            const int iw = j * g->stride - g->pad + kj;
                            d[r * ow + j] = ih < 0 || ih >= g->h || iw < 0 || iw >= g->w ? 0 : xs[(c * g->h + ih) * g->w + iw];
                        }
                    }
                }
        float *ys = y + (size_t)s * g->f * p;
        for (int f = 0; f < g->f; f++)
            for (int i = 0; i < p; i++) ys[f * p + i] = b[f];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->f, p, kk, 1, wt, kk, cols, p, 1, ys, p);
    }
}

int main(void) {
    static const conv shapes[] = {
        {"LeNet-5 conv1", 1, 28, 28, 6, 5, 1, 2, 32},   {"LeNet-5 conv2", 6, 14, 14, 16, 5, 1, 0, 32},
        {"CIFAR conv1", 3, 32, 32, 32, 3, 1, 1, 8},     {"CIFAR conv2", 32, 32, 32, 32, 3, 1, 1, 8},
        {"CIFAR conv4", 64, 16, 16, 64, 3, 1, 1, 8},    {"1-D CNN conv1", 1, 1, 40, 25, 5, 2, 1, 50},
        {"1-D CNN conv2", 25, 1, 19, 25, 3, 2, 1, 50},  {"1-D CNN conv3", 25, 1, 10, 25, 3, 2, 1, 50},
    };
    printf("%-15s %12s %12s %8s\n", "layer", "direct", "im2col+gemm", "ratio");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const conv *g = &shapes[i];
        const int kh = g->h == 1 ? 1 : g->k, n = g->samples;
        const int oh = out_size(g->h, kh, kh == 1 ? 1 : g->stride, kh == 1 ? 0 : g->pad), ow = out_size(g->w, g->k, g->stride, g->pad);
        const size_t xs = (size_t)n * g->c * g->h * g->w, ys = (size_t)n * g->f * oh * ow, ws = (size_t)g->f * g->c * kh * g->k;
        float *x = malloc(xs * 4), *w = malloc(ws * 4), *b = malloc(g->f * 4), *y1 = malloc(ys * 4), *y2 = malloc(ys * 4);
        float *cols = malloc((size_t)g->c * kh * g->k * oh * ow * 4);
        for (size_t j = 0; j < xs; j++) x[j] = (float)((j * 7919) % 1000) / 1000 - 0.5f;
        for (size_t j = 0; j < ws; j++) w[j] = (float)((j * 104729) % 1000) / 1000 - 0.5f;
        for (int j = 0; j < g->f; j++) b[j] = 0.1f * j;
        double best[2] = {1e9, 1e9};
        for (int rep = 0; rep < 7; rep++) {
            for (int which = 0; which < 2; which++) {
                int calls = 0;
                double start = now(), t;
                do {
                    if (which == 0) direct(g, kh, x, w, b, y1, n); else gemm_path(g, kh, x, w, b, y2, n, cols);
                    calls++;
                    t = now() - start;
                } while (t < 0.02);
                if (t / calls < best[which]) best[which] = t / calls;
            }
        }
        double worst = 0;
        for (size_t j = 0; j < ys; j++) {
            const double d = y1[j] - y2[j];
            if ((d < 0 ? -d : d) > worst) worst = d < 0 ? -d : d;
        }
        printf("%-15s %9.2f µs %9.2f µs %7.2fx  (per sample; outputs agree to %.1e)\n", g->name, best[0] / n * 1e6,
               best[1] / n * 1e6, best[0] / best[1], worst);
        free(x), free(w), free(b), free(y1), free(y2), free(cols);
    }
    return 0;
}
