// Eight-lane float vectors (GCC/Clang vector extensions) and the vectorised functions the
// kernels share. Internal to the kernels target.
//
// The approximations use arithmetic and bit operations only (rounding by the 1.5·2²³ "shifter",
// exponent fields built in integer lanes). Accuracy, checked by the test suite against the C
// library in Double: exp relative error below 3·10⁻⁷ on [−87, 88] (0 below −87.34, ∞ above 88,
// NaN kept); log absolute error below 2·10⁻⁷·(|log x| + 1); √ relative error below 3·10⁻⁷;
// sin 2πx absolute error below 3·10⁻⁷; tanh absolute error below 3·10⁻⁷ (relative error grows
// for |x| < 10⁻³); erf absolute error below 1.5·10⁻⁷ plus rounding. They were first written in
// Swift (`FastMath`, 2026) and moved here operation for operation: results are bit-identical.
//
// The helpers are macros (GNU statement expressions), not functions: a helper function taking or
// returning a 32-byte vector would be compiled without AVX and could not be called from the AVX2
// version of a kernel. Each macro's locals end in a tag of its own (`_ex`, `_lg`, …) so that
// nested macros never capture each other's names.
#ifndef DIFFUSE_VECTOR_H
#define DIFFUSE_VECTOR_H

#include <stdint.h>
#include <string.h>

// No fused multiply-adds: the baseline and AVX2 versions give bit-identical results.
#pragma clang fp contract(off)

// `target_clones` needs the loader's ifunc support (glibc; not musl).
#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
#define DIFFUSE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DIFFUSE_CLONES
#endif

typedef float float8 __attribute__((vector_size(32)));
typedef int32_t int32x8 __attribute__((vector_size(32)));

#define float8_splat(value) ({ float s_sp = (value); (float8){s_sp, s_sp, s_sp, s_sp, s_sp, s_sp, s_sp, s_sp}; })
#define float8_load(pointer) ({ float8 v_ld; memcpy(&v_ld, (pointer), sizeof v_ld); v_ld; })
#define float8_store(pointer, vector) do { float8 v_st = (vector); memcpy((pointer), &v_st, sizeof v_st); } while (0)
/// ((v₀ + v₄) + (v₁ + v₅)) + ((v₂ + v₆) + (v₃ + v₇)).
#define float8_sum(vector) ({ float8 v_su = (vector); ((v_su[0] + v_su[4]) + (v_su[1] + v_su[5])) + ((v_su[2] + v_su[6]) + (v_su[3] + v_su[7])); })
#define float8_max_lane(vector) ({ float8 v_mx = (vector); float m_mx = v_mx[0]; \
    for (int i_mx = 1; i_mx < 8; i_mx++) m_mx = v_mx[i_mx] > m_mx ? v_mx[i_mx] : m_mx; m_mx; })
/// Lanes of `a` where `mask` is set (all bits), of `b` elsewhere.
#define float8_select(mask, a, b) ((float8)(((mask) & (int32x8)(a)) | (~(mask) & (int32x8)(b))))

/// e^x with relative error below 3·10⁻⁷ on [−87, 88]; 0 below −87.34, ∞ above 88, NaN kept
/// (shifter rounding, two-part ln 2, degree-6 polynomial, exponent built in the integer
/// lanes).
#define float8_exp(argument) ({ \
    const float shifter_ex = 12582912.0f; \
    float8 x_ex = (argument); \
    float8 v_ex = float8_select(x_ex > 88.0f, float8_splat(88.0f), x_ex); \
    v_ex = float8_select(v_ex < -87.33654f, float8_splat(-87.33654f), v_ex); \
    float8 t_ex = v_ex * 1.442695040888963f + shifter_ex; \
    float8 n_ex = t_ex - shifter_ex; \
    float8 r_ex = v_ex - n_ex * 0.693145751953125f; \
    r_ex = r_ex - n_ex * 1.428606765330187e-06f; \
    float8 p_ex = float8_splat(1.0f / 720); \
    p_ex = p_ex * r_ex + 1.0f / 120; \
    p_ex = p_ex * r_ex + 1.0f / 24; \
    p_ex = p_ex * r_ex + 1.0f / 6; \
    p_ex = p_ex * r_ex + 0.5f; \
    p_ex = p_ex * r_ex + 1; \
    p_ex = p_ex * r_ex + 1; \
    int32x8 bits_ex = (int32x8)t_ex - (int32x8)float8_splat(shifter_ex); \
    float8 result_ex = p_ex * (float8)((bits_ex + 127) << 23); \
    result_ex = float8_select(x_ex < -87.33654f, float8_splat(0), result_ex); \
    result_ex = float8_select(x_ex > 88.0f, float8_splat(__builtin_inff()), result_ex); \
    float8_select(x_ex != x_ex, x_ex, result_ex); })


/// √x for x ≥ 0: bit-trick reciprocal square root and three Newton steps.
#define float8_sqrt(argument) ({ \
    float8 x_sq = (argument); \
    float8 y_sq = (float8)((int32x8){0x5F375A86, 0x5F375A86, 0x5F375A86, 0x5F375A86, 0x5F375A86, 0x5F375A86, 0x5F375A86, 0x5F375A86} - ((int32x8)x_sq >> 1)); \
    float8 half_sq = 0.5f * x_sq; \
    y_sq = y_sq * (1.5f - half_sq * y_sq * y_sq); \
    y_sq = y_sq * (1.5f - half_sq * y_sq * y_sq); \
    y_sq = y_sq * (1.5f - half_sq * y_sq * y_sq); \
    float8_select(x_sq == 0.0f, float8_splat(0), x_sq * y_sq); })

