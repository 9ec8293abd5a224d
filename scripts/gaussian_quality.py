"""Trains the `gaussian` preset with its defaults for several seeds and reports how well the
generated distribution matches the data: the mean error (Euclidean norm) and the relative
covariance error of 100,000 generated points against the 1,000 training points.

Usage: python scripts/gaussian_quality.py [--seeds 0 1 2 3 4] [--out results.json]
"""

import argparse
import json
import tempfile

import kgan
from kgan.data import gaussian_points
from kgan.metrics import moment_errors


def measure(seed, run_dir):
    """Trains one run with the preset's defaults; returns its moment errors."""
    gan = kgan.fit(dataset="gaussian", run_dir=run_dir, seed=seed, verbose=False)
    return moment_errors(gaussian_points(), gan.generate(100_000, seed=seed))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", help="also write the results as JSON here")
    args = parser.parse_args()
    results = {}
    print(f"{'seed':>4}  {'mean error':>10}  {'cov error':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            errors = measure(seed, f"{tmp}/seed-{seed}")
            results[seed] = {k: errors[k] for k in ("mean_error", "cov_error")}
            print(f"{seed:>4}  {errors['mean_error']:>10.3f}  {errors['cov_error']:>9.3f}", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
