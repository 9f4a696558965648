// The weight-gradient product of a convolution two ways, single-threaded OpenBLAS:
//   ∂W  [F × K] = Δ̂ [F × N] · X̂ᵀ       (cblas NT, m = F, n = K, k = N)
//   ∂Wᵀ [K × F] = X̂ [K × N] · Δ̂ᵀ       (cblas NT, m = K, n = F, k = N)
// for the shapes of the benchmark models (F filters, K patch, N = chunk samples × positions).
// Best of 7 repetitions of ≥ 20 ms each. Build and run:
//   gcc -O2 tools/blas-bench/weight_gradient.c -o /tmp/wg -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas
//   OPENBLAS_NUM_THREADS=1 /tmp/wg
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// GFLOP/s of C [m × n] += A [m × k] · Bᵀ (B stored n × k), row-major.
static double rate(int m, int n, int k) {
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = calloc((size_t)m * n, sizeof(float));
    for (int i = 0; i < m * k; i++) a[i] = (i % 7) * 0.1f;
    for (int i = 0; i < k * n; i++) b[i] = (i % 5) * 0.1f;
    double best = 1e9;
    for (int r = 0; r < 7; r++) {
        int calls = 0;
        double start = now(), t;
        do {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b, k, 1, c, n);
            calls++;
            t = now() - start;
        } while (t < 0.02);
        if (t / calls < best) best = t / calls;
    }
    free(a), free(b), free(c);
    return 2.0 * m * n * k / best / 1e9;
}

int main(void) {
    static const int shapes[][3] = {
        {32, 288, 1024}, {64, 576, 256}, {64, 288, 256}, {32, 27, 1024},   // CIFAR-shaped net
        {6, 25, 3920}, {16, 150, 400}, {6, 25, 784}, {16, 150, 100},       // LeNet-5
        {25, 5, 950}, {25, 75, 500}, {25, 75, 250},                        // 1-D CNN
    };
    printf("%4s %5s %6s  %14s  %14s\n", "F", "K", "N", "dW = D.Xt", "dWt = X.Dt");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const int f = shapes[i][0], k = shapes[i][1], n = shapes[i][2];
        printf("%4d %5d %6d  %8.1f GFLOP/s  %8.1f GFLOP/s\n", f, k, n, rate(f, k, n), rate(k, f, n));
    }
    return 0;
}
