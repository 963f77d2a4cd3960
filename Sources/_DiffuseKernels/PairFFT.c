// Complex FFTs of many channels at once, vectorised across the channels: the data are `n` rows
// of `pairs` interleaved complex numbers (2·pairs floats per row, the channel-pair layout of
// `ChannelPairFFT`), and every butterfly works on whole rows with one scalar twiddle.
//
// Method: the self-sorting mixed-radix Stockham algorithm, decimation in frequency (Stockham
// 1966; Cochran et al. 1967; the formulation of Van Loan, "Computational Frameworks for the FFT",
// 1992, §1.7). A stage of radix r on sub-length ℓ = r·m and stride s (s·ℓ = n) maps
//
//     y[q + s(r·p + u)] = w_ℓ^{p·u} · Σₜ ω_r^{t·u} · x[q + s(p + t·m)],   p < m, q < s, u < r,
//
// with w_ℓ = e^{σ2πi/ℓ}, ω_r = e^{σ2πi/r} and σ = −1 (forward) or +1 (backward, unscaled); the next
// stage has ℓ′ = m and s′ = r·s, and after the last stage the output is in natural order, with
// no bit reversal. The radices are 4, 2, 3 and 5 (n = 720 = 4·4·3·3·5 for TSDiff's 2 × 360),
// each with a hand-written butterfly; lengths with another prime factor are not supported
// (the caller falls back to FFTW). Twiddles are computed in double precision once per
// (n, direction) and cached.
//
// Why not FFTW: its strided-batch plans under FFTW_ESTIMATE spent a third of TSDiff's forward pass
// in copies and small codelets, and FFTW_MEASURE chooses algorithms by timing, so results would
// differ from run to run. Here a row of 64 floats stays in eight AVX registers (four with AVX-512), a whole transform
// (720 rows, 184 kB) stays in the core's L2 cache, and the first stage reads the unpadded signal
// (rows past `input_rows` are zeros) so the zero padding is never written. Contraction is off
// and the operation order is fixed, so results are identical across runs, thread counts and
// the baseline, AVX2 and AVX-512 versions. Accuracy is that of a float FFT (tests compare with a double DFT).
#include "DiffuseKernels.h"
#include "Vector.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

enum { maximum_stages = 64 };

typedef struct {
    long n;
    int sign;
    int stages;
    int radix[maximum_stages];
    long sub_length[maximum_stages];   // ℓ of the stage
    long stride[maximum_stages];       // s of the stage
    float *twiddles[maximum_stages];   // [m][r − 1] complex: w_ℓ^{p·u}, u = 1…r−1
} pair_fft_plan;

static pair_fft_plan **plans;
static int plan_count, plan_capacity;
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;

/// The plan for (n, sign), made on first use; NULL when n has a prime factor above 5.
static const pair_fft_plan *plan_for(long n, int sign) {
    pthread_mutex_lock(&plan_lock);
    for (int i = 0; i < plan_count; i++) {
        if (plans[i]->n == n && plans[i]->sign == sign) {
            pair_fft_plan *found = plans[i];
            pthread_mutex_unlock(&plan_lock);
            return found;
        }
    }
    pair_fft_plan *plan = NULL;
    long rest = n;
    int radices[maximum_stages], count = 0;
    while (rest > 1 && count < maximum_stages) {
        int r = rest % 4 == 0 ? 4 : rest % 2 == 0 ? 2 : rest % 3 == 0 ? 3 : rest % 5 == 0 ? 5 : 0;
        if (r == 0) break;
        radices[count++] = r;
        rest /= r;
    }
    if (plan_count == plan_capacity) {
        int capacity = plan_capacity == 0 ? 16 : 2 * plan_capacity;
        pair_fft_plan **grown = realloc(plans, sizeof *plans * (size_t)capacity);
        if (grown != NULL) {
            plans = grown;
            plan_capacity = capacity;
        }
    }
    if (n >= 1 && rest == 1 && plan_count < plan_capacity && (plan = calloc(1, sizeof *plan)) != NULL) {
        plan->n = n;
        plan->sign = sign;
        plan->stages = count;
        long length = n, stride = 1;
        for (int i = 0; i < count; i++) {
            int r = radices[i];
            long m = length / r;
            plan->radix[i] = r;
            plan->sub_length[i] = length;
            plan->stride[i] = stride;
            float *table = malloc(sizeof(float) * 2 * (size_t)(m * (r - 1) + 1));
            if (table == NULL) {
                for (int j = 0; j < i; j++) free(plan->twiddles[j]);
                free(plan);
                plan = NULL;
                break;
            }
            for (long p = 0; p < m; p++) {
                for (int u = 1; u < r; u++) {
                    double angle = sign * 2.0 * M_PI * (double)((p * u) % length) / (double)length;
                    table[2 * (p * (r - 1) + u - 1)] = (float)cos(angle);
                    table[2 * (p * (r - 1) + u - 1) + 1] = (float)sin(angle);
                }
            }
            plan->twiddles[i] = table;
            length = m;
            stride *= r;
        }
        if (plan != NULL) plans[plan_count++] = plan;
    }
    pthread_mutex_unlock(&plan_lock);
    return plan;
}

