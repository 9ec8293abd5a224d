"""Image data sets from tensorflow-datasets, loaded into memory at a preset's shape."""

import os

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from kgan.data.pokemon import Pokemon
from kgan.errors import KganError


def _fit_shape(image, sample_shape):
    """Resizes an image tensor and converts its channels to `sample_shape`; returns uint8."""
    height, width, channels = sample_shape
    image = tf.image.resize(image, (height, width), method="area")
    if channels == 1 and image.shape[-1] == 3:
        image = tf.image.rgb_to_grayscale(image)
    elif channels == 3 and image.shape[-1] == 1:
        image = tf.image.grayscale_to_rgb(image)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def dataset_to_array(dataset, sample_shape):
    """Decodes a `tf.data` data set of `{"image": ...}` examples into one uint8 array."""
    batches = (
        dataset.map(lambda example: _fit_shape(example["image"], sample_shape), tf.data.AUTOTUNE)
        .batch(1024)
        .prefetch(tf.data.AUTOTUNE)
    )
    return np.concatenate([batch.numpy() for batch in batches])


def load_tfds_images(name, sample_shape, data_dir=None):
    """Loads the `train` split of TFDS data set `name` (e.g. `mnist`) as uint8 images.

    Raises:
        KganError: the data set is neither prepared in `data_dir` nor downloadable.
    """
    try:
        dataset = tfds.load(name, split="train", data_dir=data_dir)
    except Exception as error:  # noqa: BLE001 -- TFDS raises many types for a failed download
        where = data_dir or "~/tensorflow_datasets"
        raise KganError(
            f"cannot load {name}: not prepared in {where} and the download failed "
            f"({type(error).__name__}); prepare it where the internet is reachable "
            f"(tfds build {name}) and pass that folder with --data-dir"
        ) from None
    return dataset_to_array(dataset, sample_shape)


def load_pokemon(sample_shape, data_dir=None):
    """Loads d2l's Pokemon sprites through the `Pokemon` builder.

    Args:
        sample_shape: `(height, width, channels)` of the result.
        data_dir: the manual directory holding `pokemon.zip` or `pokemon/` (the prepared data
            set is kept in its `tfds/` subfolder); without it the archive is downloaded into
            TFDS' default folder.

    Raises:
        KganError: neither the manual directory nor the download gave the sprites.
    """
    builder = Pokemon(data_dir=os.path.join(data_dir, "tfds") if data_dir else None)
    try:
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=data_dir)
        )
    except Exception as error:  # noqa: BLE001 -- any failed download or archive; named below
        tried = f"{data_dir} (no pokemon.zip or pokemon/) and " if data_dir else ""
        raise KganError(
            f"cannot get the Pokemon sprites: tried {tried}downloading {Pokemon.URL} "
            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}); "
            "download pokemon.zip and pass its folder with --data-dir DIR"
        ) from None
    return dataset_to_array(builder.as_dataset(split="train"), sample_shape)
