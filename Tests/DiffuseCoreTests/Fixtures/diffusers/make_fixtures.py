#!/usr/bin/env python3
"""Golden reference data from Hugging Face diffusers' own schedulers.

Run from this directory:   python3 make_fixtures.py

Writes, next to this script:
  golden.json                      -- per-configuration metadata (see README.md)
  <name>.npy                       -- final sample, float32, C order, shape (4, 3, 8, 8)
  <name>_trajectory.npy            -- sample before the loop and after every scheduler.step call,
                                      float32, shape (num_step_calls + 1, 4, 3, 8, 8)
  dummy_sample_deter.npy           -- the initial sample of every loop, float32 (4, 3, 8, 8)
  alphas_cumprod_T1000.npy / _T1100.npy -- float32 alphas_cumprod of the linear beta schedule

The loops replicate diffusers' tests/schedulers tests exactly (dummy model, dummy sample, loop
structure, number of steps); see README.md for the test file / line references.
"""
import json
import math
import os
import platform

import numpy as np
import torch

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

import diffusers  # noqa: E402
from diffusers import (  # noqa: E402
    DDIMScheduler,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    EulerDiscreteScheduler,
    HeunDiscreteScheduler,
    UniPCMultistepScheduler,
)
import diffusers.schedulers.scheduling_ddpm as ddpm_module  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
TESTS_COMMIT = "58eb52c0803ea9af3abec60841c2a093bdf1f951"  # huggingface/diffusers commit the test refs were read from

BASE = dict(num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule="linear")


# --------------------------------------------------------------------------------------------
# Exact copies of tests/schedulers/test_schedulers.py SchedulerCommonTest helpers
# --------------------------------------------------------------------------------------------
def dummy_sample_deter():
    # test_schedulers.py lines 341-355
    batch_size, num_channels, height, width = 4, 3, 8, 8
    num_elems = batch_size * num_channels * height * width
    sample = torch.arange(num_elems)
    sample = sample.reshape(num_channels, height, width, batch_size)
    sample = sample / num_elems
    sample = sample.permute(3, 0, 1, 2)
    return sample


def dummy_model():
    # test_schedulers.py lines 360-369
    def model(sample, t, *args):
        if isinstance(t, torch.Tensor):
            num_dims = len(sample.shape)
            t = t.reshape(-1, *(1,) * (num_dims - 1)).to(sample.device, dtype=sample.dtype)
        return sample * t / (t + 1)

    return model


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def jsonable(v):
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if math.isnan(v):
            return "nan"
        return v
    if isinstance(v, (np.floating,)):
        return jsonable(float(v))
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, torch.Tensor):
        return jsonable(v.tolist())
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def config_dict(sched):
    return jsonable({k: v for k, v in dict(sched.config).items() if not k.startswith("_")})


def tensor_list(t):
    """timesteps / sigmas as a JSON list (ints stay ints; float32 values are written exactly)."""
    if t.dtype in (torch.int64, torch.int32):
        return [int(x) for x in t.tolist()]
    return [jsonable(float(x)) for x in t.tolist()]


def stats(sample):
    s = sample.detach()
    return {
        "sum_abs": float(torch.sum(torch.abs(s)).item()),  # float32 reduction, as the tests do
        "mean_abs": float(torch.mean(torch.abs(s)).item()),
        "sum_abs_f64": float(np.abs(s.double().numpy()).sum()),
        "mean_abs_f64": float(np.abs(s.double().numpy()).mean()),
        "has_nan": bool(torch.isnan(s).any().item()),
        "has_inf": bool(torch.isinf(s).any().item()),
    }


def save_npy(name, arr):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(np.asarray(arr, dtype=np.float32)))


def check_ref(ref, st):
    if ref is None:
        return None
    ok = True
    if ref.get("sum") is not None:
        ok &= abs(st["sum_abs"] - ref["sum"]) < ref["sum_tol"]
    if ref.get("mean") is not None:
        ok &= abs(st["mean_abs"] - ref["mean"]) < ref["mean_tol"]
    return bool(ok)


def ref(file, test, lines, sum_=None, mean=None, sum_tol=1e-2, mean_tol=1e-3, note=None):
    r = {
        "file": "tests/schedulers/" + file,
        "test": test,
        "lines": lines,
        "repo": "huggingface/diffusers",
        "commit": TESTS_COMMIT,
        "sum": sum_,
        "sum_tol": sum_tol if sum_ is not None else None,
        "mean": mean,
        "mean_tol": mean_tol,
    }
    if note:
        r["note"] = note
    return r


