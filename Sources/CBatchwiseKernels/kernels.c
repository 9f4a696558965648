#include "CBatchwiseKernels.h"

#include <stdatomic.h>
#include <string.h>

// The same bits at every level, and the same as the Swift expressions these replace: no
// multiply-add contraction (clang's default for C would fuse `a * b + c` within a statement).
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#ifdef __FAST_MATH__
#error "CBatchwiseKernels must not be built with -ffast-math: its results are defined bit for bit"
#endif

// 16 lanes at every level: one zmm register, two ymm or four xmm. The lane pattern of the
// squared sums is therefore the same whatever the instruction set.
typedef float v16 __attribute__((vector_size(64)));

#define INLINE static inline __attribute__((always_inline))

/// x in all 16 lanes. Not `zero + x`, which would turn −0 into +0.
#define SPLAT(x) ((v16){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x})

// Macros, not functions: a 64-byte vector passed by value would have a different ABI at each
// level (clang warns even when the call is inlined away).
#define LOAD16(p) ({ v16 v_; memcpy(&v_, (p), sizeof v_); v_; })
#define STORE16(p, v) do { v16 v_ = (v); memcpy((p), &v_, sizeof v_); } while (0)

/// Lanes of `squares` (plus the tail elements k ≥ vectorEnd, element k into lane k mod 16),
/// added in lane order.
INLINE double lane_sum(const v16 *squares, const float *tail, int64_t tailCount) {
    float lanes[16];
    memcpy(lanes, squares, sizeof lanes);
    for (int64_t k = 0; k < tailCount; k++) lanes[k] += tail[k] * tail[k];
    double sum = 0;
    for (int k = 0; k < 16; k++) sum += (double)lanes[k];
    return sum;
}

/// One pass over source `g`: acc = g (first) or acc + g, scaled on the last pass; records
/// |g|² and, on the last pass, |Σ|² (before scaling); clears g.
INLINE void reduce_pass(float *acc, float *g, int64_t n, int first, int last, int clear, float scale,
                        double *norm, double *totalNorm) {
    const int64_t vectorEnd = n - n % 16;
    const v16 zero = {0};
    const v16 scales = SPLAT(scale);
    v16 squares = zero, totals = zero;
    for (int64_t k = 0; k < vectorEnd; k += 16) {
        v16 x = LOAD16(g + k);
        v16 t = first ? x : LOAD16(acc + k) + x;
        squares += x * x;
        if (last) {
            totals += t * t;
            t = t * scales;
        }
        STORE16(acc + k, t);
        if (clear) STORE16(g + k, zero);
    }
    float tail[16], tailTotals[16];
    for (int64_t k = vectorEnd; k < n; k++) {
        float x = g[k];
        float t = first ? x : acc[k] + x;
        tail[k - vectorEnd] = x;
        tailTotals[k - vectorEnd] = t;
        acc[k] = last ? t * scale : t;
        if (clear) g[k] = 0;
    }
    *norm = lane_sum(&squares, tail, n - vectorEnd);
    if (last) *totalNorm = lane_sum(&totals, tailTotals, n - vectorEnd);
}

INLINE void reduce_body(float *acc, float *const *sources, int64_t sourceCount, int64_t start, int64_t n,
                        float scale, double *norms, int64_t totalNormIndex) {
    double *total = norms + totalNormIndex;
    if (sourceCount == 1) {
        reduce_pass(acc, sources[0] + start, n, 1, 1, 1, scale, norms, total);
        return;
    }
    reduce_pass(acc, sources[0] + start, n, 1, 0, 1, scale, norms, total);
    for (int64_t s = 1; s < sourceCount - 1; s++)
        reduce_pass(acc, sources[s] + start, n, 0, 0, 1, scale, norms + s, total);
    reduce_pass(acc, sources[sourceCount - 1] + start, n, 0, 1, 1, scale, norms + sourceCount - 1, total);
}