int diffuse_pair_fft_supports(ptrdiff_t n) {
    return n >= 1 && plan_for(n, -1) != NULL && plan_for(n, 1) != NULL;
}

/// Each thread's work buffers, freed when the thread exits (a pthread key's destructor).
typedef struct {
    float *buffers[4];
    size_t capacities[4];
} thread_buffers;

static pthread_key_t buffers_key;
static pthread_once_t buffers_once = PTHREAD_ONCE_INIT;

static void free_thread_buffers(void *value) {
    thread_buffers *own = value;
    for (int i = 0; i < 4; i++) free(own->buffers[i]);
    free(own);
}

static void make_buffers_key(void) { pthread_key_create(&buffers_key, free_thread_buffers); }

/// The calling thread's buffer `which` with room for at least `floats` floats (64-byte
/// aligned), or NULL when memory runs out.
static float *thread_buffer(int which, size_t floats) {
    pthread_once(&buffers_once, make_buffers_key);
    thread_buffers *own = pthread_getspecific(buffers_key);
    if (own == NULL) {
        if ((own = calloc(1, sizeof *own)) == NULL || pthread_setspecific(buffers_key, own) != 0) {
            free(own);
            return NULL;
        }
    }
    if (own->capacities[which] < floats) {
        free(own->buffers[which]);
        size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
        own->buffers[which] = aligned_alloc(64, bytes);
        own->capacities[which] = own->buffers[which] != NULL ? floats : 0;
    }
    return own->buffers[which];
}

#define PAIR_LANES 8
#include "PairFFTRows.h"
#undef PAIR_LANES
#define PAIR_LANES 16
#include "PairFFTRows.h"
#undef PAIR_LANES

/// One Stockham stage (see the top of the file) of radix 2, 3, 4 or 5, on 16-float vectors when
/// the rows allow.
DIFFUSE_CLONES
static void pair_fft_stage(const float *x, long valid_rows, const float *zeros, float *y, int radix, long length, long stride,
                           const float *twiddles, int sign, long width) {
    if (width % 16 == 0) {
        stage_16(x, valid_rows, zeros, y, radix, length, stride, twiddles, sign, width);
    } else {
        stage_8(x, valid_rows, zeros, y, radix, length, stride, twiddles, sign, width);
    }
}

