// Layer kernels that Swift, built for baseline x86-64 and with branches where C gives selects,
// runs slowly: max pooling, im2col and col2im, each compiled for the instruction-set levels of
// kernels.c and picked the same way. Copies, bitwise selects and adds in a fixed order: every
// level gives the same bits. See CBatchwiseKernels.h for what each computes.
#include "CBatchwiseKernels.h"

#include <string.h>

#define INLINE static inline __attribute__((always_inline))

#if defined(__FAST_MATH__)
#error "layers.c must not be built with -ffast-math: its NaN rule needs IEEE comparisons"
#endif

typedef float vf8 __attribute__((vector_size(32)));
typedef int32_t vi8 __attribute__((vector_size(32)));

// The rule for one value v against the window's best so far: take v when v > best or v is the
// window's first NaN. !(v <= best) holds for both (and for v > best); best == best keeps a NaN
// once taken. On real data the comparison is a coin toss, so it must be a select, not a branch:
// clang turns the scalar `?:` into a branch (18 % of a LeNet-5 step), so eight outputs at a time
// go through vector masks together, and only a sample's last few take this scalar path. Indices
// fit int32: a sample has at most 2^28 values (Sequential refuses larger inputs).
INLINE void max_scalar(const float *window, int64_t first, int64_t width, int64_t windowHeight,
                       int64_t windowWidth, float *y, float *argmax) {
    float best = window[first];
    int64_t at = first;
    for (int64_t a = 0; a < windowHeight; a++) {
        for (int64_t b = 0; b < windowWidth; b++) {
            const int64_t k = first + a * width + b;
            const float v = window[k];
            if (!(v <= best) && best == best) {
                best = v;
                at = k;
            }
        }
    }
    *y = best;
    const uint32_t index = (uint32_t)at;
    memcpy(argmax, &index, sizeof index);
}

INLINE void maxpool_body(const float *x, float *y, float *argmax, int64_t count, int64_t channels, int64_t height,
                         int64_t width, int64_t windowHeight, int64_t windowWidth, int64_t strideHeight,
                         int64_t strideWidth) {
    const int64_t outHeight = (height - windowHeight) / strideHeight + 1;
    const int64_t outWidth = (width - windowWidth) / strideWidth + 1;
    const int64_t plane = height * width, sampleSize = channels * plane;
    const int64_t outputs = channels * outHeight * outWidth;
    for (int64_t s = 0; s < count; s++) {
        const float *sample = x + s * sampleSize;
        float *ys = y + s * outputs, *as = argmax + s * outputs;
        // A cursor over the sample's outputs (channel, row, column), eight at a time: the groups
        // run across rows and channels, so narrow outputs (5 or 14 wide) fill the vectors too.
        int64_t c = 0, i = 0, j = 0, o = 0;
        for (; o + 8 <= outputs; o += 8) {
            vi8 corner;
            for (int l = 0; l < 8; l++) {
                corner[l] = (int32_t)(c * plane + i * strideHeight * width + j * strideWidth);
                if (++j == outWidth) {
                    j = 0;
                    if (++i == outHeight) {
                        i = 0;
                        c++;
                    }
                }
            }
            vf8 best;
            for (int l = 0; l < 8; l++) best[l] = sample[corner[l]];
            vi8 at = corner;
            for (int64_t a = 0; a < windowHeight; a++) {
                for (int64_t b = 0; b < windowWidth; b++) {
                    const vi8 index = corner + (int32_t)(a * width + b);
                    vf8 v;
                    for (int l = 0; l < 8; l++) v[l] = sample[index[l]];
                    const vi8 take = ~(v <= best) & (best == best);
                    best = (vf8)(((vi8)v & take) | ((vi8)best & ~take));
                    at = (index & take) | (at & ~take);
                }
            }
            memcpy(ys + o, &best, sizeof best);
            memcpy(as + o, &at, sizeof at);
        }
        for (; o < outputs; o++) {
            max_scalar(sample, c * plane + i * strideHeight * width + j * strideWidth, width, windowHeight, windowWidth,
                       ys + o, as + o);
            if (++j == outWidth) {
                j = 0;
                if (++i == outHeight) {
                    i = 0;
                    c++;
                }
            }
        }
    }
}

