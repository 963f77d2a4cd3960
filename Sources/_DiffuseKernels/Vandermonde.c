// The closed-form kernel of a diagonal state-space model (S4D) and its pullback, in double
// precision by running powers: K[r, l] = 2·Re Σₙ cᵣₙ zᵣₙˡ, and with upstream gradient g,
// ∂c = 2 Σₗ gₗ·conj(zˡ), ∂z = 2 Σₗ gₗ·conj(c·l·zˡ⁻¹) (see `vandermondeKernel` in DiffuseNN).
//
// Modes are processed four to a vector (padded with zero coefficients and nodes) and every block
// of a row advances through l together, so the running-power recurrences are independent
// chains and the loop is bound by throughput rather than by one multiply's latency.
#include "DiffuseKernels.h"
#include "Vector.h"

#include <stdlib.h>

typedef double double4 __attribute__((vector_size(32)));

enum { lanes = 4 };

/// Row r's coefficients or nodes as four-lane blocks, zero-padded.
#define load_blocks(target, real, imaginary, row, modes, blocks) do { \
    for (ptrdiff_t b_lb = 0; b_lb < (blocks); b_lb++) { \
        for (int j_lb = 0; j_lb < lanes; j_lb++) { \
            ptrdiff_t n_lb = b_lb * lanes + j_lb; \
            target##_re[b_lb][j_lb] = n_lb < (modes) ? (real)[(row) * (modes) + n_lb] : 0; \
            target##_im[b_lb][j_lb] = n_lb < (modes) ? (imaginary)[(row) * (modes) + n_lb] : 0; \
        } \
    } } while (0)

DIFFUSE_CLONES
int diffuse_vandermonde_rows(const double *cr, const double *ci, const double *zr, const double *zi,
                             ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t modes, ptrdiff_t length, double *kernel) {
    const ptrdiff_t blocks = (modes + lanes - 1) / lanes;
    double4 *storage = aligned_alloc(32, sizeof(double4) * (size_t)(6 * blocks + 1));
    if (storage == NULL) return -1;
    double4 *c_re = storage, *c_im = c_re + blocks, *z_re = c_im + blocks, *z_im = z_re + blocks;
    double4 *w_re = z_im + blocks, *w_im = w_re + blocks;
    for (ptrdiff_t r = first_row; r < end_row; r++) {
        load_blocks(c, cr, ci, r, modes, blocks);
        load_blocks(z, zr, zi, r, modes, blocks);
        for (ptrdiff_t b = 0; b < blocks; b++) {
            w_re[b] = (double4){1, 1, 1, 1};
            w_im[b] = (double4){0, 0, 0, 0};
        }
        for (ptrdiff_t l = 0; l < length; l++) {
            double4 total = {0, 0, 0, 0};
            for (ptrdiff_t b = 0; b < blocks; b++) {
                double4 a = w_re[b], bb = w_im[b];
                total += c_re[b] * a - c_im[b] * bb;
                w_re[b] = a * z_re[b] - bb * z_im[b];
                w_im[b] = a * z_im[b] + bb * z_re[b];
            }
            kernel[r * length + l] = 2 * ((total[0] + total[1]) + (total[2] + total[3]));
        }
    }
    free(storage);
    return 0;
}

DIFFUSE_CLONES
int diffuse_vandermonde_gradient_rows(const double *cr, const double *ci, const double *zr, const double *zi, const double *gradient,
                                      ptrdiff_t first_row, ptrdiff_t end_row, ptrdiff_t modes, ptrdiff_t length,
                                      double *coefficient_gradient, double *node_gradient) {
    const ptrdiff_t blocks = (modes + lanes - 1) / lanes;
    double4 *storage = aligned_alloc(32, sizeof(double4) * (size_t)(12 * blocks + 1));
    if (storage == NULL) return -1;
    double4 *c_re = storage, *c_im = c_re + blocks, *z_re = c_im + blocks, *z_im = z_re + blocks;
    double4 *w_re = z_im + blocks, *w_im = w_re + blocks, *p_re = w_im + blocks, *p_im = p_re + blocks;
    double4 *sc_re = p_im + blocks, *sc_im = sc_re + blocks, *sz_re = sc_im + blocks, *sz_im = sz_re + blocks;
    const double4 zero = {0, 0, 0, 0};
    for (ptrdiff_t r = first_row; r < end_row; r++) {
        load_blocks(c, cr, ci, r, modes, blocks);
        load_blocks(z, zr, zi, r, modes, blocks);
        for (ptrdiff_t b = 0; b < blocks; b++) {
            w_re[b] = (double4){1, 1, 1, 1};
            w_im[b] = p_re[b] = p_im[b] = sc_re[b] = sc_im[b] = sz_re[b] = sz_im[b] = zero;
        }
        for (ptrdiff_t l = 0; l < length; l++) {
            double g = gradient[r * length + l];
            double4 gl = {g, g, g, g};
            for (ptrdiff_t b = 0; b < blocks; b++) {
                double4 wr = w_re[b], wi = w_im[b], pr = p_re[b], pi = p_im[b];
                sc_re[b] += gl * wr;                                   // Σ g·conj(z^l)
                sc_im[b] -= gl * wi;
                double4 qr = c_re[b] * pr - c_im[b] * pi, qi = c_re[b] * pi + c_im[b] * pr;
                sz_re[b] += gl * qr;                                   // Σ g·conj(c·l·z^(l−1))
                sz_im[b] -= gl * qi;
                // l·z^(l−1) → (l+1)·z^l = z·(l·z^(l−1)) + z^l
                p_re[b] = pr * z_re[b] - pi * z_im[b] + wr;
                p_im[b] = pr * z_im[b] + pi * z_re[b] + wi;
                w_re[b] = wr * z_re[b] - wi * z_im[b];
                w_im[b] = wr * z_im[b] + wi * z_re[b];
            }
        }
        for (ptrdiff_t b = 0; b < blocks; b++) {
            for (int j = 0; j < lanes && b * lanes + j < modes; j++) {
                ptrdiff_t i = r * modes + b * lanes + j;
                coefficient_gradient[2 * i] = 2 * sc_re[b][j];
                coefficient_gradient[2 * i + 1] = 2 * sc_im[b][j];
                node_gradient[2 * i] = 2 * sz_re[b][j];
                node_gradient[2 * i + 1] = 2 * sz_im[b][j];
            }
        }
    }
    free(storage);
    return 0;
}
