// im2col and col2im (bw_im2col / bw_col2im of CBatchwiseKernels) on the three convolutions of the
// benchmarks' 1-D CNN at a shard of 50 samples (batch 100 over 2 workers), single-threaded:
// best of 5 repetitions of 20,000 calls each, in µs a call. Build against the project's kernels
// and run:
//   clang -O2 -ISources/CBatchwiseKernels/include tools/blas-bench/patch_lines.c \
//       Sources/CBatchwiseKernels/layers.c Sources/CBatchwiseKernels/kernels.c -lm -o /tmp/patch-lines
//   /tmp/patch-lines
// The checksum (of the last im2col's columns and col2im's dx) is there so the calls are not
// dropped, and to compare two builds' outputs: it must not change when only speed does.
#include "CBatchwiseKernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

int main(void) {
    // channels, length, kernel, stride, padding
    const int64_t layers[3][5] = {{1, 40, 5, 2, 1}, {25, 19, 3, 2, 1}, {25, 10, 3, 2, 1}};
    const int64_t n = 50, calls = 20000;
    for (int l = 0; l < 3; l++) {
        const int64_t c = layers[l][0], w = layers[l][1], k = layers[l][2], s = layers[l][3], p = layers[l][4];
        const int64_t ow = (w + 2 * p - k) / s + 1, inputs = n * c * w, columns = c * k * n * ow;
        float *x = malloc(sizeof(float) * inputs), *col = malloc(sizeof(float) * columns);
        float *dx = malloc(sizeof(float) * inputs);
        for (int64_t i = 0; i < inputs; i++) x[i] = (float)(i % 97);
        double im2col = 1e18, col2im = 1e18;
        for (int r = 0; r < 5; r++) {
            const double t0 = now();
            for (int64_t i = 0; i < calls; i++) bw_im2col(x, col, n, c, 1, w, 1, k, 1, s, 0, p);
            const double t1 = now();
            for (int64_t i = 0; i < calls; i++) bw_col2im(col, dx, n, c, 1, w, 1, k, 1, s, 0, p);
            const double t2 = now();
            if ((t1 - t0) / calls < im2col) im2col = (t1 - t0) / calls;
            if ((t2 - t1) / calls < col2im) col2im = (t2 - t1) / calls;
        }
        double checksum = 0;
        for (int64_t i = 0; i < inputs; i++) checksum += dx[i];
        for (int64_t i = 0; i < columns; i++) checksum += col[i];
        printf("conv%d (%lld channels, %lld taps, length %lld, stride %lld, padding %lld): im2col %.2f µs  col2im %.2f µs"
               "  (%lld column floats, checksum %.0f)\n",
               l + 1, (long long)c, (long long)k, (long long)w, (long long)s, (long long)p, im2col, col2im,
               (long long)columns, checksum);
        free(x);
        free(col);
        free(dx);
    }
    return 0;
}
