"""Loading a trained generator (run directory, `.keras` file or export) and writing samples."""

import os

import keras
import numpy as np
from keras import ops

from kgan import plots, rundir
from kgan.data.pipeline import to_uint8
from kgan.errors import KganError
from kgan.export import ExportedGenerator, is_export
from kgan.latents import sample_labels

# Which model of a run directory `load_gan` takes.
RUN_MODELS = ("final", "best", "latest")


def load_gan(source, which="final"):
    """Loads a trained GAN from a `.keras` file or a run directory.

    Args:
        source: a `.keras` file or a run directory.
        which: for a run directory, one of `RUN_MODELS`: `final` (its `model.keras`, or its
            newest checkpoint while it has none), `best` (`checkpoints/best.keras`, the best
            evaluation score) or `latest` (its newest checkpoint).

    Raises:
        KganError: nothing loadable at `source`.
    """
    path = source
    if os.path.isdir(source):
        run = rundir.RunDir(source)
        path = run.best if which == "best" else run.path(rundir.MODEL)
        if which == "best" and not os.path.exists(path):
            raise KganError(f"{source} has no {rundir.BEST}: it is written by runs that "
                            "evaluate (--eval-every)")
        if which == "latest" or not os.path.exists(path):
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


def parse_label(text, class_names):
    """A `--label` value, a class number or name, as a class number.

    Raises:
        KganError: no such class, or a label for an unconditional generator.
    """
    if not class_names:
        raise KganError("--label needs a conditional generator; this one has no classes")
    if text in class_names:
        return class_names.index(text)
    if text.lstrip("-").isdigit() and 0 <= int(text) < len(class_names):
        return int(text)
    shown = ", ".join(class_names[:20]) + (", ..." if len(class_names) > 20 else "")
    raise KganError(f"unknown label {text!r}: give a class number below {len(class_names)} or "
                    f"a class name ({shown})")


def generate_labelled(generator, n, seed, label=None, truncation=1.0):
    """`generator.generate(n, seed, truncation=truncation)`, with the labels of a conditional
    generator: `label` for every sample, or the classes in turn.

    Returns:
        `(samples, labels)`: labels are `None` for an unconditional generator.
    """
    if not generator.num_classes:
        return generator.generate(n, seed=seed, truncation=truncation), None
    labels = sample_labels(n, generator.num_classes, label)
    return generator.generate(n, seed=seed, labels=labels, truncation=truncation), labels


def load_generator(source):
    """Loads anything with a `generate(n, seed)` method: a GAN, or an exported generator."""
    return ExportedGenerator(source) if is_export(source) else load_gan(source)


# What `--out` may be: a file suffix, or a folder (a path ending in "/", or an existing folder)
# of numbered PNGs.
SAMPLE_OUTPUTS = (".png", ".npy", "/")
WALK_OUTPUTS = (".gif", ".png", ".npy", "/")
_OUTPUT_KINDS = {".png": ".png", ".npy": ".npy", ".gif": ".gif (animation)", "/": "/ (a folder)"}


def check_output(out, kinds=SAMPLE_OUTPUTS):
    """Raises `KganError` unless `out` ends in one of `kinds` (a folder: "/", or an existing
    folder) and its parent folder exists."""
    kind = _kind(out)
    if kind not in kinds:
        allowed = ", ".join(_OUTPUT_KINDS[k] for k in kinds[:-1]) + f" or {_OUTPUT_KINDS[kinds[-1]]}"
        # kgan writes no video: an MP4 encoder would be a system binary (ffmpeg).
        hint = " (no video: .gif is the animation)" if kind == ".mp4" else ""
        raise KganError(f"--out must end in {allowed}; got {out}{hint}")
    folder = os.path.dirname(os.path.abspath(out.rstrip("/" + os.sep)))
    if not os.path.isdir(folder):
        raise KganError(f"cannot write {out}: folder {folder} does not exist")


def write_samples(samples, out, labels=None, class_names=()):
    """Writes samples to `out` (checked by `check_output`): `.npy` keeps the raw array, `.png`
    draws a grid of images or a scatter of points, a folder gets one PNG per image.

    With `labels` (a conditional generator's), a scatter colours the points by class, and an
    image grid of the classes in turn gets one column per class when there are at most 16.
    """
    if _kind(out) == ".npy":
        _save_npy(out, samples)
        return
    if _to_folder(out, samples):
        plots.save_images(samples, out)
        return
    in_turn = labels is not None and np.array_equal(
        labels, np.arange(len(labels)) % len(class_names))
    columns = len(class_names) if in_turn and len(class_names) <= 16 else None
    plots.save_samples(samples, out, columns=columns, labels=labels, class_names=class_names)


def write_walk(frames, out, frame_ms=80):
    """Writes a walk's frames to `out` (checked by `check_output` against `WALK_OUTPUTS`): a
    looping `.gif`, a `.png` strip of the frames side by side, a `.npy` of the raw frames, or a
    folder of numbered PNGs.

    Raises:
        KganError: an image file for a generator of points.
    """
    if _kind(out) == ".npy":
        _save_npy(out, frames)
    elif _to_folder(out, frames):
        plots.save_images(frames, out)
    elif np.ndim(frames) != 4:
        raise KganError(f"{out}: a walk of points is written as .npy only")
    elif _kind(out) == ".gif":
        plots.save_animation(list(ops.convert_to_numpy(to_uint8(frames))), out, frame_ms)
    else:
        plots.save_samples(frames, out, columns=len(frames))


def _save_npy(out, array):
    # Through a file object: given a name, np.save appends ".npy" unless it ends in lower case.
    with open(out, "wb") as f:
        np.save(f, array)


def _kind(out):
    """What `--out` names: "/" for a folder (a path ending in "/", or an existing folder), else
    its suffix in lower case."""
    if out.endswith(("/", os.sep)) or os.path.isdir(out):
        return "/"
    return os.path.splitext(out)[1].lower()


def _to_folder(out, samples):
    """True when `out` names a folder; raises `KganError` unless `samples` are images."""
    if _kind(out) != "/":
        return False
    if np.ndim(samples) != 4:
        raise KganError(f"{out}: a folder holds one PNG per image, and these samples are points; "
                        "write .png or .npy")
    return True
