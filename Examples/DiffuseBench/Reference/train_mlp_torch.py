"""PyTorch reference for `diffuse-bench train-mlp`: training steps/s of the same DDPM ε-network,
written for this project from Examples/DiffuseBench/TrainMLPBenchmark.swift.

  network:  x ∈ R^32 concatenated with a 128-dim sinusoidal embedding of the step t (sin then cos,
            frequencies exp(−ln(10⁴)·i/63), as SinusoidalTimeEmbedding) → Linear 512 → SiLU →
            Linear 512 → SiLU → Linear 512 → SiLU → Linear 32; Float32.
  step:     a batch of 512 rows drawn from 8192 fixed points N(1, 0.25 I), t uniform in 0..999,
            the noisy x_t of the linear-β DDPM (1e-4 → 0.02 over 1000 steps), MSE between the
            predicted and the drawn noise, backward, Adam (lr 1e-3, β = 0.9, 0.999, ε = 1e-8),
            reading the loss back. Drawing the batch is part of the step, as in the Swift benchmark.
  timing:   10 warm-up steps, then `--runs` runs of `--steps` steps; steps/s of each run, the
            median reported (the Swift benchmark's defaults: 5 runs of 40 steps); 2 threads.

Three variants, each with a fresh network from the same seed:
  eager    torch.optim.Adam with its default implementation (on CPU the per-parameter loop);
  fused    torch.optim.Adam(fused=True) where this PyTorch supports it on CPU, else foreach=True
           (the JSON's "optimizer" says which ran);
  compile  the forward pass and loss through torch.compile (backward by AOTAutograd), the eager
           Adam; a compilation failure is reported in the JSON ("error"), not raised.

Run: python3 train_mlp_torch.py [--variants eager,fused,compile] [--threads 2] [--json]
(not used by the build or the tests; `scripts/bench-peers` runs it next to `diffuse-bench train-mlp`).
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DIMENSION, EMBEDDING, HIDDEN, TRAINING_STEPS, POINTS = 32, 128, 512, 1000, 8192
VARIANTS = ("eager", "fused", "compile")


def make_model():
    return nn.Sequential(nn.Linear(DIMENSION + EMBEDDING, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, HIDDEN), nn.SiLU(),
                         nn.Linear(HIDDEN, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, DIMENSION))


def tables():
    """ᾱ_t of the linear-β schedule and the sinusoidal embedding of every step, computed in float64."""
    betas = torch.linspace(1e-4, 0.02, TRAINING_STEPS, dtype=torch.float64)
    alpha_bar = torch.cumprod(1 - betas, 0)
    half = EMBEDDING // 2
    frequencies = torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=torch.float64) / (half - 1))
    angles = torch.arange(TRAINING_STEPS, dtype=torch.float64)[:, None] * frequencies
    embedding = torch.cat([angles.sin(), angles.cos()], 1).float()
    return alpha_bar.sqrt().float(), (1 - alpha_bar).sqrt().float(), embedding


def make_optimizer(variant, parameters):
    """The variant's Adam and a description of the implementation that runs."""
    if variant == "fused":
        try:
            return torch.optim.Adam(parameters, lr=1e-3, fused=True), "Adam(fused=True)"
        except (RuntimeError, ValueError, TypeError) as error:
            return torch.optim.Adam(parameters, lr=1e-3, foreach=True), f"Adam(foreach=True); fused=True unsupported on CPU here: {error}"
    return torch.optim.Adam(parameters, lr=1e-3), "Adam (default implementation)"


def run_variant(variant, args):
    torch.manual_seed(0)
    model = make_model()
    parameters = list(model.parameters())
    optimizer, optimizer_name = make_optimizer(variant, parameters)
    signal, noise_scale, embedding = tables()
    data = torch.randn(POINTS, DIMENSION) * 0.5 + 1
    generator = torch.Generator().manual_seed(2)

    def loss_of(inputs, noise):
        return F.mse_loss(model(inputs), noise)

    loss_function = torch.compile(loss_of) if variant == "compile" else loss_of
    last_loss = [float("nan")]

    def training_step():
        rows = torch.randint(0, POINTS, (args.batch,), generator=generator)
        times = torch.randint(0, TRAINING_STEPS, (args.batch,), generator=generator)
        noise = torch.randn(args.batch, DIMENSION, generator=generator)
        xt = data[rows] * signal[times, None] + noise * noise_scale[times, None]
        inputs = torch.cat([xt, embedding[times]], 1)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_function(inputs, noise)
        loss.backward()
        optimizer.step()
        last_loss[0] = loss.item()

    start = time.perf_counter()
    for _ in range(args.warmup):
        training_step()
    warmup_seconds = time.perf_counter() - start
    rates = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for _ in range(args.steps):
            training_step()
        rates.append(args.steps / (time.perf_counter() - start))
    rate = statistics.median(rates)
    return {"stepsPerSecond": rate, "secondsPerStep": 1 / rate, "rates": rates, "finalLoss": last_loss[0],
            "optimizer": optimizer_name, "warmupSeconds": warmup_seconds,
            "parameters": sum(p.numel() for p in parameters)}


def error_text(error):
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    text = f"{type(error).__name__}: {lines[0] if lines else ''}"
    return text[:500]


def main():
    parser = argparse.ArgumentParser(description="PyTorch training steps/s of the train-mlp ε-network")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset of eager, fused, compile")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (the median is reported)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first (for compile: includes compilation)")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        parser.error(f"--variants: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(VARIANTS)}")
    if min(args.steps, args.runs, args.batch, args.threads) < 1 or args.warmup < 0:
        parser.error("--steps, --runs, --batch and --threads must be positive, --warmup not negative")
    torch.set_num_threads(args.threads)

    results = {}
    for variant in variants:
        try:
            results[variant] = run_variant(variant, args)
        except Exception as error:  # torch.compile needs a C++ compiler and may fail; report, do not crash
            results[variant] = {"error": error_text(error)}
    measured = {k: v for k, v in results.items() if "stepsPerSecond" in v}
    best = max(measured, key=lambda k: measured[k]["stepsPerSecond"]) if measured else None
    report = {"workload": f"ε-MLP {DIMENSION}+{EMBEDDING}→{HIDDEN}×3→{DIMENSION}, SiLU, batch {args.batch}, MSE, Adam 1e-3, Float32",
              "torch": torch.__version__, "threads": torch.get_num_threads(), "cpuCapability": torch.backends.cpu.get_cpu_capability(),
              "steps": args.steps, "runs": args.runs, "warmup": args.warmup, "batch": args.batch, "variants": results,
              "best": best, "stepsPerSecond": measured[best]["stepsPerSecond"] if best else None}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"Workload: {report['workload']}; PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    for variant, result in results.items():
        if "error" in result:
            print(f"{variant:8} failed: {result['error']}")
        else:
            print(f"{variant:8} {result['stepsPerSecond']:7.1f} steps/s (median of {args.runs} runs × {args.steps} steps; "
                  f"{result['secondsPerStep'] * 1e3:.2f} ms per step), loss {result['finalLoss']:.4f}, {result['optimizer']}")
    if best:
        print(f"Best: {best}")


if __name__ == "__main__":
    main()
