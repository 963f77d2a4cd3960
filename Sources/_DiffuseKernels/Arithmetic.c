#include "DiffuseKernels.h"
#include "Vector.h"

// Single-precision a ∘ b for ∘ in +, −, ×, ÷, over contiguous arrays or one of them a scalar
// (stride 0), sixteen lanes at a time (64-byte registers in the AVX-512 version, two or four
// smaller ones elsewhere). IEEE operations lane by lane, so every version gives the results of
// the scalar loop it replaces.

// The loop over one stride pattern: `A` and `B` are the operands at index i (a load or a
// splatted scalar), `S` the same for a scalar tail.
#define arithmetic_loop(expression, tail_expression) do { \
    ptrdiff_t i = 0; \
    for (; i + 16 <= n; i += 16) float16v_store(c + i, expression); \
    for (; i < n; i++) c[i] = tail_expression; \
} while (0)

#define arithmetic_patterns(op) do { \
    if (sa == 1 && sb == 1) arithmetic_loop(float16v_load(a + i) op float16v_load(b + i), a[i] op b[i]); \
    else if (sa == 1) { float s = b[0]; arithmetic_loop(float16v_load(a + i) op s, a[i] op s); } \
    else { float s = a[0]; arithmetic_loop(s op float16v_load(b + i), s op b[i]); } \
} while (0)

DIFFUSE_CLONES
void diffuse_arithmetic(diffuse_arithmetic_operation operation, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *c, ptrdiff_t n) {
    switch (operation) {
    case diffuse_arithmetic_add: arithmetic_patterns(+); break;
    case diffuse_arithmetic_subtract: arithmetic_patterns(-); break;
    case diffuse_arithmetic_multiply: arithmetic_patterns(*); break;
    case diffuse_arithmetic_divide: arithmetic_patterns(/); break;
    }
}
