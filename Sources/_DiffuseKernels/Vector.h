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
// returning a 32- or 64-byte vector would be compiled without AVX and could not be called from the AVX2
// version of a kernel. Each macro's locals end in a tag of its own (`_ex`, `_lg`, …) so that
// nested macros never capture each other's names.
#ifndef DIFFUSE_VECTOR_H
#define DIFFUSE_VECTOR_H

#include <stdint.h>
#include <string.h>

// No fused multiply-adds: the baseline, AVX2 and AVX-512 versions give bit-identical results.
#pragma clang fp contract(off)

// `target_clones` needs the loader's ifunc support (glibc; not musl). The AVX-512 version differs
// from the AVX2 one only where a kernel uses 64-byte vectors (the FFT's rows) and in having 32
// vector registers.
#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
#define DIFFUSE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DIFFUSE_CLONES
#endif

typedef float float8 __attribute__((vector_size(32)));
typedef int32_t int32x8 __attribute__((vector_size(32)));

#define float8_splat(value) ({ float s_sp = (value); (float8){s_sp, s_sp, s_sp, s_sp, s_sp, s_sp, s_sp, s_sp}; })
#define float8_load(pointer) ({ float8 v_ld; memcpy(&v_ld, (pointer), sizeof v_ld); v_ld; })
#define float8_store(pointer, vector) do { float8 v_st = (vector); memcpy((pointer), &v_st, sizeof v_st); } while (0)
/// Sixteen-lane vectors: one 64-byte register in AVX-512 versions, two or four smaller ones
/// elsewhere.
typedef float float16v __attribute__((vector_size(64)));
#define float16v_load(pointer) ({ float16v v_l16; memcpy(&v_l16, (pointer), sizeof v_l16); v_l16; })
#define float16v_store(pointer, vector) do { float16v v_s16 = (vector); memcpy((pointer), &v_s16, sizeof v_s16); } while (0)
/// ((v₀ + v₄) + (v₁ + v₅)) + ((v₂ + v₆) + (v₃ + v₇)).
#define float8_sum(vector) ({ float8 v_su = (vector); ((v_su[0] + v_su[4]) + (v_su[1] + v_su[5])) + ((v_su[2] + v_su[6]) + (v_su[3] + v_su[7])); })
#define float8_max_lane(vector) ({ float8 v_mx = (vector); float m_mx = v_mx[0]; \
    for (int i_mx = 1; i_mx < 8; i_mx++) m_mx = v_mx[i_mx] > m_mx ? v_mx[i_mx] : m_mx; m_mx; })
/// Lanes of `a` where `mask` is set (all bits), of `b` elsewhere; any width (`mask` is the
/// integer vector a comparison of such vectors gives).
#define vector_select(mask, a, b) ((__typeof__(a))(((mask) & (__typeof__(mask))(a)) | (~(mask) & (__typeof__(mask))(b))))
/// The integer vector type of the float vector expression `v` (what comparisons give).
#define vector_int_type(v) __typeof__((v) > 0.0f)
/// A vector of `v`'s type with every lane `value`.
#define vector_splat_like(v, value) ({ __typeof__(v) v_sl; __typeof__(v_sl[0]) s_sl = (value); \
    for (unsigned i_sl = 0; i_sl < sizeof v_sl / sizeof v_sl[0]; i_sl++) v_sl[i_sl] = s_sl; v_sl; })

// The functions below are written for any vector width: their arguments' type (float vectors of
// 8 or 16 lanes) is the type of their results.

