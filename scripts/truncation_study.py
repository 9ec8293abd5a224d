"""How the truncation trick trades variety for typical samples, measured on trained runs.

For each run and each psi, `kgan sample`'s samples (`GAN.generate(n, seed, truncation=psi)`)
are scored by their diversity: the mean pixel distance between random pairs of samples
(`kgan.callbacks.diversity`), within each class for a conditional run (the collapse warning's
measure). Repeated over latent seeds; prints a table of means and spreads and whether the
diversity falls with every step down in psi.

`--grid PNG` also draws the first run's first 12 samples of seed 0 at every psi, one row per
psi (the same latent vectors down each column).

Usage: python scripts/truncation_study.py RUN [RUN ...] [--psi 1,0.9,0.7,0.5,0.3]
           [-n 1024] [--seeds 0,1,2] [--out truncation.json] [--grid truncation.png]
"""

import argparse
import itertools
import json

import numpy as np

from kgan import plots
from kgan.callbacks import diversity
from kgan.sampling import generate_labelled, load_gan


def sample_diversity(gan, n, seed, psi):
    """The diversity of `n` samples of `gan` at truncation `psi`; per class, averaged, for a
    conditional GAN (its classes in turn)."""
    samples, labels = generate_labelled(gan, n, seed, truncation=psi)
    if labels is None:
        return diversity(samples, seed=seed)
    return float(np.mean([diversity(samples[labels == c], seed=seed) for c in np.unique(labels)]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run directories or .keras files")
    parser.add_argument("--psi", default="1,0.9,0.7,0.5,0.3")
    parser.add_argument("-n", type=int, default=1024, help="samples per measurement")
    parser.add_argument("--seeds", default="0,1,2", help="latent seeds")
    parser.add_argument("--out", help="a JSON file for the numbers")
    parser.add_argument("--grid", help="a PNG of the first run's samples, one row per psi")
    args = parser.parse_args()
    psis = [float(p) for p in args.psi.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {}
    for run in args.runs:
        gan = load_gan(run)
        table = {psi: [sample_diversity(gan, args.n, seed, psi) for seed in seeds] for psi in psis}
        means = [np.mean(table[psi]) for psi in sorted(psis, reverse=True)]
        falling = all(b < a for a, b in itertools.pairwise(means))
        results[run] = {"diversity": {str(p): v for p, v in table.items()}, "falls": falling}
        print(f"{run}{' (per class)' if gan.conditional else ''}:")
        for psi in sorted(psis, reverse=True):
            values = table[psi]
            print(f"  psi {psi:4.2f}  diversity {np.mean(values):7.3f} (sd {np.std(values):.3f})"
                  f"  {np.mean(values) / np.mean(table[max(psis)]):.3f} of psi {max(psis):g}'s")
        print(f"  falls with every step down in psi: {falling}")
    if args.grid:
        gan = load_gan(args.runs[0])
        rows = [generate_labelled(gan, 12, 0, truncation=psi)[0][:12]
                for psi in sorted(psis, reverse=True)]
        plots.save_samples(np.concatenate(rows), args.grid, columns=12)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
