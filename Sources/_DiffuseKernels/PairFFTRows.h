// The row kernels of `PairFFT.c` — a Stockham stage, the paired spectrum product, the scaled
// copy-out and the cross spectrum — written once over vectors of `PAIR_LANES` floats (8 or 16) and included once per
// width. The 16-lane versions serve rows whose width is a multiple of 16: compiled for AVX-512 they
// use 64-byte registers, and elsewhere the compiler splits them into halves. Every lane sees the same
// operations in the same order at either width, so both give identical results.
//
// Expects `PAIR_LANES`, and defines (then undefines) its helpers; the functions are named with the
// suffix `_8` or `_16`.

#if PAIR_LANES == 8
typedef float pair_vector_8 __attribute__((vector_size(32)));
#define pair_vector pair_vector_8
#define pair_named(name) name##_8
#define pair_swap(v) __builtin_shufflevector((v), (v), 1, 0, 3, 2, 5, 4, 7, 6)
#define pair_even(v) __builtin_shufflevector((v), (v), 0, 0, 2, 2, 4, 4, 6, 6)
#define pair_odd(v) __builtin_shufflevector((v), (v), 1, 1, 3, 3, 5, 5, 7, 7)
/// The complex numbers of a and b interleaved (a₀, b₀, a₁, b₁, …): the first and second half.
#define pair_interleave_low(a, b) __builtin_shufflevector((a), (b), 0, 1, 8, 9, 2, 3, 10, 11)
#define pair_interleave_high(a, b) __builtin_shufflevector((a), (b), 4, 5, 12, 13, 6, 7, 14, 15)
#elif PAIR_LANES == 16
typedef float pair_vector_16 __attribute__((vector_size(64)));
#define pair_vector pair_vector_16
#define pair_named(name) name##_16
#define pair_swap(v) __builtin_shufflevector((v), (v), 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14)
#define pair_even(v) __builtin_shufflevector((v), (v), 0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14)
#define pair_odd(v) __builtin_shufflevector((v), (v), 1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11, 13, 13, 15, 15)
#define pair_interleave_low(a, b) __builtin_shufflevector((a), (b), 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23)
#define pair_interleave_high(a, b) __builtin_shufflevector((a), (b), 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31)
#else
#error "PAIR_LANES must be 8 or 16"
#endif

#define pair_load(pointer) ({ pair_vector v_pl; memcpy(&v_pl, (pointer), sizeof v_pl); v_pl; })
#define pair_store(pointer, vector) do { pair_vector v_ps = (vector); memcpy((pointer), &v_ps, sizeof v_ps); } while (0)
#define pair_splat(value) ({ float s_ps = (value); pair_vector v_sp; for (int i_sp = 0; i_sp < PAIR_LANES; i_sp++) v_sp[i_sp] = s_ps; v_sp; })
/// (−a, a, −a, a, …): the sign pattern of i·v on interleaved complex numbers, times a.
#define pair_alternating(value) ({ float a_al = (value); pair_vector v_al; \
    for (int i_al = 0; i_al < PAIR_LANES; i_al++) v_al[i_al] = i_al % 2 == 0 ? -a_al : a_al; v_al; })
/// (1, −1, 1, −1, …): conjugation of interleaved complex numbers.
#define pair_conjugation() (-pair_alternating(1.0f))
/// ±i·v (sign +1 or −1).
#define pair_times_i(v, sign) (pair_swap(v) * pair_alternating((float)(sign)))
/// a·b for interleaved complex vectors: Re b·a + Im b·(i·a).
#define pair_multiply(a, b) ({ pair_vector a_pm = (a), b_pm = (b); pair_even(b_pm) * a_pm + pair_odd(b_pm) * pair_times_i(a_pm, 1); })

