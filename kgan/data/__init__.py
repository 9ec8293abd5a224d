"""Data sets by name, loaded into memory and served as `tf.data` pipelines.

Names: `gaussian` (built in), `pokemon` (d2l's sprites), `mnist`, `fashion_mnist`, and
`folder:PATH` (any folder of images, searched recursively).
"""

from kgan.data.gaussian import gaussian_points
from kgan.data.images import load_image_folder
from kgan.data.pipeline import training_dataset
from kgan.data.tfds_images import load_pokemon, load_tfds_images
from kgan.errors import KganError

# dataset kind -> the preset `kgan fit --dataset NAME` uses by default
DEFAULT_PRESETS = {
    "gaussian": "gaussian",
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
            f"unknown dataset {name!r}; choose one of: gaussian, pokemon, mnist, fashion_mnist, "
            "folder:PATH"
        )
    return kind, argument


def default_preset(name):
    """Returns the name of the preset that trains on dataset `name` by default."""
    return DEFAULT_PRESETS[_kind(name)[0]]


def load_examples(name, sample_shape, data_dir=None):
    """Loads a data set into memory in the shape a preset's networks expect.

    Args:
        name: a dataset name (see the module docstring).
        sample_shape: the preset's sample shape: `(dim,)` points or `(height, width, channels)`;
            images are resized and converted to it.
        data_dir: where manually supplied or prepared data lives.

    Returns:
        An array `[n, *sample_shape]`: float32 points, or uint8 images.

    Raises:
        KganError: an unknown name, missing data, or data that does not fit the preset.
    """
    kind, argument = _kind(name)
    wants_images = len(sample_shape) == 3
    if wants_images == (kind == "gaussian"):
        made = "images" if wants_images else "points"
        raise KganError(f"dataset {name!r} does not fit a preset that generates {made}")
    if kind == "gaussian":
        return gaussian_points()
    if kind == "folder":
        return load_image_folder(argument, sample_shape)
    if kind == "pokemon":
        return load_pokemon(sample_shape, data_dir)
    return load_tfds_images(kind, sample_shape, data_dir)


def load_dataset(name, batch_size, sample_shape, seed=0, data_dir=None):
    """Loads dataset `name` as a `tf.data.Dataset` of shuffled float32 batches.

    Returns:
        `(dataset, steps_per_epoch)`, ready for `GAN.fit(dataset, steps_per_epoch=...)`.
    """
    return training_dataset(load_examples(name, sample_shape, data_dir), batch_size, seed)


__all__ = [
    "default_preset",
    "gaussian_points",
    "load_dataset",
    "load_examples",
    "training_dataset",
]
