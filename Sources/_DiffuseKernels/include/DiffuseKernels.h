// Hot loops of Diffuse (single precision, and S4D's kernel in double) written in C so that
// each is compiled twice, for baseline x86-64 and for AVX2, with the version chosen at load
// time for the running CPU
// (GCC/Clang `target_clones`). Swift has no per-function target attribute, and a package that
// other packages depend on may not pass `-march`/`-target-cpu` flags. Elsewhere (and on other
// architectures) the portable version is the only one.
//
// Every kernel turns floating-point contraction off and uses the same operation order in both
// versions, so the AVX2 build produces bit-identical results to the baseline build.
//
// Not API: Diffuse's Swift modules wrap these functions.
#ifndef DIFFUSE_KERNELS_H
#define DIFFUSE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The most components `diffuse_isotropic_mixture_rows` handles.
#define DIFFUSE_MIXTURE_MAXIMUM_COMPONENTS 128

/// Exact isotropic Gaussian-mixture prediction for `rows` rows of a row-major [n, d] matrix x.
///
/// For each row: squared distances to the scaled means αμₖ, log-responsibilities
/// ℓₖ = logConstants[k] − halfInverseVariances[k]·‖x − αμₖ‖², rₖ = softmax(ℓ)ₖ,
/// x̂₀ = Σₖ rₖ·meanFactors[k]·μₖ + (Σₖ rₖ·shrinkFactors[k])·x and
/// ε̂ = noiseFromX·x + noiseFromDenoised·x̂₀.
///
/// Component arrays are padded to `groups`·8 lanes (padding: logConstants −∞, the rest 0); `scaledMeansByCoordinate` is [d][groups·8] (αμ transposed), `means` is [K][d].
void diffuse_isotropic_mixture_rows(const float *x, ptrdiff_t firstRow, ptrdiff_t endRow, ptrdiff_t d,
                                    ptrdiff_t componentCount, ptrdiff_t groups,
                                    const float *scaledMeansByCoordinate, const float *means,
                                    const float *logConstants, const float *halfInverseVariances,
                                    const float *meanFactors, const float *shrinkFactors,
                                    float noiseFromX, float noiseFromDenoised,
                                    float *denoised, float *noise);

/// `count` standard normals of the stream with Philox key (key0, key1), by the Box–Muller
/// transform on 23-bit uniforms: outputs 16g…16g+15 come from Philox blocks 4g…4g+3 (counters
/// (4g + j, 0, 0, 0)); their first two words give eight u₁ ∈ (0, 1], their last two eight
/// u₂ ∈ [0, 1), and r = √(−2 log u₁) times cos 2πu₂ (eight outputs), then sin 2πu₂ (eight).
void diffuse_fill_normal(float *out, ptrdiff_t count, uint32_t key0, uint32_t key1);

/// The kernels' vector functions over arrays, for accuracy tests: e^x; log x (positive normal
/// x); √x (x ≥ 0); sin 2πx for x in [−½, ½].
void diffuse_vector_exp(const float *x, float *y, ptrdiff_t n);
void diffuse_vector_log(const float *x, float *y, ptrdiff_t n);
void diffuse_vector_sqrt(const float *x, float *y, ptrdiff_t n);
void diffuse_vector_sin_turns(const float *x, float *y, ptrdiff_t n);

/// Elementwise arithmetic with a single-precision vector kernel.
typedef enum {
    diffuse_arithmetic_add,
    diffuse_arithmetic_subtract,
    diffuse_arithmetic_multiply,
    diffuse_arithmetic_divide,
} diffuse_arithmetic_operation;

/// c[i] = a[i·sa] ∘ b[i·sb] for i < n, where each stride is 1 or 0 (a scalar operand) and not
/// both are 0; c may be a or b (in place).
void diffuse_arithmetic(diffuse_arithmetic_operation operation, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *c, ptrdiff_t n);

/// Activations with single-precision vector kernels.
typedef enum {
    diffuse_activation_exp,
    diffuse_activation_sigmoid,
    diffuse_activation_silu,
    diffuse_activation_tanh,
    diffuse_activation_gated_tanh,    // tanh(x)·σ(x)
    diffuse_activation_gelu,          // ½x(1 + erf(x/√2))
    diffuse_activation_relu,          // x > 0 ? x : 0 (NaN → 0)
} diffuse_activation;

/// output[i] = f(input[i]) for i < n (may be in place).
void diffuse_activation_forward(diffuse_activation activation, const float *input, float *output, ptrdiff_t n);

/// output[i] = upstream[i]·f′(input[i]) for i < n (the chain rule of a backward pass).
void diffuse_activation_backward(diffuse_activation activation, const float *input, const float *upstream, float *output, ptrdiff_t n);

/// output[i] = f(input[i]) and derivative[i] = f′(input[i]) for i < n, in one pass (a taped
/// forward pass keeps the derivative, and its backward pass is upstream·derivative, which equals
/// `diffuse_activation_backward` bit for bit).
void diffuse_activation_forward_and_derivative(diffuse_activation activation, const float *input, float *output, float *derivative, ptrdiff_t n);

/// A task of a parallel loop: runs iteration `index` with the caller's `context`.
typedef void (*diffuse_task_function)(void *context, ptrdiff_t index);

/// Runs `function(context, i)` for i in 0..<count on the calling thread and up to
/// `threads` − 1 pool workers (started on first use, one per further online processor), and
/// returns when all iterations have finished. Runs serially on the calling thread when called
/// from inside a job, when `threads` < 2, or while another thread's job is running.
void diffuse_pool_run(ptrdiff_t count, int threads, diffuse_task_function function, void *context);