/// 0: plain SGD, 1: momentum, 2: Nesterov.
INLINE void sgd_body(float *p, const float *g, float *v, int64_t n, float lr, float mu, float wd, int kind) {
    const int64_t vectorEnd = n - n % 16;
    const v16 lrs = SPLAT(lr), mus = SPLAT(mu), wds = SPLAT(wd);
    int64_t k = 0;
    for (; k < vectorEnd; k += 16) {
        v16 pk = LOAD16(p + k), gk = LOAD16(g + k);
        v16 d = gk + wds * pk;
        if (kind == 0) {
            STORE16(p + k, pk - lrs * d);
        } else {
            v16 vk = mus * LOAD16(v + k) + d;
            STORE16(v + k, vk);
            STORE16(p + k, pk - lrs * (kind == 2 ? d + mus * vk : vk));
        }
    }
    for (; k < n; k++) {
        float d = g[k] + wd * p[k];
        if (kind == 0) {
            p[k] -= lr * d;
        } else {
            float vk = mu * v[k] + d;
            v[k] = vk;
            p[k] -= lr * (kind == 2 ? d + mu * vk : vk);
        }
    }
}

INLINE void sgd_dispatch(float *p, const float *g, float *v, int64_t n, float lr, float mu, float wd, int nesterov) {
    if (mu == 0 || v == 0) sgd_body(p, g, v, n, lr, mu, wd, 0);
    else if (nesterov) sgd_body(p, g, v, n, lr, mu, wd, 2);
    else sgd_body(p, g, v, n, lr, mu, wd, 1);
}

INLINE void adam_body(float *p, const float *g, float *m, float *v, int64_t n, float b1, float b2, float eps,
                      float lr, float c1, float c2, float l2, float shrink) {
    const int64_t vectorEnd = n - n % 16;
    const v16 b1s = SPLAT(b1), b2s = SPLAT(b2), eb1 = SPLAT(1 - b1), eb2 = SPLAT(1 - b2);
    const v16 epss = SPLAT(eps), lrs = SPLAT(lr), c1s = SPLAT(c1), c2s = SPLAT(c2);
    const v16 l2s = SPLAT(l2), shrinks = SPLAT(shrink);
    int64_t k = 0;
    for (; k < vectorEnd; k += 16) {
        v16 pk = LOAD16(p + k);
        v16 gk = LOAD16(g + k) + l2s * pk;
        v16 mk = b1s * LOAD16(m + k) + eb1 * gk;
        v16 vk = b2s * LOAD16(v + k) + eb2 * gk * gk;
        STORE16(m + k, mk);
        STORE16(v + k, vk);
        STORE16(p + k, pk * shrinks - lrs * (mk / c1s) / (__builtin_elementwise_sqrt(vk / c2s) + epss));
    }
    for (; k < n; k++) {
        float gk = g[k] + l2 * p[k];
        float mk = b1 * m[k] + (1 - b1) * gk;
        float vk = b2 * v[k] + (1 - b2) * gk * gk;
        m[k] = mk;
        v[k] = vk;
        p[k] = p[k] * shrink - lr * (mk / c1) / (__builtin_sqrtf(vk / c2) + eps);
    }
}

// One body per level; the bodies inline into functions compiled for that instruction set.
#define LEVEL_FUNCTIONS(suffix, attributes)                                                       \
    static attributes void reduce_##suffix(float *acc, float *const *sources, int64_t sourceCount, \
                                           int64_t start, int64_t n, float scale, double *norms,  \
                                           int64_t totalNormIndex) {                              \
        reduce_body(acc, sources, sourceCount, start, n, scale, norms, totalNormIndex);           \
    }                                                                                             \
    static attributes void pass_##suffix(float *acc, float *g, int64_t n, int first, int last,     \
                                         int clear, float scale, double *norm, double *total) {   \
        reduce_pass(acc, g, n, first, last, clear, scale, norm, total);                           \
    }                                                                                             \
    static attributes void sgd_##suffix(float *p, const float *g, float *v, int64_t n, float lr,  \
                                        float mu, float wd, int nesterov) {                       \
        sgd_dispatch(p, g, v, n, lr, mu, wd, nesterov);                                           \
    }                                                                                             \
    static attributes void adam_##suffix(float *p, const float *g, float *m, float *v, int64_t n,  \
                                         float b1, float b2, float eps, float lr, float c1, float c2, \
                                         float l2, float shrink) {                                \
        adam_body(p, g, m, v, n, b1, b2, eps, lr, c1, c2, l2, shrink);                            \
    }

