#include "DiffuseKernels.h"
#include "Vector.h"

// Single-precision activations and their derivatives, sixteen lanes at a time (one register in
// the AVX-512 version); a tail shorter than a vector goes through a zero-padded vector (each
// lane depends on its own input only, so the padding does not matter).
//
// Each function is written once, with its derivative, below; the backward kernel multiplies the
// upstream gradient by the derivative (g·f′(x), one rounding after f′), so a backward pass from a
// derivative kept by the forward pass gives the same bits. The forward kernel leaves the
// derivative's arithmetic unused, and the compiler drops it.

// `both_NAME(x, r, d)` sets r = f(x) and d = f′(x), computing what they share once;
// `value_NAME(x)` and `derivative_NAME(x)` are its two halves.
#define both_exp(x, r, d) do { (r) = vector_exp(x); (d) = (r); } while (0)
#define both_sigmoid(x, r, d) do { __typeof__(x) s_bs = vector_sigmoid(x); (r) = s_bs; (d) = s_bs * (1 - s_bs); } while (0)
#define both_silu(x, r, d) do { __typeof__(x) s_bl = vector_sigmoid(x); (r) = (x) * s_bl; (d) = s_bl * (1 + (x) * (1 - s_bl)); } while (0)
#define both_tanh(x, r, d) do { __typeof__(x) t_bt = vector_tanh(x); (r) = t_bt; (d) = 1 - t_bt * t_bt; } while (0)
#define both_gated_tanh(x, r, d) do { __typeof__(x) t_bg, s_bg; vector_gated_tanh_parts(x, t_bg, s_bg); \
    (r) = t_bg * s_bg; (d) = (1 - t_bg * t_bg) * s_bg + t_bg * s_bg * (1 - s_bg); } while (0)
// GELU: ½x(1 + erf z) and Φ(x) + x·φ(x) = ½(1 + erf z) + x·e^{−z²}/√(2π), z = x/√2, through the
// e^{−z²} that erf and the normal density share.
#define both_gelu(x, r, d) do { __typeof__(x) z_bu = (x) * 0.70710678118654752f, gaussian_bu = vector_exp(-z_bu * z_bu); \
    __typeof__(x) erf_bu = vector_erf_given_gaussian(z_bu, gaussian_bu); \
    (r) = 0.5f * (x) * (1 + erf_bu); (d) = 0.5f * (1 + erf_bu) + (x) * 0.3989422804014327f * gaussian_bu; } while (0)
#define both_relu(x, r, d) do { (r) = vector_select((x) > 0.0f, (x), vector_splat_like(x, 0)); \
    (d) = vector_select((x) > 0.0f, vector_splat_like(x, 1), vector_splat_like(x, 0)); } while (0)
#define value_of(name, x) ({ __typeof__(x) r_vo, d_vo; both_##name(x, r_vo, d_vo); (void)d_vo; r_vo; })
#define derivative_of(name, x) ({ __typeof__(x) r_do, d_do; both_##name(x, r_do, d_do); (void)r_do; d_do; })

// `for_each_vector(n, body)` runs `body`, statements in the input vector `x` that set `r` (and
// `d` when `derivative` is not NULL), for every vector of the caller's `input` and `upstream`
// arrays, storing `r` to `output` and `d` to `derivative`; `upstream` (NULL or not) gives `g`.
#define for_each_vector(n, body) do { \
    const float16v zero_fe = {0}; \
    ptrdiff_t i_fe = 0; \
    for (; i_fe + 16 <= (n); i_fe += 16) { \
        float16v x = float16v_load(input + i_fe); \
        float16v g = upstream ? float16v_load(upstream + i_fe) : zero_fe; \
        float16v r, d = zero_fe; \
        body; \
        (void)g; (void)d; \
        float16v_store(output + i_fe, r); \
        if (derivative) float16v_store(derivative + i_fe, d); \
    } \
    if (i_fe < (n)) { \
        float16v x = zero_fe, g = zero_fe; \
        for (ptrdiff_t l_fe = 0; i_fe + l_fe < (n); l_fe++) { \
            x[l_fe] = input[i_fe + l_fe]; \
            if (upstream) g[l_fe] = upstream[i_fe + l_fe]; \
        } \
        float16v r, d = zero_fe; \
        body; \
        (void)g; (void)d; \
        for (ptrdiff_t l_fe = 0; i_fe + l_fe < (n); l_fe++) { \
            output[i_fe + l_fe] = r[l_fe]; \
            if (derivative) derivative[i_fe + l_fe] = d[l_fe]; \
        } \
    } \
} while (0)

/// Runs `step(name)` for the activation's name.
#define dispatch(activation, step) switch (activation) { \
    case diffuse_activation_exp: step(exp); break; \
    case diffuse_activation_sigmoid: step(sigmoid); break; \
    case diffuse_activation_silu: step(silu); break; \
    case diffuse_activation_tanh: step(tanh); break; \
    case diffuse_activation_gated_tanh: step(gated_tanh); break; \
    case diffuse_activation_gelu: step(gelu); break; \
    case diffuse_activation_relu: step(relu); break; \
}

DIFFUSE_CLONES
void diffuse_activation_forward(diffuse_activation activation, const float *input, float *output, ptrdiff_t n) {
    const float *upstream = NULL;
    float *derivative = NULL;
#define forward_step(name) for_each_vector(n, r = value_of(name, x))
    dispatch(activation, forward_step)
#undef forward_step
}

DIFFUSE_CLONES
void diffuse_activation_backward(diffuse_activation activation, const float *input, const float *upstream, float *output, ptrdiff_t n) {
    float *derivative = NULL;
#define backward_step(name) for_each_vector(n, r = g * derivative_of(name, x))
    // ReLU passes g itself (g·1 would turn −0 and NaN·0 into other bits).
    if (activation == diffuse_activation_relu) for_each_vector(n, r = vector_select(x > 0.0f, g, vector_splat_like(x, 0)));
    else dispatch(activation, backward_step)
#undef backward_step
}

DIFFUSE_CLONES
void diffuse_activation_forward_and_derivative(diffuse_activation activation, const float *input, float *output, float *derivative, ptrdiff_t n) {
    const float *upstream = NULL;
#define combined_step(name) for_each_vector(n, both_##name(x, r, d))
    dispatch(activation, combined_step)
#undef combined_step
}
