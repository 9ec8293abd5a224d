"""Compares training recipes on an image data set: each candidate trains from scratch with
several seeds for the same epochs, and every run is scored by SWD and the diversity ratio.

A candidate is a name and preset fields to change, e.g. `--candidate b64 batch_size=64 ema=0.999`
(`preset=NAME` picks another preset; `epochs=N` overrides `--epochs`, which gives each candidate
the epochs it trains in a budget of time at its own speed); `--set` changes a field for every
candidate. Each run's generated images come from the same latent batch (its seed) and are
compared with the same `-n` real images: SWD x 1e3 (lower is better) and the diversity ratio
(the mean distance between generated pairs over that of real pairs; far below 1 is collapse).
A candidate with EMA is also scored on its trained weights (row `NAME/raw`): the average does
not change training, so one run gives both. Two baselines frame the scores: each candidate's
preset untrained (same seeds), and two disjoint halves of the real data. One seed run twice
gives the same score (runs are bit-equal), so the spread over seeds is the noise a difference
between candidates is judged against. A table goes to stdout and the numbers to a JSON file
(rewritten after every run). The runs stay in `--runs`: the same command run again reuses
finished runs and resumes interrupted ones.

Usage: python scripts/recipe_study.py DATASET [--data-dir DIR] [--preset NAME] [--epochs 2]
           [--seeds 0 1 2] [--set FIELD=VALUE ...] [--candidate NAME [FIELD=VALUE ...] ...]
           [-n 1024] [--runs DIR] [--out recipe_study.json]

The precision study: `--set batch_size=64 --candidate fp32 precision=fp32
--candidate bf16 precision=bf16`.
"""

import argparse
import json
import os
import time

import numpy as np

import kgan
from kgan import data, rundir, sampling
from kgan.callbacks import diversity
from kgan.evaluate import reference_samples
from kgan.metrics import image_swd
from kgan.presets import parse_override


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="e.g. pokemon or folder:PATH")
    parser.add_argument("--data-dir")
    parser.add_argument("--preset", help="defaults to the dataset's own")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", dest="fields", action="append", default=[],
                        metavar="FIELD=VALUE", help="a preset field for every candidate (JSON value)")
    parser.add_argument("--candidate", dest="candidates", action="append", nargs="+",
                        metavar="NAME [FIELD=VALUE]", help="default: the preset as it is")
    parser.add_argument("-n", type=int, default=1024, help="samples per set")
    parser.add_argument("--runs", default="recipe_study_runs", help="where the runs are kept")
    parser.add_argument("--out", default="recipe_study.json")
    args = parser.parse_args()
    default_preset = args.preset or data.default_preset(args.dataset)
    common = dict(parse_override(text) for text in args.fields)
    candidates = {name: {"preset": default_preset, **common, **dict(map(parse_override, fields))}
                  for name, *fields in args.candidates or [["default"]]}
    sample_shape = kgan.get_preset(default_preset).sample_shape
    real = reference_samples(args.dataset, sample_shape, 2 * args.n, 0, args.data_dir).values
    if len(real) < 2 * args.n:
        raise SystemExit(f"need {2 * args.n} real images for two halves, have {len(real)}")
    # The draw comes back in the data's order (for a folder, by class): split it at random.
    order = np.random.default_rng(0).permutation(len(real))
    real, other_half = real[order[: args.n]], real[order[args.n :]]
    real_diversity = diversity(real)

    def score(images):
        return {"swd": image_swd(real, images)["swd"],
                "diversity": diversity(images) / real_diversity}

    scores = {"real halves": {0: score(other_half)}}
    runs = {}
    for seed in args.seeds:
        for name, fields in candidates.items():
            fields = dict(fields)
            preset = kgan.get_preset(fields.pop("preset")).with_overrides(**fields)
            untrained = scores.setdefault(f"{preset.name} untrained", {})
            if seed not in untrained:
                untrained[seed] = score(preset.build_gan(seed, 1).generate(args.n, seed=seed))
            start = time.perf_counter()
            gan = _trained(os.path.join(args.runs, f"{name}-{seed}"), dataset=args.dataset,
                           preset=preset.name, data_dir=args.data_dir, seed=seed,
                           eval_every=0, **{"epochs": args.epochs, **fields})
            runs[f"{name}-{seed}"] = {"steps": gan.step, "seconds": time.perf_counter() - start}
            scores.setdefault(name, {})[seed] = score(gan.generate(args.n, seed=seed))
            if preset.ema:
                scores.setdefault(f"{name}/raw", {})[seed] = score(
                    gan.generate(args.n, seed=seed, raw=True))
            print(f"seed {seed} {name}: SWD {scores[name][seed]['swd']:.1f} after {gan.step} "
                  f"steps ({runs[f'{name}-{seed}']['seconds']:.0f} s)", flush=True)
            summary = _write(args, candidates, runs, scores)
    print(f"\n{'':<28}{'SWD mean':>10}{'sd':>8}{'min':>8}{'max':>8}{'diversity':>11}  per seed")
    for row, stats in summary.items():
        per_seed = " ".join(f"{s['swd']:.1f}" for s in scores[row].values())
        print(f"{row:<28}{stats['swd_mean']:>10.1f}{stats['swd_sd']:>8.1f}{stats['swd_min']:>8.1f}"
              f"{stats['swd_max']:>8.1f}{stats['diversity_mean']:>11.2f}  {per_seed}")


def _trained(run_dir, **options):
    """The GAN of `kgan.fit(run_dir=run_dir, **options)`: a run already finished there is
    loaded and an interrupted one resumed, so a study killed part-way continues where it
    stopped (its times then count only the work of this invocation)."""
    if os.path.exists(os.path.join(run_dir, rundir.MODEL)):
        return sampling.load_gan(run_dir)
    if os.path.exists(run_dir):
        return kgan.resume(run_dir, verbose=False)
    return kgan.fit(run_dir=run_dir, verbose=False, **options)


def _write(args, candidates, runs, scores):
    """Writes the results so far to `--out` (after every run) and returns the summary."""
    summary = {row: _summary(by_seed) for row, by_seed in scores.items()}
    with open(args.out, "w") as f:
        json.dump({"dataset": args.dataset, "epochs": args.epochs, "n": args.n,
                   "candidates": candidates, "runs": runs, "summary": summary,
                   "scores": {row: {str(s): v for s, v in by_seed.items()}
                              for row, by_seed in scores.items()}}, f, indent=2)
    return summary


def _summary(by_seed):
    """Mean, sample standard deviation (0 for one seed), range and mean diversity of a row."""
    swd = np.array([s["swd"] for s in by_seed.values()])
    return {"swd_mean": float(swd.mean()), "swd_sd": float(swd.std(ddof=1)) if len(swd) > 1 else 0.0,
            "swd_min": float(swd.min()), "swd_max": float(swd.max()),
            "diversity_mean": float(np.mean([s["diversity"] for s in by_seed.values()]))}



if __name__ == "__main__":
    main()