/// e^x with relative error below 3·10⁻⁷ on [−87, 88]; 0 below −87.34, ∞ above 88, NaN kept
/// (shifter rounding, two-part ln 2, degree-6 polynomial, exponent built in the integer
/// lanes).
#define vector_exp(argument) ({ \
    const float shifter_ex = 12582912.0f; \
    __typeof__(argument) x_ex = (argument); \
    __typeof__(x_ex) v_ex = vector_select(x_ex > 88.0f, vector_splat_like(x_ex, 88.0f), x_ex); \
    v_ex = vector_select(v_ex < -87.33654f, vector_splat_like(x_ex, -87.33654f), v_ex); \
    __typeof__(x_ex) t_ex = v_ex * 1.442695040888963f + shifter_ex; \
    __typeof__(x_ex) n_ex = t_ex - shifter_ex; \
    __typeof__(x_ex) r_ex = v_ex - n_ex * 0.693145751953125f; \
    r_ex = r_ex - n_ex * 1.428606765330187e-06f; \
    __typeof__(x_ex) p_ex = vector_splat_like(x_ex, 1.0f / 720); \
    p_ex = p_ex * r_ex + 1.0f / 120; \
    p_ex = p_ex * r_ex + 1.0f / 24; \
    p_ex = p_ex * r_ex + 1.0f / 6; \
    p_ex = p_ex * r_ex + 0.5f; \
    p_ex = p_ex * r_ex + 1; \
    p_ex = p_ex * r_ex + 1; \
    vector_int_type(x_ex) bits_ex = (vector_int_type(x_ex))t_ex - (vector_int_type(x_ex))vector_splat_like(x_ex, shifter_ex); \
    __typeof__(x_ex) result_ex = p_ex * (__typeof__(x_ex))((bits_ex + 127) << 23); \
    result_ex = vector_select(x_ex < -87.33654f, vector_splat_like(x_ex, 0), result_ex); \
    result_ex = vector_select(x_ex > 88.0f, vector_splat_like(x_ex, __builtin_inff()), result_ex); \
    vector_select(x_ex != x_ex, x_ex, result_ex); })


/// √x for x ≥ 0: bit-trick reciprocal square root and three Newton steps.
#define vector_sqrt(argument) ({ \
    __typeof__(argument) x_sq = (argument); \
    __typeof__(x_sq) y_sq = (__typeof__(x_sq))(vector_splat_like((vector_int_type(x_sq)){}, 0x5F375A86) - ((vector_int_type(x_sq))x_sq >> 1)); \
    __typeof__(x_sq) half_sq = 0.5f * x_sq; \
    y_sq = y_sq * (1.5f - half_sq * y_sq * y_sq); \
    y_sq = y_sq * (1.5f - half_sq * y_sq * y_sq); \
    y_sq = y_sq * (1.5f - half_sq * y_sq * y_sq); \
    vector_select(x_sq == 0.0f, vector_splat_like(x_sq, 0), x_sq * y_sq); })

/// Natural logarithm of positive normal numbers: x = m·2ᵉ with m in
/// [√½, √2), log m = 2·atanh(s), s = (m − 1)/(m + 1), odd series to s⁹.
#define vector_log(argument) ({ \
    __typeof__(argument) a_lg = (argument); \
    vector_int_type(a_lg) bits_lg = (vector_int_type(a_lg))a_lg; \
    vector_int_type(a_lg) e_lg = (bits_lg >> 23) - 127; \
    __typeof__(a_lg) m_lg = (__typeof__(a_lg))((bits_lg & 0x007FFFFF) | 0x3F800000); \
    vector_int_type(a_lg) large_lg = m_lg > 1.41421356f; \
    m_lg = vector_select(large_lg, m_lg * 0.5f, m_lg); \
    e_lg = (large_lg & (e_lg + 1)) | (~large_lg & e_lg); \
    __typeof__(a_lg) ef_lg = (__typeof__(a_lg))((e_lg + 0x00400000) | 0x4B000000) - 12582912.0f; \
    __typeof__(a_lg) s_lg = (m_lg - 1) / (m_lg + 1); \
    __typeof__(a_lg) s2_lg = s_lg * s_lg; \
    __typeof__(a_lg) q_lg = vector_splat_like(a_lg, 2.0f / 9); \
    q_lg = q_lg * s2_lg + 2.0f / 7; \
    q_lg = q_lg * s2_lg + 2.0f / 5; \
    q_lg = q_lg * s2_lg + 2.0f / 3; \
    q_lg = q_lg * s2_lg + 2; \
    q_lg * s_lg + ef_lg * 0.6931471805599453f; })

