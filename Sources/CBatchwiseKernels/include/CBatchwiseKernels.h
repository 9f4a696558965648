#ifndef CBATCHWISE_KERNELS_H
#define CBATCHWISE_KERNELS_H

#include <stdint.h>

/// The fused all-reduce's inner loops, written once and compiled for three instruction sets
/// (baseline x86-64 or the host's default, AVX2, AVX-512F), picked at run time from what the
/// CPU supports. The Swift code is built for the baseline, so without these the hot loops run
/// on 128-bit vectors. No FMA contraction anywhere (and the file refuses -ffast-math): every
/// level gives the same bits as the plain element-by-element equations documented below. The
/// squared norms follow their own documented lane pattern (not the order of the Swift loop
/// they replaced, so noise-scale figures differ from earlier versions in the last bits);
/// a NaN's sign bit may differ between levels.

/// Instruction-set levels. `bw_kernels_level()` is the one in use.
enum {
    BW_KERNELS_PORTABLE = 0,
    BW_KERNELS_AVX2 = 1,
    BW_KERNELS_AVX512 = 2,
};

/// The level in use: the best the CPU supports unless `bw_kernels_set_level` lowered it.
int bw_kernels_level(void);

/// The best level this CPU (and OS) supports.
int bw_kernels_best_level(void);

/// Uses `level` from now on (for tests and measurements); returns 0, or -1 when the CPU does
/// not support it (nothing changes then).
int bw_kernels_set_level(int level);

/// acc[k] = (Σ_{s<S} sources[s][start + k]) · scale for k < n, adding in source order; clears
/// those source elements; norms[s] = Σ_k sources[s][start + k]² for s < S and
/// norms[totalNormIndex] = Σ_k (Σ_s sources[s][start + k])², each squared sum taken in floats
/// over 16 lanes (element k into lane k mod 16), the lanes then added in lane order in double,
/// the same at every level.
/// `sourceCount` ≥ 1.
void bw_reduce_chunk(float *acc, float *const *sources, int64_t sourceCount, int64_t start, int64_t n,
                     float scale, double *norms, int64_t totalNormIndex);

/// One source of `bw_reduce_chunk`: acc = g (first) or acc + g, times `scale` when `last`;
/// clears g when `clear`; *norm = |g|² and, when `last`, *totalNorm = |acc + g|² (before the
/// scale), with the lane pattern of `bw_reduce_chunk`.
void bw_reduce_pass(float *acc, float *g, int64_t n, int first, int last, int clear, float scale,
                    double *norm, double *totalNorm);

/// SGD with momentum μ, Nesterov flag and weight decay λ over n elements (PyTorch's equations,
/// dampening 0), each element computed with exactly these operations:
///   μ = 0:     p ← p − η·(g + λ·p)
///   momentum:  v ← μ·v + (g + λ·p);  p ← p − η·v
///   Nesterov:  d ← g + λ·p;  v ← μ·v + d;  p ← p − η·(d + μ·v)
/// With `v` NULL the plain rule runs whatever μ is (there is no momentum to keep).
void bw_sgd_update(float *p, const float *g, float *v, int64_t n, float lr, float mu, float wd, int nesterov);

/// Adam/AdamW over n elements, each element computed with exactly these operations
/// (c1 = 1 − β₁ᵗ, c2 = 1 − β₂ᵗ; Adam: l2 = λ, shrink = 1; AdamW: l2 = 0, shrink = 1 − ηλ):
///   g ← g + l2·p;  m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g·g
///   p ← p·shrink − η·(m / c1) / (√(v / c2) + ε)
void bw_adam_update(float *p, const float *g, float *m, float *v, int64_t n, float b1, float b2, float eps,
                    float lr, float c1, float c2, float l2, float shrink);

/// Max pooling forward over `count` samples of channels × height × width, windows of
/// windowHeight × windowWidth at the given strides, no padding, outputs in (sample, channel,
/// row, column) order: y[o] = the window's largest value, argmax[o] = its index within the
/// sample's input (as the bits of a float: the index as a uint32). Values are visited in
/// row-major order within a window; the first maximum wins, and the window's first NaN wins
/// over any number. Branch-free (selects), so its speed does not depend on the data.
void bw_maxpool_forward(const float *x, float *y, float *argmax, int64_t count, int64_t channels, int64_t height,
                        int64_t width, int64_t windowHeight, int64_t windowWidth, int64_t strideHeight,
                        int64_t strideWidth);

/// sums[r] += Σ_j x[r·ld + j] over j < cols, for each of `rows` rows: sixteen running sums
/// (lane l the values at j ≡ l mod 16), added pairwise, then the last cols mod 16 values in
/// order; the same bits at every instruction-set level.
void bw_row_sums(const float *x, int64_t rows, int64_t cols, int64_t ld, float *sums);

/// im2col for one convolution (sizes as ConvolutionGeometry names them; a 1-D one has height
/// 1 and a 1-high kernel): writes the columns [channels·kernelHeight·kernelWidth × count·P]
/// (P = outHeight·outWidth), column s·P + p holding the patch under output position p of
/// sample s, 0 in the padding.
void bw_im2col(const float *x, float *columns, int64_t count, int64_t channels, int64_t height, int64_t width,
               int64_t kernelHeight, int64_t kernelWidth, int64_t strideHeight, int64_t strideWidth,
               int64_t paddingHeight, int64_t paddingWidth);

/// col2im, im2col's transpose: writes dx [count × channels × height × width] as the sum of the
/// columns' values onto the inputs they came from (0 where no patch reads), adding each
/// input's contributions in (c, ki, kj, output row) order.
void bw_col2im(const float *columns, float *dx, int64_t count, int64_t channels, int64_t height, int64_t width,
               int64_t kernelHeight, int64_t kernelWidth, int64_t strideHeight, int64_t strideWidth,
               int64_t paddingHeight, int64_t paddingWidth);

/// Copies `planes` planes of rows × cols (packed) into planes of outRows × outCols (packed),
/// placed at row `top` and column `left`, with zeros everywhere else (outRows ≥ top + rows,
/// outCols ≥ left + cols).
void bw_pad_planes(const float *x, float *y, int64_t planes, int64_t rows, int64_t cols, int64_t top, int64_t left,
                   int64_t outRows, int64_t outCols);

/// The other way: y [planes × rows × cols] (packed) from planes `inPlane` floats apart whose
/// lines are `inCols` floats, starting at row `top`, column `left`, with bias[p] added to plane
/// p when `bias` is not NULL (one float add, the same bits as the Swift loops it replaces).
void bw_crop_planes(const float *x, float *y, int64_t planes, int64_t inPlane, int64_t inCols, int64_t top, int64_t left,
                    int64_t rows, int64_t cols, const float *bias);

#endif
