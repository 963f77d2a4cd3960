#!/usr/bin/env python3
"""Replays the choice on validation windows with a margin in favour of TSDiff-Q.

Usage (outside the test suite):

    python3 Examples/Forecast/Reference/replay_choice.py RUN/results.json [RUN/results.json …]

Every `results.json` that `forecast --train` writes holds the validation CRPS of every candidate
(`chosen.validation`) and the test CRPS of every row (`methods`). The choice depends on the
validation scores alone, so the choice under another rule can be replayed without running
anything: with margin m, a candidate other than TSDiff-Q is chosen only when its validation CRPS
is below (1 − m) × the best TSDiff-Q candidate's. For each margin the script prints the method
each run would choose, its test CRPS, and how many runs' choices beat every seasonal-naive row
(plain and bootstrapped) on the test windows.
"""
import json
import sys

MARGINS = [0, 0.03, 0.05, 0.10, 0.15]


def replay(result, margin):
    validation = {k: v for k, v in result["chosen"]["validation"].items() if v is not None and v == v and v != float("inf")}
    methods = result["methods"]
    best = min(validation, key=validation.get)
    quantile = [v for k, v in validation.items() if k.startswith("tsdiff-q@")]
    if quantile and not best.startswith("tsdiff-q@") and validation[best] > (1 - margin) * min(quantile):
        best = "tsdiff-q"
    row = "tsdiff-q" if best.startswith("tsdiff-q") else best
    test = methods[row]["crps"] if row in methods else float("nan")
    naive = [m["crps"] for name, m in methods.items() if "seasonal-naive" in name and "+ml" not in name]
    return row, test, all(test < n for n in naive)


def main():
    runs = []
    for path in sys.argv[1:]:
        with open(path) as f:
            result = json.load(f)
        if "chosen" in result:
            runs.append((path, result))
    for margin in MARGINS:
        rows = [(path,) + replay(result, margin) for path, result in runs]
        beats = sum(1 for row in rows if row[3])
        print(f"margin {margin:.2f}: the choice beats every seasonal naive on {beats} of {len(rows)}")
        for path, method, test, _ in rows:
            print(f"  {path}: {method} {test:.4f}")


if __name__ == "__main__":
    main()
