"""Data sets by name, loaded into memory and served as `tf.data` pipelines."""

from kgan.data.gaussian import gaussian_points
from kgan.data.pipeline import training_dataset
from kgan.errors import KganError

# dataset name -> the preset `kgan fit --dataset NAME` uses by default
DEFAULT_PRESETS = {
    "gaussian": "gaussian",
}


def default_preset(name):
    """Returns the name of the preset that trains on dataset `name` by default."""
    check_dataset_name(name)
    return DEFAULT_PRESETS[name]


def check_dataset_name(name):
    """Raises `KganError` with the valid choices when `name` is not a known dataset."""
    if name not in DEFAULT_PRESETS:
        raise KganError(f"unknown dataset {name!r}; choose one of: {', '.join(DEFAULT_PRESETS)}")


def load_examples(name, sample_shape, data_dir=None):
    """Loads a data set into memory in the shape a preset's networks expect.

    Args:
        name: a dataset name (see `DEFAULT_PRESETS`).
        sample_shape: the preset's sample shape; the data must match it.
        data_dir: where downloaded or manually supplied data lives.

    Returns:
        An array `[n, *sample_shape]`: float32 points, or uint8 images.
    """
    check_dataset_name(name)
    examples = gaussian_points()
    if examples.shape[1:] != tuple(sample_shape):
        raise KganError(
            f"dataset {name!r} has samples of shape {examples.shape[1:]} but the preset expects "
            f"{tuple(sample_shape)}"
        )
    return examples


def load_dataset(name, batch_size, seed=0, sample_shape=(2,), data_dir=None):
    """Loads dataset `name` as a `tf.data.Dataset` of shuffled float32 batches.

    Returns:
        `(dataset, steps_per_epoch)`, ready for `GAN.fit(dataset, steps_per_epoch=...)`.
    """
    return training_dataset(load_examples(name, sample_shape, data_dir), batch_size, seed)


__all__ = ["default_preset", "load_dataset", "load_examples", "training_dataset"]
