"""PyTorch reference for `diffuse-bench emdm-train` and `emdm-sample`: the same EMDM generator and
discriminator as the `motion` example's default, written for this project from
Sources/DiffuseMotion/Models/MotionTransformer.swift and MotionDiscriminator.swift (the layout of
EMDM's model/mdm.py generator with a latent token and score_sde/models/discriminator.py's MLP).

  generator:     tokens [time, action, latent, 40 frames]; frames Linear(263 -> 128) + learned
                 positions; time: sinusoidal(128) -> Linear -> SiLU -> Linear; action: Embedding(12);
                 latent z (32) -> Linear -> LeakyReLU(0.2) -> Linear; 4 pre-norm encoder layers
                 (4 heads, feed-forward 256, GELU, no dropout); LayerNorm; Linear(128 -> 263).
  discriminator: [x_{t-1} (40x263), x_t (40x263), sinusoidal(t, 128), one-hot action (11)] ->
                 512 -> 256 -> 64 -> 1 with SELU.
  train:  mean milliseconds per step over a cycle of 15 steps: a D step (real and fake pairs in one
          batch of 64; softplus losses; exact R1 by double backward, gamma 0.02, on the 15th step),
          a G step (non-saturating loss x 0.1 + reconstruction, joint-position, velocity and
          foot-contact MSE), Adam(0.5, 0.9) on both,
          EMA of G; batch 32 of random windows (the timing does not depend on the data).
  sample: milliseconds to draw a batch of 32 with 10 DDGAN posterior steps.

Run: python3 emdm_torch.py train|sample [--repeats N] [--threads 2] [--json]   (not used by the build or the tests)
`--json` prints the figure as one JSON object (the keys of `diffuse-bench emdm-train|emdm-sample
--json`; `scripts/bench-peers` reads it) instead of the text.
"""
import argparse
import copy
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

arguments = argparse.ArgumentParser(description="PyTorch timing of EMDM")
arguments.add_argument("mode", choices=["train", "sample"])
arguments.add_argument("--repeats", type=int, default=3)
arguments.add_argument("--batch", type=int, default=32)
arguments.add_argument("--threads", type=int, default=2)
arguments.add_argument("--steps", type=int, default=10)
arguments.add_argument("--json", action="store_true", help="print the results as one JSON object")
args = arguments.parse_args()
torch.set_num_threads(args.threads)
B, L, F_, D, A, Z, T = args.batch, 40, 263, 128, 11, 32, args.steps


