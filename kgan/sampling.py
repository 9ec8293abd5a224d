"""Loading a trained generator (run directory, `.keras` file or export) and writing samples."""

import os

import keras
import numpy as np

from kgan import plots, rundir
from kgan.errors import KganError
from kgan.export import ExportedGenerator, is_export


def load_gan(source):
    """Loads a trained GAN from a `.keras` file or a run directory.

    A run directory gives its final `model.keras`, or its newest checkpoint while it has none.

    Raises:
        KganError: nothing loadable at `source`.
    """
    path = source
    if os.path.isdir(source):
        run = rundir.RunDir(source)
        path = run.path(rundir.MODEL)
        if not os.path.exists(path):
            checkpoint = run.latest_checkpoint()
            if checkpoint is None:
                raise KganError(f"{source} holds no {rundir.MODEL} and no checkpoint")
            path = checkpoint.path
    elif not source.endswith(".keras"):
        raise KganError(f"{source} is neither a run directory, an export nor a .keras file")
    if not os.path.exists(path):
        raise KganError(f"{path} does not exist")
    try:
        return keras.saving.load_model(path)
    except Exception as error:  # noqa: BLE001 -- Keras raises many types for a broken file
        raise KganError(f"cannot load {path}: {error}") from None


def load_generator(source):
    """Loads anything with a `generate(n, seed)` method: a GAN, or an exported generator."""
    return ExportedGenerator(source) if is_export(source) else load_gan(source)


def check_output(out):
    """Raises `KganError` unless `out` ends in `.npy` or `.png` and its folder exists."""
    if not out.endswith((".npy", ".png")):
        raise KganError(f"--out must end in .npy or .png (got {out})")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise KganError(f"cannot write {out}: folder {folder} does not exist")


def write_samples(samples, out):
    """Writes samples to `out` (checked by `check_output`): `.npy` keeps the raw array, `.png`
    draws a grid of images or a scatter of points."""
    if out.endswith(".npy"):
        np.save(out, samples)
    else:
        plots.save_samples(samples, out)
