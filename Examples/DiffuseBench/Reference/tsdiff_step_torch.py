"""PyTorch reference for `diffuse-bench tsdiff-step`: the TSDiff backbone with diagonal S4D
kernels (hidden 64, 3 blocks, state 128 bidirectional, length 360, 11 channels, batch 64),
training steps/s (forward, MSE on the noise, backward, clipping at 0.5, Adam) and forward
samples/s (inference mode, kernels computed in every call), medians of 5 after one warm-up,
2 threads. Written for this project from the architecture in
Sources/DiffuseTimeSeries/Model/TSDiffBackbone.swift; run: python3 tsdiff_step_torch.py

`--kernel nplr` swaps the S4D kernel for the normal-plus-low-rank S4 kernel (Gu, Goel & Ré 2022,
"Efficiently modeling long sequences with structured state spaces", Algorithm 1): the bilinear
discretisation's generating function at the roots of unity, four Cauchy sums formed as batched
products over a [channel, H, N, frequency] tensor (no pykeops), the rank-1 Woodbury correction,
then an inverse real FFT. Its parameters are the trained ones of that paper (Λ, P, B, C̃, Δ per
channel); the kernel's cost, not its initialisation, is what is measured.

`--json` prints the figures as one JSON object instead (as `diffuse-bench tsdiff-step --json`;
`scripts/bench-peers` reads it). Not used by the build or the tests.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

arguments = argparse.ArgumentParser(description="PyTorch timing of the TSDiff backbone")
arguments.add_argument("--kernel", choices=["s4d", "nplr"], default="s4d")
arguments.add_argument("--repeats", type=int, default=5, help="timed repetitions (the median is reported)")
arguments.add_argument("--threads", type=int, default=2)
arguments.add_argument("--batch", type=int, default=64)
arguments.add_argument("--json", action="store_true", help="print the results as one JSON object")
ARGS = arguments.parse_args()
KERNEL_NAME = ARGS.kernel
torch.set_num_threads(ARGS.threads)
H, BLOCKS, STATE, L, C, B, EMB = 64, 3, 128, 360, 11, ARGS.batch, 128


class S4D(nn.Module):
    def __init__(self, h, n):
        super().__init__()
        m = n // 2
        self.log_dt = nn.Parameter(torch.rand(h) * (math.log(0.1) - math.log(0.001)) + math.log(0.001))
        self.log_a_real = nn.Parameter(torch.full((h, m), math.log(0.5)))
        self.a_imag = nn.Parameter((n / math.pi * (n / (2 * torch.arange(m) + 1) - 1)).repeat(h, 1))
        self.c = nn.Parameter(torch.randn(2, h, m, dtype=torch.cfloat) * 0.5 ** 0.5)
        self.d = nn.Parameter(torch.randn(h))
        self.out = nn.Linear(h, h)

    def kernel(self, length):
        dt = self.log_dt.exp()[:, None]
        a = -self.log_a_real.exp() + 1j * self.a_imag
        dta = a * dt
        b = (dta.exp() - 1) / a
        powers = torch.exp(dta[..., None] * torch.arange(length))          # [H, M, L]
        k = 2 * torch.einsum("dhm,hml->dhl", self.c * b, powers).real      # [2, H, L]
        return torch.cat([k[0], torch.zeros_like(k[0])], -1) + torch.cat([torch.zeros_like(k[1]), k[1].flip(-1)], -1)

    def forward(self, u):  # u [B, L, H]
        k = self.kernel(u.shape[1])                                           # [H, 2L]
        y = torch.fft.irfft(torch.fft.rfft(u, n=2 * L, dim=1) * torch.fft.rfft(k, n=2 * L).T, n=2 * L, dim=1)[:, :L]
        return self.out(F.gelu(y + u * self.d))


class NPLR(S4D):
    """The S4 layer of S4D with the normal-plus-low-rank kernel (A = Λ − P P*)."""

    def __init__(self, h, n):
        super().__init__(h, n)
        m = n // 2
        del self.log_a_real, self.a_imag, self.c
        self.log_lambda_real = nn.Parameter(torch.full((h, m), math.log(0.5)))
        self.lambda_imag = nn.Parameter(math.pi * torch.arange(m).float().repeat(h, 1))
        self.p = nn.Parameter(torch.randn(h, m, dtype=torch.cfloat) * 0.5 ** 0.5)
        self.b = nn.Parameter(torch.ones(h, m, dtype=torch.cfloat))
        self.c = nn.Parameter(torch.randn(2, h, m, dtype=torch.cfloat) * 0.5 ** 0.5)

    def kernel(self, length):
        dt = self.log_dt.exp()[:, None]                                       # [H, 1]
        lam = -self.log_lambda_real.exp() + 1j * self.lambda_imag              # [H, M]
        omega = torch.exp(-2j * math.pi * torch.arange(length // 2 + 1) / length)
        z = (2 / dt) * (1 - omega) / (1 + omega)                              # [H, F]
        pc, bc = self.p.conj(), self.b
        # Numerators of the Cauchy sums: C̃B and C̃P per direction, P*B and P*P shared.
        v = torch.cat([self.c * bc, self.c * self.p, (pc * bc)[None], (pc * self.p)[None]])   # [6, H, M], one of each conjugate pair
        w = lam
        # Each conjugate pair in one term: v/(z − w) + v̄/(z − w̄) = 2(z Re v − Re(v w̄)) / (z² − 2z Re w + |w|²).
        numerator = 2 * (z[:, None, :] * v.real[..., None] - (v * w.conj()).real[..., None])
        denominator = z[:, None, :] ** 2 - 2 * z[:, None, :] * w.real[..., None] + (w.abs() ** 2)[..., None]
        r = (numerator / denominator).sum(-2)                                  # [6, H, F]
        k = r[0:2] - r[2:4] * r[4] / (1 + r[5])                               # Woodbury, [2, H, F]
        k = torch.fft.irfft(k * 2 / (1 + omega), n=length)                    # [2, H, L]
        return torch.cat([k[0], torch.zeros_like(k[0])], -1) + torch.cat([torch.zeros_like(k[1]), k[1].flip(-1)], -1)


KERNEL = {"s4d": S4D, "nplr": NPLR}[KERNEL_NAME]


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.time = nn.Linear(H, H)
        self.norm = nn.LayerNorm(H)
        self.s4 = KERNEL(H, STATE)
        self.residual = nn.Linear(H, H)
        self.skip = nn.Linear(H, H)

    def forward(self, x, t):
        z = x + self.time(t)[:, None]
        h = z + self.s4(self.norm(z))
        g = torch.tanh(h) * torch.sigmoid(h)
        return self.residual(g) + x, self.skip(g)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(C, H)
        self.step = nn.Sequential(nn.Linear(EMB, H), nn.SiLU(), nn.Linear(H, H), nn.SiLU())
        self.blocks = nn.ModuleList(Block() for _ in range(BLOCKS))
        self.head = nn.Sequential(nn.Linear(H, H), nn.ReLU(), nn.Linear(H, C))

    def forward(self, x, steps):
        freqs = torch.exp(-torch.arange(EMB // 2) * math.log(1e4) / (EMB // 2 - 1))
        e = steps[:, None].float() * freqs
        t = self.step(torch.cat([e.sin(), e.cos()], -1))
        h, skips = F.relu(self.inp(x)), 0
        for block in self.blocks:
            h, s = block(h, t)
            skips = skips + s
        return self.head(skips)


def median_time(body, repeats=ARGS.repeats):
    body()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


torch.manual_seed(0)
model = Backbone()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x, noise, steps = torch.randn(B, L, C), torch.randn(B, L, C), torch.randint(0, 100, (B,))


def training_step():
    optimizer.zero_grad(set_to_none=True)
    loss = F.mse_loss(model(x, steps), noise)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    optimizer.step()


def forward():
    with torch.inference_mode():
        model(x, steps)


train = median_time(training_step)
fwd = median_time(forward)
real_parameters = sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters())
if ARGS.json:
    print(json.dumps({"kernel": KERNEL_NAME, "trainingStepsPerSecond": 1 / train, "millisecondsPerStep": train * 1e3,
                      "forwardSamplesPerSecond": B / fwd, "batch": B, "repeats": ARGS.repeats, "parameters": real_parameters,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}, indent=2))
    raise SystemExit(0)
print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, {KERNEL_NAME.upper()} backbone, {real_parameters} real parameters, batch {B}, length {L}")
print(f"Training: {1 / train:.2f} steps/s ({train * 1e3:.1f} ms per step)")
print(f"Forward: {B / fwd:.0f} samples/s")