// MARK: - im2col and col2im

// The geometry of one convolution (see ConvolutionGeometry.swift), and the walk both kernels
// take over the lines of the columns X̂ [patch × n·positions]: for each patch row (c, ki, kj),
// each sample and each output row, one line of outWidth columns. So col2im is im2col's
// transpose by construction.
typedef struct {
    int64_t channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, paddingHeight, paddingWidth;
    int64_t outHeight, outWidth;
} geometry;

INLINE geometry make_geometry(int64_t channels, int64_t height, int64_t width, int64_t kernelHeight, int64_t kernelWidth,
                              int64_t strideHeight, int64_t strideWidth, int64_t paddingHeight, int64_t paddingWidth) {
    geometry g = {channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, paddingHeight, paddingWidth,
                  (height + 2 * paddingHeight - kernelHeight) / strideHeight + 1,
                  (width + 2 * paddingWidth - kernelWidth) / strideWidth + 1};
    return g;
}

// ⌈a / b⌉ for b > 0, and 0 for a ≤ 0.
INLINE int64_t ceiling_non_negative(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

// The output columns whose input column ow·stride − padding + kj lies inside the input.
INLINE void valid_columns(const geometry *g, int64_t kj, int64_t *lo, int64_t *hi) {
    int64_t low = ceiling_non_negative(g->paddingWidth - kj, g->strideWidth);
    if (low > g->outWidth) low = g->outWidth;
    int64_t high = ceiling_non_negative(g->width + g->paddingWidth - kj, g->strideWidth);
    if (high > g->outWidth) high = g->outWidth;
    if (high < low) high = low;
    *lo = low;
    *hi = high;
}

// Unaligned 8- and 4-float vectors, for copies whose length is not a multiple of 8.
typedef float vf8u __attribute__((vector_size(32), aligned(4)));
typedef float vf4u __attribute__((vector_size(16), aligned(4)));

// d[0..n) = s[0..n) for the short lines of im2col: whole vectors, then one more ending at n
// that overlaps the last (it rewrites the same values), instead of a scalar tail that cost
// more than the vectors on lines of 10 to 28 values.
INLINE void copy_floats(float *restrict d, const float *restrict s, int64_t n) {
    if (n >= 8) {
        int64_t i = 0;
        for (; i + 8 <= n; i += 8) *(vf8u *)(d + i) = *(const vf8u *)(s + i);
        if (i < n) *(vf8u *)(d + n - 8) = *(const vf8u *)(s + n - 8);
    } else if (n >= 4) {
        *(vf4u *)d = *(const vf4u *)s;
        *(vf4u *)(d + n - 4) = *(const vf4u *)(s + n - 4);
    } else {
        for (int64_t i = 0; i < n; i++) d[i] = s[i];
    }
}

// Lines of a 1-D convolution's input up to this many floats with their padding take the walk
// below; longer ones the general walk.
#define LINE_1D_LIMIT 1024

// The walk for a 1-D convolution (height 1, a kernel one row high), sample by sample: each
// input line is copied once into a zero-padded local line, and every kernel tap's row reads
// its outWidth values from there (or, in col2im, adds them there, in ascending tap order as the
// general walk adds onto the cleared input, so the bits are the same; what lands on the padding
// is dropped). The general walk goes tap by tap over all samples: on the 1-D CNN's lines of 5
// to 19 values it re-read every input line once per tap from L2 and spent a third of the step
// in im2col and col2im; this order takes half that (Benchmarks/README.md, "Convolutions").
// Returns 0, doing nothing, for lines longer than the limit.
INLINE int patch_lines_1d(const int gather, float *x, float *columns, int64_t count, int64_t channels,
                          int64_t width, int64_t kernelWidth, int64_t stride, int64_t padding) {
    const int64_t padded = width + 2 * padding;
    if (padded > LINE_1D_LIMIT) return 0;
    float local[LINE_1D_LIMIT];
    const int64_t ow = (padded - kernelWidth) / stride + 1, ld = count * ow;
    for (int64_t i = 0; i < padding; i++) local[i] = local[padding + width + i] = 0;
    for (int64_t s = 0; s < count; s++) {
        for (int64_t c = 0; c < channels; c++) {
            float *line = x + (s * channels + c) * width;
            float *row = columns + c * kernelWidth * ld + s * ow;
            if (gather) {
                for (int64_t i = 0; i < width; i++) local[padding + i] = line[i];
                for (int64_t kj = 0; kj < kernelWidth; kj++, row += ld) {
                    // A strided read of a few values: vector code's set-up costs more.
                    _Pragma("clang loop vectorize(disable)")
                    for (int64_t o = 0; o < ow; o++) row[o] = local[kj + o * stride];
                }
            } else {
                for (int64_t i = 0; i < padded; i++) local[i] = 0;
                for (int64_t kj = 0; kj < kernelWidth; kj++, row += ld) {
                    _Pragma("clang loop vectorize(disable)")
                    for (int64_t o = 0; o < ow; o++) local[kj + o * stride] += row[o];
                }
                for (int64_t i = 0; i < width; i++) line[i] = local[padding + i];
            }
        }
    }
    return 1;
}

// The one walk of both kernels: `gather` (a constant at each call, so each kernel gets its own
// loop) copies input lines into the columns (im2col), otherwise the columns are added back onto
// the input lines (col2im, after dx is cleared). Lines are 5 to 32 floats in the models
// measured: a memmove call per line cost more than the copy (16 % of a LeNet-5 step), so these
// loops must stay loops (the no_builtin attribute of the level functions below keeps clang from
// turning them back into calls).
INLINE void patch_lines(const int gather, float *x, float *columns, int64_t count, int64_t channels, int64_t height,
                        int64_t width, int64_t kernelHeight, int64_t kernelWidth, int64_t strideHeight,
                        int64_t strideWidth, int64_t paddingHeight, int64_t paddingWidth) {
    if (height == 1 && kernelHeight == 1 && paddingHeight == 0 &&
        patch_lines_1d(gather, x, columns, count, channels, width, kernelWidth, strideWidth, paddingWidth)) {
        return;
    }
    const geometry g = make_geometry(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth,
                                     paddingHeight, paddingWidth);
    const int64_t p = g.outHeight * g.outWidth, ld = count * p, plane = height * width, sampleSize = channels * plane;
    const int64_t ow = g.outWidth, sw = strideWidth;
    if (!gather) {
        for (int64_t k = 0; k < count * sampleSize; k++) x[k] = 0;
    }
    for (int64_t c = 0; c < channels; c++) {
        for (int64_t ki = 0; ki < kernelHeight; ki++) {
            for (int64_t kj = 0; kj < kernelWidth; kj++) {
                float *row = columns + ((c * kernelHeight + ki) * kernelWidth + kj) * ld;
                int64_t lo, hi;
                valid_columns(&g, kj, &lo, &hi);
                const int64_t shift = kj - paddingWidth;
                for (int64_t s = 0; s < count; s++) {
                    float *source = x + s * sampleSize + c * plane;
                    for (int64_t oh = 0; oh < g.outHeight; oh++) {
                        float *d = row + s * p + oh * ow;
                        const int64_t ih = oh * strideHeight - paddingHeight + ki;
                        if (ih < 0 || ih >= height) {
                            if (gather) {
                                for (int64_t o = 0; o < ow; o++) d[o] = 0;
                            }
                            continue;
                        }
                        float *line = source + ih * width + shift;
                        if (gather) {
                            for (int64_t o = 0; o < lo; o++) d[o] = 0;
                            if (sw == 1) {
                                copy_floats(d + lo, line + lo, hi - lo);
                            } else {
                                // A strided gather of a few values: vector code's set-up costs more.
                                _Pragma("clang loop vectorize(disable)")
                                for (int64_t o = lo; o < hi; o++) d[o] = line[o * sw];
                            }
                            for (int64_t o = hi; o < ow; o++) d[o] = 0;
                        } else if (sw == 1) {
                            for (int64_t o = lo; o < hi; o++) line[o] += d[o];
                        } else {
                            _Pragma("clang loop vectorize(disable)")
                            for (int64_t o = lo; o < hi; o++) line[o * sw] += d[o];
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Row sums (a convolution's bias gradient)

typedef float vf16 __attribute__((vector_size(64)));
typedef float vf16u __attribute__((vector_size(64), aligned(4)));

// sums[r] += Σ_j x[r·ld + j] for j < cols: sixteen running sums, lane l taking the values at
// j ≡ l (mod 16), the lanes then added pairwise (8 + 8, 4 + 4, 2 + 2, 1 + 1), then the last
// cols mod 16 values in order. The same additions at every instruction-set level (a lane is
// a lane), so the same bits; a single running sum waited four cycles an add (3 % of the
// CIFAR-shaped net's step).
INLINE void row_sums_body(const float *x, int64_t rows, int64_t cols, int64_t ld, float *sums) {
    for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * ld;
        int64_t j = 0;
        float total = 0;
        if (cols >= 16) {
            vf16 lanes = *(const vf16u *)row;
            for (j = 16; j + 16 <= cols; j += 16) lanes += *(const vf16u *)(row + j);
            float half[16];
            memcpy(half, &lanes, sizeof half);
            for (int width = 8; width >= 1; width /= 2) {
                for (int l = 0; l < width; l++) half[l] += half[l + width];
            }
            total = half[0];
        }
        for (; j < cols; j++) total += row[j];
        sums[r] += total;
    }
}

// MARK: - One function per instruction-set level, picked as the all-reduce's are (kernels.c)

#define LAYER_FUNCTIONS(suffix, attributes)                                                          \
    static attributes void maxpool_##suffix(const float *x, float *y, float *argmax, int64_t n, int64_t c,     \
                                            int64_t h, int64_t w, int64_t wh, int64_t ww, int64_t sh,          \
                                            int64_t sw) {                                                      \
        maxpool_body(x, y, argmax, n, c, h, w, wh, ww, sh, sw);                                                \
    }                                                                                                          \
    static attributes void row_sums_##suffix(const float *x, int64_t rows, int64_t cols, int64_t ld, float *sums) { \
        row_sums_body(x, rows, cols, ld, sums);                                                               \
    }                                                                                                          \
    static attributes __attribute__((no_builtin("memcpy", "memmove", "memset"))) void im2col_##suffix(         \
        const float *x, float *columns, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,    \
        int64_t sh, int64_t sw, int64_t ph, int64_t pw) {                                                      \
        patch_lines(1, (float *)x, columns, n, c, h, w, kh, kw, sh, sw, ph, pw);                                           \
    }                                                                                                          \
    static attributes __attribute__((no_builtin("memcpy", "memmove", "memset"))) void col2im_##suffix(         \
        const float *columns, float *dx, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,   \
        int64_t sh, int64_t sw, int64_t ph, int64_t pw) {                                                      \
        patch_lines(0, dx, (float *)columns, n, c, h, w, kh, kw, sh, sw, ph, pw);                                          \
    }

LAYER_FUNCTIONS(portable, )
#if defined(__x86_64__)
LAYER_FUNCTIONS(avx2, __attribute__((target("avx2"))))
LAYER_FUNCTIONS(avx512, __attribute__((target("avx512f"))))
#endif

#if defined(__x86_64__)
#define DISPATCH(name, ...)                                                                          \
    switch (bw_kernels_level()) {                                                                    \
    case BW_KERNELS_AVX512: name##_avx512(__VA_ARGS__); return;                                      \
    case BW_KERNELS_AVX2: name##_avx2(__VA_ARGS__); return;                                          \
    default: name##_portable(__VA_ARGS__); return;                                                   \
    }
#else
#define DISPATCH(name, ...) name##_portable(__VA_ARGS__)
#endif

void bw_maxpool_forward(const float *x, float *y, float *argmax, int64_t count, int64_t channels, int64_t height,
                        int64_t width, int64_t windowHeight, int64_t windowWidth, int64_t strideHeight,
                        int64_t strideWidth) {
    DISPATCH(maxpool, x, y, argmax, count, channels, height, width, windowHeight, windowWidth, strideHeight, strideWidth)
}

void bw_row_sums(const float *x, int64_t rows, int64_t cols, int64_t ld, float *sums) {
    DISPATCH(row_sums, x, rows, cols, ld, sums)
}

void bw_im2col(const float *x, float *columns, int64_t count, int64_t channels, int64_t height, int64_t width,
               int64_t kernelHeight, int64_t kernelWidth, int64_t strideHeight, int64_t strideWidth,
               int64_t paddingHeight, int64_t paddingWidth) {
    DISPATCH(im2col, x, columns, count, channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth,
             paddingHeight, paddingWidth)
}

void bw_col2im(const float *columns, float *dx, int64_t count, int64_t channels, int64_t height, int64_t width,
               int64_t kernelHeight, int64_t kernelWidth, int64_t strideHeight, int64_t strideWidth,
               int64_t paddingHeight, int64_t paddingWidth) {
    DISPATCH(col2im, columns, dx, count, channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth,
             paddingHeight, paddingWidth)
}

// MARK: - Padding and cropping planes (the shifted products of ConvolutionGeometry)

// Both are copies of short lines (16 to 34 floats in the models measured): vector copies, and
// loops that must not become memset calls (a call per one- or two-float border cost more).
__attribute__((no_builtin("memcpy", "memmove", "memset"))) void bw_pad_planes(
    const float *x, float *y, int64_t planes, int64_t rows, int64_t cols, int64_t top, int64_t left, int64_t outRows,
    int64_t outCols) {
    const int64_t right = outCols - left - cols;
    for (int64_t p = 0; p < planes; p++) {
        const float *source = x + p * rows * cols;
        float *target = y + p * outRows * outCols;
        for (int64_t i = 0; i < top * outCols; i++) target[i] = 0;
        for (int64_t r = 0; r < rows; r++) {
            float *line = target + (top + r) * outCols;
            for (int64_t j = 0; j < left; j++) line[j] = 0;
            copy_floats(line + left, source + r * cols, cols);
            for (int64_t j = 0; j < right; j++) line[left + cols + j] = 0;
        }
        for (int64_t i = (top + rows) * outCols; i < outRows * outCols; i++) target[i] = 0;
    }
}

__attribute__((no_builtin("memcpy", "memmove", "memset"))) void bw_crop_planes(
    const float *x, float *y, int64_t planes, int64_t inPlane, int64_t inCols, int64_t top, int64_t left, int64_t rows,
    int64_t cols, const float *bias) {
    for (int64_t p = 0; p < planes; p++) {
        const float *source = x + p * inPlane + top * inCols + left;
        float *target = y + p * rows * cols;
        if (bias) {
            const float b = bias[p];
            for (int64_t r = 0; r < rows; r++) {
                for (int64_t j = 0; j < cols; j++) target[r * cols + j] = source[r * inCols + j] + b;
            }
        } else {
            for (int64_t r = 0; r < rows; r++) copy_floats(target + r * cols, source + r * inCols, cols);
        }
    }
}
