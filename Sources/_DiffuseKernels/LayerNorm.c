// Layer normalisation over the last axis (Ba, Kiros & Hinton 2016) in single precision, with the
// affine weight and bias applied in the same pass, and its input gradient in closed form.
// Row sums use eight partial sums (lanes), then `float8_sum`, then the tail in order.
#include "DiffuseKernels.h"
#include "Vector.h"

#include <math.h>

DIFFUSE_CLONES
void diffuse_layer_norm_rows(const float *x, ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t d, float epsilon,
                             const float *weight, const float *bias, float *normalized, float *y, double *rstd) {
    for (ptrdiff_t r = first_row; r < end_row; r++) {
        const float *row = x + r * d;
        float8 lanes = float8_splat(0);
        ptrdiff_t j = 0;
        for (; j + 8 <= d; j += 8) lanes += float8_load(row + j);
        float sum = float8_sum(lanes);
        for (; j < d; j++) sum += row[j];
        const float mean = sum / (float)d;
        lanes = float8_splat(0);
        for (j = 0; j + 8 <= d; j += 8) {
            float8 c = float8_load(row + j) - mean;
            lanes += c * c;
        }
        float squares = float8_sum(lanes);
        for (; j < d; j++) squares += (row[j] - mean) * (row[j] - mean);
        const float inverse = 1 / sqrtf(squares / (float)d + epsilon);
        rstd[r] = inverse;
        float *n = normalized + r * d, *out = y + r * d;
        for (j = 0; j < d; j++) {
            float value = (row[j] - mean) * inverse;
            n[j] = value;
            if (weight != NULL) value = value * weight[j];
            if (bias != NULL) value = value + bias[j];
            out[j] = value;
        }
    }
}

DIFFUSE_CLONES
void diffuse_layer_norm_backward_rows(const float *g, const float *normalized, const double *rstd, const float *weight,
                                      ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t d, float *gx) {
    for (ptrdiff_t r = first_row; r < end_row; r++) {
        const float *gr = g + r * d, *xr = normalized + r * d;
        float8 lanes1 = float8_splat(0), lanes2 = float8_splat(0);
        ptrdiff_t j = 0;
        for (; j + 8 <= d; j += 8) {
            float8 v = float8_load(gr + j);
            if (weight != NULL) v = v * float8_load(weight + j);
            lanes1 += v;
            lanes2 += v * float8_load(xr + j);
        }
        float m1 = float8_sum(lanes1), m2 = float8_sum(lanes2);
        for (; j < d; j++) {
            float v = weight != NULL ? gr[j] * weight[j] : gr[j];
            m1 += v;
            m2 += v * xr[j];
        }
        m1 /= (float)d;
        m2 /= (float)d;
        const float s = (float)rstd[r];
        float *o = gx + r * d;
        for (j = 0; j < d; j++) {
            float v = weight != NULL ? gr[j] * weight[j] : gr[j];
            o[j] = s * (v - m1 - xr[j] * m2);
        }
    }
}
