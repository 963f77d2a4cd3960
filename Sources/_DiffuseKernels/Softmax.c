// Softmax and log-softmax along the rows of a row-major matrix in single precision, one row at a
// time in three passes (maximum, in eight lanes; exponentials and their sum; scaling), with the vector
// exponential of Vector.h. The row sum uses eight partial sums (lanes), then `float8_sum`, then
// the tail in order.
#include "DiffuseKernels.h"
#include "Vector.h"

#include <math.h>

DIFFUSE_CLONES
void diffuse_softmax_rows(const float *x, ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t n, int logarithm, float *y) {
    for (ptrdiff_t r = first_row; r < end_row; r++) {
        const float *row = x + r * n;
        float *out = y + r * n;
        // The maximum in eight lanes, then across them and over the tail: the largest element
        // that is not NaN, whatever the order (as the scalar loop it replaced).
        float8 largest = float8_splat(-__builtin_inff());
        ptrdiff_t k = 0;
        for (; k + 8 <= n; k += 8) {
            float8 v = float8_load(row + k);
            largest = vector_select(v > largest, v, largest);
        }
        float maximum = float8_max_lane(largest);
        for (; k < n; k++) maximum = row[k] > maximum ? row[k] : maximum;
        // A row without a finite maximum (all −∞, or +∞ present) is shifted by 0, as in
        // `Tensor.logSumExp`, so that it gives NaN or 0 where that formula does, not ∞ − ∞ everywhere.
        if (!isfinite(maximum)) maximum = 0;
        float8 lanes = float8_splat(0);
        ptrdiff_t j = 0;
        for (; j + 8 <= n; j += 8) {
            float8 e = vector_exp(float8_load(row + j) - maximum);
            if (!logarithm) float8_store(out + j, e);
            lanes += e;
        }
        float sum = float8_sum(lanes);
        if (j < n) {
            float8 v = float8_splat(0);
            for (ptrdiff_t l = 0; j + l < n; l++) v[l] = row[j + l] - maximum;
            float8 e = vector_exp(v);
            for (ptrdiff_t l = 0; j + l < n; l++) {
                if (!logarithm) out[j + l] = e[l];
                sum += e[l];
            }
        }
        if (logarithm) {
            const float shift = maximum + logf(sum);
            for (j = 0; j < n; j++) out[j] = row[j] - shift;
        } else {
            const float inverse = 1 / sum;
            for (j = 0; j < n; j++) out[j] = out[j] * inverse;
        }
    }
}
