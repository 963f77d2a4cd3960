// A small thread pool for Diffuse's parallel loops: persistent workers that spin briefly
// between jobs before sleeping, so that a loop of a few hundred microseconds can be shared
// by the cores. Waking a sleeping thread costs 10–13 µs on the development machine (a
// pthread condition variable) and libdispatch's `concurrentPerform` gave no speed-up at all on
// loops of ~0.25 ms; a spinning worker starts in well under a microsecond.
//
// One job runs at a time. A job is published as a 64-bit ticket, generation << 32 | next
// index; threads claim indices by compare-and-swap on the ticket, so an index is only ever
// run for the generation it was claimed under. The job's fields live in one of two slots
// (generation parity); a thread that read a slot of an older job fails its compare-and-swap.
#define _GNU_SOURCE   // sched_getaffinity
#include "DiffuseKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static const double spinSeconds = 100e-6;   // how long an idle worker spins before it sleeps

typedef struct {
    diffuse_task_function function;
    void *context;
    ptrdiff_t count;
    int participants;
} job_slot;

static struct {
    pthread_mutex_t submitLock;
    pthread_mutex_t sleepLock;
    pthread_cond_t wake;
    int sleepers;
    _Atomic uint64_t ticket;
    _Atomic ptrdiff_t done;
    job_slot slots[2];
    int workerCount;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static pthread_once_t poolStarted = PTHREAD_ONCE_INIT;
static _Thread_local int insideJob = 0;

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline uint32_t generation_of(uint64_t ticket) { return (uint32_t)(ticket >> 32); }

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/// Claims and runs indices of job `generation` until none are left (or a newer job started).
/// `rank` 0 is the submitting thread, workers are 1…; a worker whose rank is not below the
/// job's participant count leaves the job to the others.
static void run_items(uint32_t generation, int rank) {
    const job_slot *slot = &pool.slots[generation & 1];
    for (;;) {
        uint64_t ticket = atomic_load(&pool.ticket);
        if (generation_of(ticket) != generation) return;
        diffuse_task_function function = slot->function;
        void *context = slot->context;
        ptrdiff_t count = slot->count, index = (ptrdiff_t)(uint32_t)ticket;
        if (index >= count || rank >= slot->participants) return;
        if (!atomic_compare_exchange_weak(&pool.ticket, &ticket, ticket + 1)) continue;
        function(context, index);
        atomic_fetch_add(&pool.done, 1);
    }
}

static void *worker_main(void *argument) {
    int rank = (int)(intptr_t)argument;
    insideJob = 1;
    uint32_t seen = 0;
    for (;;) {
        uint32_t generation;
        const double spinUntil = now_seconds() + spinSeconds;
        unsigned spins = 0;
        while ((generation = generation_of(atomic_load(&pool.ticket))) == seen) {
            if (++spins % 64 != 0 || now_seconds() < spinUntil) {   // the clock every 64 pauses
                relax();
                continue;
            }
            pthread_mutex_lock(&pool.sleepLock);
            pool.sleepers++;
            while (generation_of(atomic_load(&pool.ticket)) == seen) pthread_cond_wait(&pool.wake, &pool.sleepLock);
            pool.sleepers--;
            pthread_mutex_unlock(&pool.sleepLock);
        }
        seen = generation;
        run_items(generation, rank);
    }
    return NULL;
}

/// The processors this process may run on (its affinity mask where available).
static long usable_processors(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    return sysconf(_SC_NPROCESSORS_ONLN);
}

/// In a child process after `fork()` the workers are gone and a lock may have been held by one:
/// start afresh with none (the submitting thread then runs every index itself).
static void reset_in_child(void) {
    pthread_mutex_init(&pool.submitLock, NULL);
    pthread_mutex_init(&pool.sleepLock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pool.sleepers = 0;
    pool.workerCount = 0;
}

static void start_workers(void) {
    pthread_atfork(NULL, NULL, reset_in_child);
    long processors = usable_processors();
    int wanted = processors > 1 ? (int)processors - 1 : 0;
    for (int w = 0; w < wanted; w++) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&thread, &attributes, worker_main, (void *)(intptr_t)(w + 1)) == 0) pool.workerCount++;
        pthread_attr_destroy(&attributes);
    }
}

int diffuse_pool_is_inside_job(void) { return insideJob; }

void diffuse_pool_run(ptrdiff_t count, int threads, diffuse_task_function function, void *context) {
    if (count <= 0) return;
    // Serial when nested, single-threaded, trivial, too long for the 32-bit index of a ticket,
    // or while another thread's job is running.
    if (insideJob || threads < 2 || count < 2 || count > (ptrdiff_t)UINT32_MAX - 1 || pthread_mutex_trylock(&pool.submitLock) != 0) {
        int wasInside = insideJob;
        insideJob = 1;
        for (ptrdiff_t i = 0; i < count; i++) function(context, i);
        insideJob = wasInside;
        return;
    }
    pthread_once(&poolStarted, start_workers);
    uint32_t generation = generation_of(atomic_load(&pool.ticket)) + 1;
    job_slot *slot = &pool.slots[generation & 1];
    slot->function = function;
    slot->context = context;
    slot->count = count;
    slot->participants = threads;
    atomic_store(&pool.done, 0);
    atomic_store(&pool.ticket, (uint64_t)generation << 32);
    pthread_mutex_lock(&pool.sleepLock);
    if (pool.sleepers > 0) pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.sleepLock);
    insideJob = 1;
    run_items(generation, 0);
    insideJob = 0;
    // A worker may have been preempted holding an index: after a short spin, give up the core
    // so that it can finish (it may be waiting for this very core).
    for (int spins = 0; atomic_load(&pool.done) < count; spins++) {
        if (spins < 2000) relax(); else sched_yield();
    }
    pthread_mutex_unlock(&pool.submitLock);
}
