#include "DiffuseKernels.h"
#include "Vector.h"

enum {
    maximumGroups = DIFFUSE_MIXTURE_MAXIMUM_COMPONENTS / 8,   // (checked by the Swift caller)
    blockRows = 4,        // rows processed together so that their dependency chains overlap
};

/// `rowCount` (≤ `blockRows`) rows starting at `first`. Every step loops over the rows
/// innermost, so the latency chains of one row (distance sums, maximum, exponential, sums,
/// division, weighted means) interleave with those of the others.
static inline __attribute__((always_inline))
void mixture_block(const int rowCount, const float *x, ptrdiff_t first, ptrdiff_t d, ptrdiff_t componentCount, ptrdiff_t groups,
                   const float *scaledMeansByCoordinate, const float *means,
                   const float *logConstants, const float *halfInverseVariances,
                   const float *meanFactors, const float *shrinkFactors,
                   float noiseFromX, float noiseFromDenoised, float *denoised, float *noise) {
    float8 logits[blockRows][maximumGroups];
    float weights[blockRows][8 * maximumGroups];
    float largest[blockRows], total[blockRows], coefficient[blockRows];
    const float *rows[blockRows];
    for (int r = 0; r < rowCount; r++) {
        rows[r] = x + (first + r) * d;
        largest[r] = -__builtin_inff();
        total[r] = 0;
        coefficient[r] = 0;
    }
    // Log-responsibilities ℓₖ = logConstants[k] − halfInverseVariances[k]·‖x − αμₖ‖².
    for (ptrdiff_t g = 0; g < groups; g++) {
        float8 distance[blockRows];
        for (int r = 0; r < rowCount; r++) distance[r] = float8_splat(0);
        for (ptrdiff_t j = 0; j < d; j++) {
            float8 column = float8_load(scaledMeansByCoordinate + (j * groups + g) * 8);
            for (int r = 0; r < rowCount; r++) {
                float8 difference = float8_splat(rows[r][j]) - column;
                distance[r] += difference * difference;
            }
        }
        float8 constant = float8_load(logConstants + 8 * g), halfInverse = float8_load(halfInverseVariances + 8 * g);
        for (int r = 0; r < rowCount; r++) {
            float8 l = constant - halfInverse * distance[r];
            logits[r][g] = l;
            float m = float8_max_lane(l);
            largest[r] = m > largest[r] ? m : largest[r];
        }
    }
    // Softmax and the weights rₖ·meanFactors[k] of the means and Σₖ rₖ·shrinkFactors[k] of x.
    for (ptrdiff_t g = 0; g < groups; g++) {
        for (int r = 0; r < rowCount; r++) {
            float8 e = vector_exp(logits[r][g] - float8_splat(largest[r]));
            logits[r][g] = e;
            total[r] += float8_sum(e);
        }
    }
    for (int r = 0; r < rowCount; r++) total[r] = 1.0f / total[r];
    for (ptrdiff_t g = 0; g < groups; g++) {
        float8 shrink = float8_load(shrinkFactors + 8 * g), meanFactor = float8_load(meanFactors + 8 * g);
        for (int r = 0; r < rowCount; r++) {
            float8 responsibility = logits[r][g] * total[r];
            coefficient[r] += float8_sum(responsibility * shrink);
            float8_store(weights[r] + 8 * g, responsibility * meanFactor);
        }
    }
    // x̂₀ = Σₖ wₖμₖ + coefficient·x and ε̂ = noiseFromX·x + noiseFromDenoised·x̂₀.
    ptrdiff_t j = 0;
    for (; j + 8 <= d; j += 8) {
        float8 xv[blockRows], acc[blockRows];
        for (int r = 0; r < rowCount; r++) {
            xv[r] = float8_load(rows[r] + j);
            acc[r] = coefficient[r] * xv[r];
        }
        for (ptrdiff_t q = 0; q < componentCount; q++) {
            float8 mean = float8_load(means + q * d + j);
            for (int r = 0; r < rowCount; r++) acc[r] += weights[r][q] * mean;
        }
        for (int r = 0; r < rowCount; r++) {
            float8_store(denoised + (first + r) * d + j, acc[r]);
            float8_store(noise + (first + r) * d + j, noiseFromX * xv[r] + noiseFromDenoised * acc[r]);
        }
    }
    for (; j < d; j++) {
        for (int r = 0; r < rowCount; r++) {
            float acc = coefficient[r] * rows[r][j];
            for (ptrdiff_t q = 0; q < componentCount; q++) acc += weights[r][q] * means[q * d + j];
            denoised[(first + r) * d + j] = acc;
            noise[(first + r) * d + j] = noiseFromX * rows[r][j] + noiseFromDenoised * acc;
        }
    }
}

DIFFUSE_CLONES
void diffuse_isotropic_mixture_rows(const float *x, ptrdiff_t firstRow, ptrdiff_t endRow, ptrdiff_t d,
                                    ptrdiff_t componentCount, ptrdiff_t groups,
                                    const float *scaledMeansByCoordinate, const float *means,
                                    const float *logConstants, const float *halfInverseVariances,
                                    const float *meanFactors, const float *shrinkFactors,
                                    float noiseFromX, float noiseFromDenoised,
                                    float *denoised, float *noise) {
    // Responsibilities far below the largest give subnormal weights, whose arithmetic is
    // several times slower; flush them to zero for this loop (they cannot change x̂₀ visibly).
#if defined(__x86_64__)
    unsigned int savedControl = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(savedControl | 0x8040);   // flush-to-zero and denormals-are-zero
#endif
    ptrdiff_t i = firstRow;
    for (; i + blockRows <= endRow; i += blockRows) {
        mixture_block(blockRows, x, i, d, componentCount, groups, scaledMeansByCoordinate, means, logConstants,
                      halfInverseVariances, meanFactors, shrinkFactors, noiseFromX, noiseFromDenoised, denoised, noise);
    }
    for (; i < endRow; i++) {
        mixture_block(1, x, i, d, componentCount, groups, scaledMeansByCoordinate, means, logConstants,
                      halfInverseVariances, meanFactors, shrinkFactors, noiseFromX, noiseFromDenoised, denoised, noise);
    }
#if defined(__x86_64__)
    __builtin_ia32_ldmxcsr(savedControl);
#endif
}
