"""InceptionV3 pool features (2048-d) for FID, KID and precision/recall.

The ImageNet weights come from the Keras cache or from a file the user names; kgan never
downloads them during an evaluation, so an offline machine gets one clear line instead of a
stalled download.
"""

import os

import keras
import numpy as np

from kgan.errors import KganError

WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
               + WEIGHTS_FILE)
INPUT_SIZE = 299


def cached_weights_path():
    """Where Keras keeps the InceptionV3 ImageNet weights once downloaded."""
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return os.path.join(home, "models", WEIGHTS_FILE)


def inception_network(weights_path=None, random_weights=False):
    """InceptionV3 without its classifier, average-pooled: `[n, 299, 299, 3]` -> `[n, 2048]`.

    Args:
        weights_path: an `.h5` file of the "notop" ImageNet weights; defaults to the Keras cache.
        random_weights: build with random weights (for tests of shapes and plumbing).

    Raises:
        KganError: no weights file is available.
    """
    if random_weights:
        weights = None
    else:
        weights = weights_path or cached_weights_path()
        if not os.path.isfile(weights):
            raise KganError(
                f"FID, KID and precision/recall need InceptionV3's ImageNet weights: {weights} "
                f"does not exist; download {WEIGHTS_URL} and pass it with --inception-weights PATH"
            )
    return keras.applications.InceptionV3(
        include_top=False, weights=weights, pooling="avg", input_shape=(INPUT_SIZE, INPUT_SIZE, 3)
    )


def inception_features(images, network, batch_size=64, progress=None):
    """Pool features of images in [-1, 1] (InceptionV3's own input range).

    Args:
        images: `[n, h, w, c]`, c = 1 or 3; resized to 299x299 bilinearly.
        network: from `inception_network`.
        batch_size: images per forward pass.
        progress: an optional `keras.utils.Progbar`-like object, advanced per batch.

    Returns:
        A float32 array `[n, 2048]`.
    """
    features = []
    for start in range(0, len(images), batch_size):
        batch = keras.ops.convert_to_tensor(np.asarray(images[start : start + batch_size], np.float32))
        if batch.shape[-1] == 1:
            batch = keras.ops.repeat(batch, 3, axis=-1)
        batch = keras.ops.image.resize(batch, (INPUT_SIZE, INPUT_SIZE), interpolation="bilinear")
        features.append(keras.ops.convert_to_numpy(network(batch, training=False)))
        if progress is not None:
            progress.add(len(batch))
    return np.concatenate(features)
