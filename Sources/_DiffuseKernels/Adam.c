// Adam's update (Kingma & Ba 2015) over one tensor in single precision, eight lanes at a time, in
// the operation order of the Swift loop it replaces (`Adam.fusedStep`), with IEEE square roots and
// divisions and no contraction: the results are bit-identical to that loop, in both versions.
#include "DiffuseKernels.h"
#include "Vector.h"

#include <math.h>

DIFFUSE_CLONES
void diffuse_adam_step(float *p, const float *g, float *m, float *v, ptrdiff_t n, const diffuse_adam_coefficients *c) {
    const float b1 = c->beta1, a1 = c->one_minus_beta1, b2 = c->beta2, a2 = c->one_minus_beta2;
    const float l2 = c->l2, decay = c->decay, step = c->step_size, root = c->sqrt_bias_correction2, eps = c->epsilon;
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float8 pv = float8_load(p + i);
        float8 grad = float8_load(g + i) + l2 * pv;
        float8 mi = b1 * float8_load(m + i) + a1 * grad;
        float8 vi = b2 * float8_load(v + i) + a2 * grad * grad;
        float8_store(m + i, mi);
        float8_store(v + i, vi);
        float8_store(p + i, decay * pv - step * mi / (__builtin_elementwise_sqrt(vi) * root + eps));
    }
    for (; i < n; i++) {
        float grad = g[i] + l2 * p[i];
        float mi = b1 * m[i] + a1 * grad;
        float vi = b2 * v[i] + a2 * grad * grad;
        m[i] = mi;
        v[i] = vi;
        p[i] = decay * p[i] - step * mi / (sqrtf(vi) * root + eps);
    }
}
