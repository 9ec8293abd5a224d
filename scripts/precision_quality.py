"""Does mixed precision cost quality? Short runs of one preset in each precision and several seeds,
scored by SWD against the real data.

Every run trains the preset from scratch for `--epochs` on DATASET with one seed; its SWD
(x 1e3, lower is better) compares `-n` generated images with the same `-n` real images for every
run. The seed-to-seed spread within one precision is the noise that the difference between
precisions is judged against; one seed run twice gives the same score (runs are bit-equal).
A table goes to stdout and the numbers to a JSON file.

Usage: python scripts/precision_quality.py DATASET [--data-dir DIR] [--preset NAME]
           [--epochs 2] [--batch-size 64] [--seeds 0 1 2] [--precisions fp32 bf16] [-n 1024]
           [--out precision_quality.json]
"""

import argparse
import json
import os
import tempfile
import time

import numpy as np

import kgan
from kgan import data
from kgan.evaluate import reference_samples
from kgan.metrics import image_swd


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="e.g. pokemon or folder:PATH")
    parser.add_argument("--data-dir")
    parser.add_argument("--preset", help="defaults to the dataset's own")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"],
                        choices=kgan.precision.PRECISIONS)
    parser.add_argument("-n", type=int, default=1024, help="samples per set")
    parser.add_argument("--out", default="precision_quality.json")
    args = parser.parse_args()
    preset = kgan.get_preset(args.preset or data.default_preset(args.dataset))
    real = reference_samples(args.dataset, preset.sample_shape, args.n, 0, args.data_dir).values
    swd = {precision: {} for precision in args.precisions}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for precision in args.precisions:
                start = time.perf_counter()
                gan = kgan.fit(dataset=args.dataset, preset=preset.name, data_dir=args.data_dir,
                               run_dir=os.path.join(tmp, f"{precision}-{seed}"), seed=seed,
                               epochs=args.epochs, batch_size=args.batch_size,
                               precision=precision, verbose=False)
                swd[precision][seed] = image_swd(real, gan.generate(args.n, seed=seed))["swd"]
                print(f"seed {seed} {precision}: SWD {swd[precision][seed]:.1f} after "
                      f"{gan.step} steps ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"\n{'seed':>6}" + "".join(f"{precision:>10}" for precision in args.precisions))
    for seed in args.seeds:
        print(f"{seed:>6}" + "".join(f"{swd[p][seed]:>10.1f}" for p in args.precisions))
    summary = {}
    for precision, scores in swd.items():
        values = np.array(list(scores.values()))
        summary[precision] = {"mean": float(values.mean()),
                              "std": float(values.std(ddof=1)) if len(values) > 1 else None}
    print(f"{'mean':>6}" + "".join(f"{summary[p]['mean']:>10.1f}" for p in args.precisions))
    if len(args.seeds) > 1:
        print(f"{'std':>6}" + "".join(f"{summary[p]['std']:>10.1f}" for p in args.precisions))
    with open(args.out, "w") as f:
        json.dump({"dataset": args.dataset, "preset": preset.name, "epochs": args.epochs,
                   "batch_size": args.batch_size, "n": args.n,
                   "swd": {p: {str(s): v for s, v in scores.items()} for p, scores in swd.items()},
                   "summary": summary}, f, indent=2)


if __name__ == "__main__":
    main()