/// Natural logarithm of positive normal numbers: x = m·2ᵉ with m in
/// [√½, √2), log m = 2·atanh(s), s = (m − 1)/(m + 1), odd series to s⁹.
#define float8_log(argument) ({ \
    int32x8 bits_lg = (int32x8)(argument); \
    int32x8 e_lg = (bits_lg >> 23) - 127; \
    float8 m_lg = (float8)((bits_lg & 0x007FFFFF) | 0x3F800000); \
    int32x8 large_lg = m_lg > 1.41421356f; \
    m_lg = float8_select(large_lg, m_lg * 0.5f, m_lg); \
    e_lg = (large_lg & (e_lg + 1)) | (~large_lg & e_lg); \
    float8 ef_lg = (float8)((e_lg + 0x00400000) | 0x4B000000) - 12582912.0f; \
    float8 s_lg = (m_lg - 1) / (m_lg + 1); \
    float8 s2_lg = s_lg * s_lg; \
    float8 q_lg = float8_splat(2.0f / 9); \
    q_lg = q_lg * s2_lg + 2.0f / 7; \
    q_lg = q_lg * s2_lg + 2.0f / 5; \
    q_lg = q_lg * s2_lg + 2.0f / 3; \
    q_lg = q_lg * s2_lg + 2; \
    q_lg * s_lg + ef_lg * 0.6931471805599453f; })

/// sin(2πv) for v in [−½, ½]: folded to [−¼, ¼], odd Taylor
/// polynomial to x¹¹.
#define float8_sin_turns(argument) ({ \
    float8 v_sn = (argument); \
    float8 w_sn = float8_select(v_sn > 0.25f, 0.5f - v_sn, v_sn); \
    w_sn = float8_select(w_sn < -0.25f, -0.5f - w_sn, w_sn); \
    float8 x_sn = w_sn * 6.283185307179586f; \
    float8 x2_sn = x_sn * x_sn; \
    float8 p_sn = float8_splat(-1.0f / 39916800); \
    p_sn = p_sn * x2_sn + 1.0f / 362880; \
    p_sn = p_sn * x2_sn - 1.0f / 5040; \
    p_sn = p_sn * x2_sn + 1.0f / 120; \
    p_sn = p_sn * x2_sn - 1.0f / 6; \
    p_sn = p_sn * x2_sn + 1; \
    p_sn * x_sn; })

/// σ(x) = 1/(1 + e^{−x}).
#define float8_sigmoid(argument) ({ float8 x_sg = (argument); 1 / (1 + float8_exp(-x_sg)); })

/// tanh x = 1 − 2/(e^{2x} + 1) (absolute error below 3·10⁻⁷).
#define float8_tanh(argument) ({ float8 x_th = (argument); 1 - 2 / (float8_exp(2 * x_th) + 1); })

/// erf x by Abramowitz & Stegun 7.1.26 (absolute error below 1.5·10⁻⁷ plus rounding):
/// 1 − (a₁t + … + a₅t⁵)·e^{−x²} with t = 1/(1 + p|x|), odd in x; `gaussian` is e^{−x²}, which
/// callers that also need the normal density pass in rather than compute twice.
#define float8_erf_given_gaussian(argument, gaussian) ({ \
    float8 x_ef = (argument); \
    int32x8 negative_ef = x_ef < 0.0f; \
    float8 ax_ef = float8_select(negative_ef, -x_ef, x_ef); \
    float8 t_ef = 1 / (1 + 0.3275911f * ax_ef); \
    float8 p_ef = float8_splat(1.061405429f); \
    p_ef = p_ef * t_ef - 1.453152027f; \
    p_ef = p_ef * t_ef + 1.421413741f; \
    p_ef = p_ef * t_ef - 0.284496736f; \
    p_ef = p_ef * t_ef + 0.254829592f; \
    float8 y_ef = 1 - p_ef * t_ef * (gaussian); \
    float8_select(negative_ef, -y_ef, y_ef); })

/// erf x (see `float8_erf_given_gaussian`).
#define float8_erf(argument) ({ float8 x_er = (argument); float8_erf_given_gaussian(x_er, float8_exp(-x_er * x_er)); })

/// The gated activation tanh x · σ(x) from one exponential: with u = e^{−x},
/// tanh x = (1 − u²)/(1 + u²) and σ(x) = 1/(1 + u). Below x = −29 (where 1/u³ would leave the
/// normal range) σ is taken as 0, so the product and its derivative are 0 there (the true values
/// are below 2.6·10⁻¹³ in magnitude); `tanh_out` and `sigmoid_out` receive the two factors.
#define float8_gated_tanh_parts(argument, tanh_out, sigmoid_out) do { \
    float8 x_gt = (argument); \
    int32x8 far_gt = x_gt < -29.0f; \
    float8 clamped_gt = float8_select(far_gt, float8_splat(-29.0f), x_gt); \
    float8 u_gt = float8_exp(-clamped_gt); \
    float8 square_gt = 1 + u_gt * u_gt, one_gt = 1 + u_gt; \
    float8 inverse_gt = 1 / (square_gt * one_gt); \
    (tanh_out) = (1 - u_gt * u_gt) * one_gt * inverse_gt; \
    (sigmoid_out) = float8_select(far_gt, float8_splat(0), square_gt * inverse_gt); \
} while (0)

#endif
