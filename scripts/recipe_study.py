"""Compares training recipes on an image data set: each candidate trains from scratch with
several seeds for the same epochs, and every run is scored by SWD and the diversity ratio.

A candidate is a name and preset fields to change, e.g. `--candidate b64 batch_size=64 ema=0.999`
(`preset=NAME` picks another preset; `epochs=N` overrides `--epochs`, which gives each candidate
the epochs it trains in a budget of time at its own speed); `--set` changes a field for every
candidate. Each run's generated images come from the same latent batch (its seed) and are
compared with the same `-n` real images: SWD x 1e3 (lower is better) and the diversity ratio
(the mean distance between generated pairs over that of real pairs; far below 1 is collapse).
A candidate with EMA is also scored on its trained weights (row `NAME/raw`): the average does
not change training, so one run gives both. A conditional candidate (`conditional=true`)
generates each image for the label of its real counterpart and is also scored by class: the
diversity ratio within each class, the intra-class SWD, and the label accuracy of
`kgan.classifier`'s network trained on the data (its held-out accuracy, the ceiling, is printed
too). Two baselines frame the scores: each candidate's
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
from overrides import parse_override  # scripts/overrides.py, beside this script

import kgan
from kgan import data, rundir, sampling
from kgan.callbacks import diversity_ratio
from kgan.classifier import cached_classifier, label_accuracy
from kgan.data import Examples
from kgan.evaluate import CLASSIFIER_SAMPLES, intra_class_swd, reference_samples
from kgan.metrics import image_swd


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
    sample_shape = tuple(common.get("sample_shape", kgan.get_preset(default_preset).sample_shape))
    drawn = reference_samples(args.dataset, sample_shape, 2 * args.n, 0, args.data_dir)
    if len(drawn) < 2 * args.n:
        raise SystemExit(f"need {2 * args.n} real images for two halves, have {len(drawn)}")
    # The draw comes back in the data's order (for a folder, by class): split it at random.
    order = np.random.default_rng(0).permutation(len(drawn))
    real, other_half = drawn.values[order[: args.n]], drawn.values[order[args.n :]]
    labels = None if drawn.labels is None else drawn.labels[order[: args.n]]
    classifier = None

    def score(images, conditional=False):
        result = {"swd": image_swd(real, images)["swd"],
                  "diversity": diversity_ratio(images, real)}
        if conditional:
            nonlocal classifier
            if classifier is None:
                classifier = _label_classifier(args, sample_shape)
            by_class = Examples(real, labels, drawn.class_names)
            result.update(
                diversity_in_class=diversity_ratio(images, real, labels),
                swd_intra=intra_class_swd(by_class, images, labels),
                label_accuracy=label_accuracy(classifier[0], images, labels),
                classifier_accuracy=classifier[1])
        return result

    scores = {"real halves": {0: score(other_half)}}
    runs = {}
    for seed in args.seeds:
        for name, fields in candidates.items():
            fields = dict(fields)
            preset = kgan.get_preset(fields.pop("preset")).with_overrides(**fields)
            cond = {"labels": labels} if preset.conditional else {}
            untrained = scores.setdefault(f"{preset.name} untrained", {})
            if seed not in untrained:
                untrained_gan = kgan.build_gan(preset, seed, 1, class_names=drawn.class_names or ())
                untrained[seed] = score(untrained_gan.generate(args.n, seed=seed, **cond),
                                        preset.conditional)
            start = time.perf_counter()
            gan = _trained(os.path.join(args.runs, f"{name}-{seed}"), dataset=args.dataset,
                           preset=preset.name, data_dir=args.data_dir, seed=seed,
                           eval_every=0, **{"epochs": args.epochs, **fields})
            runs[f"{name}-{seed}"] = {"steps": gan.step, "seconds": time.perf_counter() - start}
            scores.setdefault(name, {})[seed] = score(gan.generate(args.n, seed=seed, **cond),
                                                      preset.conditional)
            if preset.ema:
                scores.setdefault(f"{name}/raw", {})[seed] = score(
                    gan.generate(args.n, seed=seed, raw=True, **cond), preset.conditional)
            print(f"seed {seed} {name}: {_format(scores[name][seed])} after {gan.step} "
                  f"steps ({runs[f'{name}-{seed}']['seconds']:.0f} s)", flush=True)
            summary = _write(args, candidates, runs, scores)
    print(f"\n{'':<28}{'SWD mean':>10}{'sd':>8}{'min':>8}{'max':>8}{'diversity':>11}  per seed")
    for row, stats in summary.items():
        per_seed = " ".join(f"{s['swd']:.1f}" for s in scores[row].values())
        print(f"{row:<28}{stats['swd_mean']:>10.1f}{stats['swd_sd']:>8.1f}{stats['swd_min']:>8.1f}"
              f"{stats['swd_max']:>8.1f}{stats['diversity_mean']:>11.2f}  {per_seed}")
        if "label_accuracy_mean" in stats:
            print(f"{'':<28}label accuracy {stats['label_accuracy_mean']:.3f} "
                  f"({stats['label_accuracy_sd']:.3f}) of a ceiling "
                  f"{stats['classifier_accuracy_mean']:.3f}; intra-class SWD "
                  f"{stats['swd_intra_mean']:.1f} ({stats['swd_intra_sd']:.1f}); diversity in "
                  f"class {stats['diversity_in_class_mean']:.2f}")


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
    """Mean, sample standard deviation (0 for one seed) and range of the SWD of a row, and the
    mean and standard deviation of every other score."""
    swd = np.array([s["swd"] for s in by_seed.values()])
    summary = {"swd_min": float(swd.min()), "swd_max": float(swd.max())}
    for key in next(iter(by_seed.values())):
        values = np.array([s[key] for s in by_seed.values()])
        summary[f"{key}_mean"] = float(values.mean())
        summary[f"{key}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return summary


def _format(score):
    """One run's scores on one line."""
    return ", ".join(f"{key} {value:.3g}" for key, value in score.items())


def _label_classifier(args, sample_shape):
    """The label classifier of the data set (`kgan.classifier`), cached in `--runs`."""
    examples = reference_samples(args.dataset, sample_shape, CLASSIFIER_SAMPLES, 0, args.data_dir)
    return cached_classifier(os.path.join(args.runs, "classifier.keras"), examples.values,
                             examples.labels, examples.class_names,
                             key=[args.dataset, list(sample_shape)], verbose=True)



if __name__ == "__main__":
    main()