/// Runs every stage of `plan` from `input` (valid rows as given) into `output`, through the
/// thread's buffers 0 (work) and 1 (a zero row); `output` must not overlap `input`.
static int pair_fft_run(const pair_fft_plan *plan, const float *input, long input_rows, float *output, long width) {
    float *work = thread_buffer(0, (size_t)(plan->n * width));
    float *zeros = thread_buffer(1, (size_t)width);
    if (work == NULL || zeros == NULL) return -1;
    for (long f = 0; f < width; f++) zeros[f] = 0;
    const float *source = input;
    long valid = input_rows;
    for (int i = 0; i < plan->stages; i++) {
        float *target = (plan->stages - 1 - i) % 2 == 0 ? output : work;
        pair_fft_stage(source, valid, zeros, target, plan->radix[i], plan->sub_length[i], plan->stride[i], plan->twiddles[i], plan->sign, width);
        source = target;
        valid = plan->n;
    }
    if (plan->stages == 0) {
        for (long e = 0; e < plan->n * width; e++) output[e] = input_rows > 0 ? input[e] : 0;
    }
    return 0;
}

int diffuse_pair_fft(const float *input, ptrdiff_t input_rows, float *output, ptrdiff_t n, ptrdiff_t pairs, int sign) {
    if ((2 * pairs) % 8 != 0 || input_rows > n) return -1;
    const pair_fft_plan *plan = plan_for(n, sign < 0 ? -1 : 1);
    if (plan == NULL) return -1;
    return pair_fft_run(plan, input, input_rows, output, 2 * pairs);
}

/// W_k = P_k·Z_k + M_k·conj(Z_{N−k}) for one row of paired spectra (see `ChannelPairFFT`).
DIFFUSE_CLONES
static void paired_spectrum_product(const float *z, const float *sum, const float *difference, float *w, long n, long width) {
    if (width % 16 == 0) {
        spectrum_product_16(z, sum, difference, w, n, width);
    } else {
        spectrum_product_8(z, sum, difference, w, n, width);
    }
}

/// out[t] = scale·y[t] (+ weights ⊙ signal[t]) for the first `rows` rows.
DIFFUSE_CLONES
static void scaled_rows_with_skip(const float *y, float *out, long rows, long width, float scale, const float *signal, const float *weights) {
    if (width % 16 == 0) {
        scaled_rows_16(y, out, rows, width, scale, signal, weights);
    } else {
        scaled_rows_8(y, out, rows, width, scale, signal, weights);
    }
}

int diffuse_pair_convolve_row(const float *spectra, const float *kernel_sum, const float *kernel_difference, ptrdiff_t n, ptrdiff_t pairs,
                              float *output, ptrdiff_t output_rows, const float *skip_signal, const float *skip_weights) {
    long width = 2 * pairs;
    if (width % 8 != 0 || output_rows > n) return -1;
    const pair_fft_plan *plan = plan_for(n, 1);
    if (plan == NULL) return -1;
    // The spectrum product (buffer 2) and the inverse transform's result (buffer 3);
    // `pair_fft_run` uses buffers 0 and 1.
    float *product = thread_buffer(2, (size_t)(n * width));
    float *result = thread_buffer(3, (size_t)(n * width));
    if (product == NULL || result == NULL) return -1;
    paired_spectrum_product(spectra, kernel_sum, kernel_difference, product, n, width);
    if (pair_fft_run(plan, product, n, result, width) != 0) return -1;
    scaled_rows_with_skip(result, output, output_rows, width, 1.0f / (float)n, skip_signal, skip_weights);
    return 0;
}

/// Σ over rows (here: one row, added to `out`) of X_c·conj(U_c) for both real channels of every
/// pair (see `cross_spectrum_row_8` in `PairFFTRows.h`), on 16-float vectors when the rows allow.
DIFFUSE_CLONES
static void cross_spectrum_row(const float *x, const float *u, float *out, long n, long pairs) {
    if ((2 * pairs) % 16 == 0) {
        cross_spectrum_row_16(x, u, out, n, pairs);
    } else {
        cross_spectrum_row_8(x, u, out, n, pairs);
    }
}

int diffuse_pair_cross_spectrum_add(const float *x, const float *u, float *out, ptrdiff_t n, ptrdiff_t pairs) {
    if ((2 * pairs) % 8 != 0) return -1;
    cross_spectrum_row(x, u, out, n, pairs);
    return 0;
}
