"""What surrounds the training step: the share of a `kgan.fit` call spent outside its steps.

It trains one run with the preset's defaults (sample grids, loss plots, checkpoints and
evaluations at their default cadence) and times every training step from the batch's start to
its end (the first step's tracing included). The rest of the `kgan.fit` call is split in two:
the set-up before the first step (reading and decoding the data, building the GAN and the
input pipeline), and the work around the steps after it (the callbacks, the final save).

Usage: python scripts/overhead.py DATASET [--preset mnist] [--epochs 20] [--kimg N] [--cold]
           [--pairs N] [--set FIELD=VALUE ...] [--runs DIR] [--out overhead.json]

The images come through kgan's cache of decoded data sets as the environment sets it
(`KGAN_CACHE`), so a second run on DATASET reads them decoded; `--cold` gives the run an empty
cache of its own, as on a first run. Without DATASET, `--images N` writes N random 28x28 images
to a temporary folder first, with an empty cache of its own (the 2,000-image check of
scripts/RESULTS.md uses real sprites: `folder:DIR`).

`--pairs N` measures both cases N times, taking turns: a first run (`--cold`), then a run with
the images cached (in a cache filled once by a one-epoch run first), each in a process of its
own, as a user's run would be; it prints every run and the median and range of the share
outside the steps of each case.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# kgan before keras: kgan starts TensorFlow as its users get it (oneDNN on, kgan.backend).
import kgan  # isort: skip
import keras
from overrides import parse_override  # scripts/overrides.py, beside this script

from kgan.data.cache import CACHE_ENV

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from speed_check import write_random_images  # a sibling script, found through sys.path


class StepClock(keras.callbacks.Callback):
    """Sums the seconds from each training batch's start to its end."""

    def __init__(self):
        super().__init__()
        self.seconds, self.steps, self.first_start = 0.0, 0, None

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()
        if self.first_start is None:
            self.first_start = self._start

    def on_train_batch_end(self, batch, logs=None):
        float(next(iter(logs.values())))  # the step has finished once its logs are read
        self.seconds += time.perf_counter() - self._start
        self.steps += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", help="e.g. folder:PATH; default: random images")
    parser.add_argument("--images", type=int, default=2000, help="random images without DATASET")
    parser.add_argument("--preset", default="mnist")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--kimg", type=float)
    parser.add_argument("--set", dest="fields", action="append", default=[],
                        metavar="FIELD=VALUE", help="a preset field (JSON value)")
    parser.add_argument("--runs", help="the run (and a --cold cache); default: a new temp folder")
    parser.add_argument("--cold", action="store_true", help="start with an empty image cache")
    parser.add_argument("--pairs", type=int, help="N first runs and N cached ones, taking turns")
    parser.add_argument("--out", default="overhead.json")
    args = parser.parse_args()
    if args.pairs:
        if args.dataset is None or args.cold:
            parser.error("--pairs needs DATASET, and makes its own first runs (no --cold)")
        return measure_pairs(args)
    args.runs = args.runs or tempfile.mkdtemp(prefix="kgan-overhead-")
    dataset = args.dataset
    if dataset is None:
        folder = os.path.join(args.runs, "images")
        write_random_images(folder, args.images, size=28)
        dataset = f"folder:{folder}"
    if args.cold or args.dataset is None:
        os.environ[CACHE_ENV] = os.path.join(args.runs, "cache")
    budget = {"kimg": args.kimg} if args.kimg else {"epochs": args.epochs}
    clock = StepClock()
    start = time.perf_counter()
    gan = kgan.fit(dataset=dataset, preset=args.preset, run_dir=os.path.join(args.runs, "run"),
                   callbacks=[clock], verbose=False, **budget,
                   **dict(map(parse_override, args.fields)))
    total = time.perf_counter() - start
    set_up = clock.first_start - start
    around = total - set_up - clock.seconds
    result = {"dataset": dataset, "preset": args.preset, **budget, "fields": args.fields,
              "cache": os.environ.get(CACHE_ENV, "default"),
              "steps": gan.step, "fit_seconds": total, "step_seconds": clock.seconds,
              "set_up_seconds": set_up, "around_seconds": around,
              "outside_seconds": total - clock.seconds,
              "outside_share": (total - clock.seconds) / total,
              "around_share": around / (total - set_up)}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"kgan.fit {total:.1f} s: set-up {set_up:.1f} s, {clock.steps} steps "
          f"{clock.seconds:.1f} s, around the steps {around:.1f} s "
          f"({100 * result['around_share']:.1f}% of the training's wall time); outside the "
          f"steps {total - clock.seconds:.1f} s ({100 * result['outside_share']:.1f}% of the call)")


def measure_pairs(args):
    """`--pairs`: runs this script `2 * args.pairs` times, a first run and a cached one in turn,
    and writes their results and a summary per case to `args.out`."""
    budget = ["--kimg", str(args.kimg)] if args.kimg else ["--epochs", str(args.epochs)]
    fields = [part for field in args.fields for part in ("--set", field)]
    command = [sys.executable, os.path.abspath(__file__), args.dataset, "--preset", args.preset,
               *fields]
    runs = {"first run": [], "cached": []}
    with tempfile.TemporaryDirectory() as scratch:
        warm = {**os.environ, CACHE_ENV: os.path.join(scratch, "cache")}
        _child(command + ["--epochs", "1", "--out", os.devnull,  # fills the cache
                          "--runs", os.path.join(scratch, "filling")], warm)
        out = os.path.join(scratch, "run.json")
        for i in range(args.pairs):
            for case, extra, env in (("first run", ["--cold"], None), ("cached", [], warm)):
                runs_dir = os.path.join(scratch, f"{case.split()[0]}-{i}")  # run, cold cache
                line = _child(command + budget + extra + ["--out", out, "--runs", runs_dir],
                              env)
                print(f"{case}: {line.strip()}", flush=True)
                with open(out) as f:
                    runs[case].append(json.load(f))
    summary = {}
    for case, results in runs.items():
        shares = [100 * result["outside_share"] for result in results]
        summary[case] = {"median_outside_percent": statistics.median(shares),
                         "min_outside_percent": min(shares), "max_outside_percent": max(shares)}
        print(f"{case}: outside the steps {summary[case]['median_outside_percent']:.1f}% "
              f"median, {min(shares):.1f} to {max(shares):.1f}% ({len(shares)} runs)")
    with open(args.out, "w") as f:
        json.dump({"runs": runs, "summary": summary}, f, indent=2)


def _child(command, env):
    """The standard output of `command`; its standard error, and an exit, when it fails."""
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


if __name__ == "__main__":
    main()