def sinusoidal(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args_ = t[:, None].float() * freqs[None]
    return torch.cat([torch.sin(args_), torch.cos(args_)], dim=-1)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.input = nn.Linear(F_, D)
        self.positions = nn.Embedding(L, D)
        self.time = nn.Sequential(nn.Linear(D, D), nn.SiLU(), nn.Linear(D, D))
        self.actions = nn.Embedding(A + 1, D)
        self.latent = nn.Sequential(nn.Linear(Z, D), nn.LeakyReLU(0.2), nn.Linear(D, D))
        layer = nn.TransformerEncoderLayer(D, 4, 2 * D, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 4, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(D)
        self.output = nn.Linear(D, F_)

    def forward(self, x, t, a, z):
        tokens = torch.cat([self.time(sinusoidal(t, D))[:, None], self.actions(a)[:, None], self.latent(z)[:, None],
                            self.input(x) + self.positions.weight[None, : x.shape[1]]], dim=1)
        h = self.encoder(tokens)
        return self.output(self.norm(h[:, 3:]))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        sizes = [2 * L * F_ + 128 + A, 512, 256, 64, 1]
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.SELU())
        self.mlp = nn.Sequential(*layers)

    def forward(self, less, more, t, a):
        h = torch.cat([less.flatten(1), more.flatten(1), sinusoidal(t, 128), F.one_hot(a, A).float()], dim=1)
        return self.mlp(h).squeeze(-1)


def schedule():
    ts = torch.linspace(0, 1, T + 1, dtype=torch.float64) * (1 - 1e-3) + 1e-3
    abar = torch.exp(-0.5 * ts ** 2 * (20 - 0.1) - ts * 0.1)
    abar = abar[1:] / abar[0]
    betas = 1 - abar / torch.cat([torch.ones(1, dtype=torch.float64), abar[:-1]])
    return abar.float(), betas.float()


ABAR, BETAS = schedule()


def posterior(x0, xt, k, noise=True):
    abar_t = ABAR[k]
    abar_prev = torch.where(k > 0, ABAR[(k - 1).clamp(min=0)], torch.ones_like(abar_t))
    beta = 1 - abar_t / abar_prev
    c0 = abar_prev.sqrt() * beta / (1 - abar_t)
    ct = (1 - beta).sqrt() * (1 - abar_prev) / (1 - abar_t)
    var = beta * (1 - abar_prev) / (1 - abar_t)
    shape = (-1, 1, 1)
    out = c0.view(shape) * x0 + ct.view(shape) * xt
    if noise:
        out = out + var.clamp(min=0).sqrt().view(shape) * torch.randn_like(xt)
    return out


def real_pairs(x0, k):
    abar_prev = torch.where(k > 0, ABAR[(k - 1).clamp(min=0)], torch.ones(k.shape))
    less = abar_prev.sqrt().view(-1, 1, 1) * x0 + (1 - abar_prev).sqrt().view(-1, 1, 1) * torch.randn_like(x0)
    beta = 1 - ABAR[k] / abar_prev
    more = (1 - beta).sqrt().view(-1, 1, 1) * less + beta.sqrt().view(-1, 1, 1) * torch.randn_like(x0)
    return less, more


def motion_loss(pred, target):
    loss = F.mse_loss(pred, target)
    p, t = pred[..., 4:67], target[..., 4:67]
    loss = loss + F.mse_loss(p, t) + F.mse_loss(p[:, 1:] - p[:, :-1], t[:, 1:] - t[:, :-1])
    foot = 0
    for i, j in enumerate([7, 10, 8, 11]):
        mask = (target[..., 259 + i: 260 + i] > 0.5).float()
        foot = foot + ((pred[..., 193 + 3 * j: 196 + 3 * j] * mask) ** 2).mean()
    return loss + foot / 4


def train():
    g, d = Generator(), Discriminator()
    ema = copy.deepcopy(g)
    og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.9))
    od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.9))
    x0 = torch.randn(B, L, F_)
    a = torch.randint(0, A, (B,))

    def step(i):
        k = torch.randint(0, T, (B,))
        less, more = real_pairs(x0, k)
        less.requires_grad_(i % 15 == 0)
        with torch.no_grad():
            fake = posterior(g(more, k, a, torch.randn(B, Z)), more, k)
        # real and fake pairs as one batch of 2B rows, as DenoisingGANTrainer does
        logits = d(torch.cat([less, fake]), torch.cat([more, more]), torch.cat([k, k]), torch.cat([a, a]))
        real_logits = logits[:B]
        loss = F.softplus(-real_logits).mean() + F.softplus(logits[B:]).mean()
        if i % 15 == 0:
            grad, = torch.autograd.grad(real_logits.sum(), less, create_graph=True)
            loss = loss + 0.02 / 2 * grad.pow(2).flatten(1).sum(1).mean()
        od.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(d.parameters(), 10)
        od.step()
        k = torch.randint(0, T, (B,))
        _, more = real_pairs(x0, k)
        pred = g(more, k, a, torch.randn(B, Z))
        adv = F.softplus(-d(posterior(pred, more, k), more, k, a)).mean()
        gl = 0.1 * adv + motion_loss(pred, x0)
        og.zero_grad(set_to_none=True)
        gl.backward()
        torch.nn.utils.clip_grad_norm_(g.parameters(), 1)
        og.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), g.parameters()):
                pe.mul_(0.999).add_(p, alpha=0.001)

    for i in range(15):
        step(i)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for i in range(15):
            step(i)
        times.append((time.perf_counter() - start) / 15)
    if args.json:
        print(json.dumps({"mode": "train", "millisecondsPerStep": statistics.median(times) * 1e3, "generatorParameters": sum(p.numel() for p in g.parameters()),
                          "discriminatorParameters": sum(p.numel() for p in d.parameters()), "batch": B, "repeats": args.repeats,
                          "torch": torch.__version__, "threads": torch.get_num_threads()}, indent=2))
        return
    print(f"emdm-train (PyTorch {torch.__version__}, {args.threads} threads): {statistics.median(times) * 1e3:.1f} ms per step (mean of a 15-step cycle with one R1 step, median of {args.repeats})")


@torch.no_grad()
def sample():
    g = Generator().eval()
    a = torch.arange(B) % A

    def run():
        x = torch.randn(B, L, F_)
        for k in reversed(range(T)):
            kk = torch.full((B,), k)
            x = posterior(g(x, kk, a, torch.randn(B, Z)), x, kk, noise=k > 0)
        return x

    run()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    m = statistics.median(times) * 1e3
    if args.json:
        print(json.dumps({"mode": "sample", "millisecondsPerBatch": m, "millisecondsPerSequence": m / B, "steps": T, "batch": B, "repeats": args.repeats,
                          "torch": torch.__version__, "threads": torch.get_num_threads()}, indent=2))
        return
    print(f"emdm-sample (PyTorch {torch.__version__}, {args.threads} threads): {m:.1f} ms per batch of {B} ({m / B:.2f} ms per sequence), {T} steps, median of {args.repeats}")


train() if args.mode == "train" else sample()
