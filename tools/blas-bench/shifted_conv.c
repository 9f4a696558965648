// The shifted products (Sources/Batchwise/Model/Layers/ConvolutionShifted.swift) against
// im2col + sgemm on the CIFAR-shaped net's four 3 × 3 convolutions (padding 1), one sample,
// single-threaded: forward, the weight gradient and the input gradient, each with the copies it
// needs (im2col, col2im, the padding and cropping of bw_pad_planes / bw_crop_planes). Minimum
// over 100 interleaved rounds of 4 calls, in µs a call. Build against the project's kernels:
//   clang -O2 -ISources/CBatchwiseKernels/include -I/usr/include/x86_64-linux-gnu/openblas-pthread \
//       tools/blas-bench/shifted_conv.c Sources/CBatchwiseKernels/layers.c Sources/CBatchwiseKernels/kernels.c \
//       -lopenblas -lm -o /tmp/shifted-conv
//   OPENBLAS_NUM_THREADS=1 /tmp/shifted-conv
#include "CBatchwiseKernels.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

enum { FORWARD_IM2COL, FORWARD_SHIFTED, WEIGHT_IM2COL, WEIGHT_SHIFTED, INPUT_COL2IM, INPUT_SHIFTED, VARIANTS };

int main(void) {
    const int shapes[4][4] = {{3, 32, 32, 32}, {32, 32, 32, 32}, {32, 16, 16, 64}, {64, 16, 16, 64}};  // C, H, W, F
    for (int l = 0; l < 4; l++) {
        const int c = shapes[l][0], h = shapes[l][1], w = shapes[l][2], f = shapes[l][3];
        const int k = c * 9, p = h * w, hp = h + 2, wp = w + 2, plane = hp * wp, q = h * wp;
        float *x = malloc(4 * c * p), *dx = malloc(4 * c * p), *columns = malloc(4 * (size_t)k * q);
        float *weight = malloc(4 * f * k), *taps = malloc(4 * f * k), *bias = calloc(f, 4), *dw = calloc(f * k, 4);
        float *y = malloc(4 * f * p), *wide = malloc(4 * f * q), *dy = malloc(4 * f * p);
        float *padded = calloc(c * plane + 2, 4);
        for (int i = 0; i < c * p; i++) x[i] = (float)(i % 97) * 0.01f;
        for (int i = 0; i < f * k; i++) weight[i] = (float)(i % 13) * 0.01f;
        for (int i = 0; i < f * p; i++) dy[i] = (float)(i % 7) * 0.01f;
        for (int ff = 0; ff < f; ff++)
            for (int ch = 0; ch < c; ch++)
                for (int t = 0; t < 9; t++) taps[(t * f + ff) * c + ch] = weight[ff * k + ch * 9 + t];
        double best[VARIANTS];
        for (int v = 0; v < VARIANTS; v++) best[v] = 1e18;
        for (int round = 0; round < 100; round++) {
            for (int v = 0; v < VARIANTS; v++) {
                const int calls = 4;
                const double t0 = now();
                for (int i = 0; i < calls; i++) {
                    switch (v) {
                    case FORWARD_IM2COL:
                        bw_im2col(x, columns, 1, c, h, w, 3, 3, 1, 1, 1, 1);
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, f, p, k, 1, weight, k, columns, p, 0, y, p);
                        break;
                    case FORWARD_SHIFTED:
                        bw_pad_planes(x, padded, c, h, w, 1, 1, hp, wp);
                        for (int t = 0; t < 9; t++)
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, f, q, c, 1, taps + t * f * c, c,
                                        padded + (t / 3) * wp + t % 3, plane, t ? 1 : 0, wide, q);
                        bw_crop_planes(wide, y, f, q, wp, 0, 0, h, w, bias);
                        break;
                    case WEIGHT_IM2COL:  // ∂Wᵀ += X̂ · Δ̂ᵀ, the form the layer uses for patches of 64 or more
                        bw_im2col(x, columns, 1, c, h, w, 3, 3, 1, 1, 1, 1);
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, f, p, 1, columns, p, dy, p, 1, dw, f);
                        break;
                    case WEIGHT_SHIFTED:  // ∂W_abᵀ += x̃(offset) · Δwᵀ, a product a tap
                        bw_pad_planes(x, padded, c, h, w, 1, 1, hp, wp);
                        bw_pad_planes(dy, wide, f, h, w, 0, 0, h, wp);
                        for (int t = 0; t < 9; t++)
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c, f, q, 1, padded + (t / 3) * wp + t % 3,
                                        plane, wide, q, 1, taps + t * f * c, f);
                        break;
                    case INPUT_COL2IM:
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, p, f, 1, weight, k, dy, p, 0, columns, p);
                        bw_col2im(columns, dx, 1, c, h, w, 3, 3, 1, 1, 1, 1);
                        break;
                    case INPUT_SHIFTED:
                        bw_pad_planes(dy, wide, f, h, w, 0, 0, h, wp);
                        memset(padded, 0, 4 * (size_t)(c * plane + 2));
                        for (int t = 0; t < 9; t++)
                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c, q, f, 1, taps + t * f * c, c, wide, q, 1,
                                        padded + (t / 3) * wp + t % 3, plane);
                        bw_crop_planes(padded, dx, c, plane, wp, 1, 1, h, w, NULL);
                        break;
                    }
                }
                const double d = (now() - t0) / calls;
                if (d < best[v]) best[v] = d;
            }
        }
        printf("conv%d (%d → %d, %d × %d): forward %.1f / %.1f µs, weight gradient %.1f / %.1f, input gradient %.1f / %.1f"
               "  (im2col / shifted)\n",
               l + 1, c, f, h, w, best[FORWARD_IM2COL], best[FORWARD_SHIFTED], best[WEIGHT_IM2COL], best[WEIGHT_SHIFTED],
               best[INPUT_COL2IM], best[INPUT_SHIFTED]);
        free(x), free(dx), free(columns), free(weight), free(taps), free(bias), free(dw), free(y), free(wide), free(dy), free(padded);
    }
    return 0;
}
