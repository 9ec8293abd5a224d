"""Image data sets from tensorflow-datasets, loaded into memory at a preset's shape."""

import glob
import os
import urllib.error
import urllib.request

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from kgan.data.cache import cached, files_fingerprint
from kgan.data.examples import Examples
from kgan.data.pokemon import Pokemon
from kgan.errors import KganError

# How long to wait for a download server before calling it unreachable. TFDS itself retries a
# failed download with back-off for minutes.
CONNECT_TIMEOUT_S = 10


def unreachable(url, timeout=CONNECT_TIMEOUT_S):
    """Why `url`'s server cannot be reached, or `None` when it answers (any HTTP status).

    A HEAD request with a timeout, so that a machine without network fails within seconds
    instead of after TFDS' retries.
    """
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError:
        return None  # the server answered
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return getattr(reason, "strerror", None) or str(reason) or type(error).__name__
    return None


def _fit_shape(image, sample_shape):
    """Resizes an image tensor and converts its channels to `sample_shape`; returns uint8."""
    height, width, channels = sample_shape
    image = tf.image.resize(image, (height, width), method="area")
    if channels == 1 and image.shape[-1] == 3:
        image = tf.image.rgb_to_grayscale(image)
    elif channels == 3 and image.shape[-1] == 1:
        image = tf.image.grayscale_to_rgb(image)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def dataset_to_arrays(dataset, sample_shape, label_key):
    """Decodes a `tf.data` data set of `{"image": ..., label_key: ...}` examples.

    Returns:
        `(images, labels)`: one uint8 array of the images, and one of the labels.
    """
    batches = (
        dataset.map(lambda example: (_fit_shape(example["image"], sample_shape),
                                     example[label_key]), tf.data.AUTOTUNE)
        .batch(1024)
        .prefetch(tf.data.AUTOTUNE)
    )
    images, labels = zip(*((x.numpy(), y.numpy()) for x, y in batches))
    return np.concatenate(images), np.concatenate(labels)


def decoded_split(builder, sample_shape, label_key):
    """The prepared `train` split of a TFDS `builder` as `Examples`, through the cache of
    decoded data sets (`kgan.data.cache`), fingerprinted by the prepared files.

    `label_key` is a `ClassLabel` feature, or a `Text` one whose distinct values are the classes.
    Without prepared files to fingerprint (TFDS' mock data) nothing is cached.
    """
    prepared = sorted(glob.glob(os.path.join(builder.data_dir, "*")))

    def decode():
        images, labels = dataset_to_arrays(builder.as_dataset(split="train"), sample_shape,
                                           label_key)
        feature = builder.info.features[label_key]
        if isinstance(feature, tfds.features.ClassLabel):
            examples = Examples(images, labels.astype(np.int32), tuple(feature.names))
        else:
            examples = Examples.from_names(images, [name.decode() for name in labels])
        return examples, bool(prepared)

    return cached(builder.data_dir, sample_shape, files_fingerprint(prepared), decode)


def load_tfds_images(name, sample_shape, data_dir=None):
    """Loads the `train` split of TFDS data set `name` (e.g. `mnist`): uint8 images and their
    `label` feature as `Examples`.

    Raises:
        KganError: the data set is neither prepared in `data_dir` nor downloadable.
    """
    builder = tfds.builder(name, data_dir=data_dir)

    def failed(why):
        return KganError(
            f"cannot load {name}: not prepared in {data_dir or '~/tensorflow_datasets'} and "
            f"{why}; prepare it where the internet is reachable (tfds build {name}) and pass "
            "that folder with --data-dir")

    reason = None if builder.is_prepared() else unreachable(builder.URL)
    if reason:
        raise failed(f"cannot reach {builder.URL} ({reason})")
    try:
        # Not from TFDS' Google Cloud bucket: from the builder's own URL, which answered.
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    except Exception as error:  # noqa: BLE001 -- TFDS raises many types for a failed download
        raise failed(f"the download from {builder.URL} failed ({type(error).__name__})") from None
    return decoded_split(builder, sample_shape, "label")


def load_pokemon(sample_shape, data_dir=None):
    """Loads d2l's Pokemon sprites through the `Pokemon` builder; their classes are the
    species.

    Args:
        sample_shape: `(height, width, channels)` of the result.
        data_dir: the manual directory holding `pokemon.zip` or `pokemon/` (the prepared data
            set is kept in its `tfds/` subfolder); without it the archive is downloaded into
            TFDS' default folder.

    Raises:
        KganError: neither the manual directory nor the download gave the sprites.
    """
    builder = Pokemon(data_dir=os.path.join(data_dir, "tfds") if data_dir else None)
    manual = data_dir and any(os.path.exists(os.path.join(data_dir, name))
                              for name in ("pokemon.zip", "pokemon"))

    def failed(why):
        tried = f"{data_dir} (no pokemon.zip or pokemon/) and " if data_dir else ""
        return KganError(f"cannot get the Pokemon sprites: tried {tried}downloading "
                         f"{Pokemon.URL} ({why}); download pokemon.zip and pass its folder with "
                         "--data-dir DIR")

    reason = None if builder.is_prepared() or manual else unreachable(Pokemon.URL)
    if reason:
        raise failed(f"cannot reach it: {reason}")
    try:
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=data_dir)
        )
    except Exception as error:  # noqa: BLE001 -- any failed download or archive; named below
        raise failed(f"{type(error).__name__}: "
                     f"{str(error).splitlines()[0] if str(error) else ''}") from None
    return decoded_split(builder, sample_shape, "species")
