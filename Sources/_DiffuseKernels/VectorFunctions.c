#include "DiffuseKernels.h"
#include "Vector.h"

// The kernels' vector functions applied to arrays, so that the test suite can check their
// accuracy against the C library. A tail shorter than eight lanes is padded with `padding`.
#define map_float8(x, n, padding, body) do { \
    for (ptrdiff_t i_mf = 0; i_mf < (n); i_mf += 8) { \
        float8 v; \
        if (i_mf + 8 <= (n)) v = float8_load((x) + i_mf); \
        else { v = float8_splat(padding); for (ptrdiff_t l_mf = 0; i_mf + l_mf < (n); l_mf++) v[l_mf] = (x)[i_mf + l_mf]; } \
        ptrdiff_t lanes_mf = (n) - i_mf < 8 ? (n) - i_mf : 8; \
        body \
    } \
} while (0)

void diffuse_vector_exp(const float *x, float *y, ptrdiff_t n) {
    map_float8(x, n, 0.0f, { float8 r = vector_exp(v); for (ptrdiff_t l = 0; l < lanes_mf; l++) y[i_mf + l] = r[l]; });
}

void diffuse_vector_log(const float *x, float *y, ptrdiff_t n) {
    map_float8(x, n, 1.0f, { float8 r = vector_log(v); for (ptrdiff_t l = 0; l < lanes_mf; l++) y[i_mf + l] = r[l]; });
}

void diffuse_vector_sqrt(const float *x, float *y, ptrdiff_t n) {
    map_float8(x, n, 1.0f, { float8 r = vector_sqrt(v); for (ptrdiff_t l = 0; l < lanes_mf; l++) y[i_mf + l] = r[l]; });
}

void diffuse_vector_sin_turns(const float *x, float *y, ptrdiff_t n) {
    map_float8(x, n, 0.0f, { float8 r = vector_sin_turns(v); for (ptrdiff_t l = 0; l < lanes_mf; l++) y[i_mf + l] = r[l]; });
}