def t_as_float(t):
    return float(t.item()) if isinstance(t, torch.Tensor) else float(t)


def ac_at(sched, ts):
    ac = sched.alphas_cumprod
    return [jsonable(float(ac[int(t)].item())) for t in ts]


RESULTS = {}
ALL_OK = []


def record(name, entry, sample, traj, test_ref=None):
    st = stats(sample)
    entry["computed"] = st
    entry["test_reference"] = test_ref
    entry["reproduces_test_reference"] = check_ref(test_ref, st)
    entry["final_sample_file"] = name + ".npy"
    entry["trajectory_file"] = name + "_trajectory.npy"
    entry["final_sample_shape"] = list(sample.shape)
    save_npy(name, sample.detach().numpy())
    save_npy(name + "_trajectory", torch.stack([x.detach().float() for x in traj]).numpy())
    RESULTS[name] = jsonable(entry)
    flag = "" if test_ref is None else ("  test ref OK" if entry["reproduces_test_reference"] else "  TEST REF MISMATCH")
    if test_ref is not None:
        ALL_OK.append((name, entry["reproduces_test_reference"]))
    print(f"{name:40s} sum={st['sum_abs']:.6f} mean={st['mean_abs']:.6g}{flag}")


# --------------------------------------------------------------------------------------------
# DDIM  (tests/schedulers/test_scheduler_ddim.py full_loop, lines 24-40)
# --------------------------------------------------------------------------------------------
def run_ddim(name, overrides, test_ref=None, num_inference_steps=10, eta=0.0):
    cfg = dict(BASE)
    cfg.update(overrides)
    sched = DDIMScheduler(**cfg)
    model = dummy_model()
    sample = dummy_sample_deter()
    sched.set_timesteps(num_inference_steps)
    traj = [sample]
    steps = []
    step_ratio = sched.config.num_train_timesteps // sched.num_inference_steps
    for t in sched.timesteps:
        residual = model(sample, t)
        sample = sched.step(residual, t, sample, eta).prev_sample
        prev_t = int(t) - step_ratio
        steps.append(
            {
                "timestep": int(t),
                "model_time": float(t),
                "prev_timestep": prev_t,
                "alpha_prod_t": float(sched.alphas_cumprod[int(t)]),
                "alpha_prod_t_prev": float(
                    sched.alphas_cumprod[prev_t] if prev_t >= 0 else sched.final_alpha_cumprod
                ),
            }
        )
        traj.append(sample)
    entry = {
        "scheduler": "DDIMScheduler",
        "config_overrides": overrides,
        "config": config_dict(sched),
        "num_inference_steps": num_inference_steps,
        "eta": eta,
        "loop": "plain",
        "init_noise_sigma": float(sched.init_noise_sigma),
        "timesteps": tensor_list(sched.timesteps),
        "alphas_cumprod_at_timesteps": ac_at(sched, sched.timesteps),
        "final_alpha_cumprod": float(sched.final_alpha_cumprod),
        "steps": steps,
    }
    record(name, entry, sample, traj, test_ref)


# --------------------------------------------------------------------------------------------
# Euler / Heun (tests/schedulers/test_scheduler_euler.py full_loop lines 52-73,
#               tests/schedulers/test_scheduler_heun.py full_loop lines 44-64)
# --------------------------------------------------------------------------------------------
def run_karras_style(cls, name, overrides, loop, test_ref=None, num_inference_steps=10):
    """loop == "test":     sample = scale_model_input(sample, t); out = model(sample, t); sample = step(out, t, sample)
                          (exactly the diffusers test loop: the *scaled* sample is handed to step())
    loop == "pipeline":  x_in = scale_model_input(sample, t); out = model(x_in, t); sample = step(out, t, sample)
                          (the way the pipelines use the scheduler)"""
    cfg = dict(overrides)
    sched = cls(**cfg)
    sched.set_timesteps(num_inference_steps)
    timesteps_json = tensor_list(sched.timesteps)
    sigmas_json = tensor_list(sched.sigmas)
    init_sigma = float(sched.init_noise_sigma)
    kwargs = {}
    if cls is EulerDiscreteScheduler:
        kwargs["generator"] = torch.manual_seed(0)  # as in the test; unused because s_churn == 0
    model = dummy_model()
    sample = dummy_sample_deter() * sched.init_noise_sigma
    traj = [sample]
    steps = []
    for i, t in enumerate(sched.timesteps):
        if loop == "test":
            sample = sched.scale_model_input(sample, t)
            model_in = sample
        else:
            model_in = sched.scale_model_input(sample, t)
        idx = sched.step_index
        info = {
            "i": i,
            "step_index": idx,
            "model_time": float(t),
            "model_time_dtype": str(t.dtype).replace("torch.", ""),
            "sigma_for_input_scaling": float(sched.sigmas[idx]),
        }
        if cls is HeunDiscreteScheduler:
            info["stage"] = "first_order(euler)" if sched.state_in_first_order else "second_order(heun_correction)"
        out = model(model_in, t)
        sample = sched.step(out, t, sample, **kwargs).prev_sample
        steps.append(info)
        traj.append(sample)
    entry = {
        "scheduler": cls.__name__,
        "config_overrides": overrides,
        "config": config_dict(sched),
        "num_inference_steps": num_inference_steps,
        "loop": loop,
        "init_noise_sigma": init_sigma,
        "initial_sample": "dummy_sample_deter * init_noise_sigma",
        "timesteps": timesteps_json,
        "sigmas": sigmas_json,
        "alphas_cumprod_from_sigmas": [jsonable(1.0 / (1.0 + s * s)) for s in sched.sigmas.double().tolist()],
        "steps": steps,
    }
    record(name, entry, sample, traj, test_ref if loop == "test" else None)