/// sin(2πv) for v in [−½, ½]: folded to [−¼, ¼], odd Taylor
/// polynomial to x¹¹.
#define vector_sin_turns(argument) ({ \
    __typeof__(argument) v_sn = (argument); \
    __typeof__(v_sn) w_sn = vector_select(v_sn > 0.25f, 0.5f - v_sn, v_sn); \
    w_sn = vector_select(w_sn < -0.25f, -0.5f - w_sn, w_sn); \
    __typeof__(v_sn) x_sn = w_sn * 6.283185307179586f; \
    __typeof__(v_sn) x2_sn = x_sn * x_sn; \
    __typeof__(v_sn) p_sn = vector_splat_like(v_sn, -1.0f / 39916800); \
    p_sn = p_sn * x2_sn + 1.0f / 362880; \
    p_sn = p_sn * x2_sn - 1.0f / 5040; \
    p_sn = p_sn * x2_sn + 1.0f / 120; \
    p_sn = p_sn * x2_sn - 1.0f / 6; \
    p_sn = p_sn * x2_sn + 1; \
    p_sn * x_sn; })

/// σ(x) = 1/(1 + e^{−x}).
#define vector_sigmoid(argument) ({ __typeof__(argument) x_sg = (argument); 1 / (1 + vector_exp(-x_sg)); })

/// tanh x = 1 − 2/(e^{2x} + 1) (absolute error below 3·10⁻⁷).
#define vector_tanh(argument) ({ __typeof__(argument) x_th = (argument); 1 - 2 / (vector_exp(2 * x_th) + 1); })

/// erf x by Abramowitz & Stegun 7.1.26 (absolute error below 1.5·10⁻⁷ plus rounding):
/// 1 − (a₁t + … + a₅t⁵)·e^{−x²} with t = 1/(1 + p|x|), odd in x; `gaussian` is e^{−x²}, which
/// callers that also need the normal density pass in rather than compute twice.
#define vector_erf_given_gaussian(argument, gaussian) ({ \
    __typeof__(argument) x_ef = (argument); \
    vector_int_type(x_ef) negative_ef = x_ef < 0.0f; \
    __typeof__(x_ef) ax_ef = vector_select(negative_ef, -x_ef, x_ef); \
    __typeof__(x_ef) t_ef = 1 / (1 + 0.3275911f * ax_ef); \
    __typeof__(x_ef) p_ef = vector_splat_like(x_ef, 1.061405429f); \
    p_ef = p_ef * t_ef - 1.453152027f; \
    p_ef = p_ef * t_ef + 1.421413741f; \
    p_ef = p_ef * t_ef - 0.284496736f; \
    p_ef = p_ef * t_ef + 0.254829592f; \
    __typeof__(x_ef) y_ef = 1 - p_ef * t_ef * (gaussian); \
    vector_select(negative_ef, -y_ef, y_ef); })

/// erf x (see `vector_erf_given_gaussian`).
#define vector_erf(argument) ({ __typeof__(argument) x_er = (argument); vector_erf_given_gaussian(x_er, vector_exp(-x_er * x_er)); })

/// The gated activation tanh x · σ(x) from one exponential: with u = e^{−x},
/// tanh x = (1 − u²)/(1 + u²) and σ(x) = 1/(1 + u). Below x = −29 (where 1/u³ would leave the
/// normal range) σ is taken as 0, so the product and its derivative are 0 there (the true values
/// are below 2.6·10⁻¹³ in magnitude); `tanh_out` and `sigmoid_out` receive the two factors.
#define vector_gated_tanh_parts(argument, tanh_out, sigmoid_out) do { \
    __typeof__(argument) x_gt = (argument); \
    vector_int_type(x_gt) far_gt = x_gt < -29.0f; \
    __typeof__(x_gt) clamped_gt = vector_select(far_gt, vector_splat_like(x_gt, -29.0f), x_gt); \
    __typeof__(x_gt) u_gt = vector_exp(-clamped_gt); \
    __typeof__(x_gt) square_gt = 1 + u_gt * u_gt, one_gt = 1 + u_gt; \
    __typeof__(x_gt) inverse_gt = 1 / (square_gt * one_gt); \
    (tanh_out) = (1 - u_gt * u_gt) * one_gt * inverse_gt; \
    (sigmoid_out) = vector_select(far_gt, vector_splat_like(x_gt, 0), square_gt * inverse_gt); \
} while (0)

#endif
