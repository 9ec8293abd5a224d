"""Data sets by name, loaded into memory and served as `tf.data` pipelines.

Names: `gaussian` and `mixture` (built in), `pokemon` (d2l's sprites), `mnist`,
`fashion_mnist`, and `folder:PATH` (any folder of images, searched recursively). All but
`gaussian` have class labels: the mixture's components, the Pokemon species, TFDS' `label`, a
folder's first level of subfolders.
"""

from kgan.data.examples import Examples
from kgan.data.gaussian import MIXTURE_CLASSES, gaussian_points, mixture_points
from kgan.data.images import load_labelled_folder
from kgan.data.pipeline import training_dataset
from kgan.data.tfds_images import load_pokemon, load_tfds_images
from kgan.errors import KganError

# dataset kind -> the preset `kgan fit --dataset NAME` uses by default
DEFAULT_PRESETS = {
    "gaussian": "gaussian",
    "mixture": "gaussian",
    "pokemon": "pokemon",
    "mnist": "mnist",
    "fashion_mnist": "fashion_mnist",
    "folder": "pokemon",
}


def _kind(name):
    """Splits `folder:PATH` into its kind; checks that the kind exists."""
    kind, _, argument = name.partition(":")
    if kind not in DEFAULT_PRESETS or (kind == "folder") != bool(argument):
        raise KganError(
            f"unknown dataset {name!r}; choose one of: gaussian, mixture, pokemon, mnist, "
            "fashion_mnist, folder:PATH"
        )
    return kind, argument


def default_preset(name):
    """Returns the name of the preset that trains on dataset `name` by default."""
    return DEFAULT_PRESETS[_kind(name)[0]]


def load_data(name, sample_shape, data_dir=None):
    """Loads a data set and its labels into memory in the shape a preset's networks expect.

    Args:
        name: a dataset name (see the module docstring).
        sample_shape: the preset's sample shape: `(dim,)` points or `(height, width, channels)`;
            images are resized and converted to it.
        data_dir: where manually supplied or prepared data lives.

    Returns:
        `Examples`: `[n, *sample_shape]` float32 points or uint8 images, with their labels when
        the data set has them.

    Raises:
        KganError: an unknown name, missing data, or data that does not fit the preset.
    """
    kind, argument = _kind(name)
    wants_images = len(sample_shape) == 3
    if wants_images == (kind in ("gaussian", "mixture")):
        made = "images" if wants_images else "points"
        raise KganError(f"dataset {name!r} does not fit a preset that generates {made}")
    if kind == "gaussian":
        return Examples(gaussian_points())
    if kind == "mixture":
        return Examples(*mixture_points(), MIXTURE_CLASSES)
    if kind == "folder":
        return load_labelled_folder(argument, sample_shape)
    if kind == "pokemon":
        return load_pokemon(sample_shape, data_dir)
    return load_tfds_images(kind, sample_shape, data_dir)


def load_examples(name, sample_shape, data_dir=None):
    """`load_data(...)`'s samples alone: an array `[n, *sample_shape]`."""
    return load_data(name, sample_shape, data_dir).values


def load_dataset(name, batch_size, sample_shape, seed=0, data_dir=None, labels=False):
    """Loads dataset `name` as a `tf.data.Dataset` of shuffled float32 batches.

    Args:
        labels: serve `(samples, labels)` batches, for a conditional GAN.

    Returns:
        `(dataset, steps_per_epoch)`, ready for `GAN.fit(dataset, steps_per_epoch=...)`.

    Raises:
        KganError: see `load_data`; or `labels` for a data set without any.
    """
    examples = load_data(name, sample_shape, data_dir)
    if labels and examples.labels is None:
        raise KganError(f"dataset {name!r} has no class labels")
    return training_dataset(examples.values, batch_size, seed,
                            labels=examples.labels if labels else None)


__all__ = [
    "Examples",
    "default_preset",
    "gaussian_points",
    "load_data",
    "load_dataset",
    "load_examples",
    "mixture_points",
    "training_dataset",
]