# --------------------------------------------------------------------------------------------
# DPM-Solver multistep (tests/schedulers/test_scheduler_dpm_multi.py full_loop lines 105-122)
# --------------------------------------------------------------------------------------------
def run_dpm(name, overrides, test_ref=None, num_inference_steps=10, use_test_base=False):
    if use_test_base:
        cfg = dict(DPM_TEST_CONFIG)
    else:
        cfg = dict(BASE)
    cfg.update(overrides)
    sched = DPMSolverMultistepScheduler(**cfg)
    model = dummy_model()
    sample = dummy_sample_deter()
    sched.set_timesteps(num_inference_steps)
    generator = torch.manual_seed(0)  # as in the test; unused for the deterministic algorithms

    used = []
    orig1, orig2, orig3 = (
        sched.dpm_solver_first_order_update,
        sched.multistep_dpm_solver_second_order_update,
        sched.multistep_dpm_solver_third_order_update,
    )

    def w1(*a, **k):
        used.append(1)
        return orig1(*a, **k)

    def w2(*a, **k):
        used.append(2)
        return orig2(*a, **k)

    def w3(*a, **k):
        used.append(3)
        return orig3(*a, **k)

    sched.dpm_solver_first_order_update = w1
    sched.multistep_dpm_solver_second_order_update = w2
    sched.multistep_dpm_solver_third_order_update = w3

    traj = [sample]
    steps = []
    for i, t in enumerate(sched.timesteps):
        residual = model(sample, t)
        sample = sched.step(residual, t, sample, generator=generator).prev_sample
        steps.append({"i": i, "model_time": float(t), "timestep": int(t), "order_used": used[-1],
                      "sigma_s0": float(sched.sigmas[i]), "sigma_t": float(sched.sigmas[i + 1])})
        traj.append(sample)
    entry = {
        "scheduler": "DPMSolverMultistepScheduler",
        "config_overrides": overrides,
        "config": config_dict(sched),
        "num_inference_steps": num_inference_steps,
        "loop": "plain",
        "init_noise_sigma": float(sched.init_noise_sigma),
        "timesteps": tensor_list(sched.timesteps),
        "sigmas": tensor_list(sched.sigmas),
        "alphas_cumprod_at_timesteps": ac_at(sched, sched.timesteps),
        "orders_used": used,
        "steps": steps,
    }
    record(name, entry, sample, traj, test_ref)


DPM_TEST_CONFIG = {  # test_scheduler_dpm_multi.py get_scheduler_config, lines 20-40
    "num_train_timesteps": 1000,
    "beta_start": 0.0001,
    "beta_end": 0.02,
    "beta_schedule": "linear",
    "solver_order": 2,
    "prediction_type": "epsilon",
    "thresholding": False,
    "sample_max_value": 1.0,
    "algorithm_type": "dpmsolver++",
    "solver_type": "midpoint",
    "lower_order_final": False,
    "euler_at_final": False,
    "lambda_min_clipped": -float("inf"),
    "variance_type": None,
    "final_sigmas_type": "sigma_min",
}

