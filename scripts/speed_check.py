"""The whole process, kgan against plain Keras: `kgan fit` with every default on, against a
plain float32 Keras GAN (`scripts/bench.py`'s `KerasReferenceGAN`) doing the same steps.

Both read the same folder of random 64x64 PNG images and train d2l's 64x64 DCGAN for the same
epochs at the same batch. kgan runs as a user would (`kgan fit --dataset folder:DIR --preset
pokemon`, its defaults on: the precision `auto` picks, the weight average, sample grids, loss
plots, checkpoints, evaluations at their cadence), but with its cache of decoded images off,
so that it decodes the folder at every repeat as the reference does; the reference decodes the
images, trains with `fit()` and nothing else. Each is a fresh process, timed from start to exit, so start-up,
data loading and everything around the steps count. They take turns `--repeats` times.

Usage: python scripts/speed_check.py [--images 4096] [--epochs 2] [--batch-size 256]
           [--repeats 1] [--out speed_check.json]
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def write_random_images(folder, count, size=64, seed=0):
    """`count` random RGB PNG images of `size` x `size` in `folder`."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(os.path.join(folder, f"{i:05d}.png"))


def train_reference(folder, epochs, batch_size):
    """The plain Keras process: decode the folder, train `KerasReferenceGAN` with `fit()`."""
    import tensorflow as tf
    from bench import KerasReferenceGAN, float32_networks

    images = np.stack([np.asarray(Image.open(path).convert("RGB"), np.float32) / 127.5 - 1.0
                       for path in sorted(glob.glob(os.path.join(folder, "*.png")))])
    dataset = (tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=0)
               .batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
    gan = KerasReferenceGAN(*float32_networks())
    gan.compile()
    gan.fit(dataset, epochs=epochs, verbose=0)


def timed(command):
    """Runs `command` without kgan's image cache and returns its wall seconds; a failure stops
    the check."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "KGAN_CACHE": "off"})
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", default="speed_check.json")
    parser.add_argument("--reference", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference:
        train_reference(args.reference, args.epochs, args.batch_size)
        return
    with tempfile.TemporaryDirectory(prefix="kgan-speed-") as scratch:
        folder = os.path.join(scratch, "images")
        write_random_images(folder, args.images)
        seconds = {"kgan": [], "keras-fp32": []}
        for repeat in range(args.repeats):
            kgan_command = [sys.executable, "-c", "from kgan.cli import main; main()", "fit",
                            "--dataset",
                            f"folder:{folder}", "--preset", "pokemon", "--epochs",
                            str(args.epochs), "--batch-size", str(args.batch_size), "--run-dir",
                            os.path.join(scratch, f"run-{repeat}"), "--quiet"]
            reference_command = [sys.executable, os.path.abspath(__file__), "--reference",
                                 folder, "--epochs", str(args.epochs), "--batch-size",
                                 str(args.batch_size)]
            seconds["kgan"].append(timed(kgan_command))
            seconds["keras-fp32"].append(timed(reference_command))
            print(f"repeat {repeat + 1}: kgan {seconds['kgan'][-1]:.1f} s, plain Keras "
                  f"{seconds['keras-fp32'][-1]:.1f} s", flush=True)
    ratio = sum(seconds["keras-fp32"]) / sum(seconds["kgan"])
    result = {"images": args.images, "epochs": args.epochs, "batch_size": args.batch_size,
              "seconds": seconds, "kgan_speedup": ratio}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"kgan is {ratio:.2f}x plain Keras (whole process, {args.repeats} repeat(s))")


if __name__ == "__main__":
    main()
