"""Reference timing for `diffuse-bench gmm-sample`: the same workload through diffusers.

Samples an isotropic, equal-weight Gaussian mixture with its exact score (computed in torch)
through a diffusers scheduler on the default grid, with the linear-beta DDPM schedule
(1e-4 -> 0.02, 1000 training steps). Prints the median wall time over several runs, the NFE, and
writes the float32 samples so that `diffuse-bench gmm-sample --compare FILE` can report their
sliced W2 against the same exact samples.

Usage (needs torch and diffusers; not used by the build or the tests):
    python3 gmm_sample_diffusers.py --solver dpmpp-2m --steps 20 --means means.npy --out ref.npy
--means takes the means of `diffuse-bench gmm-sample` written with --means-out there. `--json`
prints the figures as one JSON object (`seconds` as in `diffuse-bench gmm-sample --json`;
`scripts/bench-peers` reads it) instead of the text.
"""
import argparse
import json
import time

import numpy as np
import torch
import diffusers
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, EulerDiscreteScheduler


def make_scheduler(name):
    common = dict(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear")
    if name == "dpmpp-2m":
        return DPMSolverMultistepScheduler(**common, algorithm_type="dpmsolver++", solver_order=2)
    if name == "ddim":
        return DDIMScheduler(**common, clip_sample=False)
    if name == "euler":
        return EulerDiscreteScheduler(**common)
    if name == "ddpm":
        return DDPMScheduler(**common, clip_sample=False)
    raise SystemExit(f"unknown solver {name}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--solver", default="dpmpp-2m")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--means", required=True)
    parser.add_argument("--std", type=float, default=0.5)
    parser.add_argument("--count", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    means = torch.tensor(np.load(args.means), dtype=torch.float32)
    var = args.std ** 2
    sched = make_scheduler(args.solver)
    alphas_cumprod = sched.alphas_cumprod
    mean_norms = (means ** 2).sum(1)

    def eps(x, t):
        ab = alphas_cumprod[int(t)]
        a, s2 = ab.sqrt(), 1 - ab
        total = a * a * var + s2
        dist = (x ** 2).sum(1, keepdim=True) - 2 * a * x @ means.T + a * a * mean_norms
        r = torch.softmax(-0.5 * dist / total, dim=1)
        c = a * var / total
        x0 = (r * (1 - a * c)) @ means + c * x
        return (x - a * x0) / s2.sqrt()

    gen = torch.Generator().manual_seed(0)
    times, nfe = [], 0
    for rep in range(args.repeats + 1):
        sched.set_timesteps(args.steps)
        x = torch.randn(args.count, means.shape[1], generator=gen) * sched.init_noise_sigma
        nfe = 0
        t0 = time.perf_counter()
        with torch.no_grad():
            for t in sched.timesteps:
                inp = sched.scale_model_input(x, t)
                # The exact score is defined on the training timestep grid (Euler's timesteps are floats).
                out = eps(inp, round(float(t)))
                nfe += 1
                x = sched.step(out, t, x, generator=gen).prev_sample
        if rep > 0:
            times.append(time.perf_counter() - t0)
    x_eval = torch.randn(args.count, means.shape[1])
    t0 = time.perf_counter()
    for _ in range(50):
        eps(x_eval, 500)
    score_ms = (time.perf_counter() - t0) / 50 * 1e3
    if args.out:
        np.save(args.out, x.numpy().astype(np.float32))
    if args.json:
        print(json.dumps({"solver": args.solver, "steps": args.steps, "count": args.count, "dimension": means.shape[1], "components": means.shape[0],
                          "seconds": float(np.median(times)), "functionEvaluations": nfe, "scoreEvaluationSeconds": score_ms / 1e3,
                          "repeats": args.repeats, "samples": args.out, "diffusers": diffusers.__version__, "torch": torch.__version__,
                          "threads": torch.get_num_threads()}, indent=2))
        return
    print(f"{args.solver} {args.steps} steps: {np.median(times) * 1e3:.1f} ms (median of {args.repeats}), NFE {nfe}, one score evaluation {score_ms:.2f} ms")


if __name__ == "__main__":
    main()