UNIPC_TEST_CONFIG = {  # test_scheduler_unipc.py get_scheduler_config, lines 19-31
    "num_train_timesteps": 1000,
    "beta_start": 0.0001,
    "beta_end": 0.02,
    "beta_schedule": "linear",
    "solver_order": 2,
    "solver_type": "bh2",
    "final_sigmas_type": "sigma_min",
}


# --------------------------------------------------------------------------------------------
# UniPC (tests/schedulers/test_scheduler_unipc.py full_loop lines 91-110)
# --------------------------------------------------------------------------------------------
def run_unipc(name, overrides, test_ref=None, num_inference_steps=10, use_test_base=False):
    cfg = dict(UNIPC_TEST_CONFIG) if use_test_base else dict(BASE)
    cfg.update(overrides)
    sched = UniPCMultistepScheduler(**cfg)
    model = dummy_model()
    sample = dummy_sample_deter()
    sched.set_timesteps(num_inference_steps)

    log = {"p": [], "c": []}
    op, oc = sched.multistep_uni_p_bh_update, sched.multistep_uni_c_bh_update

    def wp(*a, **k):
        log["p"].append(k.get("order"))
        return op(*a, **k)

    def wc(*a, **k):
        log["c"].append(k.get("order"))
        return oc(*a, **k)

    sched.multistep_uni_p_bh_update = wp
    sched.multistep_uni_c_bh_update = wc

    traj = [sample]
    steps = []
    for i, t in enumerate(sched.timesteps):
        nc = len(log["c"])
        residual = model(sample, t)
        sample = sched.step(residual, t, sample).prev_sample
        steps.append(
            {
                "i": i,
                "model_time": float(t),
                "timestep": int(t),
                "corrector_order": log["c"][-1] if len(log["c"]) > nc else None,
                "predictor_order": log["p"][-1],
                "sigma_s0": float(sched.sigmas[i]),
                "sigma_t": float(sched.sigmas[i + 1]),
            }
        )
        traj.append(sample)
    entry = {
        "scheduler": "UniPCMultistepScheduler",
        "config_overrides": overrides,
        "config": config_dict(sched),
        "num_inference_steps": num_inference_steps,
        "loop": "plain",
        "init_noise_sigma": float(sched.init_noise_sigma),
        "timesteps": tensor_list(sched.timesteps),
        "sigmas": tensor_list(sched.sigmas),
        "alphas_cumprod_at_timesteps": ac_at(sched, sched.timesteps),
        "steps": steps,
        "note": "trajectory[k+1] is the predictor output of step k (corrected only at the start of step k+1); "
        "the corrector result at grid point k is not returned by diffusers, it replaces `sample` inside step k.",
    }
    record(name, entry, sample, traj, test_ref)


