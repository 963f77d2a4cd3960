"""NumPy reference for `diffuse-bench blas`: GFLOP/s of n×n · n×n matrix products (`numpy.matmul`
into a preallocated output) in float32 (sgemm) and float64 (dgemm), for n in 256, 512, 1024 on 1
and 2 threads, timed as the Swift benchmark times them: the call count doubled until one batch
of calls takes at least 0.1 s, then the median over 5 such batches (2·n³ flops per product).
Also reports NumPy's BLAS: library, version, the kernel (core type) it chose for this CPU, and its
threading layer.

The BLAS thread count is set with threadpoolctl when it is installed; without it each thread
count runs in a child process started with OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
MKL_NUM_THREADS set (BLAS libraries read them once, when NumPy is imported).

With `--shapes NAME=MxKxN …` it also measures float32 products A [M, K] · Bᵀ with B [N, K] (a
network layer's product), as `diffuse-bench blas` does for the shapes it lists with
`--list-shapes` (scripts/bench-peers passes them on, so the list lives in one place).

Run: python3 blas_numpy.py [--sizes 256 512 1024] [--threads 1 2] [--shapes NAME=MxKxN …] [--json] [--info]
(not used by the build or the tests; `scripts/bench-peers` runs it next to `diffuse-bench blas`).
"""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time

# NumPy is imported inside the functions: in a child process the thread variables have to be in
# the environment before the import, and `--info` must not depend on the timing code.

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def seconds_per_call(body, minimum_seconds, batches=5):
    """Seconds per call of `body`: calls doubled until a batch takes `minimum_seconds`, then the
    median over `batches` batches (as BenchmarkSupport.swift's `secondsPerCall`)."""
    body()
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            body()
        if time.perf_counter() - start >= minimum_seconds:
            break
        calls *= 2
    times = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(calls):
            body()
        times.append(time.perf_counter() - start)
    return statistics.median(times) / calls


