"""Trains the `gaussian` preset for several seeds, with each loss, and reports how well the
generated distribution matches the data: the mean error (Euclidean norm) and the relative
covariance error of 100,000 generated points against the 1,000 training points
(`kgan.evaluate.point_moments`).

Usage: python scripts/gaussian_quality.py [--seeds 0 1 2 3 4] [--losses nonsaturating,lsgan]
           [--epochs N] [--set FIELD=VALUE ...] [--out results.json]

`--set` changes any preset field, e.g. `--set ema=0.999 --set ema_rampup=0`.
"""

import argparse
import json
import tempfile

import numpy as np
from overrides import parse_override  # scripts/overrides.py, beside this script

import kgan
from kgan.data import gaussian_points
from kgan.errors import parse_names
from kgan.evaluate import point_moments


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--losses", default="nonsaturating",
                        help=f"comma-separated, from: {', '.join(kgan.losses.LOSSES)}")
    parser.add_argument("--epochs", type=int, help="default: the preset's")
    parser.add_argument("--set", dest="fields", action="append", default=[],
                        metavar="FIELD=VALUE", help="a preset field to change (JSON value)")
    parser.add_argument("--out", help="also write the results as JSON here")
    args = parser.parse_args()
    overrides = dict(parse_override(text) for text in args.fields)
    losses = parse_names(args.losses, kgan.losses.LOSSES, "loss")
    results = {}
    print(f"{'loss':>14}  {'seed':>4}  {'mean error':>10}  {'cov error':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for loss in losses:
            results[loss] = {}
            for seed in args.seeds:
                gan = kgan.fit(dataset="gaussian", run_dir=f"{tmp}/{loss}-{seed}", seed=seed,
                               loss=loss, epochs=args.epochs, verbose=False, **overrides)
                errors = point_moments(gan, gaussian_points(), seed)
                results[loss][seed] = {k: errors[k] for k in ("mean_error", "cov_error")}
                print(f"{loss:>14}  {seed:>4}  {errors['mean_error']:>10.3f}  "
                      f"{errors['cov_error']:>9.3f}", flush=True)
            for key in ("mean_error", "cov_error"):
                values = [result[key] for result in results[loss].values()]
                print(f"{loss:>14}  {key}: mean {np.mean(values):.3f}, max {np.max(values):.3f}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