# --------------------------------------------------------------------------------------------
# DDPM: timesteps, variances and (patched) zero-noise loops
# --------------------------------------------------------------------------------------------
def ddpm_data():
    out = {"scheduler": "DDPMScheduler"}
    # timesteps per spacing
    ts = {}
    for spacing in ["leading", "linspace", "trailing"]:
        s = DDPMScheduler(**BASE, timestep_spacing=spacing)
        s.set_timesteps(10)
        prev = [int(s.previous_timestep(t)) for t in s.timesteps]
        ts[spacing] = {
            "config": config_dict(s),
            "timesteps": tensor_list(s.timesteps),
            "previous_timesteps": prev,
            "alphas_cumprod_at_timesteps": ac_at(s, s.timesteps),
        }
    s = DDPMScheduler(**BASE, timestep_spacing="leading", steps_offset=1)
    s.set_timesteps(10)
    ts["leading_steps_offset_1"] = {"config": config_dict(s), "timesteps": tensor_list(s.timesteps)}
    out["timesteps_10_steps"] = ts

    # _get_variance without set_timesteps (prev_t = t - 1), as in test_variance
    var = {}
    probe = [0, 1, 2, 10, 100, 250, 486, 487, 500, 750, 998, 999]
    for vt in ["fixed_small", "fixed_large"]:
        s = DDPMScheduler(**BASE, variance_type=vt, clip_sample=True)
        var[vt] = {
            "no_set_timesteps(prev_t=t-1)": {str(t): float(s._get_variance(t)) for t in probe},
        }
        s.set_timesteps(10)
        var[vt]["after_set_timesteps(10, leading)"] = {
            str(int(t)): {"prev_t": int(s.previous_timestep(t)), "variance": float(s._get_variance(int(t)))}
            for t in s.timesteps
        }
    out["get_variance"] = var
    out["get_variance_test_reference"] = {
        "file": "tests/schedulers/test_scheduler_ddpm.py",
        "test": "test_variance",
        "lines": "62-69",
        "config": "variance_type=fixed_small, clip_sample=True, linear 1e-4..0.02, T=1000",
        "asserts (|value - ref| < 1e-5)": {"0": 0.0, "487": 0.00979, "999": 0.02},
        "computed": {str(t): var["fixed_small"]["no_set_timesteps(prev_t=t-1)"][str(t)] for t in [0, 487, 999]},
    }
    out["get_variance_test_reference"]["reproduces"] = all(
        abs(out["get_variance_test_reference"]["computed"][k] - v) < 1e-5
        for k, v in out["get_variance_test_reference"]["asserts (|value - ref| < 1e-5)"].items()
    )
    # DDIM's _get_variance(t, prev_t) asserts (test_scheduler_ddim.py test_variance lines 102-112)
    d = DDIMScheduler(**BASE, clip_sample=True)
    pairs = [(0, 0, 0.0), (420, 400, 0.14771), (980, 960, 0.32460), (487, 486, 0.00979), (999, 998, 0.02)]
    out["ddim_get_variance_test_reference"] = {
        "file": "tests/schedulers/test_scheduler_ddim.py",
        "test": "test_variance",
        "lines": "102-112",
        "values": [
            {"t": a, "prev_t": b, "asserted": r, "computed": float(d._get_variance(a, b)),
             "ok": abs(float(d._get_variance(a, b)) - r) < 1e-5}
            for a, b, r in pairs
        ],
    }
    ALL_OK.append(("ddpm_get_variance", out["get_variance_test_reference"]["reproduces"]))
    ALL_OK.append(("ddim_get_variance", all(v["ok"] for v in out["ddim_get_variance_test_reference"]["values"])))
    RESULTS["ddpm_schedule_data"] = jsonable(out)
    print("ddpm variance refs:", out["get_variance_test_reference"]["reproduces"],
          "ddim variance refs:", all(v["ok"] for v in out["ddim_get_variance_test_reference"]["values"]))


def run_ddpm_loop(name, overrides, num_inference_steps, zero_noise, test_ref=None):
    """DDPM loop as test_full_loop_no_noise (test_scheduler_ddpm.py lines 75-104).
    num_inference_steps=None -> the test's 1000-step loop `for t in reversed(range(1000))` without set_timesteps.
    zero_noise=True patches diffusers.schedulers.scheduling_ddpm.randn_tensor to return zeros, so each
    step returns exactly the posterior mean (the test itself adds seeded torch noise, see README)."""
    cfg = dict(BASE)
    cfg.update(overrides)
    sched = DDPMScheduler(**cfg)
    model = dummy_model()
    sample = dummy_sample_deter()
    generator = torch.manual_seed(0)
    orig = ddpm_module.randn_tensor
    if zero_noise:
        ddpm_module.randn_tensor = lambda shape, generator=None, device=None, dtype=None, **k: torch.zeros(
            shape, dtype=dtype, device=device
        )
    try:
        if num_inference_steps is None:
            times = list(reversed(range(len(sched))))
        else:
            sched.set_timesteps(num_inference_steps)
            times = list(sched.timesteps)
        traj = [sample]
        steps = []
        for t in times:
            residual = model(sample, t)
            prev_t = sched.previous_timestep(t)
            sample = sched.step(residual, t, sample, generator=generator).prev_sample
            steps.append({"timestep": int(t), "model_time": float(t), "prev_timestep": int(prev_t)})
            traj.append(sample)
    finally:
        ddpm_module.randn_tensor = orig
    entry = {
        "scheduler": "DDPMScheduler",
        "config_overrides": overrides,
        "config": config_dict(sched),
        "num_inference_steps": num_inference_steps if num_inference_steps is not None else "none (t = 999...0, no set_timesteps)",
        "loop": "plain",
        "noise": "zeros (randn_tensor patched)" if zero_noise else "torch.manual_seed(0) generator (torch CPU RNG)",
        "timesteps": [int(t) for t in times] if num_inference_steps is not None else "999 down to 0",
        "alphas_cumprod_at_timesteps": ac_at(sched, times) if num_inference_steps is not None else None,
        "steps": steps if num_inference_steps is not None else None,
    }
    if num_inference_steps is None:
        # do not store a 1001-long trajectory
        st = stats(sample)
        entry["computed"] = st
        entry["test_reference"] = test_ref
        entry["reproduces_test_reference"] = check_ref(test_ref, st)
        entry["final_sample_file"] = name + ".npy"
        entry["final_sample_shape"] = list(sample.shape)
        save_npy(name, sample.numpy())
        RESULTS[name] = jsonable(entry)
        if test_ref is not None:
            ALL_OK.append((name, entry["reproduces_test_reference"]))
        print(f"{name:40s} sum={st['sum_abs']:.6f} mean={st['mean_abs']:.6g}"
              + ("" if test_ref is None else ("  test ref OK" if entry["reproduces_test_reference"] else "  TEST REF MISMATCH")))
    else:
        record(name, entry, sample, traj, test_ref)


