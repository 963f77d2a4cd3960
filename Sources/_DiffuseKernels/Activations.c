#include "DiffuseKernels.h"
#include "Vector.h"

// Single-precision activations and their chain-rule derivatives, eight lanes at a time; a
// tail shorter than a vector goes through a zero-padded vector (each lane depends on its own
// input only, so the padding does not matter).

// `for_each_vector(n, body)` evaluates `body`, an expression in the vectors `x` (input) and `g`
// (upstream, zero in forward passes), for every vector of the caller's `input`, `upstream` and
// `output` arrays; `body` must not use other names `x`, `g` or `r` of its own.
#define for_each_vector(n, body) do { \
    ptrdiff_t i_fe = 0; \
    for (; i_fe + 8 <= (n); i_fe += 8) { \
        float8 x = float8_load(input + i_fe); \
        float8 g = upstream ? float8_load(upstream + i_fe) : float8_splat(0); \
        float8 r = (body); \
        float8_store(output + i_fe, r); \
    } \
    if (i_fe < (n)) { \
        float8 x = float8_splat(0), g = float8_splat(0); \
        for (ptrdiff_t l_fe = 0; i_fe + l_fe < (n); l_fe++) { \
            x[l_fe] = input[i_fe + l_fe]; \
            if (upstream) g[l_fe] = upstream[i_fe + l_fe]; \
        } \
        float8 r = (body); \
        for (ptrdiff_t l_fe = 0; i_fe + l_fe < (n); l_fe++) output[i_fe + l_fe] = r[l_fe]; \
    } \
} while (0)

DIFFUSE_CLONES
void diffuse_activation_forward(diffuse_activation activation, const float *input, float *output, ptrdiff_t n) {
    const float *upstream = NULL;
    switch (activation) {
    case diffuse_activation_exp: for_each_vector(n, float8_exp(x)); break;
    case diffuse_activation_sigmoid: for_each_vector(n, float8_sigmoid(x)); break;
    case diffuse_activation_silu: for_each_vector(n, x * float8_sigmoid(x)); break;
    case diffuse_activation_tanh: for_each_vector(n, float8_tanh(x)); break;
    case diffuse_activation_gated_tanh:
        for_each_vector(n, ({ float8 t, s; float8_gated_tanh_parts(x, t, s); t * s; }));
        break;
    case diffuse_activation_gelu: for_each_vector(n, 0.5f * x * (1 + float8_erf(x * 0.70710678118654752f))); break;
    case diffuse_activation_relu: for_each_vector(n, float8_select(x > 0.0f, x, float8_splat(0))); break;
    }
}

DIFFUSE_CLONES
void diffuse_activation_backward(diffuse_activation activation, const float *input, const float *upstream, float *output, ptrdiff_t n) {
    switch (activation) {
    case diffuse_activation_exp: for_each_vector(n, g * float8_exp(x)); break;
    case diffuse_activation_sigmoid:
        for_each_vector(n, ({ float8 s = float8_sigmoid(x); g * s * (1 - s); }));
        break;
    case diffuse_activation_silu:
        for_each_vector(n, ({ float8 s = float8_sigmoid(x); g * s * (1 + x * (1 - s)); }));
        break;
    case diffuse_activation_tanh:
        for_each_vector(n, ({ float8 t = float8_tanh(x); g * (1 - t * t); }));
        break;
    case diffuse_activation_gated_tanh:
        for_each_vector(n, ({ float8 t, s; float8_gated_tanh_parts(x, t, s); g * ((1 - t * t) * s + t * s * (1 - s)); }));
        break;
    case diffuse_activation_gelu:
        // Φ(x) + x·φ(x) with φ the standard normal density; one exponential e^{−x²/2} serves both.
        for_each_vector(n, ({ float8 z = x * 0.70710678118654752f, gaussian = float8_exp(-z * z);
                              float8 cdf = 0.5f * (1 + float8_erf_given_gaussian(z, gaussian));
                              g * (cdf + x * 0.3989422804014327f * gaussian); }));
        break;
    case diffuse_activation_relu: for_each_vector(n, float8_select(x > 0.0f, g, float8_splat(0))); break;
    }
}
