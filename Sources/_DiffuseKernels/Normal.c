#include "DiffuseKernels.h"
#include "Vector.h"

typedef uint32_t uint32x8 __attribute__((vector_size(32)));
typedef uint64_t uint64x4 __attribute__((vector_size(32)));

/// The high and low words of the 64-bit products of eight 32-bit lanes with a constant: the
/// even and odd lanes are multiplied as zero-extended 64-bit halves (one `vpmuludq`/`pmuludq`
/// each) and the words interleaved back.
#define multiply_wide(lanes, constant, high, low) do { \
    uint64x4 even_mw = ((uint64x4)(lanes) & 0xFFFFFFFFu) * (uint64_t)(constant); \
    uint64x4 odd_mw = ((uint64x4)(lanes) >> 32) * (uint64_t)(constant); \
    (low) = (uint32x8)((even_mw & 0xFFFFFFFFu) | (odd_mw << 32)); \
    (high) = (uint32x8)((even_mw >> 32) | (odd_mw & 0xFFFFFFFF00000000u)); \
} while (0)

/// 16 normals from the four words of four Philox blocks (words 0–1: eight u₁, words 2–3: eight
/// u₂), cosines first; only the first `available` are written.
#define write_normals(out, available, first, second) do { \
    uint32x8 bits1_wn = ((first) >> 9) | 0x4B000000u, bits2_wn = ((second) >> 9) | 0x4B000000u; \
    float8 u1_wn = ((float8)bits1_wn - 8388607.0f) * 0x1p-23f; \
    float8 u2_wn = ((float8)bits2_wn - 8388608.0f) * 0x1p-23f; \
    float8 radius_wn = vector_sqrt(-2.0f * vector_log(u1_wn)); \
    float8 v_wn = vector_select(u2_wn >= 0.5f, u2_wn - 1, u2_wn); \
    float8 shifted_wn = v_wn + 0.25f; \
    shifted_wn = vector_select(shifted_wn >= 0.5f, shifted_wn - 1, shifted_wn); \
    float8 cosines_wn = radius_wn * vector_sin_turns(shifted_wn), sines_wn = radius_wn * vector_sin_turns(v_wn); \
    if ((available) >= 16) { \
        float8_store((out), cosines_wn); \
        float8_store((out) + 8, sines_wn); \
    } else { \
        for (ptrdiff_t l_wn = 0; l_wn < 8 && l_wn < (available); l_wn++) (out)[l_wn] = cosines_wn[l_wn]; \
        for (ptrdiff_t l_wn = 0; l_wn < 8 && l_wn + 8 < (available); l_wn++) (out)[8 + l_wn] = sines_wn[l_wn]; \
    } \
} while (0)

DIFFUSE_CLONES
void diffuse_fill_normal(float *out, ptrdiff_t count, uint32_t key0, uint32_t key1) {
    uint32_t counter = 0;
    for (ptrdiff_t i = 0; i < count; i += 32, counter += 8) {
        // Eight Philox-4×32-10 blocks for the counters (counter + j, 0, 0, 0), one per lane.
        uint32x8 c0 = counter + (uint32x8){0, 1, 2, 3, 4, 5, 6, 7}, c1 = {0}, c2 = {0}, c3 = {0};
        uint32x8 k0 = key0 + (uint32x8){0}, k1 = key1 + (uint32x8){0};
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += 0x9E3779B9u;
                k1 += 0xBB67AE85u;
            }
            uint32x8 high0, low0, high2, low2;
            multiply_wide(c0, 0xD2511F53u, high0, low0);
            multiply_wide(c2, 0xCD9E8D57u, high2, low2);
            uint32x8 n0 = high2 ^ c1 ^ k0;
            uint32x8 n2 = high0 ^ c3 ^ k1;
            c1 = low2;
            c3 = low0;
            c0 = n0;
            c2 = n2;
        }
        // Blocks 0–3 give outputs i…i+15, blocks 4–7 outputs i+16…i+31.
        write_normals(out + i, count - i, __builtin_shufflevector(c0, c1, 0, 1, 2, 3, 8, 9, 10, 11),
                      __builtin_shufflevector(c2, c3, 0, 1, 2, 3, 8, 9, 10, 11));
        if (i + 16 < count) {
            write_normals(out + i + 16, count - i - 16, __builtin_shufflevector(c0, c1, 4, 5, 6, 7, 12, 13, 14, 15),
                          __builtin_shufflevector(c2, c3, 4, 5, 6, 7, 12, 13, 14, 15));
        }
    }
}
