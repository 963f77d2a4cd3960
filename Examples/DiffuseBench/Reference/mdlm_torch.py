"""PyTorch reference for `diffuse-bench mdlm-train` and `mdlm-sample`: the masked-diffusion DNA
network of SVDD (dilated 1-D CNN: embedding of A, C, G, T and the mask into 128 channels, 20
residual blocks LayerNorm -> ReLU -> Conv1d(kernel 9, "same" padding) with dilations 1, 1, 4,
16, 64 in 4 stacks, final LayerNorm, linear map to 4 logits; no time input), length 200, batch 64,
2 threads. Written for this project from Sources/DiffuseSequences/Networks/
DilatedConvolutionNetwork.swift (the layout of SVDD's models/dnaconv.py: channels-first
convolutions, LayerNorm over channels by transposes).

  train:  median seconds of one training step (SUBS log-softmax, 1/t-weighted masked
          cross-entropy, backward, gradient clipping at 1, Adam 3e-4) after one warm-up.
  sample: seconds to draw the batch with MDLM's ancestral sampler (128 steps from t = 1 to 1e-5,
          log-linear schedule, Float64 categorical draws, MDLM's batch cache, final
          noise-removal pass), with and without the cache.

Run: python3 mdlm_torch.py train|sample [--repeats N] [--json]   (not used by the build or the tests)
`--json` prints the figures as one JSON object (the keys of `diffuse-bench mdlm-train|mdlm-sample
--json`; `scripts/bench-peers` reads it) instead of the text.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

arguments = argparse.ArgumentParser(description="PyTorch timing of the MDLM DNA network")
arguments.add_argument("mode", choices=["train", "sample"])
arguments.add_argument("--repeats", type=int, default=3)
arguments.add_argument("--steps", type=int, default=128)
arguments.add_argument("--batch", type=int, default=64)
arguments.add_argument("--threads", type=int, default=2)
arguments.add_argument("--json", action="store_true", help="print the results as one JSON object")
args = arguments.parse_args()
torch.set_num_threads(args.threads)
K, MASK, H, L, B = 4, 4, 128, 200, args.batch
DILATIONS = [1, 1, 4, 16, 64] * 4


class Block(nn.Module):
    def __init__(self, dilation):
        super().__init__()
        self.norm = nn.LayerNorm(H)
        self.conv = nn.Conv1d(H, H, 9, padding=4 * dilation, dilation=dilation)

    def forward(self, h):  # h: [B, H, L]
        y = F.relu(self.norm(h.transpose(1, 2)).transpose(1, 2))
        return h + self.conv(y)


class Network(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(K + 1, H)
        self.blocks = nn.ModuleList(Block(d) for d in DILATIONS)
        self.final_norm = nn.LayerNorm(H)
        self.output = nn.Linear(H, K)

    def forward(self, x):  # x: [B, L] tokens -> logits [B, L, K]
        h = self.embedding(x).transpose(1, 2)
        for block in self.blocks:
            h = block(h)
        return self.output(self.final_norm(h.transpose(1, 2)))


def median_seconds(body, repeats, warmup=1):
    for _ in range(warmup):
        body()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


torch.manual_seed(0)
model = Network()
PARAMETERS = sum(p.numel() for p in model.parameters())
COMMON = {"torch": torch.__version__, "threads": torch.get_num_threads(), "parameters": PARAMETERS, "batch": B, "length": L, "repeats": args.repeats}
if not args.json:
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; {PARAMETERS} parameters")

if args.mode == "train":
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
    x0 = torch.randint(0, K, (B, L))
    u = torch.rand(1).item()
    t = 1e-3 + (1 - 1e-3) * ((u + torch.arange(B) / B) % 1)        # antithetic times
    masked = torch.rand(B, L) < (1 - 1e-3) * t[:, None]           # log-linear: 1 - alpha_t
    xt = torch.where(masked, torch.full_like(x0, MASK), x0)

    def step():
        optimizer.zero_grad(set_to_none=True)
        logp = torch.log_softmax(model(xt), dim=-1)
        nll = -logp.gather(-1, x0[..., None])[..., 0] * masked
        loss = (nll.sum(1) / L / t).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    seconds = median_seconds(step, args.repeats)
    if args.json:
        print(json.dumps({"mode": "train", "trainingStepsPerSecond": 1 / seconds, "millisecondsPerStep": seconds * 1e3, **COMMON}, indent=2))
    else:
        print(f"Training: {1 / seconds:.3f} steps/s ({seconds * 1e3:.1f} ms per step, median of {args.repeats})")
else:
    model.eval()
    generator = torch.Generator().manual_seed(3)

    def sample(cache):
        x = torch.full((B, L), MASK)
        times = torch.linspace(1, 1e-5, args.steps + 1, dtype=torch.float64)
        evaluations, p0 = 0, None
        with torch.inference_mode():
            for i in range(args.steps):
                t, s = times[i], times[i + 1]
                if p0 is None or not cache:
                    p0 = torch.softmax(model(x).double(), dim=-1)
                    evaluations += 1
                alpha_t, alpha_s = 1 - (1 - 1e-3) * t, 1 - (1 - 1e-3) * s
                q = torch.cat([p0 * (alpha_s - alpha_t), torch.full((B, L, 1), 1 - alpha_s, dtype=torch.float64)], -1)
                gumbel = -torch.log(torch.rand(q.shape, generator=generator, dtype=torch.float64))
                draw = (q / gumbel).argmax(-1)
                nxt = torch.where(x == MASK, draw, x)
                if not torch.equal(nxt, x):
                    p0 = None
                x = nxt
            if (x == MASK).any():
                final = model(x).argmax(-1)
                evaluations += 1
                x = torch.where(x == MASK, final, x)
        return evaluations

    report = {"mode": "sample", "steps": args.steps, **COMMON}
    for cache in (True, False):
        count = [0]
        seconds = median_seconds(lambda: count.__setitem__(0, sample(cache)), args.repeats, warmup=0)
        name = "Cached" if cache else "Uncached"
        report["seconds" + name], report["evaluations" + name] = seconds, count[0]
        if not args.json:
            print(f"{name}: {seconds:.2f} s ({count[0]} network evaluations)")
    if args.json:
        print(json.dumps(report, indent=2))