/// One Stockham stage of a given radix over rows of `width` floats (a multiple of
/// `PAIR_LANES`). Input rows at or past `valid_rows` are zeros (`zeros` is one such row). Always
/// inlined with a constant radix, so the butterfly's vectors stay in registers and the loops over
/// u unroll.
static inline __attribute__((always_inline))
void pair_named(stage_of_radix)(const int radix, const float *x, long valid_rows, const float *zeros, float *y, long length, long stride,
                                const float *twiddles, int sign, long width) {
    const long m = length / radix;
    const float sine3 = (float)(sign * 0.86602540378443864676);
    const float c1 = 0.30901699437494742410f, c2 = -0.80901699437494742410f;
    const float s1 = (float)(sign * 0.95105651629515357212), s2 = (float)(sign * 0.58778525229247312917);
    for (long p = 0; p < m; p++) {
        // The twiddles w^{p·u} as vectors: cosines, and sines with the sign pattern of i·v.
        pair_vector cosines[4], sines[4];
        for (int u = 1; u < radix; u++) {
            float c = twiddles[2 * (p * (radix - 1) + u - 1)], s = twiddles[2 * (p * (radix - 1) + u - 1) + 1];
            cosines[u - 1] = pair_splat(c);
            sines[u - 1] = pair_alternating(s);
        }
        for (long q = 0; q < stride; q++) {
            const float *a[5];
            for (int t = 0; t < radix; t++) {
                long row = q + stride * (p + t * m);
                a[t] = row < valid_rows ? x + row * width : zeros;
            }
            float *out[5];
            for (int u = 0; u < radix; u++) out[u] = y + (q + stride * (radix * p + u)) * width;
            for (long f = 0; f < width; f += PAIR_LANES) {
                pair_vector r[5];
                if (radix == 2) {
                    pair_vector a0 = pair_load(a[0] + f), a1 = pair_load(a[1] + f);
                    r[0] = a0 + a1;
                    r[1] = a0 - a1;
                } else if (radix == 3) {
                    pair_vector a0 = pair_load(a[0] + f), a1 = pair_load(a[1] + f), a2 = pair_load(a[2] + f);
                    pair_vector s = a1 + a2, d = a1 - a2;
                    pair_vector c = a0 - s * 0.5f;
                    pair_vector e = pair_times_i(d, 1) * sine3;
                    r[0] = a0 + s;
                    r[1] = c + e;
                    r[2] = c - e;
                } else if (radix == 4) {
                    pair_vector a0 = pair_load(a[0] + f), a1 = pair_load(a[1] + f), a2 = pair_load(a[2] + f), a3 = pair_load(a[3] + f);
                    pair_vector t0 = a0 + a2, t1 = a0 - a2, t2 = a1 + a3, t3 = pair_times_i(a1 - a3, sign);
                    r[0] = t0 + t2;
                    r[1] = t1 + t3;
                    r[2] = t0 - t2;
                    r[3] = t1 - t3;
                } else {
                    pair_vector a0 = pair_load(a[0] + f), a1 = pair_load(a[1] + f), a2 = pair_load(a[2] + f),
                                a3 = pair_load(a[3] + f), a4 = pair_load(a[4] + f);
                    pair_vector sum1 = a1 + a4, difference1 = a1 - a4, sum2 = a2 + a3, difference2 = a2 - a3;
                    pair_vector k1 = a0 + sum1 * c1 + sum2 * c2;
                    pair_vector k2 = a0 + sum1 * c2 + sum2 * c1;
                    pair_vector e1 = pair_times_i(difference1 * s1 + difference2 * s2, 1);
                    pair_vector e2 = pair_times_i(difference1 * s2 - difference2 * s1, 1);
                    r[0] = a0 + sum1 + sum2;
                    r[1] = k1 + e1;
                    r[4] = k1 - e1;
                    r[2] = k2 + e2;
                    r[3] = k2 - e2;
                }
                pair_store(out[0] + f, r[0]);
                if (p == 0) {
                    for (int u = 1; u < radix; u++) pair_store(out[u] + f, r[u]);
                } else {
                    for (int u = 1; u < radix; u++) pair_store(out[u] + f, r[u] * cosines[u - 1] + pair_swap(r[u]) * sines[u - 1]);
                }
            }
        }
    }
}

/// One Stockham stage (see the top of `PairFFT.c`) of radix 2, 3, 4 or 5.
static inline __attribute__((always_inline))
void pair_named(stage)(const float *x, long valid_rows, const float *zeros, float *y, int radix, long length, long stride,
                       const float *twiddles, int sign, long width) {
    switch (radix) {
    case 2: pair_named(stage_of_radix)(2, x, valid_rows, zeros, y, length, stride, twiddles, sign, width); break;
    case 3: pair_named(stage_of_radix)(3, x, valid_rows, zeros, y, length, stride, twiddles, sign, width); break;
    case 4: pair_named(stage_of_radix)(4, x, valid_rows, zeros, y, length, stride, twiddles, sign, width); break;
    default: pair_named(stage_of_radix)(5, x, valid_rows, zeros, y, length, stride, twiddles, sign, width); break;
    }
}