def parse_shape(text):
    """NAME=MxKxN → (name, m, k, n)."""
    name, _, dims = text.rpartition("=")
    try:
        m, k, n = (int(v) for v in dims.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shapes: '{text}' is not NAME=MxKxN")
    if min(m, k, n) < 1 or m * k > 1 << 28 or k * n > 1 << 28 or m * n > 1 << 28:
        raise argparse.ArgumentTypeError(f"--shapes: '{text}' has a size below 1 or a matrix above 2^28 elements")
    return (name or dims, m, k, n)


def measure_shapes(shapes, minimum_seconds, batches):
    """GFLOP/s of float32 A [m, k] · Bᵀ (B [n, k]) for each shape, threads already in force."""
    import numpy as np

    results = []
    generator = np.random.default_rng(2)
    for name, m, k, n in shapes:
        a = generator.standard_normal((m, k)).astype(np.float32)
        b = generator.standard_normal((n, k)).astype(np.float32)
        c = np.zeros((m, n), dtype=np.float32)
        seconds = seconds_per_call(lambda: np.matmul(a, b.T, out=c), minimum_seconds, batches)
        results.append({"name": name, "m": m, "k": k, "n": n, "gflops": 2.0 * m * k * n / seconds / 1e9})
    return results


def measure(sizes, minimum_seconds, batches):
    """GFLOP/s of sgemm and dgemm at each size, with the thread count already in force."""
    import numpy as np

    results = []
    generator = np.random.default_rng(1)
    for n in sizes:
        for precision, dtype in (("sgemm", np.float32), ("dgemm", np.float64)):
            a = generator.standard_normal((n, n)).astype(dtype)
            b = generator.standard_normal((n, n)).astype(dtype)
            c = np.zeros((n, n), dtype=dtype)
            seconds = seconds_per_call(lambda: np.matmul(a, b, out=c), minimum_seconds, batches)
            results.append({"precision": precision, "n": n, "gflops": 2.0 * n ** 3 / seconds / 1e9})
    return results


def core_type_by_ctypes():
    """OpenBLAS's kernel name through its own `openblas_get_corename`, for a process without
    threadpoolctl: the loaded OpenBLAS found in /proc/self/maps (NumPy's wheels prefix the symbols)."""
    import numpy  # noqa: F401  (loads the BLAS)

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and line.split()[-1].startswith("/")}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_", "openblas_get_corename"):
            function = getattr(library, symbol, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                return function().decode()
    return None


def blas_info():
    """NumPy's BLAS as NumPy's build configuration and (if installed) threadpoolctl describe it."""
    import numpy as np

    info = {"numpy": np.__version__}
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        info.update({"name": blas.get("name"), "version": blas.get("version"), "configuration": blas.get("openblas configuration")})
        info["numpySIMD"] = config.get("SIMD Extensions", {}).get("found")
    except Exception as error:  # older NumPy: no mode="dicts"
        info["configError"] = str(error)
    try:
        from threadpoolctl import threadpool_info

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            pool = pools[0]
            info.update({"library": pool.get("internal_api"), "coreType": pool.get("architecture"),
                         "threadingLayer": pool.get("threading_layer"), "defaultThreads": pool.get("num_threads"),
                         "libraryVersion": pool.get("version"), "path": pool.get("filepath")})
        info["threadpoolctl"] = True
    except ImportError:
        info["threadpoolctl"] = False
        info["coreType"] = core_type_by_ctypes()
    return info


def run_child(threads, args):
    """One thread count in a child process with the BLAS thread variables set."""
    environment = dict(os.environ)
    for name in THREAD_VARIABLES:
        environment[name] = str(threads)
    command = [sys.executable, os.path.abspath(__file__), "--child", "--sizes", *map(str, args.sizes),
               "--min-seconds", str(args.min_seconds), "--batches", str(args.batches)]
    if args.shapes:
        command += ["--shapes", *(f"{name}={m}x{k}x{n}" for name, m, k, n in args.shapes)]
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"blas_numpy.py: the child for {threads} thread(s) failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser(description="NumPy matmul GFLOP/s and NumPy's BLAS")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024], help="matrix sizes n")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="BLAS thread counts")
    parser.add_argument("--shapes", type=parse_shape, nargs="+", default=[], metavar="NAME=MxKxN",
                        help="also float32 products A [M, K] · Bᵀ with B [N, K]")
    parser.add_argument("--min-seconds", type=float, default=0.1, help="minimum duration of one timed batch of calls")
    parser.add_argument("--batches", type=int, default=5, help="timed batches (the median is reported)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    parser.add_argument("--info", action="store_true", help="report NumPy's BLAS only, no timing")
    parser.add_argument("--no-threadpoolctl", action="store_true", help="set the threads through child processes even if threadpoolctl is installed")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.sizes) < 1 or min(args.threads) < 1 or args.batches < 1:
        parser.error("sizes, threads and batches must be positive")

    if args.child:  # thread count from the environment; print the raw results
        print(json.dumps({"gemm": measure(args.sizes, args.min_seconds, args.batches),
                          "shapes": measure_shapes(args.shapes, args.min_seconds, args.batches)}))
        return

    info = blas_info()
    if args.info:
        print(json.dumps({"blas": info}, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in info.items()))
        return

    gemm, shapes = [], []
    use_threadpoolctl = info.get("threadpoolctl") and not args.no_threadpoolctl
    if use_threadpoolctl:
        from threadpoolctl import threadpool_limits

        for threads in args.threads:
            with threadpool_limits(limits=threads, user_api="blas"):
                gemm += [dict(r, threads=threads) for r in measure(args.sizes, args.min_seconds, args.batches)]
                shapes += [dict(r, threads=threads) for r in measure_shapes(args.shapes, args.min_seconds, args.batches)]
    else:
        for threads in args.threads:
            child = run_child(threads, args)
            gemm += [dict(r, threads=threads) for r in child["gemm"]]
            shapes += [dict(r, threads=threads) for r in child["shapes"]]
    report = {"blas": info, "threadControl": "threadpoolctl" if use_threadpoolctl else "environment of a child process",
              "minimumSeconds": args.min_seconds, "batches": args.batches, "gemm": gemm, "shapes": shapes}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"NumPy {info['numpy']}, BLAS {info.get('name')} {info.get('version')}, core type {info.get('coreType')}, threads set by {report['threadControl']}")
    print(f"{'routine':8}{'n':>6}{'threads':>9}{'GFLOP/s':>10}")
    for g in gemm:
        print(f"{g['precision']:8}{g['n']:>6}{g['threads']:>9}{g['gflops']:>10.1f}")
    for g in shapes:
        print(f"{g['m']} x {g['k']} . {g['k']} x {g['n']:<8}{g['threads']:>4}{g['gflops']:>10.1f}  {g['name']}")


if __name__ == "__main__":
    main()
