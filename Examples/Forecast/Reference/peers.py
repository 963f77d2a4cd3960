#!/usr/bin/env python3
"""The peers' scores on forecast-bench's windows: statsforecast AutoETS and GluonTS DeepAR.

Usage (outside the test suite; the packages live in the benchmark virtual environment that
scripts/bench-peers makes, plus `pip install statsforecast gluonts lightning`):

    .bench-venv/bin/python Examples/Forecast/Reference/peers.py \
        [--manifest Datasets/timeseries/benchmark.json] [--only NAME,NAME] [--out peers.json]
    swift run -c release forecast-bench --peers peers.json

Same protocol as `forecast`: the last W × H steps of each target column are the test period,
cut into W windows, each forecast from all history before it; H and the season follow the
frequency as `forecast` derives them (hourly 24 and 24, daily 30 and 7, weekly 13 and 52,
monthly 12 and 12). The score is the same mean weighted quantile loss over q = 0.1 … 0.9,
summed over every window and series of a dataset.

- AutoETS (statsforecast, season length m, model chosen by AICc) is fitted for each window on
  the last 56 seasons before it (as the project's Holt-Winters baseline); its quantiles come
  from the prediction intervals at levels 20, 40, 60 and 80 and the mean.
- DeepAR (gluonts.torch, its defaults: 2 layers of 40, context = H, 100 epochs of 50 batches
  unless --deepar-epochs says otherwise) is trained once per dataset on the part before the
  test period and draws 100 paths per window.

Missing values are linearly interpolated for the peers (neither accepts gaps); scored steps
must be observed, as in forecast.
"""
import argparse
import csv
import datetime as dt
import json
import math
import os
import sys
import time

import numpy as np

QUANTILES = [q / 10 for q in range(1, 10)]
FREQUENCIES = {  # seconds → (pandas alias, horizon, season)
    3600: ("h", 24, 24),
    86400: ("D", 30, 7),
    604800: ("W-SUN", 13, 52),
}


def load(path, targets):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    times = [dt.datetime.fromisoformat(r["timestamp"]) for r in rows]
    columns = {c: np.array([float(r[c]) if r[c] != "" else np.nan for r in rows]) for c in targets}
    return times, columns


def frequency(times):
    step = (times[1] - times[0]).total_seconds()
    if step in FREQUENCIES:
        alias, h, m = FREQUENCIES[step]
        if step == 604800:
            alias = "W-" + ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"][times[0].weekday()]
        return alias, h, m
    if 28 * 86400 <= step <= 31 * 86400:
        return "MS", 12, 12
    sys.exit(f"unsupported step {step} s")


def interpolate(y):
    y = y.copy()
    bad = np.isnan(y)
    if bad.any():
        idx = np.arange(len(y))
        y[bad] = np.interp(idx[bad], idx[~bad], y[~bad])
    return y


def weighted_quantile_loss(forecasts, truths):
    """forecasts: list of arrays [9, H] (quantiles); truths: list of arrays [H] (NaN: unobserved)."""
    losses = np.zeros(len(QUANTILES))
    norm = 0.0
    for qf, y in zip(forecasts, truths):
        ok = ~np.isnan(y)
        for k, q in enumerate(QUANTILES):
            f = qf[k][ok]
            losses[k] += np.sum(2 * np.abs((f - y[ok]) * ((y[ok] <= f).astype(float) - q)))
        norm += np.sum(np.abs(y[ok]))
    return float(np.mean(losses / norm))


def autoets(series, windows, h, m, alias):
    from statsforecast.models import AutoETS
    forecasts, truths = [], []
    for y in series:
        n = len(y)
        filled = interpolate(y)
        for w in range(windows):
            start = n - (windows - w) * h
            history = filled[max(0, start - 56 * m):start]
            model = AutoETS(season_length=m if len(history) >= 2 * m else 1)
            fit = model.forecast(y=history, h=h, level=[20, 40, 60, 80])
            mean = fit["mean"]
            qs = [fit["lo-80"], fit["lo-60"], fit["lo-40"], fit["lo-20"], mean, fit["hi-20"], fit["hi-40"], fit["hi-60"], fit["hi-80"]]
            forecasts.append(np.array(qs))
            truths.append(y[start:start + h])
    return weighted_quantile_loss(forecasts, truths)


def deepar(series, times, windows, h, alias, epochs, seed, threads):
    import tempfile

    import pandas as pd
    import torch
    from gluonts.dataset.common import ListDataset
    from gluonts.torch.model.deepar import DeepAREstimator
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    np.random.seed(seed)
    alias = "M" if alias == "MS" else alias   # GluonTS keys series by pandas Periods, which name months "M"
    start = pd.Period(times[0], freq=alias)
    train = ListDataset([{"start": start, "target": interpolate(y)[:len(y) - windows * h]} for y in series], freq=alias)
    estimator = DeepAREstimator(freq=alias, prediction_length=h, trainer_kwargs={"max_epochs": epochs, "enable_progress_bar": False,
                                                                                  "enable_model_summary": False, "logger": False,
                                                                                  "default_root_dir": tempfile.mkdtemp(prefix="deepar-")})
    predictor = estimator.train(train)
    forecasts, truths = [], []
    for y in series:
        n = len(y)
        filled = interpolate(y)
        tests = ListDataset([{"start": start, "target": filled[:n - (windows - w) * h]} for w in range(windows)], freq=alias)
        for w, forecast in enumerate(predictor.predict(tests, num_samples=100)):
            s = n - (windows - w) * h
            forecasts.append(np.array([forecast.quantile(q) for q in QUANTILES]))
            truths.append(y[s:s + h])
    return weighted_quantile_loss(forecasts, truths)


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--manifest", default=os.path.join(root, "Datasets/timeseries/benchmark.json"))
    parser.add_argument("--only", default=None)
    parser.add_argument("--out", default="peers.json")
    parser.add_argument("--deepar-epochs", type=int, default=100)
    parser.add_argument("--skip-deepar", action="store_true")
    parser.add_argument("--skip-autoets", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for DeepAR")
    args = parser.parse_args()
    with open(args.manifest) as f:
        manifest = json.load(f)
    folder = os.path.dirname(os.path.abspath(args.manifest))
    only = set(args.only.split(",")) if args.only else None
    results = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            results = json.load(f)
    for d in manifest["datasets"]:
        if only and d["name"] not in only:
            continue
        windows = d.get("windows", manifest.get("windows", 7))
        times, columns = load(os.path.join(folder, d["file"]), d["targets"])
        alias, h, m = frequency(times)
        series = [columns[c] for c in d["targets"]]
        scores = results.setdefault(d["name"], {})
        t0 = time.time()
        if not args.skip_autoets:
            scores["autoets"] = autoets(series, windows, h, m, alias)
        t1 = time.time()
        if not args.skip_deepar:
            scores["deepar"] = deepar(series, times, windows, h, alias, args.deepar_epochs, args.seed, args.threads)
        t2 = time.time()
        print(f"{d['name']}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()) + f" (AutoETS {t1 - t0:.0f} s, DeepAR {t2 - t1:.0f} s)", flush=True)
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
        os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