/// W_k = P_k·Z_k + M_k·conj(Z_{N−k}) for one row of paired spectra (see `ChannelPairFFT`).
static inline __attribute__((always_inline))
void pair_named(spectrum_product)(const float *z, const float *sum, const float *difference, float *w, long n, long width) {
    const pair_vector conjugate = pair_conjugation();
    for (long k = 0; k < n; k++) {
        long mirror = k == 0 ? 0 : n - k;
        const float *zk = z + k * width, *zm = z + mirror * width;
        const float *pk = sum + k * width, *mk = difference + k * width;
        float *wk = w + k * width;
        for (long f = 0; f < width; f += PAIR_LANES) {
            pair_vector a = pair_load(zk + f), b = pair_load(zm + f) * conjugate;
            pair_store(wk + f, pair_multiply(a, pair_load(pk + f)) + pair_multiply(b, pair_load(mk + f)));
        }
    }
}

/// out[t] = scale·y[t] (+ weights ⊙ signal[t]) for the first `rows` rows.
static inline __attribute__((always_inline))
void pair_named(scaled_rows)(const float *y, float *out, long rows, long width, float scale, const float *signal, const float *weights) {
    for (long t = 0; t < rows; t++) {
        const float *yt = y + t * width;
        float *ot = out + t * width;
        if (signal != NULL) {
            const float *st = signal + t * width;
            for (long f = 0; f < width; f += PAIR_LANES) pair_store(ot + f, pair_load(yt + f) * scale + pair_load(weights + f) * pair_load(st + f));
        } else {
            for (long f = 0; f < width; f += PAIR_LANES) pair_store(ot + f, pair_load(yt + f) * scale);
        }
    }
}

/// Σ over rows (here: one row, added to `out`) of X_c·conj(U_c) for both real channels c of
/// every pair at the n/2 + 1 non-negative frequencies, from the paired spectra Z of two signals:
/// channel 2j is A = (Z_k + conj Z_{n−k})/2, channel 2j + 1 is B = (Z_k − conj Z_{n−k})/2i.
/// `out` is interleaved complex [n/2 + 1][2·pairs]. The same rounded operations as the scalar
/// loop it replaced (products commuted and signs moved, both exact), so the same results.
static inline __attribute__((always_inline))
void pair_named(cross_spectrum_row)(const float *x, const float *u, float *out, long n, long pairs) {
    const pair_vector conjugate = pair_conjugation();
    const long width = 2 * pairs;
    for (long k = 0; k <= n / 2; k++) {
        long mirror = k == 0 ? 0 : n - k;
        const float *xk = x + k * width, *xm = x + mirror * width, *uk = u + k * width, *um = u + mirror * width;
        float *o = out + k * 2 * width;
        for (long f = 0; f < width; f += PAIR_LANES) {
            pair_vector xa = (pair_load(xk + f) + pair_load(xm + f) * conjugate) * 0.5f;
            pair_vector ua = (pair_load(uk + f) + pair_load(um + f) * conjugate) * 0.5f;
            pair_vector xd = pair_load(xk + f) - pair_load(xm + f) * conjugate;
            pair_vector ud = pair_load(uk + f) - pair_load(um + f) * conjugate;
            pair_vector xb = pair_swap(xd) * conjugate * 0.5f, ub = pair_swap(ud) * conjugate * 0.5f;
            pair_vector a = pair_multiply(xa, ua * conjugate), b = pair_multiply(xb, ub * conjugate);   // X·conj(U)
            pair_store(o + 2 * f, pair_load(o + 2 * f) + pair_interleave_low(a, b));
            pair_store(o + 2 * f + PAIR_LANES, pair_load(o + 2 * f + PAIR_LANES) + pair_interleave_high(a, b));
        }
    }
}

#undef pair_vector
#undef pair_named
#undef pair_swap
#undef pair_even
#undef pair_odd
#undef pair_interleave_low
#undef pair_interleave_high
#undef pair_load
#undef pair_store
#undef pair_splat
#undef pair_alternating
#undef pair_conjugation
#undef pair_times_i
#undef pair_multiply