/// Whether the calling thread is running iterations of a pool job.
int diffuse_pool_is_inside_job(void);

/// Whether `diffuse_pair_fft` handles length n (n ≥ 1 with no prime factor above 5).
int diffuse_pair_fft_supports(ptrdiff_t n);

/// The complex DFT of length n along the rows of `pairs` interleaved complex channels
/// (row-major [n][pairs][2]), y_k = Σ_j x_j e^{sign·2πi·jk/n}, unscaled; rows at or past
/// `input_rows` of the input are zeros (they are not read). `output` holds n rows and must not
/// overlap `input`. Returns 0, or −1 (nothing written) when n is not supported or 2·pairs is
/// not a multiple of 8. Self-sorting mixed-radix Stockham FFT, vectorised across channels.
int diffuse_pair_fft(const float *input, ptrdiff_t input_rows, float *output, ptrdiff_t n, ptrdiff_t pairs, int sign);

/// One row of `ChannelPairFFT.convolve`: W_k = S_k·Z_k + D_k·conj(Z_{n−k}) from the paired
/// spectra Z and the kernel spectra S, D (each [n][pairs][2]), inverse transform, and the first
/// `output_rows` rows of W's inverse divided by n, plus skip_weights ⊙ skip_signal per row
/// when skip_signal is not NULL (both 2·pairs floats wide). Returns 0, or −1 as above.
int diffuse_pair_convolve_row(const float *spectra, const float *kernel_sum, const float *kernel_difference, ptrdiff_t n, ptrdiff_t pairs,
                              float *output, ptrdiff_t output_rows, const float *skip_signal, const float *skip_weights);

/// S4D's closed-form kernel in double precision for rows first_row..<end_row of [rows, modes]
/// complex coefficients c and nodes z (real and imaginary parts apart):
/// kernel[r·length + l] = 2·Re Σₙ c[r, n]·z[r, n]^l. Returns 0, or −1 when out of memory.
int diffuse_vandermonde_rows(const double *cr, const double *ci, const double *zr, const double *zi,
                             ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t modes, ptrdiff_t length, double *kernel);

/// The pullback of `diffuse_vandermonde_rows` for upstream gradient [rows, length]: interleaved
/// (real, imaginary) [rows, modes, 2] gradients 2 Σₗ gₗ·conj(zˡ) for c and 2 Σₗ gₗ·conj(c·l·zˡ⁻¹)
/// for z. Returns 0, or −1 when out of memory.
int diffuse_vandermonde_gradient_rows(const double *cr, const double *ci, const double *zr, const double *zi, const double *gradient,
                                      ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t modes, ptrdiff_t length,
                                      double *coefficient_gradient, double *node_gradient);

/// Layer normalisation of rows first_row..<end_row of [rows, d]: r = 1/√(σ² + ε) (biased
/// variance) into rstd[row], normalized = (x − μ)·r, y = normalized·weight + bias (weight and
/// bias may be NULL; y may equal normalized only when both are NULL).
void diffuse_layer_norm_rows(const float *x, ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t d, float epsilon,
                             const float *weight, const float *bias, float *normalized, float *y, double *rstd);

/// The input gradient of `diffuse_layer_norm_rows` for rows first_row..<end_row: with
/// ĝ = g·weight (g when weight is NULL), gx = r·(ĝ − mean ĝ − normalized·mean(ĝ·normalized)).
void diffuse_layer_norm_backward_rows(const float *g, const float *normalized, const double *rstd, const float *weight,
                                      ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t d, float *gx);

/// Adam's constants for one update, in single precision (`Adam.fusedStep` computes them).
typedef struct {
    float beta1, one_minus_beta1, beta2, one_minus_beta2;
    float l2;                        // coupled weight decay (L2 added to the gradient), or 0
    float decay;                     // 1 − lr·weight decay for decoupled decay (AdamW), or 1
    float step_size;                 // lr / (1 − β₁ᵗ)
    float sqrt_bias_correction2;     // 1 / √(1 − β₂ᵗ)
    float epsilon;
} diffuse_adam_coefficients;

/// One Adam step over n parameters p with gradient g and moments m, v (in place):
/// ĝ = g + l2·p; m ← β₁m + (1 − β₁)ĝ; v ← β₂v + (1 − β₂)ĝ²; p ← decay·p − step·m/(√v·c₂ + ε).
void diffuse_adam_step(float *p, const float *g, float *m, float *v, ptrdiff_t n, const diffuse_adam_coefficients *c);

/// Rows first_row..<end_row of [rows, n]: y = softmax(x) along each row, or log-softmax when
/// `logarithm` is nonzero (y may equal x). Rows are shifted by their maximum, or by 0 when it is not
/// finite (as `Tensor.logSumExp`): a row of −∞ gives NaN, a NaN anywhere gives a row of NaN.
void diffuse_softmax_rows(const float *x, ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t n, int logarithm, float *y);

/// out[k][c] += X_c,k·conj(U_c,k) for k ≤ n/2 and both real channels c of every pair, from one
/// row of paired spectra x and u ([n][pairs][2] each; see `ChannelPairFFT.crossSpectrumSum`);
/// `out` is interleaved complex [n/2 + 1][2·pairs]. Returns 0, or −1 when 2·pairs is not a
/// multiple of 8.
int diffuse_pair_cross_spectrum_add(const float *x, const float *u, float *out, ptrdiff_t n, ptrdiff_t pairs);

#endif
