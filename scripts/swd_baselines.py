"""SWD of a trained run beside its two baselines: the same preset untrained, and two disjoint
halves of the real data (the floor a perfect generator would reach with this sample count).

Usage: python scripts/swd_baselines.py RUN_DIR [-n 2048] [--seed 0] [--out swd.json]
"""

import argparse
import json

import numpy as np

import kgan
from kgan import rundir, sampling
from kgan.evaluate import reference_samples
from kgan.metrics import image_swd


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("-n", type=int, default=2048, help="samples per set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="also write the results as JSON here")
    args = parser.parse_args()
    config = rundir.RunDir(args.run_dir).read_config()
    preset = config.preset
    real = reference_samples(config.dataset, preset.sample_shape, 2 * args.n, args.seed,
                             config.data_dir).values
    if len(real) < 2 * args.n:
        raise SystemExit(f"need {2 * args.n} real images for two halves, have {len(real)}")
    order = np.random.default_rng(args.seed).permutation(len(real))
    first, second = real[order[: args.n]], real[order[args.n :]]
    trained = sampling.load_gan(args.run_dir)
    untrained = kgan.build_gan(preset, config.seed, steps_per_epoch=1)
    results = {
        "trained": image_swd(first, trained.generate(args.n, seed=args.seed)),
        "untrained": image_swd(first, untrained.generate(args.n, seed=args.seed)),
        "real-vs-real": image_swd(first, second),
        "step": trained.step,
        "n": args.n,
    }
    levels = [key for key in results["trained"] if key != "swd"] + ["swd"]
    print(f"{'':<14}" + "".join(f"{key:>10}" for key in levels))
    for name in ("trained", "untrained", "real-vs-real"):
        print(f"{name:<14}" + "".join(f"{results[name][key]:>10.2f}" for key in levels))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