LEVEL_FUNCTIONS(portable, )
#if defined(__x86_64__)
LEVEL_FUNCTIONS(avx2, __attribute__((target("avx2"))))
LEVEL_FUNCTIONS(avx512, __attribute__((target("avx512f"))))
#endif

int bw_kernels_best_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return BW_KERNELS_AVX512;
    if (__builtin_cpu_supports("avx2")) return BW_KERNELS_AVX2;
#endif
    return BW_KERNELS_PORTABLE;
}

/// -1 until first use.
static _Atomic int selectedLevel = -1;

int bw_kernels_level(void) {
    int level = atomic_load_explicit(&selectedLevel, memory_order_relaxed);
    if (level < 0) {
        level = bw_kernels_best_level();
        atomic_store_explicit(&selectedLevel, level, memory_order_relaxed);
    }
    return level;
}

int bw_kernels_set_level(int level) {
    if (level < BW_KERNELS_PORTABLE || level > bw_kernels_best_level()) return -1;
    atomic_store_explicit(&selectedLevel, level, memory_order_relaxed);
    return 0;
}

void bw_reduce_chunk(float *acc, float *const *sources, int64_t sourceCount, int64_t start, int64_t n,
                     float scale, double *norms, int64_t totalNormIndex) {
    switch (bw_kernels_level()) {
#if defined(__x86_64__)
    case BW_KERNELS_AVX512: reduce_avx512(acc, sources, sourceCount, start, n, scale, norms, totalNormIndex); return;
    case BW_KERNELS_AVX2: reduce_avx2(acc, sources, sourceCount, start, n, scale, norms, totalNormIndex); return;
#endif
    default: reduce_portable(acc, sources, sourceCount, start, n, scale, norms, totalNormIndex); return;
    }
}

void bw_sgd_update(float *p, const float *g, float *v, int64_t n, float lr, float mu, float wd, int nesterov) {
    switch (bw_kernels_level()) {
#if defined(__x86_64__)
    case BW_KERNELS_AVX512: sgd_avx512(p, g, v, n, lr, mu, wd, nesterov); return;
    case BW_KERNELS_AVX2: sgd_avx2(p, g, v, n, lr, mu, wd, nesterov); return;
#endif
    default: sgd_portable(p, g, v, n, lr, mu, wd, nesterov); return;
    }
}

void bw_adam_update(float *p, const float *g, float *m, float *v, int64_t n, float b1, float b2, float eps,
                    float lr, float c1, float c2, float l2, float shrink) {
    switch (bw_kernels_level()) {
#if defined(__x86_64__)
    case BW_KERNELS_AVX512: adam_avx512(p, g, m, v, n, b1, b2, eps, lr, c1, c2, l2, shrink); return;
    case BW_KERNELS_AVX2: adam_avx2(p, g, m, v, n, b1, b2, eps, lr, c1, c2, l2, shrink); return;
#endif
    default: adam_portable(p, g, m, v, n, b1, b2, eps, lr, c1, c2, l2, shrink); return;
    }
}

void bw_reduce_pass(float *acc, float *g, int64_t n, int first, int last, int clear, float scale,
                    double *norm, double *totalNorm) {
    switch (bw_kernels_level()) {
#if defined(__x86_64__)
    case BW_KERNELS_AVX512: pass_avx512(acc, g, n, first, last, clear, scale, norm, totalNorm); return;
    case BW_KERNELS_AVX2: pass_avx2(acc, g, n, first, last, clear, scale, norm, totalNorm); return;
#endif
    default: pass_portable(acc, g, n, first, last, clear, scale, norm, totalNorm); return;
    }
}