# --------------------------------------------------------------------------------------------
# schedules only
# --------------------------------------------------------------------------------------------
def schedule_only(name, cls, overrides, num_inference_steps=10, note=None):
    sched = cls(**overrides)
    sched.set_timesteps(num_inference_steps)
    e = {
        "scheduler": cls.__name__,
        "config_overrides": overrides,
        "config": config_dict(sched),
        "num_inference_steps": num_inference_steps,
        "timesteps": tensor_list(sched.timesteps),
        "sigmas": tensor_list(sched.sigmas) if hasattr(sched, "sigmas") else None,
    }
    if sched.timesteps.dtype == torch.int64:
        e["alphas_cumprod_at_timesteps"] = ac_at(sched, sched.timesteps)
    if note:
        e["note"] = note
    RESULTS[name] = jsonable(e)


def karras_reference():
    n, smin, smax, rho = 5, 0.002, 80.0, 7.0
    e = EulerDiscreteScheduler(**BASE, use_karras_sigmas=True, sigma_min=smin, sigma_max=smax)
    diff = e._convert_to_karras(in_sigmas=torch.tensor([smax, smin]), num_inference_steps=n)
    # k-diffusion get_sigmas_karras (torch float32 ramp, append_zero)
    ramp = torch.linspace(0, 1, n)
    min_inv_rho = smin ** (1 / rho)
    max_inv_rho = smax ** (1 / rho)
    kd = (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho
    kd = torch.cat([kd, kd.new_zeros([1])])
    # exact float64 formula
    exact = [(smax ** (1 / rho) + (i / (n - 1)) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho for i in range(n)]
    RESULTS["karras_sigmas_n5_0.002_80_rho7"] = jsonable(
        {
            "formula": "sigma_i = (sigma_max^(1/rho) + i/(n-1) * (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho, i=0..n-1",
            "n": n,
            "sigma_min": smin,
            "sigma_max": smax,
            "rho": rho,
            "diffusers_EulerDiscreteScheduler._convert_to_karras_float64": [float(x) for x in diff],
            "k_diffusion_get_sigmas_karras_float32_with_appended_zero": [float(x) for x in kd],
            "python_float64_formula": exact,
        }
    )


def main():
    save_npy("dummy_sample_deter", dummy_sample_deter().numpy())
    for T in (1000, 1100):
        s = DDPMScheduler(num_train_timesteps=T, beta_start=0.0001, beta_end=0.02, beta_schedule="linear")
        save_npy(f"alphas_cumprod_T{T}", s.alphas_cumprod.numpy())

    # ---------------- DDIM ----------------
    F = "test_scheduler_ddim.py"
    run_ddim("ddim_test_clip", {"clip_sample": True},
             ref(F, "test_full_loop_no_noise", "114-121", 172.0067, 0.223967))
    for sp in ["leading", "linspace", "trailing"]:
        run_ddim(f"ddim_noclip_{sp}", {"clip_sample": False, "timestep_spacing": sp})
    run_ddim("ddim_test_v_prediction", {"clip_sample": True, "prediction_type": "v_prediction"},
             ref(F, "test_full_loop_with_v_prediction", "123-130", 52.5302, 0.0684))
    run_ddim("ddim_test_set_alpha_to_one", {"clip_sample": True, "set_alpha_to_one": True, "beta_start": 0.01},
             ref(F, "test_full_loop_with_set_alpha_to_one", "132-139", 149.8295, 0.1951))
    run_ddim("ddim_test_no_set_alpha_to_one", {"clip_sample": True, "set_alpha_to_one": False, "beta_start": 0.01},
             ref(F, "test_full_loop_with_no_set_alpha_to_one", "141-148", 149.0784, 0.1941))

    # ---------------- DDPM ----------------
    ddpm_data()
    F = "test_scheduler_ddpm.py"
    run_ddpm_loop("ddpm_test_seeded_noise_1000", {"variance_type": "fixed_small", "clip_sample": True}, None, False,
                  ref(F, "test_full_loop_no_noise", "75-104", 258.9606, 0.3372,
                      note="despite its name this test adds torch.manual_seed(0) noise at every t>0; "
                           "reproducible only with torch's CPU RNG"))
    run_ddpm_loop("ddpm_zero_noise_1000", {"variance_type": "fixed_small", "clip_sample": True}, None, True)
    for sp in ["leading", "linspace", "trailing"]:
        run_ddpm_loop(f"ddpm_zero_noise_10_{sp}", {"variance_type": "fixed_small", "clip_sample": True,
                                                   "timestep_spacing": sp}, 10, True)

    # ---------------- Euler ----------------
    F = "test_scheduler_euler.py"
    EULER_TEST = dict(num_train_timesteps=1100, beta_start=0.0001, beta_end=0.02, beta_schedule="linear")
    for loop in ["test", "pipeline"]:
        run_karras_style(EulerDiscreteScheduler, f"euler_test_config_{loop}loop", dict(EULER_TEST), loop,
                         ref(F, "test_full_loop_no_noise", "129-136", 10.0807, 0.0131))
        run_karras_style(EulerDiscreteScheduler, f"euler_test_karras_{loop}loop",
                         dict(EULER_TEST, use_karras_sigmas=True), loop,
                         ref(F, "test_full_loop_device_karras_sigmas", "174-199", 124.52299499511719,
                             0.16213932633399963))
        run_karras_style(EulerDiscreteScheduler, f"euler_test_v_prediction_{loop}loop",
                         dict(EULER_TEST, prediction_type="v_prediction"), loop,
                         ref(F, "test_full_loop_with_v_prediction", "138-145", 0.0002, 2.2676e-06))
        for sp in ["linspace", "leading", "trailing"]:
            run_karras_style(EulerDiscreteScheduler, f"euler_{sp}_{loop}loop", dict(BASE, timestep_spacing=sp), loop)
        run_karras_style(EulerDiscreteScheduler, f"euler_karras_{loop}loop", dict(BASE, use_karras_sigmas=True), loop)

    # ---------------- Heun ----------------
    F = "test_scheduler_heun.py"
    HEUN_TEST = dict(num_train_timesteps=1100, beta_start=0.0001, beta_end=0.02, beta_schedule="linear")
    for loop in ["test", "pipeline"]:
        run_karras_style(HeunDiscreteScheduler, f"heun_test_config_{loop}loop", dict(HEUN_TEST), loop,
                         ref(F, "test_full_loop_no_noise", "93-104", 0.1233, 0.0002))
        run_karras_style(HeunDiscreteScheduler, f"heun_test_karras_{loop}loop",
                         dict(HEUN_TEST, use_karras_sigmas=True), loop,
                         ref(F, "test_full_loop_device_karras_sigmas", "152-175", 0.00015,
                             1.9869554535034695e-07, mean_tol=1e-2))
        run_karras_style(HeunDiscreteScheduler, f"heun_test_v_prediction_{loop}loop",
                         dict(HEUN_TEST, prediction_type="v_prediction"), loop,
                         ref(F, "test_full_loop_with_v_prediction", "106-113", 4.6934e-07, 6.1112e-10))
        run_karras_style(HeunDiscreteScheduler, f"heun_linspace_T1000_{loop}loop", dict(BASE), loop)

    # ---------------- DPM-Solver++ ----------------
    F = "test_scheduler_dpm_multi.py"
    run_dpm("dpmpp_test_config", {}, ref(F, "test_full_loop_no_noise", "246-250", None, 0.3301), use_test_base=True)
    for order in [2, 3]:
        for fst in ["sigma_min", "zero"]:
            for lof in [True, False]:
                run_dpm(f"dpmpp_order{order}_{fst}_lof{int(lof)}",
                        {"algorithm_type": "dpmsolver++", "solver_order": order, "solver_type": "midpoint",
                         "final_sigmas_type": fst, "lower_order_final": lof})
    run_dpm("dpmpp_test_v_prediction", {"prediction_type": "v_prediction"},
            ref(F, "test_full_loop_with_v_prediction", "285-289", None, 0.2251), use_test_base=True)
    run_dpm("dpmpp_test_karras_v_prediction", {"prediction_type": "v_prediction", "use_karras_sigmas": True},
            ref(F, "test_full_loop_with_karras_and_v_prediction", "291-295", None, 0.2096), use_test_base=True)
    run_dpm("dpmpp_test_lu_v_prediction", {"prediction_type": "v_prediction", "use_lu_lambdas": True},
            ref(F, "test_full_loop_with_lu_and_v_prediction", "297-301", None, 0.1554), use_test_base=True)
    run_dpm("dpmpp_test_thresholding",
            {"thresholding": True, "dynamic_thresholding_ratio": 0.87, "sample_max_value": 0.5},
            ref(F, "test_full_loop_no_noise_thres", "279-283", None, 1.1364), use_test_base=True)
    run_dpm("dpmpp_karras_order2_zero", {"use_karras_sigmas": True, "final_sigmas_type": "zero"})
    for sp in ["linspace", "leading", "trailing"]:
        schedule_only(f"dpmpp_schedule_{sp}", DPMSolverMultistepScheduler, dict(BASE, timestep_spacing=sp))
    schedule_only("sde_dpmpp_order2_schedule", DPMSolverMultistepScheduler,
                  dict(BASE, algorithm_type="sde-dpmsolver++", solver_order=2),
                  note="stochastic; loop skipped; timesteps/sigmas only")
    schedule_only("sde_dpmpp_order2_schedule_test_config", DPMSolverMultistepScheduler,
                  dict(DPM_TEST_CONFIG, algorithm_type="sde-dpmsolver++"),
                  note="stochastic; loop skipped; timesteps/sigmas only")

    # ---------------- UniPC ----------------
    F = "test_scheduler_unipc.py"
    run_unipc("unipc_test_config", {}, ref(F, "test_full_loop_no_noise", "211-215", None, 0.2464), use_test_base=True)
    for st in ["bh1", "bh2"]:
        for order in [2, 3]:
            for fst in ["sigma_min", "zero"]:
                run_unipc(f"unipc_{st}_order{order}_{fst}",
                          {"solver_type": st, "solver_order": order, "final_sigmas_type": fst,
                           "predict_x0": True})
    run_unipc("unipc_test_karras", {"use_karras_sigmas": True},
              ref(F, "test_full_loop_with_karras", "217-221", None, 0.2925), use_test_base=True)
    run_unipc("unipc_test_v_prediction", {"prediction_type": "v_prediction"},
              ref(F, "test_full_loop_with_v_prediction", "223-227", None, 0.1014), use_test_base=True)
    run_unipc("unipc_test_karras_v_prediction", {"prediction_type": "v_prediction", "use_karras_sigmas": True},
              ref(F, "test_full_loop_with_karras_and_v_prediction", "229-233", None, 0.1966), use_test_base=True)
    for sp in ["linspace", "leading", "trailing"]:
        schedule_only(f"unipc_schedule_{sp}", UniPCMultistepScheduler, dict(BASE, timestep_spacing=sp))

    # ---------------- schedules of Euler/Heun/DDIM per spacing ----------------
    for sp in ["linspace", "leading", "trailing"]:
        schedule_only(f"ddim_schedule_{sp}", DDIMScheduler, dict(BASE, timestep_spacing=sp))
        schedule_only(f"euler_schedule_{sp}", EulerDiscreteScheduler, dict(BASE, timestep_spacing=sp))
        schedule_only(f"heun_schedule_{sp}", HeunDiscreteScheduler, dict(BASE, timestep_spacing=sp))

    karras_reference()

    meta = {
        "generator": "make_fixtures.py",
        "command": "python3 make_fixtures.py",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "diffusers": diffusers.__version__,
            "numpy": np.__version__,
        },
        "tests_read_from": {"repo": "huggingface/diffusers", "commit": TESTS_COMMIT},
        "dummy_sample_deter": "torch.arange(768).reshape(3,8,8,4) / 768 then .permute(3,0,1,2) -> shape (4,3,8,8); "
        "element [b,c,h,w] = (((c*8+h)*8+w)*4+b)/768 (float32)",
        "dummy_model": "model(sample, t) = sample * t / (t + 1), t cast to float32 (the sample dtype)",
        "all_test_references_reproduced": all(ok for _, ok in ALL_OK),
        "test_reference_checks": {n: ok for n, ok in ALL_OK},
    }
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump({"meta": meta, "configs": RESULTS}, f, indent=1, allow_nan=False)
    print("all test references reproduced:", meta["all_test_references_reproduced"])
    for n, ok in ALL_OK:
        if not ok:
            print("  MISMATCH:", n)


if __name__ == "__main__":
    main()
